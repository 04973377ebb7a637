"""CSV, one file per table: UTF-8 with a byte-order mark, so spreadsheet programs show accents right.

A cell of participant text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would
be read as a formula by a spreadsheet program (CSV injection); such cells get a leading apostrophe, which
the spreadsheet shows as text and hides.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from facilitator.exports.tables import Table
from facilitator.exports.writers import as_text

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _untrusted(value: Any) -> str:
    return "" if value is None else neutralise(str(value))


class _Sink:
    def __init__(self, path: Path, table: Table) -> None:
        self.path = path
        self._file = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._file)
        self._writer.writerow(table.header)
        self._cells = [_untrusted if c.untrusted else as_text(c.kind) for c in table.columns]

    def row(self, values: tuple[Any, ...]) -> None:
        self._writer.writerow([cell(v) for cell, v in zip(self._cells, values, strict=True)])

    def close(self) -> None:
        self._file.close()


class CsvWriter:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[Path] = []

    def table(self, table: Table) -> _Sink:
        sink = _Sink(self.folder / f"{table.name}.csv", table)
        self.written.append(sink.path)
        return sink

    def close(self) -> list[Path]:
        return self.written
