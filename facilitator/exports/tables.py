"""The tables an export writes, described once so that every output format types them the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

# Column kinds: how each writer renders a value. Datetimes are aware; a "local" datetime keeps its zone.
TEXT = "text"
INT = "int"
MINUTES = "minutes"  # a float number of minutes, rounded to a tenth
SHARE = "share"  # a float between 0 and 1
NUMBER = "number"  # a float, a mean for instance, to two decimals
DATETIME = "datetime"
DATE = "date"
BOOL = "bool"


@dataclass(frozen=True)
class Column:
    """One column of an export's table: its header, the kind of value it holds (which each format renders its
    own way), and whether it is free text."""

    name: str
    kind: str = TEXT
    # Free text, written by a participant, an organiser's spreadsheet or a script's author: a wide column in
    # the workbook. Every text cell, marked or not, is made inert by every writer (facilitator.exports.inert):
    # control and bidi characters shown as escapes, and formulas kept as text in CSV and XLSX.
    untrusted: bool = False


@dataclass(frozen=True)
class Table:
    """One table an export writes, in every format asked for: its file name and title, its columns and its rows."""

    name: str  # the file name without extension, and the XLSX sheet's title
    title: str
    columns: tuple[Column, ...]
    rows: Iterable[tuple[Any, ...]]  # may be a generator: read once, while it is written
    # The same rows as the CSV writer writes them (facilitator.exports.csv_out), each a line with its line end
    # (or a piece of one: they are written one after another), made mostly by SQLite: what an export whose only
    # table format is CSV writes instead of ``rows``. None: the CSV writer renders ``rows``. Read once, like
    # ``rows``, and never both.
    csv_lines: Callable[[], Iterable[str]] | None = None

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]


def minutes_value(seconds: float) -> float:
    return round(seconds / 60, 1)


def each_text(table: Table, text: Callable[[str], str]) -> Table:
    """``table`` with ``text`` applied to every text cell as the rows go by (an anonymised export's scrubbing)."""
    is_text = [column.kind == TEXT for column in table.columns]

    def rows() -> Iterator[tuple[Any, ...]]:
        for row in table.rows:
            yield tuple(text(v) if t and isinstance(v, str) else v for t, v in zip(is_text, row, strict=True))

    return Table(table.name, table.title, table.columns, rows())
