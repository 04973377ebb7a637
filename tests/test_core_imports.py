"""The core never imports Textual: scripts, store, session and exports are plain Python.

Every module of the package except the ``facilitator.tui`` package is found with pkgutil, so a new
core module is covered without editing this file. The command line's start-up is checked too:
``facilitator --help`` and ``facilitator check`` must not pay for importing Textual.
"""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import facilitator

REPO = Path(__file__).resolve().parent.parent
FACILITATOR = Path(sys.executable).parent / "facilitator"
# Importing facilitator.__main__ runs the command line; the TUI is the one client allowed Textual.
NOT_CORE = ("facilitator.__main__", "facilitator.tui")


def core_modules() -> list[str]:
    """Every module under facilitator/ but NOT_CORE, found without importing any of them.

    (``pkgutil.walk_packages`` would import each subpackage, the TUI included, to look inside it.)
    """
    found = []
    pending = [(list(facilitator.__path__), "facilitator.")]
    while pending:
        path, prefix = pending.pop()
        for module in pkgutil.iter_modules(path, prefix):
            if any(module.name == skip or module.name.startswith(skip + ".") for skip in NOT_CORE):
                continue
            found.append(module.name)
            if module.ispkg:
                pending.append(([str(Path(path[0]) / module.name.rsplit(".", 1)[-1])], module.name + "."))
    return sorted(found)


def test_core_modules_are_found() -> None:
    modules = core_modules()
    assert {
        "facilitator.script.loading",
        "facilitator.script.models",
        "facilitator.record.store",
        "facilitator.cli",
    } <= set(modules)
    assert not any(name.startswith("facilitator.tui") for name in modules)


def test_importing_the_core_does_not_import_textual() -> None:
    modules = core_modules()
    program = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "    loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "    if loaded:\n"
        "        print(f'{name} imported {loaded[0]}')\n"
        "        sys.exit(1)\n"
        "print('ok', len(sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False, cwd=REPO
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("ok")


def imported_by(*args: str) -> set[str]:
    """The modules the installed console script imports for ``args`` (from Python's import profile)."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run(
        [str(FACILITATOR), *args], capture_output=True, text=True, timeout=60, check=False, cwd=REPO, env=env
    )
    assert done.returncode == 0, done.stderr
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "facilitator.cli" in modules  # the profile was read
    return modules


@pytest.mark.slow
@pytest.mark.parametrize("args", [("--help",), ("check", "exercises")])
def test_the_command_line_starts_without_textual(args: tuple[str, ...]) -> None:
    modules = imported_by(*args)
    assert not {m for m in modules if m == "textual" or m.startswith("textual.")}
    if args[0] == "check":
        assert "facilitator.script.loading" in modules
