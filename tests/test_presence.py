"""One driver per run: a live lead refuses a second one; a lead that died (kill -9) blocks nobody."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from facilitator.record.clock import FakeClock, to_text
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.team import presence
from facilitator.team.presence import LeadActive, Presence
from facilitator.tui.app import FacilitatorApp

FACILITATOR = [sys.executable, "-m", "facilitator"]

# A lead that stays alive in its own process: claims the run, beats every half second, until killed.
HOLDER = """
import sys, time
from pathlib import Path
from facilitator.team import presence
from facilitator.record.store import Store
with Store.open(Path(sys.argv[1])) as store:
    lead = presence.claim(store, actor="amina")
    print("ready", flush=True)
    while True:
        time.sleep(0.5)
        presence.heartbeat(store, lead)
"""


def rows(store: Store) -> list[Presence]:
    return [Presence.from_row(r) for r in store.conn.execute(f"SELECT {presence.COLUMNS} FROM presence").fetchall()]


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def insert(store: Store, *, pid: int, host: str, last_seen: FakeClock, actor: str = "ghost") -> None:
    at = to_text(last_seen.now())
    store.conn.execute(
        f"INSERT INTO presence ({presence.COLUMNS}) VALUES (?, ?, 'lead', ?, ?, ?, ?, NULL)",
        (f"row-{actor}", actor, pid, host, at, at),
    )


def test_a_live_lead_refuses_a_second_one(run_store: Store, fake_clock: FakeClock) -> None:
    first = presence.claim(run_store, actor="amina", clock=fake_clock)
    fake_clock.advance(5)  # within the staleness window
    with pytest.raises(LeadActive) as refused:
        presence.claim(run_store, actor="bob", clock=fake_clock)
    (line,) = refused.value.lines()
    assert "amina (pid" in line
    assert f"since {first.started_at.astimezone():%Y-%m-%d %H:%M:%S}" in line
    assert "quit it first; co-facilitators open it with `facilitator join --db FILE`" in line
    assert [r.actor for r in rows(run_store)] == ["amina"]


def test_heartbeats_keep_a_lead_live(run_store: Store, fake_clock: FakeClock) -> None:
    lead = presence.claim(run_store, actor="amina", clock=fake_clock)
    for _ in range(5):
        fake_clock.advance(presence.HEARTBEAT_SECONDS)
        presence.heartbeat(run_store, lead, clock=fake_clock)
    fake_clock.advance(5)
    assert [p.actor for p in presence.present(run_store, role="lead", clock=fake_clock)] == ["amina"]
    with pytest.raises(LeadActive):
        presence.claim(run_store, actor="bob", clock=fake_clock)


def test_a_lead_not_seen_for_a_while_is_stale_and_blocks_nobody(run_store: Store, fake_clock: FakeClock) -> None:
    presence.claim(run_store, actor="amina", clock=fake_clock)  # this very process: its pid is alive
    fake_clock.advance(presence.STALE_AFTER + timedelta(seconds=1))
    assert presence.present(run_store, clock=fake_clock) == []
    presence.claim(run_store, actor="bob", clock=fake_clock)
    assert [r.actor for r in rows(run_store)] == ["bob"]  # the stale row is cleared


def test_a_dead_lead_on_this_host_blocks_nobody_at_once(run_store: Store, fake_clock: FakeClock) -> None:
    insert(run_store, pid=dead_pid(), host=presence.this_host(), last_seen=fake_clock)
    assert presence.present(run_store, clock=fake_clock) == []
    presence.claim(run_store, actor="bob", clock=fake_clock)
    assert [r.actor for r in rows(run_store)] == ["bob"]


def test_a_fresh_lead_on_another_host_counts_whatever_its_pid(run_store: Store, fake_clock: FakeClock) -> None:
    insert(run_store, pid=dead_pid(), host="another-host", last_seen=fake_clock, actor="remote")
    with pytest.raises(LeadActive, match="remote"):
        presence.claim(run_store, actor="bob", clock=fake_clock)


def test_leaving_removes_the_row_and_roles_are_kept_apart(run_store: Store, fake_clock: FakeClock) -> None:
    lead = presence.claim(run_store, actor="amina", clock=fake_clock)
    presence.claim(run_store, actor="co", role="co", exclusive=False, clock=fake_clock)
    assert sorted(p.role for p in presence.present(run_store, clock=fake_clock)) == ["co", "lead"]
    presence.leave(run_store, lead.connection)
    presence.leave(run_store, lead.connection)  # twice is harmless
    assert [p.role for p in presence.present(run_store, clock=fake_clock)] == ["co"]
    presence.claim(run_store, actor="bob", clock=fake_clock)


def test_leads_starting_at_once_cannot_both_win(tmp_path: Path, tiny_programme: Programme) -> None:
    db = tmp_path / "run.db"
    Store.create(db, tiny_programme, actor="lead").close()
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def start(name: str) -> None:
        with Store.open(db) as store:
            barrier.wait()
            try:
                presence.claim(store, actor=name)
                outcomes.append("won")
            except LeadActive:
                outcomes.append("refused")

    threads = [threading.Thread(target=start, args=(f"lead{k}",)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 5 + ["won"]


async def test_the_app_holds_the_lead_row_while_it_runs_and_removes_it_on_exit(
    run_store: Store, fake_clock: FakeClock
) -> None:
    app = FacilitatorApp(db_path=run_store.path, actor="amina", clock=fake_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        (live,) = presence.present(run_store, role="lead")
        assert (live.actor, live.pid, live.host) == ("amina", os.getpid(), presence.this_host())
        with pytest.raises(LeadActive):
            presence.claim(run_store, actor="bob")
    assert rows(run_store) == []


async def test_an_app_started_beside_a_live_lead_exits_with_the_message(run_store: Store) -> None:
    presence.claim(run_store, actor="amina")
    app = FacilitatorApp(db_path=run_store.path, actor="bob", clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
    assert app.return_code == 2
    assert [r.actor for r in rows(run_store)] == ["amina"]


@pytest.mark.slow
def test_a_second_run_against_a_live_lead_exits_2_with_one_clear_line(
    tmp_path: Path, tiny_programme: Programme
) -> None:
    db = tmp_path / "run.db"
    Store.create(db, tiny_programme, actor="lead").close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "ready\n"
        second = subprocess.run(
            [*FACILITATOR, "run", "--db", str(db), "--as", "bob"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
            check=False,
            cwd=tmp_path,
        )
        assert second.returncode == 2
        assert "Traceback" not in second.stderr
        (line,) = second.stderr.splitlines()
        assert line.startswith("run.db: amina (pid ")
        assert f"pid {holder.pid} on {presence.this_host()}, since " in line
        assert "is already driving this run; quit it first" in line
        assert "`facilitator join --db FILE`" in line
    finally:
        holder.kill()  # kill -9: the row stays behind, stale
        holder.wait()
    with Store.open(db) as store:
        assert [r.actor for r in rows(store)] == ["amina"]
    after = subprocess.run(
        [*FACILITATOR, "run", "--db", str(db), "--as", "bob"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
        cwd=tmp_path,
    )
    # Not refused for a driver any more: it gets as far as asking for a terminal, and leaves no row.
    assert after.returncode == 2
    assert "needs a terminal" in after.stderr
    assert "driving" not in after.stderr
    with Store.open(db) as store:
        assert rows(store) == []
