"""``facilitator serve`` on the command line: settings stored for the TUIs, the URL printed, the refusals."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from facilitator.participant_page import tokens
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.tools import free_port, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def db(tmp_path: Path, tiny_programme: Programme) -> Path:
    path = tmp_path / "run.db"
    Store.create(path, tiny_programme, actor="lead").close()
    return path


def serve(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "facilitator", "serve", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_serve_stores_its_settings_prints_the_url_and_answers(db: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "facilitator", "serve", "--db", str(db), "--port", str(port),
            "--public-url", "https://checkin.example.org/", "--rotate", "1h", "--grace", "10m",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:

        def up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).text == "ok"
            except httpx.HTTPError:
                return False

        assert wait_for(up, timeout=30)
        with Store.open(db) as store:
            settings = tokens.load_settings(store)
        # What every TUI's QR code now follows.
        assert (settings.public_url, settings.rotate, settings.grace) == (
            "https://checkin.example.org",
            timedelta(hours=1),
            timedelta(minutes=10),
        )
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/" in out and "https://checkin.example.org/" in out
    assert "warning" not in err  # the default address is this machine only
    assert "GET /healthz" not in out + err  # no access log


def test_listening_beyond_this_machine_warns(db: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "facilitator", "serve", "--db", str(db), "--host", "0.0.0.0", "--port", str(port),  # noqa: S104
         "--public-url", f"http://127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        time.sleep(0.5)
        assert wait_for(lambda: _answers(port), timeout=30)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "warning: listening on 0.0.0.0" in err and "TLS" in err


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rotate", "ten minutes"], "--rotate: 'ten minutes' is not a duration"),
        (["--grace", "0"], "--grace:"),
        (["--rotate", "10m", "--grace", "20m"], "grace: must be between 0 and the rotation period"),
        (["--host", "0.0.0.0"], "--public-url: needed when listening on 0.0.0.0"),  # noqa: S104
        (["--public-url", "checkin.example.org"], "public-url: 'checkin.example.org' is not an address"),
        (["--port", "0"], "--port: 0 is not a port number"),
        (
            ["--trusted-proxy", "proxy.example.org"],
            "--trusted-proxy: 'proxy.example.org' is not an IP address or network",
        ),
        (["--trusted-proxy", "127.0.0.1", "--trusted-proxy", "10.0.0.0/33"], "--trusted-proxy: '10.0.0.0/33' is not"),
    ],
)
def test_bad_options_are_refused_with_one_line(db: Path, args: list[str], message: str) -> None:
    with Store.open(db) as store:
        before = tokens.load_settings(store)
    done = serve(db, *args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    with Store.open(db) as store:
        assert tokens.load_settings(store) == before  # nothing stored


def test_a_port_in_use_is_refused_with_one_line(db: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = serve(db, "--port", str(port))
    assert done.returncode == 2
    assert f"--port: cannot listen on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr


def test_a_missing_database_is_refused_with_one_line(tmp_path: Path) -> None:
    done = serve(tmp_path / "nope.db")
    assert done.returncode == 2 and "no such run database" in done.stderr


def test_the_served_page_drops_slow_and_oversized_heads_and_ignores_untrusted_forwarding(db: Path) -> None:
    """The real command: uvicorn's limits and the page's protocol are what `facilitator serve` runs with."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "facilitator", "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: _answers(port), timeout=30)
        silent = socket.create_connection(("127.0.0.1", port), timeout=20)
        opened = time.monotonic()
        # An 8 MB header, as in the review: refused at once instead of a 200.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as big:
            head = b"GET /healthz HTTP/1.1\r\nHost: page\r\nX-Big: " + b"a" * (8 * 1024 * 1024) + b"\r\n\r\n"
            try:
                big.sendall(head)
                answer = big.recv(100)
            except ConnectionError:  # closed while the rest was still coming: the kernel may reset it
                answer = b"HTTP/1.1 431 (reset)"
            assert answer.startswith(b"HTTP/1.1 431"), answer
        # X-Forwarded-For from 127.0.0.1, which is not a --trusted-proxy: ignored, and said so once.
        assert httpx.get(f"http://127.0.0.1:{port}/", headers={"x-forwarded-for": "10.0.0.9"}).status_code == 200
        # A connection that sends nothing is closed at the head deadline (10 s), not kept for ever.
        with silent:
            answer = silent.recv(100)
        waited = time.monotonic() - opened
        assert answer.startswith(b"HTTP/1.1 408") and waited < 15
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "ignoring X-Forwarded-For from 127.0.0.1" in err and "--trusted-proxy 127.0.0.1" in err
    assert err.count("ignoring X-Forwarded-For") == 1


def test_serve_says_whose_forwarding_it_trusts(db: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "facilitator", "serve", "--db", str(db), "--port", str(port),
         "--trusted-proxy", "127.0.0.1", "--trusted-proxy", "10.0.0.0/8"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert wait_for(lambda: _answers(port), timeout=30)
        assert httpx.get(f"http://127.0.0.1:{port}/", headers={"x-forwarded-for": "192.0.2.1"}).status_code == 200
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert "client addresses from X-Forwarded-For when sent by 127.0.0.1/32, 10.0.0.0/8" in out
    assert "ignoring X-Forwarded-For" not in err
