"""The timeline: every step planned against how it actually ran, and how far each day drifted.

A step's actual time is the wall time of its visits (as the pace panel counts it); its run time leaves
out the pauses; it overran by however much its run time passed its planned duration plus its extensions.
A day's last visit ends when the next step or day is entered, or at the day's end (facilitator.live.days: on the
record, or inferred for a day left open, never later than the workshop's midnight), whichever is first, as
attendance counts it. A day whose end was inferred says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from facilitator.attendance.intervals import minutes
from facilitator.exports.record import Record, VisitTimer
from facilitator.exports.tables import BOOL, DATE, DATETIME, MINUTES, Column, Table
from facilitator.live.days import midnight_after
from facilitator.live.pace import day_pace
from facilitator.live.state import Visit


@dataclass(frozen=True)
class StepRun:
    """One step of a day on the timeline: where and how long the plan had it, and how its visits actually
    ran (their wall time, pauses and extensions)."""

    day: date
    exercise: str
    exercise_title: str
    step: str
    step_title: str
    kind: str
    planned_start: datetime | None  # None: a step no longer in the script
    planned: timedelta | None
    visits: int
    actual_start: datetime | None
    actual_end: datetime | None  # None: running now, or never entered
    actual: timedelta
    paused: timedelta
    extension: timedelta

    @property
    def overrun(self) -> timedelta:
        if self.planned is None or not self.visits:
            return timedelta()
        return max(self.actual - self.paused - (self.planned + self.extension), timedelta())

    @property
    def status(self) -> str:
        if not self.visits:
            return "not run"
        return "running" if self.actual_end is None else "done"


@dataclass(frozen=True)
class DayRun:
    """One day of the workshop on the timeline: its planned start and length, when it actually began and
    ended, and how far it drifted."""

    day: date
    title: str
    planned_start: datetime
    planned: timedelta
    actual_start: datetime | None
    actual_end: datetime | None
    rehearsal: bool
    drift: timedelta | None  # positive: behind plan; None: not started
    status: str
    end_inferred: bool | None = None  # the day was left open and its end inferred; None: not ended


class Timeline:
    def __init__(self, record: Record) -> None:
        self.record = record
        programme = record.programme
        tz = record.workshop_tz
        visits: dict[tuple[date, str, str], list[tuple[Visit, datetime | None, VisitTimer]]] = {}
        ends = record.register.ends
        for index, visit in enumerate(record.state.visits):
            end = visit.left_at
            cap = midnight_after(visit.entered_at, tz)
            day_end = ends.end(visit.day)
            if day_end is not None:
                cap = max(visit.entered_at, min(cap, day_end.at))
            if end is not None or record.now >= cap or day_end is not None:
                end = min(end or cap, cap)
            timer = record.visit_timers.get(index, VisitTimer())
            visits.setdefault((visit.day, visit.exercise, visit.step), []).append((visit, end, timer))
        self.steps: list[StepRun] = []
        self.days: list[DayRun] = []
        for spec in programme.workshop.days:
            planned_keys = set()
            mine: list[StepRun] = []
            for planned in programme.timeline(spec):
                key = (spec.date, planned.exercise.id, planned.step.id)
                planned_keys.add(key)
                mine.append(
                    self._step(
                        key=key,
                        exercise_title=planned.exercise.title,
                        step_title=planned.step.title,
                        kind=planned.step.kind.value,
                        planned_start=planned.start,
                        planned=planned.step.duration,
                        found=visits.get(key, []),
                    )
                )
            for key, found in visits.items():
                if key[0] == spec.date and key not in planned_keys:
                    exercise = programme.exercise_by_id.get(key[1])
                    title = exercise.title if exercise else key[1]
                    mine.append(
                        self._step(
                            key=key,
                            exercise_title=title,
                            step_title=key[2],
                            kind="",
                            planned_start=None,
                            planned=None,
                            found=found,
                        )
                    )
            self.steps.extend(mine)
            self.days.append(self._day(spec.date, spec.title, mine))

    def _step(
        self,
        *,
        key: tuple[date, str, str],
        exercise_title: str,
        step_title: str,
        kind: str,
        planned_start: datetime | None,
        planned: timedelta | None,
        found: list[tuple[Visit, datetime | None, VisitTimer]],
    ) -> StepRun:
        now = self.record.now
        return StepRun(
            day=key[0],
            exercise=key[1],
            exercise_title=exercise_title,
            step=key[2],
            step_title=step_title,
            kind=kind,
            planned_start=planned_start,
            planned=planned,
            visits=len(found),
            actual_start=min((v.entered_at for v, _, _ in found), default=None),
            actual_end=None
            if not found or any(end is None for _, end, _ in found)
            else max(e for _, e, _ in found if e),
            actual=sum(((end or now) - v.entered_at for v, end, _ in found), timedelta()),
            paused=sum((t.paused for _, _, t in found), timedelta()),
            extension=sum((t.extension for _, _, t in found), timedelta()),
        )

    def _day(self, day: date, title: str, steps: list[StepRun]) -> DayRun:
        record = self.record
        programme = record.programme
        spec = programme.day(day)
        tz = record.workshop_tz
        scheduled = datetime.combine(day, spec.start, tzinfo=tz)
        planned = programme.planned_duration(spec)
        run = [s for s in steps if s.visits]
        if not run:
            return DayRun(day, title, scheduled, planned, None, None, False, None, "not started")
        first = min(s.actual_start for s in run if s.actual_start is not None)
        day_end = record.register.ends.end(day)
        live = day_end is None and record.state.day == day and any(s.status == "running" for s in run)
        rehearsal = first.astimezone(tz).date() != day
        if live:
            pace = day_pace(record.state, day, record.now)
            assert pace is not None
            return DayRun(day, title, scheduled, planned, first, None, pace.rehearsal, pace.drift, "running")
        # A finished day: how much later than planned it ended (a rehearsal is measured from its first step).
        end = day_end.at if day_end is not None else max(s.actual_end for s in run if s.actual_end is not None)
        start = first if rehearsal else scheduled
        inferred = day_end.inferred if day_end is not None else False
        drift = end - (start + planned)
        return DayRun(day, title, scheduled, planned, first, end, rehearsal, drift, "done", inferred)

    def steps_table(self) -> Table:
        def rows() -> Iterator[tuple[object, ...]]:
            for s in self.steps:
                yield (
                    s.day,
                    s.exercise,
                    s.exercise_title,
                    s.step,
                    s.step_title,
                    s.kind,
                    s.status,
                    s.planned_start.astimezone(UTC) if s.planned_start is not None else None,
                    s.actual_start.astimezone(UTC) if s.actual_start is not None else None,
                    s.actual_end.astimezone(UTC) if s.actual_end is not None else None,
                    minutes(s.planned) if s.planned is not None else None,
                    minutes(s.actual) if s.visits else None,
                    minutes(s.paused),
                    minutes(s.extension),
                    minutes(s.overrun),
                    s.visits,
                )

        columns = (
            Column("day", DATE),
            Column("exercise"),
            Column("exercise_title", untrusted=True),
            Column("step"),
            Column("step_title", untrusted=True),
            Column("kind"),
            Column("status"),
            Column("planned_start_utc", DATETIME),
            Column("actual_start_utc", DATETIME),
            Column("actual_end_utc", DATETIME),
            Column("planned_minutes", MINUTES),
            Column("actual_minutes", MINUTES),
            Column("paused_minutes", MINUTES),
            Column("extension_minutes", MINUTES),
            Column("overrun_minutes", MINUTES),
            Column("visits", "int"),
        )
        return Table("timeline_steps", "Timeline: steps planned and actual", columns, rows())

    def days_table(self) -> Table:
        def rows() -> Iterator[tuple[object, ...]]:
            for d in self.days:
                yield (
                    d.day,
                    d.title,
                    d.status,
                    d.planned_start.astimezone(UTC),
                    d.actual_start.astimezone(UTC) if d.actual_start is not None else None,
                    (d.planned_start + d.planned).astimezone(UTC),
                    d.actual_end.astimezone(UTC) if d.actual_end is not None else None,
                    minutes(d.planned),
                    minutes(d.drift) if d.drift is not None else None,
                    d.rehearsal,
                    d.end_inferred,
                )

        columns = (
            Column("day", DATE),
            Column("title", untrusted=True),
            Column("status"),
            Column("planned_start_utc", DATETIME),
            Column("actual_start_utc", DATETIME),
            Column("planned_end_utc", DATETIME),
            Column("actual_end_utc", DATETIME),
            Column("planned_minutes", MINUTES),
            Column("drift_minutes", MINUTES),
            Column("rehearsal", BOOL),
            Column("end_inferred", BOOL),
        )
        return Table("timeline_days", "Timeline: drift of each day", columns, rows())
