"""A step's breakout groups (issue 17): what the make-groups form proposes, and the groups a step asks for in the
script (``groups:``), made as the driver enters it.

Entering a step that asks for groups makes them with the script's settings, but only if none were made for that
day and step yet (going back to the step, or entering it again, keeps the groups it has) and at least two
people are checked in; otherwise :func:`on_entering` says why not, and nothing is recorded. Kept apart from
entering the step itself: a step is entered whatever the room, and groups that cannot be made must not stop it.

The older ``grouping:`` field (``{by: random, size: 5}``, ``location``, ``role``, ``self-selected``) stays the
facilitator's hint: it describes groupings the app does not make. Only ``by: random`` with a size is something
the app can make, so the form proposes that size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from facilitator.groups import rules
from facilitator.groups.groupings import Grouping
from facilitator.live.session import Session
from facilitator.problems import InputError
from facilitator.script.models import GroupBy, Step

DEFAULT_SIZE = 4  # what the form proposes when the step says nothing


@dataclass(frozen=True)
class Proposal:
    """What the make-groups form starts from."""

    size: int | None = DEFAULT_SIZE
    count: int | None = None
    mix: tuple[str, ...] = rules.MIX
    call: str | None = None
    duration: timedelta | None = None


def proposed(step: Step | None) -> Proposal:
    """The step's ``groups:`` if it has one; else the size of a ``grouping: {by: random, size: N}``; else groups
    of :data:`DEFAULT_SIZE` mixing location and gender."""
    if step is not None and step.groups is not None:
        asked = step.groups
        return Proposal(asked.size, asked.count, tuple(by.value for by in asked.mix), asked.call, asked.duration)
    hint = step.grouping if step is not None else None
    if hint is not None and hint.by is GroupBy.RANDOM and hint.size is not None:
        return Proposal(size=hint.size)
    return Proposal()


@dataclass(frozen=True)
class StepGroups:
    """What entering a step that asks for groups did: the groups made, or why none were."""

    made: Grouping | None
    why_not: str | None = None  # one line, when none were made
    earlier: Grouping | None = None  # the groups made for this day and step before, which it keeps


def on_entering(session: Session) -> StepGroups | None:
    """After the driver entered a step: make the groups its script asks for, if none were made for this day and
    step yet. None when the current step asks for no groups. Refusals (fewer than two people checked in, a size
    larger than the people there, control passed on meanwhile) come back as ``why_not``: nothing is recorded."""
    session.refresh()
    state = session.state
    current = state.current
    if current is None or current.step.groups is None:
        return None
    where = (state.day, current.exercise.id, current.step.id)
    earlier = next((g for g in reversed(session.groups.groupings) if (g.day, g.exercise, g.step) == where), None)
    if earlier is not None:
        return StepGroups(None, "this step's groups were made already", earlier)
    asked = proposed(current.step)
    try:
        event = session.make_groups(
            size=asked.size, count=asked.count, mix=asked.mix, call_pattern=asked.call, duration=asked.duration
        )
    except InputError as exc:
        return StepGroups(None, " ".join(exc.lines()))
    return StepGroups(session.groups.by_id(event.payload["grouping"]))
