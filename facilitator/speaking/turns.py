"""The turns on the record, folded: who had the floor, from when to when, at which step.

Kept beside the session state as the groups are (facilitator.groups.groupings). A turn is immutable: ending
one replaces it, so a reader (a screen on another thread) holding one sees it whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from facilitator.record import events as ev
from facilitator.record.clock import from_text, to_text
from facilitator.record.events import Event


@dataclass(frozen=True, slots=True)
class Turn:
    """One participant's turn to speak, at the step current when it began, as a facilitator tallied it."""

    id: str
    participant: str
    day: date | None
    exercise: str | None
    step: str | None
    started: datetime
    ended: datetime | None  # None: still speaking
    by: str  # the facilitator who tallied it

    def until(self, now: datetime) -> datetime:
        return self.ended if self.ended is not None else max(now, self.started)

    def length(self, now: datetime) -> timedelta:
        return self.until(now) - self.started


class Speaking:
    """Every turn of the run, in the order started, and whether the room view shows the tally."""

    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self._index: dict[str, int] = {}
        self._open: int | None = None
        self.shown = False
        self.version = 0  # counts the changes folded in: a reader that kept it knows whether any came since

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> Speaking:
        speaking = cls()
        for event in events:
            speaking.apply(event)
        return speaking

    def dump(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        """Everything folded, as JSON, for a checkpoint (facilitator.live.checkpoint); :meth:`load` reads it."""
        turns = [
            [
                t.id,
                t.participant,
                t.day.isoformat() if t.day else None,
                t.exercise,
                t.step,
                to_text(t.started),
                to_text(t.ended) if t.ended else None,
                t.by,
            ]
            for t in self.turns
        ]
        return {"turns": turns, "open": self._open, "shown": self.shown, "version": self.version}, {}

    @classmethod
    def load(cls, doc: Mapping[str, Any], parts: Mapping[str, bytes]) -> Speaking:
        speaking = cls()
        for tid, person, day, exercise, step, started, ended, by in doc["turns"]:
            speaking._index[tid] = len(speaking.turns)
            speaking.turns.append(
                Turn(
                    tid,
                    person,
                    date.fromisoformat(day) if day else None,
                    exercise,
                    step,
                    from_text(started),
                    from_text(ended) if ended else None,
                    by,
                )
            )
        speaking._open = doc["open"]
        speaking.shown = doc["shown"]
        speaking.version = doc["version"]
        return speaking

    @property
    def open(self) -> Turn | None:
        """The turn running now, if any."""
        return self.turns[self._open] if self._open is not None else None

    def by_id(self, turn: str) -> Turn | None:
        index = self._index.get(turn)
        return self.turns[index] if index is not None else None

    def apply(self, event: Event) -> None:
        p = event.payload
        if event.kind == ev.SPEAKING_STARTED:
            if p.get("turn") in self._index:
                return
            self._end(event.at)
            self._index[p["turn"]] = len(self.turns)
            self._open = len(self.turns)
            self.turns.append(
                Turn(
                    id=p["turn"],
                    participant=p["participant"],
                    day=date.fromisoformat(p["day"]) if p.get("day") else None,
                    exercise=p.get("exercise"),
                    step=p.get("step"),
                    started=event.at,
                    ended=None,
                    by=event.actor,
                )
            )
            self.version += 1
        elif event.kind == ev.SPEAKING_STOPPED:
            if self._open is not None and self.turns[self._open].id == p.get("turn"):
                self._end(event.at)
        elif event.kind == ev.SPEAKING_SHOWN:
            if bool(p.get("shown")) != self.shown:
                self.shown = bool(p.get("shown"))
                self.version += 1
        elif event.kind == ev.DAY_CLOSED:
            # A turn left running when the day ends stops there, not the next morning (a closing written
            # later than its ``at``, an inferred end, ends the turn at that end).
            turn = self.open
            at = _at(p.get("at"), event.at)
            if turn is not None and turn.started <= at:
                self._end(at)

    def _end(self, at: datetime) -> None:
        if self._open is None:
            return
        turn = self.turns[self._open]
        self.turns[self._open] = replace(turn, ended=max(at, turn.started))
        self._open = None
        self.version += 1


def _at(text: object, fallback: datetime) -> datetime:
    if isinstance(text, str):
        try:
            return from_text(text)
        except ValueError:
            pass
    return fallback
