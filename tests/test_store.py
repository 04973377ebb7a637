"""The run database on real SQLite files: append-only, idempotent appends, replay, derived tables, refusals."""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import shutil
import site
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from facilitator.live.session import Session
from facilitator.live.state import SessionState, fold
from facilitator.problems import InputError
from facilitator.record import catalogue, filesystems
from facilitator.record import events as ev
from facilitator.record import store as store_module
from facilitator.record.clock import FakeClock, to_text
from facilitator.record.filesystems import filesystem_type, is_network_filesystem
from facilitator.record.migrations import migrations
from facilitator.record.schema_steps import APPLICATION_ID, SCHEMA_VERSION, STEPS
from facilitator.record.store import Store, StoreError
from facilitator.script.models import Programme
from facilitator.script.stored import stored_form
from tests.tools import require_other_users

REPO = Path(__file__).resolve().parent.parent


def raw(db: Path) -> sqlite3.Connection:
    """A fresh connection that knows nothing of facilitator, as any other program would open the file."""
    return sqlite3.connect(db, isolation_level=None)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` with its bytes, to prove a refusal left everything as it was."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def refusal(action: Callable[[], object]) -> str:
    """The one-line message of the InputError that ``action`` raises."""
    with pytest.raises(InputError) as info:
        action()
    message = str(info.value)
    assert message
    assert "\n" not in message
    return message


# -- append-only -----------------------------------------------------------------------------------


TAMPERING = [
    pytest.param("UPDATE events SET kind = 'forged'", id="update"),
    pytest.param("UPDATE events SET payload = '{}' WHERE seq = 1", id="update-one"),
    pytest.param("DELETE FROM events", id="delete"),
    pytest.param("DELETE FROM events WHERE seq = 2", id="delete-one"),
    pytest.param(
        "INSERT OR REPLACE INTO events (id, at, actor, kind, payload) VALUES ('note-1', 'x', 'x', 'forged', '{}')",
        id="insert-or-replace-id",
    ),
    pytest.param(
        "REPLACE INTO events (seq, id, at, actor, kind, payload) VALUES (1, 'other', 'x', 'x', 'forged', '{}')",
        id="replace-seq",
    ),
    pytest.param(
        "INSERT INTO events (id, at, actor, kind, payload) VALUES ('note-1', 'x', 'x', 'x', '{}')"
        " ON CONFLICT(id) DO UPDATE SET kind = 'forged'",
        id="upsert",
    ),
]


@pytest.mark.parametrize("sql", TAMPERING)
def test_events_are_append_only_through_the_stores_connection(run_store: Store, sql: str) -> None:
    run_store.append("note.sent", {"text": "hello"}, actor="lead", event_id="note-1")
    before = run_store.events()
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        run_store.conn.execute(sql)
    assert run_store.events() == before


@pytest.mark.parametrize("sql", TAMPERING)
def test_events_are_append_only_even_for_a_fresh_raw_connection(run_store: Store, sql: str) -> None:
    run_store.append("note.sent", {"text": "hello"}, actor="lead", event_id="note-1")
    before = run_store.events()
    run_store.close()
    conn = raw(run_store.path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
    finally:
        conn.close()
    with Store.open(run_store.path) as reopened:
        assert reopened.events() == before


def test_a_tampering_statement_inside_a_store_write_rolls_the_whole_write_back(run_store: Store) -> None:
    before = run_store.events()

    def work(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO events (id, at, actor, kind, payload) VALUES ('x', ?, 'lead', 'note.sent', '{}')",
            (to_text(run_store.clock.now()),),
        )
        conn.execute("DELETE FROM events")

    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        run_store.write(work)
    assert not run_store.conn.in_transaction
    assert run_store.events() == before


# -- appending -------------------------------------------------------------------------------------


def test_append_returns_the_committed_event_and_seq_increases(run_store: Store, fake_clock: FakeClock) -> None:
    first = run_store.append("note.sent", {"text": "één"}, actor="co-juba")
    fake_clock.advance(5)
    second = run_store.append("note.sent", {"text": "two"}, actor="lead")
    assert second.seq == first.seq + 1
    assert first.payload == {"text": "één"}
    assert first.actor == "co-juba"
    assert second.at - first.at == timedelta(seconds=5)
    assert run_store.events()[-2:] == [first, second]
    assert run_store.events(after=first.seq) == [second]
    assert run_store.events(after=0, limit=1)[0].kind == ev.RUN_CREATED
    # what another connection reads is what append returned
    with Store.open(run_store.path) as other:
        assert other.events()[-2:] == [first, second]


def test_a_replayed_event_id_is_stored_once(run_store: Store, fake_clock: FakeClock) -> None:
    first = run_store.append("note.sent", {"text": "hello"}, actor="lead", event_id="retry-me")
    fake_clock.advance(30)
    again = run_store.append("note.sent", {"text": "hello"}, actor="lead", event_id="retry-me")
    changed = run_store.append("note.sent", {"text": "different"}, actor="other", event_id="retry-me")
    assert again == first  # same seq, same time: the stored event, not a new one
    assert changed == first
    rows = run_store.conn.execute("SELECT seq FROM events WHERE id = 'retry-me'").fetchall()
    assert rows == [(first.seq,)]
    assert len(run_store.events()) == 2
    # the next new event follows on directly: the replays used up no seq
    assert run_store.append("note.sent", {"text": "hi"}, actor="lead").seq == first.seq + 1


def test_a_replayed_event_does_not_update_the_derived_tables_twice(run_store: Store, fake_clock: FakeClock) -> None:
    payload = {"day": "2022-08-22", "exercise": "warm-up", "step": "intro"}
    entered = run_store.append(ev.STEP_ENTERED, payload, actor="lead", event_id="enter-1")
    fake_clock.advance(60)
    run_store.append(ev.STEP_ENTERED, payload, actor="lead", event_id="enter-1")
    visits = run_store.conn.execute("SELECT seq, entered_at, left_at FROM step_visits").fetchall()
    assert visits == [(entered.seq, to_text(entered.at), None)]


def test_a_resubmitted_reflection_is_logged_once(run_store: Store) -> None:
    session = Session(run_store, actor="lead")
    session.next_step()
    session.log_reflection("Budgets are policy", reflection_id="r1")
    session.log_reflection("Budgets are policy", reflection_id="r1")
    assert list(session.state.reflections) == ["r1"]
    assert run_store.conn.execute("SELECT count(*) FROM reflections").fetchone() == (1,)
    assert [e.kind for e in run_store.events()].count(ev.REFLECTION_LOGGED) == 1


def test_the_programme_is_stored_whole_when_the_run_is_created(
    tmp_path: Path, demo_programme: Programme, fake_clock: FakeClock
) -> None:
    db = tmp_path / "run.db"
    Store.create(db, demo_programme, actor="lead", digest="abc123", clock=fake_clock).close()
    with Store.open(db) as store:
        assert store.programme() == demo_programme
        (created,) = store.events()
    assert created.kind == ev.RUN_CREATED
    assert created.payload["digest"] == "abc123"
    assert created.at == fake_clock.now()
    conn = raw(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        migration_names = [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
        assert len(migration_names) == SCHEMA_VERSION
    finally:
        conn.close()
    # nothing but the database is left behind (no temporary file, and its WAL is checkpointed away)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.db"]


def test_connections_use_wal_full_sync_and_a_short_busy_timeout(run_store: Store) -> None:
    assert run_store.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert run_store.conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    (busy_ms,) = run_store.conn.execute("PRAGMA busy_timeout").fetchone()
    assert 0 < busy_ms <= 100


def test_data_version_moves_when_another_connection_commits(run_store: Store) -> None:
    with Store.open(run_store.path) as other:
        follower = Session(other, actor="co-juba")
        seen = other.data_version()
        assert other.data_version() == seen
        run_store.append("note.sent", {"text": "hi"}, actor="lead")
        assert other.data_version() != seen
        new = follower.refresh()
    assert [e.kind for e in new] == ["note.sent"]
    assert follower.state.last_seq == new[-1].seq


def hold_write_lock(db: Path, seconds: float, locked: threading.Event) -> threading.Thread:
    """Another writer that holds the write lock for ``seconds`` (in a thread, with its own connection)."""

    def hold() -> None:
        conn = raw(db)
        try:
            conn.execute("BEGIN IMMEDIATE")
            locked.set()
            time.sleep(seconds)
            conn.execute("COMMIT")
        finally:
            conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(5)
    return thread


def test_an_append_waits_for_another_writer_and_then_commits(run_store: Store) -> None:
    locked = threading.Event()
    holder = hold_write_lock(run_store.path, 0.3, locked)
    start = time.monotonic()
    event = run_store.append("note.sent", {"text": "after the lock"}, actor="lead")
    waited = time.monotonic() - start
    holder.join()
    assert 0.25 < waited < 2.0  # far beyond the 20 ms busy timeout: the jittered retry carried it
    assert run_store.events()[-1] == event


def test_an_append_gives_up_with_a_store_error_when_the_lock_is_never_released(
    run_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "WRITE_DEADLINE_S", 0.2)
    locked = threading.Event()
    holder = hold_write_lock(run_store.path, 0.8, locked)
    with pytest.raises(StoreError, match="still busy"):
        run_store.append("note.sent", {"text": "hi"}, actor="lead")
    holder.join()
    assert not run_store.conn.in_transaction
    assert len(run_store.events()) == 1
    run_store.append("note.sent", {"text": "hi"}, actor="lead")  # and works again once the lock is free
    assert len(run_store.events()) == 2


def hold_exclusive(path: Path, seconds: float, locked: threading.Event) -> threading.Thread:
    """Another process's connection that shuts every reader out of the run for ``seconds`` (exclusive locking
    mode: what a WAL recovery or a checkpoint that restarts the log does for a moment)."""

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("SELECT COUNT(*) FROM events").fetchone()
        locked.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait(5)
    return thread


def test_a_run_locked_for_a_moment_opens_once_it_is_free(run_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    path = run_store.path
    run_store.close()
    locked = threading.Event()
    holder = hold_exclusive(path, 0.3, locked)
    start = time.monotonic()
    with Store.open(path) as store:  # not "is not a facilitator database (database is locked)"
        waited = time.monotonic() - start
        assert [e.kind for e in store.events()] == [ev.RUN_CREATED]
    holder.join()
    assert waited > 0.2
    monkeypatch.setattr(store_module, "WRITE_DEADLINE_S", 0.2)
    holder = hold_exclusive(path, 0.8, threading.Event())
    with pytest.raises(StoreError, match=r"another process kept the run locked; try again$"):
        Store.open(path)
    holder.join()


def test_two_creators_of_one_run_cannot_both_win(tmp_path: Path, tiny_programme: Programme) -> None:
    path = tmp_path / "run.db"
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def create() -> None:
        start.wait()
        try:
            Store.create(path, tiny_programme, actor="lead").close()
            outcomes.append("created")
        except InputError as exc:
            outcomes.append("refused" if "already exists" in str(exc) else str(exc))

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created", "refused", "refused", "refused"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.db"]
    with Store.open(path) as store:
        assert [e.kind for e in store.events()] == [ev.RUN_CREATED]


def test_a_run_from_an_older_schema_is_migrated_when_opened(tmp_path: Path, tiny_programme: Programme) -> None:
    path = tmp_path / "run.db"
    conn = raw(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    migrations.apply(Database(conn), stop_before="m003_events_no_replace")
    programme = json.dumps({"programme": stored_form(tiny_programme)})
    conn.execute(
        "INSERT INTO events (id, at, actor, kind, payload) VALUES ('first', ?, 'lead', ?, ?)",
        (to_text(FakeClock().now()), ev.RUN_CREATED, programme),
    )
    conn.execute("PRAGMA user_version = 2")
    conn.close()

    with Store.open(path) as store:
        assert store.programme() == tiny_programme
        assert store.conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store.conn.execute(
                "INSERT OR REPLACE INTO events (id, at, actor, kind, payload) VALUES ('first', 'x', 'x', 'x', '{}')"
            )
        store.append("note.sent", {"text": "hi"}, actor="lead")
        assert store.events()[0].id == "first"


def test_a_run_from_before_the_checkins_table_gets_it_built_from_its_log_when_opened(
    tmp_path: Path, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    """Derived data: the migration builds, from the check-ins in the log, the very rows the projection writes."""
    path = tmp_path / "run.db"
    with Store.create(path, tiny_programme, actor="lead", clock=fake_clock) as store:
        people = [(ev.PARTICIPANT_ADDED, {"participant": pid, "name": pid, "email": f"{pid}@example.org",
                                          "location": "juba"}) for pid in ("p1", "p2", "")]  # fmt: skip
        store.append_many(people, actor="lead")
        checks: list[tuple[str, dict[str, Any]]] = []
        for n in range(40):
            payload: dict[str, Any] = {
                "participant": ("p1", "p2", "", "stranger")[n % 4],
                "at": to_text(fake_clock.now()),
            }
            if n % 5:
                payload["source"] = ("facilitator", "qr", "zoom", "teams")[n % 4]
            if n % 3 == 0:
                payload["location"] = "hq"
            if n % 7 == 0:
                payload["at"] = "2022-08-22T09:30:00+02:00"  # a time with an offset, as a report may give it
            checks.append((ev.ATTENDANCE_CHECKED_IN if n % 2 else ev.ATTENDANCE_CHECKED_OUT, payload))
            fake_clock.advance(timedelta(minutes=3))
        store.append_many(checks[:25], actor="lead")  # the bulk writes' projector, check-ins and check-outs mixed
        for kind, payload in checks[25:]:
            store.append(kind, payload, actor="lead")  # and one at a time
        query = "SELECT * FROM checkins"
        projected = store.conn.execute(query).fetchall()
        assert len(projected) == len(checks)
        assert {row[4] for row in projected} == {"facilitator", "qr", "zoom", "teams"}
        assert store.rebuild_derived() == len(store.events())  # replayed one event at a time
        assert store.conn.execute(query).fetchall() == projected
        # As a run written before the table existed (schema 7): no table, no index of the reflections by seq.
        store.conn.execute("DROP TABLE checkins")
        store.conn.execute("DROP INDEX reflections_seq")
        store.conn.execute("DELETE FROM _sqlite_migrations WHERE name IN ('m008_checkins', 'm009_reflections_by_seq')")
        store.conn.execute("PRAGMA user_version = 7")

    with Store.open(path, clock=fake_clock) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert store.conn.execute(query).fetchall() == projected
        # and the export reads the reflections in their order without sorting them
        plan = store.conn.execute("EXPLAIN QUERY PLAN SELECT * FROM reflections ORDER BY seq").fetchall()
        assert "TEMP B-TREE" not in " ".join(row[3] for row in plan)
        # kept current from then on
        event = store.append(
            ev.ATTENDANCE_CHECKED_IN, {"participant": "p1", "at": to_text(fake_clock.now())}, actor="lead"
        )
        last = store.conn.execute("SELECT * FROM checkins WHERE seq = ?", (event.seq,)).fetchall()
        assert last == [("p1", event.seq, "in", to_text(fake_clock.now()), "facilitator", None)]


# -- replay: the fold and the derived tables -------------------------------------------------------


def drive(session: Session, clock: FakeClock) -> None:
    """A morning and the start of an afternoon: steps, pauses, adjustments, reflections, edits, retractions."""
    locations = [loc.id for loc in session.programme.workshop.locations]

    def did(event: ev.Event | None, kind: str, payload: dict[str, Any]) -> None:
        """A command wrote one event of ``kind`` with ``payload``, and the session's state has taken it in."""
        assert event is not None, f"expected {kind}, nothing was written"
        assert (event.kind, event.payload) == (kind, payload)
        assert session.state.last_seq >= event.seq  # and any question its step opened after it

    def timer() -> Any:
        assert session.state.timer is not None
        return session.state.timer

    first_day = session.programme.workshop.days[0]
    timeline = [(p.exercise.id, p.step.id) for p in session.programme.timeline(first_day)]
    for exercise, step in timeline[:3]:
        entered = {"day": first_day.date.isoformat(), "exercise": exercise, "step": step}
        did(session.next_step(), ev.STEP_ENTERED, entered)
        assert (session.state.exercise, session.state.step, timer().entered_at) == (exercise, step, clock.now())
        clock.advance(timedelta(minutes=7))
    did(session.pause(), ev.TIMER_PAUSED, {})
    assert timer().paused_since == clock.now()
    clock.advance(timedelta(minutes=4))
    did(session.resume(), ev.TIMER_RESUMED, {})
    assert (timer().paused_since, timer().paused_total) == (None, timedelta(minutes=4))
    did(session.adjust(timedelta(minutes=5)), ev.TIMER_ADJUSTED, {"seconds": 300})
    assert timer().adjustment == timedelta(minutes=5)
    clock.advance(timedelta(minutes=2))
    kept = session.log_reflection("Gender analysis starts with who is in the room.", location=locations[0])
    edited = session.log_reflection(
        "[bold]Budgets[/bold] are policy", participant="Amina K.", location=locations[-1], consent=True
    )
    retracted = session.log_reflection("I did not mean to post this")
    clock.advance(timedelta(seconds=45))
    session.edit_reflection(edited.payload["reflection"], text="Budgets are policy statements", consent=False)
    session.retract_reflection(retracted.payload["reflection"])
    fourth, third = timeline[3], timeline[2]
    day = first_day.date.isoformat()
    did(session.next_step(), ev.STEP_ENTERED, {"day": day, "exercise": fourth[0], "step": fourth[1]})
    did(session.previous_step(), ev.STEP_ENTERED, {"day": day, "exercise": third[0], "step": third[1]})
    assert (session.state.exercise, session.state.step) == third
    did(session.adjust(timedelta(minutes=-3)), ev.TIMER_ADJUSTED, {"seconds": -180})
    assert timer().adjustment == timedelta(minutes=-3)  # a fresh timer: the earlier extension is gone
    did(session.pause(), ev.TIMER_PAUSED, {})
    assert timer().paused
    clock.advance(timedelta(minutes=1))
    second_day = session.programme.workshop.days[1]
    session.open_day(second_day.date)
    day_two = session.programme.timeline(second_day)[0]
    entered = {"day": second_day.date.isoformat(), "exercise": day_two.exercise.id, "step": day_two.step.id}
    did(session.next_step(), ev.STEP_ENTERED, entered)
    assert (session.state.day, session.state.step) == (second_day.date, day_two.step.id)
    clock.advance(timedelta(minutes=12))
    session.log_reflection("Day two starts well", location=locations[1], reflection_id="day-two")
    assert kept.payload["reflection"] in session.state.reflections


def check_driven(state: SessionState) -> None:
    """The drive really reached the interesting states, so comparing them is not comparing empty states."""
    assert state.timer is not None
    assert state.day is not None
    assert state.step is not None
    assert len(state.visits) == 6
    assert len(state.reflections) == 4
    assert len(state.visible_reflections()) == 3
    assert any(r.edited_at is not None for r in state.reflections.values())


def test_fold_after_reopening_equals_the_state_before(
    tmp_path: Path, demo_programme: Programme, fake_clock: FakeClock
) -> None:
    db = tmp_path / "run.db"
    store = Store.create(db, demo_programme, actor="lead", clock=fake_clock)
    session = Session(store, actor="lead")
    drive(session, fake_clock)
    before = fold(store.events())
    assert session.state == before  # the incremental fold agrees with a fold from scratch
    check_driven(before)
    store.close()

    fake_clock.advance(timedelta(hours=3))  # time passing while closed changes nothing in the record
    with Store.open(db, clock=fake_clock) as reopened:
        after = fold(reopened.events())
        assert after == before
        assert Session(reopened, actor="co-juba").state == before
        # the same holds for a fold picked up halfway, as a follower that joined late would do
        events = reopened.events()
        assert fold(events[len(events) // 2 :], fold(events[: len(events) // 2])) == before


def derived_rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "step_visits": store.conn.execute("SELECT * FROM step_visits ORDER BY seq").fetchall(),
        "reflections": store.conn.execute("SELECT * FROM reflections ORDER BY seq").fetchall(),
    }


def test_rebuilding_the_derived_tables_gives_exactly_the_incremental_rows(
    tmp_path: Path, demo_programme: Programme, fake_clock: FakeClock
) -> None:
    store = Store.create(tmp_path / "run.db", demo_programme, actor="lead", clock=fake_clock)
    session = Session(store, actor="lead")
    drive(session, fake_clock)
    incremental = derived_rows(store)
    assert store.rebuild_derived() == len(store.events())
    assert derived_rows(store) == incremental

    # the rows say what the fold says
    state = session.state
    visits = [
        (date.fromisoformat(day), exercise, step, entered, left)
        for _, day, exercise, step, entered, left in incremental["step_visits"]
    ]
    assert visits == [
        (v.day, v.exercise, v.step, to_text(v.entered_at), v.left_at and to_text(v.left_at)) for v in state.visits
    ]
    rows = store.conn.execute("SELECT id, text, consent, edited_at, retracted_at FROM reflections").fetchall()
    assert {r[0]: (r[1], bool(r[2]), r[3] is not None, r[4] is not None) for r in rows} == {
        r.id: (r.text, r.consent, r.edited_at is not None, r.retracted) for r in state.reflections.values()
    }

    # a rebuild really rebuilds: emptied or damaged derived tables come back
    store.conn.execute("DELETE FROM step_visits")
    store.conn.execute("UPDATE reflections SET text = 'damaged'")
    store.rebuild_derived()
    assert derived_rows(store) == incremental
    store.close()


# -- refusals --------------------------------------------------------------------------------------


def test_refuses_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Day 1: opening, WPS agenda\n")
    before = snapshot(tmp_path)
    message = refusal(lambda: Store.open(path))
    assert "notes.txt" in message
    assert "not a facilitator database" in message
    assert snapshot(tmp_path) == before


def test_refuses_an_empty_file(tmp_path: Path) -> None:
    # SQLite itself would happily treat an empty file as an empty database and write a schema into it
    path = tmp_path / "empty.db"
    path.touch()
    message = refusal(lambda: Store.open(path))
    assert "empty.db" in message
    assert "not a facilitator database" in message
    assert snapshot(tmp_path) == {"empty.db": b""}


def test_refuses_a_file_with_an_sqlite_header_but_garbage_after_it(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 300)
    before = snapshot(tmp_path)
    message = refusal(lambda: Store.open(path))
    assert "broken.db" in message
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("journal_mode", ["delete", "wal"])
def test_refuses_an_sqlite_database_of_another_application(tmp_path: Path, journal_mode: str) -> None:
    path = tmp_path / "photos.db"
    conn = raw(path)
    conn.execute(f"PRAGMA journal_mode = {journal_mode}")
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO photos (name) VALUES ('juba.jpg')")
    conn.close()
    before = snapshot(tmp_path)
    message = refusal(lambda: Store.open(path))
    assert "photos.db" in message
    assert "not a facilitator run" in message
    assert snapshot(tmp_path) == before


def test_refuses_a_database_written_by_a_newer_schema(tmp_path: Path, tiny_programme: Programme) -> None:
    path = tmp_path / "run.db"
    Store.create(path, tiny_programme, actor="lead").close()
    conn = raw(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('facilitator', 'm999_future', ?)",
        ("2030-01-01 00:00:00+00:00",),
    )
    conn.close()
    before = snapshot(tmp_path)
    message = refusal(lambda: Store.open(path))
    assert "run.db" in message
    assert "newer version" in message
    assert "m999_future" in message
    assert snapshot(tmp_path) == before


def test_an_unknown_migration_of_another_set_is_not_mistaken_for_a_newer_schema(
    tmp_path: Path, tiny_programme: Programme
) -> None:
    path = tmp_path / "run.db"
    Store.create(path, tiny_programme, actor="lead").close()
    conn = raw(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('plugin', 'm999_other', 'now')"
    )
    conn.close()
    with Store.open(path) as store:  # opens, reads and writes as usual
        assert store.programme() == tiny_programme
        assert store.conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        written = store.append("note.sent", {"text": "still works"}, actor="lead")
        assert [e.seq for e in store.events()][-1] == written.seq
    conn = raw(path)
    others = conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = 'plugin'").fetchall()
    conn.close()
    assert others == [("m999_other",)]  # the other set's row is left alone


@pytest.mark.parametrize("action", ["open", "create"])
def test_refuses_a_path_whose_folder_does_not_exist(tmp_path: Path, tiny_programme: Programme, action: str) -> None:
    path = tmp_path / "no-such-folder" / "run.db"
    if action == "open":
        message = refusal(lambda: Store.open(path))
    else:
        message = refusal(lambda: Store.create(path, tiny_programme, actor="lead"))
    assert "run.db" in message
    assert "no-such-folder" in message
    assert "does not exist" in message
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_open_a_run_that_does_not_exist(tmp_path: Path) -> None:
    message = refusal(lambda: Store.open(tmp_path / "run.db"))
    assert "run.db" in message
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_open_a_folder(tmp_path: Path) -> None:
    (tmp_path / "run.db").mkdir()
    message = refusal(lambda: Store.open(tmp_path / "run.db"))
    assert "is a folder" in message


def test_create_refuses_to_overwrite_an_existing_run(
    tmp_path: Path, tiny_programme: Programme, demo_programme: Programme
) -> None:
    path = tmp_path / "run.db"
    with Store.create(path, tiny_programme, actor="lead") as store:
        store.append("note.sent", {"text": "keep me"}, actor="lead")
    before = snapshot(tmp_path)
    message = refusal(lambda: Store.create(path, demo_programme, actor="lead"))
    assert "run.db" in message
    assert "already exists" in message
    assert snapshot(tmp_path) == before
    with Store.open(path) as store:
        assert store.programme() == tiny_programme


def test_create_refuses_to_overwrite_any_existing_file(tmp_path: Path, tiny_programme: Programme) -> None:
    path = tmp_path / "thesis.docx"
    path.write_bytes(b"PK\x03\x04 not a database")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    before = snapshot(tmp_path)
    for target in (path, tmp_path / "dangling"):
        message = refusal(functools.partial(Store.create, target, tiny_programme, actor="lead"))
        assert target.name in message
        assert "already exists" in message
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "thesis.docx"]


# Run as another user, so that permissions are really checked (root may write anywhere).
UNPRIVILEGED_SCRIPT = textwrap.dedent(
    """
    import json
    import sys
    from pathlib import Path
    from facilitator.problems import InputError
    from facilitator.script.models import Programme
    from facilitator.record.store import Store

    programme = Programme.from_stored(json.loads(sys.stdin.read()))
    locked, shared = Path(sys.argv[1]), Path(sys.argv[2])
    attempts = {
        "create": lambda: Store.create(locked / "new.db", programme, actor="co"),
        "open": lambda: Store.open(locked / "run.db"),
        "open-readonly-file": lambda: Store.open(shared / "run.db"),
    }
    for label, attempt in attempts.items():
        try:
            attempt().close()
        except InputError as exc:
            sys.stdout.write(f"{label}\\trefused\\t{exc}\\n")
        else:
            sys.stdout.write(f"{label}\\taccepted\\n")
    """
)
NOBODY = 65534


def python_for(uid: int) -> str:
    """An interpreter of this Python version that ``uid`` may run (ours may sit in root's home)."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for candidate in (sys.executable, os.path.realpath(sys.executable), f"/usr/bin/python{version}"):
        try:
            probe = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                user=uid, capture_output=True, text=True, check=False, cwd="/", timeout=30,
            )  # fmt: skip
        except OSError:  # not executable by that user
            continue
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    message = f"no Python {version} that user {uid} can run"
    if os.environ.get("CI"):  # CI must run this test, not skip it
        pytest.fail(message)
    pytest.skip(message)  # a developer machine without a shared Python, outside CI


IMPORTS_OF_THE_SCRIPT = (
    "facilitator.record.store, facilitator.script.models, facilitator.problems, facilitator.record.migrations,"
    " facilitator.record.catalogue"  # the event payloads' models (and pydantic), imported by the first write
)


def readable_copy_of_imports(folder: Path) -> Path:
    """The packages the unprivileged script imports, copied where another user can read them.

    The checkout (and its virtualenv) may sit in a folder only root may enter, as a fresh clone in a
    private temporary folder does; the copy makes the test independent of where the repository lives.
    """
    listing = subprocess.run(
        [sys.executable, "-c", f"import sys, {IMPORTS_OF_THE_SCRIPT}; print(*(getattr(m, '__file__', None) or '' "
         "for m in list(sys.modules.values())), sep='\\n')"],
        capture_output=True, text=True, check=True, cwd=REPO, timeout=60,
    ).stdout.split()  # fmt: skip
    bases = [REPO.resolve(), *(Path(p).resolve() for p in site.getsitepackages())]
    tops: set[Path] = set()
    for file in listing:
        path = Path(file).resolve()
        for base in bases:
            if path.is_relative_to(base) and path != base:
                top = base / path.relative_to(base).parts[0]
                if base != REPO.resolve() or top.name == "facilitator":
                    tops.add(top)
    lib = folder / "lib"
    lib.mkdir()
    for top in tops:
        if top.is_dir():
            shutil.copytree(top, lib / top.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(top, lib / top.name)
    for path in [lib, *lib.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return lib


@pytest.fixture
def world_readable_folder() -> Iterator[Path]:
    """A folder outside pytest's tmp_path (which is private to root), owned by us, mode 0755."""
    folder = Path(tempfile.mkdtemp(prefix="facilitator-test-"))
    folder.chmod(0o755)
    yield folder
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    folder.rmdir()


def test_refuses_a_folder_that_is_not_writable(world_readable_folder: Path, tiny_programme: Programme) -> None:
    locked = world_readable_folder / "locked"
    shared = world_readable_folder / "shared"
    locked.mkdir(mode=0o755)
    shared.mkdir()
    Store.create(locked / "run.db", tiny_programme, actor="lead").close()
    Store.create(shared / "run.db", tiny_programme, actor="lead").close()
    (locked / "run.db").chmod(0o644)
    (shared / "run.db").chmod(0o644)
    shared.chmod(0o777)  # the folder is open to all, but the file is not
    before = {folder.name: snapshot(folder) for folder in (locked, shared)}

    if os.geteuid() == 0:
        python = python_for(NOBODY)
        importable = str(readable_copy_of_imports(world_readable_folder))
        env = {"PYTHONPATH": importable, "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
        result = subprocess.run(
            [python, "-c", UNPRIVILEGED_SCRIPT, str(locked), str(shared)],
            input=json.dumps(stored_form(tiny_programme)), capture_output=True, text=True, check=False, timeout=60,
            user=NOBODY, group=NOBODY, extra_groups=[], cwd="/", env=env,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        outcome = {line.split("\t")[0]: line.split("\t")[1:] for line in result.stdout.splitlines()}
    else:
        locked.chmod(0o555)
        try:
            outcome = {}
            for label, attempt in {
                "create": lambda: Store.create(locked / "new.db", tiny_programme, actor="co"),
                "open": lambda: Store.open(locked / "run.db"),
            }.items():
                outcome[label] = ["refused", refusal(attempt)]
        finally:
            locked.chmod(0o755)

    assert outcome["create"][0] == "refused"
    assert "locked is not writable" in outcome["create"][1]
    assert "new.db" in outcome["create"][1]
    assert outcome["open"][0] == "refused"
    assert "locked is not writable" in outcome["open"][1]
    if "open-readonly-file" in outcome:
        assert outcome["open-readonly-file"][0] == "refused"
        assert "run.db: is not writable" in outcome["open-readonly-file"][1]
    assert {folder.name: snapshot(folder) for folder in (locked, shared)} == before


# -- network filesystems ---------------------------------------------------------------------------

MOUNTS = r"""
/dev/vda / ext4 rw,relatime 0 0
proc /proc proc rw,relatime 0 0
server:/export /mnt/nfs nfs4 rw,relatime,vers=4.2,addr=10.0.0.2 0 0
tmpfs /mnt/nfs/scratch tmpfs rw 0 0
server:/old /srv/old nfs rw 0 0
//fileserver/training /mnt/team\040drive cifs rw,vers=3.0 0 0
//fileserver/x /mnt/smb smb3 rw 0 0
ana@laptop:/home/ana /mnt/laptop fuse.sshfs rw,nosuid,nodev 0 0
server:/usb /media/usb nfs4 rw 0 0
/dev/sdb1 /media/usb vfat rw 0 0
"""


@pytest.mark.parametrize(
    ("path", "expected", "network"),
    [
        ("/srv/workshops/run.db", "ext4", False),
        ("/mnt/nfs", "nfs4", True),
        ("/mnt/nfs/runs/day1", "nfs4", True),
        ("/mnt/nfs/scratch/runs", "tmpfs", False),  # the longest mount point wins
        ("/mnt/nfsdata/runs", "ext4", False),  # a name that merely starts like a mount point is not inside it
        ("/srv/old/2022", "nfs", True),
        ("/mnt/team drive/runs", "cifs", True),  # \040 is how /proc/mounts writes a space
        ("/mnt/team\\040drive/runs", "ext4", False),
        ("/mnt/smb/a", "smb3", True),
        ("/mnt/laptop/workshops", "fuse.sshfs", True),
        ("/media/usb/run", "vfat", False),  # a later mount on the same point hides the earlier one
    ],
)
def test_filesystem_type_from_the_mount_table(path: str, expected: str, network: bool) -> None:
    assert filesystem_type(Path(path), MOUNTS) == expected
    assert is_network_filesystem(filesystem_type(Path(path), MOUNTS)) is network


def test_filesystem_type_is_unknown_outside_every_mount_or_without_a_table(tmp_path: Path) -> None:
    assert filesystem_type(Path("/srv/x"), "server:/a /mnt/a nfs rw 0 0\nbroken line\n") is None
    assert is_network_filesystem(None) is False
    assert filesystem_type(tmp_path, "") is None


@pytest.mark.parametrize("fs_type", ["nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "fuse.sshfs", "afs"])
def test_network_filesystems_are_recognised(fs_type: str) -> None:
    assert is_network_filesystem(fs_type)


@pytest.mark.parametrize("fs_type", ["ext4", "xfs", "btrfs", "tmpfs", "overlay", "vfat", "zfs", "fuse.gocryptfs"])
def test_local_filesystems_are_not_network(fs_type: str) -> None:
    assert not is_network_filesystem(fs_type)


def test_the_real_mount_table_is_read(tmp_path: Path) -> None:
    if not filesystems.MOUNTS.exists():
        if os.environ.get("CI"):  # CI runs on Linux: the mount table must be there
            pytest.fail("no /proc/mounts here")
        pytest.skip("no /proc/mounts here")  # a developer machine that is not Linux, outside CI
    assert filesystem_type(tmp_path) is not None


def test_create_and_open_refuse_a_network_filesystem(
    tmp_path: Path, tiny_programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = tmp_path / "run.db"
    Store.create(existing, tiny_programme, actor="lead").close()  # accepted while the folder is local
    before = snapshot(tmp_path)

    fake = tmp_path.parent / f"{tmp_path.name}-mounts"
    fake.write_text(f"/dev/vda / ext4 rw 0 0\nserver:/export {os.path.realpath(tmp_path)} nfs4 rw,vers=4.2 0 0\n")
    monkeypatch.setattr(filesystems, "MOUNTS", fake)

    message = refusal(lambda: Store.create(tmp_path / "new.db", tiny_programme, actor="lead"))
    assert "new.db" in message
    assert "network filesystem (nfs4)" in message
    message = refusal(lambda: Store.open(existing))
    assert "run.db" in message
    assert "network filesystem (nfs4)" in message
    assert snapshot(tmp_path) == before


def test_create_works_where_hard_links_are_not_supported_and_still_never_overwrites(
    tmp_path: Path, tiny_programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_hard_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(store_module.os, "link", no_hard_links)
    db = tmp_path / "run.db"
    Store.create(db, tiny_programme, actor="lead").close()
    with Store.open(db) as store:
        assert store.programme() == tiny_programme
    before = db.read_bytes()
    with pytest.raises(InputError, match="already exists"):
        Store.create(db, tiny_programme, actor="lead")
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.db"]


def test_the_light_list_of_schema_steps_matches_the_migrations() -> None:
    # Opening a run checks its schema against schema_steps.STEPS without importing sqlite-utils.
    assert tuple(m.name for m in migrations._migrations) == STEPS


def test_append_many_commits_all_or_nothing(run_store: Store) -> None:
    before = len(run_store.events())
    appended = run_store.append_many([("note.sent", {"text": "1"}), ("note.sent", {"text": "2"})], actor="lead")
    assert [e.payload["text"] for e in appended] == ["1", "2"]
    assert appended[1].seq == appended[0].seq + 1
    with pytest.raises(catalogue.BadEvent):
        # The second item cannot be stored: the first, already inserted in the transaction, goes too.
        items = [("note.sent", {"text": "3"}), ("note.sent", {"text": "4", "to": 4})]
        run_store.append_many(items, actor="lead", event_ids=["three", "four"])
    assert len(run_store.events()) == before + 2


def test_a_bulk_append_numbers_and_projects_exactly_like_single_appends(run_store: Store) -> None:
    run_store.append("note.sent", {"text": "0"}, actor="lead")
    people = [
        (ev.PARTICIPANT_ADDED, {"participant": f"p{i}", "name": f"Person {i}", "email": f"p{i}@example.org",
                                "location": "hq"})
        for i in range(250)
    ]  # fmt: skip
    appended = run_store.append_many([*people, ("note.sent", {"text": "1"})], actor="lead")
    seqs = [e.seq for e in run_store.events()]
    assert seqs == list(range(1, len(seqs) + 1))
    assert [e.seq for e in appended] == seqs[-251:]
    assert len({e.id for e in run_store.events()}) == len(seqs)
    assert [e.payload for e in appended] == [e.payload for e in run_store.events()[-251:]]
    query = "SELECT id, seq, email FROM participants ORDER BY seq"
    bulk = run_store.conn.execute(query).fetchall()
    assert len(bulk) == 250
    run_store.rebuild_derived()  # one event at a time, as a replay does
    assert run_store.conn.execute(query).fetchall() == bulk
    after = run_store.append("note.sent", {"text": "2"}, actor="lead")
    assert after.seq == seqs[-1] + 1


# -- files only the team can read (issue 23) ---------------------------------------------------------------


def run_files(db: Path) -> list[Path]:
    return [db, Path(f"{db}-wal"), Path(f"{db}-shm")]


def make_run_with_wal(db: Path, programme: Programme) -> Store:
    """A new run, open, with a write in its -wal: the database and both of SQLite's side files exist."""
    store = Store.create(db, programme, actor="lead")
    Session(store, actor="lead").add_participant("Ada Lovelace", "ada@example.org", "hq", code="K7QX2-MN4PA")
    assert all(path.exists() for path in run_files(db))
    return store


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o000, 0o077])
def test_a_new_run_and_its_wal_and_shm_are_readable_by_their_owner_only(
    tmp_path: Path, tiny_programme: Programme, mask: int
) -> None:
    with umask(mask), make_run_with_wal(tmp_path / "run.db", tiny_programme):
        modes = {path.name: oct(path.stat().st_mode & 0o7777) for path in run_files(tmp_path / "run.db")}
    assert modes == {"run.db": "0o600", "run.db-wal": "0o600", "run.db-shm": "0o600"}


@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_in_a_setgid_team_folder_the_run_is_the_teams(tmp_path: Path, tiny_programme: Programme, mask: int) -> None:
    team = tmp_path / "team"
    team.mkdir()
    team.chmod(0o2770)  # the README's shared folder: chgrp team DIR; chmod 2770 DIR
    with umask(mask), make_run_with_wal(team / "run.db", tiny_programme):
        stats = {path.name: path.stat() for path in run_files(team / "run.db")}
    assert {name: oct(st.st_mode & 0o7777) for name, st in stats.items()} == dict.fromkeys(stats, "0o660")
    assert {st.st_gid for st in stats.values()} == {team.stat().st_gid}  # the folder's group: the team


def as_other_user(user: str, group: str, *command: str) -> subprocess.CompletedProcess[str]:
    """``command`` run as ``user`` with ``group`` and no other groups: another local account, as root makes one."""
    return subprocess.run(
        list(command),
        user=user,
        group=group,
        extra_groups=[],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=30,
        check=False,
    )


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder other local users can reach (pytest's tmp_path is under a folder only its owner may enter)."""
    folder = Path(tempfile.mkdtemp(prefix="facilitator-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_another_local_user_cannot_read_the_run_or_its_secret(shared_tmp: Path, tiny_programme: Programme) -> None:
    require_other_users()
    db = shared_tmp / "run.db"
    control = shared_tmp / "readme.txt"
    control.write_text("anyone may read this")
    control.chmod(0o644)
    with umask(0o022), make_run_with_wal(db, tiny_programme) as store:
        tokens_secret = store.conn.execute("SELECT value FROM participant_page WHERE name = 'secret'").fetchone()
        # The same account reads a world-readable file in the same folder: the test can tell a refusal.
        assert as_other_user("nobody", "nogroup", "head", "-c", "20", str(control)).stdout == "anyone may read this"
        for path in run_files(db):
            done = as_other_user("nobody", "nogroup", "head", "-c", "16", str(path))
            assert done.returncode != 0 and "Permission denied" in done.stderr, (path.name, done)
        if sqlite3_cli := shutil.which("sqlite3"):  # the review's way in: the signing secret, read-only
            done = as_other_user(
                "nobody", "nogroup", sqlite3_cli, "-readonly", str(db), "SELECT value FROM participant_page"
            )
            assert done.returncode != 0 and (tokens_secret is None or tokens_secret[0] not in done.stdout)


def test_in_a_setgid_team_folder_the_team_reads_the_run_and_no_one_else(
    shared_tmp: Path, tiny_programme: Programme
) -> None:
    require_other_users()
    import grp

    team = shared_tmp / "team"
    team.mkdir()
    os.chown(team, 0, grp.getgrnam("nogroup").gr_gid)  # chgrp team DIR (nobody's group plays the team)
    team.chmod(0o2770)
    with umask(0o077), make_run_with_wal(team / "run.db", tiny_programme):
        for path in run_files(team / "run.db"):
            member = as_other_user("nobody", "nogroup", "head", "-c", "16", str(path))
            assert member.returncode == 0, (path.name, member.stderr)
            outsider = as_other_user("daemon", "daemon", "head", "-c", "16", str(path))
            assert outsider.returncode != 0 and "Permission denied" in outsider.stderr
    assert as_other_user("nobody", "nogroup", "head", "-c", "16", str(team / "run.db")).stdout.startswith("SQLite")
