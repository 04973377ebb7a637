"""Who speaks (issue 17): every turn on the record, and what the turns come to per day and per step, by gender and
by location, against each group's share of the people present (facilitator.speaking.tally, the panel's figures).

The turns are folded from the snapshot's ``speaking.*`` events (and ``day.closed``, which ends a turn left
running). Presence needs every check-in, which the register's tables read in bulk on a thread of their own
(facilitator.exports.checkins); here they are folded again, and only when the run has turns, so an export of a
run that never tallied a speaker pays nothing.

Anonymised: a turn's speaker is this export's pseudonymous id and their name their pseudonym, their location and
gender published as the small-cell rule publishes them (facilitator.exports.cells); the turn's id is
pseudonymised like every id. In ``speaking_summary`` the groups are first pooled as every table pools them (by
the people on the roster), then a group with fewer than k people *present* in the window shows no figure, and
with it the next smallest of its split, so that no group's figures are a few people's own and none can be
worked out from the others' shares.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from facilitator.attendance.gender import NOT_STATED
from facilitator.attendance.intervals import Attendance
from facilitator.exports.cells import SUPPRESSED, Pooling, pool
from facilitator.exports.record import Record
from facilitator.exports.snapshot import Snapshot
from facilitator.exports.tables import DATE, DATETIME, INT, NUMBER, SHARE, Column, Table
from facilitator.live.register import Register
from facilitator.record import events as ev
from facilitator.speaking.tally import DAY, STEP, UNKNOWN, Row, Tally, Window, rows_of, tally
from facilitator.speaking.turns import Speaking, Turn

KINDS = (ev.SPEAKING_STARTED, ev.SPEAKING_STOPPED, ev.DAY_CLOSED)
PRESENCE_KINDS = (
    ev.PARTICIPANT_ADDED,
    ev.PARTICIPANT_UPDATED,
    ev.ATTENDANCE_CHECKED_IN,
    ev.ATTENDANCE_CHECKED_OUT,
)
GENDER = "gender"
LOCATION = "location"

TURN_COLUMNS = (
    Column("day", DATE),
    Column("exercise"),
    Column("step"),
    Column("turn"),
    Column("participant_id"),
    Column("name", untrusted=True),
    Column("location"),
    Column("gender", untrusted=True),
    Column("started_utc", DATETIME),
    Column("ended_utc", DATETIME),  # empty: still speaking when the export was made
    Column("seconds", NUMBER),
)
SUMMARY_COLUMNS = (
    Column("day", DATE),
    Column("exercise"),
    Column("step"),  # empty: the whole day
    Column("by"),  # gender or location
    Column("group", untrusted=True),
    Column("turns", INT),
    Column("share_of_turns", SHARE),
    Column("seconds", NUMBER),
    Column("share_of_time", SHARE),
    Column("present", INT),
    Column("share_present", SHARE),
    Column("suppressed"),
)


@dataclass(frozen=True)
class Published:
    """One group of a window's split as the export publishes it: its figures, or none and why."""

    by: str
    row: Row
    note: str = ""

    @property
    def withheld(self) -> bool:
        return self.note.startswith("withheld")


class Turns:
    """The turns on the record and the tables made of them."""

    def __init__(self, snapshot: Snapshot, record: Record) -> None:
        self.record = record
        self.turns: list[Turn] = Speaking.from_events(snapshot.events(KINDS)).turns
        self.register = record.register
        if self.turns:
            attendance = Attendance.from_events(snapshot.events(PRESENCE_KINDS))
            self.register = Register(record.state, attendance, record.now)
        k = record.cells.k
        self._withheld = f"withheld: fewer than {k} people"
        self._pooled = f"pooled: groups of fewer than {k} people"
        self._few_present = f"withheld: fewer than {k} people present"

    # -- the windows -------------------------------------------------------------------------------------

    def windows(self) -> list[Window]:
        """Each day with turns (in order; turns with no day open last), then each of its steps with turns, in
        the order their first turn came."""
        days: dict[date | None, list[Window]] = {}
        for turn in self.turns:
            steps = days.setdefault(turn.day, [Window(DAY, turn.day)])
            step = Window(STEP, turn.day, turn.exercise, turn.step)
            if step not in steps:
                steps.append(step)
        ordered = sorted(days, key=lambda day: (day is None, day or date.min))
        return [window for day in ordered for window in days[day]]

    def tally(self, window: Window) -> Tally:
        return tally(self.turns, window, self.register)

    def days(self) -> list[tuple[Tally, list[Published], list[Published]]]:
        """Each day's tally, and its figures as published by gender and by location: what the report shows."""
        out = []
        for window in self.windows():
            if window.kind == DAY:
                found = self.tally(window)
                out.append((found, self.published(found, GENDER), self.published(found, LOCATION)))
        return out

    # -- publishing a split --------------------------------------------------------------------------------

    def _label(self, by: str, group: str) -> str:
        cells = self.record.cells
        if by == GENDER:
            return cells.gender_group(group)
        return group if group == UNKNOWN else cells.location(group) or UNKNOWN

    def _note(self, by: str, label: str) -> str:
        if label != SUPPRESSED:
            return ""
        pooling: Pooling = self.record.cells.genders if by == GENDER else self.record.cells.locations
        return self._withheld if pooling.withheld else self._pooled

    def published(self, found: Tally, by: str) -> list[Published]:
        """A window's split by ``by`` as published: identified, as the tally has it; anonymised, small groups
        pooled, and groups of fewer than k people present withheld."""
        rows = found.rows_by_gender if by == GENDER else found.rows_by_location
        if not self.record.cells.enabled:
            return [Published(by, row) for row in rows]
        sums: dict[str, tuple[int, int, float]] = {}
        for row in rows:
            label = self._label(by, row.group)
            n, turns, seconds = sums.get(label, (0, 0, 0.0))
            sums[label] = (n + row.present, turns + row.turns, seconds + row.seconds)
        order = [*self.record.locations, SUPPRESSED, UNKNOWN] if by == LOCATION else []

        def rank(label: str) -> tuple[object, ...]:
            if by == GENDER:
                return (label == SUPPRESSED, label == NOT_STATED, label)
            return (order.index(label) if label in order else len(order), label)

        merged = rows_of(sums, rank)
        few = pool({row.group: row.present for row in merged}, self.record.cells.k).pooled
        out = []
        for row in merged:
            note = self._note(by, row.group)
            if row.group in few and not note.startswith("withheld"):
                note = self._few_present
            hidden = Row(row.group, 0, 0, 0.0, None, None, None)  # nothing of a withheld group leaves the export
            out.append(Published(by, hidden if note.startswith("withheld") else row, note))
        return out

    # -- the tables ----------------------------------------------------------------------------------------

    def _where(self, turn: Turn) -> str | None:
        """Where the speaker was when the turn began: their check-in's location then, else their roster's."""
        person = self.register.attendance.roster.by_id.get(turn.participant)
        if person is None:
            return None
        where = None
        for interval in self.register.attendance.intervals(turn.participant):
            if interval.start <= turn.started <= self.register.stop(interval):
                where = interval.location
        return where or person.location

    def turns_table(self) -> Table:
        record = self.record
        names = record.pseudonyms
        roster = record.attendance.roster.by_id

        def rows() -> Iterator[tuple[Any, ...]]:
            for turn in self.turns:
                person = roster.get(turn.participant)
                if person is not None:
                    location = record.published_location(self._where(turn)) or ""
                    gender = record.cells.gender(person)
                else:  # a speaker not on the roster (a hand-edited log): say nothing of them
                    location = gender = SUPPRESSED if names.enabled else ""
                stop = turn.ended or self.register.ends.clip(turn.started, turn.until(record.now))
                yield (
                    turn.day,
                    turn.exercise or "",
                    turn.step or "",
                    names.id(turn.id),
                    names.id(turn.participant),
                    names.name(turn.participant),
                    location,
                    gender,
                    turn.started.astimezone(UTC),
                    turn.ended.astimezone(UTC) if turn.ended is not None else None,
                    _seconds((stop - turn.started).total_seconds()),
                )

        return Table("speaking_turns", "Who speaks: every turn", TURN_COLUMNS, rows())

    def summary_table(self) -> Table:
        def rows() -> Iterator[tuple[Any, ...]]:
            for window in self.windows():
                found = self.tally(window)
                head = (window.day, window.exercise or "", window.step or "")
                for by in (GENDER, LOCATION):
                    for published in self.published(found, by):
                        yield (*head, by, *summary_cells(published))

        return Table("speaking_summary", "Who speaks: turns and time by gender and location", SUMMARY_COLUMNS, rows())

    def tables(self) -> list[Table]:
        """Both tables once a speaker has been tallied; none before (no file of headers only)."""
        return [self.turns_table(), self.summary_table()] if self.turns else []


def summary_cells(published: Published) -> tuple[Any, ...]:
    """A published group's cells of ``speaking_summary``, from ``group`` on."""
    row = published.row
    if published.withheld:
        return (row.group, None, None, None, None, None, None, published.note)
    return (
        row.group,
        row.turns,
        row.share_turns,
        _seconds(row.seconds),
        row.share_time,
        row.present,
        row.share_present,
        published.note,
    )


def _seconds(value: float) -> float:
    return round(value, 1)
