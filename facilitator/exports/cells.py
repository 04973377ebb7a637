"""Small cells: no figure and no row of an anonymised export is about fewer than k people.

A table split by location or gender can name a person without a name: the only non-binary participant at a
mission, the two people at a small location. With ``--anonymise``, every group of people a table splits by
(a location, a gender, a gender at one location) that has fewer than k people on the roster (``--min-cell``,
3 by default) is pooled with the other small groups of its kind, and published as ``suppressed``. If the
pool itself has fewer than k people, the next smallest group joins it, so that no figure can be worked out
by subtracting the others from a total; a pool that still has fewer than k people (a roster of fewer than
k) has its figures withheld. So:

- ``attendance_summary``: small locations are one row, ``suppressed``; its ``suppressed`` column says which
  locations were pooled;
- ``attendance_by_gender`` and the report's gender figures: small gender groups are one row, ``suppressed``
  (which genders is not said: that would say the group exists);
- the rows about one person (``attendance_by_day``, ``attendance_by_block``, ``certificates``, the event
  log's ``participant.added``): a location pooled as above reads ``suppressed`` (and so do its time zone and
  local times, which would name it); a gender reads ``suppressed`` where, at that person's location as
  published, fewer than k people share it;
- ``reflections`` and ``quotes``: a location pooled as above reads ``suppressed``.

No table is split by role; anonymised, roles and organisations are left out altogether (the quotes' role
column is empty, the event log drops them): a job title at a mission is a name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from facilitator.attendance.gender import category
from facilitator.attendance.roster import Participant

SUPPRESSED = "suppressed"
DEFAULT_MIN_CELL = 3


@dataclass(frozen=True)
class Pooling:
    """How the groups of one split are published: each as itself, or in the pool (:data:`SUPPRESSED`)."""

    pooled: frozenset[str] = frozenset()
    size: int = 0  # people in the pool
    withheld: bool = False  # the pool has fewer than k people: its figures are not given

    def label(self, group: str) -> str:
        return SUPPRESSED if group in self.pooled else group


def pool(sizes: Mapping[str, int], k: int) -> Pooling:
    """Pool the groups of fewer than ``k`` people (but more than none); while the pool has fewer than ``k``,
    add the smallest group left to it."""
    small = {group for group, n in sizes.items() if 0 < n < k}
    if not small:
        return Pooling()
    size = sum(sizes[g] for g in small)
    rest = sorted((n, g) for g, n in sizes.items() if g not in small and n > 0)
    while size < k and rest:
        n, group = rest.pop(0)
        small.add(group)
        size += n
    return Pooling(frozenset(small), size, withheld=size < k)


@dataclass
class Cells:
    """The groups of one export's roster, pooled for ``k`` (nothing pooled when not anonymising)."""

    enabled: bool
    k: int
    locations: Pooling = field(default_factory=Pooling)
    genders: Pooling = field(default_factory=Pooling)
    _genders_at: dict[str, Pooling] = field(default_factory=dict)

    @classmethod
    def of(cls, people: Iterable[Participant], *, enabled: bool, k: int) -> Cells:
        people = list(people)
        if not enabled:
            return cls(enabled=False, k=k)
        locations = pool(Counter(p.location for p in people), k)
        genders = pool(Counter(category(p.gender) for p in people), k)
        at: dict[str, Counter[str]] = {}
        for p in people:
            at.setdefault(locations.label(p.location), Counter())[category(p.gender)] += 1
        return cls(True, k, locations, genders, {where: pool(counts, k) for where, counts in at.items()})

    def location(self, location: str | None) -> str | None:
        """A location as published: itself, or :data:`SUPPRESSED` when it is pooled."""
        if not self.enabled or location is None:
            return location
        return self.locations.label(location)

    def gender(self, person: Participant) -> str:
        """A person's gender as published: the roster's (identified), else its category unless it is pooled at
        their published location."""
        if not self.enabled:
            return person.gender or ""
        at = self._genders_at.get(self.locations.label(person.location), Pooling())
        return at.label(category(person.gender))

    def gender_group(self, gender: str) -> str:
        """A gender category as the tables split by it publish it."""
        return self.genders.label(gender) if self.enabled else gender
