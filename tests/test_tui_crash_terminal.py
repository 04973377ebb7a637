"""A crash in a real terminal (tmux): one line, the terminal given back as it was, a private report, exit 1.

The apps are started through the real command line by a small script that first makes one of their
screens fail (with a participant's e-mail in a local variable, as Textual's own crash screen would print
it). The co-facilitator's case, over SSH, is in tests/test_e2e_ssh.py and uses the same pieces.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.tools import BIN, Tmux

DEMO = Path(__file__).resolve().parent.parent / "exercises"
HIDDEN = "gro.elpmaxe@ollaid.animA"  # reversed: the running script builds the e-mail, no source line shows it
PRIVATE = HIDDEN[::-1]
LINE_START = "facilitator stopped on an unexpected error (RuntimeError); the run is saved; details in "

CRASHING = f"""
import sys

from facilitator.tui.screens.help import HelpScreen
from facilitator.tui.screens.room import RoomApp


def fail(self) -> None:
    participant = "".join(reversed({HIDDEN!r}))
    raise RuntimeError(f"made to fail ({{len(participant)}})")


HelpScreen.on_mount = fail  # ? in the lead's or a co-facilitator's app
RoomApp.action_quit = fail  # ctrl+q in the room view

from facilitator.cli import main

main(args=sys.argv[1:], prog_name="facilitator")
"""

pytestmark = pytest.mark.slow


def crashing_command(folder: Path, *args: str, state: Path) -> str:
    """``facilitator ARGS`` as a shell command, with one screen made to fail and crash reports going to ``state``."""
    script = folder / "crashing_facilitator.py"
    script.write_text(CRASHING)
    argv = [sys.executable, str(script), *args]
    return f"env XDG_STATE_HOME={shlex.quote(str(state))} {shlex.join(argv)}"


def tmux(terminal: Tmux, *args: str) -> str:
    result = subprocess.run(
        [terminal.tmux, "-L", terminal.socket, *args], capture_output=True, text=True, timeout=10, check=True
    )
    return result.stdout


def assert_one_line_and_a_private_report(terminal: Tmux, state: Path) -> None:
    """After the crash: exit 1, one line on a terminal given back as it was, the traceback in a 0600 file."""
    terminal.wait_for_text("EXITED ")
    # Lines as printed, however the window wrapped them.
    lines = [line for line in tmux(terminal, "capture-pane", "-p", "-J", "-t", "t").splitlines() if line.strip()]
    screen = "\n".join(lines)
    assert "Traceback" not in screen and PRIVATE not in screen and HIDDEN not in screen, screen
    [report] = (state / "facilitator").iterdir()
    assert lines == [LINE_START + str(report), "EXITED 1"]
    # Out of the alternate screen, mouse reporting off, the cursor shown: the terminal is as it was.
    assert tmux(terminal, "display-message", "-p", "-t", "t", "#{alternate_on} #{mouse_any_flag} #{cursor_flag}") == (
        "0 0 1\n"
    )
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert stat.S_IMODE(report.parent.stat().st_mode) == 0o700
    text = report.read_text()
    assert "Traceback (most recent call last):" in text
    assert 'in fail\n    raise RuntimeError(f"made to fail ({len(participant)})")' in text
    assert f"RuntimeError: made to fail ({len(PRIVATE)})" in text
    assert PRIVATE not in text


def new_tmux() -> Tmux:
    return Tmux(f"facilitator-crash-{os.getpid()}-{uuid.uuid4().hex[:6]}")


@pytest.mark.parametrize(
    ("command", "ready", "key"),
    [
        (("run", "--as", "lead"), "Press n to start", "?"),
        (("present", "--as", "projector"), "Starting soon", "C-q"),
    ],
    ids=["lead", "room"],
)
def test_a_crash_prints_one_line_and_gives_the_terminal_back(
    command: tuple[str, ...], ready: str, key: str, tmp_path: Path
) -> None:
    db = tmp_path / "run.db"
    made = subprocess.run(
        [str(BIN / "facilitator"), "init", str(DEMO), "--db", str(db)], capture_output=True, timeout=60, check=False
    )
    assert made.returncode == 0, made.stderr
    terminal = new_tmux()
    state = tmp_path / "state"
    try:
        terminal.start(crashing_command(tmp_path, command[0], "--db", str(db), *command[1:], state=state), cwd=tmp_path)
        terminal.wait_for_text(ready)
        terminal.send(key)
        assert_one_line_and_a_private_report(terminal, state)
    finally:
        terminal.kill()
