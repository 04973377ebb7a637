"""Attendance end to end in a real terminal: import the demo roster, check people in on the screen, see the counts."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from facilitator.attendance.intervals import Attendance
from facilitator.record.store import Store
from tests.tools import BIN, Tmux

DEMO = Path(__file__).resolve().parent.parent / "exercises"


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    terminal = Tmux(f"facilitator-test-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    yield terminal
    terminal.kill()


def facilitator(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [str(BIN / "facilitator"), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.slow
def test_import_a_roster_check_people_in_and_see_the_counts(tmux: Tmux, tmp_path: Path) -> None:
    shutil.copytree(DEMO, tmp_path / "workshop")
    db = tmp_path / "run.db"
    facilitator("init", "workshop", "--db", str(db), cwd=tmp_path)
    assert "added 60" in facilitator("roster", "import", "workshop/roster.csv", "--db", str(db), cwd=tmp_path)

    tmux.start(f"facilitator run --db {db} --as lead", cwd=tmp_path)
    screen = tmux.wait_for_text("Press n to start")
    assert "0/12" in screen and "0/6" in screen
    tmux.send("a")
    tmux.wait_for_text("0/60 present")
    tmux.wait_for_text("Achol Majok")  # the roster is drawn: nothing takes the focus after this
    # Typed ahead of the screen (as over a slow link, the keys may arrive in one read): each key goes where the
    # one before it moved the focus.
    tmux.send("-l", "/unmiss")
    tmux.wait_for_text("6 of 60 shown")
    tmux.send("Enter", "Space")  # in one write: back to the table, the first UNMISS row checked in
    tmux.wait_for_text("1/60 present")
    tmux.send("Down")
    tmux.send("Space")
    tmux.wait_for_text("2/60 present")
    tmux.send("k")  # UNMISS's link: connected
    tmux.wait_for_text("Link of UNMISS: connected")
    tmux.send("Escape")  # the filter is not focused: back to the main screen
    screen = tmux.wait_for_text("● UNMISS")
    assert "2/6" in screen
    tmux.send("C-q")
    tmux.wait_for_text("EXITED 0")

    with Store.open(db) as store:
        attendance = Attendance.from_events(store.events())
    present = [p for p in attendance.roster.by_id.values() if attendance.is_in(p.id)]
    assert len(present) == 2 and {p.location for p in present} == {"unmiss"}
    assert attendance.link_status("unmiss") == "connected"
