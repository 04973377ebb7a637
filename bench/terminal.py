"""Run a program in a real pseudo-terminal and watch what it writes: the shared part of the TUI benchmarks."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class Terminal:
    """One process on a pty of a given size; everything it writes is kept with the time it arrived."""

    def __init__(self, argv: list[str], *, width: int = 80, height: int = 24, cwd: Path | None = None) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(width), "LINES": str(height)}
        env.pop("TEXTUAL", None)
        # As installed for a user: modules compiled once and cached (this workplace's shells turn the
        # cache off, which would charge every start-up for compiling the project's own modules again).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd or REPO, env=env, start_new_session=True
        )
        os.close(slave)
        self.chunks: list[tuple[float, bytes]] = []

    def read_for(self, seconds: float) -> bytes:
        """Everything written in the next ``seconds``."""
        deadline = time.perf_counter() + seconds
        got = bytearray()
        while (left := deadline - time.perf_counter()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    break
                self.chunks.append((time.perf_counter(), data))
                got += data
        return bytes(got)

    def wait_for(self, marker: bytes, timeout: float = 30.0) -> float:
        """Seconds from start until ``marker`` had been written."""
        deadline = time.perf_counter() + timeout
        seen = bytearray(b"".join(c for _, c in self.chunks))
        while marker not in seen:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{marker!r} never appeared; last output: {bytes(seen[-400:])!r}")
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if ready:
                data = os.read(self.master, 65536)
                self.chunks.append((time.perf_counter(), data))
                seen += data
        return self.chunks[-1][0] - self.started

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        os.close(self.master)
