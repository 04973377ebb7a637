"""Regular expressions compiled once and kept between runs, as ``.pyc`` files keep a module's code (issue 14).

Python compiles a regular expression in Python code (``re._parser`` and ``re._compiler``), and the modules a
terminal app imports compile some sixty as they load (Textual's tokenizers alone some thirty): about 12 ms of
the lead's start-up, where a bare Textual app spends 11. The compiler's last step hands what it made to
``_sre.compile`` (the pattern, its final flags, the matcher's code, its groups and their names), which builds
the pattern object. :func:`install` gives ``re`` a compiler that keeps those arguments, by the pattern and the
flags it was asked for, and builds the same pattern from them at the next start without compiling it again.
``_sre.compile`` checks the code it is given (a damaged one raises, and the pattern is compiled afresh), and the
same text and flags always compile to the same code on one interpreter, so nothing can be stale.

The file is this user's (facilitator.user_cache, as for facilitator.compiled_code), named by the interpreter
and the matcher's version. Patterns compiled for debugging (``re.DEBUG`` prints as it compiles) or with
``re.LOCALE`` are compiled as usual and never kept. On an interpreter whose ``re`` is not laid out this way,
nothing changes.
"""

from __future__ import annotations

import marshal
import re
import sys
import threading
from pathlib import Path
from typing import Any

from facilitator import user_cache

# As many as re keeps in a process, more than the lead's start compiles: past it, only what the last process used
# is kept.
MOST_PATTERNS = 500
_NEVER_KEPT = int(re.DEBUG | re.LOCALE)

Key = tuple[str | bytes, int]
Arguments = tuple[Any, ...]


def cache_file() -> Path:
    sre = _sre()
    tag = f"{sys.implementation.cache_tag}.{getattr(sre, 'MAGIC', 0)}.{getattr(sre, 'CODESIZE', 0)}"
    return user_cache.cache_dir() / f"patterns.{tag}.marshal"


def _sre() -> Any:
    return getattr(getattr(re, "_compiler", None), "_sre", None)


class _Recording:
    """``re._compiler``'s ``_sre``, which notes the arguments of the compile each thread asked for last."""

    def __init__(self, sre: Any) -> None:
        self.sre = sre
        self.last = threading.local()

    def __getattr__(self, name: str) -> Any:  # everything else the compiler reads of _sre, as it was
        return getattr(self.sre, name)

    def compile(self, *arguments: Any) -> Any:
        self.last.arguments = arguments
        return self.sre.compile(*arguments)


class Patterns:
    """The arguments of ``_sre.compile`` for each pattern and flags compiled, by them, each marshalled on its own:
    only those a start uses are read back."""

    def __init__(self, kept: dict[Key, bytes], compile: Any, recording: _Recording, path: Path | None = None) -> None:
        self.path = path  # where they are kept
        self.kept = kept
        self._compile = compile  # re._compiler's own
        self._recording = recording
        self.used: set[Key] = set()
        self.made: dict[Key, bytes] = {}  # what this process compiled, that the file lacks

    def compile(self, pattern: Any, flags: int = 0) -> Any:
        """``re._compiler.compile``: the pattern object, built from what an earlier start kept when it can."""
        if type(pattern) not in (str, bytes) or flags & _NEVER_KEPT:
            return self._compile(pattern, flags)
        key = (pattern, flags)
        blob = self.kept.get(key)
        if blob is not None:
            compiled = _built(self._recording.sre, key, blob)
            if compiled is not None:
                self.used.add(key)
                return compiled
        compiled = self._compile(pattern, flags)
        arguments = getattr(self._recording.last, "arguments", None)
        if arguments is not None and arguments[0] is pattern:
            self.kept[key] = self.made[key] = marshal.dumps(_plain(arguments))
            self.used.add(key)
        return compiled

    def to_keep(self) -> dict[Key, bytes] | None:
        """What the file should hold now; None when it holds it already."""
        if not self.made:
            return None
        if len(self.kept) <= MOST_PATTERNS:
            return self.kept
        return {key: self.kept[key] for key in self.used}

    def keep(self) -> None:
        """Add what this process compiled to the file; quietly, if it cannot."""
        kept = self.to_keep()
        if kept is not None and self.path is not None:  # user_cache.keep: not where bytecode is not written
            user_cache.write_marshalled(self.path, kept)
        self.made.clear()


def _plain(arguments: Arguments) -> Arguments:
    """``arguments`` as marshal can keep them: the compiler's opcodes are named subclasses of int."""
    pattern, flags, code, groups, groupindex, indexgroup = arguments
    return (pattern, int(flags), [int(op) for op in code], int(groups), dict(groupindex), tuple(indexgroup))


def _built(sre: Any, key: Key, blob: bytes) -> Any:
    """The pattern ``key`` from its kept arguments; None if they are damaged (what _sre.compile refuses too)."""
    try:
        arguments = marshal.loads(blob)  # noqa: S302 (this user's own file, as trusted as a .pyc)
        if not (type(arguments) is tuple and len(arguments) == 6 and arguments[0] == key[0]):
            return None
        return sre.compile(*arguments)
    except Exception:
        return None


def read(path: Path) -> dict[Key, bytes]:
    """The kept arguments in ``path``, each still marshalled; empty when the file is missing, damaged, or not this
    user's alone (a damaged entry is compiled again when its pattern is)."""
    return user_cache.read_marshalled(path, _well_formed)


def _well_formed(key: Any, blob: Any) -> bool:
    return (
        type(key) is tuple
        and len(key) == 2
        and type(key[0]) in (str, bytes)
        and type(key[1]) is int
        and type(blob) is bytes
    )


_installed: list[Patterns] = []


def install() -> Patterns | None:
    """From now on, a pattern compiled by an earlier start is built from what it kept (the module's docstring)."""
    if _installed:
        return _installed[0]
    compiler = getattr(re, "_compiler", None)
    sre = _sre()
    if compiler is None or sre is None or not callable(getattr(compiler, "compile", None)):
        return None
    recording = _Recording(sre)
    path = cache_file()
    patterns = Patterns(read(path), compiler.compile, recording, path)
    compiler._sre = recording
    compiler.compile = patterns.compile
    user_cache.on_keep(patterns.keep)
    _installed.append(patterns)
    return patterns
