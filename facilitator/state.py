"""Session state as a pure fold of the event log: the same events always give the same state.

Time is never ticked: a step's remaining time is computed from when it was entered, its pauses and its
adjustments, against whatever clock the caller passes in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from facilitator import events as ev
from facilitator.events import Event
from facilitator.script_models import PlannedStep, Programme


@dataclass(frozen=True)
class Timer:
    entered_at: datetime
    planned: timedelta
    adjustment: timedelta = timedelta()
    paused_total: timedelta = timedelta()
    paused_since: datetime | None = None

    @property
    def paused(self) -> bool:
        return self.paused_since is not None

    @property
    def allowed(self) -> timedelta:
        return max(self.planned + self.adjustment, timedelta())

    def elapsed(self, now: datetime) -> timedelta:
        until = self.paused_since or now
        return max(until - self.entered_at - self.paused_total, timedelta())

    def remaining(self, now: datetime) -> timedelta:
        """Time left; negative once the step runs over."""
        return self.allowed - self.elapsed(now)


@dataclass(frozen=True)
class Visit:
    day: date
    exercise: str
    step: str
    entered_at: datetime
    left_at: datetime | None = None


@dataclass(frozen=True)
class Reflection:
    id: str
    text: str
    day: date | None
    exercise: str | None
    step: str | None
    prompt: str | None
    participant: str | None
    location: str | None
    consent: bool
    logged_at: datetime
    logged_by: str
    edited_at: datetime | None = None
    retracted: bool = False


@dataclass(frozen=True)
class SessionState:
    programme: Programme | None = None
    day: date | None = None
    exercise: str | None = None
    step: str | None = None
    timer: Timer | None = None
    visits: tuple[Visit, ...] = ()
    reflections: Mapping[str, Reflection] = field(default_factory=lambda: MappingProxyType({}))
    last_seq: int = 0

    @property
    def current(self) -> PlannedStep | None:
        """The current step on its day's timeline."""
        if self.programme is None or self.day is None or self.step is None:
            return None
        for planned in self.day_timeline():
            if planned.exercise.id == self.exercise and planned.step.id == self.step:
                return planned
        return None

    @property
    def next_step(self) -> PlannedStep | None:
        """The step after the current one on its day, or the day's first step when none is current."""
        timeline = self.day_timeline()
        if self.step is None:
            return timeline[0] if timeline else None
        keys = [(p.exercise.id, p.step.id) for p in timeline]
        here = (self.exercise, self.step)
        if here not in keys or keys.index(here) + 1 >= len(keys):
            return None
        return timeline[keys.index(here) + 1]

    def day_timeline(self) -> list[PlannedStep]:
        if self.programme is None or self.day is None:
            return []
        return self.programme.timeline(self.programme.day(self.day))

    def visible_reflections(self) -> list[Reflection]:
        return [r for r in self.reflections.values() if not r.retracted]


def _reflection_from(event: Event) -> Reflection:
    p = event.payload
    return Reflection(
        id=p["reflection"],
        text=p["text"],
        day=date.fromisoformat(p["day"]) if p.get("day") else None,
        exercise=p.get("exercise"),
        step=p.get("step"),
        prompt=p.get("prompt"),
        participant=p.get("participant"),
        location=p.get("location"),
        consent=bool(p.get("consent")),
        logged_at=event.at,
        logged_by=event.actor,
    )


def _with_reflection(state: SessionState, reflection: Reflection) -> SessionState:
    reflections = dict(state.reflections)
    reflections[reflection.id] = reflection
    return replace(state, reflections=MappingProxyType(reflections))


def _close_last_visit(visits: tuple[Visit, ...], at: datetime) -> tuple[Visit, ...]:
    if visits and visits[-1].left_at is None:
        return (*visits[:-1], replace(visits[-1], left_at=at))
    return visits


def _enter(state: SessionState, event: Event, payload: Mapping[str, Any]) -> SessionState:
    assert state.programme is not None
    day = date.fromisoformat(payload["day"])
    exercise = state.programme.exercise_by_id[payload["exercise"]]
    step = next(s for s in exercise.steps if s.id == payload["step"])
    visits = (
        *_close_last_visit(state.visits, event.at),
        Visit(day=day, exercise=exercise.id, step=step.id, entered_at=event.at),
    )
    timer = Timer(entered_at=event.at, planned=step.duration)
    return replace(state, day=day, exercise=exercise.id, step=step.id, timer=timer, visits=visits)


def apply(state: SessionState, event: Event) -> SessionState:
    """The state after ``event``. Unknown kinds change nothing, so older code can read newer logs."""
    p = event.payload
    timer = state.timer
    if event.kind == ev.RUN_CREATED:
        state = replace(state, programme=Programme.model_validate(p["programme"]))
    elif event.kind == ev.DAY_OPENED:
        state = replace(
            state,
            day=date.fromisoformat(p["day"]),
            exercise=None,
            step=None,
            timer=None,
            visits=_close_last_visit(state.visits, event.at),
        )
    elif event.kind == ev.STEP_ENTERED:
        state = _enter(state, event, p)
    elif event.kind == ev.TIMER_PAUSED and timer is not None and not timer.paused:
        state = replace(state, timer=replace(timer, paused_since=event.at))
    elif event.kind == ev.TIMER_RESUMED and timer is not None and timer.paused_since is not None:
        paused_for = event.at - timer.paused_since
        state = replace(state, timer=replace(timer, paused_since=None, paused_total=timer.paused_total + paused_for))
    elif event.kind == ev.TIMER_ADJUSTED and timer is not None:
        state = replace(state, timer=replace(timer, adjustment=timer.adjustment + timedelta(seconds=p["seconds"])))
    elif event.kind == ev.REFLECTION_LOGGED and p["reflection"] not in state.reflections:
        state = _with_reflection(state, _reflection_from(event))
    elif event.kind == ev.REFLECTION_EDITED and p["reflection"] in state.reflections:
        old = state.reflections[p["reflection"]]
        changes: dict[str, Any] = {k: p[k] for k in ("text", "participant", "location") if k in p}
        if "consent" in p:
            changes["consent"] = bool(p["consent"])
        state = _with_reflection(state, replace(old, edited_at=event.at, **changes))
    elif event.kind == ev.REFLECTION_RETRACTED and p["reflection"] in state.reflections:
        state = _with_reflection(state, replace(state.reflections[p["reflection"]], retracted=True))
    return replace(state, last_seq=event.seq)


def fold(events: Iterable[Event], state: SessionState | None = None) -> SessionState:
    for event in events:
        state = apply(state or SessionState(), event)
    return state or SessionState()
