"""Keys people press by habit, in a real terminal: Enter on the running step, ctrl+z and what is typed at
the shell meanwhile, then fg; none of it reaches the record. And signals: the terminal is given back (issue 25)."""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path

import pytest

from facilitator.record.store import Store
from facilitator.team import presence
from tests.tools import Tmux, wait_for

DEMO = Path(__file__).resolve().parent.parent / "exercises"

pytestmark = pytest.mark.slow


def kinds(db: Path) -> list[str]:
    with Store.open(db) as store:
        return [e.kind for e in store.events()]


def test_enter_on_the_running_step_then_ctrl_z_and_stty_at_the_shell_change_nothing(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    tmux = Tmux(f"facilitator-keys-{os.getpid()}-{uuid.uuid4().hex[:6]}", width=120, height=36)
    try:
        # An interactive shell with job control, as a facilitator's terminal has; the app runs inside it.
        tmux.start("bash --norc --noprofile -i", cwd=tmp_path)
        tmux.send(f"facilitator run {DEMO} --db {db} --as lead", "Enter")
        tmux.wait_for_text("Press n to start")
        tmux.send("n")
        tmux.wait_for_text("▶ 08:00")
        assert wait_for(lambda: "step.entered" in kinds(db))
        before = kinds(db)

        tmux.send("Enter")  # the agenda's cursor sits on the running step
        tmux.wait_for_text("Enter this step again?")
        tmux.send("n")
        assert wait_for(lambda: "Enter this step again?" not in tmux.screen())
        assert kinds(db) == before

        tmux.send("C-z")
        tmux.wait_for_text("Stopped")
        tmux.send("stty -a", "Enter")  # what a user types at the shell next must reach the shell, not the app
        tmux.wait_for_text("speed")
        assert kinds(db) == before

        tmux.send("fg", "Enter")
        screen = tmux.wait_for_text("▶ 08:00")
        assert "Press n to start" not in screen
        tmux.send("C-q")
        assert wait_for(lambda: "▶ 08:00" not in tmux.screen() and tmux.screen().rstrip().endswith(("#", "$")))
    finally:
        tmux.kill()
    assert kinds(db)[: len(before)] == before
    assert "step.entered" not in kinds(db)[len(before) :]


def _terminal_modes(tmux: Tmux) -> str:
    """The pane's modes as tmux sees them: alternate screen, cursor shown, any mouse reporting."""
    return tmux._run("display", "-p", "-t", "t", "#{alternate_on} #{cursor_flag} #{mouse_any_flag}").strip()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_gives_the_terminal_back_and_leaves_the_presence(tmp_path: Path, signum: int) -> None:
    db = tmp_path / "run.db"
    tmux = Tmux(f"facilitator-sig-{os.getpid()}-{uuid.uuid4().hex[:6]}", width=100, height=30)
    try:
        tmux.start(f"facilitator run {DEMO} --db {db} --as lead", cwd=tmp_path)
        tmux.wait_for_text("Press n to start")
        assert wait_for(lambda: bool(live_rows(db)))
        assert _terminal_modes(tmux) == "1 0 1"  # the app's: alternate screen, cursor hidden, mouse on
        os.kill(live_rows(db)[0], signum)
        tmux.wait_for_text(f"EXITED {128 + signum}")
        assert _terminal_modes(tmux) == "0 1 0"
        assert live_rows(db) == []
    finally:
        tmux.kill()


def live_rows(db: Path) -> list[int]:
    """The pids of the presence rows on the run (a clean exit removes its own)."""
    with Store.open(db) as store:
        return [row.pid for row in presence.present(store)]
