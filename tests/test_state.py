"""Session state as a pure fold of events, the timer derived from events and a fake clock, and session commands."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from facilitator.live.session import Session
from facilitator.live.state import (
    DayClose,
    LastAction,
    Note,
    QuestionStatus,
    RemovedStep,
    SessionState,
    Timer,
    Visit,
    apply,
    fold,
)
from facilitator.problems import InputError
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock, to_text
from facilitator.record.events import Event
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.script.stored import stored_form

T0 = datetime(2022, 8, 22, 7, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


class Log:
    """Hand-made events for the pure fold: no database involved."""

    def __init__(self, programme: Programme) -> None:
        self.events: list[Event] = []
        self.seq = itertools.count(1)
        self.add(ev.RUN_CREATED, {"programme": stored_form(programme)})

    def add(self, kind: str, payload: dict[str, Any] | None = None, *, at: datetime = T0, actor: str = "lead") -> Event:
        seq = next(self.seq)
        event = Event(seq=seq, id=f"e{seq}", at=at, actor=actor, kind=kind, payload=payload or {})
        self.events.append(event)
        return event

    def enter(self, exercise: str, step: str, *, at: datetime = T0, day: str = "2022-08-22") -> Event:
        return self.add(ev.STEP_ENTERED, {"day": day, "exercise": exercise, "step": step}, at=at)

    def state(self) -> SessionState:
        return fold(self.events)


@pytest.fixture
def log(tiny_programme: Programme) -> Log:
    return Log(tiny_programme)


# -- the timer, from hand-made events ---------------------------------------------------------------


def test_remaining_counts_down_from_entering_the_step(log: Log) -> None:
    log.enter("warm-up", "intro", at=T0)  # planned 10 minutes
    timer = log.state().timer
    assert timer is not None
    assert timer.remaining(T0) == 10 * MIN
    assert timer.remaining(T0 + 3 * MIN) == 7 * MIN
    assert timer.remaining(T0 + 10 * MIN) == timedelta()
    assert not timer.paused


def test_paused_time_does_not_count(log: Log) -> None:
    log.enter("warm-up", "intro", at=T0)
    log.add(ev.TIMER_PAUSED, at=T0 + 3 * MIN)
    paused = log.state().timer
    assert paused is not None and paused.paused
    assert paused.remaining(T0 + 3 * MIN) == 7 * MIN
    assert paused.remaining(T0 + 50 * MIN) == 7 * MIN  # frozen however long the pause lasts
    log.add(ev.TIMER_RESUMED, at=T0 + 8 * MIN)
    resumed = log.state().timer
    assert resumed is not None and not resumed.paused
    assert resumed.paused_total == 5 * MIN
    assert resumed.remaining(T0 + 8 * MIN) == 7 * MIN
    assert resumed.remaining(T0 + 9 * MIN) == 6 * MIN


def test_pauses_add_up(log: Log) -> None:
    log.enter("warm-up", "pairs", at=T0)  # planned 15 minutes
    for start in (2, 6, 11):
        log.add(ev.TIMER_PAUSED, at=T0 + start * MIN)
        log.add(ev.TIMER_RESUMED, at=T0 + (start + 2) * MIN)
    timer = log.state().timer
    assert timer is not None
    assert timer.paused_total == 6 * MIN
    assert timer.remaining(T0 + 20 * MIN) == 1 * MIN


def test_a_second_pause_or_a_stray_resume_changes_nothing(log: Log) -> None:
    log.add(ev.TIMER_PAUSED, at=T0)  # no step yet: nothing to pause
    log.add(ev.TIMER_RESUMED, at=T0)
    assert log.state().timer is None
    log.enter("warm-up", "intro", at=T0)
    log.add(ev.TIMER_RESUMED, at=T0 + 1 * MIN)  # not paused
    log.add(ev.TIMER_PAUSED, at=T0 + 2 * MIN)
    log.add(ev.TIMER_PAUSED, at=T0 + 4 * MIN)  # already paused: the pause still began at +2
    log.add(ev.TIMER_RESUMED, at=T0 + 5 * MIN)
    timer = log.state().timer
    assert timer is not None
    assert timer.paused_total == 3 * MIN
    assert timer.remaining(T0 + 5 * MIN) == 8 * MIN


def test_extending_and_shortening(log: Log) -> None:
    log.enter("warm-up", "intro", at=T0)
    log.add(ev.TIMER_ADJUSTED, {"seconds": 300}, at=T0 + 1 * MIN)
    timer = log.state().timer
    assert timer is not None
    assert timer.allowed == 15 * MIN
    assert timer.remaining(T0 + 4 * MIN) == 11 * MIN
    log.add(ev.TIMER_ADJUSTED, {"seconds": -120}, at=T0 + 4 * MIN)
    timer = log.state().timer
    assert timer is not None
    assert timer.adjustment == 3 * MIN
    assert timer.remaining(T0 + 4 * MIN) == 9 * MIN


def test_adjusting_while_paused(log: Log) -> None:
    log.enter("warm-up", "intro", at=T0)
    log.add(ev.TIMER_PAUSED, at=T0 + 4 * MIN)
    log.add(ev.TIMER_ADJUSTED, {"seconds": 60}, at=T0 + 6 * MIN)
    timer = log.state().timer
    assert timer is not None
    assert timer.remaining(T0 + 30 * MIN) == 7 * MIN


def test_an_overrun_gives_negative_remaining_time(log: Log) -> None:
    log.enter("warm-up", "intro", at=T0)
    timer = log.state().timer
    assert timer is not None
    assert timer.remaining(T0 + 12 * MIN) == -2 * MIN
    assert timer.remaining(T0 + 12 * MIN) < timedelta()


def test_shortening_past_zero_counts_everything_as_overrun(log: Log) -> None:
    log.enter("warm-up", "intro", at=T0)
    log.add(ev.TIMER_ADJUSTED, {"seconds": -20 * 60}, at=T0 + 1 * MIN)
    timer = log.state().timer
    assert timer is not None
    assert timer.allowed == timedelta()
    assert timer.remaining(T0 + 3 * MIN) == -3 * MIN


def test_a_clock_behind_the_entry_does_not_add_time(log: Log) -> None:
    log.enter("warm-up", "intro", at=T0)
    timer = log.state().timer
    assert timer is not None
    assert timer.remaining(T0 - 5 * MIN) == 10 * MIN


def test_entering_a_step_starts_a_fresh_timer(log: Log) -> None:
    log.enter("warm-up", "intro", at=T0)
    log.add(ev.TIMER_ADJUSTED, {"seconds": 600}, at=T0)
    log.add(ev.TIMER_PAUSED, at=T0 + 1 * MIN)
    log.enter("warm-up", "pairs", at=T0 + 9 * MIN)
    state = log.state()
    assert state.timer == Timer(entered_at=T0 + 9 * MIN, planned=15 * MIN)
    assert (state.exercise, state.step) == ("warm-up", "pairs")
    assert [v.left_at for v in state.visits] == [T0 + 9 * MIN, None]


# -- the fold ----------------------------------------------------------------------------------------


def test_the_fold_is_pure_and_can_be_resumed_anywhere(log: Log) -> None:
    log.enter("warm-up", "intro", at=T0)
    log.add(ev.TIMER_PAUSED, at=T0 + 1 * MIN)
    log.add(ev.TIMER_RESUMED, at=T0 + 2 * MIN)
    log.add(ev.REFLECTION_LOGGED, {"reflection": "r1", "text": "one", "day": "2022-08-22"}, at=T0 + 3 * MIN)
    log.enter("reflect", "write", at=T0 + 4 * MIN)
    log.add(ev.REFLECTION_EDITED, {"reflection": "r1", "text": "one, edited"}, at=T0 + 5 * MIN)
    whole = fold(log.events)
    assert fold(log.events) == whole
    for cut in range(len(log.events) + 1):
        assert fold(log.events[cut:], fold(log.events[:cut])) == whole
    assert whole.last_seq == log.events[-1].seq
    assert fold([]) == SessionState()


def test_unknown_events_change_nothing_but_the_position(log: Log) -> None:
    log.enter("warm-up", "intro", at=T0)
    before = log.state()
    log.add("something.from.the.future", {"whatever": 1}, at=T0 + 1 * MIN)
    after = log.state()
    assert after.last_seq == before.last_seq + 1
    assert apply(before, log.events[-1]) == after
    assert after.timer == before.timer
    assert after.visits == before.visits


def test_opening_a_day_clears_the_current_step(log: Log) -> None:
    log.enter("warm-up", "intro", at=T0)
    log.add(ev.DAY_OPENED, {"day": "2022-08-23"}, at=T0 + 1 * MIN)
    state = log.state()
    assert state.day == date(2022, 8, 23)
    assert (state.exercise, state.step, state.timer) == (None, None, None)
    assert [p.key for p in state.day_timeline()] == ["reflect/write", "reflect/share"]


def test_reflections_are_logged_edited_and_retracted(log: Log) -> None:
    log.enter("reflect", "write", at=T0)
    logged = {"reflection": "r1", "text": "Budgets are policy", "location": "juba", "consent": False}
    log.add(ev.REFLECTION_LOGGED, {**logged, "day": "2022-08-22", "prompt": "What will you take away?"}, at=T0)
    log.add(ev.REFLECTION_LOGGED, {**logged, "text": "a replay must not win"}, at=T0 + 1 * MIN)
    log.add(ev.REFLECTION_EDITED, {"reflection": "r1", "text": "Budgets are policy.", "consent": 1}, at=T0 + 2 * MIN)
    log.add(ev.REFLECTION_EDITED, {"reflection": "nope", "text": "ignored"}, at=T0 + 2 * MIN)
    log.add(ev.REFLECTION_LOGGED, {"reflection": "r2", "text": "Take it back"}, at=T0 + 3 * MIN)
    log.add(ev.REFLECTION_RETRACTED, {"reflection": "r2"}, at=T0 + 4 * MIN)
    state = log.state()
    r1 = state.reflections["r1"]
    assert (r1.text, r1.consent, r1.location, r1.edited_at) == ("Budgets are policy.", True, "juba", T0 + 2 * MIN)
    assert r1.logged_at == T0
    assert r1.prompt == "What will you take away?"
    assert state.reflections["r2"].retracted
    assert [r.id for r in state.visible_reflections()] == ["r1"]
    assert "nope" not in state.reflections


# -- the timer through real sessions and a fake clock -------------------------------------------------


def did(event: Event | None, kind: str, payload: dict[str, Any]) -> Event:
    """The event a command wrote, checked: of ``kind``, with ``payload`` (a command that did nothing returns None)."""
    assert event is not None, f"expected {kind}, nothing was written"
    assert (event.kind, event.payload) == (kind, payload)
    return event


def test_timer_through_session_commands(run_store: Store, fake_clock: FakeClock) -> None:
    session = Session(run_store, actor="lead")
    start = fake_clock.now()
    did(session.next_step(), ev.STEP_ENTERED, {"day": "2022-08-22", "exercise": "warm-up", "step": "intro"})
    assert session.state.timer == Timer(entered_at=start, planned=10 * MIN)
    fake_clock.advance(3 * MIN)
    timer = session.state.timer
    assert timer is not None
    assert timer.remaining(fake_clock.now()) == 7 * MIN

    did(session.pause(), ev.TIMER_PAUSED, {})
    assert session.state.timer is not None and session.state.timer.paused_since == fake_clock.now()
    assert session.pause() is None  # already paused
    fake_clock.advance(5 * MIN)
    timer = session.state.timer
    assert timer is not None
    assert timer.remaining(fake_clock.now()) == 7 * MIN

    did(session.resume(), ev.TIMER_RESUMED, {})
    timer = session.state.timer
    assert timer is not None and (timer.paused_since, timer.paused_total) == (None, 5 * MIN)
    assert session.resume() is None  # not paused
    fake_clock.advance(1 * MIN)
    did(session.adjust(timedelta(minutes=5)), ev.TIMER_ADJUSTED, {"seconds": 300})
    assert session.adjust(timedelta()) is None
    timer = session.state.timer
    assert timer is not None
    assert timer.adjustment == 5 * MIN
    assert timer.remaining(fake_clock.now()) == 11 * MIN
    did(session.adjust(timedelta(minutes=-2)), ev.TIMER_ADJUSTED, {"seconds": -120})
    fake_clock.advance(20 * MIN)
    timer = session.state.timer
    assert timer is not None
    assert timer.remaining(fake_clock.now()) == -11 * MIN  # overrun

    # another process sees the same timer from the same events
    with Store.open(run_store.path, clock=fake_clock) as other:
        assert Session(other, actor="co-juba").state.timer == timer


def test_pause_resume_and_adjust_need_a_current_step(run_store: Store) -> None:
    session = Session(run_store, actor="lead")
    assert session.pause() is None
    assert session.resume() is None
    assert session.adjust(timedelta(minutes=1)) is None
    assert len(run_store.events()) == 1


# -- session commands ----------------------------------------------------------------------------------


def test_next_and_previous_step_walk_the_days_timeline(run_store: Store) -> None:
    session = Session(run_store, actor="lead")
    first = {"day": "2022-08-22", "exercise": "warm-up", "step": "intro"}
    did(session.previous_step(), ev.STEP_ENTERED, first)  # nothing current yet: starts at the first step
    assert session.previous_step() is None  # already at the first
    walked = [(session.state.exercise, session.state.step)]
    while session.next_step() is not None:
        walked.append((session.state.exercise, session.state.step))
    assert walked == [("warm-up", "intro"), ("warm-up", "pairs"), ("reflect", "write"), ("reflect", "share")]
    assert session.next_step() is None  # the day's last step: nothing written
    did(session.previous_step(), ev.STEP_ENTERED, {"day": "2022-08-22", "exercise": "reflect", "step": "write"})
    assert (session.state.exercise, session.state.step) == ("reflect", "write")
    assert [(v.exercise, v.step, v.left_at is None) for v in session.state.visits][-2:] == [
        ("reflect", "share", False),
        ("reflect", "write", True),
    ]
    current = session.state.current
    assert current is not None and current.step.prompt is not None


def test_entering_a_step_that_is_not_on_the_day_is_refused(run_store: Store) -> None:
    session = Session(run_store, actor="lead")
    with pytest.raises(InputError, match="not on the agenda"):
        session.enter_step("warm-up", "intro", on=date(2022, 8, 23))
    with pytest.raises(InputError, match="no step"):
        session.enter_step("warm-up", "nope")
    assert len(run_store.events()) == 1


def test_a_reflection_is_logged_against_the_current_step_and_its_prompt(run_store: Store) -> None:
    session = Session(run_store, actor="lead")
    session.next_step()
    session.next_step()
    session.next_step()  # reflect/write, with a prompt
    event = session.log_reflection("  Budgets are policy  ", participant="Amina", location="juba", consent=True)
    reflection = session.state.reflections[event.payload["reflection"]]
    assert reflection.text == "Budgets are policy"
    assert (reflection.exercise, reflection.step) == ("reflect", "write")
    assert reflection.prompt == "What will you take away?"
    assert reflection.day == date(2022, 8, 22)
    assert reflection.consent


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("   ", {}, "cannot be empty"),
        ("x" * 4001, {}, "at most"),
        ("fine", {"location": "atlantis"}, "no location 'atlantis'"),
    ],
)
def test_bad_reflections_are_refused(run_store: Store, text: str, kwargs: dict[str, Any], message: str) -> None:
    session = Session(run_store, actor="lead")
    with pytest.raises(InputError, match=message):
        session.log_reflection(text, **kwargs)
    assert len(run_store.events()) == 1


def test_editing_or_retracting_an_unknown_reflection_is_refused(run_store: Store) -> None:
    session = Session(run_store, actor="lead")
    with pytest.raises(InputError, match="no reflection"):
        session.edit_reflection("nope", text="x")
    with pytest.raises(InputError, match="no reflection"):
        session.retract_reflection("nope")
    assert len(run_store.events()) == 1


def test_two_sessions_on_one_run_see_each_others_commands(run_store: Store, fake_clock: FakeClock) -> None:
    lead = Session(run_store, actor="lead")
    with Store.open(run_store.path, clock=fake_clock) as other_store:
        co = Session(other_store, actor="co-juba")
        lead.next_step()
        co.pause()  # refreshes first, so it pauses the step the lead entered
        assert co.state.timer is not None and co.state.timer.paused
        fake_clock.advance(2 * MIN)
        lead.resume()
        co.refresh()
        assert co.state == lead.state
        assert co.state.timer is not None and co.state.timer.paused_total == 2 * MIN


# -- mutants that survived (issue 26): each test below fails when one of them is put back ------------------


def test_a_reflection_records_who_logged_it_where_from_and_about_whom(log: Log) -> None:
    log.add(
        ev.REFLECTION_LOGGED,
        {"reflection": "r1", "text": "Budgets are policy", "participant": "Amina", "participant_id": "amina"},
        at=T0,
        actor="co-juba",
    )
    log.add(ev.REFLECTION_LOGGED, {"reflection": "r2", "text": "From a phone", "source": "qr"}, at=T0 + MIN)
    r1, r2 = log.state().reflections["r1"], log.state().reflections["r2"]
    assert (r1.participant, r1.participant_id, r1.source, r1.logged_by) == ("Amina", "amina", "facilitator", "co-juba")
    assert (r1.day, r1.exercise, r1.step, r1.prompt, r1.location, r1.consent) == (None, None, None, None, None, False)
    assert (r2.participant, r2.participant_id, r2.source, r2.logged_by) == (None, None, "qr", "lead")
    assert (r2.hidden, r2.retracted, r2.edited_at) == (False, False, None)


def test_hiding_a_reflection_takes_it_out_of_the_visible_ones_and_showing_brings_it_back(log: Log) -> None:
    log.add(ev.REFLECTION_LOGGED, {"reflection": "r1", "text": "one"})
    log.add(ev.REFLECTION_LOGGED, {"reflection": "r2", "text": "two"})
    log.add(ev.REFLECTION_HIDDEN, {"reflection": "r1", "hidden": True}, at=T0 + MIN)
    log.add(ev.REFLECTION_HIDDEN, {"reflection": "nope", "hidden": True}, at=T0 + MIN)  # unknown: nothing
    hidden = log.state()
    assert hidden.reflections["r1"].hidden and not hidden.reflections["r2"].hidden
    assert [r.id for r in hidden.visible_reflections()] == ["r2"]
    assert set(hidden.reflections) == {"r1", "r2"}
    log.add(ev.REFLECTION_HIDDEN, {"reflection": "r1", "hidden": False}, at=T0 + 2 * MIN)
    assert [r.id for r in log.state().visible_reflections()] == ["r1", "r2"]
    assert log.state().reflections["r1"] == replace(hidden.reflections["r1"], hidden=False)


def test_editing_a_reflection_changes_only_what_the_edit_names(log: Log) -> None:
    log.add(
        ev.REFLECTION_LOGGED, {"reflection": "r1", "text": "one", "participant": "A", "location": "hq", "consent": 1}
    )
    log.add(ev.REFLECTION_EDITED, {"reflection": "r1", "participant": "B", "location": "juba"}, at=T0 + MIN)
    r1 = log.state().reflections["r1"]
    assert (r1.text, r1.participant, r1.location, r1.consent, r1.edited_at) == ("one", "B", "juba", True, T0 + MIN)
    log.add(ev.REFLECTION_EDITED, {"reflection": "r1", "consent": 0}, at=T0 + 2 * MIN)
    assert log.state().reflections["r1"].consent is False


def test_the_first_lead_to_join_drives_and_nobody_else_takes_an_empty_seat(log: Log) -> None:
    log.add(ev.FACILITATOR_JOINED, {"role": "co", "location": "juba", "from": "192.0.2.7"}, at=T0, actor="amina")
    log.add(ev.FACILITATOR_JOINED, {"role": "observer"}, at=T0 + MIN, actor="olu")
    assert log.state().driver is None
    amina = log.state().facilitators["amina"]
    assert (amina.name, amina.role, amina.location, amina.joined_at, amina.address) == (
        "amina",
        "co",
        "juba",
        T0,
        "192.0.2.7",
    )
    log.add(ev.FACILITATOR_JOINED, {"role": "lead"}, at=T0 + 2 * MIN, actor="lead")
    assert log.state().driver == "lead"
    log.add(ev.FACILITATOR_JOINED, {"role": "lead"}, at=T0 + 3 * MIN, actor="second-lead")
    log.add(ev.FACILITATOR_JOINED, {"role": "co"}, at=T0 + 4 * MIN, actor="amina")  # joins again
    state = log.state()
    assert state.driver == "lead"
    assert list(state.facilitators) == ["amina", "olu", "lead", "second-lead"]
    assert (state.facilitators["amina"].joined_at, state.facilitators["amina"].location) == (T0 + 4 * MIN, None)


def test_control_requests_queue_once_each_and_never_the_driver_s(log: Log) -> None:
    log.add(ev.FACILITATOR_JOINED, {"role": "lead"}, actor="lead")
    log.add(ev.CONTROL_REQUESTED, {}, actor="lead")  # the driver asking: nothing to queue
    log.add(ev.CONTROL_REQUESTED, {}, actor="amina")
    log.add(ev.CONTROL_REQUESTED, {}, actor="bob")
    log.add(ev.CONTROL_REQUESTED, {}, actor="amina")  # again: still once, in her first place
    assert log.state().control_requests == ("amina", "bob")
    log.add(ev.CONTROL_DECLINED, {"to": "amina"}, actor="lead")
    assert (log.state().control_requests, log.state().driver) == (("bob",), "lead")
    log.add(ev.CONTROL_REQUESTED, {}, actor="amina")
    log.add(ev.CONTROL_HANDED, {"to": "bob"}, actor="lead")
    assert (log.state().driver, log.state().control_requests) == ("bob", ("amina",))


def test_a_takeover_drives_and_clears_the_taker_s_own_request(log: Log) -> None:
    log.add(ev.FACILITATOR_JOINED, {"role": "lead"}, actor="lead")
    log.add(ev.CONTROL_REQUESTED, {}, actor="bob")
    log.add(ev.CONTROL_REQUESTED, {}, actor="amina")
    log.add(ev.CONTROL_TAKEN, {"from": "lead"}, actor="amina")
    state = log.state()
    assert (state.driver, state.control_requests) == ("amina", ("bob",))


def test_a_note_keeps_its_id_sender_recipient_and_position(log: Log) -> None:
    log.add(ev.NOTE_SENT, {"note": "n1", "to": "lead", "text": "five more minutes"}, at=T0, actor="amina")
    log.add(ev.NOTE_SENT, {"text": "no id"}, at=T0 + MIN, actor="bob")
    first, second = log.state().notes
    assert first == Note(id="n1", at=T0, sender="amina", to="lead", text="five more minutes", seq=2)
    assert second == Note(id="e3", at=T0 + MIN, sender="bob", to=None, text="no id", seq=3)


def test_opening_a_day_ends_the_visit_of_the_day_before(log: Log) -> None:
    log.enter("warm-up", "intro", at=T0)
    log.add(ev.DAY_OPENED, {"day": "2022-08-23"}, at=T0 + 30 * MIN)
    state = log.state()
    assert state.visits == (Visit(date(2022, 8, 22), "warm-up", "intro", T0, T0 + 30 * MIN),)
    assert state.opened == frozenset({date(2022, 8, 22), date(2022, 8, 23)})
    assert state.removed is None and state.day == date(2022, 8, 23)


def _without(programme: Programme, exercise: str, step: str) -> dict[str, Any]:
    """The programme as JSON with one step taken out."""
    raw = stored_form(programme)
    for found in raw["exercises"]:
        if found["id"] == exercise:
            found["steps"] = [s for s in found["steps"] if s["id"] != step]
    return raw


def test_a_reload_that_removes_the_current_step_leaves_no_step_current(log: Log, tiny_programme: Programme) -> None:
    log.enter("warm-up", "pairs", at=T0)
    log.add(ev.PROGRAMME_LOADED, {"programme": _without(tiny_programme, "warm-up", "pairs"), "digest": "v2"}, at=T0)
    state = log.state()
    assert (state.exercise, state.step, state.timer, state.current) == (None, None, None, None)
    assert state.removed == RemovedStep("warm-up", "pairs", "Pairs", ("reflect", "write"))
    assert state.digest == "v2" and state.day == date(2022, 8, 22)
    assert state.visits[-1].left_at is None  # the room is still where it was
    assert state.next_step is not None and state.next_step.key == "reflect/write"


def test_a_reload_that_keeps_the_current_step_keeps_its_timer_against_the_new_duration(
    log: Log, tiny_programme: Programme
) -> None:
    log.enter("warm-up", "pairs", at=T0)
    log.add(ev.TIMER_ADJUSTED, {"seconds": 60}, at=T0 + MIN)
    raw = stored_form(tiny_programme)
    raw["exercises"][0]["steps"][1]["duration"] = "20m"
    log.add(ev.PROGRAMME_LOADED, {"programme": raw}, at=T0 + 2 * MIN)
    state = log.state()
    assert (state.exercise, state.step, state.removed, state.digest) == ("warm-up", "pairs", None, "")
    assert state.timer == Timer(entered_at=T0, planned=20 * MIN, adjustment=MIN)


def test_entering_steps_closes_only_the_visit_before(log: Log) -> None:
    log.enter("warm-up", "intro", at=T0)
    log.enter("warm-up", "pairs", at=T0 + 10 * MIN)
    log.enter("reflect", "write", at=T0 + 25 * MIN)
    assert log.state().visits == (
        Visit(date(2022, 8, 22), "warm-up", "intro", T0, T0 + 10 * MIN),
        Visit(date(2022, 8, 22), "warm-up", "pairs", T0 + 10 * MIN, T0 + 25 * MIN),
        Visit(date(2022, 8, 22), "reflect", "write", T0 + 25 * MIN, None),
    )


def test_the_run_remembers_where_it_came_from(tiny_programme: Programme) -> None:
    created = Event(
        seq=1,
        id="e1",
        at=T0,
        actor="lead",
        kind=ev.RUN_CREATED,
        payload={"programme": stored_form(tiny_programme), "source": "exercises/", "digest": "d1"},
    )
    state = fold([created])
    assert (state.programme, state.source, state.digest) == (tiny_programme, "exercises/", "d1")
    bare = fold([replace(created, payload={"programme": stored_form(tiny_programme)})])
    assert (bare.source, bare.digest) == (None, "")


# -- the team's last action on each day (facilitator.live.days infers a day's end from it) ---------------------


def test_the_last_action_of_each_day_is_its_latest_step_pause_resume_or_extension(log: Log) -> None:
    day1, day2 = date(2022, 8, 22), date(2022, 8, 23)
    assert log.state().last_actions == {}
    log.enter("warm-up", "intro", at=T0)
    assert log.state().last_actions == {day1: LastAction(T0, "warm-up", "intro", Timer(T0, 10 * MIN))}
    log.add(ev.TIMER_PAUSED, at=T0 + 2 * MIN)
    assert log.state().last_actions[day1].at == T0 + 2 * MIN
    assert log.state().last_actions[day1].timer == Timer(T0, 10 * MIN, paused_since=T0 + 2 * MIN)
    log.add(ev.TIMER_RESUMED, at=T0 + 4 * MIN)
    assert log.state().last_actions[day1].at == T0 + 4 * MIN
    log.add(ev.TIMER_ADJUSTED, {"seconds": 60}, at=T0 + 5 * MIN)
    action = log.state().last_actions[day1]
    assert action == LastAction(T0 + 5 * MIN, "warm-up", "intro", Timer(T0, 10 * MIN, MIN, 2 * MIN))
    log.add(ev.REFLECTION_LOGGED, {"reflection": "r1", "text": "not a step action"}, at=T0 + 6 * MIN)
    log.enter("reflect", "write", at=T0 + 24 * 60 * MIN, day="2022-08-23")
    state = log.state()
    assert state.last_actions[day1] == action  # day 1's stays as it was
    assert state.last_actions[day2] == LastAction(
        T0 + 24 * 60 * MIN, "reflect", "write", Timer(T0 + 24 * 60 * MIN, 5 * MIN)
    )


# -- closing a day --------------------------------------------------------------------------------------------


def test_closing_the_current_day_ends_its_visits_at_the_close_and_leaves_no_step_current(log: Log) -> None:
    day1 = date(2022, 8, 22)
    log.enter("warm-up", "intro", at=T0)
    log.add(ev.DAY_CLOSED, {"day": "2022-08-22", "at": to_text(T0 + 40 * MIN), "inferred": True}, at=T0 + 90 * MIN)
    state = log.state()
    assert state.visits == (Visit(day1, "warm-up", "intro", T0, T0 + 40 * MIN),)
    assert state.closed == {day1: DayClose(at=T0 + 40 * MIN, inferred=True, by="lead")}
    assert (state.day, state.exercise, state.step, state.timer, state.current) == (day1, None, None, None, None)


def test_a_close_dated_earlier_cuts_later_visits_of_its_day_only(log: Log) -> None:
    day1, day2 = date(2022, 8, 22), date(2022, 8, 23)
    log.enter("warm-up", "intro", at=T0)
    log.enter("warm-up", "pairs", at=T0 + 10 * MIN)
    log.enter("reflect", "write", at=T0 + 60 * MIN, day="2022-08-23")  # the next day, say, in a rehearsal
    # Day 1 closed (by a process, once left open) at its inferred end, 09:05 UTC: between its two visits.
    log.add(ev.DAY_CLOSED, {"day": "2022-08-22", "at": to_text(T0 + 5 * MIN), "inferred": True}, at=T0 + 61 * MIN)
    state = log.state()
    assert state.visits == (
        Visit(day1, "warm-up", "intro", T0, T0 + 5 * MIN),
        Visit(day1, "warm-up", "pairs", T0 + 10 * MIN, T0 + 10 * MIN),  # never before its entry
        Visit(day2, "reflect", "write", T0 + 60 * MIN, None),
    )
    assert (state.day, state.exercise, state.step) == (day2, "reflect", "write")  # another day: still current
    assert state.timer is not None and state.closed[day1].inferred


def test_a_close_without_a_time_is_at_the_event_and_by_its_actor(log: Log) -> None:
    day1 = date(2022, 8, 22)
    log.enter("warm-up", "intro", at=T0)
    log.add(ev.DAY_CLOSED, {"day": "2022-08-22"}, at=T0 + 7 * MIN, actor="amina")
    state = log.state()
    assert state.closed == {day1: DayClose(at=T0 + 7 * MIN, inferred=False, by="amina")}
    assert state.visits[-1].left_at == T0 + 7 * MIN


def test_entering_a_step_of_a_closed_day_reopens_that_day_only(log: Log) -> None:
    day1, day2 = date(2022, 8, 22), date(2022, 8, 23)
    log.enter("warm-up", "intro", at=T0)
    log.add(ev.DAY_CLOSED, {"day": "2022-08-22", "at": to_text(T0 + MIN)}, at=T0 + MIN)
    log.enter("reflect", "write", at=T0 + 2 * MIN, day="2022-08-23")
    log.add(ev.DAY_CLOSED, {"day": "2022-08-23", "at": to_text(T0 + 3 * MIN)}, at=T0 + 3 * MIN)
    assert set(log.state().closed) == {day1, day2}
    log.enter("warm-up", "pairs", at=T0 + 4 * MIN)
    state = log.state()
    assert list(state.closed) == [day2]
    assert (state.day, state.step, state.opened) == (day1, "pairs", frozenset({day1, day2}))


# -- a new version of the script (programme.loaded) ------------------------------------------------------


def script(programme: Programme, **steps: list[str]) -> dict[str, Any]:
    """The programme as JSON, each exercise named in ``steps`` given those step ids (new ones take 5 minutes)."""
    raw = stored_form(programme)
    for exercise in raw["exercises"]:
        if exercise["id"] in steps:
            known = {s["id"]: s for s in exercise["steps"]}
            exercise["steps"] = [
                known.get(i, {"id": i, "title": i.title(), "kind": "discussion", "duration": "5m"})
                for i in steps[exercise["id"]]
            ]
    return raw


def reload(log: Log, raw: dict[str, Any], at: datetime = T0) -> SessionState:
    log.add(ev.PROGRAMME_LOADED, {"programme": raw, "digest": "v2"}, at=at)
    return log.state()


def test_a_reload_before_any_day_changes_only_the_script(log: Log, tiny_programme: Programme) -> None:
    raw = script(tiny_programme, reflect=["write"])
    state = reload(log, raw)
    assert state.programme == Programme.validate(raw)
    assert (state.day, state.step, state.removed, state.digest) == (None, None, None, "v2")


def test_a_reload_with_a_day_open_and_no_step_keeps_the_day(log: Log, tiny_programme: Programme) -> None:
    log.add(ev.DAY_OPENED, {"day": "2022-08-23"})
    state = reload(log, script(tiny_programme, reflect=["share", "write"]))
    assert (state.day, state.step, state.removed) == (date(2022, 8, 23), None, None)
    assert state.next_step is not None and state.next_step.key == "reflect/share"


def test_a_removed_step_whose_followers_are_gone_too_resumes_after_its_last_surviving_predecessor(
    log: Log, tiny_programme: Programme
) -> None:
    log.enter("reflect", "write", at=T0)
    state = reload(log, script(tiny_programme, reflect=["new"]))  # write and share gone, new added
    assert state.removed == RemovedStep("reflect", "write", "Write a reflection", ("reflect", "new"))
    keys = [p.key for p in state.day_timeline()]
    assert keys == ["warm-up/intro", "warm-up/pairs", "reflect/new"]
    assert state.next_step is not None and state.next_step.key == "reflect/new"
    as_keys = [(k.split("/")[0], k.split("/")[1]) for k in keys]
    assert (state.index_without_current(as_keys, +1), state.index_without_current(as_keys, -1)) == (2, 1)


def test_a_removed_last_step_leaves_nowhere_to_go_on_but_back(log: Log, tiny_programme: Programme) -> None:
    log.enter("reflect", "share", at=T0)
    state = reload(log, script(tiny_programme, reflect=["write"]))
    assert state.removed == RemovedStep("reflect", "share", "Share", None)
    assert state.next_step is None
    keys = [("warm-up", "intro"), ("warm-up", "pairs"), ("reflect", "write")]
    assert (state.index_without_current(keys, +1), state.index_without_current(keys, -1)) == (3, 2)
    state = reload(log, script(tiny_programme, reflect=["write", "more"]))  # a later reload: still nowhere
    assert state.removed is not None and state.removed.resume_at is None


def test_a_removed_step_with_nothing_left_around_it_resumes_at_the_day_s_first(
    log: Log, tiny_programme: Programme
) -> None:
    log.enter("warm-up", "pairs", at=T0)
    state = reload(log, script(tiny_programme, **{"warm-up": ["a"], "reflect": ["b"]}))
    assert state.removed == RemovedStep("warm-up", "pairs", "Pairs", ("warm-up", "a"))
    assert SessionState().index_without_current([("warm-up", "a")], +1) == 0  # nothing removed: the first


def test_a_second_reload_that_removes_where_the_day_was_to_go_on_moves_it_on(
    log: Log, tiny_programme: Programme
) -> None:
    log.enter("warm-up", "pairs", at=T0)
    first = reload(log, script(tiny_programme, **{"warm-up": ["intro"]}))
    assert first.removed is not None and first.removed.resume_at == ("reflect", "write")
    kept = reload(log, script(tiny_programme, **{"warm-up": ["intro", "extra"]}))
    assert kept.removed == first.removed  # the place to go on is still there
    second = reload(log, script(tiny_programme, **{"warm-up": ["intro"], "reflect": ["share"]}))
    assert second.removed == RemovedStep("warm-up", "pairs", "Pairs", ("reflect", "share"))
    assert (second.exercise, second.step, second.timer) == (None, None, None)


def test_stepping_on_opening_or_closing_the_day_forgets_the_removed_step(log: Log, tiny_programme: Programme) -> None:
    log.enter("warm-up", "pairs", at=T0)
    assert reload(log, script(tiny_programme, **{"warm-up": ["intro"]})).removed is not None
    log.enter("reflect", "write", at=T0 + MIN)
    assert log.state().removed is None
    assert reload(log, script(tiny_programme, reflect=["share"])).removed is not None
    log.add(ev.DAY_OPENED, {"day": "2022-08-23"}, at=T0 + 2 * MIN)
    assert log.state().removed is None
    log.enter("reflect", "share", at=T0 + 3 * MIN, day="2022-08-23")
    assert reload(log, script(tiny_programme, reflect=["write"])).removed is not None
    log.add(ev.DAY_CLOSED, {"day": "2022-08-22"}, at=T0 + 4 * MIN)  # another day: the removed step stays
    assert log.state().removed is not None
    log.add(ev.DAY_CLOSED, {"day": "2022-08-23"}, at=T0 + 5 * MIN)
    assert log.state().removed is None


def test_a_step_entered_off_the_day_s_agenda_is_followed_through_a_reload(log: Log, tiny_programme: Programme) -> None:
    """An old log may hold a step of another day's agenda: a reload goes on at the day's first step."""
    log.enter("warm-up", "intro", at=T0, day="2022-08-23")  # day 2's agenda is reflect only
    state = reload(log, script(tiny_programme, reflect=["share", "write"]))
    assert state.removed == RemovedStep("warm-up", "intro", "intro", ("reflect", "share"))


def workshop_days(programme: Programme, *dates: str) -> dict[str, Any]:
    raw = stored_form(programme)
    template = raw["workshop"]["days"][-1]
    raw["workshop"]["days"] = [{**template, "date": d} for d in dates]
    return raw


@pytest.mark.parametrize(
    ("current", "dates", "becomes"),
    [
        ("2022-08-23", ["2022-08-22", "2022-08-24"], "2022-08-24"),  # its date changed: the day at its place
        ("2022-08-23", ["2022-08-22"], "2022-08-22"),  # taken out, fewer days: the last day
        ("2022-08-22", ["2022-08-21", "2022-08-22", "2022-08-23"], "2022-08-22"),  # kept, moved down the list
        ("2022-08-30", ["2022-08-24", "2022-08-25"], "2022-08-24"),  # a day the script never had: the first
    ],
)
def test_a_reload_that_takes_the_current_day_away_goes_on_with_the_day_at_its_place(
    log: Log, tiny_programme: Programme, current: str, dates: list[str], becomes: str
) -> None:
    log.add(ev.DAY_OPENED, {"day": current})
    state = reload(log, workshop_days(tiny_programme, *dates))
    assert state.day == date.fromisoformat(becomes)
    assert state.next_step is not None and state.next_step.key == "reflect/write"


# -- the questions: opened and closed with their steps, results revealed (answers fold apart) -------------------


def test_a_question_opens_closes_and_shows_its_results_by_its_key(log: Log) -> None:
    log.add(ev.QUESTION_OPENED, {"question": "mood"}, at=T0)
    log.add(ev.QUESTION_OPENED, {"question": "wps/pre/q1"}, at=T0 + MIN)
    assert log.state().questions == {
        "mood": QuestionStatus(opened_at=T0, closed_at=None, revealed=False),
        "wps/pre/q1": QuestionStatus(opened_at=T0 + MIN, closed_at=None, revealed=False),
    }
    log.add(ev.QUESTION_REVEALED, {"question": "mood", "revealed": True}, at=T0 + 2 * MIN)
    log.add(ev.QUESTION_CLOSED, {"question": "mood"}, at=T0 + 3 * MIN)
    state = log.state()
    assert state.questions["mood"] == QuestionStatus(opened_at=T0, closed_at=T0 + 3 * MIN, revealed=True)
    assert not state.questions["mood"].open
    assert state.questions["wps/pre/q1"] == QuestionStatus(opened_at=T0 + MIN)
    assert state.questions["wps/pre/q1"].open
    log.add(ev.QUESTION_REVEALED, {"question": "mood", "revealed": False}, at=T0 + 4 * MIN)
    assert log.state().questions["mood"] == QuestionStatus(opened_at=T0, closed_at=T0 + 3 * MIN, revealed=False)


def test_a_closed_question_stays_closed_at_its_first_close(log: Log) -> None:
    log.add(ev.QUESTION_OPENED, {"question": "mood"}, at=T0)
    log.add(ev.QUESTION_CLOSED, {"question": "mood"}, at=T0 + MIN)
    log.add(ev.QUESTION_CLOSED, {"question": "mood"}, at=T0 + 2 * MIN)  # a second close changes nothing
    assert log.state().questions == {"mood": QuestionStatus(opened_at=T0, closed_at=T0 + MIN)}


def test_a_question_opened_again_is_open_from_then_and_keeps_its_results_shown(log: Log) -> None:
    log.add(ev.QUESTION_OPENED, {"question": "mood"}, at=T0)
    log.add(ev.QUESTION_REVEALED, {"question": "mood", "revealed": True}, at=T0 + MIN)
    log.add(ev.QUESTION_CLOSED, {"question": "mood"}, at=T0 + 2 * MIN)
    log.add(ev.QUESTION_OPENED, {"question": "mood"}, at=T0 + 5 * MIN)
    assert log.state().questions == {"mood": QuestionStatus(opened_at=T0 + 5 * MIN, closed_at=None, revealed=True)}
    log.add(ev.QUESTION_CLOSED, {"question": "mood"}, at=T0 + 6 * MIN)
    log.add(ev.QUESTION_OPENED, {"question": "mood"}, at=T0 + 7 * MIN)  # hidden stays hidden too
    log.add(ev.QUESTION_REVEALED, {"question": "mood", "revealed": False}, at=T0 + 8 * MIN)
    log.add(ev.QUESTION_OPENED, {"question": "mood"}, at=T0 + 9 * MIN)
    assert log.state().questions == {"mood": QuestionStatus(opened_at=T0 + 9 * MIN, revealed=False)}


def test_closing_or_revealing_a_question_never_opened_changes_nothing_but_the_position(log: Log) -> None:
    log.add(ev.QUESTION_OPENED, {"question": "mood"}, at=T0)
    before = log.state()
    log.add(ev.QUESTION_CLOSED, {"question": "where"}, at=T0 + MIN)
    last = log.add(ev.QUESTION_REVEALED, {"question": "where", "revealed": True}, at=T0 + 2 * MIN)
    after = log.state()
    assert after.questions == {"mood": QuestionStatus(opened_at=T0)}
    assert after == replace(before, last_seq=last.seq)


def test_fold_gives_what_apply_gives_event_by_event_in_any_split(log: Log) -> None:
    """fold gathers reflections and notes apart (linear time); the state must be the one apply builds."""
    log.enter("warm-up", "intro", at=T0)
    log.add(ev.FACILITATOR_JOINED, {"role": "lead"}, at=T0)
    for n in range(6):
        at = T0 + n * MIN
        log.add(ev.REFLECTION_LOGGED, {"reflection": f"r{n}", "text": f"t{n}", "day": "2022-08-22"}, at=at)
        log.add(ev.ATTENDANCE_CHECKED_IN, {"participant": f"p{n}", "source": "qr"}, at=at)
        log.add(ev.NOTE_SENT, {"note": f"n{n}", "text": f"note {n}"}, at=at, actor="co")
        log.add(ev.REFLECTION_EDITED, {"reflection": f"r{n // 2}", "text": f"edited {n}", "consent": True}, at=at)
        if n % 3 == 0:
            log.add(ev.REFLECTION_HIDDEN, {"reflection": f"r{n}", "hidden": True}, at=at)
            log.add(ev.REFLECTION_RETRACTED, {"reflection": "r1"}, at=at)
            log.add(ev.TIMER_PAUSED, at=at)
    log.enter("warm-up", "pairs", at=T0 + 10 * MIN)
    log.add(ev.ANSWER_GIVEN, {"question": "q", "respondent": "b", "named": False}, at=T0 + 11 * MIN)
    by_apply = SessionState()
    for event in log.events:
        by_apply = apply(by_apply, event)
    assert fold(log.events) == by_apply
    assert by_apply.last_seq == log.events[-1].seq and len(by_apply.notes) == 6
    assert by_apply.reflections["r1"].retracted and by_apply.reflections["r0"].text == "edited 1"
    for cut in range(len(log.events) + 1):  # as a live run folds: what it had, then what came after
        assert fold(log.events[cut:], fold(log.events[:cut])) == by_apply, cut


def test_a_session_reads_its_run_a_chunk_at_a_time_and_folds_all_of_it(
    tmp_path: Path, tiny_programme: Programme, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facilitator.live import session as session_module

    with Store.create(tmp_path / "run.db", tiny_programme, actor="lead", clock=fake_clock) as store:
        lead = Session(store, actor="lead")
        lead.add_participant("Ada Lovelace", "ada@example.org", "hq", participant_id="ada")
        lead.next_step()
        lead.check_in("ada")
        for n in range(5):
            lead.log_reflection(f"thought {n}")
        lead.send_note("a note")
        reads: list[int] = []
        events = store.events
        monkeypatch.setattr(session_module, "READ_CHUNK", 3)
        monkeypatch.setattr(store, "events", lambda after=0, limit=-1: reads.append(limit) or events(after, limit))
        again = Session(store, actor="lead")
        everything = events()
        assert reads and set(reads) == {3} and len(reads) == -(-len(everything) // 3) + 1  # the last read finds none
        assert again.state == fold(everything) and again.state.last_seq == everything[-1].seq
        assert again.attendance.is_in("ada") and len(again.state.reflections) == 5


def test_a_question_first_opened_shows_its_results_only_when_the_script_has_them_live(
    tiny_programme: Programme,
) -> None:
    raw = stored_form(tiny_programme)
    options = [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]
    raw["exercises"][0]["steps"][0]["questions"] = [
        {"id": "mood", "type": "scale", "text": "How?", "scale": {"min": 1, "max": 5}},  # live: the default
        {"id": "quiz", "type": "quiz", "text": "Which?", "options": options, "correct": ["a"]},  # hidden: a quiz's
        {"id": "poll", "type": "single", "text": "Which?", "options": options, "results": "hidden"},
        {"id": "shown", "type": "quiz", "text": "Which?", "options": options, "correct": ["a"], "results": "live"},
    ]
    log = Log(Programme.validate(raw))
    for key in ("mood", "quiz", "poll", "shown", "gone"):  # "gone": no longer in the script
        log.add(ev.QUESTION_OPENED, {"question": key}, at=T0)
    assert {key: status.revealed for key, status in log.state().questions.items()} == {
        "mood": True,
        "quiz": False,
        "poll": False,
        "shown": True,
        "gone": False,
    }
    # A state folded without a script (the run's first event missing) opens a question hidden, without failing.
    opened = Event(seq=1, id="e1", at=T0, actor="lead", kind=ev.QUESTION_OPENED, payload={"question": "mood"})
    assert apply(SessionState(), opened).questions == {"mood": QuestionStatus(opened_at=T0, revealed=False)}
