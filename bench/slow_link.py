"""A co-facilitator over a slow link: 600 ms round trip, 64 kbit/s each way, through a real ssh login.

The link is tests/slow_relay.py as the ssh client's ``ProxyCommand``: each direction serialises what it is
given at 64 kbit/s (1448-byte segments, 40 bytes of TCP/IP headers each, a burst queues behind itself) and
delivers each segment half the round trip after its last byte left. It loses nothing: TCP under ssh is
reliable, and a loss would show as a late segment and head-of-line blocking (the relay's ``--loss``), which
these figures leave out. The server is Debian's sshd on 127.0.0.1 (tests/sshd.py: the README's forced
command, ``restrict,pty``, its keep-alives); the ssh client runs on an 80×24 pseudo-terminal and what it
writes there (the app's output, decrypted) is what the co-facilitator's terminal receives. The lead is the
Session API on the same SQLite file, as another process's terminal would be.

Three passes, each on a fresh run: a direct ssh login (the baseline, same run), the slow link, and the
slow link again with ssh's own compression (``-o Compression=yes``, zlib: what the README advises for such
links). ssh is asked for ``Compression=no`` in the first two, so that a user's default cannot change them.

- **step change**: the lead enters the next (or previous) step; time until the new step's title has
  reached the co-facilitator's terminal. Goal: p95 <= RTT + 150 ms.
- **own key echoed**: the co-facilitator moves the agenda's cursor (down, up: two of its lines repaint);
  time from the key's write until those lines have reached her terminal. Goal: p95 <= RTT + 100 ms.
- **idle**: bytes per second to her terminal on the main screen while a step's timer runs, and what the
  link carried meanwhile (ssh's stream: keep-alives and padding included). Goal: <= 2 KB/s.
- **bytes per full-screen change** (direct login; the app writes the same bytes whatever the link), with
  nothing ticking: opening and closing the attendance and help screens; a step change's (timer running).
  Then, timer running: what the attendance screen costs a second when left open (the same <= 2 KB/s goal:
  a co-facilitator checking people in sits there), and, on the slow link, how long it takes to open.

A change's arrival is read off the bytes themselves: escape sequences taken out, what is left holds the
text the screen shows, row after row (the step panel's full title; the agenda's line under the cursor).

Run it as ``.venv/bin/python bench/slow_link.py [--samples N] [--quick]``. Needs /usr/sbin/sshd and ssh.
"""

from __future__ import annotations

import argparse
import random
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import emit
from terminal import REPO, Terminal

sys.path.insert(0, str(REPO))

from tests.slow_relay import MSS, TCP_IP_HEADERS, LinkShape, proxy_command

if TYPE_CHECKING:
    from facilitator.live.session import Session

SHAPE = LinkShape(rtt_s=0.6, kbit=64)
STEP_ABOVE_RTT_MS = 150.0
ECHO_ABOVE_RTT_MS = 100.0
IDLE_GOAL_BYTES_PER_SECOND = 2048
# Escape sequences (CSI, OSC, two-byte ESC) between the characters of a line: what a screen shows is left.
ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=!]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[^\[\]]")
# The demo's first two steps: their full titles are drawn only by the step panel (the agenda cuts them).
FIRST, SECOND = "Welcome and purpose", "Connection check: one"
# The agenda's line that the cursor moves onto and off: both moves repaint it.
CURSOR_LINE = "08:25 Introductio"
DOWN, UP = b"\x1b[B", b"\x1b[A"
OPEN_ATTENDANCE = "attendance screen opened (a)"
# The last row of the attendance screen's roster at 80×24 (the demo's roster, by location and name): when it
# has arrived, the whole table has.
ATTENDANCE_SHOWN = "Espérance"


def shown(data: bytes) -> str:
    return ESCAPES.sub(b"", data).decode("utf-8", "replace")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


@dataclass
class Pass:
    """What one link gave."""

    name: str
    step_ms: list[float] = field(default_factory=list)
    echo_ms: list[float] = field(default_factory=list)
    step_bytes: list[int] = field(default_factory=list)
    step_link_bytes: list[int] = field(default_factory=list)
    idle: float = 0.0
    idle_link: float | None = None
    first_frame_s: float = 0.0
    changes: dict[str, int] = field(default_factory=dict)
    attendance_idle: float | None = None
    attendance_shown_s: float = 0.0
    attendance_link_bytes: int = 0


class Co:
    """A co-facilitator's ssh client on an 80×24 pty; what reached it, and (slow link) what the link carried."""

    def __init__(self, argv: list[str], tally: Path | None) -> None:
        self.terminal = Terminal(argv)
        self.tally = tally

    def mark(self) -> int:
        return len(self.terminal.chunks)

    def since(self, mark: int) -> bytes:
        return b"".join(chunk for _, chunk in self.terminal.chunks[mark:])

    def link_down(self) -> int:
        """Bytes the link has delivered towards the client so far (ssh's stream)."""
        if self.tally is None or not self.tally.exists():
            return 0
        return int(self.tally.read_text().split()[1])

    def wait_shown(self, text: str, mark: int, timeout: float = 30.0) -> float:
        """When ``text`` had reached the terminal (among what arrived after ``mark``), as ``perf_counter``."""
        deadline = time.perf_counter() + timeout
        while True:
            if text in shown(self.since(mark)):
                return self.terminal.chunks[-1][0]
            if time.perf_counter() > deadline:
                tail = shown(self.since(mark))[-300:]
                raise TimeoutError(f"{text!r} never reached the terminal; it shows {tail!r}")
            self.terminal.read_for(0.005)
            if len(self.terminal.chunks) == mark and self.terminal.process.poll() is not None:
                raise RuntimeError(f"ssh exited with {self.terminal.process.returncode}")

    def settle(self, quiet: float, longest: float = 30.0) -> None:
        """Read until nothing has come for ``quiet`` seconds (a running timer's one line a second is quiet
        enough: it comes in one piece)."""
        deadline = time.perf_counter() + longest
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([self.terminal.master], [], [], quiet)
            if not ready:
                return
            self.terminal.read_for(0.001)

    def close(self) -> None:
        self.terminal.close()


def new_run(folder: Path) -> Path:
    """The demo workshop with its roster, no step entered yet."""
    from tests.sshd import FACILITATOR

    db = folder / "run.db"
    for args in (
        ["init", str(REPO / "exercises"), "--db", str(db)],
        ["roster", "import", str(REPO / "exercises" / "roster.csv"), "--db", str(db)],
    ):
        subprocess.run([str(FACILITATOR), *args], check=True, capture_output=True, timeout=120)
    return db


@dataclass(frozen=True)
class Link:
    """How a pass reaches the host: directly, or through the slow relay, with ssh's compression or without."""

    name: str
    shape: LinkShape | None
    compression: bool = False

    def quiet(self) -> float:
        """A pause long enough to say the terminal has been sent all there was: longer than the gaps between
        a burst's segments on the slow link (1448 bytes at 64 kbit/s: 186 ms)."""
        if self.shape is None:
            return 0.15
        # A lost segment comes a retransmission timeout late: what follows it waits as long.
        return 0.35 + (self.shape.retransmission_s if self.shape.loss else 0.0)


def one_pass(link: Link, folder: Path, samples: int, idle_s: float) -> Pass:
    from facilitator.live.session import Session
    from facilitator.record.store import Store
    from tests.sshd import Sshd

    folder.mkdir()
    db = new_run(folder)
    server = Sshd(folder / "sshd")
    key = server.authorize_join("amina", db, role="co")
    server.start()
    tally = folder / "link.tally" if link.shape is not None else None
    argv = (
        server.ssh_argv(key) if link.shape is None else server.ssh_argv_via(key, proxy_command(link.shape, tally=tally))
    )
    argv = [argv[0], "-o", f"Compression={'yes' if link.compression else 'no'}", *argv[1:]]
    result = Pass(link.name)
    quiet = link.quiet()
    started = time.perf_counter()
    co = Co(argv, tally)
    store = Store.open(db)
    try:
        lead = Session(store, actor="lead")
        co.terminal.wait_for(b"amina (co)", timeout=120)
        result.first_frame_s = time.perf_counter() - started
        co.settle(1.0)
        if link.shape is None:  # nothing ticks before the first step: each change's bytes alone
            result.changes.update(full_screen_changes(co))
        lead.next_step()
        co.wait_shown(FIRST, co.mark())
        co.settle(quiet)

        before, link_before = co.mark(), co.link_down()
        co.terminal.read_for(idle_s)
        result.idle = len(co.since(before)) / idle_s
        if tally is not None:
            result.idle_link = (co.link_down() - link_before) / idle_s

        result.echo_ms = own_keys(co, samples, quiet)
        steps(co, lead, samples, quiet, result)
        if link.shape is None:
            result.attendance_idle = attendance_left_open(co, idle_s)
        else:  # last: the link stays busy with it for as long as the screen is open
            result.attendance_shown_s, result.attendance_link_bytes = attendance_over_the_link(co)
    finally:
        co.close()
        store.close()
        server.stop()
    return result


def own_keys(co: Co, samples: int, quiet: float) -> list[float]:
    """Milliseconds from each cursor move's key to its two repainted lines on the terminal."""
    co.terminal.send(DOWN)  # the agenda takes the cursor: the first move repaints all of it
    co.settle(max(quiet, 0.5))
    echoes = []
    for index in range(samples):
        time.sleep(random.uniform(0, 0.3))  # land at every phase of the timer's one-second repaint
        mark = co.mark()
        sent = time.perf_counter()
        co.terminal.send(DOWN if index % 2 == 0 else UP)
        echoes.append((co.wait_shown(CURSOR_LINE, mark) - sent) * 1000)
        co.settle(quiet)
    return echoes


def steps(co: Co, lead: Session, samples: int, quiet: float, result: Pass) -> None:
    """The lead goes to the second step and back; when each title reached the terminal, and what it cost."""
    for index in range(samples):
        time.sleep(random.uniform(0, 0.3))
        mark, link_before = co.mark(), co.link_down()
        sent = time.perf_counter()
        event = lead.next_step() if index % 2 == 0 else lead.previous_step()
        assert event is not None
        result.step_ms.append((co.wait_shown(FIRST if index % 2 else SECOND, mark) - sent) * 1000)
        co.settle(quiet)
        result.step_bytes.append(len(co.since(mark)))
        if co.tally is not None:
            result.step_link_bytes.append(co.link_down() - link_before)


def full_screen_changes(co: Co) -> dict[str, int]:
    """Bytes written for each change of the whole screen, nothing ticking, until the screen is still."""
    changes: dict[str, int] = {}
    for name, key in (
        (OPEN_ATTENDANCE, b"a"),
        ("attendance screen closed (escape)", b"\x1b"),
        ("help screen opened (?)", b"?"),
        ("help screen closed (escape)", b"\x1b"),
    ):
        mark = co.mark()
        co.terminal.send(key)
        co.settle(1.5)
        changes[name] = len(co.since(mark))
    return changes


def attendance_left_open(co: Co, seconds: float) -> float:
    """Bytes per second to a terminal left on the attendance screen while a step's timer runs."""
    co.terminal.send(b"a")
    co.wait_shown("present", co.mark())
    co.terminal.read_for(2.0)  # the screen's first frames
    mark = co.mark()
    co.terminal.read_for(seconds)
    rate = len(co.since(mark)) / seconds
    co.terminal.send(b"\x1b")
    co.settle(0.3)
    return rate


def attendance_over_the_link(co: Co) -> tuple[float, int]:
    """Seconds from ``a`` until the attendance screen's roster has reached the terminal (its last row's
    location), and what the link carried until then."""
    mark, link_before = co.mark(), co.link_down()
    sent = time.perf_counter()
    co.terminal.send(b"a")
    co.wait_shown(ATTENDANCE_SHOWN, mark, timeout=60.0)
    return time.perf_counter() - sent, co.link_down() - link_before


def summary(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values):6.0f}  p95 {percentile(values, 0.95):6.0f}"
        f"  max {max(values):6.0f} ms  (n={len(values)})"
    )


def report(direct: Pass, slow: Pass, compressed: Pass, shape: LinkShape, elapsed: float) -> None:
    rtt_ms = shape.rtt_s * 1000
    rate = shape.bytes_per_second
    print(
        f"a co-facilitator over ssh, 80×24, through a link of {rtt_ms:.0f} ms round trip and {shape.kbit:g} kbit/s"
        f" each way (tests/slow_relay.py), against a direct ssh login; ssh's compression off unless said"
        f" ({elapsed:.0f} s)"
    )
    print(
        f"  login to first frame: {slow.first_frame_s:.1f} s slow, {compressed.first_frame_s:.1f} s slow and"
        f" compressed (ssh -C), {direct.first_frame_s:.1f} s direct"
    )
    for label, key in (("step change seen", "step_ms"), ("own key echoed", "echo_ms")):
        print(f"  {label:17} slow       {summary(getattr(slow, key))}")
        print(f"  {'':17} compressed {summary(getattr(compressed, key))}")
        print(f"  {'':17} direct     {summary(getattr(direct, key))}")
    print(
        f"  idle, timer running: {slow.idle:.0f} B/s to the terminal, {slow.idle_link or 0:.0f} B/s of ssh on the"
        f" link ({compressed.idle_link or 0:.0f} B/s compressed); direct {direct.idle:.0f} B/s"
    )
    step_terminal, step_link = statistics.median(direct.step_bytes), statistics.median(slow.step_link_bytes)
    step_compressed = statistics.median(compressed.step_link_bytes)
    print(
        f"  one step change: {step_terminal:,.0f} B to the terminal; on the link {step_link:,.0f} B"
        f" = {step_link / rate * 1000:.0f} ms of it, compressed {step_compressed:,.0f} B"
    )
    print("  whole-screen changes, bytes to the terminal (nothing ticking), and what they cost the slow link:")
    for name, size in direct.changes.items():
        print(f"    {name:36} {size:7,} B = {size / rate:4.1f} s at {shape.kbit:g} kbit/s")
    print(
        "  attendance screen opened with a timer running, until its roster has arrived:"
        f" {slow.attendance_shown_s:.1f} s ({slow.attendance_link_bytes:,} B on the link),"
        f" compressed {compressed.attendance_shown_s:.1f} s ({compressed.attendance_link_bytes:,} B)"
    )
    if direct.attendance_idle is not None:
        carried = rate * MSS / (MSS + TCP_IP_HEADERS)
        verdict = "more" if direct.attendance_idle > carried else "less"
        print(
            f"  attendance screen left open, timer running: {direct.attendance_idle:,.0f} B/s to the terminal,"
            f" {verdict} than the link carries ({carried:,.0f} B/s)"
        )
        if direct.attendance_idle > IDLE_GOAL_BYTES_PER_SECOND:
            # What it was before the screens underneath stopped ticking (facilitator/tui/widgets/panels.py).
            print(
                "    its backlog grows for as long as it is open: is a screen under another ticking? Textual turns\n"
                "    a repaint of a screen underneath into one of the whole top screen (_compositor_refresh)"
            )

    for label, values, base, above in (
        ("step change seen by a co-facilitator", slow.step_ms, direct.step_ms, STEP_ABOVE_RTT_MS),
        ("co-facilitator's own key echoed", slow.echo_ms, direct.echo_ms, ECHO_ABOVE_RTT_MS),
    ):
        p95, base95 = percentile(values, 0.95), percentile(base, 0.95)
        emit(
            f"{label}, p95, through {rtt_ms:.0f} ms RTT and {shape.kbit:g} kbit/s (ssh, 80×24)",
            value=round(p95, 1),
            unit="ms",
            baseline="the same over a direct ssh login",
            baseline_value=round(base95, 1),
            ratio=round(p95 / base95, 2) if base95 else None,
            goal=f"≤ RTT + {above:.0f} ms ({rtt_ms + above:.0f} ms)",
            met=p95 <= rtt_ms + above,
            issue=20,
        )
    idle = slow.idle_link if slow.idle_link is not None else slow.idle
    emit(
        f"idle bytes/s on the {shape.kbit:g} kbit/s link to a co-facilitator, timer running (ssh's stream)",
        value=round(idle),
        unit="B/s",
        baseline="bytes/s to the terminal over a direct ssh login",
        baseline_value=round(direct.idle),
        ratio=round(idle / direct.idle, 2) if direct.idle else None,
        goal=f"≤ {IDLE_GOAL_BYTES_PER_SECOND} B/s",
        met=idle <= IDLE_GOAL_BYTES_PER_SECOND and slow.idle <= IDLE_GOAL_BYTES_PER_SECOND,
        issue=20,
    )
    emit(
        "bytes to a co-facilitator's terminal per step change (80×24)",
        value=round(step_terminal),
        unit="B",
        baseline=f"what a {shape.kbit:g} kbit/s link carries in one round trip",
        baseline_value=round(rate * shape.rtt_s),
        ratio=round(step_terminal / (rate * shape.rtt_s), 2),
        goal="reported",
        met=None,
        issue=20,
    )
    opened = direct.changes.get(OPEN_ATTENDANCE)
    if opened is not None:
        emit(
            "bytes to a co-facilitator's terminal opening the attendance screen (80×24)",
            value=opened,
            unit="B",
            baseline="one step change",
            baseline_value=round(step_terminal),
            ratio=round(opened / step_terminal, 2) if step_terminal else None,
            goal="reported",
            met=None,
            issue=20,
        )
    emit(
        f"attendance screen opened over {rtt_ms:.0f} ms and {shape.kbit:g} kbit/s, timer running, ssh -C:"
        " seconds until its roster has arrived",
        value=round(compressed.attendance_shown_s, 2),
        unit="s",
        baseline="the same without ssh's compression",
        baseline_value=round(slow.attendance_shown_s, 2),
        ratio=round(compressed.attendance_shown_s / slow.attendance_shown_s, 2) if slow.attendance_shown_s else None,
        goal="reported",
        met=None,
        issue=20,
    )
    if direct.attendance_idle is not None:
        emit(
            "idle bytes/s to a co-facilitator left on the attendance screen, timer running",
            value=round(direct.attendance_idle),
            unit="B/s",
            baseline="on the main screen",
            baseline_value=round(direct.idle),
            ratio=round(direct.attendance_idle / direct.idle, 2) if direct.idle else None,
            goal=f"≤ {IDLE_GOAL_BYTES_PER_SECOND} B/s",
            met=direct.attendance_idle <= IDLE_GOAL_BYTES_PER_SECOND,
            issue=20,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a co-facilitator over a 600 ms, 64 kbit/s link, through ssh")
    parser.add_argument("--samples", type=int, default=14, help="step changes and key presses per link")
    parser.add_argument("--idle-seconds", type=float, default=4.0)
    parser.add_argument("--quick", action="store_true", help="6 samples and 3 s of idling per link")
    parser.add_argument("--rtt", type=float, default=SHAPE.rtt_s * 1000, help="round trip, ms")
    parser.add_argument("--kbit", type=float, default=SHAPE.kbit, help="kbit/s each way")
    parser.add_argument("--jitter", type=float, default=0.0, help="up to this many ms more per segment")
    parser.add_argument("--loss", type=float, default=0.0, help="share of segments lost and sent again")
    args = parser.parse_args(argv)
    if args.quick:
        args.samples, args.idle_seconds = min(args.samples, 6), min(args.idle_seconds, 3.0)
    missing = [tool for tool in ("/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen") if not Path(tool).exists()]
    if missing:
        sys.exit(f"needs {', '.join(missing)} (Debian: apt-get install openssh-server openssh-client)")
    shape = LinkShape(rtt_s=args.rtt / 1000, kbit=args.kbit, jitter_s=args.jitter / 1000, loss=args.loss)
    if shape.jitter_s or shape.loss:
        print(f"with up to {args.jitter:g} ms of jitter and {args.loss:.1%} of segments lost and sent again")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        direct = one_pass(Link("direct", None), folder / "direct", args.samples, args.idle_seconds)
        slow = one_pass(Link("slow", shape), folder / "slow", args.samples, args.idle_seconds)
        fewer = max(4, args.samples // 2)  # a second look at the same link: fewer samples keep the run short
        compressed = one_pass(
            Link("compressed", shape, compression=True), folder / "compressed", fewer, args.idle_seconds
        )
    report(direct, slow, compressed, shape, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
