"""When each day of a run began and ended, on the record or inferred, and which day the calendar says runs now.

A day starts when its first step is entered. It ends:

- on the record (``day.closed``): when the driver closed it, or at the inferred end that a process wrote
  for it once it was left open;
- otherwise, once it is *left open* (another day has been opened or entered, or the workshop's midnight
  after the team's last action on it has passed), at its **inferred end**: the end its pace forecast gave at
  the team's last recorded action (a step entered, a pause, a resume, an extension), never later than
  that midnight nor than the moment the day was left;
- else it is still running.

Every figure is clipped to these ends: a step visit (:func:`facilitator.live.register.blocks`) and a person's
interval (:meth:`DayEnds.cutoff`) never run past the end of their day, so no count can exceed the clock.
The inferred end depends only on the record, so the figures are the same before and after a process writes
it down (:func:`overdue`).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from facilitator.live.state import SessionState
from facilitator.script.models import Programme


@dataclass(frozen=True)
class DayEnd:
    """When a day of the run ended: the driver's close or an inferred one, and whether the record says so yet."""

    day: date
    at: datetime
    inferred: bool  # not the driver's: the forecast at the team's last action (see the module docstring)
    recorded: bool  # a day.closed event says so; False: derived here, not written down yet


def midnight_after(moment: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    """The first midnight after ``moment`` in ``tz`` (the start of the next local day)."""
    return datetime.combine(moment.astimezone(tz).date() + timedelta(days=1), time(), tzinfo=tz)


def workshop_tz(programme: Programme) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(programme.workshop.timezone)


def local_date(moment: datetime, programme: Programme) -> date:
    return moment.astimezone(workshop_tz(programme)).date()


def today(programme: Programme, now: datetime) -> date | None:
    """The workshop's day dated today in the workshop's time zone; None on a date it does not have."""
    on = local_date(now, programme)
    return on if any(d.date == on for d in programme.workshop.days) else None


def started(state: SessionState, day: date) -> bool:
    return any(v.day == day for v in state.visits)


def first_run_date(state: SessionState, day: date) -> date | None:
    """The local date on which ``day`` was first entered (a rehearsal runs a day on another date)."""
    assert state.programme is not None
    first = next((v.entered_at for v in state.visits if v.day == day), None)
    return local_date(first, state.programme) if first is not None else None


def forecast_end(state: SessionState, day: date) -> datetime | None:
    """The end the day's pace forecast gave at the team's last action on it: that moment, plus what was
    left of the step then, plus the planned length of every later step of the day."""
    action = state.last_actions.get(day)
    if action is None or state.programme is None:
        return None
    end = action.at + max(action.timer.remaining(action.at), timedelta())
    try:
        timeline = state.programme.timeline(state.programme.day(day))
    except KeyError:  # the day was taken out of the script: nothing is left to forecast
        return end
    keys = [(p.exercise.id, p.step.id) for p in timeline]
    here = (action.exercise, action.step)
    later = timeline[keys.index(here) + 1 :] if here in keys else ()
    return end + sum((p.step.duration for p in later), timedelta())


def inferred_end(state: SessionState, day: date) -> datetime | None:
    """Where a day left open ends: its forecast at the last action, capped at that action's midnight and at
    the moment the day was left (None for a day never entered)."""
    assert state.programme is not None
    visits = [v for v in state.visits if v.day == day]
    if not visits:
        return None
    action = state.last_actions.get(day)
    last_at = action.at if action is not None else visits[-1].entered_at
    candidates = [midnight_after(last_at, workshop_tz(state.programme))]
    forecast = forecast_end(state, day)
    if forecast is not None:
        candidates.append(forecast)
    if all(v.left_at is not None for v in visits):
        candidates.append(max(v.left_at for v in visits if v.left_at is not None))
    return max(min(candidates), visits[-1].entered_at)


def _running(state: SessionState, day: date, now: datetime) -> bool:
    """Whether ``day`` is the current day, not closed, and its midnight after the last action is to come."""
    assert state.programme is not None
    if state.day != day or day in state.closed:
        return False
    visits = [v for v in state.visits if v.day == day]
    action = state.last_actions.get(day)
    last_at = action.at if action is not None else (visits[-1].entered_at if visits else now)
    return now < midnight_after(last_at, workshop_tz(state.programme))


def day_end(state: SessionState, day: date, now: datetime) -> DayEnd | None:
    """``day``'s end: on the record, else inferred once it is left open; None while it runs or before it starts."""
    close = state.closed.get(day)
    if close is not None:
        return DayEnd(day, close.at, close.inferred, recorded=True)
    if state.programme is None or not started(state, day) or _running(state, day, now):
        return None
    at = inferred_end(state, day)
    return DayEnd(day, at, inferred=True, recorded=False) if at is not None else None


def overdue(state: SessionState, now: datetime) -> list[DayEnd]:
    """The days left open whose end is not on the record yet: what a process should write down now."""
    found = (day_end(state, day, now) for day in _started_days(state))
    return [end for end in found if end is not None and not end.recorded]


def _started_days(state: SessionState) -> list[date]:
    return sorted({v.day for v in state.visits})


def to_open(state: SessionState, now: datetime) -> date | None:
    """The day dated today that the driver's app should open: not opened nor entered yet, and not current."""
    if state.programme is None:
        return None
    on = today(state.programme, now)
    if on is None or on in state.opened or state.day == on:
        return None
    return on


def reopening(state: SessionState, day: date, now: datetime) -> str | None:
    """Why entering a step of ``day`` now needs the driver's confirmation; None when it does not.

    A closed day is reopened by it; a day first run on an earlier date would run on a second date.
    """
    if state.programme is None:
        return None
    title = _day_title(state.programme, day)
    close = day_end(state, day, now)
    if close is not None:
        when = close.at.astimezone(workshop_tz(state.programme))
        how = " (inferred: the day was left open)" if close.inferred else ""
        return f"{title} was closed at {when:%H:%M} on {when:%a %d %b}{how}. Entering one of its steps reopens it."
    first = first_run_date(state, day)
    on = local_date(now, state.programme)
    if first is not None and first < on:
        return (
            f"{title} ran on {first:%a %d %b}. Entering one of its steps today ({on:%a %d %b}) continues it "
            "on a second date, and its record then runs over both."
        )
    return None


def day_number(programme: Programme, day: date) -> int | None:
    """``day``'s place in the workshop, from 1; None for a date the workshop does not have (any more)."""
    return next((i for i, d in enumerate(programme.workshop.days, start=1) if d.date == day), None)


def _day_title(programme: Programme, day: date) -> str:
    index = day_number(programme, day)
    return f"Day {index} ({day:%a %d %b})" if index is not None else f"The day of {day:%a %d %b}"


class DayEnds:
    """Every started day's end at ``now``, and where a person's interval stops counting."""

    def __init__(self, state: SessionState, now: datetime) -> None:
        assert state.programme is not None
        self.tz = workshop_tz(state.programme)
        self.ends: dict[date, DayEnd | None] = {day: day_end(state, day, now) for day in _started_days(state)}
        # Per local date on which any day ran: the latest end of those days, or None while one still runs.
        by_date: dict[date, list[DayEnd | None]] = {}
        for visit in state.visits:
            by_date.setdefault(visit.entered_at.astimezone(self.tz).date(), []).append(self.ends.get(visit.day))
        self._date_ends: dict[date, datetime | None] = {
            on: None if any(e is None for e in ends) else max(e.at for e in ends if e is not None)
            for on, ends in by_date.items()
        }

    def end(self, day: date) -> DayEnd | None:
        return self.ends.get(day)

    def date_end(self, on: date) -> datetime | None:
        """The latest end of the days run on the local date ``on``; None while one of them still runs (or none ran)."""
        return self._date_ends.get(on)

    def cutoff(self, start: datetime) -> datetime:
        """When an interval that began at ``start`` stops counting: the end of the day(s) run on its local date,
        if they have ended and it began before that; else the midnight after it began."""
        midnight = midnight_after(start, self.tz)
        ended = self._date_ends.get(start.astimezone(self.tz).date())
        if ended is not None and start <= ended:
            return min(ended, midnight)
        return midnight

    def clip(self, start: datetime, end: datetime) -> datetime:
        """``end``, or earlier where the interval's day ended (never before ``start``)."""
        return max(start, min(end, self.cutoff(start)))
