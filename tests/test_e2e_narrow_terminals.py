"""Real terminals people have: the QR code's code to type in a 50-column window, whole or not at all, and a
terminal without colours drawn without them (issue 25)."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from tests.tools import Tmux, wait_for

DEMO = Path(__file__).resolve().parent.parent / "exercises"
TYPED = re.compile(r"\b[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}\b")

pytestmark = pytest.mark.slow


def test_the_qr_screen_at_50_columns_shows_the_whole_code_to_type(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    tmux = Tmux(f"facilitator-qr50-{os.getpid()}-{uuid.uuid4().hex[:6]}", width=50, height=20)
    try:
        tmux.start(f"facilitator run {DEMO} --db {db} --as lead", cwd=tmp_path)
        tmux.wait_for_text("Press n to start")
        tmux.send("q")
        narrow = tmux.wait_for_text("No camera?")
        assert wait_for(lambda: TYPED.search(tmux.screen()) is not None or "Widen the window" in tmux.screen())
        narrow = tmux.screen()
        tmux._run("resize-window", "-t", "t", "-x", "150", "-y", "45")
        wide = tmux.wait_for_text("No camera?")
        codes = TYPED.findall(wide)
        assert len(codes) == 1, wide
        code = codes[0]
        assert code in narrow or "Widen the window" in narrow, narrow  # whole, or a clear message: never a prefix
        tmux.send("Escape")
        tmux.send("C-q")
        tmux.wait_for_text("EXITED 0")
    finally:
        tmux.kill()


def frame_in(term: str, db: Path, seconds: float = 4.0) -> bytes:
    """What ``facilitator present`` writes to a pseudo-terminal of type ``term`` in its first seconds."""
    environ = {
        key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "COLORTERM", "COLUMNS", "LINES")
    }
    master, slave = pty.openpty()
    command = [sys.executable, "-m", "facilitator", "present", "--db", str(db), "--as", "room"]
    process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env={**environ, "TERM": term})
    os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            if select.select([master], [], [], left)[0]:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
    finally:
        process.kill()
        process.wait(10)
        os.close(master)
    return bytes(out)


def coloured(frame: bytes) -> list[bytes]:
    """The colours in the frame's escape codes that are not a grey (24-bit, 256 or the 16 ANSI colours)."""
    hues = [m.group(0) for m in re.finditer(rb"[34]8;2;(\d+);(\d+);(\d+)", frame) if len(set(m.groups())) > 1]
    hues += re.findall(rb"[34]8;5;(?:[1-9]|1[0-5]|[2-9]\d|1\d\d|2[0-2]\d|23[01])m", frame)
    hues += re.findall(rb"\x1b\[(?:\d+;)*(?:3[1-6]|4[1-6]|9[1-6]|10[1-6])m", frame)
    return hues


def test_a_terminal_without_colours_is_drawn_without_them(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(DEMO).programme, actor="lead").close()
    assert coloured(frame_in("xterm-256color", db))  # the same app in a colour terminal does draw colours
    dumb = frame_in("dumb", db)
    assert b"Starting soon" in dumb
    assert coloured(dumb) == []
    assert not re.search(rb"[34]8;[25];", dumb)  # not even greys: the terminal's own colours only
