"""Time comes from a clock passed in, so tests and replays control it; nothing reads the wall clock directly."""

from __future__ import annotations

import functools
import json
import os
import time
import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Protocol

from facilitator.problems import InputError


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


class ScaledClock:
    """Simulated time for rehearsals and soak tests: real time since ``real_start``, sped up ``factor`` times.

    Several processes given the same figures agree on the time; a later segment (real start, simulated
    start) jumps the simulated clock, e.g. over the night to the next day's morning.
    """

    def __init__(self, segments: list[tuple[float, datetime]], factor: float) -> None:
        if not segments or factor <= 0:
            raise ValueError("a scaled clock needs at least one segment and a positive factor")
        self.segments = sorted(segments)
        self.factor = factor

    def now(self) -> datetime:
        real = time.time()
        real_start, sim_start = self.segments[0]
        for segment in self.segments:
            if segment[0] <= real:
                real_start, sim_start = segment
        return sim_start + timedelta(seconds=(real - real_start) * self.factor)

    def to_env(self) -> str:
        return json.dumps({"factor": self.factor, "segments": [[r, to_text(s)] for r, s in self.segments]})

    @classmethod
    def from_env(cls, text: str) -> ScaledClock:
        spec = json.loads(text)
        return cls([(float(r), from_text(s)) for r, s in spec["segments"]], float(spec["factor"]))


CLOCK_ENV = "FACILITATOR_CLOCK"


def default_clock() -> Clock:
    """The wall clock, unless ``FACILITATOR_CLOCK`` describes a :class:`ScaledClock` (rehearsals, soak tests)."""
    spec = os.environ.get(CLOCK_ENV)
    if not spec:
        return SystemClock()
    try:
        return ScaledClock.from_env(spec)
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{CLOCK_ENV}: not a clock description ({exc})") from None


@functools.cache
def zone(name: str) -> zoneinfo.ZoneInfo:
    """The time zone ``name``, read from disk once per process.

    ``ZoneInfo`` keeps only the eight zones used last: a screen showing the local time of nine locations
    every second would read the zone files again each time.
    """
    return zoneinfo.ZoneInfo(name)


def to_text(moment: datetime) -> str:
    """UTC, to the microsecond, sortable as text."""
    # isoformat is several times faster than strftime, and this runs once per event written.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_text(text: str) -> datetime:
    # fromisoformat reads the trailing Z since Python 3.11, and is ten times faster than strptime.
    return datetime.fromisoformat(text)
