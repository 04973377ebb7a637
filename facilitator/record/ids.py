"""New ids for what a run records (events, people): 128 random bits each, written as 32 hex digits.

Read from the system's randomness (``os.urandom``, as ``secrets.token_hex`` reads it: importing ``secrets`` loads
OpenSSL through ``hmac`` and ``hashlib``, some 2 ms of every start of the app, which needs neither). Made in batches
from one read: a roster import of 10,000 people needs 20,000 ids, and one read for each was some 5% of the import.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

BATCH = 256  # ids per read


def random_id() -> str:
    """One new id."""
    return os.urandom(16).hex()


def random_ids(batch: int = BATCH) -> Iterator[str]:
    """An endless supply of new ids, read ``batch`` at a time."""
    while True:
        pool = os.urandom(16 * batch).hex()
        for start in range(0, len(pool), 32):
            yield pool[start : start + 32]
