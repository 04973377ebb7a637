"""How the day runs against its plan: actual step durations, drift and the forecast end of the day.

A day run on its scheduled date is measured against its scheduled start. A day run on another date (a
rehearsal, or the demo) is measured from the moment its first step was entered, so the figures stay
meaningful instead of reporting years of delay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from facilitator.live.state import SessionState, Visit
from facilitator.record.clock import zone
from facilitator.script.models import PlannedStep, Programme


@dataclass(frozen=True)
class StepProgress:
    planned: PlannedStep
    status: str  # "done", "current" or "upcoming"
    actual: timedelta | None  # wall time spent in the step so far, over all its visits


@dataclass(frozen=True)
class Pace:
    drift: timedelta  # positive: behind plan
    forecast_end: datetime
    planned_end: datetime  # the day's planned end (or the agenda's end if none is set), on the reference clock
    rehearsal: bool

    @property
    def overruns(self) -> bool:
        return self.forecast_end > self.planned_end


def _visit_time(visits: list[Visit], now: datetime) -> timedelta:
    return sum(((v.left_at or now) - v.entered_at for v in visits), timedelta())


def day_progress(state: SessionState, day: date, now: datetime) -> list[StepProgress]:
    """Every step of ``day`` with its status and the time actually spent in it."""
    if state.programme is None:
        return []
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
    for index, planned in enumerate(timeline):
        spent = visits.get((planned.exercise.id, planned.step.id))
        if current_index is not None and index == current_index:
            status = "current"
        elif (current_index is not None and index < current_index) or (spent and current_index is None):
            status = "done"
        else:
            status = "upcoming"
        progress.append(StepProgress(planned, status, _visit_time(spent, now) if spent else None))
    return progress


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
