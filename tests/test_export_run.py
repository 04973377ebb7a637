"""Organiser exports (issue 7): a fixture session built through the engine, and each file's exact content.

The session is the tiny programme run on its own dates with a fake clock: a roster imported from CSV, a
walk-in, check-ins by hand and by QR, a Zoom report imported, a mark, pauses and extensions, reflections
logged, hidden and retracted. The other test_export_* files reuse ``build_run`` and ``run_export``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from facilitator.attendance.call_reports import read_report, reconcile
from facilitator.attendance.roster import Roster
from facilitator.attendance.roster_import import import_roster
from facilitator.exports.run import FORMATS, export
from facilitator.live.session import Session
from facilitator.participant_page import tokens
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme

DAY1 = date(2022, 8, 22)
DAY2 = date(2022, 8, 23)
ROSTER = (
    "name,email,location,role,organisation,gender\n"
    "Amina Diallo,amina.diallo@example.org,juba,Planning Officer,UNMISS,Female\n"
    "Jean-Pierre Moreau,jp.moreau@example.org,hq,Gender Adviser,DPO,male\n"
    "Grace Akello,grace.akello@example.org,juba,Programme Officer,UN Women,female\n"
    "Sofía Núñez,sofia.nunez@example.org,hq,Budget Analyst,DPPA,\n"
)
WALK_IN = "=cmd|' /C calc'!A0"
ZOOM = (
    "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest,Recording Consent\n"
    "J-P Moreau,jp.moreau@example.org,2022-08-22T07:00:00Z,2022-08-22T07:20:00Z,20,No,Y\n"
    "J-P Moreau,jp.moreau@example.org,2022-08-22T07:25:00Z,2022-08-22T07:45:00Z,20,No,Y\n"
)
XSS = "<script>alert(1)</script> and <img src=x onerror=alert(2)>"
NOW = datetime(2022, 8, 23, 7, 20, tzinfo=UTC)


def at(hour: int, minute: int, day: date = DAY1) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def build_run(folder: Path, programme: Programme) -> tuple[Path, FakeClock, dict[str, str]]:
    """The fixture session; returns the database, its clock (at ``NOW``) and participant ids by first name."""
    clock = FakeClock(at(6, 50))
    db = folder / "run.db"
    Store.create(db, programme, actor="lead", clock=clock).close()
    roster_csv = folder / "roster.csv"
    roster_csv.write_text(ROSTER, encoding="utf-8")
    zoom_csv = folder / "participants_845.csv"
    zoom_csv.write_text(ZOOM, encoding="utf-8")
    with Store.open(db, clock=clock) as store:
        import_roster(store, roster_csv, actor="lead")
        tokens.load_settings(store)  # the participant page's secret, which no export may carry
        s = Session(store, actor="lead")
        s.announce()
        s.add_participant(WALK_IN, "walk.in@example.org", "hq", role="Driver")
        ids = {p.name.split()[0]: p.id for p in s.attendance.roster.by_id.values()}
        ids["walk-in"] = ids.pop(WALK_IN.split(maxsplit=1)[0])

        clock.advance(timedelta(minutes=5))  # 06:55
        s.check_in(ids["Amina"])
        s.mark(ids["Sofía"], DAY1, "excused")
        clock.advance(timedelta(minutes=5))  # 07:00
        s.next_step()  # warm-up / intro
        clock.advance(timedelta(minutes=5))
        s.check_in(ids["walk-in"])  # 07:05
        clock.advance(timedelta(minutes=7))
        s.next_step()  # 07:12 pairs
        clock.advance(timedelta(minutes=8))
        s.check_in(ids["Grace"], source="qr")  # 07:20
        s.pause()
        clock.advance(timedelta(minutes=3))
        s.resume()  # 07:23
        clock.advance(timedelta(minutes=1))
        s.adjust(timedelta(minutes=5))  # 07:24
        clock.advance(timedelta(minutes=6))
        s.check_out(ids["walk-in"])  # 07:30
        # The room saw Jean-Pierre too, overlapping both of his Zoom stretches: merged, never counted twice.
        s.check_in(ids["Jean-Pierre"], at=at(7, 10))
        s.check_out(ids["Jean-Pierre"])  # 07:30
        clock.advance(timedelta(minutes=2))
        s.next_step()  # 07:32 reflect / write
        s.log_reflection("Budget lines need gender markers.", participant="Amina Diallo", location="juba", consent=True)
        s.log_reflection(XSS, location="hq", consent=True)
        s.log_reflection("I will ask Amina Diallo (amina.diallo@example.org) to review.", participant="Grace Akello")
        s.log_reflection("=1+1 is what I learnt", participant=WALK_IN, location="hq", consent=True)
        hidden = s.log_reflection("Off-topic remark", participant="Jean-Pierre Moreau", consent=True)
        s.hide_reflection(hidden.payload["reflection"])
        retracted = s.log_reflection("Typed by mistake", consent=True)
        s.retract_reflection(retracted.payload["reflection"])
        clock.advance(timedelta(minutes=5))
        s.next_step()  # 07:37 share
        clock.advance(timedelta(minutes=8))
        s.check_out(ids["Amina"])  # 07:45
        clock.advance(timedelta(minutes=5))
        s.open_day(DAY2)  # 07:50: the day is over
        workshop = store.programme().workshop
        report = read_report(zoom_csv, timezone="America/New_York", days=[d.date for d in workshop.days])
        result = reconcile(report, Roster.from_events(store.events()), location="hq")
        store.append_many(result.items, actor="lead", event_ids=result.event_ids)

        clock.advance(at(6, 58, DAY2) - clock.now())
        s.check_in(ids["Amina"], source="qr")
        clock.advance(timedelta(minutes=2))
        s.next_step()  # 07:00 reflect / write
        clock.advance(timedelta(minutes=5))
        s.next_step()  # 07:05 share
        clock.advance(NOW - clock.now())
    return db, clock, ids


def run_export(folder: Path, programme: Programme, **options: object) -> tuple[Path, dict[str, str]]:
    db, clock, ids = build_run(folder, programme)
    out = folder / "out"
    export(db, out, now=clock.now(), **options)  # type: ignore[arg-type]
    return out, ids


def read_csv(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    return list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"))))


@pytest.fixture
def exported(tmp_path: Path, tiny_programme: Programme) -> tuple[Path, dict[str, str]]:
    return run_export(tmp_path, tiny_programme)


def _table(out: Path, name: str, *columns: str) -> list[tuple[str, ...]]:
    return [tuple(row[c] for c in columns) for row in read_csv(out / f"{name}.csv")]


def test_every_format_writes_its_files(exported: tuple[Path, dict[str, str]]) -> None:
    out, _ = exported
    tables = [
        "attendance_by_day",
        "attendance_by_block",
        "attendance_summary",
        "attendance_by_gender",
        "certificates",
        "reflections",
        "quotes",
        "timeline_steps",
        "timeline_days",
        "groups",  # written by every run, empty when no groups were made
    ]
    expected = {f"{t}.{ext}" for t in tables for ext in ("csv", "json")}
    expected |= {"export.xlsx", "report.html", "report.md", "events.jsonl"}
    assert {p.name for p in out.iterdir()} == expected
    assert FORMATS == ("csv", "json", "xlsx", "md", "html")


def test_register_per_participant_and_day_in_utc_and_local_time(exported: tuple[Path, dict[str, str]]) -> None:
    out, _ = exported
    rows = _table(
        out, "attendance_by_day", "name", "day", "minutes", "status", "first_in_utc", "last_out_utc",
        "first_in_local", "last_out_local", "sources",
    )  # fmt: skip
    assert rows == [
        ("Amina Diallo", "2022-08-22", "45.0", "present", "2022-08-22T06:55:00Z", "2022-08-22T07:45:00Z",
         "2022-08-22T08:55:00+02:00", "2022-08-22T09:45:00+02:00", "facilitator"),
        # still in: no last out
        ("Amina Diallo", "2022-08-23", "20.0", "present", "2022-08-23T06:58:00Z", "", "2022-08-23T08:58:00+02:00",
         "", "qr"),
        # two Zoom stretches and the room's check-in, overlapping: merged into 07:00-07:45
        ("Jean-Pierre Moreau", "2022-08-22", "45.0", "present", "2022-08-22T07:00:00Z", "2022-08-22T07:45:00Z",
         "2022-08-22T03:00:00-04:00", "2022-08-22T03:45:00-04:00", "facilitator+zoom"),
        ("Jean-Pierre Moreau", "2022-08-23", "0.0", "absent", "", "", "", "", ""),
        # scanned in at 07:20 and never out: late, counted until the day closed at 07:50, not into the next day
        ("Grace Akello", "2022-08-22", "30.0", "late", "2022-08-22T07:20:00Z", "2022-08-22T07:50:00Z",
         "2022-08-22T09:20:00+02:00", "2022-08-22T09:50:00+02:00", "qr"),
        ("Grace Akello", "2022-08-23", "0.0", "absent", "", "", "", "", ""),
        ("Sofía Núñez", "2022-08-22", "0.0", "excused", "", "", "", "", ""),
        ("Sofía Núñez", "2022-08-23", "0.0", "absent", "", "", "", "", ""),
        (f"'{WALK_IN}", "2022-08-22", "25.0", "present", "2022-08-22T07:05:00Z", "2022-08-22T07:30:00Z",
         "2022-08-22T03:05:00-04:00", "2022-08-22T03:30:00-04:00", "facilitator"),
        (f"'{WALK_IN}", "2022-08-23", "0.0", "absent", "", "", "", "", ""),
    ]  # fmt: skip


def test_register_per_agenda_block(exported: tuple[Path, dict[str, str]]) -> None:
    out, _ = exported
    rows = _table(
        out, "attendance_by_block", "name", "day", "exercise", "block_minutes", "minutes", "status", "sources"
    )
    assert rows == [
        ("Amina Diallo", "2022-08-22", "warm-up", "32.0", "32.0", "present", "facilitator"),
        ("Amina Diallo", "2022-08-22", "reflect", "18.0", "13.0", "present", "facilitator"),
        ("Amina Diallo", "2022-08-23", "reflect", "20.0", "20.0", "present", "qr"),
        ("Jean-Pierre Moreau", "2022-08-22", "warm-up", "32.0", "32.0", "present", "facilitator+zoom"),
        ("Jean-Pierre Moreau", "2022-08-22", "reflect", "18.0", "13.0", "present", "zoom"),
        ("Jean-Pierre Moreau", "2022-08-23", "reflect", "20.0", "0.0", "absent", ""),
        ("Grace Akello", "2022-08-22", "warm-up", "32.0", "12.0", "late", "qr"),
        ("Grace Akello", "2022-08-22", "reflect", "18.0", "18.0", "present", "qr"),
        ("Grace Akello", "2022-08-23", "reflect", "20.0", "0.0", "absent", ""),
        ("Sofía Núñez", "2022-08-22", "warm-up", "32.0", "0.0", "excused", ""),
        ("Sofía Núñez", "2022-08-22", "reflect", "18.0", "0.0", "excused", ""),
        ("Sofía Núñez", "2022-08-23", "reflect", "20.0", "0.0", "absent", ""),
        (f"'{WALK_IN}", "2022-08-22", "warm-up", "32.0", "25.0", "present", "facilitator"),
        (f"'{WALK_IN}", "2022-08-22", "reflect", "18.0", "0.0", "absent", ""),
        (f"'{WALK_IN}", "2022-08-23", "reflect", "20.0", "0.0", "absent", ""),
    ]
    blocks = _table(out, "attendance_by_block", "block_start_utc", "block_end_utc")
    assert blocks[:3] == [
        ("2022-08-22T07:00:00Z", "2022-08-22T07:32:00Z"),
        ("2022-08-22T07:32:00Z", "2022-08-22T07:50:00Z"),
        ("2022-08-23T07:00:00Z", ""),  # running now
    ]


def test_summary_totals_per_location_and_day(exported: tuple[Path, dict[str, str]]) -> None:
    out, _ = exported
    assert _table(
        out, "attendance_summary", "day", "location", "registered", "attended", "present", "late", "excused",
        "absent", "attendance_rate", "minutes", "minutes_per_attendee",
    ) == [
        # The rate is over the workshop's expected people (hq 4, juba 3) less the excused ones, as Moodle has it.
        ("2022-08-22", "hq", "3", "2", "2", "0", "1", "0", "0.667", "70.0", "35.0"),
        ("2022-08-22", "juba", "2", "2", "1", "1", "0", "0", "0.667", "75.0", "37.5"),
        ("2022-08-22", "all", "5", "4", "3", "1", "1", "0", "0.667", "145.0", "36.2"),
        ("2022-08-23", "hq", "3", "0", "0", "0", "0", "3", "0.000", "0.0", ""),
        ("2022-08-23", "juba", "2", "1", "1", "0", "0", "1", "0.333", "20.0", "20.0"),
        ("2022-08-23", "all", "5", "1", "1", "0", "0", "4", "0.143", "20.0", "20.0"),
    ]  # fmt: skip


def test_counts_and_shares_by_gender(exported: tuple[Path, dict[str, str]]) -> None:
    out, _ = exported
    assert _table(
        out, "attendance_by_gender", "day", "gender", "registered", "attended", "share_of_attended", "attendance_rate"
    ) == [
        ("2022-08-22", "female", "2", "2", "0.500", "1.000"),  # "Female" and "female" are one group
        ("2022-08-22", "male", "1", "1", "0.250", "1.000"),
        ("2022-08-22", "not stated", "2", "1", "0.250", "1.000"),  # Sofía is excused: apart, not absent
        ("2022-08-23", "female", "2", "1", "1.000", "0.500"),
        ("2022-08-23", "male", "1", "0", "0.000", "0.000"),
        ("2022-08-23", "not stated", "2", "0", "0.000", "0.000"),
    ]  # fmt: skip


def test_certificate_eligibility_list(exported: tuple[Path, dict[str, str]]) -> None:
    out, _ = exported
    assert _table(
        out, "certificates", "name", "attended_minutes", "required_minutes", "planned_minutes", "eligible"
    ) == [
        ("Amina Diallo", "65.0", "44.0", "55.0", "yes"),
        ("Jean-Pierre Moreau", "45.0", "44.0", "55.0", "yes"),
        ("Grace Akello", "30.0", "44.0", "55.0", "no"),
        ("Sofía Núñez", "0.0", "44.0", "55.0", "no"),
        (f"'{WALK_IN}", "25.0", "44.0", "55.0", "no"),
    ]  # fmt: skip


def test_timeline_planned_against_actual(exported: tuple[Path, dict[str, str]]) -> None:
    out, _ = exported
    assert _table(
        out, "timeline_steps", "day", "step", "status", "planned_start_utc", "actual_start_utc", "actual_end_utc",
        "planned_minutes", "actual_minutes", "paused_minutes", "extension_minutes", "overrun_minutes",
    ) == [
        ("2022-08-22", "intro", "done", "2022-08-22T07:00:00Z", "2022-08-22T07:00:00Z", "2022-08-22T07:12:00Z",
         "10.0", "12.0", "0.0", "0.0", "2.0"),
        # 20 minutes on the clock, 3 of them paused, 5 more allowed: on time
        ("2022-08-22", "pairs", "done", "2022-08-22T07:10:00Z", "2022-08-22T07:12:00Z", "2022-08-22T07:32:00Z",
         "15.0", "20.0", "3.0", "5.0", "0.0"),
        ("2022-08-22", "write", "done", "2022-08-22T07:25:00Z", "2022-08-22T07:32:00Z", "2022-08-22T07:37:00Z",
         "5.0", "5.0", "0.0", "0.0", "0.0"),
        # ended by opening the next day
        ("2022-08-22", "share", "done", "2022-08-22T07:30:00Z", "2022-08-22T07:37:00Z", "2022-08-22T07:50:00Z",
         "10.0", "13.0", "0.0", "0.0", "3.0"),
        ("2022-08-23", "write", "done", "2022-08-23T07:00:00Z", "2022-08-23T07:00:00Z", "2022-08-23T07:05:00Z",
         "5.0", "5.0", "0.0", "0.0", "0.0"),
        ("2022-08-23", "share", "running", "2022-08-23T07:05:00Z", "2022-08-23T07:05:00Z", "",
         "10.0", "15.0", "0.0", "0.0", "5.0"),
    ]  # fmt: skip
    assert _table(out, "timeline_days", "day", "status", "planned_minutes", "drift_minutes", "actual_end_utc") == [
        ("2022-08-22", "done", "40.0", "10.0", "2022-08-22T07:50:00Z"),
        ("2022-08-23", "running", "15.0", "5.0", ""),  # the pace panel's drift: now 07:20, planned end 07:15
    ]


def test_reflections_all_of_them_and_quotes_only_consented_visible(exported: tuple[Path, dict[str, str]]) -> None:
    out, _ = exported
    assert _table(out, "reflections", "author", "location", "consent", "hidden", "retracted", "text") == [
        ("Amina Diallo", "juba", "yes", "no", "no", "Budget lines need gender markers."),
        ("anonymous", "hq", "yes", "no", "no", XSS),
        # no location given: the author's roster location
        ("Grace Akello", "juba", "no", "no", "no", "I will ask Amina Diallo (amina.diallo@example.org) to review."),
        (f"'{WALK_IN}", "hq", "yes", "no", "no", "'=1+1 is what I learnt"),
        ("Jean-Pierre Moreau", "hq", "yes", "yes", "no", "Off-topic remark"),
        ("anonymous", "", "yes", "no", "yes", "Typed by mistake"),
    ]
    first = read_csv(out / "reflections.csv")[0]
    assert (first["day"], first["exercise"], first["step"], first["prompt"]) == (
        "2022-08-22", "reflect", "write", "What will you take away?",
    )  # fmt: skip
    assert (first["logged_at_utc"], first["logged_at_local"]) == ("2022-08-22T07:32:00Z", "2022-08-22T09:32:00+02:00")
    assert _table(out, "quotes", "name", "role", "location", "quote") == [
        ("Amina Diallo", "Planning Officer", "Juba", "Budget lines need gender markers."),
        ("anonymous", "", "Headquarters", XSS),
        (f"'{WALK_IN}", "Driver", "Headquarters", "'=1+1 is what I learnt"),
    ]


def test_csv_neutralises_formulas_in_text_but_numbers_stay_numbers(tmp_path: Path, tiny_programme: Programme) -> None:
    out, _ = run_export(tmp_path, tiny_programme, formats=["csv"])
    for path in out.glob("*.csv"):
        for row in read_csv(path):
            for column, value in row.items():
                if column in {"name", "author", "text", "quote"}:
                    assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (path.name, column, value)
    # numbers stay numbers: a negative drift or a shortened step is not participant text
    assert {p.name for p in out.iterdir()} >= {"attendance_by_day.csv", "events.jsonl"}
    assert not (out / "export.xlsx").exists()
    assert not (out / "report.html").exists()


def test_json_tables_are_typed(exported: tuple[Path, dict[str, str]]) -> None:
    out, _ = exported
    days = json.loads((out / "attendance_by_day.json").read_text(encoding="utf-8"))
    assert days[0]["minutes"] == 45.0
    assert days[0]["first_in_utc"] == "2022-08-22T06:55:00Z"
    assert days[1]["last_out_utc"] is None
    certificates = json.loads((out / "certificates.json").read_text(encoding="utf-8"))
    assert [c["eligible"] for c in certificates] == [True, True, False, False, False]
    assert certificates[4]["name"] == WALK_IN  # JSON is data, not a spreadsheet: nothing to neutralise


def test_event_log_is_the_raw_record_without_the_page_secret(exported: tuple[Path, dict[str, str]]) -> None:
    out, _ = exported
    db = out.parent / "run.db"
    with Store.open(db) as store:
        stored = store.events()
        (secret,) = store.conn.execute("SELECT value FROM participant_page WHERE name = 'secret'").fetchone()
    lines = (out / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(stored)
    for line, event in zip(lines, stored, strict=True):
        logged = json.loads(line)
        assert (logged["seq"], logged["id"], logged["actor"], logged["kind"]) == (
            event.seq, event.id, event.actor, event.kind,
        )  # fmt: skip
        assert logged["payload"] == event.payload
        assert datetime.fromisoformat(logged["at"]) == event.at
    for path in out.iterdir():
        assert secret.encode() not in path.read_bytes(), path.name
