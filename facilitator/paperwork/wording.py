"""How the paperwork words its figures: hours to a tenth, a course's dates."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date


def tenths_of_hours(minutes: float, *, up: bool = False) -> str:
    """Minutes as hours to a tenth, ``14.5`` or ``20``: attended time rounded down, a requirement up, so the
    figures never make an ineligible person look eligible (``16 h of 16 h``)."""
    tenths = minutes / 6
    # A hair of slack: 870 minutes is exactly 14.5 h, whatever the float arithmetic says.
    rounded = math.ceil(tenths - 1e-6) if up else math.floor(tenths + 1e-6)
    return f"{rounded / 10:g}"


def hours_attended(minutes: float) -> str:
    """``14.5 hours attended``, ``1 hour attended``."""
    hours = tenths_of_hours(minutes)
    return f"{hours} hour{'' if hours == '1' else 's'} attended"


MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def date_range(first: date, last: date, months: Sequence[str] = MONTHS) -> str:
    """``22–26 August 2022``, ``29 August – 2 September 2022``, ``30 December 2022 – 3 January 2023``, with
    ``months``' names (January first)."""

    def month(day: date) -> str:
        return months[day.month - 1]

    if first == last:
        return f"{first.day} {month(first)} {first.year}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {month(last)} {last.year}"
    if first.year == last.year:
        return f"{first.day} {month(first)} – {last.day} {month(last)} {last.year}"
    return f"{first.day} {month(first)} {first.year} – {last.day} {month(last)} {last.year}"
