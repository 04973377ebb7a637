"""CSV, one file per table: UTF-8 with a byte-order mark, so spreadsheet programs show accents right.

Every text cell, whoever wrote it (a participant, an organiser's roster, a script's author), is made inert
(facilitator.exports.inert): control and bidi characters are shown as escapes, and a cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, which a spreadsheet
program shows as text and hides (no CSV injection). Numbers, times and yes/no cells are the app's own.

Each cell is quoted as the csv module quotes it (Excel's dialect, only where needed) and the cells are joined
by commas: the bytes the csv module writes, without its pass over every character of every row. A table may
bring its rows as lines made already (:attr:`Table.csv_lines`), with the cell functions here.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from facilitator.exports.inert import FORMULA_STARTS, formula_safe, visible
from facilitator.exports.tables import BOOL, DATE, DATETIME, MINUTES, NUMBER, SHARE, TEXT, Column, Table
from facilitator.exports.writers import as_text

ROWS = 1000  # per write to the file
# Kinds whose text never holds a comma, a double quote or a line break: dates, times, numbers, yes/no.
_PLAIN = frozenset({DATE, DATETIME, MINUTES, SHARE, NUMBER, BOOL})


def quoted(cell: str) -> str:
    """``cell`` as the csv module writes it (Excel's dialect, quoting only where needed): in double quotes,
    its own doubled, when it holds a comma, a double quote or a line break; else as it is."""
    if "," in cell or '"' in cell or "\n" in cell or "\r" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def fresh(text: str) -> str:
    """A text cell as the CSV writer writes it: made inert, then quoted. For a text seen once (an id, a
    reflection); :func:`cell` remembers the ones that come row after row."""
    if text.isprintable():  # the usual case, in one call: nothing to escape, and no line break to quote for
        if text.startswith(FORMULA_STARTS):
            text = "'" + text
        return '"' + text.replace('"', '""') + '"' if "," in text or '"' in text else text
    return quoted(formula_safe(visible(text)))


_inert = functools.lru_cache(maxsize=4096)(fresh)  # locations, statuses, titles and names come row after row


def _text(value: Any) -> str:
    if value.__class__ is str:
        return _inert(value)
    return "" if value is None else _inert(str(value))


cell = _text  # a text cell (None: empty) as the CSV writer writes it, for a table that writes its own lines


class Memo:
    """Text cells as :func:`cell` writes them, remembered for the values a table's column repeats (ids of steps,
    locations, names): up to ``size`` of them, so memory stays flat whatever the values."""

    def __init__(self, size: int = 4096) -> None:
        self._known: dict[str | None, str] = {}
        self._size = size

    def __call__(self, value: str | None) -> str:
        found = self._known.get(value)
        if found is None:
            found = _text(value)
            if len(self._known) < self._size:
                self._known[value] = found
        return found


def _other(kind: str) -> Any:
    text = as_text(kind)
    return text if kind in _PLAIN else lambda value: quoted(text(value))


def _line(cells: list[str]) -> str:
    line = ",".join(cells)
    return line + "\r\n" if line or len(cells) != 1 else '""\r\n'  # a row of one empty cell is quoted


class Cells:
    """Values of ``columns`` as CSV cells joined by commas: each as its kind writes it, made inert if it is
    text, quoted as the csv module would. A part of a line, for a table that writes its own lines."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self._cells = [_text if c.kind == TEXT else _other(c.kind) for c in columns]

    def __call__(self, values: Sequence[Any]) -> str:
        return ",".join([cell(v) for cell, v in zip(self._cells, values, strict=True)])


class Lines:
    """The rows of ``table`` as CSV lines, line ends included; ``header`` is its first."""

    def __init__(self, table: Table) -> None:
        self._cells = [_text if c.kind == TEXT else _other(c.kind) for c in table.columns]
        self.header = _line([quoted(name) for name in table.header])

    def __call__(self, values: tuple[Any, ...]) -> str:
        return _line([cell(v) for cell, v in zip(self._cells, values, strict=True)])


class _Sink:
    def __init__(self, path: Path, table: Table) -> None:
        self.path = path
        self._file = path.open("w", encoding="utf-8", newline="")
        self._file.write("\ufeff")  # the byte-order mark, as utf-8-sig writes it (whose encoder is slow per row)
        self._render = Lines(table)
        self._lines: list[str] = [self._render.header]

    def row(self, values: tuple[Any, ...]) -> None:
        self._lines.append(self._render(values))
        if len(self._lines) >= ROWS:
            self._flush()

    def lines(self, lines: list[str]) -> None:
        """Rows rendered already (:attr:`Table.csv_lines`), a thousand or so: written at once."""
        self._lines.extend(lines)
        self._flush()

    def _flush(self) -> None:
        self._file.write("".join(self._lines))
        self._lines.clear()

    def close(self) -> None:
        self._flush()
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
