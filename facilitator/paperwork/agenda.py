"""``facilitator agenda``: the invitations, one iCalendar file and one plain-text agenda per location.

A *session* is one exercise on a day's agenda, from the planned start of its first step to the planned end of
its last, as the script plans it (day start in the workshop's time zone, step durations in order). Each
location's files give every session of every day in that location's time zone: the ``.ics`` as events whose
times carry the zone's TZID, with the zone's VTIMEZONE in the file, so any calendar shows them right; the
``.txt`` with local dates and times for an e-mail.

Each event's UID is made of the day's date, the exercise, the location and a fingerprint of the workshop's
title, so a file sent again after the agenda changed updates the events already in people's calendars rather
than adding new ones; its SEQUENCE is the minute the file was made, so the later file wins. A session that
moves to another day, or a workshop renamed, makes new events.
"""

from __future__ import annotations

import hashlib
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from facilitator.exports.inert import visible
from facilitator.script.models import Day, Exercise, Location, Programme

PRODID = "-//facilitator//workshop agenda//EN"
SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
ZONE_MARGIN = timedelta(days=31)  # the VTIMEZONE covers the workshop's dates and this much either side


@dataclass(frozen=True)
class Session:
    """One exercise of one day as planned: its day, the day's number (1, 2, ...), and its start and end."""

    day: Day
    number: int
    exercise: Exercise
    start: datetime  # aware
    end: datetime


def sessions(programme: Programme) -> list[Session]:
    """Every session of every day, in order."""
    found = []
    for number, day in enumerate(sorted(programme.workshop.days, key=lambda d: d.date), start=1):
        steps = programme.timeline(day)
        for exercise_id in day.agenda:
            mine = [planned for planned in steps if planned.exercise.id == exercise_id]
            if mine:
                found.append(Session(day, number, mine[0].exercise, mine[0].start, mine[-1].end))
    return found


def call_link(programme: Programme, location: Location) -> str | None:
    """The location's own video call, else the workshop's, else none."""
    return location.call_link or programme.workshop.call_link


def uid(programme: Programme, session: Session, location: Location) -> str:
    title = hashlib.sha256(programme.workshop.title.encode()).hexdigest()[:12]
    return f"{session.day.date:%Y%m%d}-{session.exercise.id}-{location.id}-{title}@facilitator"


def sequence(now: datetime) -> int:
    """The minute ``now`` is, counted from 2020: a file made later supersedes one made before."""
    return max(0, int((now - SEQUENCE_EPOCH) // timedelta(minutes=1)))


def utc_offset(moment: datetime) -> str:
    """``UTC+02:00``, ``UTC-04:00``, ``UTC+05:45``."""
    offset = moment.utcoffset() or timedelta()
    sign = "-" if offset < timedelta() else "+"
    minutes = abs(int(offset // timedelta(minutes=1)))
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def zone_label(moment: datetime) -> str:
    """``EDT, UTC-04:00``, or ``UTC+03:00`` alone where the zone's abbreviation is only a number."""
    name = moment.tzname() or ""
    return f"{name}, {utc_offset(moment)}" if name and name[0] not in "+-" else utc_offset(moment)


def long_date(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


def _description(programme: Programme, session: Session, location: Location, zone: zoneinfo.ZoneInfo) -> str:
    workshop = programme.workshop
    start, end = session.start.astimezone(zone), session.end.astimezone(zone)
    lines = [visible(workshop.title)]
    heading = f"Day {session.number}" + (f": {visible(session.day.title)}" if session.day.title else "")
    lines.append(heading)
    lines.append(
        f"{visible(session.exercise.title)}: {start:%H:%M}–{end:%H:%M} local time at {visible(location.name)} "
        f"({zone_label(start)}, {location.timezone})"
    )
    if session.exercise.goals:
        lines.append("")
        lines.append("Goals:")
        lines.extend(f"- {visible(goal)}" for goal in session.exercise.goals)
    link = call_link(programme, location)
    if link:
        lines.append("")
        lines.append(f"Join the call: {link}")
    return "\n".join(lines)


def calendar(programme: Programme, location: Location, now: datetime) -> bytes:
    """The location's iCalendar file: its VTIMEZONE and an event per session, in its time zone."""
    from icalendar import Calendar, Event, Timezone

    workshop = programme.workshop
    zone = zoneinfo.ZoneInfo(location.timezone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{visible(workshop.title)} ({visible(location.name)})")
    cal.add("x-wr-timezone", location.timezone)
    dates = sorted(day.date for day in workshop.days)
    cal.add_component(
        Timezone.from_tzinfo(
            zone, tzid=location.timezone, first_date=dates[0] - ZONE_MARGIN, last_date=dates[-1] + ZONE_MARGIN
        )
    )
    link = call_link(programme, location)
    stamp = now.astimezone(UTC).replace(microsecond=0)
    for session in sessions(programme):
        event = Event()
        event.add("uid", uid(programme, session, location))
        event.add("dtstamp", stamp)
        event.add("sequence", sequence(now))
        event.add("dtstart", session.start.astimezone(zone))
        event.add("dtend", session.end.astimezone(zone))
        event.add("summary", f"{visible(session.exercise.title)} – {visible(workshop.title)}")
        event.add("description", _description(programme, session, location, zone))
        event.add("location", link or visible(location.name))
        if link:
            event.add("url", link)
        cal.add_component(event)
    return bytes(cal.to_ical())


def text(programme: Programme, location: Location) -> str:
    """The location's agenda as plain text for an e-mail: every day, every session, in local time."""
    workshop = programme.workshop
    zone = zoneinfo.ZoneInfo(location.timezone)
    lines = [visible(workshop.title)]
    if workshop.organiser:
        lines.append(visible(workshop.organiser))
    lines.append(f"Agenda for {visible(location.name)}: every time is local time ({location.timezone})")
    link = call_link(programme, location)
    if link:
        lines.append(f"Video call: {link}")
    current_day = None
    shown_date = None
    for session in sessions(programme):
        start, end = session.start.astimezone(zone), session.end.astimezone(zone)
        if session.day is not current_day:
            current_day = session.day
            shown_date = None
            lines.append("")
            title = f": {visible(session.day.title)}" if session.day.title else ""
            lines.append(f"Day {session.number}{title}")
        if start.date() != shown_date:
            shown_date = start.date()
            lines.append(f"{long_date(start)} ({zone_label(start)})")
        crosses = " (next day)" if end.date() != start.date() else ""
        lines.append(f"  {start:%H:%M}–{end:%H:%M}{crosses}  {visible(session.exercise.title)}")
    return "\n".join(lines) + "\n"


def files(programme: Programme, now: datetime, locations: list[Location] | None = None) -> dict[str, bytes]:
    """``{location}.ics`` and ``{location}.txt`` for each location (or those given), by file name."""
    out: dict[str, bytes] = {}
    for location in locations if locations is not None else programme.workshop.locations:
        out[f"{location.id}.ics"] = calendar(programme, location, now)
        out[f"{location.id}.txt"] = text(programme, location).encode("utf-8")
    return out
