"""A step's breakout groups (issue 17), in the core: what the make-groups form proposes from the step's ``groups:``
or its older ``grouping:`` hint, the groups a step asks for, made as the driver enters it (or why not), and the
warning of ``facilitator check`` when the two fields contradict each other."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from facilitator.live.session import Session
from facilitator.live.step_groups import DEFAULT_SIZE, Proposal, on_entering, proposed
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.script.models import Programme, Step
from tests.test_groups import PEOPLE, programme_data
from tests.test_scripts import EXERCISE, WORKSHOP, write_workshop


def step(**fields: Any) -> Step:
    return Step.validate({"id": "s", "title": "S", "kind": "breakout", "duration": "20m", **fields})


def test_the_form_proposes_the_step_s_groups_then_a_random_grouping_s_size_then_groups_of_four() -> None:
    asked = step(groups={"count": 6, "mix": ["gender"], "duration": "15m", "call": "Room {n}"})
    assert proposed(asked) == Proposal(None, 6, ("gender",), "Room {n}", timedelta(minutes=15))
    # groups: wins over the older hint when a step has both
    both = step(grouping={"by": "random", "size": 5}, groups={"size": 3})
    assert proposed(both) == Proposal(size=3)
    assert proposed(step(grouping={"by": "random", "size": 5})) == Proposal(size=5)
    # Groups by location, role or chosen by people themselves are not what the app makes: no size from them.
    for hint in ({"by": "location", "size": 6}, "role", "self-selected", {"by": "random"}):
        assert proposed(step(grouping=hint)) == Proposal(size=DEFAULT_SIZE)
    assert proposed(step()) == proposed(None) == Proposal(DEFAULT_SIZE, None, ("location", "gender"), None, None)


@pytest.fixture
def lead(tmp_path: Path, fake_clock: FakeClock) -> Iterator[Session]:
    """The groups fixture of tests/test_groups.py: warm-up/pairs asks for groups of 3 meeting 20 minutes."""
    store = Store.create(tmp_path / "run.db", Programme.validate(programme_data()), actor="lead", clock=fake_clock)
    session = Session(store, actor="lead")
    for pid, name, location, gender in PEOPLE:
        session.add_participant(name, f"{pid}@example.org", location, participant_id=pid, gender=gender)
        session.check_in(pid)
    session.check_out("kim-out")
    yield session
    store.close()


def made(session: Session) -> int:
    return sum(1 for e in session.store.events() if e.kind == "groups.made")


def test_a_step_without_groups_asks_for_none(lead: Session) -> None:
    assert on_entering(lead) is None  # no step yet
    lead.next_step()  # warm-up/intro
    assert on_entering(lead) is None
    assert made(lead) == 0


def test_entering_a_step_that_asks_for_groups_makes_them_with_its_settings(lead: Session) -> None:
    lead.next_step()
    lead.next_step()  # warm-up/pairs
    outcome = on_entering(lead)
    assert outcome is not None and outcome.why_not is None
    grouping = outcome.made
    assert grouping is not None and lead.groups.meeting == grouping
    assert (grouping.exercise, grouping.step, grouping.size, grouping.seconds) == ("warm-up", "pairs", 3, 1200)
    assert grouping.mix == ("location", "gender")
    assert [len(g.members) for g in grouping.groups] == [4, 3, 3]  # the ten checked in, Kim left out
    assert [g.call for g in grouping.groups] == [f"https://meet.example.org/wps-room-{n}" for n in (1, 2, 3)]


def test_a_step_keeps_the_groups_it_has_when_entered_again(lead: Session, fake_clock: FakeClock) -> None:
    lead.next_step()
    lead.next_step()
    first = on_entering(lead)
    assert first is not None and first.made is not None
    lead.previous_step()
    fake_clock.advance(timedelta(minutes=1))
    lead.next_step()  # back to the pairs: a second run of the step, the same day
    again = on_entering(lead)
    assert again is not None and again.made is None
    assert again.why_not == "this step's groups were made already" and again.earlier == first.made
    lead.end_groups()  # ended, still this step's groups: entering again makes none
    assert (outcome := on_entering(lead)) is not None and outcome.made is None
    assert made(lead) == 1


def test_fewer_than_two_checked_in_make_no_groups_and_say_why(lead: Session) -> None:
    for pid, *_ in PEOPLE[1:]:
        lead.check_out(pid)
    lead.next_step()
    lead.next_step()
    outcome = on_entering(lead)
    assert outcome is not None and outcome.made is None
    assert outcome.why_not == "groups: 1 person is checked in; groups need at least 2 people"
    assert made(lead) == 0
    lead.check_in("ben")
    lead.check_in("cai")  # three now: the step's next entry makes them, none having been made for it
    outcome = on_entering(lead)
    assert outcome is not None and outcome.made is not None and outcome.made.people == 3


def test_a_size_larger_than_the_room_is_refused_in_one_line(tmp_path: Path, fake_clock: FakeClock) -> None:
    data = copy.deepcopy(programme_data())
    data["exercises"][0]["steps"][1]["groups"] = {"size": 5}
    store = Store.create(tmp_path / "run.db", Programme.validate(data), actor="lead", clock=fake_clock)
    with store:
        lead = Session(store, actor="lead")
        for pid, name, location, gender in PEOPLE[:3]:
            lead.add_participant(name, f"{pid}@example.org", location, participant_id=pid, gender=gender)
            lead.check_in(pid)
        lead.next_step()
        lead.next_step()
        outcome = on_entering(lead)
        assert outcome is not None and outcome.made is None
        assert outcome.why_not == "size: groups of 5 need at least 5 people; 3 people are checked in"
        assert made(lead) == 0


def test_control_passed_on_makes_no_groups(lead: Session) -> None:
    lead.announce()
    lead.next_step()
    lead.next_step()
    co = Session(lead.store, actor="amina", role="co")
    co.announce()
    lead.hand_control("amina")
    outcome = on_entering(lead)
    assert outcome is not None and outcome.made is None and outcome.why_not == "amina is driving: ask for control first"
    assert made(lead) == 0


@pytest.mark.parametrize(
    ("fields", "warning"),
    [
        (
            "    grouping: location\n    groups: {size: 4}\n",
            ":11: steps[0].grouping: warning: groups by location, but groups: makes groups of 4 mixing location and "
            "gender as the step is entered; keep the one you mean",
        ),
        (
            "    grouping: {by: random, size: 5}\n    groups: {count: 3, mix: []}\n",
            ":11: steps[0].grouping: warning: random groups of 5, but groups: makes 3 groups as the step is entered; "
            "keep one",
        ),
        ("    grouping: {by: random, size: 4}\n    groups: {size: 4}\n", None),  # the same: no conflict
        ("    grouping: {by: random}\n    groups: {size: 4}\n", None),
        ("    grouping: role\n", None),  # a hint alone, of groups the app does not make: as before
    ],
)
def test_check_warns_of_a_grouping_hint_that_contradicts_the_step_s_groups(
    tmp_path: Path, fields: str, warning: str | None
) -> None:
    loaded = load_workshop(write_workshop(tmp_path / "w", WORKSHOP, EXERCISE + fields))
    found = [str(w) for w in loaded.warnings if "grouping" in str(w)]
    if warning is None:
        assert found == []
    else:
        [only] = found
        assert warning in only and "yes-no.yaml:11:" in only, only
