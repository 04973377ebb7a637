"""The workbook reads back with openpyxl: a sheet per table, typed cells, frozen headers, filters."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from facilitator.script.models import Programme
from tests.test_export_run import WALK_IN, XSS, run_export


def test_xlsx_has_typed_sheets_with_frozen_headers_and_filters(tmp_path: Path, tiny_programme: Programme) -> None:
    out, _ = run_export(tmp_path, tiny_programme, formats=["xlsx"])
    book = load_workbook(out / "export.xlsx")
    assert book.sheetnames == [
        "attendance_by_block",
        "attendance_by_day",
        "attendance_summary",
        "attendance_by_gender",
        "certificates",
        "reflections",
        "quotes",
        "timeline_steps",
        "timeline_days",
        "groups",  # written by every run, empty when no groups were made
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref == f"A1:{get_column_letter(sheet.max_column)}{sheet.max_row}"

    days = book["attendance_by_day"]
    header = [c.value for c in days[1]]
    first = dict(zip(header, [c.value for c in days[2]], strict=True))
    assert first["name"] == "Amina Diallo"
    assert first["day"] == datetime(2022, 8, 22)  # a date cell (openpyxl reads dates as datetimes)
    assert days.cell(2, header.index("day") + 1).number_format == "yyyy-mm-dd"
    assert first["minutes"] == 45.0
    assert first["first_in_utc"] == datetime(2022, 8, 22, 6, 55)
    assert first["first_in_local"] == datetime(2022, 8, 22, 8, 55)  # Juba wall time
    assert days.cell(2, header.index("first_in_utc") + 1).number_format == "yyyy-mm-dd hh:mm:ss"

    certificates = book["certificates"]
    header = [c.value for c in certificates[1]]
    eligible = [row[header.index("eligible")] for row in certificates.iter_rows(min_row=2, values_only=True)]
    assert eligible == [True, True, False, False, False]
    shares = [row[header.index("attended_share")] for row in certificates.iter_rows(min_row=2, values_only=True)]
    assert shares[0] == 1  # 65 of 55 planned minutes: time beyond the plan does not push a share past 100%
    assert certificates.cell(2, header.index("attended_share") + 1).number_format == "0.0%"

    summary = book["attendance_summary"]
    assert [c.value for c in summary[2]][3:6] == [3, 4, 2]  # registered, expected (the workshop's), attended

    quotes = book["quotes"]
    texts = [(row[0].value, row[4].value, row[4].data_type) for row in quotes.iter_rows(min_row=2)]
    # text that starts with "=" stays text: never a formula
    assert texts == [
        ("Amina Diallo", "Budget lines need gender markers.", "s"),
        ("anonymous", XSS, "s"),
        (WALK_IN, "=1+1 is what I learnt", "s"),
    ]
    assert quotes.cell(4, 1).data_type == "s"
