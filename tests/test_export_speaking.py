"""Who speaks in the export (issue 17): every turn, the tally per day and per step by gender and location, the
report's section; anonymised, no name nor raw id, and no figure about fewer than k people present."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from facilitator.exports import event_log
from facilitator.exports.cells import SUPPRESSED
from facilitator.exports.progress import Silent
from facilitator.exports.record import read_record
from facilitator.exports.run import export
from facilitator.exports.snapshot import Snapshot
from facilitator.exports.speaking import Turns
from facilitator.live.session import Session
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import TINY_PROGRAMME
from tests.test_export_anonymise import _contents
from tests.test_export_run import read_csv
from tests.test_speaking import GONE, LATE, ROOM

START = datetime(2022, 8, 22, 12, 0, tzinfo=UTC)


def name(pid: str) -> str:
    return f"Zorbadine {pid.upper()}x"  # unlike any word of the files: found in an anonymised one, it leaked


def build(folder: Path) -> tuple[Path, FakeClock]:
    """The room of tests/test_speaking.py: three turns at warm-up/intro (women 31% of the time, 52% of the room),
    one still open at warm-up/pairs by a late arrival."""
    clock = FakeClock()
    db = folder / "run.db"
    with Store.create(db, Programme.validate(TINY_PROGRAMME), actor="lead", clock=clock) as store:
        s = Session(store, actor="lead")
        for pid, location, gender in [*ROOM, LATE, GONE]:
            s.add_participant(name(pid), f"{pid}@example.org", location, participant_id=pid, gender=gender)
        for pid, *_ in ROOM:
            s.check_in(pid)
        clock.advance(60)
        s.next_step()  # warm-up/intro at 12:01
        for pid, seconds in (("w01", 31), ("m01", 50), ("n02", 19)):
            s.start_turn(pid)
            clock.advance(seconds)
        s.stop_turn()
        clock.advance(10)
        s.next_step()  # warm-up/pairs
        s.check_in("tardy")
        s.start_turn("tardy")
        clock.advance(20)
        s.show_speaking(True)
    return db, clock


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FakeClock]:
    return build(tmp_path_factory.mktemp("speaking"))


def tables(db: Path, now: datetime, *, anonymise: bool) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with Snapshot(db) as snapshot:
        record = read_record(snapshot, now, anonymise=anonymise, progress=Silent())
        turns, summary = Turns(snapshot, record).tables()
        assert (turns.name, summary.name) == ("speaking_turns", "speaking_summary")
        return list(turns.rows), list(summary.rows)


def test_every_turn_with_its_speaker_step_and_seconds(run: tuple[Path, FakeClock]) -> None:
    db, clock = run
    turns, _ = tables(db, clock.now(), anonymise=False)
    day = date(2022, 8, 22)
    intro = START + timedelta(minutes=1)
    assert [row[:3] + row[4:] for row in turns] == [
        (day, "warm-up", "intro", "w01", name("w01"), "hq", "female", intro, intro + timedelta(seconds=31), 31.0),
        (day, "warm-up", "intro", "m01", name("m01"), "hq", "male", intro + timedelta(seconds=31),
         intro + timedelta(seconds=81), 50.0),
        (day, "warm-up", "intro", "n02", name("n02"), "juba", "", intro + timedelta(seconds=81),
         intro + timedelta(seconds=100), 19.0),
        (day, "warm-up", "pairs", "tardy", name("tardy"), "juba", "female", intro + timedelta(seconds=110), None, 20.0),
    ]  # fmt: skip
    assert len({row[3] for row in turns}) == 4  # each turn its id


def test_the_summary_gives_each_day_and_step_by_gender_and_location(run: tuple[Path, FakeClock]) -> None:
    db, clock = run
    _, summary = tables(db, clock.now(), anonymise=False)
    day = date(2022, 8, 22)
    by = {(row[1], row[2], row[3], row[4]): row[5:] for row in summary}
    assert [key for key in by if key[:2] == ("", "")] == [
        ("", "", "gender", "female"),
        ("", "", "gender", "male"),
        ("", "", "gender", "not stated"),
        ("", "", "location", "hq"),
        ("", "", "location", "juba"),
    ]  # the whole day first
    assert {row[0] for row in summary} == {day}
    # turns, share of turns, seconds, share of time, present, share present, suppressed
    assert by[("warm-up", "intro", "gender", "female")] == (1, pytest.approx(1 / 3), 31.0, 0.31, 13, 0.52, "")
    assert by[("warm-up", "intro", "location", "juba")] == (1, pytest.approx(1 / 3), 19.0, 0.19, 12, 0.48, "")
    assert by[("warm-up", "pairs", "gender", "female")][:5] == (1, 1.0, 20.0, 1.0, 14)
    whole_day = by[("", "", "gender", "female")]
    assert whole_day[2:5] == (51.0, pytest.approx(51 / 120), 14)
    assert whole_day[5] == pytest.approx(14 / 26)  # "gone" was never there while the day ran


def test_anonymised_no_name_no_raw_id_and_no_figure_about_few_people(run: tuple[Path, FakeClock]) -> None:
    db, clock = run
    turns, summary = tables(db, clock.now(), anonymise=True)
    text = repr(turns) + repr(summary)
    for pid, *_ in [*ROOM, LATE]:
        assert f"'{pid}'" not in text and name(pid) not in text
    assert all(row[5].startswith("Participant ") for row in turns)
    # on the roster, "not stated" is 2 people of 26: pooled (with the next smallest, men) as "suppressed"
    genders = [(row[4], row[9], row[11]) for row in summary if row[1:4] == ("warm-up", "intro", "gender")]
    assert genders == [("female", 13, ""), (SUPPRESSED, 12, "pooled: groups of fewer than 3 people")]
    pooled = next(row for row in summary if row[1:5] == ("warm-up", "intro", "gender", SUPPRESSED))
    assert pooled[5:9] == (2, pytest.approx(2 / 3), 69.0, 0.69)
    # at warm-up/pairs, the one woman who spoke is one of 14 women: her figures are shown as the group's
    for row in summary:
        assert row[11].startswith("withheld") or row[9] >= 3


def test_a_group_with_fewer_than_k_people_present_shows_no_figure(run: tuple[Path, FakeClock]) -> None:
    db, clock = run
    with Snapshot(db) as snapshot:
        record = read_record(snapshot, clock.now(), anonymise=True, progress=Silent(), min_cell=13)
        rows = list(Turns(snapshot, record).summary_table().rows)
    intro = {row[4]: row for row in rows if row[1:4] == ("warm-up", "intro", "location")}
    # hq has 13 present, juba 12 (of k = 13): juba withheld, and hq with it, so that neither is the total less
    # the other
    assert set(intro) == {"hq", "juba"}
    for row in intro.values():
        assert row[5:11] == (None,) * 6 and row[11] == "withheld: fewer than 13 people present"


def test_a_turn_s_event_keeps_no_raw_id_in_an_anonymised_log(run: tuple[Path, FakeClock]) -> None:
    db, clock = run
    with Snapshot(db) as snapshot:
        record = read_record(snapshot, clock.now(), anonymise=True, progress=Silent())
        events = [e for e in snapshot.events((ev.SPEAKING_STARTED, ev.SPEAKING_STOPPED, ev.SPEAKING_SHOWN))]
        written = [event_log.anonymised(e.kind, dict(e.payload), record) for e in events]
    started = [(e, w) for e, w in zip(events, written, strict=True) if e.kind == ev.SPEAKING_STARTED]
    for event, payload in started:
        assert payload["participant"] != event.payload["participant"] and payload["turn"] != event.payload["turn"]
        assert (payload["day"], payload["exercise"]) == ("2022-08-22", "warm-up")
    assert written[-1] == {"shown": True}


def test_the_files_and_the_report_carry_who_speaks(run: tuple[Path, FakeClock], tmp_path: Path) -> None:
    db, clock = run
    identified = tmp_path / "identified"
    export(db, identified, now=clock.now(), formats=["csv", "json", "html", "md"])
    rows = read_csv(identified / "speaking_summary.csv")
    assert rows[0]["by"] == "gender" and rows[0]["group"] == "female"
    assert json.loads((identified / "speaking_turns.json").read_text(encoding="utf-8"))[0]["participant_id"] == "w01"
    html = (identified / "report.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="speaking">') :]
    assert "<h2>Who speaks</h2>" in section and "<h3>Mon 22 Aug</h3>" in section
    assert "<title>Who speaks, Mon 22 Aug: speaking time against presence</title><desc>" in section
    assert section.index("<svg") < section.index('<table class="speaking">')  # the chart, then its figures
    assert '<th scope="row">gender: female</th><td class="n">14</td><td class="n">54%</td>' in section
    assert "4 turns, 2:00 (minutes:seconds) of speaking time." in section
    markdown = (identified / "report.md").read_text(encoding="utf-8")
    assert "## Who speaks" in markdown and "| gender: female | 14 | 54% | 2 | 50% | 0:51 | 42% |  |" in markdown
    assert "| Headquarters | 13 | 50% | 2 | 50% | 1:21 | 68% |  |" in markdown


def test_an_anonymised_export_names_no_speaker_anywhere(run: tuple[Path, FakeClock], tmp_path: Path) -> None:
    db, clock = run
    out = tmp_path / "anonymised"
    export(db, out, now=clock.now(), anonymise=True)
    contents = _contents(out)
    assert "speaking_turns.csv" in contents and "speaking_summary.csv" in contents and "report.html" in contents
    for file, text in contents.items():
        for pid, *_ in [*ROOM, LATE]:
            assert name(pid) not in text, file
            assert f'"{pid}"' not in text and f",{pid}," not in text, file
    assert '<section id="speaking">' in contents["report.html"]


def test_a_run_with_no_turns_has_no_files_and_no_section_of_them(tmp_path: Path, tiny_programme: Programme) -> None:
    with Store.create(tmp_path / "run.db", tiny_programme, actor="lead", clock=FakeClock()) as store:
        Session(store, actor="lead").next_step()
    export(tmp_path / "run.db", tmp_path / "out", now=START + timedelta(hours=1), formats=["csv", "html", "md"])
    files = {path.name for path in (tmp_path / "out").iterdir()}
    assert not any(file.startswith("speaking") for file in files)
    assert "Who speaks" not in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Who speaks" not in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
