"""The tables an export writes, described once so that every output format types them the same way."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Column kinds: how each writer renders a value. Datetimes are aware; a "local" datetime keeps its zone.
TEXT = "text"
INT = "int"
MINUTES = "minutes"  # a float number of minutes, rounded to a tenth
SHARE = "share"  # a float between 0 and 1
DATETIME = "datetime"
DATE = "date"
BOOL = "bool"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT
    # Text that came from a participant or an organiser's spreadsheet: neutralised against formula injection
    # in CSV (a formula in a name or a reflection must stay text when the file is opened in a spreadsheet).
    untrusted: bool = False


@dataclass(frozen=True)
class Table:
    name: str  # the file name without extension, and the XLSX sheet's title
    title: str
    columns: tuple[Column, ...]
    rows: Iterable[tuple[Any, ...]]  # may be a generator: read once, while it is written

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]


def minutes_value(seconds: float) -> float:
    return round(seconds / 60, 1)
