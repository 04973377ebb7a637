"""The store under real concurrency: separate writer processes on one SQLite file, and writers killed with SIGKILL."""

from __future__ import annotations

import itertools
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from facilitator.record import events as ev
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.helpers.writer import KIND

pytestmark = pytest.mark.slow

WRITER = Path(__file__).resolve().parent / "helpers" / "writer.py"


def start_writer(db: Path, prefix: str, count: int, *, wait: bool = False) -> subprocess.Popen[str]:
    args = [sys.executable, str(WRITER), str(db), prefix, str(count), *(["--wait"] if wait else [])]
    return subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_ready(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line != "ready\n":
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"writer did not start: {line!r}\n{err}")


def stored_ids(db: Path) -> list[str]:
    """Every event id in seq order, read through a plain sqlite3 connection."""
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("SELECT id FROM events ORDER BY seq")]
    finally:
        conn.close()


def test_four_processes_appending_concurrently_lose_and_duplicate_nothing(
    tmp_path: Path, tiny_programme: Programme
) -> None:
    db = tmp_path / "run.db"
    Store.create(db, tiny_programme, actor="lead").close()
    writers = {f"w{k}": start_writer(db, f"w{k}", 250, wait=True) for k in range(4)}
    for proc in writers.values():
        wait_ready(proc)
    for proc in writers.values():  # release them together, so their appends really contend
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    acknowledged: dict[str, list[str]] = {}
    for prefix, proc in writers.items():
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        acknowledged[prefix] = out.split()  # "ready" was read by wait_ready
        assert acknowledged[prefix] == [f"{prefix}-{n}" for n in range(250)]

    with Store.open(db) as store:
        events = store.events()
        assert store.integrity_check() == "ok"
    assert len(events) == 1 + 4 * 250
    assert events[0].kind == ev.RUN_CREATED
    appended = [e for e in events if e.kind == KIND]
    ids = Counter(e.id for e in appended)
    assert set(ids) == {f"w{k}-{n}" for k in range(4) for n in range(250)}
    assert max(ids.values()) == 1
    seqs = [e.seq for e in events]
    assert seqs == list(range(1, len(events) + 1))  # strictly increasing, and no gaps either
    for prefix in writers:  # each writer's events are in the order it appended them
        mine = [int(e.payload["text"]) for e in appended if e.actor == prefix]
        assert mine == list(range(250))
    # the writers really interleaved (otherwise this test proves nothing about concurrency)
    runs = sum(1 for a, b in itertools.pairwise(appended) if a.actor != b.actor)
    assert runs > 3


def test_kill_9_on_writers_never_loses_an_acknowledged_event(tmp_path: Path, tiny_programme: Programme) -> None:
    db = tmp_path / "run.db"
    Store.create(db, tiny_programme, actor="lead").close()
    rng = random.Random()
    acknowledged: list[str] = []
    for round_ in range(5):
        writers = [start_writer(db, f"r{round_}w{k}", 0) for k in range(3)]
        for proc in writers:
            wait_ready(proc)
        for proc in writers:  # each has had at least one append acknowledged, so the kill lands mid-stream
            assert proc.stdout is not None
            acknowledged.append(proc.stdout.readline().strip())
        delay = rng.uniform(0.05, 0.4)
        time.sleep(delay)
        for proc in writers:
            os.kill(proc.pid, signal.SIGKILL)
        for proc in writers:
            out, err = proc.communicate(timeout=10)
            # killed while still appending, not crashed on its own (a busy or recovery error would show here)
            assert proc.returncode == -signal.SIGKILL, err
            acknowledged += out.split()  # "ready" and the first id were read above

        stored = stored_ids(db)
        missing = set(acknowledged) - set(stored)
        assert not missing, f"round {round_} (killed after {delay:.3f} s): acknowledged but lost: {sorted(missing)}"
        assert len(stored) == len(set(stored))
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()

    assert all(acknowledged)
    with Store.open(db) as store:
        assert store.integrity_check() == "ok"
        after = store.append(KIND, {"text": "after the kills"}, actor="lead", event_id="after-kills")
        events = store.events()
    assert events[-1] == after
    seqs = [e.seq for e in events]
    assert seqs == sorted(set(seqs))
    assert set(acknowledged) <= {e.id for e in events}
