"""What the team's events mean for one facilitator: the pop-ups a new state brings, each shown once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from facilitator.live.days import day_number, workshop_tz
from facilitator.live.state import SessionState
from facilitator.team.roles import drives
from facilitator.text import printable


@dataclass(frozen=True)
class Notice:
    text: str  # literal text, never markup
    title: str
    severity: str = "information"


def team_notices(old: SessionState, new: SessionState, *, me: str, role: str, notes_after: int) -> list[Notice]:
    """The notices ``new`` brings to ``me`` after ``old``; notes are those with a seq above ``notes_after``."""
    found: list[Notice] = []
    driving = drives(new.driver, me, role)
    if old.driver is not None and new.driver != old.driver:
        who = "You are" if new.driver == me else f"{printable(new.driver or 'nobody')} is"
        found.append(Notice(f"{who} driving now.", "Control"))
    elif me in old.control_requests and me not in new.control_requests and not driving:
        found.append(Notice(f"{printable(new.driver or 'the driver')} declined your request for control.", "Control"))
    if driving:
        for name in new.control_requests:
            if name not in old.control_requests:
                found.append(Notice(f"{printable(name)} asks for control: press h to hand over.", "Control"))
    for note in new.notes.after(notes_after):
        if (note.to == me or (note.to is None and driving)) and note.sender != me:
            found.append(Notice(f"{printable(note.sender)} → you: {printable(note.text)}", "Note", "warning"))
    return found


def day_notices(old: SessionState, new: SessionState) -> list[Notice]:
    """What a new state says about the days: one opened, one closed (and whether its end was inferred)."""
    programme = new.programme
    if programme is None or old.last_seq == 0:
        return []  # the first read of the run: nothing has changed in front of anyone
    tz = workshop_tz(programme)
    found: list[Notice] = []
    for day, close in new.closed.items():
        if old.closed.get(day) != close:
            at = close.at.astimezone(tz)
            why = " It was left open: that is where its pace forecast ended at the team's last action." * close.inferred
            found.append(Notice(f"{_title(new, day)} closed at {at:%H:%M}.{why}", "Day closed"))
    if new.day is not None and new.day != old.day:
        found.append(Notice(f"{_title(new, new.day)} is open.", "Day"))
    return found


def _title(state: SessionState, day: date) -> str:
    assert state.programme is not None
    number = day_number(state.programme, day)
    return f"Day {number}, {day:%a %d %b}" if number is not None else f"{day:%a %d %b}"
