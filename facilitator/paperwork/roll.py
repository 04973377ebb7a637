"""Who earns a certificate, and why: the export's own ``certificates`` rule, read from one snapshot of the run.

Nothing is computed twice. Each person's minutes attended (clipped to each day's real span) and the bar they
had to reach (``attendance.certificate_share`` of the planned minutes of every day) come from
:class:`facilitator.exports.register.Attendance`, the very pass that writes the export's ``certificates``
table, on the run's clock; here they are only laid out as a roll with a reason a person can read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from facilitator.attendance.roster import Participant
from facilitator.exports.progress import Silent
from facilitator.exports.record import read_record
from facilitator.exports.register import Attendance
from facilitator.exports.snapshot import Snapshot
from facilitator.live.register import Certificate
from facilitator.paperwork.wording import tenths_of_hours
from facilitator.record import events as ev
from facilitator.script.models import Programme


@dataclass(frozen=True)
class Entry:
    """One person on the roll: who, their number on the roster (1 for the first ever added), the figures."""

    person: Participant
    number: int
    certificate: Certificate
    location_name: str

    @property
    def eligible(self) -> bool:
        return self.certificate.eligible

    @property
    def minutes(self) -> int:
        """Whole minutes attended: what the certificate states and its code signs."""
        return int(self.certificate.attended // timedelta(minutes=1))

    @property
    def required_minutes(self) -> float:
        return self.certificate.required / timedelta(minutes=1)

    @property
    def reason(self) -> str:
        required = tenths_of_hours(self.required_minutes, up=True)
        return f"attended {tenths_of_hours(self.minutes)} h of {required} h required"


@dataclass(frozen=True)
class Roll:
    """Who earns a certificate of the run, person by person and why, and the workshop's days not run."""

    programme: Programme
    entries: list[Entry]
    source: Path | None  # the workshop folder or file the run was created from, as recorded
    days_not_run: list[date]  # days of the workshop with no session on the record (not run, or not yet)

    @property
    def eligible(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.eligible]

    def dates(self) -> tuple[date, date]:
        days = sorted(day.date for day in self.programme.workshop.days)
        return days[0], days[-1]


def read_roll(db: Path, now: datetime) -> Roll:
    """The roll of the run in ``db`` (a path SQLite can read: the run, or its private copy) at ``now``."""
    with Snapshot(db) as snapshot:
        record = read_record(snapshot, now, anonymise=False, progress=Silent())
        attendance = Attendance(snapshot, record)
        roster = record.attendance.roster
        numbers = {pid: index for index, pid in enumerate(roster.by_id, start=1)}
        entries = [
            Entry(
                person=roster.by_id[cert.participant],
                number=numbers[cert.participant],
                certificate=cert,
                location_name=record.location_name(roster.by_id[cert.participant].location),
            )
            for cert in attendance.certificate_list()
        ]
        run_days = {block.day for block in record.register.blocks}
        not_run = [day.date for day in record.programme.workshop.days if day.date not in run_days]
        row = snapshot.conn.execute(
            "SELECT payload FROM events WHERE kind = ? ORDER BY seq LIMIT 1", (ev.RUN_CREATED,)
        ).fetchone()
    recorded = json.loads(row[0]).get("source") if row else None
    source = Path(recorded) if isinstance(recorded, str) and recorded else None
    return Roll(record.programme, entries, source, sorted(not_run))
