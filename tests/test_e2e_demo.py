"""The first README command's path, end to end in a real terminal: demo, step, quit, resume."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from facilitator.live.state import fold
from facilitator.record.store import Store
from tests.tools import Tmux


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    terminal = Tmux(f"facilitator-test-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    yield terminal
    terminal.kill()


@pytest.mark.slow
def test_demo_opens_steps_and_resumes_after_quit(tmux: Tmux, tmp_path: Path) -> None:
    scratch = tmp_path / "demo"
    tmux.start(f"facilitator demo --dir {scratch} --as lead", cwd=tmp_path)
    tmux.wait_for_text("Press n to start")
    screen = tmux.screen()
    assert "Integrating Gender Equality and WPS" in screen
    assert "· 08:00 Welcome" in screen
    tmux.send("n")
    tmux.wait_for_text("▶ 08:00 Welc")
    tmux.send("n")
    tmux.wait_for_text("▶ 08:10 Conn")
    tmux.send("C-q")
    tmux.wait_for_text("EXITED 0")

    db = scratch / "workshop.db"
    with Store.open(db) as store:
        state = fold(store.events())
    assert (state.exercise, state.step) == ("opening", "connection-check")

    tmux.kill()
    tmux.start(f"facilitator run --db {db} --as lead", cwd=tmp_path)
    tmux.wait_for_text("▶ 08:10 Conn")
    # The step panel is drawn after the agenda: a capture between the two would show only the agenda.
    screen = tmux.wait_for_text("Connection check: one voice from each location")
    tmux.wait_for_text("Session resumed")
    tmux.send("C-q")
    tmux.wait_for_text("EXITED 0")
