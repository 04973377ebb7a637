"""What every table writer offers: open a table, take its rows one at a time, close; and shared cell text."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from facilitator.exports.tables import BOOL, DATE, DATETIME, INT, MINUTES, NUMBER, SHARE, Table


class Sink(Protocol):
    def row(self, values: tuple[Any, ...]) -> None: ...

    def close(self) -> None: ...


class Writer(Protocol):
    def table(self, table: Table) -> Sink: ...

    def close(self) -> list[Path]: ...


_TWO = tuple(f"{n:02d}" for n in range(100))


def iso(moment: datetime) -> str:
    """UTC as ``2022-08-22T07:05:00Z``, any other zone with its offset: ``2022-08-22T09:05:00+02:00``.

    As ``isoformat(timespec="seconds")`` writes it (and its "+00:00" as "Z"), put together from the parts: the
    register writes tens of thousands, and isoformat parses its format again for each, taking three times as long.
    """
    m = moment
    text = f"{m.year:04d}-{_TWO[m.month]}-{_TWO[m.day]}T{_TWO[m.hour]}:{_TWO[m.minute]}:{_TWO[m.second]}"
    if m.tzinfo is UTC:
        return text + "Z"
    offset = m.utcoffset()
    return text + _offset(offset) if offset is not None else text


@functools.lru_cache(maxsize=256)
def _offset(offset: timedelta) -> str:
    """An offset from UTC as isoformat writes it: ``+02:00``, ``-00:44:30``."""
    return datetime(2000, 1, 1, tzinfo=timezone(offset)).isoformat()[19:]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _datetime(value: Any) -> str:
    return "" if value is None else iso(value)


def _date(value: Any) -> str:
    return "" if value is None else date.isoformat(value)


def _minutes(value: Any) -> str:
    return "" if value is None else f"{value:.1f}"


def _share(value: Any) -> str:
    return "" if value is None else f"{value:.3f}"


def _number(value: Any) -> str:
    return "" if value is None else f"{value:.2f}"


def _bool(value: Any) -> str:
    return "" if value is None else ("yes" if value else "no")


TEXT_OF = {DATETIME: _datetime, DATE: _date, MINUTES: _minutes, SHARE: _share, NUMBER: _number, BOOL: _bool, INT: _text}


def as_text(kind: str) -> Any:
    """How a value of column ``kind`` reads as text, in CSV and Markdown alike."""
    return TEXT_OF.get(kind, _text)
