"""Who may read the files of a run (the database, exports): its owner only, or the team in a shared folder.

A run and its exports hold personal data (names, e-mails, attendance, what people wrote), so every file it creates is
``0600`` and every folder ``0700``, whatever the umask says. The one exception is the README's shared team
folder: a folder with the setgid bit (``chgrp workshop DIR; chmod 2770 DIR``) gives everything created in it
the folder's group, so there files are ``0660`` and folders ``2770``: the team reads and writes them, and
nobody outside the group sees anything. :func:`modes_for` is that rule, in one place, for any code that
creates files of the run: the database (facilitator.record.store) and the exports.

Folders that exist already are left as their owner set them.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Modes:
    """The modes for new files and new folders in one place."""

    file: int
    folder: int
    team: bool  # True: a setgid team folder, shared with its group


PRIVATE = Modes(file=0o600, folder=0o700, team=False)
TEAM = Modes(file=0o660, folder=0o2770, team=True)


def modes_for(folder: Path) -> Modes:
    """The modes for files and folders created inside ``folder`` (or, if it does not exist yet, inside the
    nearest folder above it that does): :data:`TEAM` in a setgid folder, else :data:`PRIVATE`."""
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    try:
        setgid = existing is not None and bool(existing.stat().st_mode & stat.S_ISGID)
    except OSError:
        setgid = False
    return TEAM if setgid else PRIVATE


def set_mode(path: Path, mode: int) -> None:
    """Give ``path`` exactly ``mode``. Without the right to set the setgid bit (a folder whose group is not one
    of ours), the same mode without it: a folder inside a setgid one inherits the bit anyway."""
    try:
        os.chmod(path, mode)
    except PermissionError:
        if not mode & stat.S_ISGID:
            raise
        os.chmod(path, mode & ~stat.S_ISGID)


def make_folders(folder: Path, modes: Modes) -> list[Path]:
    """Create ``folder`` and any missing folder above it, each with ``modes.folder``; return those created."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    created = []
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile: theirs, left alone
            path.mkdir(mode=0o700)
            created.append(path)
            set_mode(path, modes.folder)
    return created
