"""How the day runs against its plan: actual step durations, drift and the forecast end of the day.

A day run on its scheduled date is measured against its scheduled start. A day run on another date (a
rehearsal, or the demo) is measured from the moment its first step was entered, so the figures stay
meaningful instead of reporting years of delay.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from facilitator.live.state import SessionState, Visit
from facilitator.record.clock import zone
from facilitator.script.models import PlannedStep, Programme


@dataclass(frozen=True)
class StepProgress:
    """One step of a day's timeline as run so far: done, current or upcoming, and the time spent in it."""

    planned: PlannedStep
    status: str  # "done", "current" or "upcoming"
    actual: timedelta | None  # wall time spent in the step so far, over all its visits


@dataclass(frozen=True)
class Pace:
    """How a day runs against its plan: its drift (positive: behind) and its forecast end against its planned
    end; a rehearsal (a day run on another date) is measured from its first step."""

    drift: timedelta  # positive: behind plan
    forecast_end: datetime
    planned_end: datetime  # the day's planned end (or the agenda's end if none is set), on the reference clock
    rehearsal: bool

    @property
    def overruns(self) -> bool:
        return self.forecast_end > self.planned_end


@dataclass(frozen=True)
class _DayFold:
    """What a state says of a day's steps whatever the time: each step's status, and its time spent so far as
    the time of its finished visits plus, for a visit still open, the moments it was entered."""

    state: weakref.ref[SessionState]
    day: date
    progress: tuple[StepProgress, ...]  # the time of the finished visits only
    running: tuple[tuple[int, timedelta, tuple[datetime, ...]], ...]  # (index, finished time, open visits entered)


class _LastFold:
    """The last day folded: the agenda and the pace line (every second too) ask for the same day of the same
    state; it is folded once per state change, and only the open visits are timed per call."""

    fold: _DayFold | None = None


_LAST = _LastFold()


def day_progress(state: SessionState, day: date, now: datetime) -> list[StepProgress]:
    """Every step of ``day`` with its status and the time actually spent in it."""
    if state.programme is None:
        return []
    fold = _LAST.fold  # read once: another thread may fold another state meanwhile
    if fold is None or fold.state() is not state or fold.day != day:
        fold = _LAST.fold = _fold_day(state, day)
    progress = list(fold.progress)
    for index, finished, entered in fold.running:
        item = progress[index]
        spent = sum((now - at for at in entered), finished)
        progress[index] = StepProgress(item.planned, item.status, spent)
    return progress


def _fold_day(state: SessionState, day: date) -> _DayFold:
    assert state.programme is not None
    timeline = state.programme.timeline(state.programme.day(day))
    visits: dict[tuple[str, str], list[Visit]] = {}
    for visit in state.visits:
        if visit.day == day:
            visits.setdefault((visit.exercise, visit.step), []).append(visit)
    current_index = next(
        (
            i
            for i, p in enumerate(timeline)
            if state.day == day and (p.exercise.id, p.step.id) == (state.exercise, state.step)
        ),
        None,
    )
    progress = []
    running = []
    for index, planned in enumerate(timeline):
        spent = visits.get((planned.exercise.id, planned.step.id))
        if current_index is not None and index == current_index:
            status = "current"
        elif (current_index is not None and index < current_index) or (spent and current_index is None):
            status = "done"
        else:
            status = "upcoming"
        finished = None
        if spent:
            finished = sum((v.left_at - v.entered_at for v in spent if v.left_at is not None), timedelta())
            entered = tuple(v.entered_at for v in spent if v.left_at is None)
            if entered:
                running.append((index, finished, entered))
        progress.append(StepProgress(planned, status, finished))
    return _DayFold(weakref.ref(state), day, tuple(progress), tuple(running))


def _first_entry(state: SessionState, day: date) -> datetime | None:
    return next((v.entered_at for v in state.visits if v.day == day), None)


def day_pace(state: SessionState, day: date, now: datetime) -> Pace | None:
    """Drift and forecast end for ``day``; None for a day with no programme."""
    programme: Programme | None = state.programme
    if programme is None:
        return None
    spec = programme.day(day)
    tz = zone(programme.workshop.timezone)
    scheduled_start = datetime.combine(spec.date, spec.start, tzinfo=tz)
    first = _first_entry(state, day)
    rehearsal = now.astimezone(tz).date() != day
    start = (first or now) if rehearsal else scheduled_start
    planned_length = programme.planned_duration(spec)
    end_offset = (
        datetime.combine(spec.date, spec.end, tzinfo=tz) - scheduled_start if spec.end is not None else planned_length
    )
    progress = day_progress(state, day, now)
    still_to_do = timedelta()
    for item in progress:
        if item.status == "upcoming":
            still_to_do += item.planned.step.duration
        elif item.status == "current" and state.timer is not None:
            still_to_do += max(state.timer.remaining(now), timedelta())
    if not any(p.status == "current" for p in progress) and first is None:
        forecast_end = max(now, start) + planned_length
    else:
        forecast_end = now + still_to_do
    return Pace(
        drift=forecast_end - (start + planned_length),
        forecast_end=forecast_end,
        planned_end=start + end_offset,
        rehearsal=rehearsal,
    )


def local_time(now: datetime, timezone: str) -> datetime:
    return now.astimezone(zone(timezone))


def city(timezone: str) -> str:
    """``Africa/El_Aaiun`` → ``El Aaiun``: the name people say for a time zone."""
    return timezone.rsplit("/", 1)[-1].replace("_", " ")
