"""Problems found in a user's input, reported as ``FILE:LINE: field.path: message``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    field: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        kind = " warning:" if self.warning else ""
        return f"{where}:{field}{kind} {self.message}"


class StoreError(Exception):
    """The database cannot do what was asked (busy for too long, disk full): not the user's input."""


class InputError(Exception):
    """Bad input from a person: shown as one line per problem, exit code 2, no traceback."""

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(file="", line=0, field="", message=problems)]
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [str(p) if p.file else p.message for p in self.problems]


def display_path(path: Path) -> str:
    """A path as the user would recognise it: relative to the working folder when inside it.

    Symbolic links are not followed, so a problem in ``ex/link.yaml`` is reported there and not under
    the name of the file it points to; and a link that loops cannot raise (``resolve()`` would).
    """
    try:
        cwd = Path.cwd()
    except OSError:  # the working folder was deleted
        return str(path)
    try:
        return str(Path(os.path.abspath(path)).relative_to(cwd))
    except ValueError:
        return str(path)


def field_path(loc: tuple[int | str, ...]) -> str:
    """``('days', 0, 'agenda', 2)`` as ``days[0].agenda[2]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
