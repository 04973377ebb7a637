"""The core never imports Textual: scripts, store, session and exports are plain Python.

Every module of the package except the ``facilitator.tui`` package is found with pkgutil, so a new
core module is covered without editing this file. The command line's start-up is checked too:
``facilitator --help`` and ``facilitator check`` must not pay for importing Textual.
"""

from __future__ import annotations

import json
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


# What the lead's terminal imports before its first frame: the command line, the app and the screens it opens
# at once. Each module below is left out on purpose (imported where it is used), for start-up time
# (bench/startup.py); a new import of one of them at module level fails here, not silently in the benchmark.
FIRST_FRAME = (
    "facilitator.entry",
    "facilitator.opening",
    "facilitator.config",
    "facilitator.record.store",
    "facilitator.team.presence",
    "facilitator.tui.app",
    "facilitator.tui.bindings",
    "facilitator.tui.crash",
    "facilitator.tui.terminal_watch",
    "facilitator.tui.screens.lead",
    "facilitator.tui.widgets.footer",
)
NOT_FOR_THE_FIRST_FRAME = (
    # the command line's definitions: a plain `run` opens the app without them (facilitator.entry)
    "click",
    "facilitator.cli",
    # OpenSSL's keyed hashes and tokens: the ids are read from os.urandom (facilitator.record.ids)
    "secrets",
    "hmac",
    # the other screens and forms, opened by a key (the join requests' watch starts after the first frame)
    "facilitator.tui.screens.attendance",
    "facilitator.tui.screens.groups",
    "facilitator.tui.screens.help",
    "facilitator.tui.screens.qr",
    "facilitator.tui.screens.reflections",
    "facilitator.tui.screens.requests",
    "facilitator.tui.screens.room",
    "facilitator.tui.screens.speaking",
    "facilitator.tui.modals",
    "facilitator.tui.widgets.qr",
    "facilitator.tui.widgets.roster_table",
    # the organisers' commands and the other processes
    "facilitator.exports",
    "facilitator.paperwork",
    "facilitator.participant_page",
    "facilitator.attendance.call_reports",
    "facilitator.attendance.roster_import",
    # reading workshop files: the run's programme is read from the database
    "facilitator.script.loading",
    "facilitator.script.yaml_source",
    "facilitator.live.reload",
    # after the first frame: the inotify watch (ctypes), pydantic and its validators' plugin lookup (the first
    # write; the stored programme and the default config are plain data classes)
    "ctypes",
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "typing_inspection",
    "importlib.metadata",
    # the libraries only those need
    "qrcode",
    "PIL",
    "jinja2",
    "starlette",
    "uvicorn",
    "ruamel",
    "yaml",
)


def test_the_lead_app_imports_nothing_its_first_frame_does_not_need() -> None:
    """What the app does before its first frame is checked in tests/test_startup_frame.py; here, its imports."""
    from facilitator.script.loading import load_workshop
    from facilitator.script.stored import stored_form

    stored = json.dumps(stored_form(load_workshop(REPO / "exercises").programme))
    program = (
        "import importlib, sys\n"
        f"for name in {FIRST_FRAME!r}:\n"
        "    importlib.import_module(name)\n"
        "import json\n"
        "from facilitator.script.models import Programme\n"
        "Programme.from_stored(json.loads(sys.stdin.read()))  # the stored programme, as the first reading folds it\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], input=stored, capture_output=True, text=True, timeout=60, check=False, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert set(FIRST_FRAME) <= loaded
    unwanted = sorted(
        module
        for module in loaded
        if any(module == name or module.startswith(name + ".") for name in NOT_FOR_THE_FIRST_FRAME)
    )
    assert not unwanted, f"imported before the lead's first frame, and not needed for it: {unwanted}"
