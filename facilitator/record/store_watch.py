"""Being told when another process may have committed to a run, instead of asking twenty times a second.

In WAL mode SQLite appends every commit to ``run.db-wal``, and a checkpoint writes ``run.db``; Linux's
inotify reports each write to either, so a process can sleep until one happens and only then check
whether the log grew (microseconds). An idle terminal then wakes for nothing but its own clock, and a
change still arrives within a millisecond or two of its commit. Where inotify is missing (another system,
no inotify instances left) :func:`watch` returns None and the caller polls as before; a caller keeps a slow
poll beside it anyway, for a file system that does not report writes made elsewhere (a network share).
The same watch, on the workshop's folders, tells the lead's app when a script file was saved.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import sqlite3
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ctypes

    from facilitator.record.store import Store

SAFETY_POLL_SECONDS = 10.0  # beside a watch: the longest a missed notification could delay a change (the run is
# never on a network share, which would report no writes made elsewhere: store.py refuses one)
# A commit writes its WAL frames (which is what inotify reports) before it publishes them in the WAL's
# shared index, so a look at once may come a moment too early: look again after these delays.
FOLLOW_UP_SECONDS = (0.01, 0.1)


# inotify(7)'s event bits, and its event record: watch descriptor, mask, cookie, name length, then the name.
IN_MODIFY = 0x2
IN_MOVED_FROM = 0x40
IN_MOVED_TO = 0x80
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_Q_OVERFLOW = 0x4000
WATCHED = IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF
_EVENT = struct.Struct("iIII")
_READ_BYTES = 64 * 1024


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library this process already runs with (dlopen of the process itself), imported when a watch is
    first made. Not found with ctypes.util's find_library, which runs ``ldconfig -p`` in a subprocess to learn
    its file name (some milliseconds of an app's start-up, as inotify_simple did on every watch)."""
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _checked(result: int) -> int:
    if result < 0:
        import ctypes

        number = ctypes.get_errno()
        raise OSError(number, os.strerror(number))
    return result


class FileWatch:
    """An inotify watch on ``folders``, for files written, added, renamed or removed there (of ``names`` only,
    when given). Folders, not files: a WAL file, or a file an editor saves by renaming, comes and goes."""

    def __init__(self, folders: Iterable[Path], names: frozenset[str] | None = None) -> None:
        libc = _libc()
        try:
            init, add_watch = libc.inotify_init1, libc.inotify_add_watch
        except AttributeError:  # a C library without inotify (another system)
            raise OSError(errno.ENOSYS, "no inotify here") from None
        self._fd = _checked(init(os.O_NONBLOCK | os.O_CLOEXEC))
        self.names = names
        try:
            for folder in sorted({folder.resolve() for folder in folders}):
                _checked(add_watch(self._fd, os.fsencode(folder), WATCHED))
        except OSError:
            os.close(self._fd)
            raise

    def fileno(self) -> int:
        """Readable when something was written (for the event loop's ``add_reader`` or ``select``)."""
        return self._fd

    def written(self) -> bool:
        """Take every waiting notification; whether any was about a watched file (a lost queue counts)."""
        names = self.names
        found = False
        while True:
            try:
                data = os.read(self._fd, _READ_BYTES)
            except OSError:  # BlockingIOError: none waits any more (or the watch was closed)
                return found
            if not data:
                return found
            at = 0
            while at + _EVENT.size <= len(data):
                _, mask, _, length = _EVENT.unpack_from(data, at)
                name = os.fsdecode(data[at + _EVENT.size : at + _EVENT.size + length].rstrip(b"\0"))
                at += _EVENT.size + length
                found = found or names is None or name in names or bool(mask & IN_Q_OVERFLOW)

    def close(self) -> None:
        fd, self._fd = self._fd, -1  # closed once: the number may belong to another file afterwards
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)


def watch(db_path: Path) -> FileWatch | None:
    """A watch on the run at ``db_path`` (the database and its WAL file); None where this system cannot give
    one (then poll)."""
    return watch_folders([db_path.parent], frozenset({db_path.name, f"{db_path.name}-wal"}))


def watch_folders(folders: Iterable[Path], names: frozenset[str] | None = None) -> FileWatch | None:
    """A :class:`FileWatch`; None where this system cannot give one (another OS, no inotify instance left,
    a folder that is gone)."""
    try:
        return FileWatch(folders, names)
    except OSError:
        return None


class LogProbe:
    """The run's last event (``max(seq)``) on a read-only connection of the caller's own thread: whether anything
    was appended since the last look, in microseconds and without waking a thread. Only the log: what a poll
    shows all comes from new events, and the commits that append none (every process's presence heartbeat,
    every two seconds; a checkpoint) need no look at all. Never waits for a lock: a busy or failing database
    counts as moved, so the caller looks properly and reports what it finds."""

    def __init__(self, db_path: Path) -> None:
        self._conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=0)
        self._last: object = _UNSEEN

    def moved(self) -> bool:
        try:
            last = self._conn.execute("SELECT max(seq) FROM events").fetchone()[0]
        except sqlite3.Error:
            return True
        moved: bool = last != self._last
        self._last = last
        return moved

    def close(self) -> None:
        self._conn.close()


_UNSEEN = object()


def probe(db_path: Path) -> LogProbe | None:
    """A probe of the run at ``db_path``; None where it cannot be opened (then every look goes to the database)."""
    try:
        return LogProbe(db_path)
    except sqlite3.Error:
        return None


def take_published(store: Store, watch: FileWatch) -> bool:
    """Take every notification waiting on ``watch`` while holding ``store``'s write lock; whether any was about a
    watched file.

    A writer publishes its commit in the WAL's shared index before it lets the write lock go, so every commit
    reported by then can already be read: a look after this needs no later look for them
    (:data:`FOLLOW_UP_SECONDS`). A process takes the notifications of its own write this way, and so does not
    wake for it. Nothing is written: an empty transaction adds nothing to the WAL, and notifies nobody.
    """
    found = False

    def take(_: sqlite3.Connection) -> None:
        nonlocal found
        found = watch.written() or found  # a retried transaction takes what came meanwhile too

    store.write(take)
    return found
