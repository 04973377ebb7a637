"""Which step a key enters, and why entering it needs the driver's yes: a running step restarted, or a
step that already ran that day entered again.

Entering a step writes ``step.entered``: its timer starts from zero, the day's pace is measured from it and
the record counts a second run. Done by a stray key (Enter on the agenda's cursor, which sits on the
running step, or ``p``), that rewrites what organisers report, so the terminal asks first. The engine
itself enters whatever it is told (scripts, tests and benchmarks drive it directly); the rule lives here so
every terminal asks the same question.
"""

from __future__ import annotations

from datetime import date

from facilitator.live.days import workshop_tz
from facilitator.live.state import SessionState
from facilitator.script.models import PlannedStep


def step_after(state: SessionState, offset: int) -> PlannedStep | None:
    """The step ``n`` (offset +1) or ``p`` (-1) enters; None where there is none (the day's end or start)."""
    programme = state.programme
    if programme is None:
        return None
    timeline = state.day_timeline()
    if not timeline:
        timeline = programme.timeline(programme.workshop.days[0])
    keys = [(p.exercise.id, p.step.id) for p in timeline]
    here = (state.exercise, state.step)
    index = keys.index(here) + offset if here in keys else state.index_without_current(keys, offset)
    if not 0 <= index < len(keys) or (here in keys and index == keys.index(here)):
        return None
    return timeline[index]


def why_confirm(state: SessionState, day: date, exercise: str, step: str) -> str | None:
    """Why entering this step needs a yes (it is running, or it ran that day already); None when it does not."""
    programme = state.programme
    if programme is None:
        return None
    title = next((s.title for e in programme.exercises if e.id == exercise for s in e.steps if s.id == step), step)
    if (state.day, state.exercise, state.step) == (day, exercise, step):
        return f"“{title}” is running. Entering it again restarts its timer from zero and records a second run."
    runs = [v for v in state.visits if v.day == day and (v.exercise, v.step) == (exercise, step)]
    if not runs:
        return None
    tz = workshop_tz(programme)
    last = runs[-1]
    until = f"–{last.left_at.astimezone(tz):%H:%M}" if last.left_at is not None else ""
    return (
        f"“{title}” ran at {last.entered_at.astimezone(tz):%H:%M}{until}. Entering it again starts its timer "
        "from zero and records a second run."
    )
