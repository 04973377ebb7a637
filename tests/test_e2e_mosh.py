"""A co-facilitator over mosh, end to end: Debian's mosh client in tmux, the real sshd of tests/sshd.py.

The key's forced command is the README's ``facilitator-join`` script, read from the README (the app over
ssh, or under mosh-server when the mosh client asks for it), so the test runs the recipe as written. mosh's ssh only
starts mosh-server, which prints its UDP port and key and detaches; the client then talks UDP to
127.0.0.1 and draws the app in its own terminal, here a tmux window read with capture-pane. The lead is the
Session API on the same SQLite file. mosh needs a UTF-8 locale on both sides: C.UTF-8, built into glibc.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from facilitator.live.session import Session
from facilitator.record.store import Store
from facilitator.team import presence
from tests.sshd import FACILITATOR, Sshd, sshd_fixture  # noqa: F401  (the sshd fixture)
from tests.tools import Tmux, end_processes_running, parent_of, processes_running, require, wait_for

DEMO = Path(__file__).resolve().parent.parent / "exercises"
FIRST_STEP = "▶ 08:00 Welc"  # the co's agenda, once the day's first step runs
SECOND_STEP = "▶ 08:10 Conn"
UTF8 = "LANG=C.UTF-8 LC_ALL=C.UTF-8"

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parent.parent / "README.md"


def join_script(folder: Path) -> Path:
    """The README's forced command for co-facilitators who come by ssh or by mosh ("Co-facilitators over SSH",
    "Over mosh"), as written there, with this machine's paths of mosh-server and facilitator."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
    [recipe] = [block for block in blocks if "$SSH_ORIGINAL_COMMAND" in block and "mosh-server" in block]
    text = recipe.replace("exec mosh-server new", f"exec {shlex.quote(require('mosh-server'))} new")
    text = text.replace("facilitator join", f"{shlex.quote(str(FACILITATOR))} join")
    assert text.count(str(FACILITATOR)) == 2, recipe  # both ways in, as the README has them
    script = folder / "facilitator-join"
    script.write_text(text)
    script.chmod(0o755)
    return script


def new_run(folder: Path) -> Path:
    db = folder / "run.db"
    result = subprocess.run(
        [str(FACILITATOR), "init", str(DEMO), "--db", str(db)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return db


@pytest.fixture
def mosh_terminal() -> Iterator[Tmux]:
    require("mosh")  # fails in CI (CI=true), skips elsewhere, when mosh is missing
    require("mosh-server")
    terminal = Tmux(f"facilitator-mosh-{os.getpid()}-{uuid.uuid4().hex[:6]}", width=80, height=24)
    yield terminal
    terminal.kill()


def lead_moves_on(db: Path) -> None:
    with Store.open(db) as store:
        Session(store, actor="lead").next_step()


def apps_under_mosh(db: Path) -> list[int]:
    """The apps on ``db`` that a mosh-server runs (mosh-server's own command line names ``db`` too)."""
    return [pid for pid in processes_running(str(db)) if (parent_of(pid) or (0, ""))[1] == "mosh-server"]


def end_mosh_servers_of(db: Path) -> list[int]:
    """mosh-server outlives its client by design: end the ones that run an app on ``db`` (each hangs up its
    app's terminal as it exits); whatever still runs on ``db`` after that is killed, and its pids returned."""
    for app in apps_under_mosh(db):
        parent = parent_of(app)
        if parent is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(parent[0], signal.SIGTERM)
    return end_processes_running(str(db))


def test_a_co_facilitator_over_mosh_follows_the_leads_step(sshd: Sshd, mosh_terminal: Tmux, tmp_path: Path) -> None:
    db = new_run(tmp_path)
    script = join_script(tmp_path)
    key = sshd.authorize("amina", f"{script} --db {shlex.quote(str(db))} --as amina --role co")
    try:
        mosh_terminal.start(f"{UTF8} {shlex.join(sshd.mosh_argv(key))}", cwd=tmp_path)
        mosh_terminal.wait_for_text("amina (co)", timeout=30.0)

        assert len(apps_under_mosh(db)) == 1  # her app runs under mosh-server, not under the ssh session
        with Store.open(db) as store:
            assert [p.actor for p in presence.present(store)] == ["amina"]

        lead_moves_on(db)
        mosh_terminal.wait_for_text(FIRST_STEP)

        # The link goes quiet (mosh-server stopped: nothing more comes from the host) while the lead moves on:
        # mosh says so in its own banner over the last screen, then catches up when the host is back.
        [server] = {parent[0] for app in apps_under_mosh(db) if (parent := parent_of(app)) is not None}
        os.kill(server, signal.SIGSTOP)
        try:
            mosh_terminal.wait_for_text("Last contact", timeout=30.0)
            lead_moves_on(db)
            assert not wait_for(lambda: SECOND_STEP in mosh_terminal.screen(), timeout=2.0)  # nothing gets through
        finally:
            os.kill(server, signal.SIGCONT)
        mosh_terminal.wait_for_text(SECOND_STEP)
        assert wait_for(lambda: "Last contact" not in mosh_terminal.screen(), timeout=10.0), mosh_terminal.screen()

        mosh_terminal.send("w")  # her own keys reach the app over mosh too: the team panel opens
        mosh_terminal.wait_for_text("connected")

        # As when mosh-server gives up on a client silent for MOSH_SERVER_NETWORK_TMOUT: the app goes with it.
        assert end_mosh_servers_of(db) == []
        with Store.open(db) as store:
            assert presence.present(store) == []
    finally:
        end_mosh_servers_of(db)
