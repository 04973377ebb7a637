"""The methods ``dataclasses`` writes for each class, compiled once and kept between runs, as ``.pyc`` files keep
a module's code.

For every dataclass, Python 3.11 and 3.12 write its ``__init__``, ``__repr__``, ``__eq__`` (and for a frozen
one ``__setattr__``, ``__delattr__`` and ``__hash__``) as source text and compile each with ``exec``: some
700 compilations while the lead's modules import (Textual's and ours), about three quarters of the
time every dataclass costs, and some 40 ms of the lead's start-up (issue 14). :func:`install` gives the
``dataclasses`` module an ``exec`` that compiles a text it has not seen before and looks up the code of one it
has: a text compiles to the same code every time, so a class gets exactly the methods it would have got
(the text is the key, so nothing can be stale). What a process compiled is added to the file as it exits.

The file is this user's (facilitator.user_cache: read only when it is this user's alone, written as ``.pyc``
files are), named by the interpreter's bytecode magic number (as ``.pyc`` files are). On an interpreter whose
``dataclasses`` does not compile by ``exec`` (3.13 compiles each class's methods in one go), nothing changes.
"""

from __future__ import annotations

import builtins
import importlib.util
import marshal
import sys
from pathlib import Path
from types import CodeType
from typing import Any

from facilitator import user_cache

# More texts than the modules of every command make together: past it, only what the last process used is kept.
MOST_TEXTS = 20_000


def cache_file() -> Path:
    # The magic number says which interpreters can read the code (as for .pyc files); -O may compile it otherwise.
    # "2": each text's code marshalled on its own (the first form marshalled them all together).
    tag = f"{importlib.util.MAGIC_NUMBER.hex()}.opt{sys.flags.optimize}"
    return user_cache.cache_dir() / f"dataclass-methods.{tag}.2.marshal"


class Methods:
    """The compiled code of each text ``dataclasses`` has run, by the text.

    What the file keeps stays marshalled until a class asks for it: the file holds what every command and test
    that ran before compiled, a start uses a part of it, and unmarshalling code is most of what reading it costs.
    """

    def __init__(self, kept: dict[str, bytes], path: Path | None = None) -> None:
        self.path = path  # where they are kept
        self.kept = kept  # what the file holds: each text's code, marshalled
        self.code: dict[str, CodeType] = {}  # the code of each text this process has run
        self.used: set[str] = set()
        self.made: dict[str, CodeType] = {}  # what this process compiled, that the file lacks

    def exec(self, source: Any, globals: Any = None, locals: Any = None) -> None:
        if type(source) is str:
            code = self.code.get(source)
            if code is None:
                code = self.code[source] = self._code(source)
            self.used.add(source)
            source = code
        builtins.exec(source, globals, locals)  # noqa: S102 (dataclasses' own text, run as it would run it)

    def _code(self, text: str) -> CodeType:
        blob = self.kept.get(text)
        if blob is not None:
            try:
                code = marshal.loads(blob)  # noqa: S302 (this user's own file, as trusted as a .pyc)
            except (EOFError, ValueError, TypeError):
                code = None
            if type(code) is CodeType:
                return code
        # dont_inherit: compiled as dataclasses' own exec compiles it, without this module's
        # ``from __future__ import annotations`` (which would turn the methods' annotations into strings).
        code = self.made[text] = compile(text, "<string>", "exec", dont_inherit=True)
        return code

    def to_keep(self) -> dict[str, bytes] | None:
        """What the file should hold now; None when it holds it already."""
        if not self.made:
            return None
        made = {text: marshal.dumps(code) for text, code in self.made.items()}
        if len(self.kept.keys() | made.keys()) <= MOST_TEXTS:
            return {**self.kept, **made}
        return {text: made.get(text) or self.kept[text] for text in self.used}

    def keep(self) -> None:
        """Add what this process compiled to the file; quietly, if it cannot."""
        kept = self.to_keep()
        if kept is None:
            return
        if self.path is not None:  # user_cache.keep: not where bytecode is not written
            write(self.path, kept)
        self.kept = kept
        self.made.clear()


def read(path: Path) -> dict[str, bytes]:
    """Each text in ``path`` and its code, still marshalled; empty when the file is missing, damaged, or not this
    user's alone (a damaged entry is compiled again when its text is run)."""
    data = user_cache.read_own(path)
    if data is None:
        return {}
    try:
        # One read, then loads: marshal.load on a file reads it a few bytes at a time (25 ms against 3).
        kept = marshal.loads(data)  # noqa: S302 (this user's own file, as trusted as a .pyc)
    except (EOFError, ValueError, TypeError):
        return {}
    if not isinstance(kept, dict) or not all(type(text) is str and type(blob) is bytes for text, blob in kept.items()):
        return {}
    return kept


def write(path: Path, methods: dict[str, bytes]) -> None:
    """Replace ``path`` with ``methods`` at once (another process may be reading it); quietly, if it cannot."""
    user_cache.replace(path, marshal.dumps(methods))


_installed: list[Methods] = []


def install() -> Methods:
    """From now on, dataclasses' methods are compiled once per text (see the module's docstring)."""
    import dataclasses

    path = cache_file()
    methods = Methods(read(path), path)
    # ``dataclasses`` finds ``exec`` among its module's globals before the builtins.
    dataclasses.exec = methods.exec  # type: ignore[attr-defined]
    if not _installed:
        # Kept once the first frame is up and as the process exits (what modules imported later compiled: a
        # screen opened for the first time): facilitator.user_cache.keep.
        user_cache.on_keep(_keep)
    _installed[:] = [methods]
    return methods


def _keep() -> None:
    for methods in _installed:
        methods.keep()
