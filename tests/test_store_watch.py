"""An idle terminal sleeps until the run is written: the inotify watch, the probe of the log's last event, and
an app that sees another process's change through them alone (issue 25)."""

from __future__ import annotations

import select
from pathlib import Path

from facilitator.live.session import Session
from facilitator.record import store_watch
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.team import presence
from facilitator.tui.app import FacilitatorApp


def readable(watch: store_watch.FileWatch, seconds: float = 1.0) -> bool:
    ready, _, _ = select.select([watch.fileno()], [], [], seconds)
    return bool(ready)


def test_a_commit_to_the_run_is_reported_and_other_files_beside_it_are_not(
    tmp_path: Path, tiny_programme: Programme
) -> None:
    db = tmp_path / "run.db"
    store = Store.create(db, tiny_programme, actor="lead")
    watch = store_watch.watch(db)
    assert watch is not None
    try:
        (tmp_path / "export.csv").write_text("a,b\n")  # an export written beside the run
        assert not (readable(watch, 0.2) and watch.written())
        Session(store, actor="lead").log_reflection("seen")
        assert readable(watch)
        assert watch.written()
        assert not watch.written()  # taken: nothing waits any more
    finally:
        watch.close()
        store.close()


def test_the_probe_moves_with_a_new_event_and_not_with_a_heartbeat(tmp_path: Path, tiny_programme: Programme) -> None:
    # Every open terminal writes its presence row every two seconds: none of those needs a look at the run.
    db = tmp_path / "run.db"
    store = Store.create(db, tiny_programme, actor="lead")
    probe = store_watch.probe(db)
    assert probe is not None
    try:
        assert probe.moved()  # the first look
        assert not probe.moved()
        row = presence.claim(store, actor="lead")
        presence.heartbeat(store, row)
        assert not probe.moved()
        Session(store, actor="lead").log_reflection("seen")
        assert probe.moved()
        assert not probe.moved()
    finally:
        probe.close()
        store.close()


def test_notifications_taken_under_the_write_lock_are_taken_and_nothing_is_written(
    tmp_path: Path, tiny_programme: Programme
) -> None:
    db = tmp_path / "run.db"
    store = Store.create(db, tiny_programme, actor="lead")
    watch = store_watch.watch(db)
    assert watch is not None
    try:
        Session(store, actor="lead").log_reflection("seen")
        assert store_watch.take_published(store, watch)
        assert not readable(watch, 0.2)  # its empty transaction wrote nothing: nobody is woken for it
        assert not store_watch.take_published(store, watch)
    finally:
        watch.close()
        store.close()


def test_a_database_that_cannot_be_read_counts_as_moved(tmp_path: Path) -> None:
    broken = tmp_path / "run.db"
    broken.write_bytes(b"not a database, a damaged copy" * 200)
    probe = store_watch.probe(broken)
    assert probe is not None
    try:
        assert probe.moved()  # the caller then looks properly, and reports what it finds
        assert probe.moved()
    finally:
        probe.close()


async def test_an_app_that_never_polls_sees_another_process_change_through_the_watch(
    tmp_path: Path, tiny_programme: Programme
) -> None:
    db = tmp_path / "run.db"
    clock = FakeClock()
    Store.create(db, tiny_programme, actor="lead", clock=clock).close()
    app = FacilitatorApp(db_path=db, actor="observer", role="observer", clock=clock, poll_seconds=3600)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        with Store.open(db, clock=clock) as store:
            Session(store, actor="lead").next_step()
        for _ in range(100):
            if app.state.step is not None:
                break
            await pilot.pause(0.01)
        assert app.state.step == "intro"
