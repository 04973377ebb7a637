"""The attendance register: per participant and day, per participant and block, per location, by gender.

Every figure comes from :class:`facilitator.live.register.Register` (the same one the attendance screen
shows); this module only lays it out in rows. Only days that have started are listed: a day not run yet
has nothing to report, and listing everyone as absent from it would mislead.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from facilitator.attendance.gender import NOT_STATED, category
from facilitator.attendance.intervals import Attendance as AttendanceFold
from facilitator.attendance.intervals import Span, minutes, overlap
from facilitator.attendance.roster import Participant
from facilitator.exports.cells import SUPPRESSED
from facilitator.exports.record import Record
from facilitator.exports.snapshot import Snapshot
from facilitator.exports.tables import BOOL, DATE, DATETIME, INT, MINUTES, SHARE, Column, Table
from facilitator.live.register import Certificate, Register
from facilitator.record import events as ev
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
    """One participant's merged spans and raw intervals, looked up by time.

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

    def status(self, day: date, window: Window) -> str:
        """:meth:`Register.status` from the day's window, found already: a mark, else absent, late or present."""
        marked = self.register.attendance.mark(self.pid, day)
        if marked is not None:
            return marked
        if window.first_in is None:
            return "absent"
        start = self.register.day_spans(day)[0][0]
        return "late" if window.first_in > start + self.register.programme.workshop.attendance.late_grace else "present"


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
    person: Participant
    day: date
    attended: timedelta
    status: str
    window: Window


class Attendance:
    """The register's tables for one record.

    Check-ins are read one participant at a time (see :func:`_registers`), so memory follows the size of
    the roster, never the length of the log. The per-block table makes that one pass: as it goes it keeps
    each participant's per-day rows and certificate, which the other tables then lay out. So it is
    written first.
    """

    def __init__(self, snapshot: Snapshot, record: Record) -> None:
        self.snapshot = snapshot
        self.record = record
        self.days = sorted({block.day for block in record.register.blocks})
        self.people = record.pseudonyms.people()  # roster order; anonymised, the pseudonyms' shuffled order
        self.rows: list[DayRow] = []
        self.certificates_: list[Certificate] = []
        self._passed = False

    def _pass(self) -> Iterator[tuple[Participant, _Seen]]:
        for person, register in _registers(self.snapshot, self.record):
            seen = _Seen(register, person.id)
            for day in self.days:
                spans = register.day_spans(day)
                window = seen.window(spans)
                self.rows.append(DayRow(person, day, seen.attended(spans), seen.status(day, window), window))
            self.certificates_.append(
                self._certificate(person.id, [row.attended for row in self.rows[-len(self.days) :]])
            )
            yield person, seen
        self._passed = True

    def _certificate(self, pid: str, days: list[timedelta]) -> Certificate:
        """:meth:`Register.certificate`, from the day totals worked out already (the same sums, not rescanned)."""
        register = self.record.register
        run = sum((end - start for day in self.days for start, end in register.day_spans(day)), timedelta())
        share = self.record.programme.workshop.attendance.certificate_share
        return Certificate(pid, sum(days, timedelta()), register.planned(), share, run)

    def _rows(self) -> list[DayRow]:
        if not self._passed:
            for _ in self._pass():
                pass
        return self.rows

    def by_block(self) -> Table:
        record = self.record
        grace = record.programme.workshop.attendance.late_grace
        titles = {e.id: e.title for e in record.programme.exercises}

        def rows() -> Iterator[tuple[Any, ...]]:
            for person, seen in self._pass():
                for block in seen.register.blocks:
                    got = seen.attended(block.segments)
                    window = seen.window(block.segments)
                    yield (
                        *_person(record, person),
                        block.day,
                        block.exercise,
                        titles.get(block.exercise, block.exercise),
                        _utc(block.start),
                        _utc(block.end) if not block.running else None,
                        minutes(block.length),
                        minutes(got),
                        _block_status(
                            attended=got,
                            length=block.length,
                            start=block.start,
                            window=window,
                            grace=grace,
                            mark=seen.register.attendance.mark(person.id, block.day),
                        ),
                        *_when(record, person, window),
                    )

        columns = (
            *PERSON_COLUMNS,
            Column("day", DATE),
            Column("exercise"),
            Column("exercise_title", untrusted=True),
            Column("block_start_utc", DATETIME),
            Column("block_end_utc", DATETIME),
            Column("block_minutes", MINUTES),
            Column("minutes", MINUTES),
            Column("status"),
            *WHEN_COLUMNS,
        )
        return Table("attendance_by_block", "Attendance by participant and agenda block", columns, rows())

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

        columns = (*PERSON_COLUMNS, Column("day", DATE), Column("minutes", MINUTES), Column("status"), *WHEN_COLUMNS)
        return Table("attendance_by_day", "Attendance by participant and day", columns, rows())

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


_CHECKS = (ev.ATTENDANCE_CHECKED_IN, ev.ATTENDANCE_CHECKED_OUT)


def _registers(snapshot: Snapshot, record: Record) -> Iterator[tuple[Participant, Register]]:
    """Each participant on the roster, in the export's order of people (roster order, or anonymised, the
    pseudonyms' shuffled one), with a register of their own check-ins only.

    The check-ins come sorted by participant (in that order) from SQLite, which sorts on disk if it must;
    each person's are folded into an attendance of their own that shares the roster and the day marks.
    """
    people = record.pseudonyms.people()
    order = {p.id: index for index, p in enumerate(people)}
    rank = "p.seq"
    if record.pseudonyms.enabled:
        snapshot.conn.create_function("export_rank", 1, lambda pid: order.get(pid, -1), deterministic=True)
        rank = "export_rank(p.id)"
    # The payload's fields come out of SQLite already: a JSON parse per check-in is most of a fold's time.
    rows = snapshot.rows(
        "SELECT e.seq, e.at, e.kind, json_extract(e.payload, '$.at'), json_extract(e.payload, '$.source'),"
        " json_extract(e.payload, '$.location'), p.id FROM events e"
        " JOIN participants p ON p.id = json_extract(e.payload, '$.participant')"
        f" WHERE e.kind IN (?, ?) ORDER BY {rank}, e.seq",
        _CHECKS,
    )
    pending = next(rows, None)
    for index, person in enumerate(people):
        mine = AttendanceFold()
        mine.roster, mine.marks, mine.links = record.attendance.roster, record.attendance.marks, record.attendance.links
        while pending is not None and order.get(pending[6], -1) <= index:
            if pending[6] == person.id:
                seq, at, kind, when, source, location = pending[:6]
                payload = {"participant": person.id, "at": when, "source": source, "location": location}
                mine.apply(Event(seq, "", from_text(at), "", kind, payload))
            pending = next(rows, None)
        yield person, Register(record.state, mine, record.now)


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
