"""Session state as a pure fold of events, the timer derived from events and a fake clock, and session commands."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from facilitator import events as ev
from facilitator.clock import FakeClock
from facilitator.events import Event
from facilitator.problems import InputError
from facilitator.script_models import Programme
from facilitator.session import Session
from facilitator.state import SessionState, Timer, apply, fold
from facilitator.store import Store

T0 = datetime(2022, 8, 22, 7, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


class Log:
    """Hand-made events for the pure fold: no database involved."""

    def __init__(self, programme: Programme) -> None:
        self.events: list[Event] = []
        self.seq = itertools.count(1)
        self.add(ev.RUN_CREATED, {"programme": programme.model_dump(mode="json")})

    def add(self, kind: str, payload: dict[str, Any] | None = None, *, at: datetime = T0) -> Event:
        seq = next(self.seq)
        event = Event(seq=seq, id=f"e{seq}", at=at, actor="lead", kind=kind, payload=payload or {})
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


def test_timer_through_session_commands(run_store: Store, fake_clock: FakeClock) -> None:
    session = Session(run_store, actor="lead")
    assert session.next_step() is not None  # warm-up/intro, 10 minutes
    fake_clock.advance(3 * MIN)
    timer = session.state.timer
    assert timer is not None
    assert timer.remaining(fake_clock.now()) == 7 * MIN

    assert session.pause() is not None
    assert session.pause() is None  # already paused
    fake_clock.advance(5 * MIN)
    timer = session.state.timer
    assert timer is not None
    assert timer.remaining(fake_clock.now()) == 7 * MIN

    assert session.resume() is not None
    assert session.resume() is None  # not paused
    fake_clock.advance(1 * MIN)
    assert session.adjust(timedelta(minutes=5)) is not None
    assert session.adjust(timedelta()) is None
    timer = session.state.timer
    assert timer is not None
    assert timer.remaining(fake_clock.now()) == 11 * MIN
    assert session.adjust(timedelta(minutes=-2)) is not None
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
    assert session.previous_step() is not None  # nothing current yet: starts at the first step
    assert session.previous_step() is None  # already at the first
    walked = [(session.state.exercise, session.state.step)]
    while session.next_step() is not None:
        walked.append((session.state.exercise, session.state.step))
    assert walked == [("warm-up", "intro"), ("warm-up", "pairs"), ("reflect", "write"), ("reflect", "share")]
    assert session.previous_step() is not None
    assert (session.state.exercise, session.state.step) == ("reflect", "write")
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
