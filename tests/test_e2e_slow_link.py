"""The slow link of bench/slow_link.py (tests/slow_relay.py): it really is slow, and a co-facilitator behind it
still follows the lead. How slow a co-facilitator's screen is behind such a link is the benchmark's to say;
here only lower bounds of time (the link never delivers early) and generous timeouts."""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from facilitator.live.session import Session
from facilitator.record.store import Store
from tests import slow_relay
from tests.slow_relay import LinkShape, proxy_command
from tests.sshd import FACILITATOR, Sshd, sshd_fixture  # noqa: F401  (the sshd fixture)
from tests.tools import Tmux, end_processes_running

DEMO = Path(__file__).resolve().parent.parent / "exercises"
FIRST_STEP = "▶ 08:00 Welc"  # the co's agenda, once the day's first step runs
SHAPE = LinkShape(rtt_s=0.6, kbit=64)

pytestmark = pytest.mark.slow


@pytest.fixture
def echo_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that sends back whatever it gets; its port."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            connection, _ = listener.accept()
            with connection:
                while data := connection.recv(65536):
                    connection.sendall(data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    listener.close()
    thread.join(timeout=10)


def round_trip(relay: subprocess.Popen[bytes], size: int) -> float:
    """Seconds from writing ``size`` bytes into the relay until all of them have come back through it."""
    assert relay.stdin is not None and relay.stdout is not None
    started = time.monotonic()
    relay.stdin.write(b"x" * size)
    relay.stdin.flush()
    got = 0
    while got < size:
        chunk = os.read(relay.stdout.fileno(), 65536)
        assert chunk, "the relay closed before everything came back"
        got += len(chunk)
    return time.monotonic() - started


def test_a_round_trip_through_the_relay_takes_at_least_the_rtt_and_a_burst_its_size_at_the_rate(
    echo_server: int,
) -> None:
    argv = [sys.executable, slow_relay.__file__, *SHAPE.arguments(), "127.0.0.1", str(echo_server)]
    relay = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        for _ in range(3):
            assert round_trip(relay, 1) >= SHAPE.rtt_s
        burst = 4000  # three segments each way: the last byte leaves after the whole burst has
        assert round_trip(relay, burst) >= SHAPE.rtt_s + burst / SHAPE.bytes_per_second
        assert relay.stdin is not None
        relay.stdin.close()  # the relay ends when its client does, once everything in flight is delivered
        assert relay.wait(timeout=10) == 0
    finally:
        if relay.poll() is None:
            relay.kill()
            relay.wait(timeout=10)


def test_a_co_facilitator_behind_a_slow_link_follows_the_leads_step(sshd: Sshd, tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    created = subprocess.run(
        [str(FACILITATOR), "init", str(DEMO), "--db", str(db)], capture_output=True, text=True, timeout=60, check=False
    )
    assert created.returncode == 0, created.stdout + created.stderr
    key = sshd.authorize_join("amina", db, role="co")
    tally = tmp_path / "link.tally"
    argv = sshd.ssh_argv_via(key, proxy_command(SHAPE, tally=tally))
    terminal = Tmux(f"facilitator-slow-{os.getpid()}-{uuid.uuid4().hex[:6]}", width=80, height=24)
    try:
        terminal.start(shlex.join(argv), cwd=tmp_path)
        terminal.wait_for_text("amina (co)", timeout=60.0)
        with Store.open(db) as store:
            Session(store, actor="lead").next_step()
        terminal.wait_for_text(FIRST_STEP, timeout=30.0)
        up, down = (int(n) for n in tally.read_text().split())
        assert up > 0 and down > 0  # the login went through the relay, not around it
    finally:
        terminal.kill()  # ssh goes with its terminal, the relay when ssh closes its pipes, the app when sshd hangs up
        left = [end_processes_running(str(tally)), end_processes_running(str(db))]
    assert left == [[], []], "the relay or the app outlived the ssh client"
