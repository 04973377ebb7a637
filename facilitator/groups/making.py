"""Making breakout groups: the people checked in, split into groups of the planned sizes, each location and
each gender spread as evenly as the numbers allow, and as few pairs as can be who were grouped before.

Deterministic: the same people (in any order), sizes, mix, earlier pairings and ``seed`` make the same groups.

1. **Deal.** People are shuffled (by ``seed``) and laid out by location, the biggest first, and dealt
   round-robin into the groups: a location's people, side by side, land in consecutive groups, so each group
   gets the floor or the ceiling of its share of every location. Within a location, the rarest gender
   chooses first: each person takes the place, among the location's, whose group is shortest of their
   gender.
2. **Improve by swaps.** A local search swaps two people of different groups whenever that lowers the cost

       cost = 4 × Σ (count of a location in a group − its even share)²
            + 2 × Σ (count of a gender in a group − its even share)²
            + 3 × Σ over pairs in a group, times they were grouped before

   (an even share is the location's, or gender's, people times the group's size over everyone). Breaking a
   location's evenness by one person costs about 8, a gender's about 4, a pair grouped once before 3: a
   repeat is avoided at the price of a gender's evenness only when it is a pair met twice (or two pairs).
   Each pass looks at the people who may add to the cost (a partner from before in their group; a location
   or gender of which their group holds more than the ceiling of its share, or more than its share while it
   is short of another), tries each against up to :data:`CANDIDATES` people of other groups (all of them
   in a room of up to about 64), and makes the best swap that lowers the cost. Someone no swap helped is
   tried again only once their group has changed. It stops when a pass changes nothing, after
   :data:`MAX_PASSES`, or once :data:`BUDGET` swaps and :data:`BUDGET_PER_PERSON` per person have been
   tried (which only a few big groups, where repeats cannot be avoided, ever reach).

The counts each swap needs are kept up to date as people swap (each group's count of each value, and each
person's times with the people of each group), so trying a swap costs the same whatever the sizes.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

LOCATION = "location"
GENDER = "gender"
WEIGHTS = {LOCATION: 4.0, GENDER: 2.0}  # per unit of squared deviation from the even share
PAIR_WEIGHT = 3.0  # per earlier time a pair in one group was grouped together
CANDIDATES = 64  # people of other groups tried against each person who adds to the cost
MAX_PASSES = 40
BUDGET = 10_000  # swaps tried, at most, over all passes: this many,
BUDGET_PER_PERSON = 20  # and this many more per person
_EPSILON = 1e-9

Met = Mapping[str, Mapping[str, int]]  # person -> person -> times grouped together before (both ways)


@dataclass(frozen=True, slots=True)
class Member:
    """A person to group: their id, where they are, their gender category (facilitator.attendance.gender)."""

    id: str
    location: str
    gender: str

    def value(self, dimension: str) -> str:
        return self.location if dimension == LOCATION else self.gender


@dataclass(frozen=True)
class Made:
    """The groups (participant ids, the first group the biggest) and how many earlier pairings they repeat."""

    groups: tuple[tuple[str, ...], ...]
    repeats: int


def make(
    people: Sequence[Member],
    sizes: Sequence[int],
    *,
    mix: Sequence[str] = (LOCATION, GENDER),
    met: Met | None = None,
    seed: int | str = 0,
) -> Made:
    """Split ``people`` into groups of ``sizes`` (facilitator.groups.rules.sizes), mixing the dimensions in
    ``mix`` and avoiding the pairs of ``met``; see the module's docstring."""
    if sum(sizes) != len(people) or any(s < 1 for s in sizes):
        raise ValueError(f"sizes {list(sizes)} do not add up to the {len(people)} people")
    rng = random.Random(seed)
    ordered = sorted(people, key=lambda p: p.id)  # the order given must not change the groups
    search = _Search(ordered, list(sizes), [d for d in (LOCATION, GENDER) if d in mix], met or {}, rng)
    search.deal()
    search.improve()
    groups = tuple(tuple(sorted(ordered[i].id for i in members)) for members in search.members)
    return Made(groups, search.repeats())


def repeats(groups: Iterable[Iterable[str]], met: Met) -> int:
    """Pairs in the same group who had been grouped together before, each counted as often as they had."""
    total = 0
    for group in groups:
        members = list(group)
        for i, a in enumerate(members):
            seen = met.get(a)
            if seen:
                total += sum(seen.get(b, 0) for b in members[i + 1 :])
    return total


def most_of_one(groups: Iterable[Iterable[str]], value: Mapping[str, str]) -> int:
    """The most people of one value (a location, a gender) in any one group."""
    return max((max(Counter(value[p] for p in group).values(), default=0) for group in groups), default=0)


def location_bound(size: int, locations: int) -> int:
    """The issue's bound on people of one location in a group of ``size`` with ``locations`` present:
    ceil(size / locations) + 1."""
    return math.ceil(size / max(locations, 1)) + 1


def smallest(groups: Sequence[Sequence[Member]], person: Member, met: Met | None = None) -> int:
    """The index of the group a late arrival joins: the smallest; among equals, the one with the fewest of
    their location, then of their gender, then of people they were grouped with before, then the first."""
    seen = (met or {}).get(person.id, {})

    def key(index: int) -> tuple[int, int, int, int, int]:
        group = groups[index]
        here = sum(1 for m in group if m.location == person.location)
        same = sum(1 for m in group if m.gender == person.gender)
        before = sum(seen.get(m.id, 0) for m in group)
        return (len(group), here, same, before, index)

    return min(range(len(groups)), key=key)


class _Search:
    """The groups as indices into the people, with what the cost needs kept up to date as people swap."""

    def __init__(
        self, people: Sequence[Member], sizes: list[int], dimensions: list[str], met: Met, rng: random.Random
    ) -> None:
        self.people = people
        self.sizes = sizes
        self.rng = rng
        self.n = n = len(people)
        index = {p.id: i for i, p in enumerate(people)}
        # Earlier pairings among the people present, by index (both ways).
        self.seen: list[dict[int, int]] = [{} for _ in range(n)]
        for i, p in enumerate(people):
            for other, times in (met.get(p.id) or {}).items():
                j = index.get(other)
                if j is not None and j != i and times > 0:
                    self.seen[i][j] = times
        # Per dimension: each person's value as a small integer, the even share of each value in each group,
        # and each group's count of each value.
        self.dimensions: list[tuple[float, list[int], list[list[float]], list[list[int]]]] = []
        self.values: dict[str, list[int]] = {}
        self.bounds: list[tuple[list[list[int]], list[list[int]]]] = []  # per dimension: floor and ceiling of shares
        for dimension in dimensions:
            names: dict[str, int] = {}
            values = [names.setdefault(p.value(dimension), len(names)) for p in people]
            totals = Counter(values)
            share = [[totals[v] * size / n for v in range(len(names))] for size in sizes]
            counts = [[0] * len(names) for _ in sizes]
            self.dimensions.append((WEIGHTS[dimension], values, share, counts))
            low = [[math.floor(e + _EPSILON) for e in row] for row in share]
            high = [[math.ceil(e - _EPSILON) for e in row] for row in share]
            self.bounds.append((low, high))
            self.values[dimension] = values
        self.group_of = [0] * n
        self.members: list[list[int]] = [[] for _ in sizes]
        self.met_in: list[dict[int, int]] = [{} for _ in range(n)]  # person -> group -> times with its people
        self.short: list[list[bool]] = [[False] * len(sizes) for _ in self.dimensions]  # per dimension and group

    # -- the deal ----------------------------------------------------------------------------------------

    def _runs(self) -> list[list[int]]:
        """Everyone, shuffled, in runs dealt one after another: one per location, the biggest first (one run of
        everyone when location is not mixed)."""
        rng = self.rng
        order = list(range(self.n))
        rng.shuffle(order)
        locations = self.values.get(LOCATION)
        if locations is None:
            return [order]
        by_location: dict[int, list[int]] = {}
        for i in order:
            by_location.setdefault(locations[i], []).append(i)
        return sorted(by_location.values(), key=lambda run: (-len(run), rng.random()))

    def deal(self) -> None:
        """Deal the runs round-robin into the groups (while a group has room): each run's people take
        consecutive places, so each group gets its share of the run, to within one. Mixing gender,
        a run's genders take its places from the rarest gender to the most common, each person going to the
        place whose group is shortest of their gender."""
        sizes = self.sizes
        # Round-robin over the groups with room: every group's first place, then every second place, ...
        rota = [g for place in range(max(sizes)) for g in range(len(sizes)) if sizes[g] > place]
        genders = self.values.get(GENDER)
        totals = Counter(genders or ())
        share = counts = None
        if genders is not None:
            _weight, _values, share, counts = self.dimensions[list(self.values).index(GENDER)]
        position = 0
        for run in self._runs():
            places = rota[position : position + len(run)]
            position += len(run)
            if genders is None or share is None or counts is None:
                for i, group in zip(run, places, strict=True):
                    self._put(i, group)
                continue
            room = Counter(places)
            first = {g: k for k, g in reversed(list(enumerate(places)))}  # tie-break: the run's order
            for gender in sorted({genders[i] for i in run}, key=lambda v: (totals[v], v)):
                people = [i for i in run if genders[i] == gender]
                heap = [(counts[g][gender] - share[g][gender], first[g], g) for g in room if room[g] > 0]
                heapq.heapify(heap)
                for i in people:
                    _key, order, group = heapq.heappop(heap)
                    self._put(i, group)
                    room[group] -= 1
                    if room[group] > 0:
                        heapq.heappush(heap, (counts[group][gender] - share[group][gender], order, group))

    def _put(self, i: int, group: int) -> None:
        self.group_of[i] = group
        self.members[group].append(i)
        for _weight, values, _share, counts in self.dimensions:
            counts[group][values[i]] += 1
        self._meet(i, group, +1)

    def repeats(self) -> int:
        """Pairs in one group who were grouped before, each counted as often as they were."""
        return sum(self.met_in[i].get(self.group_of[i], 0) for i in range(self.n)) // 2

    def _short(self, group: int) -> None:
        """Note, for each dimension, whether ``group`` has fewer of some value than the floor of its share."""
        for d, ((_weight, _values, _share, counts), (low, _high)) in enumerate(
            zip(self.dimensions, self.bounds, strict=True)
        ):
            self.short[d][group] = any(c < lo for c, lo in zip(counts[group], low[group], strict=True))

    # -- the search --------------------------------------------------------------------------------------

    def _adds_cost(self, i: int) -> bool:
        """Whether a swap of ``i`` might lower the cost: a partner from before is in their group; or their group
        has more of their location (or gender) than the ceiling of its even share; or it has more than its
        share of their value while it is short of another (fewer than the floor of its share)."""
        group = self.group_of[i]
        if self.met_in[i].get(group):
            return True
        for (_weight, values, share, counts), (_low, high), short in zip(
            self.dimensions, self.bounds, self.short, strict=True
        ):
            v = values[i]
            have = counts[group][v]
            if have > high[group][v] or (have > share[group][v] and short[group]):
                return True
        return False

    def _best_swap(self, a: int, candidates: Iterable[int]) -> tuple[int, float]:
        """The candidate whose swap with ``a`` lowers the cost most, and by how much (-1 and 0: none does).

        For each dimension where ``a`` and ``b`` differ, the cost changes by the sum, over the four counts the
        swap changes, of (c ± 1 - e)² - (c - e)² = 1 ± 2(c - e); for the pairs, by the times each was grouped
        before with the people of the group it joins, less those of the group it leaves.
        """
        group_of, seen, met_in = self.group_of, self.seen, self.met_in
        ga = group_of[a]
        mine, mine_in = seen[a], met_in[a]
        a_before = mine_in.get(ga, 0)
        dims = [(weight, values, values[a], share, counts) for weight, values, share, counts in self.dimensions]
        best, best_delta = -1, -_EPSILON
        for b in candidates:
            gb = group_of[b]
            delta = 0.0
            for weight, values, va, share, counts in dims:
                vb = values[b]
                if va == vb:
                    continue
                ca, cb, ea, eb = counts[ga], counts[gb], share[ga], share[gb]
                delta += weight * (
                    4 - 2 * (ca[va] - ea[va]) + 2 * (ca[vb] - ea[vb]) - 2 * (cb[vb] - eb[vb]) + 2 * (cb[va] - eb[va])
                )
            theirs_in = met_in[b]
            if mine_in or theirs_in:
                a_after = mine_in.get(gb, 0) - mine.get(b, 0)
                b_after = theirs_in.get(ga, 0) - seen[b].get(a, 0)
                delta += PAIR_WEIGHT * (a_after + b_after - a_before - theirs_in.get(gb, 0))
            if delta < best_delta:
                best, best_delta = b, delta
        return best, best_delta

    def _swap(self, a: int, b: int) -> None:
        ga, gb = self.group_of[a], self.group_of[b]
        self.members[ga][self.members[ga].index(a)] = b
        self.members[gb][self.members[gb].index(b)] = a
        self.group_of[a], self.group_of[b] = gb, ga
        for _weight, values, _share, counts in self.dimensions:
            counts[ga][values[a]] -= 1
            counts[ga][values[b]] += 1
            counts[gb][values[b]] -= 1
            counts[gb][values[a]] += 1
        self._meet(a, ga, -1)
        self._meet(a, gb, +1)
        self._meet(b, gb, -1)
        self._meet(b, ga, +1)
        self._short(ga)
        self._short(gb)

    def _meet(self, i: int, group: int, sign: int) -> None:
        """Count ``i``'s earlier partners' times with ``group`` as ``i`` joins (+1) or leaves (-1) it."""
        met_in = self.met_in
        for j, times in self.seen[i].items():
            row = met_in[j]
            row[group] = row.get(group, 0) + sign * times

    def _candidates(self, a: int) -> list[int]:
        """The people of other groups tried against ``a``: all of them in a small room, else a draw of
        :data:`CANDIDATES` (with replacement: trying one twice costs less than avoiding it)."""
        n, group_of = self.n, self.group_of
        ga = group_of[a]
        if n - len(self.members[ga]) <= CANDIDATES:
            return [b for b in range(n) if group_of[b] != ga]
        draw = self.rng.random
        return [b for b in (int(draw() * n) for _ in range(CANDIDATES)) if group_of[b] != ga]

    def _costly(self, settled: list[tuple[int, int]], changes: list[int]) -> list[int]:
        """The people who may add to the cost, but those settled since their group last changed; the others
        are settled."""
        costly = []
        for i in range(self.n):
            group = self.group_of[i]
            if settled[i] == (group, changes[group]):
                continue
            if self._adds_cost(i):
                costly.append(i)
            else:
                settled[i] = (group, changes[group])
        return costly

    def improve(self) -> None:
        if len(self.sizes) < 2:
            return
        group_of = self.group_of
        for group in range(len(self.sizes)):
            self._short(group)
        # Someone found not to add to the cost, or whom no swap helped, is looked at again only once their group
        # has changed: settled[i] is (their group, its changes) then.
        settled: list[tuple[int, int]] = [(-1, -1)] * self.n
        changes = [0] * len(self.sizes)  # per group: how many times its people changed
        budget = BUDGET + BUDGET_PER_PERSON * self.n  # in groups of 100, pairs repeat whatever is done
        for _ in range(MAX_PASSES):
            costly = self._costly(settled, changes)
            if not costly:
                return
            self.rng.shuffle(costly)
            changed = False
            for a in costly:
                if budget <= 0:
                    return
                if not self._adds_cost(a):  # an earlier swap of this pass fixed it
                    continue
                ga = group_of[a]
                candidates = self._candidates(a)
                budget -= len(candidates)
                best, _delta = self._best_swap(a, candidates)
                if best < 0:
                    settled[a] = (ga, changes[ga])
                    continue
                gb = group_of[best]
                self._swap(a, best)
                changes[ga] += 1
                changes[gb] += 1
                changed = True
            if not changed:
                return
