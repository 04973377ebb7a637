"""Attendance: intervals folded from check-ins, blocks as run, minutes, statuses, certificates, links, commands."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from facilitator.attendance.intervals import Attendance, Interval, merge_spans, minutes, overlap
from facilitator.live.register import Block, LocationCount, Register, blocks
from facilitator.live.session import Session
from facilitator.live.state import LastAction, SessionState, Timer, Visit
from facilitator.problems import InputError
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock, to_text
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import TINY_PROGRAMME
from tests.event_logs import T0, Log

DAY1 = date(2022, 8, 22)
DAY2 = date(2022, 8, 23)


def t(minutes: float, base: datetime = T0) -> datetime:
    return base + timedelta(minutes=minutes)


def state(programme: Programme, *visits: tuple[date, str, datetime, datetime | None]) -> SessionState:
    """A state whose step visits are ``(day, exercise, entered, left)``: the first step of each exercise."""
    # The last visit's day is current, as the fold leaves it: earlier days were left, and so have ended.
    return SessionState(
        programme=programme,
        visits=tuple(Visit(day, exercise, "x", entered, left) for day, exercise, entered, left in visits),
        day=visits[-1][0] if visits else None,
    )


def spans(attendance: Attendance, pid: str) -> list[tuple[datetime, datetime | None]]:
    return [(iv.start, iv.end) for iv in attendance.intervals(pid)]


# -- the fold ---------------------------------------------------------------------------------------------


def test_rejoining_makes_a_second_interval_and_repeats_are_ignored() -> None:
    log = Log().person("amina")
    log.inn("amina", t(0)).inn("amina", t(5)).out("amina", t(30)).out("amina", t(35)).inn("amina", t(40))
    attendance = log.fold()
    assert spans(attendance, "amina") == [(t(0), t(30)), (t(40), None)]
    assert attendance.is_in("amina") and attendance.is_in("amina", "qr") and not attendance.is_in("amina", "zoom")
    assert list(attendance.roster.by_id) == ["amina"]


def test_sources_keep_their_own_channels_and_overlaps_count_once(tiny_programme: Programme) -> None:
    log = Log().person("amina")
    log.inn("amina", t(0)).inn("amina", t(30), "zoom").out("amina", t(60)).out("amina", t(90), "zoom")
    attendance = log.fold()
    assert [iv.source for iv in attendance.intervals("amina")] == ["facilitator", "zoom"]
    register = Register(state(tiny_programme, (DAY1, "warm-up", t(0), t(120))), attendance, t(200))
    assert register.spans("amina") == [(t(0), t(90))]
    assert register.by_day("amina") == {DAY1: timedelta(minutes=90)}


def test_a_reimported_report_changes_nothing() -> None:
    log = Log().person("amina")
    for _ in range(2):
        log.inn("amina", t(0), "zoom").out("amina", t(20), "zoom").inn("amina", t(25), "zoom").out(
            "amina", t(50), "zoom"
        )
    log.inn("amina", t(10), "zoom")  # a check-in at a time already covered
    assert spans(log.fold(), "amina") == [(t(0), t(20)), (t(25), t(50))]
    assert not log.fold().is_in("amina")


def test_a_backdated_stretch_joins_the_one_it_overlaps_and_a_checkout_before_checkin_closes_at_once() -> None:
    log = Log().person("amina")
    log.inn("amina", t(30), "teams").out("amina", t(60), "teams").inn("amina", t(10), "teams").out(
        "amina", t(40), "teams"
    )
    log.inn("amina", t(100), "teams").out("amina", t(90), "teams")
    assert spans(log.fold(), "amina") == [(t(10), t(60)), (t(100), t(100))]


def test_marks_set_and_clear_and_links_keep_their_history() -> None:
    log = Log().person("amina")
    log.add(ev.ATTENDANCE_MARKED, {"participant": "amina", "day": "2022-08-22", "status": "excused"})
    log.add(ev.ATTENDANCE_MARKED, {"participant": "amina", "day": "2022-08-23", "status": "late"})
    log.add(ev.ATTENDANCE_MARKED, {"participant": "amina", "day": "2022-08-23", "status": None})
    log.add(ev.LOCATION_LINK, {"location": "juba", "status": "connected"}, at=t(0))
    log.add(ev.LOCATION_LINK, {"location": "juba", "status": "dropped"}, at=t(10))
    log.add(ev.LOCATION_LINK, {"location": "juba", "status": "connected"}, at=t(25))
    log.add(ev.LOCATION_LINK, {"location": "juba", "status": "dropped"}, at=t(40))
    attendance = log.fold()
    assert attendance.mark("amina", DAY1) == "excused" and attendance.mark("amina", DAY2) is None
    assert attendance.link_status("juba") == "dropped" and attendance.link_status("hq") == "not-joined"
    assert [(c.at, c.status) for c in attendance.link_history("juba")] == [
        (t(0), "connected"),
        (t(10), "dropped"),
        (t(25), "connected"),
        (t(40), "dropped"),
    ]
    assert attendance.outages("juba", t(50)) == [(t(10), t(25)), (t(40), t(50))]


# -- blocks and minutes -----------------------------------------------------------------------------------


def test_minutes_are_clipped_to_each_block_as_run(tiny_programme: Programme) -> None:
    log = Log().person("amina").inn("amina", t(-60)).out("amina", t(30)).inn("amina", t(35)).out("amina", t(300))
    run = state(tiny_programme, (DAY1, "warm-up", t(0), t(25)), (DAY1, "reflect", t(25), t(45)))
    register = Register(run, log.fold(), t(400))
    assert [(b.exercise, b.start, b.end) for b in register.blocks] == [
        ("warm-up", t(0), t(25)),
        ("reflect", t(25), t(45)),
    ]
    assert register.by_block("amina") == {
        (DAY1, "warm-up"): timedelta(minutes=25),
        (DAY1, "reflect"): timedelta(minutes=15),
    }
    assert register.by_day("amina") == {DAY1: timedelta(minutes=40)}


def test_a_running_block_ends_now_and_going_back_is_not_counted_twice(tiny_programme: Programme) -> None:
    run = state(
        tiny_programme,
        (DAY1, "warm-up", t(0), t(10)),
        (DAY1, "reflect", t(10), t(20)),
        (DAY1, "warm-up", t(20), None),
    )
    log = Log().person("amina").inn("amina", t(5))
    register = Register(run, log.fold(), t(32))
    warm_up = register.blocks[0]
    assert warm_up.segments == ((t(0), t(10)), (t(20), t(32))) and warm_up.running
    assert warm_up.length == timedelta(minutes=22)
    assert register.by_block("amina") == {
        (DAY1, "warm-up"): timedelta(minutes=17),
        (DAY1, "reflect"): timedelta(minutes=10),
    }
    assert register.by_day("amina") == {DAY1: timedelta(minutes=27)}


def test_a_check_in_and_a_step_left_open_overnight_end_at_midnight(tiny_programme: Programme) -> None:
    day2 = t(24 * 60)
    run = state(tiny_programme, (DAY1, "warm-up", t(0), day2), (DAY2, "reflect", day2, None))
    log = Log().person("amina").inn("amina", t(0))
    register = Register(run, log.fold(), t(30, day2))
    juba_midnight = datetime(2022, 8, 22, 22, 0, tzinfo=UTC)
    assert register.blocks[0].end == juba_midnight and not register.blocks[0].running
    assert register.status("amina", DAY1) == "present"
    assert register.status("amina", DAY2) == "absent"
    assert not register.is_present("amina")


def test_late_is_arrival_after_the_first_block_start_plus_grace(tiny_programme: Programme) -> None:
    assert tiny_programme.workshop.attendance.late_grace == timedelta(minutes=10)
    run = state(tiny_programme, (DAY1, "warm-up", t(0), t(25)), (DAY1, "reflect", t(25), None))
    log = Log().person("early").person("edge").person("late").person("left-and-back").person("never")
    log.inn("early", t(-15)).inn("edge", t(10)).inn("late", t(10) + timedelta(seconds=1))
    log.inn("left-and-back", t(-30)).out("left-and-back", t(-20)).inn("left-and-back", t(12))
    register = Register(run, log.fold(), t(40))
    statuses = {pid: register.status(pid, DAY1) for pid in ("early", "edge", "late", "left-and-back", "never")}
    assert statuses == {
        "early": "present",
        "edge": "present",
        "late": "late",
        "left-and-back": "late",
        "never": "absent",
    }
    assert register.status("early", DAY2) == "absent"  # not started yet


def test_marks_override_the_intervals(tiny_programme: Programme) -> None:
    run = state(tiny_programme, (DAY1, "warm-up", t(0), None))
    log = Log().person("here").person("away").inn("here", t(0))
    log.add(ev.ATTENDANCE_MARKED, {"participant": "here", "day": "2022-08-22", "status": "absent"})
    log.add(ev.ATTENDANCE_MARKED, {"participant": "away", "day": "2022-08-22", "status": "excused"})
    register = Register(run, log.fold(), t(20))
    assert register.status("here", DAY1) == "absent"
    assert register.status("away", DAY1) == "excused"
    log.add(ev.ATTENDANCE_MARKED, {"participant": "here", "day": "2022-08-22", "status": None})
    assert Register(run, log.fold(), t(20)).status("here", DAY1) == "present"


@pytest.mark.parametrize(("day2_minutes", "eligible"), [(4, True), (4 - 1 / 60, False)])
def test_certificate_needs_the_share_of_all_planned_minutes(
    tiny_programme: Programme, day2_minutes: float, eligible: bool
) -> None:
    # Planned: day 1 25m + 15m, day 2 15m = 55m; 80% of it is 44m.
    day2 = t(24 * 60)
    run = state(tiny_programme, (DAY1, "warm-up", t(0), t(40)), (DAY2, "reflect", day2, t(20, day2)))
    log = Log().person("amina").inn("amina", t(0)).out("amina", t(60))
    log.inn("amina", day2).out("amina", t(day2_minutes, day2))
    certificate = Register(run, log.fold(), t(60, day2)).certificate("amina")
    assert certificate.planned == timedelta(minutes=55) and certificate.required == timedelta(minutes=44)
    assert certificate.run == timedelta(minutes=60)
    assert certificate.attended == timedelta(minutes=40 + day2_minutes)
    assert certificate.eligible is eligible


def test_counts_per_location_and_arrivals_over_time(tiny_programme: Programme) -> None:
    log = Log().person("a").person("b").person("c").person("d", "juba")
    log.inn("a", t(0)).inn("b", t(5)).out("b", t(20)).inn("d", t(7), location="hq").inn("a", t(9), "zoom")
    register = Register(state(tiny_programme), log.fold(), t(30))
    counts = register.counts()
    # Expected is the workshop's figure (4 at hq, 3 at juba), whatever the roster holds (3 and 1).
    assert (counts["hq"].present, counts["hq"].expected, counts["hq"].registered) == (2, 4, 3)
    assert (counts["juba"].present, counts["juba"].expected, counts["juba"].registered) == (0, 3, 1)
    assert register.counts(at=t(10))["hq"].present == 3
    assert register.arrivals("hq") == [(t(0), 1), (t(5), 2), (t(7), 3)]
    assert register.arrivals("hq", since=t(1)) == [(t(1), 1), (t(5), 2), (t(7), 3)]
    assert register.arrivals("hq", since=t(21)) == [(t(21), 1), (t(21), 2)]  # a and d were there already
    assert Register(state(tiny_programme), Log().fold(), t(0)).counts()["juba"].expected == 3  # the workshop's figure


# -- invariants -------------------------------------------------------------------------------------------

minute_offsets = st.integers(min_value=0, max_value=600)
raw_spans = st.lists(st.tuples(minute_offsets, minute_offsets).map(sorted), max_size=12).map(
    lambda pairs: [(t(a), t(b)) for a, b in pairs]
)


@given(raw_spans, st.randoms(use_true_random=False))
def test_merging_does_not_depend_on_order(given_spans: list[tuple[datetime, datetime]], rnd: random.Random) -> None:
    shuffled = list(given_spans)
    rnd.shuffle(shuffled)
    merged = merge_spans(given_spans)
    assert merged == merge_spans(shuffled)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(merged))
    covered = sum((e - s for s, e in merged), timedelta())
    assert covered <= sum((e - s for s, e in given_spans), timedelta())


operations = st.lists(
    st.tuples(st.sampled_from(["in", "out"]), st.sampled_from(["facilitator", "qr", "zoom"]), minute_offsets),
    max_size=30,
)


@given(operations, st.booleans())
# A zero-length stretch and an open one from the same minute (on one channel, shared by two sources): found by
# Hypothesis once in a while, so pinned here.
@example([("in", "qr", 0), ("out", "facilitator", 0), ("in", "facilitator", 0)], True)
def test_check_in_and_out_never_make_overlapping_intervals(ops: list[tuple[str, str, int]], in_order: bool) -> None:
    if in_order:
        ops = sorted(ops, key=lambda op: op[2])
    log = Log().person("p")
    for kind, source, minute in ops:
        (log.inn if kind == "in" else log.out)("p", t(minute), source)
    attendance = log.fold()
    by_channel: dict[str, list[Interval]] = {}
    for iv in attendance.intervals("p"):
        by_channel.setdefault("live" if iv.source in ("facilitator", "qr") else iv.source, []).append(iv)
    for intervals in by_channel.values():
        assert sum(iv.end is None for iv in intervals) <= 1
        closed = sorted((iv.start, iv.end) for iv in intervals if iv.end is not None)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(closed))
        if in_order:
            # Of two stretches from the same minute, the one that ended (at once) comes before the one still open.
            ordered = sorted(intervals, key=lambda iv: (iv.start, iv.end is None))
            assert all(a.end is not None and a.end <= b.start for a, b in itertools.pairwise(ordered))


@settings(deadline=None)
@given(operations, st.lists(minute_offsets, min_size=2, max_size=6, unique=True), minute_offsets)
def test_minutes_attended_never_exceed_the_block(
    ops: list[tuple[str, str, int]], steps: list[int], now_minute: int
) -> None:
    from facilitator.script.models import Programme as P
    from tests.conftest import TINY_PROGRAMME

    programme = P.validate(TINY_PROGRAMME)
    times = sorted(steps)
    now = t(max(now_minute, times[-1]))
    exercises = itertools.cycle(["warm-up", "reflect"])
    visits = [(DAY1, next(exercises), t(a), t(b)) for a, b in itertools.pairwise(times)]
    visits.append((DAY1, next(exercises), t(times[-1]), None))
    log = Log().person("p")
    for kind, source, minute in ops:
        (log.inn if kind == "in" else log.out)("p", t(minute), source)
    register = Register(state(programme, *visits), log.fold(), now)
    lengths = {(b.day, b.exercise): b.length for b in blocks(register.state, now)}
    for key, attended in register.by_block("p").items():
        assert timedelta() <= attended <= lengths[key]
    day = register.by_day("p")[DAY1]
    assert day <= sum(lengths.values(), timedelta())
    assert day == overlap(register.spans("p"), register.day_spans(DAY1))
    # Against a count minute by minute (every time here is a whole minute): no minute counted twice.
    intervals = register.attendance.intervals("p")
    counted = 0
    for minute in range(0, 601):
        middle = t(minute + 0.5)
        running = any(s <= middle < e for s, e in register.day_spans(DAY1))
        counted += running and any(iv.start <= middle < iv.until(now) for iv in intervals)
    assert day == timedelta(minutes=counted)


# -- commands on a real run -------------------------------------------------------------------------------


@pytest.fixture
def session(run_store: Store) -> Session:
    s = Session(run_store, actor="lead")
    s.add_participant("Amina Deng", "amina@example.org", "hq", participant_id="amina")
    s.add_participant("Kofi Mensah", "kofi@example.org", "hq", participant_id="kofi", role="officer")
    s.add_participant("Grace Ladu", "grace@example.org", "juba", participant_id="grace")
    return s


def snapshot(attendance: Attendance) -> tuple[object, ...]:
    people = sorted({*attendance.roster.by_id, *attendance.participants()})
    return (
        {pid: attendance.intervals(pid) for pid in people},
        dict(attendance.marks),
        {loc: attendance.link_history(loc) for loc in attendance.links},
        dict(attendance.roster.by_id),
    )


def test_check_in_and_out_through_the_session(session: Session, fake_clock: FakeClock) -> None:
    start = fake_clock.now()
    checked_in = session.check_in("amina")
    assert checked_in is not None and checked_in.kind == ev.ATTENDANCE_CHECKED_IN
    assert checked_in.payload == {"participant": "amina", "at": to_text(start), "source": "facilitator"}
    assert session.attendance.open_since("amina", "facilitator") == start
    assert session.check_in("amina", source="qr") is None  # already in
    fake_clock.advance(timedelta(minutes=20))
    checked_out = session.check_out("amina")
    assert checked_out is not None and checked_out.kind == ev.ATTENDANCE_CHECKED_OUT
    assert checked_out.payload == {"participant": "amina", "at": to_text(fake_clock.now()), "source": "facilitator"}
    assert not session.attendance.is_in("amina")
    assert session.check_out("amina") is None
    earlier = start - timedelta(minutes=30)
    session.check_in("kofi", source="zoom", at=earlier, location="juba")
    session.check_out("kofi", source="zoom", at=start)
    assert spans(session.attendance, "amina") == [(start, start + timedelta(minutes=20))]
    assert session.attendance.intervals("kofi") == [Interval(earlier, start, "zoom", "juba")]


def test_everyone_present_checks_in_the_rest_in_one_transaction(session: Session, run_store: Store) -> None:
    session.check_in("kofi")
    before = run_store.events()[-1].seq
    written = session.everyone_present("hq")
    assert [e.payload["participant"] for e in written] == ["amina"]
    assert [e.seq for e in run_store.events(after=before)] == [written[0].seq]
    assert session.everyone_present("hq") == []
    with pytest.raises(InputError, match=r"location: no location 'hqq' in this workshop \(did you mean 'hq'\?\)"):
        session.everyone_present("hqq")


def test_marks_and_links_through_the_session(session: Session, fake_clock: FakeClock) -> None:
    session.mark("amina", DAY1, "excused")
    assert session.attendance.mark("amina", DAY1) == "excused"
    session.mark("amina", DAY1, None)
    assert session.attendance.mark("amina", DAY1) is None
    linked = session.set_link("juba", "connected")
    assert linked is not None and (linked.kind, linked.payload) == (
        ev.LOCATION_LINK,
        {"location": "juba", "status": "connected"},
    )
    assert session.attendance.link_status("juba") == "connected"
    assert session.set_link("juba", "connected") is None
    fake_clock.advance(60)
    session.set_link("juba", "dropped")
    history = session.attendance.link_history("juba")
    assert [(c.status, c.actor) for c in history] == [("connected", "lead"), ("dropped", "lead")]
    assert history[1].at - history[0].at == timedelta(seconds=60)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.check_in("nobody"), "participant: no participant 'nobody' on the roster"),
        (lambda s: s.check_in("amina", source="skype"), "source: 'skype' is not one of"),
        (lambda s: s.check_in("amina", at=datetime(2030, 1, 1, tzinfo=UTC)), "at: 2030-01-01T00:00:00.000000Z is in the future"),  # noqa: E501
        (lambda s: s.check_in("amina", at=datetime(2022, 1, 1)), "at: a time without a time zone"),
        (lambda s: s.check_in("amina", location="jubba"), "location: no location 'jubba' in this workshop (did you mean 'juba'?)"),  # noqa: E501
        (lambda s: s.mark("amina", DAY1, "sick"), "status: 'sick' is not one of late, excused, absent"),
        (lambda s: s.mark("amina", date(2022, 9, 1), "late"), "day: 2022-09-01 is not a day of this workshop"),
        (lambda s: s.set_link("hq", "up"), "status: 'up' is not one of not-joined, connected, dropped"),
        (lambda s: s.set_link("nairobi", "connected"), "location: no location 'nairobi' in this workshop"),
        (lambda s: s.add_participant("X", "amina@", "hq"), "email: 'amina@' is not an e-mail address"),
        (lambda s: s.add_participant("X", "x@example", "hq"), "email: 'x@example' is not an e-mail address"),
        (lambda s: s.add_participant("  ", "x@example.org", "hq"), "name: cannot be empty"),
        (lambda s: s.add_participant("X", "x@example.org", "jubba"), "location: no location 'jubba' in this workshop (did you mean 'juba'?)"),  # noqa: E501
        (lambda s: s.add_participant("X", "AMINA@example.org", "hq"), "email: 'AMINA@example.org' is already on the roster"),  # noqa: E501
        (lambda s: s.add_participant("X", "x@example.org", "hq", rol="a"), "rol: not a participant field (did you mean 'role'?)"),  # noqa: E501
        (lambda s: s.add_participant("X\x1b[2J", "x@example.org", "hq"), "name: contains control characters"),
        (lambda s: s.edit_participant("amina", email="kofi@example.org"), "email: 'kofi@example.org' is already on the roster"),  # noqa: E501
        (lambda s: s.edit_participant("amina", name=""), "name: cannot be empty"),
        (lambda s: s.edit_participant("amina", mail="a@b.org"), "mail: not a participant field (did you mean 'email'?)"),  # noqa: E501
        (lambda s: s.edit_participant("nobody", name="X"), "participant: no participant 'nobody' on the roster"),
    ],
)  # fmt: skip
def test_bad_input_is_one_clear_line_and_writes_nothing(
    session: Session, run_store: Store, call: Any, message: str
) -> None:
    before = run_store.events()[-1].seq
    with pytest.raises(InputError) as raised:
        call(session)
    assert len(raised.value.lines()) == 1 and raised.value.lines()[0].startswith(message)
    assert run_store.events(after=before) == []


def test_walk_ins_are_added_and_edited(session: Session, run_store: Store) -> None:
    event = session.add_participant(" Nyakim Gatwech ", "nyakim@example.org", "juba", gender="female", code="")
    person = session.attendance.roster.by_id[event.payload["participant"]]
    assert (person.name, person.source, person.gender, person.code) == ("Nyakim Gatwech", "walk-in", "female", None)
    edited = session.edit_participant(person.id, location="hq", gender=None, name="Nyakim Gatwech")
    assert edited is not None and edited.kind == ev.PARTICIPANT_UPDATED
    assert edited.payload == {"participant": person.id, "changes": {"location": "hq", "gender": None}}
    assert run_store.events()[-1] == edited
    assert session.edit_participant(person.id, location="hq") is None
    fixed = session.edit_participant("amina", email="AMINA@example.org")  # a person may fix their own case
    assert fixed is not None and fixed.payload["changes"] == {"email": "AMINA@example.org"}
    assert session.attendance.roster.by_id["amina"].email == "AMINA@example.org"
    moved = session.attendance.roster.by_id[person.id]
    assert (moved.location, moved.gender, moved.name) == ("hq", None, "Nyakim Gatwech")


def test_the_fold_after_reopening_equals_the_fold_before(
    session: Session, run_store: Store, fake_clock: FakeClock
) -> None:
    session.check_in("amina")
    session.check_in("grace", source="teams", at=fake_clock.now() - timedelta(minutes=5))
    fake_clock.advance(600)
    session.check_out("amina")
    session.check_in("amina", source="qr")
    session.mark("kofi", DAY2, "excused")
    session.set_link("juba", "dropped")
    session.everyone_present("juba")
    before = snapshot(session.attendance)
    path = run_store.path
    run_store.close()
    with Store.open(path, clock=fake_clock) as reopened:
        assert snapshot(Session(reopened, actor="co").attendance) == before
        assert snapshot(Attendance.from_events(reopened.events())) == before


def test_another_process_sees_check_ins_on_refresh(session: Session, run_store: Store, fake_clock: FakeClock) -> None:
    with Store.open(run_store.path, clock=fake_clock) as other_store:
        other = Session(other_store, actor="co")
        other.check_in("grace")
    assert not session.attendance.is_in("grace")
    session.refresh()
    assert session.attendance.is_in("grace")
    assert session.check_in("grace") is None


def test_a_check_in_left_open_since_yesterday_does_not_swallow_todays(session: Session, fake_clock: FakeClock) -> None:
    yesterday = session.check_in("amina")
    assert yesterday is not None and yesterday.payload["at"] == to_text(fake_clock.now())
    assert session.check_in("amina") is None  # the same day: already in
    fake_clock.advance(timedelta(days=1))
    today = session.check_in("amina")
    assert today is not None, "today's check-in was taken for a repeat of yesterday's"
    assert today.payload == {"participant": "amina", "at": to_text(fake_clock.now()), "source": "facilitator"}
    closed, opened = session.attendance.intervals("amina")
    midnight = datetime(2022, 8, 23, tzinfo=ZoneInfo(session.programme.workshop.timezone))
    assert closed.end == midnight and opened.start == fake_clock.now() and opened.end is None


# -- mutants that survived (issue 26): each test below fails when one of them is put back ------------------


def test_a_backdated_stretch_joins_only_the_stretches_it_overlaps() -> None:
    log = Log().person("amina")
    for start, end in ((0, 10), (20, 30), (50, 60)):
        log.inn("amina", t(start), "zoom").out("amina", t(end), "zoom")
    log.inn("amina", t(15), "zoom").out("amina", t(25), "zoom")  # back-dated: overlaps 20-30 only
    log.inn("amina", t(42), "zoom").out("amina", t(45), "zoom")  # back-dated: overlaps nothing
    attendance = log.fold()
    assert spans(attendance, "amina") == [(t(0), t(10)), (t(15), t(30)), (t(42), t(45)), (t(50), t(60))]
    register = Register(state(Programme.validate(TINY_PROGRAMME), (DAY1, "warm-up", t(0), t(60))), attendance, t(60))
    assert register.by_day("amina") == {DAY1: timedelta(minutes=10 + 15 + 3 + 10)}


def test_a_backdated_check_in_and_the_stretch_it_joins_keep_the_location_it_gave() -> None:
    log = Log().person("amina")
    log.inn("amina", t(30), "teams").out("amina", t(60), "teams")
    log.inn("amina", t(10), "teams", location="juba")  # back-dated, before the stretch on record
    attendance = log.fold()
    assert attendance.intervals("amina")[0] == Interval(t(10), None, "teams", "juba")
    assert attendance.open_since("amina", "teams") == t(10)
    log.out("amina", t(40), "teams")  # overlaps 30-60: one stretch 10-60, where the check-in said
    assert log.fold().intervals("amina") == [Interval(t(10), t(60), "teams", "juba")]


def test_no_outage_without_a_drop() -> None:
    log = Log()
    log.add(ev.LOCATION_LINK, {"location": "juba", "status": "connected"}, at=t(0))
    assert log.fold().outages("juba", t(30)) == []
    log.add(ev.LOCATION_LINK, {"location": "juba", "status": "connected"}, at=t(5))  # said twice
    log.add(ev.LOCATION_LINK, {"location": "juba", "status": "dropped"}, at=t(10))
    log.add(ev.LOCATION_LINK, {"location": "juba", "status": "dropped"}, at=t(12))  # still the same outage
    log.add(ev.LOCATION_LINK, {"location": "juba", "status": "connected"}, at=t(20))
    assert log.fold().outages("juba", t(30)) == [(t(10), t(20))]
    assert log.fold().outages("hq", t(30)) == []


def test_present_until_the_instant_of_check_out_and_not_at_it(tiny_programme: Programme) -> None:
    log = Log().person("amina").inn("amina", t(0)).out("amina", t(30))
    register = Register(state(tiny_programme, (DAY1, "warm-up", t(0), None)), log.fold(), t(40))
    assert register.is_present("amina", t(0)) and register.is_present("amina", t(30) - timedelta(microseconds=1))
    assert not register.is_present("amina", t(30))
    assert not register.is_present("amina", t(0) - timedelta(microseconds=1))
    assert register.counts(at=t(30))["hq"].present == 0 and register.counts(at=t(29))["hq"].present == 1


def test_counts_name_their_location() -> None:
    log = Log().person("a").person("d", "juba").inn("a", t(0)).inn("d", t(0), location="hq")
    counts = Register(state(Programme.validate(TINY_PROGRAMME)), log.fold(), t(10)).counts()
    assert counts == {
        "hq": LocationCount("hq", present=2, expected=4, registered=1),
        "juba": LocationCount("juba", present=0, expected=3, registered=1),
    }


def test_arrivals_exactly_at_the_bounds_of_the_curve_count(tiny_programme: Programme) -> None:
    log = Log().person("a").person("b").person("c")
    log.inn("a", t(10), "zoom").out("a", t(10), "zoom")  # in and out at the same instant: still an arrival
    log.inn("b", t(20)).inn("c", t(25))
    register = Register(state(tiny_programme), log.fold(), t(20))  # now: b arrives this very instant
    assert register.arrivals("hq", since=t(10)) == [(t(10), 1), (t(20), 2)]
    assert register.arrivals("hq", since=t(10), until=t(25)) == [(t(10), 1), (t(20), 2), (t(25), 3)]
    assert register.arrivals("hq", since=t(11), until=t(25)) == [(t(20), 1), (t(25), 2)]


def test_a_block_runs_only_while_its_last_visit_is_open_on_a_day_not_over(tiny_programme: Programme) -> None:
    run = state(
        tiny_programme,
        (DAY1, "warm-up", t(0), t(10)),
        (DAY1, "reflect", t(10), t(20)),
        (DAY1, "warm-up", t(20), None),
    )
    warm_up, reflect = blocks(run, t(32))
    assert warm_up == Block(DAY1, "warm-up", ((t(0), t(10)), (t(20), t(32))), running=True)
    assert reflect == Block(DAY1, "reflect", ((t(10), t(20)),), running=False)
    assert blocks(state(tiny_programme, (DAY1, "warm-up", t(0), t(10))), t(32))[0].running is False


def test_a_day_left_open_ends_its_blocks_at_its_forecast_not_at_midnight(tiny_programme: Programme) -> None:
    day2 = t(24 * 60)
    run = replace(
        state(tiny_programme, (DAY1, "warm-up", t(0), day2), (DAY2, "reflect", day2, None)),
        # the team's last action on day 1: entering its first step (10m), then 15m + 5m + 10m planned
        last_actions={DAY1: LastAction(t(0), "warm-up", "intro", Timer(t(0), timedelta(minutes=10)))},
    )
    assert blocks(run, t(30, day2))[0] == Block(DAY1, "warm-up", ((t(0), t(40)),), running=False)
    log = Log().person("amina").inn("amina", t(0))  # never checked out
    register = Register(run, log.fold(), t(30, day2))
    assert register.by_day("amina")[DAY1] == timedelta(minutes=40)
    assert register.spans("amina") == [(t(0), t(40))]


def test_minutes_of_a_duration() -> None:
    assert minutes(timedelta(hours=1, minutes=30)) == 90.0
    assert minutes(timedelta(seconds=90)) == 1.5


def test_a_check_in_or_out_with_no_source_is_the_facilitator_s() -> None:
    log = Log().person("amina")
    log.add(ev.ATTENDANCE_CHECKED_IN, {"participant": "amina", "at": to_text(t(0))})
    attendance = log.fold()
    assert attendance.intervals("amina") == [Interval(t(0), None, "facilitator")]
    assert attendance.is_in("amina", "qr")  # the facilitator's and the page's share the room's channel
    log.add(ev.ATTENDANCE_CHECKED_OUT, {"participant": "amina", "at": to_text(t(30))})
    assert log.fold().intervals("amina") == [Interval(t(0), t(30), "facilitator")]


def test_the_fold_keeps_join_requests_and_its_position() -> None:
    assert Attendance().last_seq == 0
    log = Log()
    request = {"request": "r1", "name": "Nyakim", "email": "n@example.org", "location": "juba"}
    log.add(ev.PARTICIPANT_REQUESTED, request, at=t(3))
    attendance = log.fold()
    assert [(r.id, r.name, r.location, r.at) for r in attendance.requests.pending()] == [("r1", "Nyakim", "juba", t(3))]
    assert attendance.last_seq == 1
    log.add(ev.ATTENDANCE_MARKED, {"participant": "amina", "day": "2022-08-22", "status": None})  # nothing to clear
    log.add(ev.LOCATION_LINK, {"location": "juba", "status": "up"})  # not a link status: ignored
    log.add("something.from.the.future", {"location": "juba", "status": "connected"})
    attendance = log.fold()
    assert attendance.last_seq == 4 and attendance.marks == {}
    assert attendance.link_status("juba") == "not-joined" and attendance.link_history("juba") == []
    assert attendance.link_history("hq") == []


def test_a_register_needs_the_programme() -> None:
    with pytest.raises(AssertionError, match=r"^a run always starts with its programme$"):
        Register(SessionState(), Attendance(), t(0))


def test_someone_on_a_report_but_not_on_the_roster_counts_nowhere(tiny_programme: Programme) -> None:
    log = Log().person("a").inn("a", t(0)).inn("stranger", t(0), "zoom")  # no location, no roster entry
    register = Register(state(tiny_programme), log.fold(), t(10))
    assert not register.is_present("stranger") and register.is_present("a")
    assert {loc: c.present for loc, c in register.counts().items()} == {"hq": 1, "juba": 0}
    assert register.arrivals("hq") == [(t(0), 1)]
    assert register.counts()["juba"].registered == 0  # nobody on the roster there


def test_certificates_name_their_participant_in_roster_order(tiny_programme: Programme) -> None:
    log = Log().person("kofi").person("amina").inn("amina", t(0))
    register = Register(state(tiny_programme, (DAY1, "warm-up", t(0), t(40))), log.fold(), t(60))
    certificates = register.certificates()
    assert [(c.participant, c.attended) for c in certificates] == [
        ("kofi", timedelta()),
        ("amina", timedelta(minutes=40)),
    ]
    assert register.certificate("amina").participant == "amina"
    assert register.day_spans(DAY2) == []  # not started


def test_stretches_that_only_touch_stay_apart_with_their_own_locations(tiny_programme: Programme) -> None:
    log = Log().person("amina")
    log.inn("amina", t(10), "zoom", location="hq").out("amina", t(20), "zoom")
    log.inn("amina", t(30), "zoom", location="juba").out("amina", t(40), "zoom")
    log.inn("amina", t(20), "zoom", location="juba").out("amina", t(25), "zoom")  # starts where 10-20 ended
    log.inn("amina", t(26), "zoom", location="hq").out("amina", t(30), "zoom")  # ends where 30-40 starts
    attendance = log.fold()
    assert attendance.intervals("amina") == [
        Interval(t(10), t(20), "zoom", "hq"),
        Interval(t(20), t(25), "zoom", "juba"),
        Interval(t(26), t(30), "zoom", "hq"),
        Interval(t(30), t(40), "zoom", "juba"),
    ]
    register = Register(state(tiny_programme, (DAY1, "warm-up", t(0), None)), attendance, t(50))
    where = {m: register.counts(at=t(m)) for m in (15, 22, 28, 35)}
    assert [(m, c["hq"].present, c["juba"].present) for m, c in where.items()] == [
        (15, 1, 0),
        (22, 0, 1),
        (28, 1, 0),
        (35, 0, 1),
    ]
