"""The register reads only the intervals that can count (issue 14), and keeps the settled days between screens.

An interval counts on the local date it began, so a question about a moment or a day reads the intervals begun
on its dates, and the days closed in the past are summed once (:class:`SettledDays`) while a screen rebuilds its
register on every check-in. Whatever happens (check-ins late and back-dated, on either channel, days closed and
reopened, check-ins that run past midnight) every figure must equal the one read from all the intervals.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitator.attendance.intervals import Attendance, Interval, overlap
from facilitator.live.register import Register, SettledDays
from facilitator.live.session import Session
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.speaking.tally import present
from tests.conftest import TINY_PROGRAMME
from tests.tools import a_settled_day

START = datetime(2022, 8, 22, 5, 30, tzinfo=UTC)  # 08:30 in Juba, the first day's morning
PEOPLE = 4

actions = st.lists(
    st.one_of(
        st.tuples(st.just("wait"), st.integers(1, 600)),  # minutes
        st.tuples(st.just("in"), st.integers(0, PEOPLE - 1), st.sampled_from(["facilitator", "qr", "zoom"])),
        st.tuples(st.just("out"), st.integers(0, PEOPLE - 1), st.sampled_from(["facilitator", "zoom"])),
        st.tuples(st.just("back"), st.integers(0, PEOPLE - 1), st.integers(1, 3000)),  # a back-dated check-in
        st.tuples(
            st.just("next"),
        ),
        st.tuples(
            st.just("close"),
        ),
        st.tuples(st.just("day"), st.integers(0, 1)),
    ),
    min_size=5,
    max_size=40,
)


class AllIntervals:
    """The attendance fold with its windows ignored: every interval, as the register read them before."""

    def __init__(self, attendance: Attendance) -> None:
        self._attendance = attendance
        self.roster = attendance.roster

    def intervals(self, participant: str, since: Any = None, until: Any = None) -> list[Interval]:
        return self._attendance.intervals(participant)

    def any_begun(self, participant: str, since: Any, until: Any) -> bool:
        return bool(self._attendance.intervals(participant))


def act(s: Session, clock: FakeClock, ids: list[str], action: tuple[Any, ...]) -> None:
    kind = action[0]
    try:
        if kind == "wait":
            clock.advance(timedelta(minutes=action[1]))
        elif kind == "in":
            s.check_in(ids[action[1]], source=action[2])
        elif kind == "out":
            s.check_out(ids[action[1]], source=action[2])
        elif kind == "back":
            s.check_in(ids[action[1]], source="teams", at=clock.now() - timedelta(minutes=action[2]))
            s.check_out(ids[action[1]], source="teams", at=clock.now() - timedelta(minutes=action[2] // 2))
        elif kind == "next":
            s.next_step(confirmed=True)  # reopening a closed day, when it comes to that
        elif kind == "close":
            s.close_day()
        else:
            s.open_day(s.programme.workshop.days[action[1]].date)
    except Exception as exc:  # a command the state refuses (no step to go to, a day not open): a user's refusal
        if type(exc).__name__ not in {"InputError", "NotAllowed", "NeedsConfirmation"}:
            raise


def figures(register: Register, ids: list[str]) -> dict[str, Any]:
    days = sorted({block.day for block in register.blocks})
    return {
        "by_day": {pid: register.by_day(pid) for pid in ids},
        "first": {(pid, d): register.first_arrival(pid, d) for pid in ids for d in days},
        "status": {(pid, d): register.status(pid, d) for pid in ids for d in days},
        "certificates": [c.attended for c in register.certificates()],
        "counts": register.counts(),
        "present": {pid: register.is_present(pid) for pid in ids},
    }


def reference(register: Register, ids: list[str]) -> dict[str, Any]:
    """The same figures from every interval (the register's ``spans`` reads them all)."""
    days = sorted({block.day for block in register.blocks})

    def first(pid: str, day: date) -> datetime | None:
        window = register.day_spans(day)
        return next((s for s, e in register.spans(pid) if overlap([(s, e)], window) > timedelta()), None)

    def where(pid: str, at: datetime) -> str | None:
        found, place = False, None
        for iv in register.attendance.intervals(pid):
            end = register.ends.clip(iv.start, iv.end if iv.end is not None else register.ends.cutoff(iv.start))
            if iv.start <= at < end:
                found, place = True, iv.location
        person = register.attendance.roster.by_id[pid]
        return (place or person.location) if found else None

    by_day = {pid: {d: overlap(register.spans(pid), register.day_spans(d)) for d in days} for pid in ids}
    return {
        "by_day": by_day,
        "first": {(pid, d): first(pid, d) for pid in ids for d in days},
        "certificates": [sum(by_day[pid].values(), timedelta()) for pid in ids],
        "present": {pid: where(pid, register.now) is not None for pid in ids},
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(script=actions)
def test_the_register_reads_the_windows_that_count_and_keeps_the_settled_days(
    tmp_path_factory: Any, script: list[tuple[Any, ...]]
) -> None:
    clock = FakeClock(START)
    db = tmp_path_factory.mktemp("run") / "run.db"
    with Store.create(db, Programme.validate(TINY_PROGRAMME), actor="lead", clock=clock) as store:
        s = Session(store, actor="lead")
        ids = [
            s.add_participant(f"P{n}", f"p{n}@example.org", ["hq", "juba"][n % 2]).payload["participant"]
            for n in range(PEOPLE)
        ]
        settled = SettledDays()
        seen = s.state.last_seq
        for action in [("next",), *script]:
            act(s, clock, ids, action)
            new = store.events(after=seen)
            seen = s.state.last_seq
            settled.forget(e.payload.get("participant", "") for e in new if e.kind.startswith("attendance.checked"))
            now = clock.now()
            kept = Register(s.state, s.attendance, now, settled)
            fresh = Register(s.state, s.attendance, now)
            got = figures(kept, ids)
            assert got == figures(fresh, ids)  # what the settled days keep is what counting again gives
            expected = reference(fresh, ids)
            assert {k: got[k] for k in expected} == expected
            window = fresh.day_spans(s.state.day) if s.state.day else []
            if window:
                everything = Register(s.state, AllIntervals(s.attendance), now)  # type: ignore[arg-type]
                assert present(fresh, window) == present(everything, window)


def test_a_check_in_back_dated_into_a_settled_day_counts_again(run_store: Store, fake_clock: FakeClock) -> None:
    s = Session(run_store, actor="lead")
    pid = s.add_participant("Amina", "amina@example.org", "juba").payload["participant"]
    first_day, _ = a_settled_day(s, fake_clock, pid)
    settled = SettledDays()
    before = Register(s.state, s.attendance, fake_clock.now(), settled).by_day(pid)[first_day]
    assert settled.get(pid, first_day) == before == timedelta(minutes=10)  # kept: the day has settled
    s.check_in(pid, source="zoom", at=fake_clock.now() - timedelta(hours=18))  # a report of day 1
    s.check_out(pid, source="zoom", at=fake_clock.now() - timedelta(hours=17, minutes=35))
    settled.forget([pid])
    after = Register(s.state, s.attendance, fake_clock.now(), settled).by_day(pid)[first_day]
    assert after == Register(s.state, s.attendance, fake_clock.now()).by_day(pid)[first_day] > before
