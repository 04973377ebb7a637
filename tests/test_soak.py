"""Soak: the five-day demo workshop at an accelerated clock, with its cast as real processes killed at random.

A lead, three co-facilitators (each limited to their own location) and a headless room view act through the
engine; every few seconds one of them is killed with SIGKILL and started again. At the end every
acknowledged action must be in the log, each survivor's screen state must equal a replay of the log up to
what it had read, the database must pass ``PRAGMA integrity_check``, and no process may have hung.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from facilitator.attendance import Attendance
from facilitator.clock import CLOCK_ENV, ScaledClock
from facilitator.events import Event
from facilitator.script_models import Programme
from facilitator.session import Session
from facilitator.state import fold
from facilitator.store import Store
from tests.conftest import DEMO_FOLDER
from tests.soak.actor import summary
from tests.tools import BIN

pytestmark = [pytest.mark.soak, pytest.mark.slow]

ACTOR = Path(__file__).parent / "soak" / "actor.py"
SECONDS_PER_DAY = float(os.environ.get("SOAK_SECONDS_PER_DAY", "18"))  # real seconds for one workshop day
KILL_EVERY = (1.0, 2.5)  # real seconds between two kills
CO_LOCATIONS = ("unmiss", "monusco", "minusma")


@dataclass
class Cast:
    db: Path
    out: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    commands: dict[str, list[str]] = field(default_factory=dict)
    kills: int = 0

    def start(self, name: str, command: list[str]) -> None:
        self.commands[name] = command
        log = (self.out / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def kill_and_restart(self, name: str) -> None:
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        self.kills += 1
        self.start(name, self.commands[name])

    def stop_all(self) -> dict[str, int | None]:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = None  # hung
        return codes


def clock_for(programme: Programme, start_real: float) -> tuple[ScaledClock, float]:
    """A clock that plays each day, from a little before its first step to after its last, in SECONDS_PER_DAY."""
    tz = zoneinfo.ZoneInfo(programme.workshop.timezone)
    spans = []
    for day in programme.workshop.days:
        timeline = programme.timeline(day)
        first, last = timeline[0].start.astimezone(tz), timeline[-1].end
        spans.append((first - timedelta(minutes=10), last + timedelta(minutes=20)))
    longest = max(end - start for start, end in spans)
    factor = longest.total_seconds() / SECONDS_PER_DAY
    segments = [(start_real + i * SECONDS_PER_DAY, start) for i, (start, _end) in enumerate(spans)]
    return ScaledClock(segments, factor), factor


@pytest.fixture
def run_db(tmp_path: Path) -> Iterator[Path]:
    db = tmp_path / "run.db"
    facilitator = str(BIN / "facilitator")
    subprocess.run([facilitator, "init", str(DEMO_FOLDER), "--db", str(db), "--as", "organiser"], check=True)
    subprocess.run(
        [facilitator, "roster", "import", str(DEMO_FOLDER / "roster.csv"), "--db", str(db), "--as", "organiser"],
        check=True,
        capture_output=True,
    )
    yield db


def actor(role: str, name: str, cast: Cast, seed: int, location: str | None = None) -> list[str]:
    command = [sys.executable, str(ACTOR), role, "--db", str(cast.db), "--name", name, "--out", str(cast.out)]
    command += ["--seed", str(seed)]
    return [*command, "--location", location] if location else command


def replay(events: list[Event], upto: int) -> dict[str, object]:
    """What a process that had read the log up to ``upto`` must show, computed afresh from the log."""
    shown = [e for e in events if e.seq <= upto]
    return summary(fold(shown), Attendance.from_events(shown))


def test_five_days_with_random_kills(run_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with Store.open(run_db) as store:
        programme = Session(store, actor="organiser").programme
    start_real = time.time() + 2
    clock, factor = clock_for(programme, start_real)
    env = {**os.environ, CLOCK_ENV: clock.to_env(), "PYTHONPATH": str(Path(__file__).parent.parent)}
    cast = Cast(db=run_db, out=out, env=env)
    rng = random.Random(20220822)

    cast.start("lead", actor("lead", "lead", cast, 1))
    for i, location in enumerate(CO_LOCATIONS):
        cast.start(f"co-{location}", actor("co", f"co-{location}", cast, 10 + i, location))
    cast.start("room", actor("room", "room", cast, 99))

    end_real = start_real + SECONDS_PER_DAY * len(programme.workshop.days)
    next_kill = time.time() + rng.uniform(*KILL_EVERY)
    while time.time() < end_real:
        if time.time() >= next_kill:
            cast.kill_and_restart(rng.choice(sorted(cast.processes)))
            next_kill = time.time() + rng.uniform(*KILL_EVERY)
        time.sleep(0.05)

    time.sleep(1.0)  # the last restarted process gets going, so every survivor has something to show
    alive_before = {p.name: p.read_text() for p in out.glob("*.alive")}
    time.sleep(1.0)
    alive_after = {p.name: p.read_text() for p in out.glob("*.alive")}
    hung = [name for name in alive_after if alive_after[name] == alive_before.get(name)]
    assert len(alive_after) == len(cast.processes), f"never got going: {sorted(alive_after)}"
    codes = cast.stop_all()

    assert not hung, f"made no progress for a second: {hung}"
    assert all(code == 0 for code in codes.values()), f"exit codes after SIGTERM: {codes}"
    assert cast.kills >= 20, f"only {cast.kills} kills: the soak did not soak"

    with Store.open(run_db) as store:
        assert store.integrity_check() == "ok"
        events = store.events()
    ids = {e.id for e in events}
    assert len(ids) == len(events)
    acknowledged = [line for f in out.glob("*.acks") for line in f.read_text().split()]
    missing = [a for a in acknowledged if a not in ids]
    assert not missing, f"{len(missing)} acknowledged actions are not in the log"
    assert len(acknowledged) > 200

    for final in out.glob("*.final.json"):
        shown = json.loads(final.read_text())
        assert shown["summary"] == replay(events, shown["last_seq"]), f"{final.name} differs from the replay"
    assert len(list(out.glob("*.final.json"))) == len(cast.processes)

    state = fold(events)
    days_opened = {e.payload["day"] for e in events if e.kind == "day.opened"}
    assert len(days_opened) == len(programme.workshop.days), f"the lead opened {sorted(days_opened)}"
    assert state.reflections and state.notes
    figures = f"{len(events)} events, {len(acknowledged)} acknowledged, {cast.kills} kills, x{factor:.0f}"
    sys.stderr.write(f"soak: {figures}\n")
