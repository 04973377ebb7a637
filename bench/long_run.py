"""Opening a five-day run (a million events) against the same run 100 events in: time to first frame, and memory.

    .venv/bin/python bench/long_run.py [--rounds 15] [--quick]

The long run is the synthetic one of bench/export_csv.py (1,000 participants, 100,000 reflections, 1,000,000
events, most of them check-ins and check-outs over five days), copied so that the cached file stays as built;
the short run is the same run's first 100 events, written into a new file. Both are opened by ``facilitator run``
on a real 80×24 pseudo-terminal, alternating; the time is from spawning the process to the moment its first
full screen (the step panel's "Press n to") has been written, and the memory is the process's resident set
(VmRSS) a second after that, when the lead's screen has settled.

Opening a run must not replay its whole log: a process keeps a checkpoint of what it folded in the run's file
(facilitator.live.checkpoint) and the next one folds only what came after it. A lead who ran the week has one;
the first open of the copy here, before the timed rounds, is the cold case (a run written by an older version,
or one whose checkpoint was dropped) and is reported as such.

Goals (issue 14): the long run opens within 1.2× the short one's time, and its lead holds at most 1.5× the
short one's memory.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from export_csv import CACHE, database, sync_and_warm
from figures import emit
from terminal import Terminal

ISSUE = 14
TIME_GOAL = 1.2
MEMORY_GOAL = 1.5
SHORT = 100
MARKER = b"Press n to"  # the step panel: "Press n to start" on the short run, "...to go on" on the long one
SETTLE_S = 1.0


def short_copy(long: Path, path: Path) -> Path:
    """A new run holding the long run's first ``SHORT`` events."""
    from facilitator.record.store import Store
    from facilitator.script.models import Programme

    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    source = sqlite3.connect(long)
    rows = source.execute("SELECT actor, kind, payload FROM events ORDER BY seq LIMIT ?", (SHORT,)).fetchall()
    source.close()
    actor, _, created = rows[0]
    with Store.create(path, Programme.validate(json.loads(created)["programme"]), actor=actor) as store:
        for actor, kind, payload in rows[1:]:
            store.append(kind, json.loads(payload), actor=actor)
    return path


def long_copy(long: Path, path: Path) -> Path:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(long, path)
    return path


def settle(db: Path) -> None:
    """Start the timed rounds from a settled machine: what the copy and the cold open wrote goes to disk first
    (``sync``), and the run's file is read through once, so that no round pays for the kernel's writeback or for
    pages it dropped (this VM's kernel pages out files untouched for a minute; the rounds run right after the CSV
    export's benchmark, which writes and deletes some 2 GB: in a full bench run both sides were ~40% slower than
    alone, the long one more)."""
    sync_and_warm(db)


def open_once(db: Path) -> tuple[float, float]:
    """Seconds to the first full frame of ``facilitator run`` on ``db``, and its resident set then, in MiB."""
    facilitator = str(Path(sys.executable).parent / "facilitator")
    terminal = Terminal([facilitator, "run", "--db", str(db), "--as", "bench"])
    try:
        seconds = terminal.wait_for(MARKER, timeout=300)
        terminal.read_for(SETTLE_S)
        status = Path(f"/proc/{terminal.process.pid}/status").read_text()
        rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")) / 1024
        return seconds, rss
    finally:
        terminal.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="opening a million-event run against the same run 100 events in")
    # 5 rounds spread the ratio 1.09-1.24 over one session's runs of the same code: medians of 15 hold steadier.
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="a tenth of the run and 3 rounds, to try it out")
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    if args.quick:
        args.rounds = 3
    cached = database(scale, rebuild=False)
    long = long_copy(cached, CACHE / "long-run.db")
    short = short_copy(long, CACHE / "long-run-short.db")
    (events,) = sqlite3.connect(long).execute("SELECT COUNT(*) FROM events").fetchone()

    started = time.perf_counter()
    cold, _ = open_once(long)  # folds the whole log, once, and keeps a checkpoint
    print(f"first open of the long run, no checkpoint: {cold:.1f} s (whole run {time.perf_counter() - started:.1f} s)")
    settle(long)
    open_once(short)  # warm caches and bytecode
    short_times, long_times, short_rss, long_rss = [], [], [], []
    for round_ in range(args.rounds):
        # Each round opens both, first one then the other in turn: a machine slowing down or speeding up over
        # the rounds (it is shared) weighs on both sides alike.
        for db in (short, long) if round_ % 2 == 0 else (long, short):
            seconds, rss = open_once(db)
            (short_times if db == short else long_times).append(seconds)
            (short_rss if db == short else long_rss).append(rss)
    time_ratio = statistics.median(long_times) / statistics.median(short_times)
    memory_ratio = statistics.median(long_rss) / statistics.median(short_rss)
    paired = statistics.median(b / a for a, b in zip(short_times, long_times, strict=True))
    print(f"{args.rounds} rounds, each opening both (in turn, first one then the other), medians, 80×24 pty")
    for label, times, memory in (
        (f"{SHORT}-event run", short_times, short_rss),
        (f"{events:,}-event run", long_times, long_rss),
    ):
        print(f"  {label:22} {statistics.median(times) * 1000:8.0f} ms  {statistics.median(memory):6.1f} MiB")
    print(f"  time ratio {time_ratio:.2f} (goal ≤ {TIME_GOAL}), memory ratio {memory_ratio:.2f} (goal ≤ {MEMORY_GOAL})")
    print(f"  (the median of the rounds' own ratios, for the spread: {paired:.2f})")
    emit(
        f"start to first frame, facilitator run on a {events:,}-event run (80×24 pty)",
        value=statistics.median(long_times) * 1000,
        unit="ms",
        baseline=f"the same run {SHORT} events in",
        baseline_value=statistics.median(short_times) * 1000,
        ratio=time_ratio,
        goal=f"ratio ≤ {TIME_GOAL}",
        met=time_ratio <= TIME_GOAL,
        issue=ISSUE,
    )
    emit(
        f"memory (RSS) of the lead app on a {events:,}-event run, its first frame up",
        value=statistics.median(long_rss),
        unit="MiB",
        baseline=f"the same run {SHORT} events in",
        baseline_value=statistics.median(short_rss),
        ratio=memory_ratio,
        goal=f"ratio ≤ {MEMORY_GOAL}",
        met=memory_ratio <= MEMORY_GOAL,
        issue=ISSUE,
    )
    emit(
        f"first open of a {events:,}-event run without a checkpoint (a run of an older version), to first frame",
        value=cold,
        unit="s",
        baseline=f"the same run {SHORT} events in",
        baseline_value=statistics.median(short_times),
        ratio=cold / statistics.median(short_times),
        goal="reported (once per run)",
        met=None,
        issue=ISSUE,
    )


if __name__ == "__main__":
    main()
