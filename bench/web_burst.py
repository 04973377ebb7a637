"""The participant page under a burst: check-ins, reflections and answers per second, their latency, end to end.

    .venv/bin/python bench/web_burst.py [--people 1000] [--reflections 500] [--answers 100] [--clients 100]
                                        [--client raw|httpx]

``facilitator serve`` runs as a subprocess on 127.0.0.1 (as in production, behind a proxy it trusts with
``--trusted-proxy 127.0.0.1``: each client sends its own X-Forwarded-For, so each phone has its own rate-limit
bucket). Each phone identifies with its e-mail and personal code, as the page asks by default. 100 concurrent
clients act as the phones: each phone opens the page (all the GETs first, not timed), then POSTs its check-in;
afterwards half of them open the page again and POST a reflection; then the facilitator moves on to the demo's
first poll (another process, as the lead's app), and 100 phones open the page and answer it at once (issue 15:
all in within 2 s, p99 <= 100 ms, none lost: each phone's ballot counted once). Throughput is POSTs per
second over the phase; latency is per POST, as the client sees it. The baseline, measured in the same run on
the same disk, is the raw SQLite single-row commit rate (WAL, synchronous=FULL): no web app can check people
in faster than the database commits (the server commits a burst in batches, so it can go faster than that).
Goal: >= 1,000 check-ins/s and p99 <= 100 ms on a 2-core machine.

The clients run on the same two cores as the server, in their own process, so by default they are a minimal
HTTP client on uvloop (``--client raw``, ~0.05 ms of CPU per POST), with what the bench made before the burst
(the workshop, the run) set aside from the garbage collector's full passes, as the server does its own: a pause
of the clients' would be added to every latency in flight. ``--client httpx`` sends the same requests through
httpx.AsyncClient, as tests/test_web_burst.py does, which costs ~3.5 ms per request and mostly measures
itself. The report gives the CPU per request of each side, and the load average (other work on the box).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.figures import emit
from facilitator.live.session import Session
from facilitator.participant_page import tokens
from facilitator.record import events as ev
from facilitator.record.store import Store

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"
GOAL_RATE = 1000.0
GOAL_P99_MS = 100.0
GOAL_ANSWERS_SECONDS = 2.0  # 100 phones answering one question: all of them in within this


@dataclass
class Phase:
    name: str
    seconds: float
    latencies: list[float]  # seconds, one per POST

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def raw_commit_rate(folder: Path, n: int = 2000) -> float:
    """Single-row BEGIN IMMEDIATE; INSERT; COMMIT per second, WAL + synchronous=FULL, on ``folder``'s disk."""
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, payload TEXT)")
    start = time.perf_counter()
    for _ in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO events (id, payload) VALUES (?, ?)", (uuid.uuid4().hex, '{"participant":"x"}'))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


class Poll(NamedTuple):
    """The demo's first single-choice poll: its key, the option the phones choose, and where it is asked."""

    key: str
    option: str
    exercise: str
    step: str
    day: date


def prepare(db: Path, people: int) -> tuple[str, Poll]:
    """A run of the demo workshop with ``people`` participants, on a reflection step: its first location's token,
    and the poll the phones answer afterwards."""
    from facilitator.script.loading import load_workshop
    from facilitator.script.models import QuestionType

    programme = load_workshop(EXERCISES).programme
    asked = next(a for a in programme.asked if a.question.type is QuestionType.SINGLE and not a.evaluation)
    poll_day = next(
        d.date for d in programme.workshop.days if any(p.exercise.id == asked.exercise for p in programme.timeline(d))
    )
    poll = Poll(asked.key, asked.question.options[0].id, asked.exercise, asked.step, poll_day)
    with Store.create(db, programme, actor="bench") as store:
        first = programme.workshop.locations[0].id
        store.append_many(
            [
                (
                    ev.PARTICIPANT_ADDED,
                    {
                        "participant": f"p{i:05d}",
                        "name": f"Person {i}",
                        "email": f"person{i}@example.org",
                        "location": first,
                        "code": personal_code(i),
                        "source": "roster",
                    },
                )
                for i in range(people)
            ],
            actor="bench",
        )
        lead = Session(store, actor="bench")
        day = programme.workshop.days[0]
        step = next(p for p in programme.timeline(day) if p.step.prompt is not None)
        lead.enter_step(step.exercise.id, step.step.id, on=day.date)
        settings = tokens.load_settings(store)
        return tokens.issue(settings, programme, first, store.clock.now()).code, poll


def to_poll(db: Path, poll: Poll) -> None:
    """The facilitator enters the poll's step, from another process, as the lead's app would."""
    with Store.open(db) as store:
        Session(store, actor="bench").enter_step(poll.exercise, poll.step, on=poll.day, confirmed=True)


def personal_code(person: int) -> str:
    """Person ``person``'s personal code on the bench's roster (long enough for the workshop's minimum)."""
    return f"P{person:05d}-BENCH"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
_SID = re.compile(r'name="sid" value="([0-9a-f]+)"')
_ANSWERING = re.compile(r'name="answering" value="([^"]*)"')


class Reply(NamedTuple):
    status: int
    text: str
    cookie: str | None  # the "fp" cookie the reply set, if any
    ballot: str | None = None  # the "fb" cookie (an anonymous question's ballot) the reply set, if any


class RawClient:
    """A minimal HTTP/1.1 keep-alive client: a few microseconds of CPU per request, where httpx takes milliseconds.

    On a 2-core machine the clients share the CPU with the server; an expensive client measures itself.
    Enough HTTP for this server: Content-Length bodies, no chunking, no redirects followed.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Reply:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        length, cookie, ballot = 0, None, None
        for line in header_lines:
            name, _, value = line.partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "set-cookie" and value.strip().startswith("fp="):
                cookie = value.strip()[3:].split(";", 1)[0]
            elif name == "set-cookie" and value.strip().startswith("fb="):
                ballot = value.strip()[3:].split(";", 1)[0]
        text = (await self.reader.readexactly(length)).decode() if length else ""
        return Reply(int(status_line.split()[1]), text, cookie, ballot)

    async def aclose(self) -> None:
        if self.writer is not None:
            self.writer.close()


class HttpxClient:
    """The same requests through httpx.AsyncClient, as the burst test sends them."""

    def __init__(self, base: str) -> None:
        self.client = httpx.AsyncClient(base_url=base, timeout=60)

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Reply:
        self.client.cookies.clear()
        response = await self.client.request(method, path, headers=headers, content=body or None)
        return Reply(response.status_code, response.text, response.cookies.get("fp"), response.cookies.get("fb"))

    async def aclose(self) -> None:
        await self.client.aclose()


Client = RawClient | HttpxClient


async def run_phase(
    clients: list[Client], token: str, people: range, post: str, reflect: bool, *, poll: Poll | None = None
) -> Phase:
    """Each of ``people`` opens the page (untimed, all first), then POSTs to ``post`` (timed); a client each.
    With ``poll``, the POST is the phone's answer to it."""
    forms: dict[int, bytes] = {}

    def headers(person: int, form: bool = False) -> dict[str, str]:
        sent = {"X-Forwarded-For": f"10.{person // 250 % 250}.{person % 250}.9"}
        cookies = [f"fp={PHONES[person]}"] if person in PHONES else []
        cookies += [f"fb={BALLOTS[person]}"] if person in BALLOTS else []
        if cookies:
            sent["Cookie"] = "; ".join(cookies)
        if form:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        return sent

    async def each(work: Callable[[Client, int], Awaitable[None]]) -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for person in people:
            queue.put_nowait(person)

        async def worker(client: Client) -> None:
            while not queue.empty():
                await work(client, queue.get_nowait())

        await asyncio.gather(*(worker(client) for client in clients))

    async def open_page(client: Client, person: int) -> None:
        page = await client.request("GET", f"/p/{token}", headers(person))
        if page.cookie:
            PHONES[person] = page.cookie
        if page.ballot:
            BALLOTS[person] = page.ballot
        csrf, sid = _CSRF.search(page.text), _SID.search(page.text)
        assert csrf and sid, page.text[:300]
        data = {"csrf": csrf.group(1), "sid": sid.group(1)}
        if poll is not None:
            assert 'id="answer-form"' in page.text, "no answer form: is the poll's step current?"
            data = {"csrf": csrf.group(1), "q": poll.key, f"c.{poll.key}": poll.option, "intent": "send"}
        elif reflect:
            answering = _ANSWERING.search(page.text)
            assert answering, "no reflection form: was the phone identified?"
            data |= {"answering": answering.group(1), "text": f"reflection {person}", "consent": "1"}
        else:
            data |= {"email": f"person{person}@example.org", "code": personal_code(person)}
        forms[person] = urlencode(data).encode()

    latencies: list[float] = []

    async def send(client: Client, person: int) -> None:
        start = time.perf_counter()
        reply = await client.request("POST", f"/p/{token}/{post}", headers(person, form=True), forms[person])
        latencies.append(time.perf_counter() - start)
        assert reply.status == 303, (reply.status, reply.text[:300])
        if reply.cookie:
            PHONES[person] = reply.cookie
        if reply.ballot:
            BALLOTS[person] = reply.ballot

    await each(open_page)
    start = time.perf_counter()
    await each(send)
    return Phase(post, time.perf_counter() - start, latencies)


async def burst(
    base: str,
    token: str,
    people: int,
    reflections: int,
    *,
    clients: int,
    kind: str,
    db: Path,
    poll: Poll,
    answers: int,
) -> tuple[Phase, Phase, Phase]:
    port = int(base.rsplit(":", 1)[1])
    # The clients are made once: each httpx client builds an SSL context, tens of milliseconds of CPU.
    pool: list[Client] = [RawClient("127.0.0.1", port) if kind == "raw" else HttpxClient(base) for _ in range(clients)]
    try:
        check_ins = await run_phase(pool, token, range(people), "identify", False)
        reflected = await run_phase(pool, token, range(reflections), "reflect", True)
        to_poll(db, poll)  # the facilitator moves on to the poll: the phones' page shows it
        answered = await run_phase(pool, token, range(answers), "answer", False, poll=poll)
        return check_ins, reflected, answered
    finally:
        for client in pool:
            await client.aclose()


SERVER = [sys.executable, "-m", "facilitator", "serve"]
PHONES: dict[int, str] = {}  # each phone's cookie, kept between the phases
BALLOTS: dict[int, str] = {}  # each phone's ballot cookie for anonymous questions


def serve(db: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [*SERVER, "--db", str(db), "--port", str(port), "--trusted-proxy", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=None,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).text == "ok":
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


def count(db: Path, kind: str) -> int:
    with Store.open(db) as store:
        return sum(1 for e in store.events() if e.kind == kind)


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--reflections", type=int, default=500)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--answers", type=int, default=100, help="phones answering the poll at once")
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="raw: a minimal client that leaves the CPU to the server",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="facilitator-web-bench-", dir=args.dir) as scratch:
        folder = Path(scratch)
        raw = raw_commit_rate(folder)
        db = folder / "run.db"
        token, poll = prepare(db, args.people)
        port = free_port()
        server = serve(db, port)
        base = f"http://127.0.0.1:{port}"
        gc.collect()
        gc.freeze()  # what prepare() made: not walked again by a full collection during a timed phase
        try:
            client_cpu = time.process_time()
            server_cpu = cpu_seconds(server.pid)
            with client_loop(args.client) as runner:
                check_ins, reflections, answers = runner.run(
                    burst(
                        base,
                        token,
                        args.people,
                        args.reflections,
                        clients=args.clients,
                        kind=args.client,
                        db=db,
                        poll=poll,
                        answers=args.answers,
                    )
                )
            server_cpu = cpu_seconds(server.pid) - server_cpu
            client_cpu = time.process_time() - client_cpu
        finally:
            gc.unfreeze()
            server.terminate()
            server.wait(timeout=10)
        stored_in, stored_reflections = count(db, ev.ATTENDANCE_CHECKED_IN), count(db, ev.REFLECTION_LOGGED)
        stored_answers = answered_once(db, poll.key)
        raw_after = raw_commit_rate_again(folder)  # the machine is shared: measure the baseline on both sides
    baseline = statistics.mean([raw, raw_after])
    print(
        f"web burst: {args.people} check-ins, {args.reflections} reflections,"
        f" {args.clients} concurrent {args.client} clients"
    )
    print(f"raw SQLite single-row commits (WAL, FULL): {raw:,.0f}/s before, {raw_after:,.0f}/s after")
    for phase in (check_ins, reflections, answers):
        print(
            f"{phase.name:>9}: {len(phase.latencies)} POSTs in {phase.seconds:.2f} s = {phase.rate:,.0f}/s;"
            f" p50 {phase.percentile(0.5):.1f} ms, p99 {phase.percentile(0.99):.1f} ms;"
            f" {phase.rate / baseline:.2f} x raw commit rate"
        )
    print(
        f"stored: {stored_in} check-ins, {stored_reflections} reflections,"
        f" {stored_answers} answers to {poll.key} (one per phone)"
    )
    requests = 2 * (args.people + args.reflections + args.answers)  # a GET and a POST per phone and phase
    print(
        f"CPU per request (GET or POST): server {server_cpu / requests * 1000:.2f} ms,"
        f" clients {client_cpu / requests * 1000:.2f} ms; {os.cpu_count()} cores,"
        f" load average {os.getloadavg()[0]:.1f}"
    )
    ok_count = stored_in == args.people and stored_reflections == args.reflections
    rate_met = check_ins.rate >= GOAL_RATE
    p99_met = check_ins.percentile(0.99) <= GOAL_P99_MS
    emit(
        "participant page: check-ins per second (1,000 from 100 clients)",
        value=round(check_ins.rate, 1),
        unit="check-ins/s",
        baseline="raw SQLite single-row commits/s, WAL + FULL",
        baseline_value=round(baseline, 1),
        ratio=round(check_ins.rate / baseline, 3),
        goal=f">= {GOAL_RATE:,.0f}/s",
        met=rate_met,
        issue=6,
    )
    emit(
        "participant page: check-in p50 latency",
        value=round(check_ins.percentile(0.5), 1),
        unit="ms",
        goal="none set (reported)",
        met=None,
        issue=6,
    )
    emit(
        "participant page: check-in p99 latency",
        value=round(check_ins.percentile(0.99), 1),
        unit="ms",
        goal=f"<= {GOAL_P99_MS:.0f} ms",
        met=p99_met,
        issue=6,
    )
    emit(
        "participant page: reflections per second (500 from 100 clients)",
        value=round(reflections.rate, 1),
        unit="reflections/s",
        baseline="raw SQLite single-row commits/s, WAL + FULL",
        baseline_value=round(baseline, 1),
        ratio=round(reflections.rate / baseline, 3),
        goal="none set (reported)",
        met=None,
        issue=6,
    )
    emit(
        "participant page: reflection p99 latency",
        value=round(reflections.percentile(0.99), 1),
        unit="ms",
        goal="none set (reported)",
        met=None,
        issue=6,
    )
    emit(
        "participant page: burst events stored exactly once",
        value=float(ok_count),
        unit="bool",
        goal="every check-in and reflection stored once",
        met=ok_count,
        issue=6,
    )
    answers_met = report_answers(args.answers, answers, check_ins, stored_answers)
    return ok_count and rate_met and p99_met and answers_met


def report_answers(phones: int, answers: Phase, check_ins: Phase, stored_answers: int) -> bool:
    """The poll's figures: all in within the goal's seconds, their p99, none lost."""
    answers_lost = phones - stored_answers
    answers_in_time = answers.seconds <= GOAL_ANSWERS_SECONDS
    answers_p99 = answers.percentile(0.99)
    emit(
        f"participant page: {phones} phones answering one poll at once, all in within",
        value=round(answers.seconds, 2),
        unit="s",
        goal=f"<= {GOAL_ANSWERS_SECONDS:.0f} s",
        met=answers_in_time,
        issue=15,
    )
    emit(
        "participant page: answer p99 latency",
        value=round(answers_p99, 1),
        unit="ms",
        baseline="check-in p99, same run",
        baseline_value=round(check_ins.percentile(0.99), 1),
        ratio=round(answers_p99 / check_ins.percentile(0.99), 2),
        goal=f"<= {GOAL_P99_MS:.0f} ms",
        met=answers_p99 <= GOAL_P99_MS,
        issue=15,
    )
    emit(
        "participant page: answers lost",
        value=float(answers_lost),
        unit="answers",
        goal="0",
        met=answers_lost == 0,
        issue=15,
    )
    return answers_in_time and answers_p99 <= GOAL_P99_MS and not answers_lost


def answered_once(db: Path, key: str) -> int:
    """How many phones' answers to ``key`` the run holds (each ballot's latest)."""
    from facilitator.questions.ballots import Ballots

    with Store.open(db) as store:
        return len(Ballots.from_events(store.events()).answers(key))


def client_loop(kind: str) -> asyncio.Runner:
    """The clients' event loop: uvloop's for the raw clients (uvicorn's own, so it is installed), which takes about
    half the CPU of asyncio's per request; a phone's latency is stamped when its coroutine runs again, so a busy
    client loop would add its own delays to what it measures."""
    if kind == "raw":
        import uvloop

        return asyncio.Runner(loop_factory=uvloop.new_event_loop)
    return asyncio.Runner()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw_commit_rate_again(folder: Path) -> float:
    again = folder / "again"
    again.mkdir()
    return raw_commit_rate(again)


if __name__ == "__main__":
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    sys.exit(0 if main() else 1)
