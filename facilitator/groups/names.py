"""How the room and the phones name the members of a group: first names only, as people call each other."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def short_names(names: Sequence[str]) -> list[str | None]:
    """Each name's first word, in the order given; where two would read the same, the initial of the last word
    added ("Grace A.", "Grace L."), and where even that is shared, the whole last word. A word holding an ``@``
    is never shown (a walk-in may have typed their e-mail as their name): a name of nothing else is None."""
    words = [[w for w in name.split() if "@" not in w] for name in names]
    shown: list[str | None] = [w[0] if w else None for w in words]
    for level in (1, 2):
        counts = Counter(s.casefold() for s in shown if s is not None)
        for index, person in enumerate(words):
            here = shown[index]
            if here is not None and counts[here.casefold()] > 1 and len(person) > 1:
                last = person[-1]
                shown[index] = f"{person[0]} {last[0]}." if level == 1 else f"{person[0]} {last}"
    return shown
