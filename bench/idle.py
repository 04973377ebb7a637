"""What an idle terminal costs: CPU and wakeups per second of the lead, co-facilitator and room apps, each
as a ratio to a bare Textual app (header and footer) measured in the same run.

Each runs alone on a real 120×40 pseudo-terminal on the demo's run, no step running, nobody typing; after it
has drawn its first screen and settled, its CPU time (all threads, by the scheduler: .../task/*/schedstat), its
context switches (voluntary and involuntary, summed over its threads, /proc/PID/task/*/status: each one is
a wakeup) are counted over a window; the bare app is measured before and after the three, and averaged.
Goals (issue 25): CPU at most 3× the bare app's, at most 25 wakeups/s.
Run it as ``.venv/bin/python bench/idle.py [--seconds N] [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import emit
from terminal import REPO, Terminal

CPU_GOAL = 3.0
WAKEUPS_GOAL = 25.0
SETTLE_SECONDS = 3.0


def _cpu_seconds(pid: int) -> float:
    """Time on a CPU of all its threads, in nanoseconds from the scheduler (/proc/PID/task/*/schedstat): the
    clock-tick counts of /proc/PID/stat are too coarse for an idle process."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
    return total / 1e9


def _switches(pid: int) -> int:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            for line in (task / "status").read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
    return total


def idle_cost(argv: list[str], marker: bytes, seconds: float) -> tuple[float, float]:
    """(CPU share of one core, wakeups per second) of ``argv`` left idle for ``seconds``."""
    terminal = Terminal(argv, width=120, height=40)
    try:
        terminal.wait_for(marker)
        terminal.read_for(SETTLE_SECONDS)
        pid = terminal.process.pid
        cpu, switches, started = _cpu_seconds(pid), _switches(pid), time.perf_counter()
        terminal.read_for(seconds)  # keep reading what it draws, as a terminal does
        elapsed = time.perf_counter() - started
        return (_cpu_seconds(pid) - cpu) / elapsed, (_switches(pid) - switches) / elapsed
    finally:
        terminal.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="idle CPU and wakeups of each app against a bare Textual app")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--quick", action="store_true", help="5-second windows, to try it out")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = 5.0
    python = sys.executable
    facilitator = str(Path(python).parent / "facilitator")
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "run.db"
        from facilitator.record.store import Store
        from facilitator.script.loading import load_workshop

        Store.create(db, load_workshop(REPO / "exercises").programme, actor="lead").close()
        apps = {
            "lead (facilitator run)": ([facilitator, "run", "--db", str(db), "--as", "lead"], b"Press n to start"),
            "co-facilitator (facilitator join)": (
                [facilitator, "join", "--db", str(db), "--as", "amina", "--role", "co"],
                b"amina (co)",
            ),
            "room view (facilitator present)": ([facilitator, "present", "--db", str(db)], b"Integrating"),
        }
        bare = [python, str(REPO / "bench" / "bare_app.py")]
        first = idle_cost(bare, b"bare app ready", args.seconds)
        measured = {name: idle_cost(command, marker, args.seconds) for name, (command, marker) in apps.items()}
        last = idle_cost(bare, b"bare app ready", args.seconds)
        # The baseline before and after the apps, averaged: the machine's load drifts over a few minutes.
        bare_cpu, bare_wakeups = (first[0] + last[0]) / 2, (first[1] + last[1]) / 2
        print(f"idle for {args.seconds:.0f} s after {SETTLE_SECONDS:.0f} s to settle, 120×40 pty, alone on the run")
        print(f"  {'':36}{'CPU':>8}{'ratio':>8}{'wakeups/s':>12}")
        print(f"  {'bare Textual app (header+footer)':36}{bare_cpu * 100:7.2f}%{'':>8}{bare_wakeups:12.1f}")
        for name, (cpu, wakeups) in measured.items():
            ratio = cpu / bare_cpu if bare_cpu else float("inf")
            met = ratio <= CPU_GOAL and wakeups <= WAKEUPS_GOAL
            print(f"  {name:36}{cpu * 100:7.2f}%{ratio:8.2f}{wakeups:12.1f}   {'met' if met else 'MISSED'}")
            emit(
                f"idle CPU, {name}",
                value=round(cpu * 100, 2),
                unit="% of a core",
                baseline="bare Textual app (header+footer), idle",
                baseline_value=round(bare_cpu * 100, 2),
                ratio=round(ratio, 2),
                goal=f"ratio ≤ {CPU_GOAL:.0f}",
                met=ratio <= CPU_GOAL,
                issue=25,
            )
            emit(
                f"idle wakeups, {name}",
                value=round(wakeups, 1),
                unit="/s",
                baseline="bare Textual app (header+footer), idle",
                baseline_value=round(bare_wakeups, 1),
                ratio=round(wakeups / bare_wakeups, 2) if bare_wakeups else None,
                goal=f"≤ {WAKEUPS_GOAL:.0f}/s",
                met=wakeups <= WAKEUPS_GOAL,
                issue=25,
            )


if __name__ == "__main__":
    main()
