"""Reading a run this user may not write: a run received on read-only media, or a colleague's file.

SQLite's WAL needs to write beside the database even to read it (the shared-memory index), and opening a
run checks and upgrades its schema. Where that is not allowed, the run is read from a private copy: taken
with SQLite's backup API from a read-only connection (a consistent snapshot, even of a run in use), or,
where even that cannot open the file (read-only media with no shared-memory file), by copying the database
and its WAL file as they are, which nothing can change there. The copy lives in a private temporary folder
(0700) and is removed when the store closes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from facilitator.problems import InputError


def writable_in_place(path: Path) -> bool:
    """Whether this user may write the run and its folder, on a disk mounted for writing."""
    folder = path.parent
    with contextlib.suppress(OSError):
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return False
    return os.access(path, os.R_OK | os.W_OK) and os.access(folder, os.W_OK | os.X_OK)


@dataclass(frozen=True)
class PrivateCopy:
    """A private copy of a run (``path``), in a private folder of its own that :meth:`remove` deletes."""

    path: Path
    folder: Path

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def private_copy(path: Path, name: str) -> PrivateCopy:
    """A copy of the run at ``path`` that this process may read and write; ``name`` is for messages."""
    folder = Path(tempfile.mkdtemp(prefix="facilitator-read-"))  # 0700
    copy = PrivateCopy(folder / "run.db", folder)
    try:
        try:
            _backup(path, copy.path)
        except sqlite3.Error:
            copy.path.unlink(missing_ok=True)
            _copy_files(path, copy.path)
        copy.path.chmod(0o600)
    except OSError as exc:
        copy.remove()
        raise InputError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    except BaseException:
        copy.remove()
        raise
    return copy


def _backup(path: Path, target: Path) -> None:
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()


def _copy_files(path: Path, target: Path) -> None:
    shutil.copyfile(path, target)
    wal = path.with_name(f"{path.name}-wal")
    if wal.exists():  # commits not yet checkpointed into the file: the copy replays them when opened
        shutil.copyfile(wal, target.with_name(f"{target.name}-wal"))
