"""JSON, one file per table: an array of objects, written as the rows come.

JSON is data, not a spreadsheet: a formula stays as written. Control and bidi characters in text are
shown as escapes, as in every other table format (facilitator.exports.inert), so a cell reads the same in
the CSV, the workbook and here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from facilitator.exports.inert import visible
from facilitator.exports.tables import BOOL, DATE, DATETIME, INT, MINUTES, NUMBER, SHARE, Table
from facilitator.exports.writers import as_text


def _same(value: Any) -> Any:
    return value


def _text(value: Any) -> Any:
    return visible(value) if isinstance(value, str) else value


def _number(value: Any) -> Any:
    return None if value is None else round(value, 1)


def _share(value: Any) -> Any:
    return None if value is None else round(value, 4)


def _decimal(value: Any) -> Any:
    return None if value is None else round(value, 2)


def _iso(kind: str) -> Any:
    text = as_text(kind)
    return lambda value: None if value is None else text(value)


_VALUE_OF = {
    DATETIME: _iso(DATETIME),
    DATE: _iso(DATE),
    MINUTES: _number,
    SHARE: _share,
    NUMBER: _decimal,
    BOOL: _same,
    INT: _same,
}


class _Sink:
    def __init__(self, path: Path, table: Table) -> None:
        self.path = path
        self._file = path.open("w", encoding="utf-8", newline="\n")
        self._names = table.header
        self._values = [_VALUE_OF.get(c.kind, _text) for c in table.columns]
        self._first = True
        self._file.write("[")

    def row(self, values: tuple[Any, ...]) -> None:
        item = {name: value(v) for name, value, v in zip(self._names, self._values, values, strict=True)}
        self._file.write("\n" if self._first else ",\n")
        self._file.write(json.dumps(item, ensure_ascii=False))
        self._first = False

    def close(self) -> None:
        self._file.write("\n]\n")
        self._file.close()


class JsonWriter:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[Path] = []

    def table(self, table: Table) -> _Sink:
        sink = _Sink(self.folder / f"{table.name}.json", table)
        self.written.append(sink.path)
        return sink

    def close(self) -> list[Path]:
        return self.written
