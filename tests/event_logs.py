"""Attendance events made by hand for the folds' tests, numbered in order (seq 1, 2, ...)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from facilitator.attendance.intervals import Attendance
from facilitator.record import events as ev
from facilitator.record.clock import to_text
from facilitator.record.events import Event

T0 = datetime(2022, 8, 22, 8, 0, tzinfo=UTC)  # 10:00 in Juba, the tiny workshop's time zone


def text(moment: datetime) -> str:
    """``moment`` as a payload's ``at``: as the record writes it for UTC, else with its offset."""
    return to_text(moment) if moment.tzinfo is UTC else moment.isoformat()


class Log:
    """Events made by hand, numbered in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, kind: str, payload: dict[str, Any], at: datetime = T0, actor: str = "lead") -> Log:
        seq = len(self.events) + 1
        self.events.append(Event(seq=seq, id=f"e{seq}", at=at, actor=actor, kind=kind, payload=payload))
        return self

    def person(self, pid: str, location: str = "hq", email: str | None = None, **extra: Any) -> Log:
        payload = {
            "participant": pid,
            "name": pid.title(),
            "email": email or f"{pid}@example.org",
            "location": location,
        }
        return self.add(ev.PARTICIPANT_ADDED, payload | extra)

    def inn(self, pid: str, at: datetime | str, source: str | None = None, location: Any = None) -> Log:
        """A check-in; ``source`` None leaves it out of the payload (the fold reads it as the facilitator's)."""
        payload: dict[str, Any] = {"participant": pid, "at": at if isinstance(at, str) else text(at)}
        if source is not None:
            payload["source"] = source
        if location is not None:
            payload["location"] = location
        return self.add(ev.ATTENDANCE_CHECKED_IN, payload)

    def out(self, pid: str, at: datetime | str, source: str | None = None) -> Log:
        payload: dict[str, Any] = {"participant": pid, "at": at if isinstance(at, str) else text(at)}
        if source is not None:
            payload["source"] = source
        return self.add(ev.ATTENDANCE_CHECKED_OUT, payload)

    def mark(self, pid: str, day: date, status: str | None) -> Log:
        return self.add(ev.ATTENDANCE_MARKED, {"participant": pid, "day": day.isoformat(), "status": status})

    def link(self, location: str, status: str, at: datetime, actor: str = "lead") -> Log:
        return self.add(ev.LOCATION_LINK, {"location": location, "status": status}, at=at, actor=actor)

    def fold(self) -> Attendance:
        return Attendance.from_events(self.events)
