"""Bytes per second sent to an idle co-facilitator's terminal while a timer runs, through a real SSH login.

A private sshd (tests/sshd.py: Debian's /usr/sbin/sshd on 127.0.0.1, its own keys, every key pinned to
one command with ``restrict,pty``) serves the logins; the ssh client runs on an 80×24 pseudo-terminal and
everything it writes there (what crossed the link, decrypted) is counted. A step is running, so its timer
counts down; nobody presses anything. Measured: ``facilitator join --role co`` and the room view
(``facilitator present``). Baseline in the same run: the bare Textual app (bench/bare_app.py, header and
footer) through the same ssh, left idle. Goal: at most 2 KB/s for the co-facilitator.
Needs /usr/sbin/sshd and ssh. Run it as ``.venv/bin/python bench/ssh_terminal_bytes.py [--seconds N] [--quick]``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import emit
from terminal import REPO, Terminal

sys.path.insert(0, str(REPO))

GOAL_BYTES_PER_SECOND = 2048


def _through_ssh(argv: list[str], marker: bytes, seconds: float) -> tuple[float, float]:
    """Bytes of the first frame up to ``marker``, and bytes per second over ``seconds`` of idling after it."""
    terminal = Terminal(argv)
    try:
        terminal.wait_for(marker)
        terminal.read_for(1.5)  # the first frame's tail and the first poll's repaint
        first = sum(len(c) for _, c in terminal.chunks)
        idle = len(terminal.read_for(seconds))
    finally:
        terminal.close()
    return first, idle / seconds


def measure(seconds: float) -> dict[str, float]:
    from facilitator.live.session import Session
    from facilitator.record.store import Store
    from facilitator.script.loading import load_workshop
    from tests.sshd import FACILITATOR, Sshd

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        db = folder / "run.db"
        Store.create(db, load_workshop(REPO / "exercises").programme, actor="lead").close()
        with Store.open(db) as store:
            Session(store, actor="lead").next_step()  # "Welcome", a ten-minute step: its timer runs
        server = Sshd(folder / "sshd")
        co = server.authorize_join("amina", db, role="co")
        room = server.authorize("room", f"{FACILITATOR} present --db {shlex.quote(str(db))} --as room")
        bare = server.authorize("bare", shlex.join([sys.executable, str(REPO / "bench" / "bare_app.py")]))
        server.start()
        try:
            figures: dict[str, float] = {}
            figures["co_first"], figures["co"] = _through_ssh(server.ssh_argv(co), b"Welcome", seconds)
            figures["room_first"], figures["room"] = _through_ssh(server.ssh_argv(room), b"Welcome", seconds)
            figures["bare_first"], figures["bare"] = _through_ssh(server.ssh_argv(bare), b"bare app ready", seconds)
        finally:
            server.stop()
    return figures


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description="bytes per second to an idle terminal through ssh, timer running")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="4 seconds of idling instead of 10")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = min(args.seconds, 4.0)
    missing = [tool for tool in ("/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen") if not Path(tool).exists()]
    if missing:
        sys.exit(f"needs {', '.join(missing)} (Debian: apt-get install openssh-server openssh-client)")
    figures = measure(args.seconds)
    rate = figures["co"]
    print(f"bytes written through ssh to an 80×24 terminal, {args.seconds:.0f} s idle with a step's timer running")
    print(f"  facilitator join --role co   {rate:8.0f} B/s   first frame {figures['co_first']:7.0f} B")
    print(f"  facilitator present          {figures['room']:8.0f} B/s   first frame {figures['room_first']:7.0f} B")
    print(f"  bare Textual app, idle       {figures['bare']:8.0f} B/s   first frame {figures['bare_first']:7.0f} B")
    verdict = "met" if rate <= GOAL_BYTES_PER_SECOND else "MISSED"
    print(f"  co-facilitator: {rate:.0f} B/s (goal ≤ {GOAL_BYTES_PER_SECOND} B/s)  {verdict}")
    for name, key in (("co-facilitator (join)", "co"), ("room view (present)", "room")):
        value = figures[key]
        emit(
            f"bytes/s through ssh to an idle {name} terminal, timer running",
            value=round(value),
            unit="B/s",
            baseline="bare Textual app through the same ssh, idle",
            baseline_value=round(figures["bare"]),
            ratio=round(value / figures["bare"], 2) if figures["bare"] else None,
            goal=f"≤ {GOAL_BYTES_PER_SECOND} B/s",
            met=value <= GOAL_BYTES_PER_SECOND,
            issue=5,
        )
    return rate


if __name__ == "__main__":
    main()
