"""Exporting a live run: one consistent snapshot, while facilitators keep writing and are never blocked."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from facilitator.exports.progress import Silent
from facilitator.exports.run import export
from facilitator.live.session import Session
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.test_export_run import build_run, read_csv

pytestmark = pytest.mark.slow


class WriteMidway(Silent):
    """Commits a reflection from another connection while the export is halfway through its snapshot."""

    def __init__(self, db: Path, clock: object) -> None:
        self.db = db
        self.clock = clock
        self.written = 0

    def start(self, label: str, total: int | None) -> None:
        if label == "writing the tables":
            with Store.open(self.db, clock=self.clock) as store:  # type: ignore[arg-type]
                # a short deadline: a write lock held by the export would make this fail
                Session(store, actor="co").log_reflection("Written during the export", consent=True)
                self.written += 1


def test_a_write_during_the_export_commits_at_once_and_stays_out_of_it(
    tmp_path: Path, tiny_programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, clock, _ = build_run(tmp_path, tiny_programme)
    with Store.open(db) as store:
        before = len(store.events())
    monkeypatch.setattr("facilitator.record.store.WRITE_DEADLINE_S", 0.5)
    hook = WriteMidway(db, clock)
    export(db, tmp_path / "out", formats=["csv"], now=clock.now(), progress=hook)
    assert hook.written == 1
    with Store.open(db) as store:
        assert len(store.events()) == before + 1
    lines = (tmp_path / "out" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == before
    texts = [row["text"] for row in read_csv(tmp_path / "out" / "reflections.csv")]
    assert "Written during the export" not in texts and len(texts) == 6


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from facilitator.live.session import Session
    from facilitator.record.store import Store

    db, seconds = Path(sys.argv[1]), float(sys.argv[2])
    with Store.open(db) as store:
        s = Session(store, actor="co")
        people = list(s.attendance.roster.by_id)
        deadline = time.monotonic() + seconds
        n = 0
        print("ready", flush=True)
        while time.monotonic() < deadline:
            person = people[n % len(people)]
            if s.attendance.is_in(person):
                s.check_out(person)
            else:
                s.check_in(person)
            s.log_reflection(f"live reflection {n}", consent=n % 2 == 0)
            n += 1
        print(n, flush=True)
    """
)


def _consistent(out: Path) -> int:
    """The export is one moment of the run: no gap in the log, and its tables agree with it."""
    events = [json.loads(line) for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    logged = [e for e in events if e["kind"] == "reflection.logged"]
    reflections = read_csv(out / "reflections.csv")
    assert [r["reflection_id"] for r in reflections] == [e["payload"]["reflection"] for e in logged]
    checks = [e for e in events if e["kind"].startswith("attendance.checked")]
    assert checks, "the writer was running"
    return len(events)


def test_export_while_another_process_writes(tmp_path: Path, tiny_programme: Programme) -> None:
    db, _, _ = build_run(tmp_path, tiny_programme)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), "6"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        sizes = []
        for attempt in range(3):
            out = tmp_path / f"out{attempt}"
            result = subprocess.run(
                [sys.executable, "-m", "facilitator", "export", "--db", str(db), "--out", str(out), "--format", "csv"],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert result.returncode == 0, result.stderr
            sizes.append(_consistent(out))
        stdout, stderr = writer.communicate(timeout=60)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert writer.returncode == 0, stderr
    assert int(stdout.split()[-1]) > 0
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]  # the run grew between exports
