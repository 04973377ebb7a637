"""Problems found in a user's input, reported as ``FILE:LINE: field.path: message``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from facilitator.text import printable


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in a user's input, said as ``FILE:LINE: field.path: message``; a warning refuses nothing."""

    file: str
    line: int
    field: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        kind = " warning:" if self.warning else ""
        return one_line(f"{where}:{field}{kind} {self.message}")


class StoreError(Exception):
    """The database cannot do what was asked (busy for too long, disk full): not the user's input."""


class DiskFault(StoreError):
    """The disk holding the run refused a write: it is full, has become read-only, or is failing.

    The refused write was rolled back whole, and every write acknowledged before it was committed and
    synced, so nothing acknowledged is lost; the same write succeeds once the disk takes writes again.
    """

    FULL = "full"
    READ_ONLY = "read-only"
    FAILING = "failing"

    def __init__(self, name: str, reason: str, *, opening: bool = False) -> None:
        self.name = name
        self.reason = reason
        state = {
            DiskFault.FULL: "is full",
            DiskFault.READ_ONLY: "is read-only",
            DiskFault.FAILING: "reports an I/O error",
        }[reason]
        if opening:
            text = f"cannot open {name} for writing: the disk holding it {state}"
        else:
            remedy = {
                DiskFault.FULL: "free some space",
                DiskFault.READ_ONLY: "make it writable again",
                DiskFault.FAILING: "check the disk",
            }[reason]
            text = (
                f"cannot save: the disk holding {name} {state}; that last change was not made, everything saved"
                f" before it is safe; {remedy}, then do it again"
            )
        super().__init__(text)


class InputError(Exception):
    """Bad input from a person: shown as one line per problem, exit code 2, no traceback."""

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(file="", line=0, field="", message=problems)]
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [str(p) if p.file else one_line(p.message) for p in self.problems]


def refusal(exc: BaseException) -> tuple[list[str], int] | None:
    """How a command ends on an expected failure: what it says (one line each, on stderr) and its exit code; bad
    input 2, a database that refused 1, an interrupt 130 as shells report one. None for anything else: a bug."""
    if isinstance(exc, InputError):
        return exc.lines(), 2
    if isinstance(exc, StoreError):
        return [f"error: {exc}"], 1
    if isinstance(exc, KeyboardInterrupt):
        return ["interrupted"], 130
    return None


def one_line(text: str) -> str:
    """A problem as one line of plain text: file names, keys and values in it come from the user's files,
    and a newline or an escape sequence among them would break the line or drive the terminal."""
    return printable(text).replace("\n", "\\n").replace("\t", "\\t")


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
