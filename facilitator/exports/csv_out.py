"""CSV, one file per table: UTF-8 with a byte-order mark, so spreadsheet programs show accents right.

Every text cell, whoever wrote it (a participant, an organiser's roster, a script's author), is made inert
(facilitator.exports.inert): control and bidi characters are shown as escapes, and a cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, which a spreadsheet
program shows as text and hides (no CSV injection). Numbers, times and yes/no cells are the app's own.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from typing import Any

from facilitator.exports.inert import formula_safe, visible
from facilitator.exports.tables import TEXT, Table
from facilitator.exports.writers import as_text


@functools.lru_cache(maxsize=4096)  # locations, statuses, titles and names come row after row
def neutralise(text: str) -> str:
    return formula_safe(visible(text))


def _text(value: Any) -> str:
    return "" if value is None else neutralise(str(value))


class _Sink:
    def __init__(self, path: Path, table: Table) -> None:
        self.path = path
        self._file = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._file)
        self._writer.writerow(table.header)
        self._cells = [_text if c.kind == TEXT else as_text(c.kind) for c in table.columns]

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
