"""Soak: the five-day demo workshop at an accelerated clock, with its cast as real processes killed at random.

A lead, three co-facilitators (each limited to their own location) and a headless room view act through the
engine, `facilitator serve` takes a burst of phones every simulated hour and `facilitator export` runs every
simulated half day; every few seconds one of the long-running processes is killed with SIGKILL and started
again. At the end every acknowledged action (a command that
returned its event, a page that answered "done") must be in the log, each survivor's screen state must
equal a replay of the log up to what it had read, the database must pass ``PRAGMA integrity_check``, and no
process may have hung; every export must be a consistent snapshot of the log: its event log the log's first
events, its reflections those of a replay of them.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from facilitator.attendance.intervals import Attendance
from facilitator.live.session import Session
from facilitator.live.state import fold
from facilitator.participant_page import tokens
from facilitator.record import events as ev
from facilitator.record.clock import CLOCK_ENV, ScaledClock
from facilitator.record.events import Event
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import DEMO_FOLDER
from tests.soak.actor import summary
from tests.tools import BIN, free_port

pytestmark = [pytest.mark.soak, pytest.mark.slow]

ACTOR = Path(__file__).parent / "soak" / "actor.py"
SECONDS_PER_DAY = float(os.environ.get("SOAK_SECONDS_PER_DAY", "18"))  # real seconds for one workshop day
KILL_EVERY = (1.0, 2.5)  # real seconds between two kills
CO_LOCATIONS = ("unmiss", "monusco", "minusma")
PHONES_PER_BURST = 12
PAGE_LOCATION = "hq"


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


@dataclass
class PhoneAcks:
    """What the participant page acknowledged: people it said were checked in, reflections it said it kept."""

    checked_in: set[str] = field(default_factory=set)  # e-mail addresses
    reflections: set[str] = field(default_factory=set)  # event ids
    bursts: int = 0
    failed: int = 0  # phones that got no answer: the server was being killed


def _hidden(html: str, name: str) -> str | None:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    return found.group(1) if found else None


async def _phone(client: httpx.AsyncClient, token: str, email: str, acks: PhoneAcks) -> None:
    page = await client.get(f"/p/{token}")
    csrf, sid = _hidden(page.text, "csrf"), _hidden(page.text, "sid")
    if page.status_code != 200 or not csrf or not sid:
        acks.failed += 1
        return
    response = await client.post(f"/p/{token}/identify", data={"csrf": csrf, "sid": sid, "email": email, "code": ""})
    if response.status_code != 303:
        acks.failed += 1
        return
    acks.checked_in.add(email)
    page = await client.get(f"/p/{token}")
    csrf, sid, answering = (_hidden(page.text, n) for n in ("csrf", "sid", "answering"))
    if not (csrf and sid and answering):
        return  # no prompt on the current step
    form = {"csrf": csrf, "sid": sid, "answering": answering, "text": f"from a phone {sid}", "consent": "1"}
    response = await client.post(f"/p/{token}/reflect", data=form)
    if response.status_code == 303 and "done=reflection" in response.headers.get("location", ""):
        acks.reflections.add(f"reflection-{sid}")


async def _burst(base: str, token: str, emails: list[str], acks: PhoneAcks) -> None:
    async def one(index: int, email: str) -> None:
        headers = {"x-forwarded-for": f"10.0.{acks.bursts % 250}.{index + 1}"}
        async with httpx.AsyncClient(base_url=base, timeout=5, headers=headers) as client:
            try:
                await _phone(client, token, email, acks)
            except httpx.HTTPError:
                acks.failed += 1

    await asyncio.gather(*(one(i, email) for i, email in enumerate(emails)))
    acks.bursts += 1


def burst(db: Path, base: str, *, clock: ScaledClock, emails: list[str], rng: random.Random, acks: PhoneAcks) -> None:
    """A dozen phones at the headquarters scan the code now shown there, check in and answer the prompt."""
    with Store.open(db, clock=clock) as store:
        token = tokens.issue(tokens.load_settings(store), store.programme(), PAGE_LOCATION, clock.now()).code
    asyncio.run(_burst(base, token, rng.sample(emails, PHONES_PER_BURST), acks))


def check_export(folder: Path, events: list[Event]) -> int:
    """The export in ``folder`` is the log up to some event, and its reflections are those of that log; its size."""
    exported = [json.loads(line) for line in (folder / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["id"] for e in exported] == [e.id for e in events[: len(exported)]], f"{folder.name}: not a snapshot"
    state = fold(events[: len(exported)])
    with (folder / "reflections.csv").open(encoding="utf-8-sig", newline="") as rows:
        reflections = {row["reflection_id"] for row in csv.DictReader(rows)}
    assert reflections == set(state.reflections), f"{folder.name}: reflections differ from the log's"
    return len(exported)


def _answers(base: str) -> bool:
    deadline = time.time() + 10  # it may have been restarted a moment ago
    while time.time() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).text == "ok":
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


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
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cast.start("serve", [str(BIN / "facilitator"), "serve", "--db", str(run_db), "--port", str(port)])
    with Store.open(run_db) as store:
        emails = [p.email for p in Attendance.from_events(store.events()).roster.at(PAGE_LOCATION)]
    phones = PhoneAcks()
    simulated_hour = 3600 / factor

    end_real = start_real + SECONDS_PER_DAY * len(programme.workshop.days)
    next_kill = time.time() + rng.uniform(*KILL_EVERY)
    next_burst = start_real + simulated_hour
    next_export = start_real + simulated_hour * 2
    exports: list[tuple[Path, subprocess.Popen[bytes]]] = []
    while time.time() < end_real:
        if time.time() >= next_kill:
            cast.kill_and_restart(rng.choice(sorted(cast.processes)))
            next_kill = time.time() + rng.uniform(*KILL_EVERY)
        if time.time() >= next_burst:
            burst(run_db, base, clock=clock, emails=emails, rng=rng, acks=phones)
            next_burst += simulated_hour
        if time.time() >= next_export:
            folder = out / f"export-{len(exports):02d}"
            command = [str(BIN / "facilitator"), "export", "--db", str(run_db), "--out", str(folder), "--format", "csv"]
            exports.append((folder, subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)))
            next_export += simulated_hour * 2
        time.sleep(0.05)

    time.sleep(1.0)  # the last restarted process gets going, so every survivor has something to show
    alive_before = {p.name: p.read_text() for p in out.glob("*.alive")}
    time.sleep(1.0)
    alive_after = {p.name: p.read_text() for p in out.glob("*.alive")}
    hung = [name for name in alive_after if alive_after[name] == alive_before.get(name)]
    assert len(alive_after) == len(cast.processes) - 1, f"never got going: {sorted(alive_after)}"
    server_answers = _answers(base)
    codes = cast.stop_all()
    codes["serve"] = 0 if codes["serve"] in (0, -signal.SIGTERM) else codes["serve"]

    assert not hung, f"made no progress for a second: {hung}"
    assert server_answers, "the participant page stopped answering"
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

    export_codes = [process.wait(timeout=60) for _, process in exports]
    assert export_codes and set(export_codes) == {0}, f"exports failed: {export_codes}"
    sizes = [check_export(folder, events) for folder, _ in exports]
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]

    missing = sorted(phones.reflections - ids)
    assert not missing, f"the page acknowledged {len(missing)} reflections that are not in the log"
    by_id = Attendance.from_events(events).roster.by_id
    qr_in = {by_id[e.payload["participant"]].email for e in events if e.kind == ev.ATTENDANCE_CHECKED_IN}
    assert phones.checked_in <= qr_in, "the page said someone was checked in who never was"
    assert phones.bursts >= 10 and len(phones.checked_in) >= 5 and phones.reflections, phones

    for final in out.glob("*.final.json"):
        shown = json.loads(final.read_text())
        assert shown["summary"] == replay(events, shown["last_seq"]), f"{final.name} differs from the replay"
    assert len(list(out.glob("*.final.json"))) == len(cast.processes) - 1  # all but the web server

    state = fold(events)
    days_opened = {e.payload["day"] for e in events if e.kind == "day.opened"}
    assert len(days_opened) == len(programme.workshop.days), f"the lead opened {sorted(days_opened)}"
    assert state.reflections and state.notes
    figures = (
        f"{len(events)} events, {len(acknowledged)} acknowledged, {cast.kills} kills, x{factor:.0f}, "
        f"{phones.bursts} bursts: {len(phones.checked_in)} phones in, {len(phones.reflections)} reflections, "
        f"{phones.failed} phones unanswered, {len(exports)} exports"
    )
    sys.stderr.write(f"soak: {figures}\n")
