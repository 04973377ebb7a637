"""The team across real processes on one database file: what one process writes, every other one sees.

Each co-facilitator's SSH login is its own process; the SQLite file is the only thing they share.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from facilitator.live.session import Session
from facilitator.live.state import fold
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.team import presence
from tests.tools import Tmux, wait_for

pytestmark = pytest.mark.slow

DEMO = Path(__file__).resolve().parent.parent / "exercises"

# A co-facilitator's process reduced to its reading loop: join, then fold in what changed whenever
# PRAGMA data_version moves (as the app's poll does), printing every step entered and every person joined.
WATCHER = """
import sys, time
from pathlib import Path
from facilitator.live.session import Session
from facilitator.record.store import Store

db, name, steps, people = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with Store.open(db) as store:
    session = Session(store, actor=name, role="co")
    print("ready", flush=True)
    sys.stdin.readline()
    session.announce()
    version = store.data_version()
    deadline = time.monotonic() + 60
    def waiting():
        return len(session.state.visits) < steps or len(session.state.facilitators) < people
    while waiting() and time.monotonic() < deadline:
        now = store.data_version()
        if now != version:
            version = now
            session.refresh()
        time.sleep(0.005)
    print("steps", *(visit.step for visit in session.state.visits), flush=True)
    print("joined", *sorted(session.state.facilitators), flush=True)
"""

MOVES = ["next", "next", "next", "previous", "next", "next"]  # six step changes by the driver


def start_watchers(db: Path, count: int, people: int) -> list[subprocess.Popen[str]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WATCHER, str(db), f"co{k}", str(len(MOVES)), str(people)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(count)
    ]
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line != "ready\n":
            proc.kill()
            pytest.fail(f"watcher did not start: {line!r} {proc.communicate(timeout=10)[1]}")
    for proc in procs:  # all at once, so their joins and reads interleave
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    return procs


def drive(db: Path) -> list[str]:
    """The lead, in this process, moving through the day; the steps entered, in order."""
    entered = []
    with Store.open(db) as store:
        lead = Session(store, actor="lead")
        lead.announce()
        for move in MOVES:
            event = lead.next_step() if move == "next" else lead.previous_step()
            assert event is not None
            entered.append(event.payload["step"])
    return entered


@pytest.mark.parametrize("count", [2, 10])
def test_every_process_sees_every_change_of_every_other(tmp_path: Path, count: int) -> None:
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(DEMO).programme, actor="lead").close()
    watchers = start_watchers(db, count, people=count + 1)
    entered = drive(db)
    for proc in watchers:
        out, err = proc.communicate(timeout=90)
        assert proc.returncode == 0, err
        steps, joined = out.splitlines()
        assert steps.split()[1:] == entered
        assert set(joined.split()[1:]) == {"lead", *(f"co{k}" for k in range(count))}  # its own and everyone's


# -- real terminals -----------------------------------------------------------------------------------


@pytest.fixture
def terminals() -> Iterator[tuple[Tmux, Tmux]]:
    tag = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
    lead, co = (
        Tmux(f"facilitator-lead-{tag}", width=100, height=30),
        Tmux(f"facilitator-co-{tag}", width=100, height=30),
    )
    yield lead, co
    lead.kill()
    co.kill()


def live(db: Path, actor: str) -> list[presence.Presence]:
    with Store.open(db) as store:
        return [row for row in presence.present(store) if row.actor == actor]


def test_a_co_in_a_terminal_follows_the_lead_sends_a_note_and_leaves_on_sighup(
    tmp_path: Path, terminals: tuple[Tmux, Tmux]
) -> None:
    lead, co = terminals
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(DEMO).programme, actor="lead").close()
    env = "FACILITATOR_CONFIG=/nonexistent/config.toml"
    lead.start(f"env {env} facilitator run --db {db} --as lead", cwd=tmp_path)
    lead.wait_for_text("Press n to start")
    co.start(f"env {env} facilitator join --db {db} --as amina --location unmiss", cwd=tmp_path)
    co.wait_for_text("driving: lead")
    lead.send("n")
    # The lead's step change shows on the co-facilitator's screen (the issue asks for within a second;
    # timing is measured by the benchmark, not asserted here).
    co.wait_for_text("▶ 08:00 Welc", timeout=10)
    co.send("n")
    co.wait_for_text("lead is driving: press c to ask for control")
    co.send("m")
    co.wait_for_text("Note to lead")
    co.send("-l", "MONUSCO lost audio [b]!")
    co.send("Enter")
    lead.wait_for_text("amina → you: MONUSCO lost audio [b]!")
    lead.send("w")
    lead.wait_for_text("connected (w hides)")
    panel = lead.wait_for_text("unmiss")
    assert "amina" in panel

    rows = live(db, "amina")
    assert len(rows) == 1
    os.kill(rows[0].pid, signal.SIGHUP)  # the SSH connection drops
    assert wait_for(lambda: not live(db, "amina"), timeout=10)
    assert wait_for(lambda: "unmiss" not in lead.screen(), timeout=10), lead.screen()  # gone from the panel
    with Store.open(db) as store:
        state = fold(store.events())
    assert [note.text for note in state.notes] == ["MONUSCO lost audio [b]!"]  # what was sent stays
    assert state.step == "welcome"
    assert "EXITED" not in lead.screen()  # the lead's app runs on
