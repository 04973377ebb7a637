"""Wall time of ``facilitator check exercises`` as a ratio to ``python -c pass``, measured in the same run.

Both commands run as fresh processes, alternating, several times; the table gives the median of each
and their ratio. No goal was set (issue 2 asks for the figure). Run it as
``.venv/bin/python bench/check_time.py [--rounds N] [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from figures import emit

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "exercises"


def _console_script() -> list[str]:
    script = Path(sys.executable).parent / "facilitator"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "facilitator"]


def _wall_time(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr.decode(errors='replace')}")
    return elapsed


def measure(rounds: int) -> dict[str, list[float]]:
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "facilitator check exercises": [*_console_script(), "check", str(DEMO)],
    }
    for command in commands.values():  # warm the file cache and the bytecode before timing
        _wall_time(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():  # alternate, so drifts in machine load hit both
            times[name].append(_wall_time(command))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=15, help="alternating repetitions (default 15)")
    parser.add_argument("--quick", action="store_true", help="3 rounds, to try it out")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 3
    times = measure(max(1, args.rounds))
    baseline = statistics.median(times["python -c pass"])
    check = statistics.median(times["facilitator check exercises"])
    print(f"facilitator check of the demo workshop, {args.rounds} alternating rounds, medians")
    print(f"{'command':<30} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    for name, values in times.items():
        print(
            f"{name:<30} {statistics.median(values) * 1000:>10.1f} "
            f"{min(values) * 1000:>8.1f} {max(values) * 1000:>8.1f}"
        )
    print(f"{'ratio check / python':<30} {check / baseline:>10.1f}")
    emit(
        "facilitator check of the demo, wall time",
        value=check * 1000,
        unit="ms",
        baseline="python -c pass",
        baseline_value=baseline * 1000,
        ratio=check / baseline,
        goal="none set (reported)",
        met=None,
        issue=2,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
