"""The run's checkpoint (issue 14): a session opened from it is the session folded from the whole log.

Runs are generated and driven through the session engine (the anonymisation property's runs: a roster, renames,
join requests, answers, breakout groups, reflections and their edits, notes), then more of everything the folds
keep: turns at speaking, pauses and extensions, check-outs, marks, link changes, hidden and retracted
reflections, a question closed and revealed, a day closed. A checkpoint taken after any prefix of that log, and
the rest folded on opening, must give the same folds as the whole log folded from the start.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitator.live import checkpoint
from facilitator.live.session import Session
from facilitator.record import checkpoints
from facilitator.record.checkpoints import Checkpoint
from facilitator.record.clock import FakeClock
from facilitator.record.events import Event
from facilitator.record.store import Store
from tests.test_anonymise_property import drive, runs


def more_of_everything(db: Path, clock: FakeClock) -> None:
    with Store.open(db, clock=clock) as store:
        s = Session(store, actor="lead")
        present = list(s.here_now())
        if present:
            s.start_turn(present[0])
            clock.advance(timedelta(seconds=40))
            s.stop_turn()
            s.start_turn(present[-1])  # left running: the day's close ends it
            s.show_speaking(True)
            s.check_out(present[0])
            s.mark(present[-1], s.state.day, "late")  # type: ignore[arg-type]
        s.pause()
        clock.advance(timedelta(minutes=2))
        s.resume()
        s.adjust(timedelta(minutes=3))
        s.set_link("juba", "dropped")
        clock.advance(timedelta(minutes=1))
        s.set_link("juba", "connected")
        shown = s.state.visible_reflections()
        if shown:
            s.hide_reflection(shown[0].id)
            s.retract_reflection(shown[-1].id)
        for key, status in s.state.questions.items():
            if status.open:
                s.close_question(key)
                s.reveal_results(key)
        clock.advance(timedelta(minutes=5))
        s.close_day()


def dumped(store: Store, folds: checkpoint.Folds) -> tuple[Any, Any]:
    taken = checkpoint.take(store, folds)
    return taken.doc, {name: bytes(part) for name, part in taken.parts.items()}


def folded(events: list[Event]) -> checkpoint.Folds:
    folds = checkpoint.Folds()
    folds.fold_in(events)
    return folds


def keep_at(store: Store, folds: checkpoint.Folds, clock: FakeClock) -> None:
    taken = checkpoint.take(store, folds)
    store.write(lambda conn: checkpoints.write(conn, taken, clock))


def reads_after(store: Store) -> list[int]:
    """Record where each read of the log starts."""
    calls: list[int] = []
    read: Callable[..., list[Event]] = store.events

    def events(after: int = 0, limit: int = -1) -> list[Event]:
        calls.append(after)
        return read(after, limit)

    store.events = events  # type: ignore[method-assign]
    return calls


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scenario=runs().filter(lambda run: len(run["people"]) > 1 and any(p["in"] for p in run["people"])),
    cuts=st.lists(st.floats(0, 1), min_size=1, max_size=3),
)
def test_a_session_opened_from_a_checkpoint_is_the_one_folded_from_the_whole_log(
    scenario: dict[str, Any], cuts: list[float]
) -> None:
    with tempfile.TemporaryDirectory() as name:
        db, clock = drive(Path(name), scenario)
        more_of_everything(db, clock)
        with Store.open(db, clock=clock) as store:
            events = store.events()
            whole = Session(store, actor="lead")
            assert checkpoints.stored_seq(store.conn) == 0  # short of checkpoint.EVERY: none kept
            expected = dumped(store, whole.folds)
            assert whole.groups.groupings and whole.speaking.turns and whole.state.reflections  # not vacuous
            for cut in cuts:
                at = max(1, round(cut * len(events)))
                keep_at(store, folded(events[:at]), clock)
                starts = reads_after(store)
                opened = Session(store, actor="lead")
                assert starts[0] == events[at - 1].seq  # restored: only the rest of the log was read
                assert opened.state == whole.state
                assert dumped(store, opened.folds) == expected
                assert opened.groups.met() == whole.groups.met()
                store.conn.execute("DELETE FROM checkpoint")
                store.conn.commit()


@pytest.fixture
def long_run(run_store: Store, fake_clock: FakeClock) -> Store:
    s = Session(run_store, actor="lead")
    s.announce()
    for n in range(12):
        s.send_note(f"note {n}")
        fake_clock.advance(timedelta(seconds=5))
    return run_store


def test_a_checkpoint_folded_by_other_code_is_not_used(long_run: Store, fake_clock: FakeClock) -> None:
    taken = checkpoint.take(long_run, folded(long_run.events()[:5]))
    other = Checkpoint(taken.seq, taken.event_id, "0" * 32, taken.doc, taken.parts)
    long_run.write(lambda conn: checkpoints.write(conn, other, fake_clock))
    starts = reads_after(long_run)
    assert len(Session(long_run, actor="lead").state.notes) == 12
    assert starts[0] == 0


def test_a_checkpoint_of_another_log_is_not_used(long_run: Store, fake_clock: FakeClock) -> None:
    taken = checkpoint.take(long_run, folded(long_run.events()[:5]))
    elsewhere = Checkpoint(taken.seq, "not-this-log", taken.fingerprint, taken.doc, taken.parts)
    long_run.write(lambda conn: checkpoints.write(conn, elsewhere, fake_clock))
    starts = reads_after(long_run)
    assert len(Session(long_run, actor="lead").state.notes) == 12
    assert starts[0] == 0


def test_a_damaged_checkpoint_is_not_used(long_run: Store, fake_clock: FakeClock) -> None:
    keep_at(long_run, folded(long_run.events()[:5]), fake_clock)
    long_run.conn.execute("UPDATE checkpoint SET doc = '{not json'")
    long_run.conn.commit()
    starts = reads_after(long_run)
    assert len(Session(long_run, actor="lead").state.notes) == 12
    assert starts[0] == 0


def test_a_later_checkpoint_is_not_replaced_by_an_earlier_one(long_run: Store, fake_clock: FakeClock) -> None:
    events = long_run.events()
    keep_at(long_run, folded(events[:9]), fake_clock)
    keep_at(long_run, folded(events[:4]), fake_clock)
    assert checkpoints.stored_seq(long_run.conn) == events[8].seq


def test_a_session_keeps_a_checkpoint_every_so_many_events(
    long_run: Store, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoint, "EVERY", 10)
    lead = Session(long_run, actor="lead")  # folded 14 events on opening: kept at once
    assert checkpoints.stored_seq(long_run.conn) == lead.state.last_seq
    co = Session(long_run, actor="amina", role="co")
    for n in range(11):
        co.send_note(f"more {n}")
    kept = checkpoints.stored_seq(long_run.conn)
    assert kept == lead.state.last_seq + 10  # the co's session kept one too, ten events on
    lead.refresh()  # folds the co's eleven notes: keeps one at the latest
    assert checkpoints.stored_seq(long_run.conn) == lead.state.last_seq
    starts = reads_after(long_run)
    again = Session(long_run, actor="lead")
    assert starts == [lead.state.last_seq] and again.state == lead.state


def test_a_session_that_cannot_keep_a_checkpoint_works_all_the_same(
    long_run: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoint, "EVERY", 1)

    def refused(conn: sqlite3.Connection, *args: object) -> bool:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(checkpoints, "write", refused)
    lead = Session(long_run, actor="lead")
    lead.send_note("still here")
    assert lead.state.notes[-1].text == "still here" and checkpoints.stored_seq(long_run.conn) == 0


def test_rebuilding_the_derived_tables_drops_the_checkpoint(long_run: Store, fake_clock: FakeClock) -> None:
    keep_at(long_run, folded(long_run.events()), fake_clock)
    long_run.rebuild_derived()
    assert checkpoints.stored_seq(long_run.conn) == 0


def test_a_checkpoint_missing_a_part_is_not_used(long_run: Store, fake_clock: FakeClock) -> None:
    keep_at(long_run, folded(long_run.events()[:5]), fake_clock)
    long_run.conn.execute("DELETE FROM checkpoint_parts WHERE name LIKE 'attendance/%'")
    long_run.conn.commit()
    starts = reads_after(long_run)
    assert len(Session(long_run, actor="lead").state.notes) == 12
    assert starts[0] == 0


@pytest.mark.parametrize("part", ["attendance/", "reflections/", "notes/"])
def test_a_checkpoint_with_a_damaged_part_is_not_used(long_run: Store, fake_clock: FakeClock, part: str) -> None:
    s = Session(long_run, actor="lead")
    s.log_reflection("a reflection to keep")
    amina = s.add_participant("Amina", "amina@example.org", "juba").payload["participant"]
    s.check_in(amina)
    fake_clock.advance(timedelta(minutes=5))
    s.check_out(amina)
    s.check_in(amina)
    keep_at(long_run, folded(long_run.events()), fake_clock)
    long_run.conn.execute(
        "UPDATE checkpoint_parts SET body = substr(body, 1, length(body) - 1) WHERE name LIKE ? AND length(body) > 1",
        (part + "%",),
    )
    long_run.conn.commit()
    starts = reads_after(long_run)
    opened = Session(long_run, actor="lead")
    assert starts[0] == 0 and opened.state == s.state


def test_the_parts_are_read_through_a_map_of_the_file_only_while_the_checkpoint_is_read(
    long_run: Store, fake_clock: FakeClock
) -> None:
    """A map makes reading the parts a copy, not a read per page; a disk that fails under a map ends the process,
    so the store's connection maps nothing the rest of the time."""
    keep_at(long_run, folded(long_run.events()), fake_clock)
    mapped: list[int] = []
    real = checkpoint._folds

    def folds_watched(conn: sqlite3.Connection, kept: Checkpoint) -> checkpoint.Folds:
        mapped.append(conn.execute("PRAGMA mmap_size").fetchone()[0])
        return real(conn, kept)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checkpoint, "_folds", folds_watched)
        assert checkpoint.restore(long_run) is not None
    assert mapped and mapped[0] > 0  # while the parts were read
    assert long_run.conn.execute("PRAGMA mmap_size").fetchone()[0] == 0  # and not after
