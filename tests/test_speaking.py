"""Who speaks (issue 17), in the core: the events and their fold, the commands and their refusals, and the tally
of turns and speaking time by gender and location against the people present."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from facilitator.live import days
from facilitator.live.session import Session
from facilitator.problems import InputError
from facilitator.record import catalogue
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock, to_text
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.speaking.tally import DAY, STEP, Row, Tally
from facilitator.speaking.turns import Speaking
from facilitator.team.roles import NotAllowed
from tests.conftest import TINY_PROGRAMME

# -- the events and their fold ---------------------------------------------------------------------------------


def event(seq: int, kind: str, payload: dict[str, Any], clock: FakeClock, actor: str = "amina") -> ev.Event:
    catalogue.validate(kind, payload)
    return ev.Event(seq, f"e{seq}", clock.now(), actor, kind, payload)


def started(turn: str, participant: str) -> dict[str, Any]:
    return {"turn": turn, "participant": participant, "day": "2022-08-22", "exercise": "warm-up", "step": "intro"}


def test_a_new_turn_ends_the_open_one_and_a_stop_ends_it() -> None:
    clock = FakeClock()
    t0 = clock.now()
    speaking = Speaking()
    speaking.apply(event(1, ev.SPEAKING_STARTED, started("t1", "ada"), clock))
    clock.advance(30)
    speaking.apply(event(2, ev.SPEAKING_STARTED, started("t2", "ben"), clock, actor="lead"))
    clock.advance(12)
    speaking.apply(event(3, ev.SPEAKING_STOPPED, {"turn": "t2"}, clock))
    first, second = speaking.turns
    assert (first.participant, first.started, first.ended, first.by) == ("ada", t0, t0 + timedelta(seconds=30), "amina")
    assert (second.participant, second.started, second.ended, second.by) == (
        "ben",
        t0 + timedelta(seconds=30),
        t0 + timedelta(seconds=42),
        "lead",
    )
    assert (first.day, first.exercise, first.step) == (date(2022, 8, 22), "warm-up", "intro")
    assert speaking.open is None and speaking.version == 4  # two starts, the end of t1, the stop of t2


def test_unknown_or_repeated_turns_change_nothing() -> None:
    clock = FakeClock()
    speaking = Speaking.from_events([event(1, ev.SPEAKING_STARTED, started("t1", "ada"), clock)])
    version = speaking.version
    clock.advance(5)
    speaking.apply(event(2, ev.SPEAKING_STOPPED, {"turn": "nope"}, clock))  # no such turn
    speaking.apply(event(3, ev.SPEAKING_STARTED, started("t1", "ben"), clock))  # the same turn again
    assert speaking.version == version and len(speaking.turns) == 1
    assert speaking.open is not None and speaking.open.participant == "ada"
    speaking.apply(event(4, ev.SPEAKING_STOPPED, {"turn": "t1"}, clock))
    speaking.apply(event(5, ev.SPEAKING_STOPPED, {"turn": "t1"}, clock))  # stopped already
    assert speaking.version == version + 1 and speaking.turns[0].ended == clock.now()


def test_an_open_turn_counts_up_to_now_and_ends_with_its_day() -> None:
    clock = FakeClock()
    t0 = clock.now()
    speaking = Speaking.from_events([event(1, ev.SPEAKING_STARTED, started("t1", "ada"), clock)])
    turn = speaking.open
    assert turn is not None and turn.ended is None
    assert turn.length(t0 + timedelta(seconds=75)) == timedelta(seconds=75)
    clock.advance(3600)  # the day's close is written later than the end it records
    closed = {"day": "2022-08-22", "at": to_text(t0 + timedelta(minutes=10)), "inferred": True}
    speaking.apply(event(2, ev.DAY_CLOSED, closed, clock))
    assert speaking.open is None and speaking.turns[0].ended == t0 + timedelta(minutes=10)


def test_the_driver_s_choice_to_show_the_tally_is_folded() -> None:
    clock = FakeClock()
    speaking = Speaking()
    speaking.apply(event(1, ev.SPEAKING_SHOWN, {"shown": True}, clock))
    assert speaking.shown and speaking.version == 1
    speaking.apply(event(2, ev.SPEAKING_SHOWN, {"shown": True}, clock))  # no change
    speaking.apply(event(3, ev.SPEAKING_SHOWN, {"shown": False}, clock))
    assert not speaking.shown and speaking.version == 2


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        (ev.SPEAKING_STARTED, {"turn": "t1"}, "participant"),
        (ev.SPEAKING_STARTED, {**started("t1", "ada"), "day": "Monday"}, "day"),
        (ev.SPEAKING_STARTED, {**started("t1", "ada"), "name": "Ada"}, "Extra inputs"),
        (ev.SPEAKING_STOPPED, {}, "turn"),
        (ev.SPEAKING_SHOWN, {"shown": "perhaps"}, "shown"),
    ],
)
def test_a_speaking_payload_that_does_not_fit_is_refused(kind: str, payload: dict[str, Any], message: str) -> None:
    with pytest.raises(catalogue.BadEvent, match=message):
        catalogue.validate(kind, payload)


# -- a room of 25 and more, on a fake clock ----------------------------------------------------------------------

# 13 women, 10 men, 2 who did not state a gender: women are 52% of the room.
ROOM = (
    [(f"w{n:02d}", "hq" if n <= 8 else "juba", "F") for n in range(1, 14)]
    + [(f"m{n:02d}", "hq" if n <= 4 else "juba", "male") for n in range(1, 11)]
    + [("n01", "hq", None), ("n02", "juba", "")]
)
LATE = ("tardy", "juba", "female")  # checks in at the second step
GONE = ("gone", "hq", "female")  # checked in and out before the first step
AWAY = ("away", "hq", "male")  # never checked in


@pytest.fixture
def room(tmp_path: Path, fake_clock: FakeClock) -> Iterator[Session]:
    store = Store.create(tmp_path / "run.db", Programme.validate(TINY_PROGRAMME), actor="lead", clock=fake_clock)
    lead = Session(store, actor="lead")
    lead.announce()
    for pid, location, gender in [*ROOM, LATE, GONE, AWAY]:
        lead.add_participant(f"Person {pid}", f"{pid}@example.org", location, participant_id=pid, gender=gender)
    lead.check_in("gone")
    fake_clock.advance(60)
    lead.check_out("gone")
    for pid, _location, _gender in ROOM:
        lead.check_in(pid)
    fake_clock.advance(60)
    lead.next_step()  # warm-up/intro
    yield lead
    store.close()


def speak(session: Session, clock: FakeClock, *turns: tuple[str, float]) -> None:
    for pid, seconds in turns:
        session.start_turn(pid)
        clock.advance(seconds)


def row(rows: tuple[Row, ...], group: str) -> Row:
    return next(r for r in rows if r.group == group)


def test_women_are_52_percent_of_the_room_and_31_percent_of_the_speaking_time(
    room: Session, fake_clock: FakeClock
) -> None:
    co = Session(room.store, actor="amina", role="co")
    speak(co, fake_clock, ("w01", 31), ("m01", 50), ("n02", 19))
    co.stop_turn()
    fake_clock.advance(600)  # nobody speaking: the figures stay
    room.refresh()  # the lead's terminal reads what the co-facilitator's wrote
    found = room.speaking_tally("step")
    assert (found.window.kind, found.window.exercise, found.window.step) == (STEP, "warm-up", "intro")
    assert (found.present, found.turns, found.seconds) == (25, 3, 100.0)
    women = row(found.rows_by_gender, "female")
    assert (women.present, women.turns, women.seconds) == (13, 1, 31.0)
    assert (women.share_present, women.share_time) == (0.52, 0.31)  # 13 of 25 present, 31 of 100 seconds: exact
    assert women.share_turns == pytest.approx(1 / 3)
    assert [r.group for r in found.rows_by_gender] == ["female", "male", "not stated"]
    unstated = row(found.rows_by_gender, "not stated")
    assert (unstated.present, unstated.seconds, unstated.share_time) == (2, 19.0, 0.19)
    assert [(r.group, r.present, r.seconds) for r in found.rows_by_location] == [("hq", 13, 81.0), ("juba", 12, 19.0)]
    assert row(found.rows_by_location, "hq").share_present == pytest.approx(0.52)


def test_an_open_turn_counts_to_now_and_the_day_adds_up_its_steps(room: Session, fake_clock: FakeClock) -> None:
    speak(room, fake_clock, ("w01", 31), ("m01", 50), ("n02", 19))
    room.stop_turn()
    fake_clock.advance(10)
    room.next_step()  # warm-up/pairs
    room.check_in("tardy")
    room.start_turn("tardy")
    fake_clock.advance(20)
    assert room.speaking.open is not None and room.speaking.open.participant == "tardy"
    step = room.speaking_tally("step")
    assert (step.window.step, step.present, step.turns, step.seconds) == ("pairs", 26, 1, 20.0)
    assert row(step.rows_by_gender, "female").share_time == 1.0
    assert room.speaking_tally("step", now=fake_clock.now() + timedelta(seconds=40)).seconds == 60.0
    day = room.speaking_tally("day")
    assert (day.window.kind, day.window.day, day.window.step) == (DAY, date(2022, 8, 22), None)
    assert (day.present, day.turns, day.seconds) == (26, 4, 120.0)  # "gone" left before the day began
    women = row(day.rows_by_gender, "female")
    assert (women.present, women.seconds) == (14, 51.0)
    assert women.share_present == pytest.approx(14 / 26) and women.share_time == pytest.approx(51 / 120)
    earlier = room.speaking_tally("day", now=fake_clock.now() - timedelta(seconds=15))
    assert earlier.seconds == 105.0  # an open turn counts up to the moment asked about


def test_a_turn_left_running_stops_counting_at_its_day_s_end(room: Session, fake_clock: FakeClock) -> None:
    turn = room.start_turn("w01")
    next_morning = fake_clock.now() + timedelta(hours=20)  # nobody closed the day, nor stopped the turn
    end = days.day_end(room.state, date(2022, 8, 22), next_morning)
    assert end is not None and turn.at < end.at < next_morning
    assert room.speaking.open is not None  # on the record, still running
    assert room.speaking_tally("day", now=next_morning).seconds == (end.at - turn.at).total_seconds()


def test_a_person_counts_where_they_checked_in(room: Session, fake_clock: FakeClock) -> None:
    room.check_out("w01")
    room.check_in("w01", location="juba")  # on the roster at hq
    speak(room, fake_clock, ("w01", 10))
    found = room.speaking_tally()
    assert [(r.group, r.present, r.seconds) for r in found.rows_by_location] == [("hq", 12, 0.0), ("juba", 13, 10.0)]


def test_a_tally_with_no_turns_has_no_shares_of_time(room: Session) -> None:
    found: Tally = room.speaking_tally()
    assert (found.present, found.turns, found.seconds) == (25, 0, 0.0)
    assert all(r.share_time is None and r.share_turns is None for r in found.rows_by_gender)
    assert row(found.rows_by_gender, "female").share_present == pytest.approx(0.52)


# -- the commands and their refusals ---------------------------------------------------------------------------


def speaking_events(session: Session) -> list[ev.Event]:
    return [e for e in session.store.events() if e.kind.startswith("speaking.")]


def test_a_co_facilitator_or_the_lead_tallies_at_the_step_current_then(room: Session, fake_clock: FakeClock) -> None:
    co = Session(room.store, actor="amina", role="co")
    first = co.start_turn("w01").payload
    assert (first["participant"], first["day"], first["exercise"], first["step"]) == (
        "w01",
        "2022-08-22",
        "warm-up",
        "intro",
    )
    assert len(first["turn"]) == 32
    fake_clock.advance(5)
    second = room.start_turn("m01")  # the lead, from another terminal
    assert co.stop_turn() is not None
    assert co.stop_turn() is None  # nobody has the floor: nothing written
    again = Session(room.store, actor="omar", role="co")  # another process folds the same turns
    room.refresh()
    assert again.speaking.turns == room.speaking.turns == co.speaking.turns
    assert [t.by for t in again.speaking.turns] == ["amina", "lead"]
    assert again.speaking.turns[0].ended == second.at
    assert [e.kind for e in speaking_events(room)] == [ev.SPEAKING_STARTED, ev.SPEAKING_STARTED, ev.SPEAKING_STOPPED]


@pytest.mark.parametrize(
    ("participant", "message"),
    [
        ("nobody", "participant: no participant 'nobody' on the roster"),
        ("away", "participant: Person away is not checked in"),
        ("gone", "participant: Person gone is not checked in"),
    ],
)
def test_a_stranger_or_someone_not_checked_in_gets_no_turn(room: Session, participant: str, message: str) -> None:
    before = room.store.events()
    with pytest.raises(InputError) as refused:
        room.start_turn(participant)
    assert str(refused.value) == message
    assert room.store.events() == before


def test_the_same_speaker_twice_is_one_turn(room: Session) -> None:
    room.start_turn("w01")
    with pytest.raises(InputError, match=r"^participant: Person w01 has the floor already$"):
        room.start_turn("w01")
    assert len(speaking_events(room)) == 1


def test_an_observer_tallies_nothing(room: Session) -> None:
    room.start_turn("w01")
    observer = Session(room.store, actor="omar", role="observer")
    before = room.store.events()
    for command in (lambda: observer.start_turn("m01"), observer.stop_turn, lambda: observer.show_speaking(True)):
        with pytest.raises(NotAllowed, match="observers only look"):
            command()
    assert room.store.events() == before


def test_only_the_driver_shows_the_tally_on_the_room_view(room: Session) -> None:
    co = Session(room.store, actor="amina", role="co")
    co.announce()
    with pytest.raises(NotAllowed, match="lead is driving"):
        co.show_speaking(True)
    assert speaking_events(room) == []
    assert room.show_speaking(True).payload == {"shown": True}
    co.refresh()
    assert co.speaking.shown and room.speaking.shown
    room.hand_control("amina")
    co.refresh()
    co.show_speaking(False)
    room.refresh()
    assert not room.speaking.shown


def test_a_window_that_is_not_step_or_day_is_refused(room: Session) -> None:
    with pytest.raises(InputError, match=r"^window: 'week' is not one of step, day$"):
        room.speaking_tally("week")
