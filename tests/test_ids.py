"""New ids for events and people (facilitator.record.ids)."""

from __future__ import annotations

import itertools
import re

from facilitator.record import ids
from facilitator.record.ids import random_ids


def test_ids_are_128_random_bits_in_hex_and_never_repeat() -> None:
    made = list(itertools.islice(random_ids(batch=7), 1000))  # many batches, one cut short
    assert all(re.fullmatch(r"[0-9a-f]{32}", made_id) for made_id in made)
    assert len(set(made)) == len(made)
    assert len(set(itertools.islice(random_ids(), ids.BATCH * 3))) == ids.BATCH * 3


def test_two_supplies_do_not_share_ids() -> None:
    first, second = random_ids(batch=4), random_ids(batch=4)
    assert {next(first) for _ in range(50)}.isdisjoint({next(second) for _ in range(50)})
