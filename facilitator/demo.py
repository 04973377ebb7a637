"""The bundled demo workshop: where it lives in a checkout or an installed wheel, and a scratch copy of it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path


def bundled_demo() -> Path:
    """The demo's folder: packaged inside the wheel, or ``exercises/`` beside the package in a checkout."""
    packaged = Path(__file__).parent / "demo_workshop"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "exercises"


def copy_demo(target: Path | None = None) -> Path:
    """Copy the demo into ``target`` (a new temporary folder by default) and return the copy's folder."""
    folder = Path(tempfile.mkdtemp(prefix="facilitator-demo-")) if target is None else target
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / "workshop"
    shutil.copytree(bundled_demo(), destination, dirs_exist_ok=True)
    return destination
