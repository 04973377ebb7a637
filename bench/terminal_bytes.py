"""Bytes written to the terminal per second while only the timer runs: what crosses a slow SSH link.

The lead app runs as a real process on an 80×24 pseudo-terminal; a step is entered and then nothing
is pressed. Everything the app writes in the next seconds is counted. Baseline in the same run: the
same bare Textual app (header and footer) left idle, and the first frame of the lead app, for scale.
Goal: at most 2 KB/s while the timer runs. Run it as ``.venv/bin/python bench/terminal_bytes.py [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import emit
from terminal import REPO, Terminal

GOAL_BYTES_PER_SECOND = 2048


def measure(seconds: float) -> dict[str, float]:
    python = sys.executable
    facilitator = str(Path(python).parent / "facilitator")
    from facilitator.record.store import Store
    from facilitator.script.loading import load_workshop

    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "run.db"
        Store.create(db, load_workshop(REPO / "exercises").programme, actor="bench").close()
        lead = Terminal([facilitator, "run", "--db", str(db), "--as", "bench"])
        try:
            lead.wait_for(b"Press n to start")
            first_frame = sum(len(c) for _, c in lead.chunks)
            lead.send(b"n")
            lead.wait_for(b"Welcome")
            lead.read_for(1.5)  # let the step's own repaint finish
            running = len(lead.read_for(seconds))
        finally:
            lead.close()
        bare = Terminal([python, str(REPO / "bench" / "bare_app.py")])
        try:
            bare.wait_for(b"bare app ready")
            bare.read_for(1.0)
            idle = len(bare.read_for(seconds))
        finally:
            bare.close()
    return {"first_frame": first_frame, "running": running / seconds, "bare_idle": idle / seconds}


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description="terminal bytes per second while only the timer runs")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="3 seconds, to try it out")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = 3.0
    figures = measure(args.seconds)
    rate = figures["running"]
    print(f"bytes written to an 80×24 terminal, {args.seconds:.0f} s with only the timer running")
    print(f"  lead app, timer running     {rate:8.0f} B/s")
    print(f"  bare Textual app, idle      {figures['bare_idle']:8.0f} B/s   (baseline)")
    print(f"  lead app, first full frame  {figures['first_frame']:8.0f} B    (for scale)")
    verdict = "met" if rate <= GOAL_BYTES_PER_SECOND else "MISSED"
    print(f"  {rate:.0f} B/s (goal ≤ {GOAL_BYTES_PER_SECOND} B/s)  {verdict}")
    idle = figures["bare_idle"]
    emit(
        "terminal bytes while only the timer runs (80×24 pty)",
        value=rate,
        unit="B/s",
        baseline="bare Textual app, idle",
        baseline_value=idle,
        ratio=rate / idle if idle else None,  # an idle app writes nothing: no ratio to speak of
        goal=f"≤ {GOAL_BYTES_PER_SECOND} B/s",
        met=rate <= GOAL_BYTES_PER_SECOND,
        issue=3,
    )
    return rate


if __name__ == "__main__":
    main()
