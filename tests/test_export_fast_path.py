"""The export's bulk paths (issue 14) pinned to the rules they replace, on random small runs.

- The register: each participant's check-ins, read in bulk from the rows SQLite groups out of the ``checkins``
  table, a batch of participants per statement (facilitator.exports.checkins), give the very tables that the
  fold of facilitator.attendance gives one event at a time, which the export still takes for the records the
  bulk cannot: whatever the order of the events, sources, back-dated and repeated check-ins, marks, day ends,
  time zone (changes of clocks at midnight included) and moment of the export. Batches of any size give the
  rows of a statement per participant.
- The CSV lines of the tables that write their own (the register's, reflections, quotes) are the bytes their
  typed rows give.
- CSV: cells quoted and joined by hand are what the csv module writes.
- The event log, written by SQLite a few thousand lines at a time on a thread of its own, is the log as it was
  copied one line at a time before, each payload as stored: what json() would give back of it, for every value
  the app can write (compact JSON) and every text an event's other fields can hold.
- The quotes' lines, made in the reflections' pass, are the quotes table's own.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sqlite3
import zoneinfo
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitator.exports import checkins, csv_out, event_log
from facilitator.exports import reflections as refl
from facilitator.exports.background import Rows
from facilitator.exports.inert import formula_safe, json_inert, visible
from facilitator.exports.reflections import _Times
from facilitator.exports.run import export
from facilitator.exports.tables import Column, Table
from facilitator.exports.writers import iso
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock, from_text, to_text
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import TINY_PROGRAMME

REGISTER = ("attendance_by_block", "attendance_by_day", "attendance_summary", "attendance_by_gender", "certificates")
# Workshops whose clocks change around the two days: not at all, at 02:00, from 01:00 back to midnight (the
# midnight happens twice), and from midnight to 01:00 (there is no midnight).
ZONES = (
    ("Africa/Juba", date(2022, 8, 22)),
    ("America/New_York", date(2022, 11, 5)),
    ("America/Havana", date(2022, 11, 5)),
    ("America/Santiago", date(2022, 9, 10)),
)
PEOPLE = ("p1", "p2", "p3")
SOURCES = ("facilitator", "qr", "zoom", "teams", None)


def _programme(zone: str, first: date, start: str) -> Programme:
    spec = json.loads(json.dumps(TINY_PROGRAMME))
    spec["workshop"]["timezone"] = zone
    for offset, day in enumerate(spec["workshop"]["days"]):
        day["date"] = (first + timedelta(days=offset)).isoformat()
        day["start"] = start
    return Programme.validate(spec)


def _moment(at: datetime, style: int) -> str:
    """A check-in's time as the payload may give it: as the app writes it, without microseconds, with an offset."""
    if style == 0:
        return to_text(at)
    if style == 1:
        return at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return at.astimezone(timezone(timedelta(hours=2))).isoformat()


checks = st.lists(
    st.tuples(
        st.integers(0, len(PEOPLE)),  # the last is someone not on the roster
        st.booleans(),  # in (True) or out
        st.integers(-12 * 60, 60 * 60),  # minutes from the first day's midnight, UTC
        st.sampled_from(SOURCES),
        st.sampled_from((0, 0, 0, 1, 2)),
    ),
    max_size=40,
)
runs = st.fixed_dictionaries(
    {
        "zone": st.sampled_from(ZONES),
        "start": st.sampled_from(("09:00", "00:30", "22:00")),
        "checks": checks,
        "sorted": st.booleans(),  # check-ins logged in time order (the bulk's usual case), or as drawn
        "marks": st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.sampled_from(("late", "excused", None)))),
        "steps": st.lists(st.integers(1, 4 * 60), min_size=1, max_size=6),  # minutes between steps
        "close": st.sampled_from(("none", "first", "both")),
        "now": st.integers(0, 72 * 60),  # minutes from the first day's midnight, UTC
    }
)


def _build(folder: Path, run: dict[str, Any]) -> tuple[Path, datetime]:
    zone, first = run["zone"]
    programme = _programme(zone, first, run["start"])
    midnight = datetime(first.year, first.month, first.day, tzinfo=UTC)
    tz = zoneinfo.ZoneInfo(zone)
    start = datetime.combine(first, programme.workshop.days[0].start, tzinfo=tz).astimezone(UTC)
    clock = FakeClock(start - timedelta(hours=1))
    db = folder / "run.db"
    store = Store.create(db, programme, actor="lead", clock=clock)
    add = [
        (ev.PARTICIPANT_ADDED, {"participant": pid, "name": f"Person {pid}", "email": f"{pid}@example.org",
                                "location": ("hq", "juba")[n % 2], "gender": ("female", "male", None)[n % 3]})
        for n, pid in enumerate(PEOPLE)
    ]  # fmt: skip
    store.append_many(add, actor="lead")
    items = []
    for who, checked_in, minutes, source, style in run["checks"]:
        at = midnight + timedelta(minutes=minutes, microseconds=minutes * 7)
        payload: dict[str, Any] = {"participant": (*PEOPLE, "stranger")[who], "at": _moment(at, style)}
        if source is not None:
            payload["source"] = source
        items.append((at, ev.ATTENDANCE_CHECKED_IN if checked_in else ev.ATTENDANCE_CHECKED_OUT, payload))
    if run["sorted"]:
        items.sort(key=lambda item: item[0])
    store.append_many([(kind, payload) for _, kind, payload in items], actor="lead")
    for person, day, status in run["marks"]:
        on = programme.workshop.days[day].date.isoformat()
        store.append(ev.ATTENDANCE_MARKED, {"participant": PEOPLE[person], "day": on, "status": status}, actor="lead")
    gaps = iter(run["steps"])
    for number, spec in enumerate(programme.workshop.days):
        if number:
            clock.advance(timedelta(hours=20))
        store.append(ev.DAY_OPENED, {"day": spec.date.isoformat()}, actor="lead")
        for planned in programme.timeline(spec):
            clock.advance(timedelta(minutes=next(gaps, 7)))
            payload = {"day": spec.date.isoformat(), "exercise": planned.exercise.id, "step": planned.step.id}
            store.append(ev.STEP_ENTERED, payload, actor="lead")
        if run["close"] == "both" or (run["close"] == "first" and number == 0):
            clock.advance(timedelta(minutes=3))
            closed = {"day": spec.date.isoformat(), "at": to_text(clock.now()), "inferred": False}
            store.append(ev.DAY_CLOSED, closed, actor="lead")
    store.close()
    return db, midnight + timedelta(minutes=run["now"])


def _tables(folder: Path, db: Path, now: datetime, formats: tuple[str, ...] = ("csv",)) -> dict[str, bytes]:
    export(db, folder, formats=list(formats), now=now)
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.csv"))}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(run=runs)
def test_the_register_in_bulk_is_the_register_of_the_fold(
    run: dict[str, Any], tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_events = checkins.from_events
    folder = tmp_path_factory.mktemp("run")
    db, now = _build(folder, run)
    bulk = _tables(folder / "bulk", db, now)
    with monkeypatch.context() as patch:  # every participant through the fold, from the rows SQLite grouped
        patch.setattr(checkins, "found", lambda *_: None)
        folded = _tables(folder / "folded", db, now)
    with monkeypatch.context() as patch:  # every participant through the fold, read again from the log
        patch.setattr(checkins.Row, "parse", classmethod(lambda cls, row: None))
        from_log = _tables(folder / "log", db, now)
    typed = _tables(folder / "typed", db, now, ("csv", "json"))  # with another format: written from typed rows
    # A checkins table that lags behind the log (an older version, still running when this one added the table,
    # wrote every other check-in without it): the export notices and reads the events' payloads instead.
    lagging = folder / "lagging.db"
    with contextlib.closing(sqlite3.connect(db)) as source, contextlib.closing(sqlite3.connect(lagging)) as copy:
        source.backup(copy)
        gone = copy.execute("DELETE FROM checkins WHERE seq % 2 = 0").rowcount
        copy.commit()
    read_events: list[int] = []
    with monkeypatch.context() as patch:
        patch.setattr(checkins, "from_events", lambda *args: read_events.append(1) or from_events(*args))
        behind = _tables(folder / "lagging", lagging, now)
    assert read_events == ([1] if gone else [])
    for name in REGISTER:
        assert bulk[f"{name}.csv"] == folded[f"{name}.csv"], name
        assert bulk[f"{name}.csv"] == from_log[f"{name}.csv"], name
        assert bulk[f"{name}.csv"] == typed[f"{name}.csv"], name
        assert bulk[f"{name}.csv"] == behind[f"{name}.csv"], name


# Check-ins logged as they happen, on one channel or two, repeated or not.
USUAL: dict[str, Any] = {
    "zone": ZONES[0],
    "start": "09:00",
    "checks": [(0, True, 392, "qr", 0), (0, False, 400, "facilitator", 0), (0, True, 405, "zoom", 0),
               (1, True, 391, None, 1), (1, True, 393, None, 0), (1, False, 410, "qr", 0),
               (1, False, 411, "qr", 0), (2, False, 300, "teams", 0)],
    "sorted": True,
    "marks": [],
    "steps": [30],
    "close": "first",
    "now": 2000,
}  # fmt: skip


def test_the_usual_record_is_read_in_bulk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check-ins logged as they happen, on one channel or two, repeated or not, all go the bulk way."""
    run = USUAL
    db, now = _build(tmp_path, run)
    taken: list[checkins.Found | None] = []
    bulk = checkins.found

    def found(*args: Any) -> checkins.Found | None:
        taken.append(bulk(*args))
        return taken[-1]

    monkeypatch.setattr(checkins, "found", found)
    rows = {r["participant_id"]: r for r in _read(tmp_path / "out", db, now, "attendance_by_day")}
    assert len(taken) == 3 and None not in taken
    # The first day ran from 06:30 to 06:54 UTC (minutes 390 to 414), when it was closed.
    assert rows["p1"]["sources"] == "qr+zoom"  # an interval's source is its check-in's
    assert rows["p1"]["minutes"] == "17.0" and rows["p1"]["last_out_utc"] == "2022-08-22T06:54:00Z"  # day's end
    assert (rows["p2"]["minutes"], rows["p2"]["sources"], rows["p2"]["status"]) == ("19.0", "facilitator", "present")
    assert (rows["p3"]["minutes"], rows["p3"]["status"]) == ("0.0", "absent")


def test_a_checkins_table_behind_the_log_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run whose checkins table lags behind its log (an older version, still running when this one added the
    table, wrote check-ins without it): the export reads the events' payloads, in bulk and through the fold."""
    db, now = _build(tmp_path, USUAL)
    expected = _tables(tmp_path / "current", db, now)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("DELETE FROM checkins WHERE seq % 2 = 0").rowcount > 0
        conn.commit()
    behind = _tables(tmp_path / "behind", db, now)
    with monkeypatch.context() as patch:
        patch.setattr(checkins.Row, "parse", classmethod(lambda cls, row: None))  # each through the fold
        folded = _tables(tmp_path / "folded", db, now)
    for name in REGISTER:
        assert behind[f"{name}.csv"] == expected[f"{name}.csv"] == folded[f"{name}.csv"], name


def _read(out: Path, db: Path, now: datetime, name: str) -> list[dict[str, str]]:
    export(db, out, formats=["csv"], now=now)
    text = (out / f"{name}.csv").read_text(encoding="utf-8-sig")
    return [row for row in csv.DictReader(io.StringIO(text)) if row["day"].endswith("-22")]


PIECES = [*"ab ,\"'=+-@\t\r\n\x1b\x7f\x85\u00a0\u00e9\u202e\u2028\u2066\U0001f600;:", "\r\n", "Dana", "x"]
NASTY = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)
reflections = st.lists(
    st.fixed_dictionaries(
        {
            "text": NASTY,
            "participant": st.one_of(st.none(), st.just(""), NASTY, st.sampled_from(("Person p1", "PERSON P2"))),
            "participant_id": st.one_of(st.none(), st.sampled_from(PEOPLE)),
            "location": st.one_of(st.none(), st.just(""), st.sampled_from(("hq", "juba", "elsewhere"))),
            "consent": st.booleans(),
            "day": st.one_of(st.none(), st.sampled_from(("2022-08-22", "20220823"))),
            "exercise": st.one_of(st.none(), st.sampled_from(("warm-up", "reflect", "gone", "=x"))),
            "step": st.one_of(st.none(), st.sampled_from(("intro", "write", "gone", "a,b"))),
            "prompt": st.one_of(st.none(), NASTY),
            "source": st.sampled_from(("facilitator", "qr")),
        }
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(logged=reflections, later=st.lists(st.tuples(st.integers(0, 7), st.sampled_from(("edit", "hide", "retract")))))
def test_reflections_and_quotes_written_as_lines_are_the_typed_rows(
    logged: list[dict[str, Any]], later: list[tuple[int, str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("run")
    clock = FakeClock(datetime(2022, 8, 22, 7, 0, 0, 123456, tzinfo=UTC))
    db = folder / "run.db"
    programme = Programme.validate(TINY_PROGRAMME)
    with Store.create(db, programme, actor="lead", clock=clock) as store:
        people = [
            (ev.PARTICIPANT_ADDED, {"participant": pid, "name": f"Person {pid}", "email": f"{pid}@example.org",
                                    "location": "juba", "role": ("=Officer, chief", None, "Driver")[n]})
            for n, pid in enumerate(PEOPLE)
        ]  # fmt: skip
        store.append_many(people, actor="lead")
        for number, spec in enumerate(logged):
            clock.advance(timedelta(minutes=7, microseconds=number))
            payload = {"reflection": f"r{number}", **{k: v for k, v in spec.items() if v is not None}}
            store.append(ev.REFLECTION_LOGGED, payload, actor="lead")
        for index, action in later:
            clock.advance(timedelta(seconds=30))
            rid = f"r{index % len(logged)}"
            if action == "edit":
                store.append(ev.REFLECTION_EDITED, {"reflection": rid, "text": 'edited, "again"'}, actor="lead")
            elif action == "hide":
                store.append(ev.REFLECTION_HIDDEN, {"reflection": rid, "hidden": True}, actor="lead")
            else:
                store.append(ev.REFLECTION_RETRACTED, {"reflection": rid}, actor="lead")
    now = clock.now()
    as_lines = _tables(folder / "csv", db, now)  # CSV alone: the tables write their lines
    typed = _tables(folder / "typed", db, now, ("csv", "json"))  # with another format: the typed rows
    with pytest.MonkeyPatch.context() as patch:  # the quotes' lines made by the quotes table, not in passing
        patch.setattr(refl.QuoteLines, "end", lambda self: None)
        own = _tables(folder / "own", db, now)
    for name in ("reflections.csv", "quotes.csv"):
        assert as_lines[name] == typed[name] == own[name], name


@given(st.lists(st.lists(st.text(st.sampled_from(list("a ,\"\r\n'\t=é")), max_size=6), min_size=1, max_size=4)))
def test_csv_cells_joined_by_hand_are_what_the_csv_module_writes(rows: list[list[str]]) -> None:
    for cells in rows:
        expected = io.StringIO()
        csv.writer(expected).writerow(cells)
        assert csv_out._line([csv_out.quoted(cell) for cell in cells]) == expected.getvalue()


@given(st.lists(NASTY, max_size=20))
def test_a_text_cell_seen_once_is_made_inert_then_quoted(texts: list[str]) -> None:
    for text in texts:
        assert csv_out.fresh(text) == csv_out.quoted(formula_safe(visible(text))), text


def test_a_table_without_csv_lines_is_written_from_its_rows(tmp_path: Path) -> None:
    table = Table("t", "T", (Column("a"), Column("b", "int")), iter([("=1", 2), (None, None), ("x,y", 3)]))
    writer = csv_out.CsvWriter(tmp_path)
    sink = writer.table(table)
    for row in table.rows:
        sink.row(row)
    sink.close()
    assert (tmp_path / "t.csv").read_bytes() == b'\xef\xbb\xbfa,b\r\n\'=1,2\r\n,\r\n"x,y",3\r\n'


def test_the_event_log_is_the_log_as_copied_line_by_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control and bidi characters, accents and emoji, long and short lines, across many of SQLite's strings."""
    monkeypatch.setattr(event_log, "SEQS", 7)
    clock = FakeClock()
    db = tmp_path / "run.db"
    texts = ["plain", "é accent", "\u202e bidi", "\x85 next line", "\u2066 isolate", "\x7f delete", "😀", "\u061c"]
    with Store.create(db, Programme.validate(TINY_PROGRAMME), actor="lead", clock=clock) as store:
        for n in range(60):
            clock.advance(timedelta(seconds=1))
            text = texts[n % len(texts)] * (1 + n % 3)
            store.append(ev.NOTE_SENT, {"note": f"n{n}", "text": text, "to": "lead"}, actor=texts[n % 2])
    export(db, tmp_path / "out", formats=["csv"], now=clock.now())
    assert (tmp_path / "out" / "events.jsonl").read_bytes() == _log_as_copied(db)


def _log_as_copied(db: Path, every: int = 1000) -> bytes:
    """The event log as it was copied before: each event's line made with json() of its payload (``_LINE``)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        lines = [row[0] for row in conn.execute(f"SELECT {event_log._LINE} FROM events ORDER BY seq")]
    return "".join(json_inert("\n".join(lines[i : i + every])) + "\n" for i in range(0, len(lines), every)).encode()


ODD = [
    *'"\\/\n\r\t\b\f\x00\x01\x1f\x7f\x85\u00a0é\u061c\u200e\u2028\u2029\u202e\u2066\ufeff\U0001f600 {}[],:',
    "\\u",
    "null",
]
odd_text = st.lists(st.sampled_from(ODD), max_size=6).map("".join)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | odd_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    payloads=st.lists(st.dictionaries(odd_text, json_values, max_size=5), min_size=1, max_size=12),
    fields=st.lists(odd_text, min_size=3, max_size=3),
)
def test_payloads_are_written_as_stored_as_json_would_give_them(
    payloads: list[dict[str, Any]], fields: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Whatever compact JSON the app writes as a payload (json.dumps with the separators "," and ":", as the store
    does), and whatever text an event's id, actor or kind holds, the line is the one json_object and json() make."""
    folder = tmp_path_factory.mktemp("log")
    clock = FakeClock()
    db = folder / "run.db"
    with Store.create(db, Programme.validate(TINY_PROGRAMME), actor="lead", clock=clock) as store:
        store.append(ev.NOTE_SENT, {"note": "n0", "text": fields[0], "to": "lead"}, actor=fields[1])
    with contextlib.closing(sqlite3.connect(db)) as conn:
        # Written as the store writes a payload, past its checks of kinds and payloads: any value JSON can hold.
        rows = [
            (f"{fields[0]}-{n}", to_text(clock.now()), fields[1], fields[2] or "x", body)
            for n, body in enumerate(json.dumps(p, ensure_ascii=False, separators=(",", ":")) for p in payloads)
        ]
        conn.executemany("INSERT INTO events (id, at, actor, kind, payload) VALUES (?, ?, ?, ?, ?)", rows)
        conn.commit()
    export(db, folder / "out", formats=["csv"], now=clock.now())
    assert (folder / "out" / "events.jsonl").read_bytes() == _log_as_copied(db)


@given(
    st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)),
    st.sampled_from((None, "America/New_York", "Asia/Beirut", "Australia/Lord_Howe", "Africa/Monrovia", "UTC")),
    st.sampled_from((0, 1, 2)),
)
def test_a_logged_time_reads_as_the_csv_writer_writes_it(at: datetime, zone_name: str | None, style: int) -> None:
    """Worked out once per minute and zone: through changes of clocks, at half hours, with offsets in seconds
    (Monrovia until 1972), and for times written otherwise than the app writes them."""
    zone = zoneinfo.ZoneInfo(zone_name) if zone_name else None
    text = _moment(at, style)
    logged = from_text(text).astimezone(UTC)  # as the typed row reads it
    expected = (iso(logged), iso(logged.astimezone(zone)) if zone is not None else "")
    times = _Times()
    for _ in range(2):  # worked out, then remembered
        assert times(text, zone) == expected


@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.sampled_from(
        (
            None,
            UTC,
            timezone(timedelta(hours=-3, minutes=-30)),
            timezone(timedelta(seconds=-2670)),
            timezone(timedelta(hours=5, microseconds=250)),
            *map(zoneinfo.ZoneInfo, ("America/New_York", "Australia/Lord_Howe", "Africa/Monrovia", "Asia/Kathmandu")),
        )
    ),
)
def test_a_time_is_written_as_isoformat_writes_it(at: datetime, zone: Any) -> None:
    """Put together from its parts: any year, zone and offset (in seconds, or microseconds), or none."""
    moment = at.replace(tzinfo=UTC).astimezone(zone) if zone is not None else at
    expected = moment.isoformat(timespec="seconds")
    assert iso(moment) == (expected[:-6] + "Z" if moment.tzinfo is UTC else expected)


@pytest.mark.parametrize(
    ("zone_name", "change"),
    [
        ("America/New_York", datetime(2022, 11, 6, 6, 0, tzinfo=UTC)),  # 02:00 EDT back to 01:00 EST
        ("America/New_York", datetime(2022, 3, 13, 7, 0, tzinfo=UTC)),  # 02:00 EST on to 03:00 EDT
        ("Australia/Lord_Howe", datetime(2022, 4, 2, 15, 0, tzinfo=UTC)),  # back half an hour
        ("Asia/Beirut", datetime(2022, 10, 29, 21, 0, tzinfo=UTC)),  # midnight back to 23:00
        ("Africa/Monrovia", datetime(1972, 1, 7, 0, 44, 30, tzinfo=UTC)),  # -00:44:30 to UTC, mid-minute
    ],
)
def test_logged_times_around_a_change_of_clocks(zone_name: str, change: datetime) -> None:
    zone = zoneinfo.ZoneInfo(zone_name)
    times = _Times()
    for seconds in range(-125, 125, 7):
        at = change + timedelta(seconds=seconds, microseconds=250_000)
        assert times(to_text(at), zone) == (iso(at), iso(at.astimezone(zone))), at


def test_the_check_ins_read_in_batches_are_the_rows_of_one_per_participant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the size of the batches, each participant's row as one statement per participant gives it, up to
    the snapshot's last seq; a batch in which a time holds the separator of participants is read again, a row
    each. The statements read the ``checkins`` table in its order: no JSON of the events, nothing sorted."""
    clock = FakeClock(datetime(2022, 8, 22, 6, 0, tzinfo=UTC))
    db = tmp_path / "run.db"
    people = ["", "p1", "p2", "p3", "p4", "é"]
    with Store.create(db, Programme.validate(TINY_PROGRAMME), actor="lead", clock=clock) as store:
        for n in range(60):
            clock.advance(timedelta(minutes=1))
            kind = ev.ATTENDANCE_CHECKED_IN if n // len(people) % 2 == 0 else ev.ATTENDANCE_CHECKED_OUT
            payload = {"participant": people[n % len(people)], "at": to_text(clock.now()), "source": SOURCES[n % 4]}
            store.append(kind, payload, actor="lead")
        last = store.events()[-1].seq
    conn = sqlite3.connect(db)
    # Only a write outside the app can put such a time there (a payload's time is checked as a time).
    conn.execute("INSERT INTO checkins VALUES ('p3', ?, 'in', '2022-08-22T07:00:00Z\x1e', 'qr', NULL)", (last - 1,))
    conn.commit()
    expected = conn.execute(*checkins.query(last)).fetchall()
    assert [row[0] for row in expected] == sorted(people)
    again: list[list[str]] = []
    one_by_one = checkins.query

    def query(last_seq: int, people: str | None = None) -> tuple[str, tuple[Any, ...]]:
        again.append(json.loads(people or "null"))
        return one_by_one(last_seq, people)

    monkeypatch.setattr(checkins, "query", query)
    for size in (1, 2, 4, 100):
        again.clear()
        assert [row for batch in checkins.batches(conn, last, size) for row in batch] == expected, size
        assert len(again) == 1 and "p3" in again[0], size
    middle = last // 2
    assert [row for batch in checkins.batches(conn, middle, 4) for row in batch] == conn.execute(
        *one_by_one(middle)
    ).fetchall()
    first, after = (checkins._BATCH.format(checkins._PERSON.format(where)) for where in ("", "AND participant > ?"))
    for sql, params in ((first, (last, 4)), (after, (last, "p1", 4))):
        plan = " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "checkins" in plan and "events" not in plan and "TEMP B-TREE" not in plan, plan
    conn.close()


def test_rows_made_in_batches_come_one_at_a_time_and_a_failure_reaches_the_reader(tmp_path: Path) -> None:
    def made(conn: sqlite3.Connection) -> Any:
        yield [(1,), (2,)]
        yield []
        yield [(3,)]

    def failing(conn: sqlite3.Connection) -> Any:
        yield [(1,)]
        raise sqlite3.OperationalError("disk I/O error")

    reading = Rows(sqlite3.connect(":memory:", check_same_thread=False), batches=made)
    assert list(reading) == [(1,), (2,), (3,)]
    reading.close()
    reading = Rows(sqlite3.connect(":memory:", check_same_thread=False), batches=failing)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        list(reading)
    reading.close()
    with pytest.raises(ValueError, match="one of them"):
        Rows(sqlite3.connect(":memory:"), lambda conn: ("SELECT 1", ()), batches=made)
