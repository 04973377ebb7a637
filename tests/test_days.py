"""Days that end (facilitator.live.days): on the record, or inferred for a day left open, every figure clipped to them.

The tiny workshop runs in Juba (UTC+2): day 1 on Mon 22 Aug from 09:00 (07:00 UTC), warm-up (10m + 15m) then
reflect (5m + 10m), 40 minutes planned; day 2 on Tue 23 Aug, reflect only, 15 minutes.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from facilitator.attendance.intervals import minutes
from facilitator.live import days
from facilitator.live.register import Register
from facilitator.live.session import NeedsConfirmation, Session
from facilitator.live.state import DayClose, LastAction, SessionState, Timer, Visit
from facilitator.problems import InputError
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock, from_text
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import TINY_PROGRAMME

DAY1 = date(2022, 8, 22)
DAY2 = date(2022, 8, 23)
MIN = timedelta(minutes=1)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture
def run(tmp_path: Path, tiny_programme: Programme) -> Iterator[tuple[Session, FakeClock]]:
    clock = FakeClock(utc(DAY1, 6, 50))  # 08:50 in Juba, ten minutes before day 1 starts
    store = Store.create(tmp_path / "run.db", tiny_programme, actor="lead", clock=clock)
    session = Session(store, actor="lead")
    session.announce()
    for pid, location in (("amina", "juba"), ("bea", "juba"), ("carl", "hq")):
        session.add_participant(pid.title(), f"{pid}@example.org", location, participant_id=pid)
    try:
        yield session, clock
    finally:
        store.close()


def closes(session: Session) -> list[tuple[str, datetime, bool]]:
    return [
        (e.payload["day"], from_text(e.payload["at"]), e.payload["inferred"])
        for e in session.store.events()
        if e.kind == ev.DAY_CLOSED
    ]


def register(session: Session, now: datetime) -> Register:
    session.refresh()
    return Register(session.state, session.attendance, now)


# -- the fold ---------------------------------------------------------------------------------------------


def test_closing_a_day_ends_its_last_visit_and_leaves_no_step_current(run: tuple[Session, FakeClock]) -> None:
    s, clock = run
    clock.advance(10 * MIN)  # 07:00
    s.next_step()
    clock.advance(12 * MIN)
    s.close_day()  # 07:12, by the driver
    state = s.state
    assert closes(s) == [("2022-08-22", utc(DAY1, 7, 12), False)]
    assert state.visits[-1].left_at == utc(DAY1, 7, 12)
    assert (state.day, state.exercise, state.step, state.timer) == (DAY1, None, None, None)
    assert state.closed[DAY1].by == "lead" and not state.closed[DAY1].inferred
    with pytest.raises(Exception, match="closed already"):
        s.close_day()


def test_a_step_of_a_closed_day_is_entered_only_when_confirmed_and_reopens_it(
    run: tuple[Session, FakeClock],
) -> None:
    s, clock = run
    clock.advance(10 * MIN)
    s.next_step()
    clock.advance(5 * MIN)
    s.close_day()
    clock.advance(5 * MIN)
    with pytest.raises(NeedsConfirmation, match=r"Day 1 \(Mon 22 Aug\) was closed at 09:05 on Mon 22 Aug"):
        s.next_step()
    assert s.state.step is None  # nothing written
    s.next_step(confirmed=True)
    assert s.state.step == "intro" and DAY1 not in s.state.closed
    # The stretch while the day was closed is not part of it.
    spans = register(s, clock.now()).day_spans(DAY1)
    assert spans == [(utc(DAY1, 7), utc(DAY1, 7, 5)), (utc(DAY1, 7, 10), utc(DAY1, 7, 10))]


# -- five mornings ------------------------------------------------------------------------------------------


def test_the_next_morning_closes_the_day_left_open_at_its_forecast_and_opens_the_day_dated_today(
    run: tuple[Session, FakeClock],
) -> None:
    s, clock = run
    s.check_in("amina")  # 06:50, never checked out
    clock.advance(10 * MIN)
    s.next_step()  # 07:00 intro (10m)
    clock.advance(12 * MIN)
    s.next_step()  # 07:12 pairs (15m); then 5m + 10m to come: the forecast end is 07:42
    clock.advance(3 * MIN)
    s.adjust(5 * MIN)  # 07:15, the team's last action: pairs now ends 07:32, the day 07:47
    assert days.day_end(s.state, DAY1, clock.now()) is None  # still running

    clock.advance(utc(DAY1, 21, 59) - clock.now())  # 23:59 in Juba: not left open yet
    assert days.overdue(s.state, clock.now()) == []
    clock.advance(utc(DAY2, 5, 55) - clock.now())  # 07:55 the next morning
    assert [(e.day, e.at, e.inferred) for e in days.overdue(s.state, clock.now())] == [(DAY1, utc(DAY1, 7, 47), True)]
    assert len(s.close_overdue_days()) == 1
    assert s.close_overdue_days() == []  # once
    assert closes(s) == [("2022-08-22", utc(DAY1, 7, 47), True)]

    opened = s.open_today()
    assert opened is not None and opened.payload == {"day": "2022-08-23", "auto": True}
    assert s.open_today() is None
    s.next_step()
    assert (s.state.day, s.state.exercise, s.state.step) == (DAY2, "reflect", "write")
    assert all(v.day == DAY2 for v in s.state.visits if v.entered_at >= utc(DAY2, 0))

    figures = register(s, clock.now())
    assert figures.day_spans(DAY1) == [(utc(DAY1, 7), utc(DAY1, 7, 47))]
    assert figures.by_day("amina")[DAY1] == 47 * MIN  # not until midnight
    assert not figures.is_present("amina")  # Monday's check-in does not carry over to Tuesday


def test_a_day_left_for_another_is_closed_by_the_driver_at_that_moment(run: tuple[Session, FakeClock]) -> None:
    s, clock = run
    clock.advance(10 * MIN)
    s.next_step()
    clock.advance(20 * MIN)
    s.open_day(DAY2)  # 07:20: a rehearsal runs day 2 next, on the same date
    assert closes(s) == [("2022-08-22", utc(DAY1, 7, 20), False)]
    assert s.state.day == DAY2


def test_n_on_a_later_date_does_not_carry_day_1_over_without_confirming(
    tmp_path: Path, tiny_programme: Programme
) -> None:
    """A workshop with no day dated today (a rehearsal over two dates): n asks first, and says why."""
    clock = FakeClock(utc(date(2026, 3, 2), 7))
    with Store.create(tmp_path / "run.db", tiny_programme, actor="lead", clock=clock) as store:
        s = Session(store, actor="lead")
        s.open_day(DAY1)
        s.next_step()
        clock.advance(timedelta(days=1))
        assert s.open_today() is None  # 3 March is no day of this workshop
        with pytest.raises(NeedsConfirmation, match=r"was closed at 09:40 on Mon 02 Mar \(inferred"):
            s.next_step()  # ended at its inferred end (07:00 + 10m + the day's 30m to come) once midnight passed
        assert s.close_overdue_days()  # what the app does when it starts
        s.next_step(confirmed=True)
        assert s.state.step == "intro"


# -- attendance ----------------------------------------------------------------------------------------------


def test_a_check_in_left_open_is_closed_on_the_record_at_its_day_s_end(run: tuple[Session, FakeClock]) -> None:
    s, clock = run
    clock.advance(10 * MIN)
    s.check_in("bea")  # 07:00
    s.next_step()
    clock.advance(30 * MIN)
    s.close_day()  # 07:30
    clock.advance(utc(DAY2, 6, 55) - clock.now())
    s.open_today()
    s.check_in("bea")  # the next morning
    outs = [e for e in s.store.events() if e.kind == ev.ATTENDANCE_CHECKED_OUT]
    assert [(e.payload["participant"], from_text(e.payload["at"])) for e in outs] == [("bea", utc(DAY1, 7, 30))]


def test_everyone_present_counts_people_still_in_from_an_earlier_day_as_not_in(
    run: tuple[Session, FakeClock],
) -> None:
    s, clock = run
    s.check_in("amina")
    clock.advance(10 * MIN)
    s.next_step()
    clock.advance(utc(DAY2, 6, 55) - clock.now())
    s.close_overdue_days()
    s.open_today()
    written = s.everyone_present("juba")
    assert sorted((e.kind, e.payload["participant"]) for e in written) == [
        (ev.ATTENDANCE_CHECKED_IN, "amina"),
        (ev.ATTENDANCE_CHECKED_IN, "bea"),
        (ev.ATTENDANCE_CHECKED_OUT, "amina"),
    ]
    out = next(e for e in written if e.kind == ev.ATTENDANCE_CHECKED_OUT)
    assert from_text(out.payload["at"]) == utc(DAY1, 7, 40)  # day 1's inferred end: 07:00 + its 40 planned minutes
    assert s.everyone_present("juba") == []  # both in today now


def test_old_run_files_without_day_ends_give_figures_within_the_clock(run: tuple[Session, FakeClock]) -> None:
    """The log of an older version: day 1 never closed, the day-2 check-in's automatic check-out 24 h late."""
    s, clock = run
    s.check_in("carl")  # 06:50
    clock.advance(10 * MIN)
    s.next_step()
    clock.advance(utc(DAY2, 7) - clock.now())
    # Written by hand as the old code did: no day.closed, day 2 opened, the check-out at Tuesday's midnight.
    s.store.append(ev.DAY_OPENED, {"day": "2022-08-23"}, actor="lead")
    out = {"participant": "carl", "at": "2022-08-22T22:00:00.000000Z", "source": "facilitator"}
    s.store.append(ev.ATTENDANCE_CHECKED_OUT, out, actor="lead")
    figures = register(s, clock.now())
    end = figures.ends.end(DAY1)
    assert end is not None and (end.at, end.inferred, end.recorded) == (utc(DAY1, 7, 40), True, False)
    assert figures.by_day("carl") == {DAY1: 40 * MIN}
    assert figures.certificate("carl").attended_share == pytest.approx(40 / 55)


def test_minutes_an_attendee_gets_never_exceed_the_day(run: tuple[Session, FakeClock]) -> None:
    s, clock = run
    s.check_in("amina")
    clock.advance(10 * MIN)
    s.next_step()
    clock.advance(90 * MIN)  # the step runs long; nobody closes the day
    figures = register(s, utc(DAY2, 12))
    span = sum((b - a for a, b in figures.day_spans(DAY1)), timedelta())
    assert span == 40 * MIN and figures.by_day("amina")[DAY1] == span
    assert minutes(figures.certificate("amina").attended) == 40


# -- whatever the team does, no figure exceeds the clock ------------------------------------------------------

THREE_DAYS = {
    **TINY_PROGRAMME,
    "workshop": {
        **TINY_PROGRAMME["workshop"],
        "days": [
            {"date": "2022-08-22", "start": "09:00", "agenda": ["warm-up", "reflect"]},
            {"date": "2022-08-23", "start": "09:00", "agenda": ["reflect"]},
            {"date": "2022-08-24", "start": "09:00", "agenda": ["warm-up"]},
        ],
    },
}
PEOPLE = ("amina", "bea", "carl")
ACTIONS = st.one_of(
    st.tuples(st.sampled_from(["next", "previous", "pause", "resume", "extend", "close", "overdue", "today"])),
    st.tuples(st.just("open"), st.sampled_from([DAY1, DAY2, date(2022, 8, 24)])),
    st.tuples(st.sampled_from(["in", "out", "qr-in"]), st.sampled_from(PEOPLE)),
    st.tuples(st.just("everyone"), st.sampled_from(["hq", "juba"])),
)
# Minutes between actions: mostly a few, sometimes a night (so days are left open and mornings come).
GAPS = st.one_of(st.integers(0, 40), st.sampled_from([180, 600, 1000]))


def _act(s: Session, action: tuple[object, ...]) -> None:
    name = action[0]
    if name in ("next", "previous"):
        (s.next_step if name == "next" else s.previous_step)(confirmed=True)
    elif name == "pause":
        s.pause()
    elif name == "resume":
        s.resume()
    elif name == "extend":
        s.adjust(5 * MIN)
    elif name == "close":
        s.close_day()
    elif name == "overdue":
        s.close_overdue_days()
    elif name == "today":
        s.open_today()
    elif name == "open":
        s.open_day(action[1])  # type: ignore[arg-type]
    elif name in ("in", "qr-in"):
        s.check_in(str(action[1]), source="qr" if name == "qr-in" else "facilitator")
    elif name == "out":
        s.check_out(str(action[1]))
    else:
        s.everyone_present(str(action[1]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(GAPS, ACTIONS), min_size=1, max_size=30), later=st.integers(0, 3000))
# Found by hypothesis: everyone present, then a check-in at the workshop's midnight itself, whose automatic
# check-out ends the earlier stretch at that instant: the two must not merge into one span across midnight.
@example(
    steps=[(13, ("next",)), (25, ("next",)), (33, ("next",)), (37, ("next",)), (39, ("next",)),
           (180, ("everyone", "hq")), (600, ("next",)), (3, ("in", "carl"))],
    later=1,
)  # fmt: skip
def test_per_day_minutes_shares_and_intervals_stay_within_their_days(
    steps: list[tuple[int, tuple[object, ...]]], later: int
) -> None:
    clock = FakeClock(utc(DAY1, 6, 30))
    with tempfile.TemporaryDirectory() as folder:
        programme = Programme.validate(THREE_DAYS)
        with Store.create(Path(folder) / "run.db", programme, actor="lead", clock=clock) as store:
            s = Session(store, actor="lead")
            s.announce()
            for pid, location in zip(PEOPLE, ("juba", "juba", "hq"), strict=True):
                s.add_participant(pid.title(), f"{pid}@example.org", location, participant_id=pid)
            for gap, action in steps:
                clock.advance(gap * MIN)
                with contextlib.suppress(InputError):  # refusals (nothing to close, not in...) are fine here
                    _act(s, action)
            # Any moment later, from a fresh read of the log (as an export, or another process, would see it).
            now = clock.now() + later * MIN
            fresh = Session(store, actor="reader", role="observer")
            figures = Register(fresh.state, fresh.attendance, now)
            tz = days.workshop_tz(programme)
            for day in {v.day for v in fresh.state.visits}:
                span = sum((b - a for a, b in figures.day_spans(day)), timedelta())
                end = figures.ends.end(day)
                for block in figures.blocks:
                    if block.day == day and end is not None:
                        assert block.end <= end.at and not block.running
                if end is not None:
                    last = fresh.state.last_actions.get(day)
                    if last is not None and end.inferred:
                        assert end.at <= days.midnight_after(last.at, tz)
                for pid in PEOPLE:
                    assert figures.by_day(pid).get(day, timedelta()) <= span
            for pid in PEOPLE:
                certificate = figures.certificate(pid)
                assert 0 <= certificate.attended_share <= 1
                for start, stop in figures.spans(pid):
                    assert stop <= days.midnight_after(start, tz)
                    # Once every day run on its date has ended, nobody is counted there after the last end.
                    on = start.astimezone(tz).date()
                    ran = {v.day for v in fresh.state.visits if v.entered_at.astimezone(tz).date() == on}
                    ends = [figures.ends.end(day) for day in ran]
                    if ran and all(e is not None for e in ends):
                        last_end = max(e.at for e in ends if e is not None)
                        assert start >= last_end or stop <= last_end


# -- the analysts' tables ------------------------------------------------------------------------------------

ANALYST_QUERY = """
SELECT day, location, gender, COUNT(*) FILTER (WHERE status IN ('present', 'late')) AS attended,
       ROUND(SUM(minutes), 1) AS minutes
FROM attendance_days GROUP BY day, location, gender ORDER BY day, location, gender
"""


def test_closing_a_day_writes_the_attendance_tables_that_answer_one_query(
    run: tuple[Session, FakeClock],
) -> None:
    s, clock = run
    s.edit_participant("amina", gender="Femme")
    s.edit_participant("bea", gender="F")
    s.edit_participant("carl", gender="homme")
    s.check_in("amina")  # 06:50
    clock.advance(10 * MIN)
    s.next_step()  # 07:00
    clock.advance(5 * MIN)
    s.check_in("bea")  # 07:05, late by the tiny workshop's grace? (10 minutes: no)
    clock.advance(25 * MIN)
    s.check_out("bea")  # 07:30
    s.close_day()  # 07:30
    conn = s.store.conn
    days_table = "SELECT day, status, started_utc, ended_utc, end_inferred, actual_minutes FROM days"
    assert conn.execute(days_table).fetchall() == [
        ("2022-08-22", "ended", "2022-08-22T07:00:00.000000Z", "2022-08-22T07:30:00.000000Z", 0, 30.0),
        ("2022-08-23", "not started", None, None, None, 0.0),
    ]
    assert conn.execute(ANALYST_QUERY).fetchall() == [
        ("2022-08-22", "hq", "male", 0, 0.0),
        ("2022-08-22", "juba", "female", 2, 55.0),  # amina 30 (the day's span), bea 25
    ]
    assert conn.execute(
        "SELECT participant_id, source, start_utc, end_utc, checked_out, minutes FROM attendance_intervals"
        " ORDER BY participant_id"
    ).fetchall() == [
        ("amina", "facilitator", "2022-08-22T06:50:00.000000Z", "2022-08-22T07:30:00.000000Z", 0, 30.0),
        ("bea", "facilitator", "2022-08-22T07:05:00.000000Z", "2022-08-22T07:30:00.000000Z", 1, 25.0),
    ]


def test_attendance_refresh_closes_a_day_left_open_and_fills_the_tables(
    tmp_path: Path, tiny_programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from facilitator.cli import main
    from facilitator.record.clock import ScaledClock

    clock = FakeClock(utc(DAY1, 7))
    db = tmp_path / "run.db"
    with Store.create(db, tiny_programme, actor="lead", clock=clock) as store:
        s = Session(store, actor="lead")
        s.add_participant("Amina", "amina@example.org", "juba", participant_id="amina", gender="femme")
        s.check_in("amina")
        s.next_step()  # 07:00, and nobody touches the run again
    later = ScaledClock([(0.0, utc(DAY2, 12))], 1.0)  # the next day, on the run's clock
    monkeypatch.setenv("FACILITATOR_CLOCK", later.to_env())
    result = CliRunner().invoke(main, ["attendance", "refresh", "--db", str(db), "--as", "analyst"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "closed 2022-08-22 at 2022-08-22T07:40:00.000000Z (inferred: it was left open)",
        "attendance tables up to date: 2 days, 1 ended",
    ]
    with Store.open(db) as store:
        assert store.conn.execute(ANALYST_QUERY).fetchall() == [("2022-08-22", "juba", "female", 1, 40.0)]


def test_the_export_marks_an_inferred_end_and_shows_days_to_come_as_not_run(
    run: tuple[Session, FakeClock], tmp_path: Path
) -> None:
    import csv

    from facilitator.exports.run import export

    s, clock = run
    s.check_in("amina")
    clock.advance(10 * MIN)
    s.next_step()  # 07:00, then the day is left open
    out = tmp_path / "out"
    export(s.store.path, out, formats=("csv", "md"), now=utc(DAY2, 5))  # the next morning, before day 2 starts
    with (out / "timeline_days.csv").open(encoding="utf-8-sig") as f:
        rows = [(r["day"], r["status"], r["actual_end_utc"], r["end_inferred"]) for r in csv.DictReader(f)]
    assert rows == [
        ("2022-08-22", "done", "2022-08-22T07:40:00Z", "yes"),
        ("2022-08-23", "not started", "", ""),
    ]
    assert "| 40 min | 0 min, end inferred |" in (out / "report.md").read_text()


# -- the days of a state, case by case (mutation testing, issue 26) -------------------------------------------
#
# States made by hand: visits, the team's last actions and the closes on record, as the fold leaves them.

JUBA_MIDNIGHT_22 = utc(DAY1, 22)  # 00:00 on Tue 23 Aug in Juba
JUBA_MIDNIGHT_23 = utc(DAY2, 22)


def day_state(
    *visits: tuple[date, str, datetime, datetime | None],
    actions: dict[date, tuple[datetime, str, str, Timer]] | None = None,
    closed: dict[date, DayClose] | None = None,
    current: date | None = None,
    opened: tuple[date, ...] = (),
) -> SessionState:
    """Visits ``(day, "exercise/step", entered, left)``; the current day is the last visit's unless given."""
    return SessionState(
        programme=Programme.validate(TINY_PROGRAMME),
        visits=tuple(Visit(d, *key.split("/"), entered, left) for d, key, entered, left in visits),
        day=current or (visits[-1][0] if visits else None),
        last_actions={d: LastAction(*action) for d, action in (actions or {}).items()},
        closed=closed or {},
        opened=frozenset(opened),
    )


def test_a_day_closed_on_the_record_ends_there_as_recorded() -> None:
    state = day_state((DAY1, "warm-up/intro", utc(DAY1, 7), None), closed={DAY1: DayClose(utc(DAY1, 8), False, "lead")})
    assert days.day_end(state, DAY1, utc(DAY1, 9)) == days.DayEnd(DAY1, utc(DAY1, 8), inferred=False, recorded=True)
    assert days.overdue(state, utc(DAY1, 9)) == []  # on the record already


def test_a_day_left_for_another_on_the_same_date_ends_at_once_not_at_midnight() -> None:
    action = (utc(DAY1, 7), "warm-up", "intro", Timer(utc(DAY1, 7), 10 * MIN))
    state = day_state(
        (DAY1, "warm-up/intro", utc(DAY1, 7), utc(DAY1, 7, 10)),
        (DAY2, "reflect/write", utc(DAY1, 7, 10), None),
        actions={DAY1: action, DAY2: (utc(DAY1, 7, 10), "reflect", "write", Timer(utc(DAY1, 7, 10), 5 * MIN))},
    )
    # Day 1 is not current: left open at 07:10, before its forecast (07:40) and its midnight.
    assert days.day_end(state, DAY1, utc(DAY1, 7, 20)) == days.DayEnd(DAY1, utc(DAY1, 7, 10), True, False)
    assert days.day_end(state, DAY2, utc(DAY1, 7, 20)) is None  # current, running


def test_a_day_runs_until_the_midnight_after_its_last_action_not_at_it() -> None:
    entered = utc(DAY1, 7)
    state = day_state(
        (DAY1, "warm-up/intro", entered, None), actions={DAY1: (entered, "warm-up", "intro", Timer(entered, 10 * MIN))}
    )
    assert days.day_end(state, DAY1, JUBA_MIDNIGHT_22 - timedelta(microseconds=1)) is None
    assert days.day_end(state, DAY1, JUBA_MIDNIGHT_22) == days.DayEnd(DAY1, utc(DAY1, 7, 40), True, False)


def test_a_late_pause_after_midnight_keeps_the_day_running_into_the_next_date() -> None:
    """Day 1's step entered at 23:50 in Juba and paused at 00:05: its last action is on the 23rd."""
    entered, paused = utc(DAY1, 21, 50), utc(DAY1, 22, 5)
    timer = Timer(entered, 10 * MIN, paused_since=paused)
    state = day_state((DAY1, "warm-up/intro", entered, None), actions={DAY1: (paused, "warm-up", "intro", timer)})
    morning = utc(DAY2, 6)
    assert days.day_end(state, DAY1, morning) is None  # runs until the midnight after the pause
    assert days.reopening(state, DAY1, morning) == (
        "Day 1 (Mon 22 Aug) ran on Mon 22 Aug. Entering one of its steps today (Tue 23 Aug) continues it on a second"
        " date, and its record then runs over both."
    )
    # Once left open, it ends at its forecast at the pause (00:05 + 0 left + 30 minutes to come), not at the
    # midnight after its step was entered.
    assert days.inferred_end(state, DAY1) == utc(DAY1, 22, 35)
    assert days.day_end(state, DAY1, JUBA_MIDNIGHT_23) == days.DayEnd(DAY1, utc(DAY1, 22, 35), True, False)


def test_without_last_actions_a_day_goes_by_its_last_visit() -> None:
    """States made without the team's last actions (as attendance tests make them): the last visit's entry."""
    late = (
        (DAY1, "warm-up/intro", utc(DAY1, 20), utc(DAY1, 21)),
        (DAY1, "warm-up/pairs", utc(DAY1, 21), utc(DAY1, 22, 30)),
        (DAY1, "reflect/write", utc(DAY1, 22, 30), None),  # 00:30 on the 23rd in Juba
    )
    state = day_state(*late)
    assert days.day_end(state, DAY1, utc(DAY2, 5)) is None  # runs until the midnight after 00:30
    assert days.forecast_end(state, DAY1) is None
    assert days.inferred_end(state, DAY1) == JUBA_MIDNIGHT_23
    early = day_state((DAY1, "warm-up/intro", utc(DAY1, 7), None))
    assert days.day_end(early, DAY1, utc(DAY2, 5)) == days.DayEnd(DAY1, JUBA_MIDNIGHT_22, True, False)
    assert days.day_end(early, DAY1, utc(DAY1, 21)) is None
    assert days.day_end(day_state(current=DAY1), DAY1, utc(DAY1, 9)) is None  # opened, never entered


def test_the_forecast_of_a_step_taken_out_of_the_script_is_that_step_alone() -> None:
    entered = utc(DAY1, 7)
    state = day_state(
        (DAY1, "warm-up/gone", entered, None), actions={DAY1: (entered, "warm-up", "gone", Timer(entered, 10 * MIN))}
    )
    assert days.forecast_end(state, DAY1) == utc(DAY1, 7, 10)


def test_a_closed_day_says_how_it_was_closed_when_a_step_of_it_would_reopen_it() -> None:
    visit = (DAY1, "warm-up/intro", utc(DAY1, 7), utc(DAY1, 7, 5))
    by_driver = day_state(visit, closed={DAY1: DayClose(utc(DAY1, 7, 5), False, "lead")})
    assert days.reopening(by_driver, DAY1, utc(DAY1, 8)) == (
        "Day 1 (Mon 22 Aug) was closed at 09:05 on Mon 22 Aug. Entering one of its steps reopens it."
    )
    inferred = day_state(visit, closed={DAY1: DayClose(utc(DAY1, 7, 5), True, "lead")})
    assert days.reopening(inferred, DAY1, utc(DAY1, 8)) == (
        "Day 1 (Mon 22 Aug) was closed at 09:05 on Mon 22 Aug (inferred: the day was left open)."
        " Entering one of its steps reopens it."
    )
    gone = date(2022, 9, 1)  # a day taken out of the script since
    removed = day_state(
        (gone, "warm-up/intro", utc(gone, 7), utc(gone, 7, 5)), closed={gone: DayClose(utc(gone, 7, 5), False, "lead")}
    )
    assert days.reopening(removed, gone, utc(gone, 8)) == (
        "The day of Thu 01 Sep was closed at 09:05 on Thu 01 Sep. Entering one of its steps reopens it."
    )
    assert days.reopening(day_state(), DAY1, utc(DAY1, 8)) is None  # not started


def test_the_day_dated_today_is_the_workshop_s_local_date() -> None:
    programme = Programme.validate(TINY_PROGRAMME)
    assert days.today(programme, utc(DAY1, 21, 59)) == DAY1
    assert days.today(programme, utc(DAY1, 22)) == DAY2  # midnight in Juba, still the 22nd in UTC
    assert days.local_date(utc(DAY1, 23), programme) == DAY2


def test_the_day_to_open_is_today_s_unless_it_was_opened_or_is_current() -> None:
    morning = utc(DAY2, 6)
    assert days.to_open(day_state((DAY1, "warm-up/intro", utc(DAY1, 7), None), opened=(DAY1,)), morning) == DAY2
    opened_then_left = day_state((DAY1, "warm-up/intro", utc(DAY2, 5), None), opened=(DAY1, DAY2))
    assert days.to_open(opened_then_left, morning) is None  # opened already, then day 1 taken up again
    assert days.to_open(day_state(current=DAY2), morning) is None
    assert days.to_open(day_state(), utc(date(2022, 9, 1), 6)) is None  # no day of the workshop


def test_an_interval_stops_at_the_end_of_the_days_run_on_its_local_date() -> None:
    """Day 1 closed at 23:00 in Juba; day 2 rehearsed from 00:15 that night (22:15 UTC, still the 22nd in UTC)."""
    state = day_state(
        (DAY1, "warm-up/intro", utc(DAY1, 6), utc(DAY1, 21)),
        (DAY2, "reflect/write", utc(DAY1, 22, 15), None),
        closed={DAY1: DayClose(utc(DAY1, 21), False, "lead")},
    )
    ends = days.DayEnds(state, utc(DAY1, 22, 30))
    assert ends.cutoff(utc(DAY1, 6, 30)) == utc(DAY1, 21)  # a check-in on the 22nd: day 1's end
    assert ends.cutoff(utc(DAY1, 21)) == utc(DAY1, 21)  # at that very end: a stretch of nothing
    assert ends.clip(utc(DAY1, 21), utc(DAY1, 21, 30)) == utc(DAY1, 21)
    # A check-in at 00:20 on the 23rd belongs to the 23rd, whose day 2 is still running: its midnight.
    assert ends.cutoff(utc(DAY1, 22, 20)) == JUBA_MIDNIGHT_23


def test_a_check_in_after_midnight_is_not_cut_by_the_day_before_it_in_utc() -> None:
    """Day 1 ran late, closed at 01:00 in Juba on the 23rd: a check-in at 00:30 on the 23rd is the 23rd's."""
    state = day_state(
        (DAY1, "warm-up/intro", utc(DAY1, 6), utc(DAY1, 23)),
        closed={DAY1: DayClose(utc(DAY1, 23), False, "lead")},
    )
    ends = days.DayEnds(state, utc(DAY2, 6))
    assert ends.cutoff(utc(DAY1, 6, 30)) == JUBA_MIDNIGHT_22  # never past the midnight after it began
    assert ends.cutoff(utc(DAY1, 22, 30)) == JUBA_MIDNIGHT_23
