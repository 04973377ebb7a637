"""What this user's starts keep for the next one (``$XDG_CACHE_HOME/facilitator``), as ``.pyc`` files keep a
module's code: what modules compile from text (facilitator.compiled_code), the compiled regular expressions
(facilitator.compiled_patterns) and the parsed stylesheets (facilitator.tui.kept_styles).

A kept file is read only when it belongs to this user and nobody else may write it (what it holds is loaded as
code is), written whole and put in place at once (another start may be reading it), never when
``PYTHONDONTWRITEBYTECODE`` says not to write such files, and always quietly: a file that cannot be read or
written is as good as none. Each part says what to keep with :func:`on_keep`; :func:`keep` keeps it all (the
command line calls it once an app's first frame is up, so that a process killed later still leaves the next
start faster) and runs again as the process exits.
"""

from __future__ import annotations

import atexit
import contextlib
import marshal
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(home) / "facilitator"


def read_own(path: Path) -> bytes | None:
    """What ``path`` holds; None when it is missing, unreadable, or not this user's alone."""
    try:
        with path.open("rb") as file:
            status = os.fstat(file.fileno())
            if status.st_uid != os.getuid() or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return None
            return file.read()
    except OSError:
        return None


def read_marshalled(path: Path, well_formed: Callable[[Any, Any], bool]) -> dict[Any, Any]:
    """The dict ``path`` holds as marshal wrote it, each of its items as ``well_formed`` accepts; empty when the file
    is missing, damaged, of another form, or not this user's alone."""
    data = read_own(path)
    if data is None:
        return {}
    try:
        # One read, then loads: marshal.load on a file reads it a few bytes at a time (25 ms against 3).
        kept = marshal.loads(data)  # noqa: S302 (this user's own file, as trusted as a .pyc)
    except (EOFError, ValueError, TypeError):
        return {}
    if not isinstance(kept, dict) or not all(well_formed(key, value) for key, value in kept.items()):
        return {}
    return kept


def write_marshalled(path: Path, kept: dict[Any, Any]) -> None:
    """Replace ``path`` with ``kept`` as marshal writes it (see :func:`replace`), for :func:`read_marshalled`."""
    replace(path, marshal.dumps(kept))


def replace(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` at once (mode 0600, in a folder of mode 0700); quietly, if it cannot."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


_keepers: list[Callable[[], None]] = []


def on_keep(keeper: Callable[[], None]) -> None:
    """Call ``keeper`` (which writes what its part made that the file lacks) at each :func:`keep`."""
    if not _keepers:
        atexit.register(keep)
    _keepers.append(keeper)


def keep() -> None:
    """Write what this process made that the next start can use; quietly."""
    if sys.dont_write_bytecode:  # as for .pyc files
        return
    for keeper in list(_keepers):
        with contextlib.suppress(Exception):  # a cache must never break the app that keeps it
            keeper()
