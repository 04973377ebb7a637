"""Time comes from a clock passed in, so tests and replays control it; nothing reads the wall clock directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2022, 8, 22, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | float) -> None:
        self._now += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)


def to_text(moment: datetime) -> str:
    """UTC, to the microsecond, sortable as text."""
    # isoformat is several times faster than strftime, and this runs once per event written.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_text(text: str) -> datetime:
    # fromisoformat reads the trailing Z since Python 3.11, and is ten times faster than strptime.
    return datetime.fromisoformat(text)
