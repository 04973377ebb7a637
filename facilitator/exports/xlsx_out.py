"""XLSX: one workbook, a sheet per table, with typed cells, a frozen header row and filters (openpyxl).

The workbook is written in openpyxl's write-only mode, which streams each sheet's rows to disk, so a
hundred thousand reflections do not sit in memory. Times are written as the spreadsheet's own date-times
(which have no time zone): a UTC column holds UTC wall time, a local one the location's wall time, as its
header says.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from facilitator.exports.inert import FORMULA_STARTS, visible
from facilitator.exports.tables import BOOL, DATE, DATETIME, INT, MINUTES, NUMBER, SHARE, Table

FILE = "export.xlsx"
_FORMATS = {
    DATETIME: "yyyy-mm-dd hh:mm:ss",
    DATE: "yyyy-mm-dd",
    MINUTES: "0.0",
    SHARE: "0.0%",
    NUMBER: "0.00",
    INT: "0",
}
_WIDTHS = {DATETIME: 20, DATE: 12, MINUTES: 10, SHARE: 10, NUMBER: 10, INT: 10, BOOL: 9}


class _Sink:
    def __init__(self, workbook: Any, table: Table) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self._cell = WriteOnlyCell
        self.sheet = workbook.create_sheet(title=table.name[:31])
        self.columns = table.columns
        for index, column in enumerate(table.columns, start=1):
            width = _WIDTHS.get(column.kind, 40 if column.untrusted else 18)
            self.sheet.column_dimensions[get_column_letter(index)].width = max(width, len(column.name) + 2)
        self.sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for name in table.header:
            cell = WriteOnlyCell(self.sheet, value=name)
            cell.font = bold
            header.append(cell)
        self.sheet.append(header)
        self.rows = 0
        self._last_column = get_column_letter(len(table.columns))
        self._kinds = [column.kind for column in table.columns]

    def row(self, values: tuple[Any, ...]) -> None:
        cells: list[Any] = []
        for kind, value in zip(self._kinds, values, strict=True):
            if value is None:
                cells.append(None)
            elif kind == DATETIME:
                cell = self._cell(self.sheet, value=_wall_time(value))
                cell.number_format = _FORMATS[DATETIME]
                cells.append(cell)
            elif kind in _FORMATS:
                cell = self._cell(self.sheet, value=value)
                cell.number_format = _FORMATS[kind]
                cells.append(cell)
            elif kind == BOOL:
                cells.append(bool(value))
            else:
                cells.append(self._text(str(value)))
        self.sheet.append(cells)
        self.rows += 1

    def _text(self, text: str) -> Any:
        # openpyxl refuses control characters, and would store text starting with "=" as a formula: every text
        # cell is stored as text, and one that looks like a formula also gets Excel's quote prefix, so that
        # editing the cell does not turn it into one either.
        text = visible(text)
        cell = self._cell(self.sheet, value=text)
        cell.data_type = "s"
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
        return cell

    def close(self) -> None:
        self.sheet.auto_filter.ref = f"A1:{self._last_column}{self.rows + 1}"


def _wall_time(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


class XlsxWriter:
    def __init__(self, folder: Path) -> None:
        from openpyxl import Workbook

        self.path = folder / FILE
        self.workbook = Workbook(write_only=True)

    def table(self, table: Table) -> _Sink:
        return _Sink(self.workbook, table)

    def close(self) -> list[Path]:
        self.workbook.save(self.path)
        return [self.path]
