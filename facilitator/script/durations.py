"""Durations as workshop scripts write them: ``10m``, ``1h30m``, ``90s``."""

from __future__ import annotations

import re
from datetime import timedelta

_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}
# Units must come in h, m, s order and each at most once, so "10m5h" is refused.
_DURATION = re.compile(r"(?:(?P<h>\d{1,3})h)?(?:(?P<m>\d{1,4})m)?(?:(?P<s>\d{1,5})s)?")
# Twelve hours is longer than any training day; a larger figure is a typo.
MAX_DURATION = timedelta(hours=12)
DURATION_PATTERN = r"^(\d{1,3}h)?(\d{1,4}m)?(\d{1,5}s)?$"


class DurationError(ValueError):
    """A duration that cannot be read, with a message meant for a person."""


def _shown(value: object) -> str:
    """``repr(value)`` cut short: the value may be a megabyte of text from a script."""
    try:
        shown = repr(value)
    except ValueError:  # an int of more than 4300 digits somewhere inside
        shown = type(value).__name__
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _no_unit(number: int) -> DurationError:
    if abs(number) >= 10**9:  # str() of a huge int raises ValueError (Python's 4300-digit limit)
        return DurationError("a bare number has no unit; write it like 10m, 1h30m or 90s")
    if number <= 0:
        return DurationError(f"{number} has no unit and is not longer than zero; write it like 10m, 1h30m or 90s")
    return DurationError(f"{number} has no unit; write {number}m for minutes or {number}s for seconds")


def parse_duration(text: object) -> timedelta:
    """Read ``1h30m`` and friends; refuse bare numbers, zero and absurd lengths."""
    if isinstance(text, timedelta):
        value = text
    elif isinstance(text, bool) or not isinstance(text, (str, int)):
        raise DurationError(f"{_shown(text)} is not a duration; write it like 10m, 1h30m or 90s")
    elif isinstance(text, int):
        raise _no_unit(text)
    else:
        cleaned = text.strip().lower().replace(" ", "")
        if cleaned.isascii() and cleaned.isdigit() and len(cleaned) < 10:
            raise _no_unit(int(cleaned))
        match = _DURATION.fullmatch(cleaned)
        if not cleaned or match is None:
            raise DurationError(f"{_shown(text)} is not a duration; write it like 10m, 1h30m or 90s")
        seconds = sum(int(v) * _UNIT_SECONDS[u] for u, v in match.groupdict().items() if v)
        value = timedelta(seconds=seconds)
    if value <= timedelta(0):
        raise DurationError("a duration must be longer than zero")
    if value > MAX_DURATION:
        raise DurationError(f"{format_duration(value)} is longer than {format_duration(MAX_DURATION)}")
    return value


def format_duration(value: timedelta) -> str:
    """The inverse of :func:`parse_duration`: ``timedelta(minutes=90)`` gives ``1h30m``."""
    total = int(value.total_seconds())
    if total <= 0:
        return "0s"
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (seconds, "s")) if n]
    return "".join(parts)
