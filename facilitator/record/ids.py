"""New ids for what a run records (events, people): 128 random bits each, written as 32 hex digits.

Made in batches from one read of the system's randomness (``secrets``, as ``secrets.token_hex(16)`` makes one):
a roster import of 10,000 people needs 20,000 ids, and one read for each was some 5% of the import.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

BATCH = 256  # ids per read


def random_ids(batch: int = BATCH) -> Iterator[str]:
    """An endless supply of new ids, read ``batch`` at a time."""
    while True:
        pool = secrets.token_hex(16 * batch)
        for start in range(0, len(pool), 32):
            yield pool[start : start + 32]
