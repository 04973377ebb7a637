"""Handing the memory a process has freed back to the system."""

from __future__ import annotations


def release() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``); elsewhere, nothing.

    Opening a long run reads its checkpoint's parts (tens of megabytes) and copies some into arrays of its own
    (facilitator.live.checkpoint). The C allocator keeps what was freed for later use, in the middle of its heap,
    where it counts in the process's resident memory until it is asked to give it back: some 7 MiB of a lead's 90
    on a run of a million events (issue 14).
    """
    import ctypes  # not before it is needed: a terminal app's first frame does without it

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to ask
        return
    trim(0)
