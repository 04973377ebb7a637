"""Nothing raw leaves the app (issue 23): control and bidi characters from participants or scripts are shown as
visible escapes in every text export, and every text cell from a person or a script is formula-protected."""

from __future__ import annotations

import copy
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from facilitator.exports.inert import formula_safe, json_inert, visible
from facilitator.exports.run import export
from facilitator.live.session import Session
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import TINY_PROGRAMME
from tests.test_export_run import read_csv

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
# the bidi controls, the marks, an isolate, ANSI escape, bell, DEL, a C1 control, a lone carriage return
RAW = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\x1b\x07\x7f\x85\r\x00]")
TEXT = f"I agree{RLO}txt.exe \x1b[31mred\x1b[0m \x07 \u2066iso\u2069 \u200fmark\r\nnext line\r done"
SEEN = "I agree\\u202etxt.exe \\x1b[31mred\\x1b[0m \\x07 \\u2066iso\\u2069 \\u200fmark\nnext line\\x0d done"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    spec: dict[str, Any] = copy.deepcopy(TINY_PROGRAMME)
    spec["workshop"]["locations"][0]["name"] = f"-2+3{RLO}HQ"
    spec["workshop"]["days"][0]["title"] = "@SUM(1,1)"
    spec["exercises"][0]["title"] = '+HYPERLINK("http://evil.example","x")'
    spec["exercises"][0]["steps"][0]["title"] = '=HYPERLINK("http://evil.example","click")'
    spec["exercises"][0]["steps"][1]["title"] = f"Pairs{RLO}sriap"
    programme = Programme.validate(spec)
    clock = FakeClock(datetime(2022, 8, 22, 6, 50, tzinfo=UTC))
    db = tmp_path / "run.db"
    Store.create(db, programme, actor="lead", clock=clock).close()
    with Store.open(db, clock=clock) as store:
        s = Session(store, actor="lead")
        clock.advance(timedelta(minutes=10))
        s.next_step()
        clock.advance(timedelta(minutes=12))
        s.next_step()
        clock.advance(timedelta(minutes=20))
        s.next_step()  # the reflection prompt
        s.log_reflection(TEXT, location="hq", consent=True)
        clock.advance(timedelta(minutes=5))
    export(db, tmp_path / "out", now=clock.now())
    return tmp_path / "out"


def test_the_escapes_and_the_apostrophe() -> None:
    assert visible(TEXT) == SEEN
    assert visible("Zoë said 你好\tand left\n") == "Zoë said 你好\tand left\n"  # letters, tabs, newlines stay
    assert [formula_safe(t) for t in ("=1", "+1", "-1", "@a", "\tx", "a=1", "")] == [
        "'=1", "'+1", "'-1", "'@a", "'\tx", "a=1", "",
    ]  # fmt: skip
    assert json.loads(json_inert(json.dumps(TEXT, ensure_ascii=False))) == TEXT  # the same data, inert


def _files(out: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in out.iterdir():
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                found |= {f"{path.name}:{part}": book.read(part).decode("utf-8") for part in book.namelist()}
        else:
            found[path.name] = path.read_text(encoding="utf-8-sig")
    return found


def test_no_control_or_bidi_character_in_any_file(out: Path) -> None:
    files = _files(out)
    assert {name.split(":")[0].split(".")[-1] for name in files} == {"csv", "json", "jsonl", "xlsx", "md", "html"}
    for name, text in files.items():
        assert not RAW.search(text.replace("\r\n", "\n")), (name, RAW.search(text.replace("\r\n", "\n")))


def test_escapes_are_visible_in_every_format_and_the_log_keeps_the_record(out: Path) -> None:
    (row,) = read_csv(out / "reflections.csv")
    assert row["text"] == SEEN
    assert json.loads((out / "reflections.json").read_text(encoding="utf-8"))[0]["text"] == SEEN
    assert load_workbook(out / "export.xlsx")["reflections"]["R2"].value == SEEN
    assert "\\u202etxt.exe" in (out / "report.md").read_text(encoding="utf-8")
    assert "\\u202etxt.exe" in (out / "report.html").read_text(encoding="utf-8")
    assert "Pairs\\u202esriap" in (out / "report.html").read_text(encoding="utf-8")  # the chart's label too
    # the event log is the record: a JSON reader gets exactly what was logged, a screen shows "\u202e"
    log = (out / "events.jsonl").read_text(encoding="utf-8")
    (logged,) = [json.loads(line)["payload"] for line in log.splitlines() if "reflection.logged" in line]
    assert logged["text"] == TEXT
    assert "\\u202e" in log and RLO not in log


def test_script_text_is_formula_protected_like_participant_text(out: Path) -> None:
    steps = read_csv(out / "timeline_steps.csv")
    assert steps[0]["step_title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert steps[0]["exercise_title"] == '\'+HYPERLINK("http://evil.example","x")'
    assert steps[1]["step_title"] == "Pairs\\u202esriap"
    assert read_csv(out / "timeline_days.csv")[0]["title"] == "'@SUM(1,1)"
    summary = read_csv(out / "attendance_summary.csv")
    assert summary[0]["location_name"] == "'-2+3\\u202eHQ"
    for name in ("reflections", "attendance_by_block"):
        for row in read_csv(out / f"{name}.csv"):
            for column, value in row.items():
                assert not value.startswith(("=", "+", "@")), (name, column, value)
    sheet = load_workbook(out / "export.xlsx")["timeline_steps"]
    header = [c.value for c in sheet[1]]
    title = sheet.cell(2, header.index("step_title") + 1)
    assert (title.value, title.data_type, title.quotePrefix) == ('=HYPERLINK("http://evil.example","click")', "s", True)
    assert sheet.cell(3, header.index("step_title") + 1).quotePrefix is False  # plain text stays plain
