"""The methods ``dataclasses`` writes for each class, compiled once and kept between runs, as ``.pyc`` files keep
a module's code.

For every dataclass, Python 3.11 and 3.12 write its ``__init__``, ``__repr__``, ``__eq__`` (and for a frozen
one ``__setattr__``, ``__delattr__`` and ``__hash__``) as source text and compile each with ``exec``: some
700 compilations while the lead's modules import (Textual's, pydantic's and ours), about three quarters of the
time every dataclass costs, and some 40 ms of the lead's start-up (issue 14). :func:`install` gives the
``dataclasses`` module an ``exec`` that compiles a text it has not seen before and looks up the code of one it
has: a text compiles to the same code every time, so a class gets exactly the methods it would have got
(the text is the key, so nothing can be stale). What a process compiled is added to the file as it exits.

The file is this user's (``$XDG_CACHE_HOME/facilitator``), named by the interpreter's bytecode magic number
(as ``.pyc`` files are), read only when it belongs to this user and nobody else may write it, and written as
``.pyc`` files are: never when ``PYTHONDONTWRITEBYTECODE`` says not to. A file that cannot be read is as good
as none. On an interpreter whose ``dataclasses`` does not compile by ``exec`` (3.13 compiles each class's
methods in one go), nothing changes.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import importlib.util
import marshal
import os
import stat
import sys
import tempfile
from pathlib import Path
from types import CodeType
from typing import Any

# More texts than the modules of every command make together: past it, only what the last process used is kept.
MOST_TEXTS = 20_000


def cache_file() -> Path:
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    # The magic number says which interpreters can read the code (as for .pyc files); -O may compile it otherwise.
    tag = f"{importlib.util.MAGIC_NUMBER.hex()}.opt{sys.flags.optimize}"
    return Path(home) / "facilitator" / f"dataclass-methods.{tag}.marshal"


class Methods:
    """The compiled code of each text ``dataclasses`` has run, by the text."""

    def __init__(self, known: dict[str, CodeType], path: Path | None = None) -> None:
        self.path = path  # where they are kept
        self.known = known
        self.used: set[str] = set()
        self.made: dict[str, CodeType] = {}

    def exec(self, source: Any, globals: Any = None, locals: Any = None) -> None:
        if type(source) is str:
            code = self.known.get(source)
            if code is None:
                # dont_inherit: compiled as dataclasses' own exec compiles it, without this module's
                # ``from __future__ import annotations`` (which would turn the methods' annotations into strings).
                code = self.known[source] = self.made[source] = compile(source, "<string>", "exec", dont_inherit=True)
            self.used.add(source)
            source = code
        builtins.exec(source, globals, locals)  # noqa: S102 (dataclasses' own text, run as it would run it)

    def to_keep(self) -> dict[str, CodeType] | None:
        """What the file should hold now; None when it holds it already."""
        if not self.made:
            return None
        if len(self.known) <= MOST_TEXTS:
            return self.known
        return {text: self.known[text] for text in self.used}

    def keep(self) -> None:
        """Add what this process compiled to the file; quietly, if it cannot."""
        kept = self.to_keep()
        if kept is not None and self.path is not None and not sys.dont_write_bytecode:
            write(self.path, kept)
        self.made.clear()


def read(path: Path) -> dict[str, CodeType]:
    """The texts and their code in ``path``; empty when it is missing, damaged, or not this user's alone."""
    try:
        with path.open("rb") as file:
            status = os.fstat(file.fileno())
            if status.st_uid != os.getuid() or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return {}
            # One read, then loads: marshal.load on a file reads it a few bytes at a time (25 ms against 3).
            kept = marshal.loads(file.read())  # noqa: S302 (this user's own file, as trusted as a .pyc)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(kept, dict) or not all(
        type(text) is str and type(code) is CodeType for text, code in kept.items()
    ):
        return {}
    return kept


def write(path: Path, methods: dict[str, CodeType]) -> None:
    """Replace ``path`` with ``methods`` at once (another process may be reading it); quietly, if it cannot."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".dataclass-methods-")
        try:
            with os.fdopen(handle, "wb") as file:
                marshal.dump(methods, file)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


_installed: list[Methods] = []


def install() -> Methods:
    """From now on, dataclasses' methods are compiled once per text (see the module's docstring)."""
    import dataclasses

    path = cache_file()
    methods = Methods(read(path), path)
    # ``dataclasses`` finds ``exec`` among its module's globals before the builtins.
    dataclasses.exec = methods.exec  # type: ignore[attr-defined]
    _installed[:] = [methods]
    atexit.register(methods.keep)  # what modules imported later compiled (a screen opened for the first time)
    return methods


def keep() -> None:
    """Add what this process compiled so far to the file: an app calls this once its first frame is up, so a
    process that never exits cleanly (killed, its terminal gone) still leaves the next start faster."""
    for methods in _installed:
        methods.keep()
