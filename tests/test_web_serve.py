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
