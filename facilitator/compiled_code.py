"""The code Python compiles from text as modules import, compiled once and kept between runs, as ``.pyc`` files
keep a module's code.

For every dataclass, Python 3.11 and 3.12 write its ``__init__``, ``__repr__``, ``__eq__`` (and for a frozen
one ``__setattr__``, ``__delattr__`` and ``__hash__``) as source text and compile each with ``exec``: some
700 compilations while the lead's modules import (Textual's and ours), about three quarters of the
time every dataclass costs, and some 40 ms of the lead's start-up (issue 14). ``collections.namedtuple`` compiles
each class's ``__new__`` with ``eval`` (some 75 at the lead's start, Textual's and Rich's), and ``typing`` each
forward reference (a type named in quotes) with ``compile`` (some 300, most of them Textual's): ~5 ms more.
:func:`install` gives those three modules an ``exec``, ``eval`` and ``compile`` that compile a text they have not
seen before and look up the code of one they have: a text compiles to the same code every time, so a class gets
exactly what it would have got (the text is the key, so nothing can be stale). What a process compiled is added
to the file once its first frame is up and as it exits.

The file is this user's (facilitator.user_cache: read only when it is this user's alone, written as ``.pyc``
files are), named by the interpreter's bytecode magic number (as ``.pyc`` files are). Python 3.13's
``dataclasses`` compiles each class's methods as one text: kept the same way, by that text.
"""

from __future__ import annotations

import builtins
import collections
import dataclasses
import importlib.util
import marshal
import sys
import typing
from pathlib import Path
from types import CodeType
from typing import Any

from facilitator import user_cache

# More texts than the modules of every command make together: past it, only what the last process used is kept.
MOST_TEXTS = 20_000

Key = tuple[str, str]  # how the text is compiled ("exec" or "eval"), and the text


def cache_file() -> Path:
    # The magic number says which interpreters can read the code (as for .pyc files); -O may compile it otherwise.
    tag = f"{importlib.util.MAGIC_NUMBER.hex()}.opt{sys.flags.optimize}"
    return user_cache.cache_dir() / f"compiled-code.{tag}.marshal"


class Code:
    """The compiled code of each text ``dataclasses``, ``collections`` and ``typing`` have compiled, by the text.

    What the file keeps stays marshalled until a module asks for it: the file holds what every command and test
    that ran before compiled, a start uses a part of it, and unmarshalling code is most of what reading it costs.
    """

    def __init__(self, kept: dict[Key, bytes], path: Path | None = None) -> None:
        self.path = path  # where they are kept
        self.kept = kept  # what the file holds: each text's code, marshalled
        self.code: dict[Key, CodeType] = {}  # the code of each text this process has run
        self.used: set[Key] = set()
        self.made: dict[Key, CodeType] = {}  # what this process compiled, that the file lacks

    def exec(self, source: Any, globals: Any = None, locals: Any = None) -> None:
        """``dataclasses``' exec."""
        if type(source) is str:
            source = self._code("exec", source)
        builtins.exec(source, globals, locals)  # noqa: S102 (the module's own text, run as it would run it)

    def eval(self, source: Any, globals: Any = None, locals: Any = None) -> Any:
        """``collections``' eval."""
        if type(source) is str:
            source = self._code("eval", source)
        return builtins.eval(source, globals, locals)  # noqa: S307 (the module's own text, as it would run it)

    def compile(  # noqa: PLR0917 (builtins.compile's own)
        self, source: Any, filename: Any, mode: str, flags: int = 0, dont_inherit: bool = False, optimize: int = -1
    ) -> Any:
        """``typing``'s compile (of a forward reference, an expression); anything else is compiled as asked."""
        if type(source) is str and filename == "<string>" and mode == "eval" and not flags and optimize == -1:
            return self._code("eval", source)
        # dont_inherit: as if typing called it, not this module with its ``from __future__ import annotations``.
        return builtins.compile(source, filename, mode, flags, True, optimize)

    def _code(self, mode: str, text: str) -> CodeType:
        key = (mode, text)
        code = self.code.get(key)
        if code is None:
            code = self.code[key] = self._kept(key) or self._compiled(key)
        self.used.add(key)
        return code

    def _kept(self, key: Key) -> CodeType | None:
        blob = self.kept.get(key)
        if blob is None:
            return None
        try:
            code = marshal.loads(blob)  # noqa: S302 (this user's own file, as trusted as a .pyc)
        except (EOFError, ValueError, TypeError):
            return None
        return code if type(code) is CodeType else None

    def _compiled(self, key: Key) -> CodeType:
        mode, text = key
        # dont_inherit: compiled as the module's own exec or eval compiles it, without this module's
        # ``from __future__ import annotations`` (which would turn the methods' annotations into strings).
        code = self.made[key] = builtins.compile(text, "<string>", mode, dont_inherit=True)
        return code

    def to_keep(self) -> dict[Key, bytes] | None:
        """What the file should hold now; None when it holds it already."""
        if not self.made:
            return None
        made = {key: marshal.dumps(code) for key, code in self.made.items()}
        if len(self.kept.keys() | made.keys()) <= MOST_TEXTS:
            return {**self.kept, **made}
        return {key: made.get(key) or self.kept[key] for key in self.used}

    def keep(self) -> None:
        """Add what this process compiled to the file; quietly, if it cannot."""
        kept = self.to_keep()
        if kept is None:
            return
        if self.path is not None:  # user_cache.keep: not where bytecode is not written
            user_cache.write_marshalled(self.path, kept)
        self.kept = kept
        self.made.clear()


def read(path: Path) -> dict[Key, bytes]:
    """Each text in ``path`` and its code, still marshalled; empty when the file is missing, damaged, or not this
    user's alone (a damaged entry is compiled again when its text is run)."""
    return user_cache.read_marshalled(path, _well_formed)


def _well_formed(key: Any, blob: Any) -> bool:
    return (
        type(key) is tuple
        and len(key) == 2
        and key[0] in ("exec", "eval")
        and type(key[1]) is str
        and type(blob) is bytes
    )


_installed: list[Code] = []


def install() -> Code:
    """From now on, the texts these modules compile are compiled once per text (see the module's docstring)."""
    path = cache_file()
    code = Code(read(path), path)
    # Each module finds these among its own globals before the builtins.
    dataclasses.exec = code.exec  # type: ignore[attr-defined]
    collections.eval = code.eval  # type: ignore[attr-defined]
    typing.compile = code.compile  # type: ignore[attr-defined]
    if not _installed:
        # Kept once the first frame is up and as the process exits (what modules imported later compiled: a
        # screen opened for the first time): facilitator.user_cache.keep.
        user_cache.on_keep(_keep)
    _installed[:] = [code]
    return code


def _keep() -> None:
    for code in _installed:
        code.keep()
