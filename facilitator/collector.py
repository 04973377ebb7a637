"""Python's cyclic garbage collector, paused around work that makes many long-lived objects and next to no cycles.

An export (millions of rows, cells and lines that live until they are written) and a roster import (a row and an
event per person, by the ten thousand, that live until it ends) set off collections that walked everything the
process holds again and again, to find a few unreachable objects: a few percent of a long run's export, 15-30 ms
of a 10,000-person import. An app's start-up pauses it too, and freezes what it made (facilitator.opening).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block; collecting resumes however it ends. A collector already off (a
    profiler, a test) is left alone."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
