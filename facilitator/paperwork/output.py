"""Writing a batch of paperwork into a folder: private, all or nothing, and never over a file unasked.

As with the exports (facilitator.exports.run), files are written into a hidden folder inside the target and
moved into place only when all are complete, so a failure leaves nothing behind; each gets the mode
facilitator.record.permissions gives the run's files (the owner's only, or the team's in a setgid folder),
and so does every folder created on the way.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from facilitator.problems import InputError, display_path
from facilitator.record.permissions import make_folders, modes_for, set_mode


def check_folder(out: Path, option: str) -> None:
    """Refuse a target that is a file, or a folder (or the parent of a new one) that cannot be written to."""
    name = display_path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{option}: {name} is a file, not a folder")
    existing = out if out.exists() else next((p for p in out.parents if p.exists()), None)
    if existing is None or not existing.is_dir():
        raise InputError(f"{option}: {name}: its parent is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"{option}: {name}: folder {display_path(existing)} is not writable")


def refuse_if_not_empty(out: Path, option: str) -> None:
    """Refuse a folder that holds anything already (earlier certificates would mix with these)."""
    if out.is_dir() and any(out.iterdir()):
        raise InputError(
            f"{option}: {display_path(out)} is not empty; give a new folder (it is created), or add --force to "
            "write into this one, replacing files of the same names"
        )


def refuse_replacing(out: Path, names: Iterable[str], option: str) -> None:
    """Refuse to write where a file of one of ``names`` exists already."""
    taken = sorted(name for name in names if (out / name).exists() or (out / name).is_symlink())
    if taken:
        shown = ", ".join(taken[:3]) + (f" and {len(taken) - 3} more" if len(taken) > 3 else "")
        raise InputError(f"{option}: {display_path(out)} holds {shown} already; add --force to replace them")


def publish(out: Path, option: str, write: Callable[[Path], list[Path]]) -> list[Path]:
    """Create ``out`` if needed, let ``write`` fill a hidden folder inside it, then move its files into place.

    Returns the files as published. Whatever ``write`` raises, nothing it wrote is left behind.
    """
    modes = modes_for(out)
    created: list[Path] = []
    try:
        created = make_folders(out, modes)
        work = Path(tempfile.mkdtemp(prefix=".paperwork-", dir=out))  # 0700 while it fills
    except OSError as exc:
        raise InputError(f"{option}: {display_path(out)}: cannot write there: {exc.strerror or exc}") from None
    try:
        files = write(work)
        for path in files:
            set_mode(path, modes.file)
        published = []
        for path in files:
            target = out / path.name
            os.replace(path, target)
            published.append(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if created:
            shutil.rmtree(created[0], ignore_errors=True)
        raise
    shutil.rmtree(work, ignore_errors=True)
    return published
