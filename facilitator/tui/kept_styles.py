"""The apps' stylesheets parsed once and kept between runs, as ``.pyc`` files keep a module's code (issue 14).

Before its first frame an app parses its stylesheet (``facilitator.tcss``, 750 lines) and the default styles of
every kind of widget it shows: some 17 ms of the lead's start-up, where a bare Textual app with a header and a
footer parses 7. Textual keeps what it parsed for the life of the process, in the stylesheet's cache, keyed by
everything the parse reads (the text, where it came from, whether it is a widget's defaults, its tie-breaker
and scope): :func:`install` gives an app's stylesheet a cache that also looks in a file this user's earlier
starts wrote (facilitator.user_cache), with the theme's variables added to the key (a parse substitutes them).
Each parse is kept pickled on its own, and only those a start looks up are unpickled: the lead's rules in a
tenth of the time parsing them takes, whatever else the file holds.

The file is named by the Textual modules that parse (their size and time of installation), so that a Textual
installed anew never reads rules another made; any entry that does not unpickle as rules, or a file that is
not this user's alone, is as good as none. Rules with errors are never kept: Textual reports those as it
parses them.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Hashable
from pathlib import Path
from typing import TypeVar

from textual.app import App
from textual.css import model, parse, styles
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet

from facilitator import user_cache

# More parses than every screen of every app makes together (about 60): past it, only what the last process used
# is kept. A sheet read from another place is another parse (a second checkout, a test's copy).
MOST_PARSES = 120


def cache_file() -> Path:
    marks = []
    for module in (parse, styles, model):
        status = os.stat(module.__file__ or "")
        marks.append(f"{status.st_size:x}.{status.st_mtime_ns:x}")
    return user_cache.cache_dir() / f"textual-styles.{'-'.join(marks)}.pickle"


def read(path: Path) -> dict[Hashable, bytes]:
    """The parses kept in ``path``, each still pickled (only those a start looks up are unpickled); empty when
    the file is missing, damaged, or not this user's alone."""
    data = user_cache.read_own(path)
    if data is None:
        return {}
    try:
        kept = pickle.loads(data)  # noqa: S301 (this user's own file, as trusted as a .pyc)
    except Exception:  # anything a damaged or foreign pickle raises
        return {}
    if not isinstance(kept, dict) or not all(type(blob) is bytes for blob in kept.values()):
        return {}
    return kept


def unpickled(blob: bytes) -> list[RuleSet] | None:
    """The rules of one kept parse; None if that is not what it holds."""
    try:
        rules = pickle.loads(blob)  # noqa: S301 (as above)
    except Exception:
        return None
    if type(rules) is not list or not all(type(rule) is RuleSet for rule in rules):
        return None
    return rules


def write(path: Path, parses: dict[Hashable, bytes]) -> None:
    user_cache.replace(path, pickle.dumps(parses, protocol=pickle.HIGHEST_PROTOCOL))


class KeptParses:
    """A stylesheet's cache of parses (Textual's own is a mapping it reads, fills and clears) that also holds
    what earlier starts parsed."""

    def __init__(self, stylesheet: Stylesheet, path: Path | None) -> None:
        self.stylesheet = stylesheet
        self.path = path
        self.kept: dict[Hashable, bytes] | None = None  # read at the first look-up
        self.parsed: dict[Hashable, list[RuleSet]] = {}  # by Textual's key, this process
        self.made = False  # whether this process parsed what the file lacks
        self.used: set[Hashable] = set()
        self._variables: tuple[dict[str, str], tuple[tuple[str, str], ...]] | None = None

    def _key(self, key: Hashable) -> Hashable:
        variables = self.stylesheet._variables
        if self._variables is None or self._variables[0] is not variables:
            self._variables = (variables, tuple(sorted(variables.items())))
        return (key, self._variables[1])

    def _kept(self) -> dict[Hashable, bytes]:
        if self.kept is None:
            self.kept = read(self.path) if self.path is not None else {}
        return self.kept

    def __getitem__(self, key: Hashable) -> list[RuleSet]:
        rules = self.parsed.get(key)
        if rules is not None:
            return rules
        full = self._key(key)
        blob = self._kept().get(full)
        rules = unpickled(blob) if blob is not None else None
        if rules is None:
            raise KeyError(key)
        self.parsed[key] = rules
        self.used.add(full)
        return rules

    def __setitem__(self, key: Hashable, rules: list[RuleSet]) -> None:
        self.parsed[key] = rules
        if not any(rule.errors for rule in rules):
            full = self._key(key)
            self._kept()[full] = pickle.dumps(rules, protocol=pickle.HIGHEST_PROTOCOL)
            self.made = True
            self.used.add(full)

    def clear(self) -> None:  # new variables (a theme): Textual parses again
        self.parsed.clear()

    def to_keep(self) -> dict[Hashable, bytes] | None:
        """What the file should hold now; None when it holds it already."""
        if not self.made or self.kept is None:
            return None
        if len(self.kept) <= MOST_PARSES:
            return self.kept
        return {key: self.kept[key] for key in self.used}

    def keep(self) -> None:
        kept = self.to_keep()
        if kept is not None and self.path is not None:
            write(self.path, kept)
        self.made = False


A = TypeVar("A", bound=App[None])


def install(app: A) -> A:
    """Let ``app``'s stylesheet use, and keep, the parses of earlier starts (see the module's docstring)."""
    kept = KeptParses(app.stylesheet, cache_file())
    app.stylesheet._parse_cache = kept  # type: ignore[assignment]
    user_cache.on_keep(kept.keep)
    return app
