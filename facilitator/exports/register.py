"""The attendance register: per participant and day, per participant and block, per location, by gender.

Every figure comes from :class:`facilitator.live.register.Register` (the same one the attendance screen
shows); this module only lays it out in rows. Only days that have started are listed: a day not run yet
has nothing to report, and listing everyone as absent from it would mislead.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from facilitator.attendance.gender import NOT_STATED, category
from facilitator.attendance.intervals import Attendance as AttendanceFold
from facilitator.attendance.intervals import Span, minutes, overlap
from facilitator.attendance.roster import Participant
from facilitator.exports import checkins, csv_out
from facilitator.exports.cells import SUPPRESSED
from facilitator.exports.record import Record
from facilitator.exports.snapshot import Snapshot
from facilitator.exports.tables import BOOL, DATE, DATETIME, INT, MINUTES, SHARE, Column, Table
from facilitator.exports.writers import iso
from facilitator.live.register import Block, Certificate, Register
from facilitator.record.clock import from_text
from facilitator.record.events import Event


def gender_of(person: Participant) -> str:
    return category(person.gender)


@dataclass(frozen=True)
class Window:
    """Where a participant was during a stretch of the session: first in, last out (None: still in), sources."""

    first_in: datetime | None
    last_out: datetime | None
    sources: str


class _Seen:
    """One participant's merged spans and raw intervals from the fold (:class:`Register`), looked up by time:
    the rules that :class:`_Found` applies in bulk, kept for the records it cannot take (see
    facilitator.exports.checkins).

    A long run gives a person hundreds of intervals (every rejoin on a bad link is one), so rather than
    scanning them all for every day and block, as :class:`Register`'s per-participant helpers do, each
    stretch is cut out by bisection and only that part is measured, with the same ``overlap``.
    """

    def __init__(self, register: Register, pid: str) -> None:
        self.register = register
        self.pid = pid
        self.spans = register.spans(pid)
        self.intervals = register.attendance.intervals(pid)
        self.starts = [iv.start for iv in self.intervals]
        # Where each interval's span stops counting: its end, now, or its day's end (Register.stop).
        self.stops = [register.stop(iv) for iv in self.intervals]
        self.longest = max((stop - iv.start for iv, stop in zip(self.intervals, self.stops, strict=True)), default=None)

    def within(self, begin: datetime, end: datetime) -> list[Span]:
        """The spans that reach into [begin, end)."""
        lo = bisect.bisect_right(self.spans, begin, key=lambda span: span[1])
        hi = bisect.bisect_left(self.spans, end, key=lambda span: span[0])
        return self.spans[lo:hi]

    def attended(self, window: Sequence[Span]) -> timedelta:
        return overlap(self.within(window[0][0], window[-1][1]), window) if window else timedelta()

    def window(self, window: Sequence[Span]) -> Window:
        if not window:
            return Window(None, None, "")
        begin, end = window[0][0], window[-1][1]
        touching = _touching(self.within(begin, end), window)
        if not touching:
            return Window(None, None, "")
        last_out: datetime | None = touching[-1][1]
        sources = []
        lo = bisect.bisect_left(self.starts, begin - (self.longest or timedelta()))
        hi = bisect.bisect_left(self.starts, end)
        for iv, until in zip(self.intervals[lo:hi], self.stops[lo:hi], strict=True):
            if until > begin:
                if iv.source not in sources:
                    sources.append(iv.source)
                if iv.end is None and until >= touching[-1][1] and until >= self.register.now:
                    last_out = None  # never checked out, and still counting: in now
        sources.sort(key=lambda source: _SOURCE_ORDER.get(source, 9))
        return Window(touching[0][0], last_out, "+".join(sources))


class _Found:
    """One participant's check-ins worked out in bulk (facilitator.exports.checkins), read as :class:`_Seen` is."""

    def __init__(self, found: checkins.Found, now: datetime) -> None:
        self.found = found
        self.now = now

    def attended(self, window: Sequence[Span]) -> timedelta:
        return self.found.attended(window)

    def window(self, window: Sequence[Span]) -> Window:
        return Window(*self.found.window(window, self.now))


def _touching(spans: Sequence[Span], window: Sequence[Span]) -> list[Span]:
    """The spans that overlap ``window`` for more than an instant; both sorted and disjoint, walked once."""
    found = []
    w = 0
    for start, end in spans:
        while w < len(window) and window[w][1] <= start:
            w += 1
        # A span may bridge a gap in the window: look on while the window starts before the span ends.
        k = w
        while k < len(window) and window[k][0] < end:
            if min(end, window[k][1]) > max(start, window[k][0]):
                found.append((start, end))
                break
            k += 1
    return found


_SOURCE_ORDER = {"facilitator": 0, "qr": 1, "zoom": 2, "teams": 3}


def _local(moment: datetime | None, record: Record, location: str) -> datetime | None:
    zone = record.published_zone(location)
    return moment.astimezone(zone) if moment is not None and zone is not None else None


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


class _WhenCells:
    """The cells of :data:`WHEN_COLUMNS` for a person's window, as the CSV writer writes them (:func:`_when`'s
    values), with the time zone of each location looked up once."""

    def __init__(self, record: Record) -> None:
        self.record = record
        self._zones: dict[str, tuple[Any, str]] = {}

    def __call__(self, person: Participant, window: Window) -> str:
        zone, zone_cell = self._zones.get(person.location) or self._zone(person.location)
        first, last = window.first_in, window.last_out
        return (
            f"{_utc_text(first)},{_utc_text(last)},{zone_cell},{_local_text(first, zone)},{_local_text(last, zone)},"
            f"{csv_out.cell(window.sources)}"
        )

    def _zone(self, location: str) -> tuple[Any, str]:
        zone = self.record.published_zone(location)
        found = self._zones[location] = (zone, csv_out.cell(zone.key if zone is not None else SUPPRESSED))
        return found


def _utc_text(moment: datetime | None) -> str:
    return iso(moment.astimezone(UTC)) if moment is not None else ""


def _local_text(moment: datetime | None, zone: Any) -> str:
    return iso(moment.astimezone(zone)) if moment is not None and zone is not None else ""


PERSON_COLUMNS = (
    Column("participant_id"),
    Column("name", untrusted=True),
    Column("email", untrusted=True),
    Column("location"),
    Column("gender", untrusted=True),
)
WHEN_COLUMNS = (
    Column("first_in_utc", DATETIME),
    Column("last_out_utc", DATETIME),
    Column("timezone"),
    Column("first_in_local", DATETIME),
    Column("last_out_local", DATETIME),
    Column("sources"),
)


def _person(record: Record, person: Participant) -> tuple[Any, ...]:
    names = record.pseudonyms
    return (
        names.id(person.id),
        names.name(person.id),
        names.email(person.id),
        record.published_location(person.location),
        record.cells.gender(person),
    )


def _when(record: Record, person: Participant, window: Window) -> tuple[Any, ...]:
    zone = record.published_zone(person.location)
    return (
        _utc(window.first_in),
        _utc(window.last_out),
        zone.key if zone is not None else SUPPRESSED,
        _local(window.first_in, record, person.location),
        _local(window.last_out, record, person.location),
        window.sources,
    )


@dataclass(frozen=True)
class DayRow:
    """One participant's day in the register: the time they attended, their status (present, late, excused,
    absent), and when they were first in and last out."""

    person: Participant
    day: date
    attended: timedelta
    status: str
    window: Window


@dataclass(frozen=True)
class _Person:
    """What one participant's check-ins come to, per day and per block of the register."""

    days: list[DayRow]
    blocks: list[tuple[timedelta, Window]]


class Attendance:
    """The register's tables for one record.

    Check-ins are read one participant at a time (facilitator.exports.checkins), so memory follows the size
    of the roster, never the length of the log. One pass works out every participant's days, blocks and
    certificate, in the export's order of people, before the first table is written; the tables then lay
    them out.
    """

    def __init__(self, snapshot: Snapshot, record: Record, reading: checkins.Reading | None = None) -> None:
        """``reading``: the check-ins read already (:func:`facilitator.exports.checkins.read`), which the pass
        closes; else it starts reading them."""
        self.snapshot = snapshot
        self.record = record
        self.days = sorted({block.day for block in record.register.blocks})
        self.people = record.pseudonyms.people()  # roster order; anonymised, the pseudonyms' shuffled order
        self.rows: list[DayRow] = []
        self.certificates_: list[Certificate] = []
        self._blocks: list[list[tuple[timedelta, Window]]] = []
        self._reading = reading
        self._passed = False

    def _pass(self) -> None:
        record = self.record
        register = record.register
        blocks = [block.segments for block in register.blocks]
        days = [(day, register.day_spans(day)) for day in self.days]
        now = record.now.astimezone(UTC)
        local = checkins.Days(register.tz, register.ends)
        # As the fold of old: the check-ins of people on the roster and in the participants table.
        listed = {pid for (pid,) in self.snapshot.rows("SELECT id FROM participants")}
        wanted = listed & set(record.attendance.roster.by_id)
        found: dict[str, _Person] = {}
        from_log: set[str] = set()  # read again from the log and folded, as the fold reads a payload
        reading = self._reading if self._reading is not None else checkins.read(self.snapshot)
        self._reading = None
        try:
            for raw in reading:
                pid = raw[0]
                if not isinstance(pid, str):  # SQL compares it with the participant's id as text
                    if str(pid) in wanted:
                        from_log.add(str(pid))
                    continue
                if pid not in wanted:
                    continue
                row = checkins.Row.parse(raw)
                if row is None or row.times is None:
                    from_log.add(pid)
                    continue
                bulk = checkins.found(row, local, now)
                seen = _Found(bulk, now) if bulk is not None else self._folded(pid, row.events())
                found[pid] = self._person(pid, seen, days, blocks)
        finally:
            reading.close()
        for pid, events in _from_log(self.snapshot, sorted(from_log), from_table=reading.from_table):
            found[pid] = self._person(pid, self._folded(pid, events), days, blocks)
        nobody = _Found(checkins.NOBODY, now)
        for person in self.people:
            mine = found.get(person.id) or self._person(person.id, nobody, days, blocks)
            self.rows.extend(mine.days)
            self._blocks.append(mine.blocks)
            self.certificates_.append(self._certificate(person.id, [row.attended for row in mine.days]))
        self._passed = True

    def _folded(self, pid: str, events: Iterable[Event]) -> _Seen:
        """``pid``'s check-ins through the fold, with the roster and the day marks of the record."""
        mine = AttendanceFold()
        attendance = self.record.attendance
        mine.roster, mine.marks, mine.links = attendance.roster, attendance.marks, attendance.links
        for event in events:
            mine.apply(event)
        return _Seen(Register(self.record.state, mine, self.record.now), pid)

    def _person(
        self,
        pid: str,
        seen: _Seen | _Found,
        days: Sequence[tuple[date, Sequence[Span]]],
        blocks: Sequence[Sequence[Span]],
    ) -> _Person:
        register = self.record.register
        late = register.programme.workshop.attendance.late_grace
        person = self.record.attendance.roster.by_id[pid]
        rows = []
        for day, spans in days:
            window = seen.window(spans)
            marked = register.attendance.mark(pid, day)
            if marked is not None:
                status = marked
            elif window.first_in is None:
                status = "absent"
            else:  # :meth:`Register.status`, from the day's window found already
                status = "late" if window.first_in > spans[0][0] + late else "present"
            rows.append(DayRow(person, day, seen.attended(spans), status, window))
        return _Person(rows, [(seen.attended(spans), seen.window(spans)) for spans in blocks])

    def _certificate(self, pid: str, days: list[timedelta]) -> Certificate:
        """:meth:`Register.certificate`, from the day totals worked out already (the same sums, not rescanned)."""
        register = self.record.register
        run = sum((end - start for day in self.days for start, end in register.day_spans(day)), timedelta())
        share = self.record.programme.workshop.attendance.certificate_share
        return Certificate(pid, sum(days, timedelta()), register.planned(), share, run)

    def _rows(self) -> list[DayRow]:
        if not self._passed:
            self._pass()
        return self.rows

    def by_block(self) -> Table:
        record = self.record
        grace = record.programme.workshop.attendance.late_grace
        titles = {e.id: e.title for e in record.programme.exercises}

        def block_cells(block: Block) -> tuple[Any, ...]:
            return (
                block.day,
                block.exercise,
                titles.get(block.exercise, block.exercise),
                _utc(block.start),
                _utc(block.end) if not block.running else None,
                minutes(block.length),
            )

        def status(person: Participant, block: Block, got: timedelta, window: Window) -> str:
            mark = record.attendance.mark(person.id, block.day)
            return _block_status(
                attended=got, length=block.length, start=block.start, window=window, grace=grace, mark=mark
            )

        def rows() -> Iterator[tuple[Any, ...]]:
            self._rows()
            blocks = [(block, block_cells(block)) for block in record.register.blocks]
            for person, mine in zip(self.people, self._blocks, strict=True):
                who = _person(record, person)
                for (block, cells), (got, window) in zip(blocks, mine, strict=True):
                    yield (
                        *who,
                        *cells,
                        minutes(got),
                        status(person, block, got, window),
                        *_when(record, person, window),
                    )

        def csv_lines() -> Iterator[str]:
            # The person's cells once per person, the block's once per block: only the rest per row.
            self._rows()
            blocks = [(block, block_text(block_cells(block))) for block in record.register.blocks]
            when, cell = _WhenCells(record), csv_out.cell
            for person, mine in zip(self.people, self._blocks, strict=True):
                who = person_text(_person(record, person))
                for (block, cells), (got, window) in zip(blocks, mine, strict=True):
                    rest = f"{minutes(got):.1f},{cell(status(person, block, got, window))},{when(person, window)}"
                    yield f"{who},{cells},{rest}\r\n"

        block_columns = (
            Column("day", DATE),
            Column("exercise"),
            Column("exercise_title", untrusted=True),
            Column("block_start_utc", DATETIME),
            Column("block_end_utc", DATETIME),
            Column("block_minutes", MINUTES),
        )
        rest_columns = (Column("minutes", MINUTES), Column("status"), *WHEN_COLUMNS)
        person_text, block_text = csv_out.Cells(PERSON_COLUMNS), csv_out.Cells(block_columns)
        columns = (*PERSON_COLUMNS, *block_columns, *rest_columns)
        title = "Attendance by participant and agenda block"
        return Table("attendance_by_block", title, columns, rows(), csv_lines=csv_lines)

    def by_day(self) -> Table:
        record = self.record

        def rows() -> Iterator[tuple[Any, ...]]:
            for row in self._rows():
                yield (
                    *_person(record, row.person),
                    row.day,
                    minutes(row.attended),
                    row.status,
                    *_when(record, row.person, row.window),
                )

        def csv_lines() -> Iterator[str]:
            who: dict[str, str] = {}
            when, cell = _WhenCells(record), csv_out.cell
            for row in self._rows():
                if row.person.id not in who:
                    who[row.person.id] = person_text(_person(record, row.person))
                rest = f"{row.day.isoformat()},{minutes(row.attended):.1f},{cell(row.status)}"
                yield f"{who[row.person.id]},{rest},{when(row.person, row.window)}\r\n"

        rest_columns = (Column("day", DATE), Column("minutes", MINUTES), Column("status"), *WHEN_COLUMNS)
        person_text = csv_out.Cells(PERSON_COLUMNS)
        columns = (*PERSON_COLUMNS, *rest_columns)
        return Table("attendance_by_day", "Attendance by participant and day", columns, rows(), csv_lines=csv_lines)

    def _location_groups(self) -> list[tuple[str | None, str, frozenset[str] | None, str]]:
        """The rows of the summary: (location, its name, the roster locations it counts, a note on pooling);
        anonymised, the small locations are one row (facilitator.exports.cells); last, all locations."""
        record = self.record
        cells = record.cells
        pooled = cells.locations.pooled
        groups: list[tuple[str | None, str, frozenset[str] | None, str]] = [
            (loc, record.location_name(loc), frozenset({loc}), "") for loc in record.locations if loc not in pooled
        ]
        if pooled:
            names = ", ".join(sorted(record.location_name(loc) for loc in pooled))
            if cells.locations.withheld:
                note = f"withheld: fewer than {cells.k} people"
            else:
                note = f"pooled: {names} (no figure is about fewer than {cells.k} people)"
            groups.append((SUPPRESSED, SUPPRESSED, pooled, note))
        everyone = len(self.people)
        small = cells.enabled and 0 < everyone < cells.k
        groups.append((None, "All locations", None, f"withheld: fewer than {cells.k} people" if small else ""))
        return groups

    def summary_rows(self) -> list[tuple[Any, ...]]:
        """Per day and location (the participant's roster location), then all locations together; the last
        column says what was pooled or withheld (facilitator.exports.cells)."""
        record = self.record
        counts = record.register.counts()
        out: list[tuple[Any, ...]] = []
        for day in self.days:
            today = [row for row in self._rows() if row.day == day]
            for location, name, members, note in self._location_groups():
                here = [row for row in today if members is None or row.person.location in members]
                statuses = [row.status for row in here]
                attended = sum(1 for s in statuses if s in ("present", "late"))
                excused = statuses.count("excused")
                # Minutes of attendees only: an excused person's few minutes must not raise the average.
                total = sum((row.attended for row in here if row.status in ("present", "late")), timedelta())
                expected = sum(c.expected for loc, c in counts.items() if members is None or loc in members)
                # As Moodle reports it: excused people are left out of the rate, not counted absent. The people
                # who could have come are the workshop's expected figure, or the roster where more registered,
                # so attended + excused never exceeds it and the rate stays within 0..1.
                could_come = max(expected, len(here)) - excused
                if note.startswith("withheld"):
                    out.append((day, location or "all", name, None, expected, *[None] * 8, note))
                    continue
                out.append(
                    (
                        day,
                        location or "all",
                        name,
                        len(here),
                        expected,
                        attended,
                        *(statuses.count(s) for s in ("present", "late", "excused", "absent")),
                        attended / could_come if could_come > 0 else None,
                        minutes(total),
                        minutes(total / attended) if attended else None,
                        note,
                    )
                )
        return out

    def summary(self) -> Table:
        columns = (
            Column("day", DATE),
            Column("location"),
            Column("location_name", untrusted=True),
            Column("registered", INT),
            Column("expected", INT),
            Column("attended", INT),
            Column("present", INT),
            Column("late", INT),
            Column("excused", INT),
            Column("absent", INT),
            Column("attendance_rate", SHARE),
            Column("minutes", MINUTES),
            Column("minutes_per_attendee", MINUTES),
            Column("suppressed"),
        )
        return Table("attendance_summary", "Attendance by location and day", columns, _later(self.summary_rows))

    def gender_rows(self) -> list[tuple[date, str, int | None, int | None, float | None, float | None, str]]:
        """Per day and gender; anonymised, the small gender groups are one row, ``suppressed``, and the last
        column says so (facilitator.exports.cells)."""
        cells = self.record.cells

        def group(row: DayRow) -> str:
            return cells.gender_group(gender_of(row.person))

        def order(gender: str) -> tuple[bool, bool, str]:
            return (gender == SUPPRESSED, gender == NOT_STATED, gender)

        out: list[tuple[date, str, int | None, int | None, float | None, float | None, str]] = []
        for day in self.days:
            today = [row for row in self._rows() if row.day == day]
            attended_today = sum(1 for row in today if row.status in ("present", "late"))
            for gender in sorted({group(row) for row in today}, key=order):
                if gender == SUPPRESSED and cells.genders.withheld:
                    out.append((day, gender, None, None, None, None, f"withheld: fewer than {cells.k} people"))
                    continue
                note = f"pooled: gender groups of fewer than {cells.k} people" if gender == SUPPRESSED else ""
                mine = [row for row in today if group(row) == gender]
                came = sum(1 for row in mine if row.status in ("present", "late"))
                could_come = len(mine) - sum(1 for row in mine if row.status == "excused")  # excused: apart
                out.append(
                    (
                        day,
                        gender,
                        len(mine),
                        came,
                        came / attended_today if attended_today else None,
                        came / could_come if could_come > 0 else None,
                        note,
                    )
                )
        return out

    def by_gender(self) -> Table:
        columns = (
            Column("day", DATE),
            Column("gender", untrusted=True),
            Column("registered", INT),
            Column("attended", INT),
            Column("share_of_attended", SHARE),
            Column("attendance_rate", SHARE),
            Column("suppressed"),
        )
        return Table("attendance_by_gender", "Attendance by gender and day", columns, _later(self.gender_rows))

    def certificate_list(self) -> list[Certificate]:
        self._rows()
        return self.certificates_

    def certificates(self) -> Table:
        record = self.record

        def rows() -> Iterator[tuple[Any, ...]]:
            for cert in self.certificate_list():
                person = record.attendance.roster.by_id[cert.participant]
                yield (
                    *_person(record, person),
                    minutes(cert.attended),
                    minutes(cert.required),
                    minutes(cert.planned),
                    cert.attended_share,
                    cert.eligible,
                )

        columns = (
            *PERSON_COLUMNS,
            Column("attended_minutes", MINUTES),
            Column("required_minutes", MINUTES),
            Column("planned_minutes", MINUTES),
            Column("attended_share", SHARE),
            Column("eligible", BOOL),
        )
        return Table("certificates", "Certificate eligibility", columns, rows())


def _later(make: Callable[[], list[tuple[Any, ...]]]) -> Iterator[tuple[Any, ...]]:
    """The rows ``make`` returns, worked out only when the table is written (after the per-block pass)."""
    yield from make()


def _from_log(snapshot: Snapshot, pids: list[str], *, from_table: bool) -> Iterator[tuple[str, Iterator[Event]]]:
    """The check-ins of ``pids`` as the fold reads them, one participant at a time, with each one's event (whose
    time the fold takes when the payload's is not one): for the records facilitator.exports.checkins cannot take
    as SQLite gave them. From the ``checkins`` table, or from the events' payloads where it lags behind the log
    (``from_table`` False, :class:`facilitator.exports.checkins.Reading`)."""
    if not pids:
        return
    if from_table:
        sql = (
            "SELECT c.seq, e.at, CASE c.kind WHEN 'in' THEN ? ELSE ? END, c.at, c.source, c.location, c.participant"
            " FROM checkins c JOIN events e ON e.seq = c.seq"
            " WHERE c.participant IN (SELECT value FROM json_each(?)) AND c.seq <= ? ORDER BY c.participant, c.seq"
        )
    else:
        sql = (
            "SELECT e.seq, e.at, e.kind, json_extract(e.payload, '$.at'), json_extract(e.payload, '$.source'),"
            " json_extract(e.payload, '$.location'), p.id FROM events e"
            " JOIN participants p ON p.id = json_extract(e.payload, '$.participant')"
            " WHERE e.kind IN (?, ?) AND p.id IN (SELECT value FROM json_each(?)) AND e.seq <= ?"
            " ORDER BY p.id, e.seq"
        )
    rows = snapshot.rows(sql, (*checkins.CHECKS, json.dumps(pids), snapshot.last_seq))
    pending = next(rows, None)
    while pending is not None:
        pid = pending[6]
        mine = []
        while pending is not None and pending[6] == pid:
            seq, at, kind, when, source, location = pending[:6]
            payload = {"participant": pid, "at": when, "source": source, "location": location}
            mine.append(Event(seq, "", from_text(at), "", kind, payload))
            pending = next(rows, None)
        yield pid, iter(mine)


def _block_status(
    *, attended: timedelta, length: timedelta, start: datetime, window: Window, grace: timedelta, mark: str | None
) -> str:
    """``absent`` (no time in it), ``late`` (came after its start plus the grace), ``partial`` (on time, but
    missed more than the grace), else ``present``; a day marked excused or absent with no time keeps its mark."""
    if attended <= timedelta():
        return mark if mark in ("excused", "absent") else "absent"
    if window.first_in is not None and window.first_in > start + grace:
        return "late"
    if attended < length - grace:
        return "partial"
    return "present"
