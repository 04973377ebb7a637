"""Making breakout groups for 500 people checked in (issue 17). Goal: ≤ 50 ms.

Five hundred people across nine locations of uneven sizes, with mixed genders (female, male, non-binary and
not stated), are split into groups of 5 mixing location and gender, after two earlier rounds whose pairs
must be avoided (facilitator.groups.making.make): the median of the rounds made. The baseline, in the same
run, is the plainest making there is: ``random.shuffle`` of the same people and cutting them into groups of
the same sizes. The ratio is how much the mixing and the avoiding cost over that.

A second figure, for reference, is the driver's whole command on a real run file
(``Session.make_groups``): who is checked in now, the making, the checks and the commit of ``groups.made``.
Run it as ``.venv/bin/python bench/groups.py [--people N] [--rounds R] [--quick]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import emit

from facilitator.groups import rules
from facilitator.groups.making import Member, make, repeats

GOAL_MS = 50.0
SIZE = 5
LOCATION_WEIGHTS = [14, 9, 8, 7, 6, 5, 4, 4, 3]  # nine locations, headquarters the biggest
GENDERS = [("female", 55), ("male", 38), ("non-binary", 3), ("not stated", 4)]


def people(n: int, seed: int = 17) -> list[Member]:
    rng = random.Random(seed)
    names, weights = zip(*GENDERS, strict=True)
    return [
        Member(
            f"p{i:04d}",
            f"loc{rng.choices(range(len(LOCATION_WEIGHTS)), weights=LOCATION_WEIGHTS)[0]}",
            rng.choices(names, weights=weights)[0],
        )
        for i in range(n)
    ]


def met_of(rounds: list[tuple[tuple[str, ...], ...]]) -> dict[str, dict[str, int]]:
    met: dict[str, dict[str, int]] = {}
    for groups in rounds:
        for group in groups:
            for a in group:
                row = met.setdefault(a, {})
                for b in group:
                    if a != b:
                        row[b] = row.get(b, 0) + 1
    return met


def shuffle_and_chunk(present: list[Member], sizes: list[int], rng: random.Random) -> list[list[str]]:
    ids = [p.id for p in present]
    rng.shuffle(ids)
    out, at = [], 0
    for size in sizes:
        out.append(ids[at : at + size])
        at += size
    return out


def measure(n: int, rounds: int) -> dict[str, Any]:
    present = people(n)
    sizes = rules.sizes(n, size=SIZE)
    earlier = [make(present, sizes, seed=1000 + r).groups for r in range(2)]
    met = met_of(earlier)
    make(present, sizes, met=met, seed=0)  # warm up
    made_ms, baseline_ms, repeated, random_repeated = [], [], [], []
    rng = random.Random(5)
    for r in range(rounds):  # alternate, so drifts in machine load hit both
        started = time.perf_counter()
        made = make(present, sizes, met=met, seed=r)
        made_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        chunked = shuffle_and_chunk(present, sizes, rng)
        baseline_ms.append((time.perf_counter() - started) * 1000)
        repeated.append(made.repeats)
        random_repeated.append(repeats(chunked, met))
    return {
        "made": made_ms,
        "baseline": baseline_ms,
        "repeats": repeated,
        "random_repeats": random_repeated,
        "groups": len(sizes),
    }


def measure_command(n: int, rounds: int) -> list[float]:
    """``Session.make_groups`` on a real run file with ``n`` people checked in: milliseconds per call."""
    from facilitator.live.session import Session
    from facilitator.record import events as ev
    from facilitator.record.clock import FakeClock, to_text
    from facilitator.record.store import Store
    from facilitator.script.loading import load_workshop

    programme = load_workshop(Path(__file__).resolve().parent.parent / "exercises").programme
    locations = [loc.id for loc in programme.workshop.locations]
    with tempfile.TemporaryDirectory() as folder:
        clock = FakeClock()
        with Store.create(Path(folder) / "run.db", programme, actor="bench", clock=clock) as store:
            items: list[tuple[str, dict[str, Any]]] = []
            for i, person in enumerate(people(n)):
                location = locations[int(person.location[3:]) % len(locations)]
                items.append(
                    (
                        ev.PARTICIPANT_ADDED,
                        {
                            "participant": person.id,
                            "name": f"Person {i}",
                            "email": f"person{i}@example.org",
                            "location": location,
                            "gender": person.gender,
                        },
                    )
                )
                items.append((ev.ATTENDANCE_CHECKED_IN, {"participant": person.id, "at": to_text(clock.now())}))
            store.append_many(items, actor="bench")
            session = Session(store, actor="bench")
            session.make_groups(size=SIZE, seed=0)  # warm up, and a round to avoid
            times = []
            for r in range(rounds):
                started = time.perf_counter()
                session.make_groups(size=SIZE, seed=r + 1)
                times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=500, help="people checked in (default 500)")
    parser.add_argument("--rounds", type=int, default=30, help="groupings timed (default 30)")
    parser.add_argument("--quick", action="store_true", help="5 rounds, to try it out")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 5
    rounds = max(1, args.rounds)
    found = measure(args.people, rounds)
    made, baseline = statistics.median(found["made"]), statistics.median(found["baseline"])
    command = measure_command(args.people, max(1, rounds // 3))
    print(f"breakout groups for {args.people} people, {found['groups']} groups of {SIZE}, after two earlier rounds")
    print(f"{'making':<40} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for name, values in (
        ("facilitator.groups.making.make", found["made"]),
        ("random.shuffle and chunk (baseline)", found["baseline"]),
        ("Session.make_groups (whole command)", command),
    ):
        print(f"{name:<40} {statistics.median(values):>10.2f} {p95(values):>8.2f} {max(values):>8.2f}")
    print(f"{'ratio make / shuffle-and-chunk':<40} {made / baseline:>10.1f}")
    print(
        f"pairs grouped before, put together again, per round: made {statistics.mean(found['repeats']):.1f}, "
        f"shuffle-and-chunk {statistics.mean(found['random_repeats']):.1f}"
    )
    emit(
        f"breakout groups for {args.people} people, median",
        value=made,
        unit="ms",
        baseline="random.shuffle and chunk of the same people",
        baseline_value=baseline,
        ratio=made / baseline,
        goal=f"<= {GOAL_MS:.0f} ms",
        met=made <= GOAL_MS,
        issue=17,
    )
    emit(
        f"breakout groups for {args.people} people, the driver's whole command, median",
        value=statistics.median(command),
        unit="ms",
        goal="none set (reported)",
        met=None,
        issue=17,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
