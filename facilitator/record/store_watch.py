"""Being told when another process may have committed to a run, instead of asking twenty times a second.

In WAL mode SQLite appends every commit to ``run.db-wal``, and a checkpoint writes ``run.db``; Linux's
inotify reports each write to either, so a process can sleep until one happens and only then check
``PRAGMA data_version`` (microseconds). An idle terminal then wakes for nothing but its own clock, and a
change still arrives within a millisecond or two of its commit. Where inotify is missing (another system,
no inotify instances left) :func:`watch` returns None and the caller polls as before; a caller keeps a slow
poll beside it anyway, for a file system that does not report writes made elsewhere (a network share).
The same watch, on the workshop's folders, tells the lead's app when a script file was saved.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path

SAFETY_POLL_SECONDS = 10.0  # beside a watch: the longest a missed notification could delay a change (the run is
# never on a network share, which would report no writes made elsewhere: store.py refuses one)
# A commit writes its WAL frames (which is what inotify reports) before it publishes them in the WAL's
# shared index, so a look at once may come a moment too early: look again after these delays.
FOLLOW_UP_SECONDS = (0.01, 0.1)


class FileWatch:
    """An inotify watch on ``folders``, for files written, added, renamed or removed there (of ``names`` only,
    when given). Folders, not files: a WAL file, or a file an editor saves by renaming, comes and goes."""

    def __init__(self, folders: Iterable[Path], names: frozenset[str] | None = None) -> None:
        from inotify_simple import INotify, flags

        self._flags = flags
        self._inotify = INotify(nonblocking=True)
        self.names = names
        mask = (
            flags.MODIFY
            | flags.CREATE
            | flags.MOVED_TO
            | flags.MOVED_FROM
            | flags.DELETE
            | flags.DELETE_SELF
            | flags.MOVE_SELF
        )
        try:
            for folder in sorted({folder.resolve() for folder in folders}):
                self._inotify.add_watch(str(folder), mask)
        except OSError:
            self._inotify.close()
            raise

    def fileno(self) -> int:
        """Readable when something was written (for the event loop's ``add_reader`` or ``select``)."""
        return int(self._inotify.fileno())

    def written(self) -> bool:
        """Take every waiting notification; whether any was about a watched file (a lost queue counts)."""
        try:
            notices = self._inotify.read(timeout=0)
        except BlockingIOError:
            return False
        overflow = self._flags.Q_OVERFLOW
        names = self.names
        return any(names is None or n.name in names or n.mask & overflow for n in notices)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._inotify.close()


def watch(db_path: Path) -> FileWatch | None:
    """A watch on the run at ``db_path`` (the database and its WAL file); None where this system cannot give
    one (then poll)."""
    return watch_folders([db_path.parent], frozenset({db_path.name, f"{db_path.name}-wal"}))


def watch_folders(folders: Iterable[Path], names: frozenset[str] | None = None) -> FileWatch | None:
    """A :class:`FileWatch`; None where this system cannot give one (another OS, no inotify instance left,
    a folder that is gone)."""
    try:
        return FileWatch(folders, names)
    except (ImportError, OSError):
        return None


class VersionProbe:
    """``PRAGMA data_version`` on a read-only connection of the caller's own thread: whether any connection
    (another process, or this one's database thread) committed since the last look, in microseconds and
    without waking a thread. Never waits for a lock: a busy or failing database counts as moved, so the
    caller looks properly and reports what it finds."""

    def __init__(self, db_path: Path) -> None:
        self._conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=0)
        self._version: int | None = None

    def moved(self) -> bool:
        try:
            version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return True
        moved = version != self._version
        self._version = version
        return moved

    def close(self) -> None:
        self._conn.close()


def probe(db_path: Path) -> VersionProbe | None:
    """A probe of the run at ``db_path``; None where it cannot be opened (then every look goes to the database)."""
    try:
        return VersionProbe(db_path)
    except sqlite3.Error:
        return None
