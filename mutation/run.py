#!/usr/bin/env python3
"""Mutation testing of the modules that decide what users are told or trust: `make mutation`.

    .venv/bin/python mutation/run.py                 every module below, one after another
    .venv/bin/python mutation/run.py days gender     only these modules

Each module is mutated on its own by mutmut (pinned in pyproject.toml's test extra, configured in its
``[tool.mutmut]`` section) and tested with its own fast unit tests only (``MODULES`` below: never the
tmux, ssh, browser or end-to-end files). mutmut copies the project into ``mutants/`` (git-ignored); the
folder is made anew for each module, and this script's logs and results go to ``mutation/out/``.

The kill rate of a module is killed / (mutants - equivalent). A mutant is excluded as equivalent only
when ``mutation/equivalent.toml`` lists it with the reason why no test can tell it from the original,
and with the line it changes: an entry whose line no longer matches (the module changed and mutmut
numbered its mutants anew) excludes nothing and is reported, so the list cannot silently go stale.
A timeout counts as killed (the mutant made a test hang and the run stopped it).

Exit status: 0 when every module reaches the goal, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "mutation" / "out"
EQUIVALENT = ROOT / "mutation" / "equivalent.toml"
GOAL = 95.0

# module -> its fast unit tests: the test files that import it and run in a few seconds.
# Each module's place in the packages (facilitator/<place>.py, mutants named facilitator.<place>.*).
PLACES = {
    "attendance": "attendance.intervals",
    "register": "live.register",
    "state": "live.state",
    "tokens": "participant_page.tokens",
    "days": "live.days",
    "gender": "attendance.gender",
    "answers": "questions.answers",
    "scoring": "questions.scoring",
    "ballots": "questions.ballots",
}
MODULES: dict[str, list[str]] = {
    "attendance": ["tests/test_attendance.py"],
    "register": ["tests/test_attendance.py", "tests/test_days.py"],
    "state": ["tests/test_state.py"],
    "tokens": ["tests/test_tokens.py"],
    "days": ["tests/test_days.py"],
    "gender": ["tests/test_gender.py"],
    "answers": ["tests/test_questions_core.py", "tests/test_questions.py"],
    "scoring": ["tests/test_questions_core.py", "tests/test_questions.py"],
    "ballots": ["tests/test_questions_core.py", "tests/test_questions.py"],
}

KILLED = {"killed", "timeout"}


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# -- the child: one mutmut run, narrowed to one module and its tests --------------------------------------


def child(module: str) -> None:
    """Run mutmut on ``module`` with its tests, then write every mutant's status and changed line."""
    from mutmut import configuration

    path = f"facilitator/{PLACES[module].replace('.', '/')}.py"
    # mutmut reads [tool.mutmut] once and caches it in configuration._config (3.8.1, pinned): narrow it here.
    config = configuration._load_config()
    config.only_mutate = [path]
    config.pytest_add_cli_args_test_selection = list(MODULES[module])
    configuration._config = config

    from mutmut.__main__ import cli
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    try:
        cli(["run"], standalone_mode=False)
    except SystemExit as stop:  # mutmut exits on a failing clean run: say so and stop
        if stop.code:
            raise
    data = SourceFileMutationData(path=Path(path))
    data.load()
    found: dict[str, dict[str, Any]] = {}
    for name, code in sorted(data.exit_code_by_key.items()):
        status = status_by_exit_code[code]
        diff = get_diff_for_mutant(name, path=path)
        found[name] = {"status": status, "change": changed_line(diff), "diff": diff}
    (ROOT / "mutants" / "result.json").write_text(json.dumps(found, indent=1), encoding="utf-8")


def changed_line(diff: str) -> str:
    """The mutant's changed line(s), stripped: what an entry of equivalent.toml is checked against."""
    added = [line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    return " / ".join(added)


# -- the parent: one module at a time, then the table ------------------------------------------------------


def equivalents() -> dict[str, dict[str, str]]:
    entries = tomllib.loads(EQUIVALENT.read_text(encoding="utf-8")).get("mutant", [])
    table: dict[str, dict[str, str]] = {}
    for entry in entries:
        missing = {"name", "change", "reason"} - set(entry)
        if missing or not entry["reason"].strip():
            raise SystemExit(f"{EQUIVALENT.name}: entry {entry!r} needs a name, the change and a reason")
        table[entry["name"]] = entry
    return table


def run_module(module: str) -> dict[str, Any]:
    mutants = ROOT / "mutants"
    shutil.rmtree(mutants, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    log = OUT / f"{module}.log"
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as sink:
        done = subprocess.run(  # noqa: S603 - this very script, with the venv's python
            [sys.executable, __file__, "--child", module],
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # UTC, unlike the tests' workshop zone (Juba): a mutant that drops the zone then shows.
            env={**os.environ, "PYTHONHASHSEED": "0", "TZ": "UTC"},
            check=False,
        )
    seconds = time.monotonic() - started
    result_file = mutants / "result.json"
    if done.returncode != 0 or not result_file.exists():
        tail = "\n".join(log.read_text(encoding="utf-8").splitlines()[-30:])
        raise SystemExit(f"mutmut failed on {module} (exit {done.returncode}); the end of {log}:\n{tail}")
    found: dict[str, dict[str, Any]] = json.loads(result_file.read_text(encoding="utf-8"))
    (OUT / f"{module}.json").write_text(json.dumps(found, indent=1), encoding="utf-8")
    return {"mutants": found, "seconds": seconds}


def summarise(module: str, found: dict[str, dict[str, Any]], listed: dict[str, dict[str, str]]) -> dict[str, Any]:
    prefix = f"facilitator.{PLACES[module]}."
    equivalent, stale, killed_but_listed, survivors = [], [], [], []
    killed = 0
    for name, mutant in found.items():
        entry = listed.get(name)
        if mutant["status"] in KILLED:
            killed += 1
            if entry is not None:
                killed_but_listed.append(name)
        elif entry is not None and entry["change"].strip() == mutant["change"]:
            equivalent.append(name)
        else:
            if entry is not None:
                stale.append(name)
            survivors.append(name)
    missing = [name for name in listed if name.startswith(prefix) and name not in found]
    counted = len(found) - len(equivalent)
    rate = 100.0 * killed / counted if counted else 100.0
    return {
        "module": module,
        "total": len(found),
        "killed": killed,
        "equivalent": equivalent,
        "survivors": survivors,
        "stale": stale + missing,
        "killed_but_listed": killed_but_listed,
        "rate": rate,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", metavar="MODULE", help="any of: " + ", ".join(MODULES))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"no module {', '.join(unknown)}: the modules are {', '.join(MODULES)}")
    os.chdir(ROOT)
    listed = equivalents()
    modules = args.modules or list(MODULES)
    rows = []
    began = time.monotonic()
    for module in modules:
        place = PLACES[module].replace(".", "/")
        say(f"{module}: mutating facilitator/{place}.py, tested by {' '.join(MODULES[module])} ...")
        outcome = run_module(module)
        row = summarise(module, outcome["mutants"], listed)
        row["seconds"] = outcome["seconds"]
        rows.append(row)
        say(f"{module}: {row['killed']} of {row['total'] - len(row['equivalent'])} killed ({row['rate']:.1f}%)")
        for name in row["survivors"]:
            mutant = outcome["mutants"][name]
            say(f"  survived ({mutant['status']}): {name}")
            say("    " + "\n    ".join(mutant["diff"].strip().splitlines()))
        for name in row["stale"]:
            say(f"  stale entry in {EQUIVALENT.name}: {name} (changed or gone): it excludes nothing")
        for name in row["killed_but_listed"]:
            say(f"  listed as equivalent in {EQUIVALENT.name} but killed: {name}: remove the entry")
    total = time.monotonic() - began
    say()
    say(f"{'module':<12}{'mutants':>8}{'killed':>8}{'equivalent':>12}{'survived':>10}{'kill rate':>11}{'time':>8}")
    for row in rows:
        say(
            f"{row['module']:<12}{row['total']:>8}{row['killed']:>8}{len(row['equivalent']):>12}"
            f"{len(row['survivors']):>10}{row['rate']:>10.1f}%{row['seconds']:>7.0f}s"
        )
    say(f"total time {total:.0f} s; kill rate = killed / (mutants - equivalent); goal {GOAL:.0f}% per module")
    excluded = [(name, listed[name]["reason"]) for row in rows for name in row["equivalent"]]
    if excluded:
        say()
        say(f"Excluded as equivalent ({len(excluded)}, from {EQUIVALENT.relative_to(ROOT)}):")
        for name, reason in excluded:
            say(f"  {name}: {reason}")
    missed = [row["module"] for row in rows if row["rate"] < GOAL]
    say()
    say(f"goal missed by: {', '.join(missed)}" if missed else f"goal met: every module at {GOAL:.0f}% or more")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
