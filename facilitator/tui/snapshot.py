"""What the attendance screen and the location strip show of who is present: data, built on the database thread.

Plain data and the functions that build it; no screen, no app. The live-run client
(:mod:`facilitator.tui.live_run`) reads a new :class:`AttendanceSnapshot` after each change that touches
attendance, and the app hands it to every screen through its ``attendance`` reactive.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from facilitator.attendance.intervals import Attendance
from facilitator.live.register import LocationCount, Register, SettledDays
from facilitator.live.session import Session
from facilitator.live.state import SessionState


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One participant as the attendance screen shows them (raw text: screens pass it through printable)."""

    id: str
    name: str
    email: str
    location: str
    role: str | None
    organisation: str | None
    gender: str | None
    present: bool  # there now, by any source
    status: str  # for the snapshot's day: present, late, excused, absent; "" before the day has started
    # Of the planned minutes of all days (Register.certificate), 0.62 for 62%; None: not worked out yet.
    attended_share: float | None = 0.0
    eligible: bool = False  # the certificate: attended_share reaches the workshop's certificate_share


@dataclass(frozen=True)
class AttendanceSnapshot:
    """What the attendance screen and the location strip show, computed on the database thread.

    Immutable: the event loop only reads it; a new one replaces it when anything it shows changed.
    """

    day: date | None
    people: Mapping[str, PersonRow]  # roster order
    counts: Mapping[str, LocationCount]
    links: Mapping[str, str]
    arrivals: Mapping[str, tuple[datetime, ...]]  # first arrival of each person at each location that day
    since: datetime | None  # the start of the day's arrivals (midnight, workshop time)
    # False: each person's status, attended_share and eligible, and the arrivals, are not worked out yet (the
    # first snapshot of a long run leaves them out, so the first frame does not wait for them; a complete one
    # follows at once).
    complete: bool = True


def attendance_snapshot(
    state: SessionState,
    attendance: Attendance,
    now: datetime,
    settled: SettledDays | None = None,
    *,
    complete: bool = True,
) -> AttendanceSnapshot | None:
    """Build the snapshot from the folds; one Register for everyone (O(people), no per-row queries), sparing
    the days that can no longer change where ``settled`` (kept by the caller between snapshots) has them.

    Not ``complete``: only what the main screen shows (who is present where, the links), not each person's
    status of the day, share of the whole run and the day's arrivals, which read every check-in of the day and
    of the run: :data:`PENDING` stands for the status, 0 arrivals for the arrivals."""
    programme = state.programme
    if programme is None:
        return None
    workshop = programme.workshop
    tz = zoneinfo.ZoneInfo(workshop.timezone)
    days = [d.date for d in workshop.days]
    today = now.astimezone(tz).date()
    day = state.day or (today if today in days else days[0] if days else None)
    register = Register(state, attendance, now, settled)
    started = day is not None and bool(register.day_spans(day))
    people: dict[str, PersonRow] = {}
    for person in attendance.roster.by_id.values():
        certificate = register.certificate(person.id) if complete else None
        if day is None:
            status = ""
        elif not complete:
            status = PENDING
        elif started:
            status = register.status(person.id, day)
        else:
            status = attendance.mark(person.id, day) or ""
        people[person.id] = PersonRow(
            person.id,
            person.name,
            person.email,
            person.location,
            person.role,
            person.organisation,
            person.gender,
            register.is_present(person.id),
            status,
            certificate.attended_share if certificate is not None else None,
            certificate.eligible if certificate is not None else False,
        )
    since = datetime.combine(day, datetime.min.time(), tzinfo=tz) if day is not None else None
    firsts: dict[str, dict[str, datetime]] = {}
    for pid in attendance.participants() if complete else ():
        known = attendance.roster.by_id.get(pid)
        home = known.location if known is not None else None
        for interval in attendance.intervals(pid, since=since):
            where = interval.location or home
            if where is None or interval.start > now:
                continue
            firsts.setdefault(where, {}).setdefault(pid, interval.start)
    arrivals = {loc.id: tuple(sorted(firsts.get(loc.id, {}).values())) for loc in workshop.locations}
    return AttendanceSnapshot(
        day=day,
        people=people,
        counts=register.counts(),
        links={loc.id: attendance.link_status(loc.id) for loc in workshop.locations},
        arrivals=arrivals,
        since=since,
        complete=complete,
    )


PENDING = "…"  # a status not worked out yet (an incomplete snapshot)
# More intervals than this in the run, and the first snapshot leaves out what everyone attended over the whole
# run (a few milliseconds a thousand intervals): the first frame does not wait for it (AttendanceReader.owed).
COMPLETE_AT_ONCE = 5_000


class AttendanceReader:
    """On the database thread: a new snapshot when anything it shows changed since the last one, else None.

    Touched only on the database thread: it remembers what the last snapshot was computed from.
    """

    def __init__(self) -> None:
        self._seq = -1
        self._key: tuple[object, ...] | None = None
        self._attendance: Attendance | None = None  # the fold last read: a new one is read afresh
        self._settled = SettledDays()
        # The first snapshot is read before the first frame: it leaves out what everyone attended over the
        # whole run (on the fifth day of a large run, seconds of work the first frame does not show), and
        # owes it; :meth:`complete` pays it, once the frame is up (facilitator.tui.live_run).
        self.owed = False

    def read(self, session: Session, now: datetime) -> AttendanceSnapshot | None:
        state = session.state
        attendance = session.attendance
        day_visits = [v.entered_at for v in state.visits if v.day == state.day]
        # Who is present ends with the day: a day closed (or reopened) changes the key.
        key = (id(state.programme), state.day, min(day_visits, default=None), state.closed)
        if key == self._key and state.last_seq == self._seq:
            return None
        first = self._seq < 0
        if attendance is not self._attendance:
            changed = True
            self._settled = SettledDays()
        else:
            # The fold says what changed since the last read: no events are read again here.
            self._settled.forget(attendance.checked_since(self._seq))
            changed = key != self._key or attendance.changed_seq > self._seq
        self._attendance = attendance
        self._seq = state.last_seq
        if not changed:
            return None
        self._key = key
        self.owed = first and session.attendance.size() > COMPLETE_AT_ONCE
        return attendance_snapshot(state, session.attendance, now, self._settled, complete=not self.owed)

    def complete(self, session: Session, now: datetime) -> AttendanceSnapshot | None:
        """The complete snapshot the first one owed; None if a later read has given one since."""
        if not self.owed:
            return None
        self.owed = False
        return attendance_snapshot(session.state, session.attendance, now, self._settled)
