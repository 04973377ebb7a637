"""The ``facilitator`` command. A ``run`` written plainly (a workshop, ``--db``, ``--as``) opens the lead's app
straight away (facilitator.opening), without reading the command line's definitions: click and some fifty commands
are some 8 ms of the ~240 ms to the lead's first frame (bench/startup.py). Any other command line, and any ``run``
written otherwise (help, another option, one given twice, a value that looks like an option, ``--``), goes to
facilitator.cli, which reads it as always; tests/test_entry.py checks that whatever is read here is read as
facilitator.cli reads it, and fails as it fails.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from facilitator import compiled_code, compiled_patterns

# Before the app's modules import: what they compile from text (their dataclasses' methods, named tuples, forward
# references) and their regular expressions, compiled once, not at every start.
compiled_code.install()
compiled_patterns.install()

# facilitator uses no pydantic plugins; looking for them scans every installed package at start-up.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

COMPLETION = "_FACILITATOR_COMPLETE"  # click's shell completion asks through this variable: facilitator.cli answers
OPTIONS = ("--db", "--as")


class PlainRun(NamedTuple):
    """What a plainly written ``facilitator run`` asks for; ``actor`` None when no --as gave one."""

    path: Path | None
    db: Path
    actor: str | None


def plain_run(args: Sequence[str]) -> PlainRun | None:
    """The workshop, run database and name of ``run [PATH] [--db DB] [--as NAME]``, each option at most once, as
    ``--db DB`` or ``--db=DB``; None for any other command line (facilitator.cli reads it)."""
    if not args or args[0] != "run":
        return None
    path: str | None = None
    given: dict[str, str] = {}
    tokens = iter(args[1:])
    for token in tokens:
        name, equals, value = token.partition("=")
        if name in OPTIONS:
            if not equals:
                value = next(tokens, "")
            if not value or value.startswith("-") or name in given:
                return None
            given[name] = value
        elif token and not token.startswith("-") and path is None:
            path = token
        else:
            return None
    from facilitator.opening import DEFAULT_DB

    return PlainRun(Path(path) if path is not None else None, Path(given.get("--db", DEFAULT_DB)), given.get("--as"))


def main() -> None:
    plain = None if COMPLETION in os.environ else plain_run(sys.argv[1:])
    if plain is None:
        from facilitator.cli import main as command_line

        command_line()
        return
    from facilitator.opening import default_actor, open_lead
    from facilitator.problems import refusal

    try:
        code = open_lead(plain.path, plain.db, plain.actor if plain.actor is not None else default_actor())
    except BaseException as exc:
        said = refusal(exc)
        if said is None:
            raise
        lines, code = said
        for line in lines:
            sys.stderr.write(f"{line}\n")
    sys.exit(code)
