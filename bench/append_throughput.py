"""Event append throughput: the real store code against raw ``BEGIN IMMEDIATE; INSERT; COMMIT``.

    .venv/bin/python bench/append_throughput.py [--n 2000] [--repeats 5] [--dir DIR] [--quick]

Both sides write N single-event transactions to a fresh file in the same folder, with the same PRAGMAs
(WAL, synchronous=FULL) and the same ``events`` table (built by the real migrations, triggers included).
Each repetition writes N events each way on fresh files, alternating every 100 events so that both sides
see the same machine; the result is the median over repetitions. Goal: store/raw >= 0.5.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from figures import emit
from sqlite_utils import Database

from facilitator.record.clock import SystemClock, to_text
from facilitator.record.migrations import migrations
from facilitator.record.store import Store
from facilitator.script.models import Programme

GOAL = 0.5
KIND = "timer.adjusted"  # a typical small event
PAYLOAD = {"seconds": 60}
BATCH = 100  # events per side before switching to the other
EXERCISES = Path(__file__).resolve().parent.parent / "exercises"


@dataclass(frozen=True)
class Result:
    n: int
    raw: list[float]  # events per second, one per repetition
    store: list[float]

    @property
    def raw_median(self) -> float:
        return statistics.median(self.raw)

    @property
    def store_median(self) -> float:
        return statistics.median(self.store)

    @property
    def ratio(self) -> float:
        """Median of the per-repetition ratios: each pair ran interleaved, under the same conditions."""
        return statistics.median(s / r for s, r in zip(self.store, self.raw, strict=True))


def open_raw(path: Path) -> sqlite3.Connection:
    """A plain connection with the store's PRAGMAs, on a file with the same schema (the real migrations)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    migrations.apply(Database(conn))
    return conn


def raw_appends(conn: sqlite3.Connection, n: int) -> float:
    """Seconds for ``n`` raw single-row commits."""
    body = json.dumps(PAYLOAD, separators=(",", ":"))
    clock = SystemClock()
    start = time.perf_counter()
    for _ in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO events (id, at, actor, kind, payload) VALUES (?, ?, ?, ?, ?)",
            (uuid.uuid4().hex, to_text(clock.now()), "bench", KIND, body),
        )
        conn.execute("COMMIT")
    return time.perf_counter() - start


def store_appends(store: Store, n: int) -> float:
    """Seconds for ``n`` calls of ``Store.append``."""
    start = time.perf_counter()
    for _ in range(n):
        store.append(KIND, PAYLOAD, actor="bench")
    return time.perf_counter() - start


def repetition(folder: Path, n: int, programme: Programme, batch: int = BATCH) -> tuple[float, float]:
    """Events/s of raw and of the store for ``n`` events each, written in alternating batches.

    fsync latency drifts with whatever else the machine is doing; alternating every ``batch`` events
    exposes both sides to the same drift, so their ratio stays meaningful on a busy machine.
    """
    raw_seconds = store_seconds = 0.0
    conn = open_raw(folder / "raw.db")
    store = Store.create(folder / "store.db", programme, actor="bench")
    try:
        done = 0
        while done < n:
            k = min(batch, n - done)
            if (done // batch) % 2:
                raw_seconds += raw_appends(conn, k)
                store_seconds += store_appends(store, k)
            else:
                store_seconds += store_appends(store, k)
                raw_seconds += raw_appends(conn, k)
            done += k
    finally:
        conn.close()
        store.close()
    return n / raw_seconds, n / store_seconds


def measure(n: int = 2000, repeats: int = 5, folder: Path | None = None) -> Result:
    """``repeats`` repetitions of ``n`` events each way, each on fresh files in ``folder`` (default: temp)."""
    from facilitator.script.loading import load_workshop

    programme = load_workshop(EXERCISES).programme
    raw: list[float] = []
    store: list[float] = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="facilitator-bench-", dir=folder) as scratch:
            raw_rate, store_rate = repetition(Path(scratch), n, programme)
        raw.append(raw_rate)
        store.append(store_rate)
    return Result(n=n, raw=raw, store=store)


def report(result: Result) -> str:
    def row(name: str, runs: list[float], median: float) -> str:
        spread = f"{min(runs):,.0f}–{max(runs):,.0f}"
        return f"| {name:<36} | {median:>12,.0f} | {spread:>17} |"

    verdict = "met" if result.ratio >= GOAL else "NOT met"
    lines = [
        f"Event append throughput: {result.n} single-event commits each way x {len(result.raw)} repetitions"
        f" (alternating every {BATCH}), WAL + synchronous=FULL",
        "",
        f"| {'':<36} | {'median ev/s':>12} | {'range ev/s':>17} |",
        f"|{'-' * 38}|{'-' * 14}|{'-' * 19}|",
        row("raw BEGIN IMMEDIATE; INSERT; COMMIT", result.raw, result.raw_median),
        row("Store.append (real store code)", result.store, result.store_median),
        "",
        f"ratio store/raw: {result.ratio:.2f} (median of per-repetition ratios;"
        f" ratio of medians {result.store_median / result.raw_median:.2f})  goal >= {GOAL}: {verdict}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> Result:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=2000, help="events per run (default 2000)")
    parser.add_argument("--repeats", type=int, default=5, help="alternating runs of each (default 5)")
    parser.add_argument("--dir", type=Path, default=None, help="folder for the scratch databases (default: temp)")
    parser.add_argument("--quick", action="store_true", help="300 events x 2 repetitions, to try it out")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.repeats = 300, 2
    result = measure(args.n, args.repeats, args.dir)
    print(report(result))
    emit(
        "event append throughput, Store.append",
        value=result.store_median,
        unit="ev/s",
        baseline="raw BEGIN IMMEDIATE; INSERT; COMMIT",
        baseline_value=result.raw_median,
        ratio=result.ratio,
        goal=f"ratio ≥ {GOAL}",
        met=result.ratio >= GOAL,
        issue=2,
    )
    return result


if __name__ == "__main__":
    sys.exit(0 if main().ratio >= GOAL else 1)
