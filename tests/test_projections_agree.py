"""The SQL tables organisers query and the Python folds the screens show are the same views of the log.

Random valid runs, made through the session engine: whatever the team did, the derived tables
(``step_visits``, ``reflections``, ``participants``, ``checkins``) hold exactly what the folds (SessionState,
Roster, Attendance) say.
"""

from __future__ import annotations

import contextlib
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitator.attendance.intervals import Attendance
from facilitator.live.session import Session
from facilitator.problems import InputError
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock, from_text
from facilitator.record.events import Event
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import TINY_PROGRAMME

PEOPLE = ("amina", "bea")
TEXTS = st.text(alphabet="abcé [=]", min_size=1, max_size=12).filter(str.strip)
ACTIONS = st.one_of(
    st.tuples(st.sampled_from(["next", "previous", "close", "overdue", "today", "day2", "pause", "resume"])),
    st.tuples(st.just("reflect"), TEXTS, st.booleans()),
    st.tuples(st.sampled_from(["edit", "retract", "hide", "show"]), st.integers(0, 5), TEXTS),
    st.tuples(st.just("rename"), st.sampled_from(PEOPLE), TEXTS),
    st.tuples(st.just("walk-in"), TEXTS),
    # check-ins and check-outs: who, on which source, how many minutes back, where (None: the roster's location)
    st.tuples(
        st.sampled_from(["in", "out"]),
        st.sampled_from(PEOPLE),
        st.sampled_from(["facilitator", "qr", "zoom", "teams"]),
        st.sampled_from([0, 0, 5, 45]),
        st.sampled_from([None, "juba", "hq"]),
    ),
    st.tuples(st.just("everyone"), st.sampled_from(["facilitator", "qr"])),  # in one bulk write, outs and ins
)
GAPS = st.one_of(st.integers(0, 30), st.just(900))


SIMPLE: dict[str, Any] = {
    "next": lambda s: s.next_step(confirmed=True),
    "previous": lambda s: s.previous_step(confirmed=True),
    "close": Session.close_day,
    "overdue": Session.close_overdue_days,
    "today": Session.open_today,
    "day2": lambda s: s.open_day(s.programme.workshop.days[1].date),
    "pause": Session.pause,
    "resume": Session.resume,
}


def _on_reflection(s: Session, name: str, target: str, text: str) -> None:
    if name == "edit":
        s.edit_reflection(target, text=text)
    elif name == "retract":
        s.retract_reflection(target)
    else:
        s.hide_reflection(target, hidden=name == "hide")


def _act(s: Session, action: tuple[Any, ...], logged: list[str]) -> None:
    name = action[0]
    if name in SIMPLE:
        SIMPLE[name](s)
    elif name == "reflect":
        event = s.log_reflection(action[1], participant="Amina" if action[2] else None, consent=action[2])
        logged.append(event.payload["reflection"])
    elif name in ("edit", "retract", "hide", "show") and logged:
        _on_reflection(s, name, logged[action[1] % len(logged)], action[2])
    elif name == "rename":
        s.edit_participant(action[1], name=action[2])
    elif name == "walk-in":
        s.add_participant(action[1], f"{abs(hash(action[1]))}@example.org", "juba")
    elif name in ("in", "out"):
        _, person, source, back, location = action
        at = s.store.clock.now() - timedelta(minutes=back)
        if name == "in":
            s.check_in(person, source, at=at, location=location)
        else:
            s.check_out(person, source, at=at)
    elif name == "everyone":
        s.everyone_present("juba", action[1])


def _checks_as_the_table_holds_them(events: list[Event]) -> list[tuple[Any, ...]]:
    """Every check-in and check-out of the log, as (participant, seq, kind, at, source, location), by participant."""
    return sorted(
        (
            e.payload["participant"],
            e.seq,
            "in" if e.kind == ev.ATTENDANCE_CHECKED_IN else "out",
            e.payload["at"],
            e.payload.get("source") or "facilitator",
            e.payload.get("location"),
        )
        for e in events
        if e.kind in (ev.ATTENDANCE_CHECKED_IN, ev.ATTENDANCE_CHECKED_OUT)
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(GAPS, ACTIONS), max_size=25))
def test_the_derived_tables_hold_what_the_folds_say(steps: list[tuple[int, tuple[Any, ...]]]) -> None:
    clock = FakeClock(datetime(2022, 8, 22, 6, 50, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as folder:
        programme = Programme.validate(TINY_PROGRAMME)
        with Store.create(Path(folder) / "run.db", programme, actor="lead", clock=clock) as store:
            s = Session(store, actor="lead")
            s.announce()
            for pid in PEOPLE:
                s.add_participant(pid.title(), f"{pid}@example.org", "juba", participant_id=pid)
            logged: list[str] = []
            for gap, action in steps:
                clock.advance(timedelta(minutes=gap))
                with contextlib.suppress(InputError):
                    _act(s, action, logged)
            fresh = Session(store, actor="reader", role="observer")
            state, roster = fresh.state, fresh.attendance.roster
            conn = store.conn

            visits = conn.execute("SELECT day, exercise, step, entered_at, left_at FROM step_visits ORDER BY seq")
            assert [
                (day, exercise, step, from_text(entered), from_text(left) if left else None)
                for day, exercise, step, entered, left in visits.fetchall()
            ] == [(v.day.isoformat(), v.exercise, v.step, v.entered_at, v.left_at) for v in state.visits]

            rows = conn.execute(
                "SELECT id, text, participant, consent, retracted_at IS NOT NULL, hidden FROM reflections ORDER BY seq"
            ).fetchall()
            assert rows == [
                (r.id, r.text, r.participant, int(r.consent), int(r.retracted), int(r.hidden))
                for r in state.reflections.values()
            ]

            people = conn.execute("SELECT id, name, email, location FROM participants ORDER BY seq").fetchall()
            assert people == [(p.id, p.name, p.email, p.location) for p in roster.by_id.values()]

            # The check-ins, stored by participant then seq (the order the export reads them in), are the log's...
            checks = conn.execute("SELECT participant, seq, kind, at, source, location FROM checkins").fetchall()
            assert checks == _checks_as_the_table_holds_them(store.events())
            # ...and folded in the order of the log they give every interval the fold of the events gives.
            from_table = Attendance()
            for pid, seq, direction, at, source, location in sorted(checks, key=lambda row: row[1]):
                kind = ev.ATTENDANCE_CHECKED_IN if direction == "in" else ev.ATTENDANCE_CHECKED_OUT
                payload = {"participant": pid, "at": at, "source": source, "location": location}
                from_table.apply(Event(seq, "", clock.now(), "", kind, payload))
            for pid in roster.by_id:
                assert from_table.intervals(pid) == fresh.attendance.intervals(pid)
