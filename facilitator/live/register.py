"""What the attendance record adds up to, measured against the session as it actually ran.

A *block* is one exercise of a day's agenda, running from the first step of it that was entered to when
the day left its last step (an ongoing block ends "now"). A check-in counts for the day it was made on.
Every day ends (facilitator.live.days): on the record, or, left open, at its inferred end, never later than
the workshop's midnight. A step visit, and an interval, stops counting at its day's end: a person checked in
on Monday and never checked out is not present after Monday's session closed, nor on Tuesday, and Monday's
last step does not run all night.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from facilitator.attendance.intervals import Attendance, Interval, Span, merge_spans, overlap
from facilitator.live.days import DayEnd, DayEnds, midnight_after
from facilitator.live.state import SessionState, Visit


@dataclass(frozen=True)
class Block:
    """One exercise of a day's agenda as it actually ran: the merged stretches of its step visits."""

    day: date
    exercise: str
    segments: tuple[Span, ...]
    running: bool  # its last visit is still open: the block ends "now"

    @property
    def start(self) -> datetime:
        return self.segments[0][0]

    @property
    def end(self) -> datetime:
        return self.segments[-1][1]

    @property
    def length(self) -> timedelta:
        return sum((end - start for start, end in self.segments), timedelta())


def blocks(state: SessionState, now: datetime, ends: DayEnds | None = None) -> list[Block]:
    """Every block that has started, in the order it started.

    A block is an exercise on a day: from the first of its steps entered on that day to when the day left
    its last step. Going back to an exercise after another makes its block two stretches, so no time is
    counted in two blocks. An open visit ends ``now``; no visit runs past its day's end (facilitator.live.days)
    nor past the midnight (workshop time) after it was entered.
    """
    if state.programme is None:
        return []
    tz = zoneinfo.ZoneInfo(state.programme.workshop.timezone)
    ends = ends or DayEnds(state, now)
    grouped: dict[tuple[date, str], list[Visit]] = {}
    for visit in state.visits:
        grouped.setdefault((visit.day, visit.exercise), []).append(visit)
    found = []
    for (day, exercise), visits in grouped.items():
        spans = []
        running = False
        day_end = ends.end(day)
        for visit in visits:
            span = visit_span(visit, now, tz, day_end)
            running = running or (visit.left_at is None and day_end is None and span[1] == max(now, visit.entered_at))
            spans.append(span)
        found.append(Block(day, exercise, tuple(merge_spans(spans)), running))
    return sorted(found, key=lambda block: block.start)


def visit_span(visit: Visit, now: datetime, tz: zoneinfo.ZoneInfo, day_end: DayEnd | None) -> Span:
    """When ``visit`` ran: to when it was left, or ``now`` while open; never past its day's end (``day_end``)
    nor the midnight (``tz``) after it was entered."""
    end = visit.left_at if visit.left_at is not None else max(now, visit.entered_at)
    capped = min(end, midnight_after(visit.entered_at, tz))
    if day_end is not None:
        capped = max(visit.entered_at, min(capped, day_end.at))
    return visit.entered_at, capped


# -- the register -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    """Whether a participant has earned the certificate, with the figures behind it."""

    participant: str
    attended: timedelta  # over all days, clipped to the blocks as run
    planned: timedelta  # planned length of all the workshop's days: the denominator
    share: float  # the workshop's certificate_share
    run: timedelta  # how long the blocks actually ran, for context

    @property
    def required(self) -> timedelta:
        return self.planned * self.share

    @property
    def eligible(self) -> bool:
        return self.attended >= self.required

    @property
    def attended_share(self) -> float:
        """Share of the planned time attended, 0..1: time beyond the plan (days that ran over) does not count."""
        return min(self.attended, self.planned) / self.planned if self.planned else 0.0


@dataclass(frozen=True)
class LocationCount:
    """The people of one location at a moment: how many are present, expected and on the roster there."""

    location: str
    present: int
    expected: int  # the workshop's ``expected`` for the location; the people on the roster there if it sets none
    registered: int  # the people on the roster there


class SettledDays:
    """Time attended on the days that can no longer change, per participant, kept from one register to the next.

    A day closed on the record whose every date is past has fixed blocks and fixed interval ends; what a
    person attended on it changes only when their own check-ins do (a report imported late). A screen that
    builds a register on every check-in keeps one of these, and tells it whose check-ins came
    (:meth:`forget`): the attendance screen of the fifth day of a large run so sums the other days once, not
    on every check-in (issue 14: 6.5 s a check-in with a thousand people who dropped out and rejoined all week).
    """

    def __init__(self) -> None:
        self.key: object = None
        self._times: dict[tuple[str, date], timedelta] = {}
        self._arrivals: dict[tuple[str, date], datetime | None] = {}

    def settle(self, key: object) -> None:
        """The days settled and how they ran, as the register sees them: if that changed, start again."""
        if key != self.key:
            self.key = key
            self._times.clear()
            self._arrivals.clear()

    def forget(self, participants: Iterable[str]) -> None:
        """Their check-ins changed: their settled days are counted again."""
        gone = set(participants)
        if gone:
            self._times = {k: v for k, v in self._times.items() if k[0] not in gone}
            self._arrivals = {k: v for k, v in self._arrivals.items() if k[0] not in gone}

    def get(self, participant: str, day: date) -> timedelta | None:
        return self._times.get((participant, day))

    def put(self, participant: str, day: date, attended: timedelta) -> None:
        self._times[(participant, day)] = attended

    def arrival(self, participant: str, day: date) -> tuple[bool, datetime | None]:
        """Whether ``participant``'s first arrival on ``day`` is kept, and it (None: they never came)."""
        key = (participant, day)
        return (key in self._arrivals, self._arrivals.get(key))

    def put_arrival(self, participant: str, day: date, arrival: datetime | None) -> None:
        self._arrivals[(participant, day)] = arrival


@dataclass
class Register:
    """What the attendance record adds up to at ``now``, measured against the session as it ran.

    Build one per screen refresh or export (blocks are worked out once); every method is a pure function
    of the state, the attendance fold and ``now``. Durations are :class:`~datetime.timedelta`; use
    :func:`minutes` for a number of minutes. ``settled`` (a screen's, kept between refreshes) spares
    counting the days that can no longer change again.

    An interval counts on the local date it began (it stops at that date's end), so a question about a
    moment or a day reads only the intervals that began on its dates.
    """

    state: SessionState
    attendance: Attendance
    now: datetime
    settled: SettledDays | None = None
    blocks: list[Block] = field(init=False)

    def __post_init__(self) -> None:
        programme = self.state.programme
        assert programme is not None, "a run always starts with its programme"
        self.programme = programme
        self.tz = zoneinfo.ZoneInfo(programme.workshop.timezone)
        self.ends = DayEnds(self.state, self.now)
        self.blocks = blocks(self.state, self.now, self.ends)
        self._days: dict[date, list[Span]] = {}
        for block in self.blocks:
            self._days.setdefault(block.day, []).extend(block.segments)
        self._days = {day: merge_spans(spans) for day, spans in self._days.items()}
        self._dates = {
            day: sorted({start.astimezone(self.tz).date() for start, _ in spans}) for day, spans in self._days.items()
        }
        self._spans: dict[str, list[Span]] = {}
        self._spans_on: dict[tuple[str, date], list[Span]] = {}
        self._spans_of: str | None = None  # whose spans ``_spans_on`` holds
        self._where: dict[tuple[str, datetime], str | None] = {}  # _location_of's answers: a screen asks twice
        self._windows: dict[datetime, tuple[datetime, datetime]] = {}  # _located's, one per moment asked about
        self._settled_days: frozenset[date] = frozenset()
        if self.settled is not None:
            today = self.now.astimezone(self.tz).date()
            # Ended (on the record or inferred: the same figures, facilitator.live.days) and all its dates past.
            settled = sorted(d for d in self._days if self.ends.end(d) is not None and max(self._dates[d]) < today)
            self.settled.settle(
                (id(self.programme), tuple((d, self.ends.end(d), tuple(self._days[d])) for d in settled))
            )
            self._settled_days = frozenset(settled)

    def _midnight(self, on: date) -> datetime:
        return datetime.combine(on, time(), tzinfo=self.tz)

    def begun_by(self, moment: datetime) -> datetime:
        """The earliest an interval can have begun and still count at ``moment``: that local date's midnight."""
        return self._midnight(moment.astimezone(self.tz).date())

    def spans_on(self, participant: str, on: date) -> list[Span]:
        """When ``participant`` was there by the intervals that began on the local date ``on``, merged."""
        if participant != self._spans_of:  # a register is read one person at a time: keep only theirs
            self._spans_of = participant
            self._spans_on.clear()
        key = (participant, on)
        cached = self._spans_on.get(key)
        if cached is None:
            midnight = self._midnight(on + timedelta(days=1))
            begun = self.attendance.intervals(participant, since=self._midnight(on), until=midnight)
            # What :meth:`stop` does, with the date's cut-off worked out once rather than per interval.
            ended = self.ends.date_end(on)
            now = self.now
            stops = []
            for iv in begun:
                cutoff = min(ended, midnight) if ended is not None and iv.start <= ended else midnight
                until = iv.end if iv.end is not None else max(now, iv.start)
                stops.append((iv.start, max(iv.start, min(until, cutoff))))
            cached = merge_spans(stops)
            self._spans_on[key] = cached
        return cached

    def _spans_of_day(self, participant: str, day: date) -> list[Span]:
        """``participant``'s spans on the dates ``day`` ran on: the only ones that can meet its blocks."""
        return [span for on in self._dates.get(day, ()) for span in self.spans_on(participant, on)]

    def stop(self, interval: Interval) -> datetime:
        """Where ``interval`` stops counting: its end, ``now`` while open, never past its day's end."""
        return self.ends.clip(interval.start, interval.until(self.now))

    def spans(self, participant: str) -> list[Span]:
        """When ``participant`` was there, all sources merged; no interval runs past its day's end.

        Merged within each local date only: a stretch ended at midnight and the next day's check-in at that
        very instant stay two spans, so no span (and no "last out") crosses from one day into the next.
        """
        cached = self._spans.get(participant)
        if cached is None:
            by_date: dict[date, list[Span]] = {}
            for iv in self.attendance.intervals(participant):
                by_date.setdefault(iv.start.astimezone(self.tz).date(), []).append((iv.start, self.stop(iv)))
            cached = [span for on in sorted(by_date) for span in merge_spans(by_date[on])]
            self._spans[participant] = cached
        return cached

    def day_spans(self, day: date) -> list[Span]:
        """When ``day``'s blocks ran (empty before its first step)."""
        return self._days.get(day, [])

    def ran(self, day: date, exercise: str | None = None, step: str | None = None) -> list[Span]:
        """When ``step`` of ``exercise`` ran on ``day``, every visit of it merged; with no step, every step of
        ``day`` (its blocks' time, :meth:`day_spans`)."""
        if step is None:
            return self.day_spans(day)
        end = self.ends.end(day)
        visits = (v for v in self.state.visits if (v.day, v.exercise, v.step) == (day, exercise, step))
        return merge_spans(visit_span(v, self.now, self.tz, end) for v in visits)

    def by_block(self, participant: str) -> dict[tuple[date, str], timedelta]:
        """Time attended in each block that has started, keyed by (day, exercise)."""
        mine = self.spans(participant)
        return {(b.day, b.exercise): overlap(mine, b.segments) for b in self.blocks}

    def by_day(self, participant: str) -> dict[date, timedelta]:
        """Time attended on each day that has started."""
        return {day: self.attended(participant, day) for day in self._days}

    def attended(self, participant: str, day: date) -> timedelta:
        """Time attended on ``day`` (nothing before it has started)."""
        settled = self.settled if day in self._settled_days else None
        known = settled.get(participant, day) if settled is not None else None
        if known is None:
            known = overlap(self._spans_of_day(participant, day), self._days.get(day, []))
            if settled is not None:
                settled.put(participant, day, known)
        return known

    def first_arrival(self, participant: str, day: date) -> datetime | None:
        """When ``participant`` was first there while ``day`` ran (earlier than its start if they came early)."""
        window = self.day_spans(day)
        if not window:
            return None
        settled = self.settled if day in self._settled_days else None
        if settled is not None:
            kept, arrival = settled.arrival(participant, day)
            if kept:
                return arrival
        mine = self._spans_of_day(participant, day)
        arrival = next((s for s, e in mine if overlap([(s, e)], window) > timedelta()), None)
        if settled is not None:
            settled.put_arrival(participant, day, arrival)
        return arrival

    def status(self, participant: str, day: date) -> str:
        """``present``, ``late``, ``excused`` or ``absent`` for ``day``; a facilitator's mark overrides.

        Late: first there after the day's first block started plus the workshop's ``late_grace``. A day
        that has not started yet gives ``absent`` unless marked.
        """
        marked = self.attendance.mark(participant, day)
        if marked is not None:
            return marked
        arrival = self.first_arrival(participant, day)
        if arrival is None:
            return "absent"
        start = self.day_spans(day)[0][0]
        return "late" if arrival > start + self.programme.workshop.attendance.late_grace else "present"

    def planned(self) -> timedelta:
        return sum((self.programme.planned_duration(d) for d in self.programme.workshop.days), timedelta())

    def certificate(self, participant: str) -> Certificate:
        """Eligible when time attended over all days ≥ ``certificate_share`` × the planned length of all days.

        The denominator is the plan (every day of the workshop, as scripted), not the time actually run: a
        day that ran short does not lower the bar, and days not run yet count in full.
        """
        run = sum((end - start for spans in self._days.values() for start, end in spans), timedelta())
        attended = sum((self.attended(participant, day) for day in self._days), timedelta())
        share = self.programme.workshop.attendance.certificate_share
        return Certificate(participant, attended, self.planned(), share, run)

    def certificates(self) -> list[Certificate]:
        """One per participant on the roster, in roster order."""
        return [self.certificate(pid) for pid in self.attendance.roster.by_id]

    # -- locations -------------------------------------------------------------------------------------

    def _location_of(self, participant: str, at: datetime) -> str | None:
        """Where ``participant`` is at ``at``: the location of the latest interval covering it, else None."""
        key = (participant, at)
        if key in self._where:
            return self._where[key]
        self._where[key] = where = self._located(participant, at)
        return where

    def _located(self, participant: str, at: datetime) -> str | None:
        where: str | None = None
        found = False
        # Only an interval begun on ``at``'s date, by ``at``, can cover it: every other stops at its own date's end.
        window = self._windows.get(at)
        if window is None:  # the same for everyone: the counts ask it of each person at the same moment
            window = self._windows[at] = (self.begun_by(at), at + timedelta(microseconds=1))
        since, until = window
        if not self.attendance.any_begun(participant, since, until):
            return None
        begun = self.attendance.intervals(participant, since=since, until=until)
        for iv in begun:
            end = self.ends.clip(iv.start, iv.end if iv.end is not None else midnight_after(iv.start, self.tz))
            if iv.start <= at < end:
                found = True
                where = iv.location
        if not found:
            return None
        person = self.attendance.roster.by_id.get(participant)
        return where or (person.location if person is not None else None)

    def is_present(self, participant: str, at: datetime | None = None) -> bool:
        return self._location_of(participant, at or self.now) is not None

    def counts(self, at: datetime | None = None) -> dict[str, LocationCount]:
        """Present and expected people per location of the workshop, at ``at`` (default ``now``).

        A present person counts where their check-in said they were, else at their roster location.
        """
        at = at or self.now
        roster = self.attendance.roster
        present: dict[str, int] = {}
        for pid in {*roster.by_id, *self.attendance.participants()}:
            where = self._location_of(pid, at)
            if where is not None:
                present[where] = present.get(where, 0) + 1
        registered = roster.counts()
        out = {}
        for location in self.programme.workshop.locations:
            here = registered.get(location.id, 0)
            out[location.id] = LocationCount(location.id, present.get(location.id, 0), location.expected or here, here)
        return out

    def arrivals(
        self, location: str, since: datetime | None = None, until: datetime | None = None
    ) -> list[tuple[datetime, int]]:
        """How many people had arrived at ``location`` by each moment someone arrived: [(time, count), ...].

        A person counts once, at their first check-in in [since, until] (default: up to ``now``) at that
        location (their check-in's location, else their roster location); one already there at ``since``
        counts at ``since``.
        """
        until = until or self.now
        roster = self.attendance.roster
        firsts = []
        for pid in self.attendance.participants():
            person = roster.by_id.get(pid)
            home = person.location if person is not None else None
            if since is not None and self._location_of(pid, since) == location:
                firsts.append(since)
                continue
            for iv in self.attendance.intervals(pid):
                if (since is None or iv.start >= since) and iv.start <= until and (iv.location or home) == location:
                    firsts.append(iv.start)
                    break
        return [(at, n) for n, at in enumerate(sorted(firsts), start=1)]
