"""The times of a video-call report: their shapes, and whether the whole file writes the day or the month first.

A report writes its times in the regional format of whoever downloaded it: ``8/22/2022, 10:00:00 AM``,
``22/08/22, 14:00:05``, ``13/04/2021 à 09:01:31``, ``22.08.2022 um 14:00``, ``2022-08-22 14:00``. The
order of day and month is decided once for the whole file, never row by row: a first field above 12
anywhere settles it, then the language of the report, then the workshop's days; otherwise the import is
refused and ``--date-order`` settles it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from facilitator.attendance.report_vocabulary import DAY_FIRST_LANGUAGES

DMY, MDY = "dmy", "mdy"
ORDERS = (DMY, MDY)

# What stands between the date and the time, per language: "à" (French), "at" (English), "um" (German),
# "a las" / "a la" (Spanish), "às" (Portuguese). Only the comma and "at" say nothing of the order.
_CONNECTORS = {"à": "fr", "a": "fr", "um": "de", "a las": "es", "a la": "es", "às": "pt", "as": "pt", "at": "en"}
_CONNECTOR = "|".join(sorted((re.escape(c) for c in _CONNECTORS), key=len, reverse=True))
_STAMP = re.compile(
    rf"""^(?P<a>\d{{1,4}})(?P<sep>[./-])(?P<b>\d{{1,2}})(?P=sep)(?P<c>\d{{1,4}})
    (?:T|\s*,\s*|\s+(?:(?P<word>{_CONNECTOR})\s+)?)
    (?P<hour>\d{{1,2}}):(?P<minute>\d{{2}})(?::(?P<second>\d{{2}})(?:[.,](?P<fraction>\d{{1,6}}))?)?
    \s*(?P<meridiem>[ap]\.?\s?m\.?)?$""",
    re.IGNORECASE | re.VERBOSE,
)
_OFFSET = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$")
# Only text of this shape is ever quoted back in a message: a shifted column may hold a person's name.
_SAFE_TO_QUOTE = re.compile(
    rf"^\d[\d\s/.:,+\-TZ]*(?:\s(?:{_CONNECTOR})\s[\d\s:]*)?(?:\s?[ap]\.?\s?m\.?)?$", re.IGNORECASE
)


@dataclass(frozen=True)
class Stamp:
    """One time as the report writes it, and where."""

    line: int
    column: str
    text: str


@dataclass(frozen=True)
class Shape:
    """A local time's fields before day and month are told apart."""

    first: int
    second: int
    year: int  # four digits
    year_first: bool  # 2022-08-22: never ambiguous
    dotted: bool  # 22.08.2022: written day first wherever it is used
    language: str | None  # of the word between date and time, if any
    clock: tuple[int, int, int, int]  # hour (0-23), minute, second, microsecond
    twelve_hour: bool


def shape_of(text: str) -> Shape | None:
    """The fields of a local time, or None when it is no time this module reads."""
    found = _STAMP.match(" ".join(text.split()))
    if found is None:
        return None
    a, b, c = (int(found[k]) for k in "abc")
    year_first = len(found["a"]) == 4
    year = a if year_first else c
    if not year_first and len(found["c"]) not in (2, 4):
        return None
    clock = _clock(found)
    if clock is None:
        return None
    word = (found["word"] or "").casefold()
    return Shape(
        first=b if year_first else a,
        second=c if year_first else b,
        year=year + 2000 if year < 100 else year,
        year_first=year_first,
        dotted=found["sep"] == ".",
        language=_CONNECTORS.get(word),
        clock=clock,
        twelve_hour=found["meridiem"] is not None,
    )


def _clock(found: re.Match[str]) -> tuple[int, int, int, int] | None:
    hour, minute = int(found["hour"]), int(found["minute"])
    second = int(found["second"] or 0)
    micro = int((found["fraction"] or "0").ljust(6, "0"))
    meridiem = (found["meridiem"] or "").replace(".", "").replace(" ", "").casefold()
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second, micro


def local_time(shape: Shape, order: str | None) -> datetime | None:
    """The naive local time ``shape`` stands for in ``order`` (year-first shapes need none), or None."""
    if shape.year_first:
        month, day = shape.first, shape.second
    elif order == DMY:
        day, month = shape.first, shape.second
    elif order == MDY:
        month, day = shape.first, shape.second
    else:
        return None
    try:
        return datetime(shape.year, month, day, *shape.clock)
    except ValueError:
        return None


def stated_time(text: str) -> datetime | None:
    """An ISO 8601 time that states its offset (``2022-08-22T12:01:33Z``), in UTC, else None."""
    value = text.strip()
    if not _OFFSET.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def quotable(text: str) -> bool:
    return bool(_SAFE_TO_QUOTE.match(text)) and len(text) <= 40


@dataclass(frozen=True)
class Decision:
    """Whether a report's dates are read day first or month first, and what decided it."""

    order: str | None  # None: the file does not say, and nothing else did
    why: str  # for the summary: how the order was decided


def decide_order(
    shapes: Sequence[Shape],
    *,
    language: str | None,
    asked: str | None,
    days: Sequence[date],
) -> Decision:
    """Day first or month first, for every time of the file at once."""
    if asked is not None:
        return Decision(asked, f"--date-order {asked}")
    open_ = [s for s in shapes if not s.year_first and s.first != s.second]
    if not open_:
        return Decision(DMY, "no date is ambiguous")
    return _decide_open(open_, language, days)


def _decide_open(open_: Sequence[Shape], language: str | None, days: Sequence[date]) -> Decision:
    fits = [order for order in ORDERS if all(local_time(s, order) is not None for s in open_)]
    if len(fits) == 1:
        return Decision(fits[0], "the dates allow only this order")
    hinted = _hinted_order(open_, language)
    if not fits:  # some dates cannot be read either way: the order that reads most, and the rest are errors
        readable = {order: sum(local_time(s, order) is not None for s in open_) for order in ORDERS}
        best = max(ORDERS, key=lambda order: (readable[order], order == hinted))
        return Decision(best, "most of the dates")
    if hinted is not None:
        return Decision(hinted, "the report's language")
    on_days = [order for order in ORDERS if _all_on(open_, order, days)]
    if len(on_days) == 1:
        return Decision(on_days[0], "the workshop's days")
    return Decision(None, "nothing in the report settles the order")


def _hinted_order(shapes: Sequence[Shape], language: str | None) -> str | None:
    """Day first when the report is written the way only day-first regions write.

    A 12-hour clock overrides the column names: Teams writes its column names in the user's language
    but its times in the user's regional format, and a Portuguese report with ``8/22/2022, 10:00:00 AM``
    is a real one.
    """
    if any(s.twelve_hour for s in shapes):
        return None
    if any(s.dotted for s in shapes) or any(s.language in DAY_FIRST_LANGUAGES for s in shapes):
        return DMY
    return DMY if language in DAY_FIRST_LANGUAGES else None


def _all_on(shapes: Sequence[Shape], order: str, days: Sequence[date]) -> bool:
    wanted = set(days)
    for shape in shapes:
        local = local_time(shape, order)
        if local is None or local.date() not in wanted:
            return False
    return bool(wanted)
