"""The run as the export sees it: the session state and the attendance fold, read once from the snapshot.

Neither reflections nor check-ins are folded here, so that memory does not grow with the log: the
``reflections`` table holds each reflection as it now stands and is streamed from the same snapshot, and
check-ins are folded one participant at a time (facilitator.exports.register). Here ``attendance`` holds
the roster, the day marks and the links, and ``register`` the blocks as they ran. What the
state does not keep, because only the current step needs it live, is each visit's pauses and extensions:
they are taken from the timer just before the visit is left.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from facilitator.attendance.intervals import Attendance
from facilitator.exports.cells import DEFAULT_MIN_CELL, SUPPRESSED, Cells
from facilitator.exports.progress import Progress
from facilitator.exports.pseudonyms import Pseudonyms, read_history
from facilitator.exports.snapshot import Snapshot
from facilitator.live.register import Register
from facilitator.live.state import SCHEDULE_KINDS, SessionState, Timer, apply
from facilitator.record import events as ev
from facilitator.script.models import Location, Programme

STATE_KINDS = SCHEDULE_KINDS  # the export reads the schedule as it ran; reflections and answers it reads apart
ATTENDANCE_KINDS = (
    ev.PARTICIPANT_ADDED,
    ev.PARTICIPANT_UPDATED,
    ev.ATTENDANCE_MARKED,
)  # not location.link: no table needs a link's history, and a flaky link has thousands of changes
_LEAVING = frozenset({ev.STEP_ENTERED, ev.DAY_OPENED, ev.DAY_CLOSED})


@dataclass(frozen=True)
class VisitTimer:
    """What the timer of one visit came to: time paused and the net extension (negative: shortened)."""

    paused: timedelta = timedelta()
    extension: timedelta = timedelta()


def _settled(timer: Timer, at: datetime) -> VisitTimer:
    paused = timer.paused_total + (at - timer.paused_since if timer.paused_since is not None else timedelta())
    return VisitTimer(paused=paused, extension=timer.adjustment)


@dataclass
class Record:
    """The run as an export reads it, at ``now``: the script, the session state, the attendance fold and its
    register, each visit's pauses and extension, and how the export is anonymised."""

    programme: Programme
    state: SessionState
    attendance: Attendance
    now: datetime
    pseudonyms: Pseudonyms
    visit_timers: dict[int, VisitTimer]  # by index into state.visits
    cells: Cells = field(default_factory=lambda: Cells(enabled=False, k=DEFAULT_MIN_CELL))
    register: Register = field(init=False)

    def __post_init__(self) -> None:
        self.register = Register(self.state, self.attendance, self.now)
        self.locations: dict[str, Location] = {loc.id: loc for loc in self.programme.workshop.locations}
        self.workshop_tz = zoneinfo.ZoneInfo(self.programme.workshop.timezone)
        self._zones = {loc.id: zoneinfo.ZoneInfo(loc.timezone) for loc in self.programme.workshop.locations}

    def zone(self, location: str | None) -> zoneinfo.ZoneInfo:
        """The time zone of ``location``; the workshop's for none or an unknown one."""
        return self._zones.get(location or "", self.workshop_tz)

    def location_name(self, location: str | None) -> str:
        loc = self.locations.get(location or "")
        return loc.name if loc is not None else (location or "")

    def published_location(self, location: str | None) -> str | None:
        """A location as this export shows it: itself, or ``suppressed`` when anonymised and too small."""
        return self.cells.location(location)

    def published_location_name(self, location: str | None) -> str:
        published = self.cells.location(location)
        return SUPPRESSED if published == SUPPRESSED else self.location_name(location)

    def published_zone(self, location: str | None) -> zoneinfo.ZoneInfo | None:
        """The time zone of a location, or None when it is suppressed (a time zone would name it)."""
        return None if self.cells.location(location) == SUPPRESSED else self.zone(location)


def read_record(
    snapshot: Snapshot, now: datetime, *, anonymise: bool, progress: Progress, min_cell: int = DEFAULT_MIN_CELL
) -> Record:
    kinds = STATE_KINDS + ATTENDANCE_KINDS
    marks = ", ".join("?" for _ in kinds)
    total = int(snapshot.conn.execute(f"SELECT COUNT(*) FROM events WHERE kind IN ({marks})", kinds).fetchone()[0])
    progress.start("reading the record", total)
    state = SessionState()
    attendance = Attendance()
    timers: dict[int, VisitTimer] = {}
    attendance_kinds = frozenset(ATTENDANCE_KINDS)
    done = 0
    for event in snapshot.events(kinds):
        if event.kind in attendance_kinds:
            attendance.apply(event)
        else:
            if event.kind in _LEAVING and state.timer is not None and state.visits and state.visits[-1].left_at is None:
                timers[len(state.visits) - 1] = _settled(state.timer, event.at)
            state = apply(state, event)
        done += 1
        if done % 10_000 == 0:
            progress.advance(10_000)
    progress.advance(done % 10_000)
    if state.timer is not None and state.visits and state.visits[-1].left_at is None:
        timers[len(state.visits) - 1] = _settled(state.timer, now)
    if state.programme is None:
        state = SessionState(programme=snapshot.programme())
    assert state.programme is not None
    roster = attendance.roster
    history = read_history(snapshot) if anonymise else None
    return Record(
        programme=state.programme,
        state=state,
        attendance=attendance,
        now=now,
        pseudonyms=Pseudonyms(roster, enabled=anonymise, history=history),
        visit_timers=timers,
        cells=Cells.of(roster.by_id.values(), enabled=anonymise, k=min_cell),
    )
