"""Breakout groups (issue 17), in the core: the sizes, the making (evenness, repeats, determinism, the measured
quality), the events and their fold, the driver's commands and their refusals, the script's field, the CLI."""

from __future__ import annotations

import copy
import math
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from facilitator.groups import making, rules
from facilitator.groups.groupings import LATE, MADE, MOVED, Groupings
from facilitator.groups.making import Member, make, most_of_one, repeats
from facilitator.live.session import Session
from facilitator.problems import InputError
from facilitator.record import catalogue
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.script.models import BreakoutGroups, Programme
from facilitator.script.stored import stored_form
from facilitator.team.roles import NotAllowed
from tests.conftest import TINY_PROGRAMME
from tests.test_scripts import EXERCISE, WORKSHOP, problems_of, write_workshop

# -- a roster of 60 across 9 locations, as the issue's quality test asks ---------------------------------------

LOCATIONS = {  # location: people, uneven as real missions are
    "hq": 14,
    "unmiss": 9,
    "monusco": 8,
    "minusca": 7,
    "minusma": 6,
    "unifil": 5,
    "unisfa": 4,
    "minurso": 4,
    "unficyp": 3,
}
GENDERS = ["female"] * 31 + ["male"] * 24 + ["non-binary"] * 2 + ["not stated"] * 3


def sixty() -> list[Member]:
    genders = list(GENDERS)
    random.Random(60).shuffle(genders)
    places = [location for location, n in LOCATIONS.items() for _ in range(n)]
    return [Member(f"p{i:02d}", place, gender) for i, (place, gender) in enumerate(zip(places, genders, strict=True))]


def met_of(rounds: Sequence[Sequence[Sequence[str]]]) -> dict[str, dict[str, int]]:
    """Who was grouped with whom, and how often, over ``rounds``."""
    met: dict[str, dict[str, int]] = {}
    for groups in rounds:
        for group in groups:
            for a in group:
                for b in group:
                    if a != b:
                        met.setdefault(a, {})[b] = met.get(a, {}).get(b, 0) + 1
    return met


def three_rounds(people: list[Member], size: int) -> list[tuple[tuple[str, ...], ...]]:
    rounds: list[tuple[tuple[str, ...], ...]] = []
    for round_ in range(3):
        rounds.append(make(people, rules.sizes(len(people), size=size), met=met_of(rounds), seed=round_).groups)
    return rounds


def repeats_over(rounds: Sequence[Sequence[Sequence[str]]]) -> int:
    """Pairs put together again over the rounds, each round against every round before it."""
    return sum(repeats(groups, met_of(rounds[:index])) for index, groups in enumerate(rounds))


def random_rounds(people: list[Member], size: int, seed: int) -> list[list[list[str]]]:
    """The baseline: shuffle everyone and cut them into groups of the same sizes, three times."""
    rng = random.Random(seed)
    sizes = rules.sizes(len(people), size=size)
    rounds = []
    for _ in range(3):
        ids = [p.id for p in people]
        rng.shuffle(ids)
        starts = [sum(sizes[:k]) for k in range(len(sizes))]
        rounds.append([ids[start : start + n] for start, n in zip(starts, sizes, strict=True)])
    return rounds


# -- sizes and what may be asked -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("present", "asked", "expected"),
    [
        (22, {"size": 4}, [5, 5, 4, 4, 4]),  # groups of 4, some of 5: nobody left over
        (20, {"size": 4}, [4, 4, 4, 4, 4]),
        (7, {"size": 4}, [4, 3]),  # 4 and 3 cannot be spread as 4-5: one group one smaller
        (9, {"size": 5}, [5, 4]),
        (3, {"size": 2}, [3]),
        (5, {"size": 5}, [5]),
        (60, {"size": 5}, [5] * 12),
        (10, {"count": 3}, [4, 3, 3]),
        (4, {"count": 2}, [2, 2]),
        (500, {"count": 2}, [250, 250]),
    ],
)
def test_sizes_come_from_a_size_or_a_count(present: int, asked: dict[str, int], expected: list[int]) -> None:
    assert rules.sizes(present, **asked) == expected


def test_sizes_always_add_up_and_differ_by_at_most_one() -> None:
    for present in range(2, 80):
        for size in range(2, present + 1):
            sizes = rules.sizes(present, size=size)
            assert sum(sizes) == present and max(sizes) - min(sizes) <= 1
            assert min(sizes) >= 2 and max(sizes) <= size + 1, (present, size, sizes)
        for count in range(1, present // 2 + 1):
            sizes = rules.sizes(present, count=count)
            assert len(sizes) == count and sum(sizes) == present and max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize(
    ("present", "asked", "message"),
    [
        (4, {"size": 6}, "size: groups of 6 need at least 6 people; 4 people are checked in"),
        (1, {"size": 2}, "groups: 1 person is checked in; groups need at least 2 people"),
        (0, {"count": 1}, "groups: nobody is checked in; groups need at least 2 people"),
        (9, {"count": 5}, "count: 5 groups need at least 10 people (two in each); 9 people are checked in"),
        (9, {"count": 12}, "count: 12 groups need at least 24 people (two in each); 9 people are checked in"),
        (9, {"count": 0}, "count: give at least one group, not 0"),
        (9, {"size": 1}, "size: a group needs at least 2 people, not 1"),
        (9, {"size": 3, "count": 3}, "size: give a group size or a number of groups (count), not both"),
        (9, {}, "size: give a group size, or a number of groups (count)"),
    ],
)
def test_what_cannot_be_made_is_refused_naming_the_field(present: int, asked: dict[str, int], message: str) -> None:
    with pytest.raises(InputError) as refused:
        rules.sizes(present, **asked)
    assert str(refused.value) == message


def test_mixes_and_calls_are_checked() -> None:
    assert rules.check_mix("gender, Location") == ("location", "gender")
    assert rules.check_mix(["gender"]) == ("gender",)
    assert rules.check_mix("none") == rules.check_mix("") == ()
    with pytest.raises(InputError, match=r"^mix: 'gendre' is not one of location, gender \(did you mean 'gender'\?\)$"):
        rules.check_mix("location,gendre")
    assert rules.check_call(" https://meet.example.org/wps-room-{n} ") == "https://meet.example.org/wps-room-{n}"
    assert rules.calls("Room {n}", 3) == ["Room 1", "Room 2", "Room 3"]
    assert rules.calls(None, 2) == [None, None]
    assert rules.check_call(None) is None
    for bad, why in [
        ("https://meet.example.org/wps-room", "has no {n}"),
        ("https://meet example.org/{n}", "is not a web address"),
        ("Room {n} at {time}", "only {n}"),
        ("Room\x1b[2J {n}", "not one line of printable text"),
    ]:
        with pytest.raises(InputError, match=rf"^call: .*{why}"):
            rules.check_call(bad)


# -- the making ------------------------------------------------------------------------------------------------


def test_everyone_present_is_in_exactly_one_group_of_the_planned_size() -> None:
    people = sixty()
    for asked in ({"size": 4}, {"size": 5}, {"size": 7}, {"count": 6}, {"count": 2}):
        sizes = rules.sizes(len(people), **asked)
        made = make(people, sizes, seed=3)
        assert [len(g) for g in made.groups] == sizes
        members = [pid for group in made.groups for pid in group]
        assert sorted(members) == sorted(p.id for p in people)
    assert [len(g) for g in make(people[:10], [2, 3, 5], seed=1).groups] == [2, 3, 5]  # sizes in any order
    with pytest.raises(ValueError, match="do not add up"):
        make(people, [5] * 11, seed=1)


def test_the_same_people_and_seed_make_the_same_groups_in_any_order() -> None:
    people = sixty()
    met = met_of([make(people, [5] * 12, seed=9).groups])
    first = make(people, [5] * 12, met=met, seed=1)
    shuffled = list(people)
    random.Random(4).shuffle(shuffled)
    assert make(shuffled, [5] * 12, met=met, seed=1) == first
    assert make(people, [5] * 12, met=met, seed="1") == make(people, [5] * 12, met=met, seed="1")
    assert make(people, [5] * 12, met=met, seed=2).groups != first.groups


# Repeated pairs over three rounds, at most, and the mean of 20 rounds of shuffle-and-chunk, by group size.
REPEATS = {4: (0, 13.2), 5: (0, 24.6), 6: (3, 36.5)}


@pytest.mark.parametrize("size", sorted(REPEATS))
def test_sixty_across_nine_locations_three_rounds_spread_evenly_with_few_repeats(size: int) -> None:
    """The issue's measure, on 60 people at 9 locations (14 down to 3) of four genders (31, 24, 2, 3).

    Figures, asserted: every location and gender is within one of its even share in every group, so no group
    of 5 holds more than 2 people of one location (the bound ceil(5 / 9) + 1 = 2); over three rounds, no pair
    is put together again in groups of 4 or 5 (shuffling and cutting into groups of the same sizes repeats 13
    and 25 pairs), and 3 in groups of 6 (against 37), where keeping every gender within one of its share
    costs a few repeats.
    """
    people = sixty()
    location = {p.id: p.location for p in people}
    gender = {p.id: p.gender for p in people}
    rounds = three_rounds(people, size)
    for groups in rounds:
        for value, people_of in ((location, LOCATIONS), (gender, Counter(GENDERS))):
            for group in groups:
                counts = Counter(value[pid] for pid in group)
                for name, total in people_of.items():
                    share = total * len(group) / len(people)
                    assert math.floor(share) <= counts[name] <= math.ceil(share), (name, group)
        # the issue's bound holds, as no location has more people than the bound times the groups
        bound = making.location_bound(size, len(LOCATIONS))
        assert max(LOCATIONS.values()) <= bound * len(groups)
        assert most_of_one(groups, location) <= bound
    most, random_mean = REPEATS[size]
    assert repeats_over(rounds) <= most
    baseline = [repeats_over(random_rounds(people, size, seed)) for seed in range(20)]
    assert sum(baseline) / len(baseline) == pytest.approx(random_mean, abs=0.1)


def test_without_the_swaps_the_repeats_come_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # The deal alone spreads locations but knows nothing of earlier rounds: the search is what avoids repeats.
    people = sixty()
    monkeypatch.setattr(making._Search, "improve", lambda self: None)
    assert repeats_over(three_rounds(people, 5)) > 0


def test_a_location_of_more_people_than_groups_is_spread_as_evenly_as_it_can_be() -> None:
    # 20 of 30 people at headquarters, 6 groups of 5: some group must hold 4 of them, none holds 5.
    people = [Member(f"h{i}", "hq", "female" if i % 2 else "male") for i in range(20)]
    people += [Member(f"f{i}", f"field-{i % 5}", "female") for i in range(10)]
    made = make(people, rules.sizes(30, size=5), seed=0)
    per_group = [sum(1 for pid in group if pid.startswith("h")) for group in made.groups]
    assert sorted(per_group) == [3, 3, 3, 3, 4, 4]


def test_what_is_not_mixed_is_left_to_chance() -> None:
    # Mixing gender only, a group may hold one location's people together (here: it must, there are two).
    people = [Member(f"a{i}", "hq", "female") for i in range(6)] + [Member(f"b{i}", "juba", "male") for i in range(6)]
    by_gender = make(people, [6, 6], mix=["gender"], seed=0)
    assert all(Counter(pid[0] for pid in group) == {"a": 3, "b": 3} for group in by_gender.groups)
    by_nothing = [make(people, [6, 6], mix=[], seed=seed).groups for seed in range(10)]
    assert any(Counter(pid[0] for pid in groups[0]) != {"a": 3, "b": 3} for groups in by_nothing)


def cost(search: making._Search, people: Sequence[Member], mix: Sequence[str], met: dict[str, dict[str, int]]) -> float:
    """The module's cost, worked out from scratch for the search's groups as they stand."""
    groups = [[people[i] for i in members] for members in search.members]
    total = 0.0
    for dimension in mix:
        totals = Counter(p.value(dimension) for p in people)
        for group in groups:
            counts = Counter(p.value(dimension) for p in group)
            for value, n in totals.items():
                total += making.WEIGHTS[dimension] * (counts[value] - n * len(group) / len(people)) ** 2
    return total + making.PAIR_WEIGHT * repeats([[p.id for p in g] for g in groups], met)


def test_each_swap_is_judged_by_exactly_what_it_does_to_the_cost() -> None:
    people = sorted(sixty()[:30], key=lambda p: p.id)
    met = met_of([make(people, [5] * 6, seed=s).groups for s in (11, 12)])
    mix = ("location", "gender")
    search = making._Search(people, [5] * 6, list(mix), met, random.Random(0))
    search.deal()
    for group in range(6):
        search._short(group)
    rng = random.Random(1)
    checked = better = 0
    while checked < 300:
        a, b = rng.randrange(30), rng.randrange(30)
        if search.group_of[a] == search.group_of[b]:
            continue
        before = cost(search, people, mix, met)
        best, delta = search._best_swap(a, [b])
        search._swap(a, b)
        after = cost(search, people, mix, met)
        if after < before - 1e-6:
            assert best == b and delta == pytest.approx(after - before)
            better += 1
        else:
            assert best == -1
        checked += 1
    assert better > 10


def test_a_late_arrival_goes_to_the_smallest_group_with_fewest_of_their_location() -> None:
    groups = [
        [Member("a", "hq", "female"), Member("b", "juba", "male"), Member("c", "goma", "female")],
        [Member("d", "hq", "male"), Member("e", "goma", "female")],
        [Member("f", "juba", "female"), Member("g", "goma", "male")],
    ]
    assert making.smallest(groups, Member("z", "juba", "male")) == 1  # the smallest without juba
    assert making.smallest(groups, Member("z", "hq", "male")) == 2
    assert making.smallest(groups, Member("z", "goma", "male")) == 1  # both have goma: fewer of his gender
    assert making.smallest(groups, Member("z", "kigali", "female"), {"z": {"e": 1}}) == 2  # met e before


# -- the events and their fold -----------------------------------------------------------------------------------


def event(seq: int, kind: str, payload: dict[str, Any]) -> ev.Event:
    catalogue.validate(kind, payload)
    return ev.Event(seq, f"e{seq}", FakeClock().now(), "lead", kind, payload)


MADE_PAYLOAD = {
    "grouping": "g1",
    "day": "2022-08-22",
    "exercise": "warm-up",
    "step": "pairs",
    "groups": [
        {"number": 1, "members": ["a", "b", "c"], "call": "Room 1"},
        {"number": 2, "members": ["d", "e"], "call": "Room 2"},
    ],
    "size": 2,
    "mix": ["location", "gender"],
    "seconds": 1200,
    "seed": 7,
}


def test_the_fold_keeps_each_grouping_as_it_stands_and_who_met_whom() -> None:
    groupings = Groupings.from_events(
        [
            event(1, ev.GROUPS_MADE, MADE_PAYLOAD),
            event(2, ev.GROUPS_CHANGED, {"grouping": "g1", "participant": "f", "to": 2, "reason": "late"}),
            event(3, ev.GROUPS_CHANGED, {"grouping": "g1", "participant": "a", "to": 2, "from": 1}),
            event(4, ev.GROUPS_CHANGED, {"grouping": "nope", "participant": "a", "to": 1}),  # ignored
            event(5, ev.GROUPS_CHANGED, {"grouping": "g1", "participant": "a", "to": 9}),  # no group 9: ignored
        ]
    )
    grouping = groupings.current
    assert grouping is not None and grouping.id == "g1" and grouping.seconds == 1200
    assert [(g.number, g.members, g.call) for g in grouping.groups] == [
        (1, ("b", "c"), "Room 1"),
        (2, ("d", "e", "f", "a"), "Room 2"),
    ]
    assert dict(grouping.joined) == {"a": MOVED, "b": MADE, "c": MADE, "d": MADE, "e": MADE, "f": LATE}
    met = groupings.met()
    assert met["a"] == {"d": 1, "e": 1, "f": 1}  # no longer with b and c
    assert met["b"] == {"c": 1} and met["f"] == {"d": 1, "e": 1, "a": 1}
    groupings.apply(event(6, ev.GROUPS_MADE, {**MADE_PAYLOAD, "grouping": "g2"}))
    assert groupings.current is groupings.by_id("g2") and len(groupings.groupings) == 2
    assert groupings.met()["b"] == {"c": 2, "a": 1}
    assert groupings.version == 4


@pytest.mark.parametrize(
    ("kind", "change", "message"),
    [
        (ev.GROUPS_MADE, {"groups": []}, "groups\n  List should have at least 1 item"),
        (ev.GROUPS_MADE, {"mix": ["age"]}, "mix.0"),
        (ev.GROUPS_MADE, {"groups": [{"number": 0, "members": ["a"]}]}, "number"),
        (ev.GROUPS_MADE, {"groups": [{"number": 1, "members": ["a"], "link": "x"}]}, "Extra inputs"),
        (ev.GROUPS_CHANGED, {"to": 0}, "to"),
        (ev.GROUPS_CHANGED, {"reason": "bored"}, "reason"),
    ],
)
def test_a_groups_payload_that_does_not_fit_is_refused(kind: str, change: dict[str, Any], message: str) -> None:
    base = MADE_PAYLOAD if kind == ev.GROUPS_MADE else {"grouping": "g1", "participant": "a", "to": 1}
    with pytest.raises(catalogue.BadEvent, match=message.replace("(", r"\(")):
        catalogue.validate(kind, {**base, **change})


# -- the driver's commands -------------------------------------------------------------------------------------

PEOPLE = [  # id, name, location, gender; checked in unless the id ends in "-out"
    ("ada", "Ada Lovelace", "hq", "F"),
    ("ben", "Ben Okafor", "hq", "M"),
    ("cai", "Cai Deng", "hq", "female"),
    ("dan", "Dan Wani", "hq", "male"),
    ("eve", "Eve Lado", "juba", "F"),
    ("fay", "Fay Ajak", "juba", "F"),
    ("gus", "Gus Nyok", "juba", "M"),
    ("hal", "Hal Garang", "goma", "M"),
    ("ivy", "Ivy Mbuyi", "goma", "F"),
    ("jon", "Jon Kabila", "goma", None),
    ("kim-out", "Kim Out", "juba", "F"),
]


def programme_data() -> dict[str, Any]:
    data = copy.deepcopy(TINY_PROGRAMME)
    data["workshop"]["locations"].append({"id": "goma", "name": "Goma", "timezone": "Africa/Lubumbashi"})
    pairs = data["exercises"][0]["steps"][1]
    pairs["kind"] = "breakout"
    pairs["groups"] = {"size": 3, "duration": "20m", "call": "https://meet.example.org/wps-room-{n}"}
    return data


@pytest.fixture
def lead(tmp_path: Path, fake_clock: FakeClock) -> Iterator[Session]:
    store = Store.create(tmp_path / "run.db", Programme.validate(programme_data()), actor="lead", clock=fake_clock)
    session = Session(store, actor="lead")
    for pid, name, location, gender in PEOPLE:
        session.add_participant(name, f"{pid}@example.org", location, participant_id=pid, gender=gender)
        session.check_in(pid)
    session.check_out("kim-out")
    yield session
    store.close()


def group_events(session: Session) -> list[ev.Event]:
    return [e for e in session.store.events() if e.kind.startswith("groups.")]


def test_the_driver_makes_groups_of_the_people_checked_in_at_the_step(lead: Session) -> None:
    lead.next_step()
    lead.next_step()  # warm-up/pairs
    made = lead.make_groups(
        size=3, call_pattern="https://meet.example.org/wps-room-{n}", duration=timedelta(minutes=20), seed=2
    )
    p = made.payload
    assert (p["day"], p["exercise"], p["step"], p["size"], p["count"]) == ("2022-08-22", "warm-up", "pairs", 3, None)
    assert p["mix"] == ["location", "gender"] and p["seconds"] == 1200 and isinstance(p["seed"], int)
    assert [len(g["members"]) for g in p["groups"]] == [4, 3, 3]
    assert [g["call"] for g in p["groups"]] == [f"https://meet.example.org/wps-room-{n}" for n in (1, 2, 3)]
    grouped = sorted(pid for g in p["groups"] for pid in g["members"])
    assert grouped == sorted(pid for pid, *_ in PEOPLE if pid != "kim-out")  # never someone checked out
    located = {pid: location for pid, _n, location, _g in PEOPLE}
    for group in p["groups"]:  # four at hq, three at juba, three at goma: each group has its share, to within one
        where = Counter(located[m] for m in group["members"])
        for location, total in (("hq", 4), ("juba", 3), ("goma", 3)):
            share = total * len(group["members"]) / 10
            assert math.floor(share) <= where[location] <= math.ceil(share)
    assert lead.groups.current is not None and lead.groups.current.id == p["grouping"]
    again = Session(lead.store, actor="lead")  # another process folds the same groups from the record
    assert again.groups.current == lead.groups.current


def test_the_next_rounds_avoid_the_pairs_of_the_rounds_before(lead: Session) -> None:
    for _ in range(3):  # ten people in groups of 2 and 3: three rounds with no pair met twice exist
        lead.make_groups(count=4, mix="none")
    rounds = [[g.members for g in grouping.groups] for grouping in lead.groups.groupings]
    assert repeats_over(rounds) == 0
    assert [grouping.repeats for grouping in lead.groups.groupings] == [0, 0, 0]


def test_the_same_record_and_seed_make_the_same_groups(tmp_path: Path) -> None:
    made = []
    for run in ("a", "b"):
        with Store.create(
            tmp_path / f"{run}.db", Programme.validate(programme_data()), actor="lead", clock=FakeClock()
        ) as store:
            session = Session(store, actor="lead")
            for pid, name, location, gender in PEOPLE:
                session.add_participant(name, f"{pid}@example.org", location, participant_id=pid, gender=gender)
                session.check_in(pid)
            made.append([g["members"] for g in session.make_groups(size=2, seed=41).payload["groups"]])
    assert made[0] == made[1]


@pytest.mark.parametrize(
    ("asked", "message"),
    [
        ({"size": 11}, "size: groups of 11 need at least 11 people; 10 people are checked in"),
        ({"count": 6}, "count: 6 groups need at least 12 people (two in each); 10 people are checked in"),
        ({"size": 3, "count": 3}, "size: give a group size or a number of groups (count), not both"),
        ({"size": 3, "mix": "location,age"}, "mix: 'age' is not one of location, gender"),
        ({"size": 3, "call_pattern": "Room"}, "call: 'Room' has no {n} for the group's number"),
        ({"size": 3, "duration": timedelta(0)}, "duration: give a positive duration"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_recorded(lead: Session, asked: dict[str, Any], message: str) -> None:
    before = lead.store.events()
    with pytest.raises(InputError) as refused:
        lead.make_groups(**asked)
    assert str(refused.value).startswith(message)
    assert lead.store.events() == before


def test_fewer_than_two_people_checked_in_make_no_groups(lead: Session) -> None:
    for pid, *_ in PEOPLE[1:]:
        lead.check_out(pid)
    before = lead.store.events()
    with pytest.raises(InputError, match=r"^groups: 1 person is checked in; groups need at least 2 people$"):
        lead.make_groups(size=2)
    assert lead.store.events() == before


def test_only_the_driver_makes_and_changes_groups(lead: Session) -> None:
    co = Session(lead.store, actor="amina", role="co")
    observer = Session(lead.store, actor="omar", role="observer")
    lead.announce()  # the lead drives
    for session in (co, observer):
        with pytest.raises(NotAllowed):
            session.make_groups(size=3)
    lead.make_groups(size=3)
    lead.check_in("kim-out")
    for session in (co, observer):
        with pytest.raises(NotAllowed):
            session.add_to_smallest("kim-out")
        with pytest.raises(NotAllowed):
            session.move_to_group("ada", 2)
        with pytest.raises(NotAllowed):
            session.end_groups()
    assert len(group_events(lead)) == 1


def test_groups_made_as_control_passes_are_not_recorded(lead: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    # Checked again under the write lock: control handed away while the groups were being made counts.
    lead.announce()
    co = Session(lead.store, actor="amina", role="co")
    co.announce()
    lead.hand_control("amina")
    made = making.make

    def meanwhile(*args: Any, **kwargs: Any) -> making.Made:
        Session(lead.store, actor="amina", role="co").hand_control("lead")  # amina's other terminal
        return made(*args, **kwargs)

    monkeypatch.setattr(making, "make", meanwhile)
    with pytest.raises(NotAllowed, match="lead is driving"):
        co.make_groups(size=3)
    assert group_events(lead) == []


def test_a_late_arrival_joins_the_smallest_group(lead: Session) -> None:
    with pytest.raises(InputError, match=r"^groups: no groups have been made yet$"):
        lead.add_to_smallest("ada")
    lead.make_groups(size=3)  # 4, 3, 3
    with pytest.raises(InputError, match=r"^participant: Kim Out is not checked in$"):
        lead.add_to_smallest("kim-out")
    lead.check_in("kim-out")  # at juba
    before = lead.groups.current
    assert before is not None
    juba = {pid for pid, _n, location, _g in PEOPLE if location == "juba"}
    at_juba = {g.number: len(juba & set(g.members)) for g in before.groups}
    changed = lead.add_to_smallest("kim-out")
    to = changed.payload["to"]
    assert changed.payload == {"grouping": before.id, "participant": "kim-out", "to": to, "reason": "late"}
    assert to in (2, 3) and at_juba[to] <= at_juba[5 - to]  # of the two smallest, the one with fewer from juba
    after = lead.groups.current
    assert after is not None and [len(g.members) for g in after.groups] == [4, 4, 3] if to == 2 else [4, 3, 4]
    assert after.joined["kim-out"] == LATE
    with pytest.raises(InputError, match=f"^participant: Kim Out is in group {to} already$"):
        lead.add_to_smallest("kim-out")


def test_the_driver_moves_a_person_to_another_group(lead: Session) -> None:
    lead.make_groups(count=2)  # 5 and 5
    grouping = lead.groups.current
    assert grouping is not None
    person = grouping.groups[0].members[0]
    name = dict((pid, n) for pid, n, *_ in PEOPLE)[person]
    moved = lead.move_to_group(person, 2)
    assert (moved.payload["from"], moved.payload["to"], moved.payload["reason"]) == (1, 2, "moved")
    grouping = lead.groups.current
    assert grouping is not None
    assert [len(g.members) for g in grouping.groups] == [4, 6] and grouping.group_of(person) == grouping.groups[1]
    before = lead.store.events()
    for number, message in [
        (3, "number: there is no group 3 (groups 1 to 2)"),
        (2, f"number: {name} is in group 2 already"),
    ]:
        with pytest.raises(InputError) as refused:
            lead.move_to_group(person, number)
        assert str(refused.value) == message
    with pytest.raises(InputError, match=r"^participant: no participant 'nobody' on the roster$"):
        lead.move_to_group("nobody", 1)
    assert lead.store.events() == before


def test_a_group_is_never_left_empty(lead: Session) -> None:
    for pid in ("eve", "fay", "gus", "hal", "ivy", "jon"):
        lead.check_out(pid)
    lead.make_groups(count=2)  # ada, ben, cai, dan: two and two
    grouping = lead.groups.current
    assert grouping is not None
    first, last = grouping.groups[0].members
    lead.move_to_group(first, 2)
    before = lead.store.events()
    with pytest.raises(InputError) as refused:
        lead.move_to_group(last, 2)
    assert str(refused.value) == f"number: moving {dict((p, n) for p, n, *_ in PEOPLE)[last]} would leave group 1 empty"
    assert lead.store.events() == before
    lead.check_in("eve")  # in no group yet: moved into one, as a late arrival is added
    assert lead.move_to_group("eve", 1).payload == {
        "grouping": grouping.id, "participant": "eve", "to": 1, "reason": "moved"
    }  # fmt: skip


def test_the_driver_ends_the_groups_and_no_one_joins_them_after(lead: Session, fake_clock: FakeClock) -> None:
    lead.make_groups(count=2)
    grouping = lead.groups.meeting
    assert grouping is not None and grouping.ended_at is None
    fake_clock.advance(timedelta(minutes=20))
    ended = lead.end_groups()
    assert ended.payload == {"grouping": grouping.id}
    assert lead.groups.meeting is None
    after = lead.groups.current
    assert after is not None and after.ended_at == ended.at and after.groups == grouping.groups
    before = lead.store.events()
    for change in (lead.end_groups, lambda: lead.add_to_smallest("kim-out"), lambda: lead.move_to_group("ada", 2)):
        with pytest.raises(InputError, match=r"^groups: the groups have ended$"):
            change()
    assert lead.store.events() == before
    lead.make_groups(count=2)  # the next round meets
    assert lead.groups.meeting is not None and lead.groups.meeting.id != grouping.id


def test_without_groups_there_is_nothing_to_end(lead: Session) -> None:
    with pytest.raises(InputError, match=r"^groups: no groups have been made yet$"):
        lead.end_groups()


def test_people_left_checked_in_on_a_day_that_has_ended_are_not_grouped(lead: Session, fake_clock: FakeClock) -> None:
    lead.next_step()
    lead.close_day()
    fake_clock.advance(timedelta(hours=1))
    lead.check_in("kim-out")
    lead.check_in("ada")
    made = lead.make_groups(size=2)
    assert sorted(pid for g in made.payload["groups"] for pid in g["members"]) == ["ada", "kim-out"]


# -- the script --------------------------------------------------------------------------------------------------


def test_a_step_may_ask_for_groups(tmp_path: Path) -> None:
    programme = Programme.validate(programme_data())
    step = programme.exercise_by_id["warm-up"].steps[1]
    assert step.groups == BreakoutGroups.validate(
        {"size": 3, "mix": ["location", "gender"], "duration": "20m", "call": "https://meet.example.org/wps-room-{n}"}
    )
    assert step.groups is not None and step.groups.duration == timedelta(minutes=20) and step.groups.count is None
    assert Programme.validate(stored_form(programme)) == programme  # stored in the run
    exercise = EXERCISE + "    groups: {count: 6, mix: [gender], call: 'Room {n}'}\n"
    loaded = load_workshop(write_workshop(tmp_path / "w", WORKSHOP, exercise)).programme
    groups = loaded.exercises[0].steps[0].groups
    assert groups is not None and (groups.count, groups.mix, groups.call) == (6, ("gender",), "Room {n}")


@pytest.mark.parametrize(
    ("groups", "problem"),
    [
        ("{size: 4, count: 6}", ":11: steps[0].groups.count: give size (people per group) or count"),
        ("{mix: [location]}", ":11: steps[0].groups.size: give size (people per group) or count"),
        ("{size: 1}", ":11: steps[0].groups.size: Input should be greater than or equal to 2"),
        ("{size: 4, mix: [location, age]}", ":11: steps[0].groups.mix[1]: Input should be 'location' or 'gender'"),
        ("{size: 4, mix: [gender, gender]}", ":11: steps[0].groups.mix[1]: mix 'gender' is used twice"),
        (
            "{size: 4, call: 'https://meet.example.org/room'}",
            ":11: steps[0].groups.call: 'https://meet.example.org/room' has no {n}",
        ),
        ("{size: 4, call: 'https://a b/{n}'}", ":11: steps[0].groups.call: 'https://a b/{n}' is not a web address"),
        ("{size: 4, duration: 20}", ":11: steps[0].groups.duration: "),
        ("{size: 4, sise: 5}", ":11: steps[0].groups.sise: unknown field"),
    ],
)
def test_bad_groups_in_a_script_are_refused_at_their_line(tmp_path: Path, groups: str, problem: str) -> None:
    folder = write_workshop(tmp_path / "w", WORKSHOP, EXERCISE + f"    groups: {groups}\n")
    [found] = problems_of(folder)
    assert problem in found, found


# -- the command line ------------------------------------------------------------------------------------------


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "facilitator", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.fixture
def run_db(tmp_path: Path) -> Path:
    """A run on the real clock (the command's), everyone but Kim checked in."""
    db = tmp_path / "run.db"
    with Store.create(db, Programme.validate(programme_data()), actor="lead") as store:
        session = Session(store, actor="lead")
        for pid, name, location, gender in PEOPLE:
            session.add_participant(name, f"{pid}@example.org", location, participant_id=pid, gender=gender)
            if pid != "kim-out":
                session.check_in(pid)
    return db


def test_groups_make_prints_and_records_the_groups(run_db: Path) -> None:
    done = cli("groups", "make", "--db", run_db, "--size", "3", "--call", "Room {n}", "--as", "lead", "--seed", "5")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "3 groups of 3-4 from 10 people checked in, mixing location and gender; no pair grouped before"
    assert [line for line in lines if line.startswith("group")] == [
        "group 1 (4)  Room 1",
        "group 2 (3)  Room 2",
        "group 3 (3)  Room 3",
    ]
    assert "  Ada Lovelace (hq)" in lines and "  Ivy Mbuyi (goma)" in lines
    assert "@" not in done.stdout and "Kim" not in done.stdout
    with Store.open(run_db) as store:
        [made] = [e for e in store.events() if e.kind == ev.GROUPS_MADE]
    assert made.actor == "lead" and made.payload["seed"] == 5 and made.payload["groups"][0]["call"] == "Room 1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "11"], "--size: groups of 11 need at least 11 people; 10 people are checked in"),
        (["--count", "6"], "--count: 6 groups need at least 12 people (two in each); 10 people are checked in"),
        (["--size", "3", "--mix", "location,age"], "--mix: 'age' is not one of location, gender"),
        (["--size", "3", "--call", "Room"], "--call: 'Room' has no {n} for the group's number"),
        ([], "--size: give a group size, or a number of groups (count)"),
    ],
)
def test_groups_make_refuses_in_one_line_and_records_nothing(run_db: Path, args: list[str], message: str) -> None:
    with Store.open(run_db) as store:
        before = len(store.events())
    done = cli("groups", "make", "--db", run_db, "--as", "lead", *args)
    assert done.returncode == 2
    assert done.stderr.startswith(message) and len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stdout == ""
    with Store.open(run_db) as store:
        assert len(store.events()) == before


def test_the_room_and_the_phones_name_people_by_first_name_in_the_order_given() -> None:
    from facilitator.groups.names import short_names

    assert short_names(["Grace Lado", "Ada Byron", "Grace Akello"]) == ["Grace L.", "Ada", "Grace A."]
    assert short_names(["ana silva", "Ana Sousa"]) == ["ana silva", "Ana Sousa"]  # even the initial is shared
    # a walk-in who typed their e-mail as their name: never on the projector
    assert short_names(["ben@example.org", "Cai ben@example.org", "Cai"]) == [None, "Cai", "Cai"]
