"""Reflections, every one of them, and the quotes: the consented, visible ones, ready for a newsletter.

Both are streamed from the ``reflections`` table of the snapshot, which holds each reflection as it now
stands (after edits, retractions and hiding), in the order they were logged. What a row needs from the
record (a day, a step's titles, a location as published) is looked up once per value, not per row.

When CSV is the only table format of an identified export, each row goes straight from SQLite's columns to
its CSV line (:attr:`Table.csv_lines`), every cell written by the CSV writer's own functions, without the
typed values the other formats need in between. The cells that come from the columns a reflection shares with
many others (its day and step, its author and where they are, its flags) are made once per distinct value, so
each row costs little more than its id, its time and its text. A quote is a reflection: the quotes' lines are
made in the same pass, from the same cells, and kept in a temporary file until the quotes table is written
(:class:`QuoteLines`), rather than read and made again.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import IO, Any, TypeVar

from facilitator.attendance.roster import Participant
from facilitator.exports import csv_out
from facilitator.exports.pseudonyms import WITHHELD
from facilitator.exports.record import Record
from facilitator.exports.snapshot import Snapshot
from facilitator.exports.tables import BOOL, DATE, DATETIME, Column, Table
from facilitator.exports.writers import iso
from facilitator.record.clock import from_text

ANONYMOUS = "anonymous"
_YES_NO = ("no", "yes")  # as the CSV writer writes a yes/no cell
_COLUMNS = (
    "id, day, exercise, step, prompt, text, participant, location, consent, logged_at, edited_at, retracted_at,"
    " hidden, source, participant_id"
)
# The columns of the reflections table by position, as _COLUMNS lists them.
_ID, _DAY, _EXERCISE, _STEP, _PROMPT, _TEXT, _NAME, _LOCATION, _CONSENT, _LOGGED, _EDITED, _RETRACTED = range(12)
_HIDDEN, _SOURCE, _PARTICIPANT_ID = 12, 13, 14
_QUOTABLE = "consent = 1 AND hidden = 0 AND retracted_at IS NULL"
# What the CSV lines read of each reflection: whether it was retracted, not when (no time string made), and
# whether it is a quote, by the quotes table's own test.
_LINE_COLUMNS = (
    "id, day, exercise, step, prompt, text, participant, location, participant_id, consent, hidden,"
    f" retracted_at IS NOT NULL, logged_at, edited_at, source, {_QUOTABLE}"
)
_KNOWN = 4096  # distinct values whose cells are kept: memory stays flat, whatever the values
T = TypeVar("T")


class _Reading:
    """What each row of the ``reflections`` table needs from the record, looked up once per distinct value: a
    hundred thousand reflections share a few days, steps and locations."""

    def __init__(self, record: Record) -> None:
        self.record = record
        self.roster = record.attendance.roster
        self.by_name: dict[str, Participant] = {}
        for listed in self.roster.by_id.values():
            self.by_name.setdefault(listed.name.casefold(), listed)
        self._days: dict[str, date] = {}
        self._titles: dict[tuple[str | None, str | None], tuple[str, str]] = {}
        self._places: dict[str | None, tuple[str, str, Any]] = {}
        self._cells: dict[Any, tuple[str, ...]] = {}
        self._titles_of = _titles(record)

    def person(self, name: str | None, participant_id: str | None) -> Participant | None:
        """The roster's entry for the author: only a reflection signed with a name has one (the page may know
        who wrote an anonymous one)."""
        if not name:
            return None
        return self.roster.by_id.get(participant_id or "") or self.by_name.get(name.casefold())

    def day(self, text: str | None) -> date | None:
        if not text:
            return None
        found = self._days.get(text)
        if found is None:
            found = self._days[text] = date.fromisoformat(text)
        return found

    def titles(self, exercise: str | None, step: str | None) -> tuple[str, str]:
        key = (exercise, step)
        found = self._titles.get(key)
        if found is None:
            found = self._titles[key] = self._titles_of(exercise, step)
        return found

    def place(self, location: str | None) -> tuple[str, str, Any]:
        """A location as published, its name as published, and its time zone (None: suppressed)."""
        found = self._places.get(location)
        if found is None:
            record = self.record
            found = self._places[location] = (
                record.published_location(location) or "",
                record.published_location_name(location),
                record.published_zone(location),  # None: a suppressed location, which its zone would name
            )
        return found

    def title_cells(self, exercise: str | None, step: str | None) -> tuple[str, ...]:
        key = ("titles", exercise, step)
        found = self._cells.get(key)
        if found is None:
            found = self._cells[key] = tuple(map(csv_out.cell, self.titles(exercise, step)))
        return found

    def place_cells(self, location: str | None) -> tuple[str, ...]:
        key = ("place", location)
        found = self._cells.get(key)
        if found is None:
            published, name, _ = self.place(location)
            found = self._cells[key] = (csv_out.cell(published), csv_out.cell(name))
        return found


# How the app writes a time (facilitator.record.clock.to_text): its minute, then its seconds.
_MINUTE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")
_SECONDS = re.compile(r":[0-5][0-9]\.[0-9]{6}Z")
_UNSEEN: Any = object()  # a minute not worked out yet (None: one that cannot be)


class _Times:
    """A logged time's cells, UTC and local, as the CSV writer writes them (:func:`iso`), from the text the
    ``reflections`` table holds: worked out once per minute and zone, for times written as the app writes them
    (``2022-08-22T07:05:09.123456Z``), in a minute whose offset is the same whole number of minutes from its
    first instant to its last; any other time is parsed and converted on its own."""

    def __init__(self) -> None:
        self._minutes: dict[tuple[str, Any], tuple[str, str] | None] = {}

    def __call__(self, text: str, zone: Any) -> tuple[str, str]:
        if _SECONDS.fullmatch(text, 16):  # the minute (the key) is read by from_text, once
            found = self._minutes.get((text[:16], zone), _UNSEEN)
            if found is _UNSEEN:
                found = self._learn(text, zone)
            if found is not None:
                local, offset = found
                return text[:19] + "Z", local + text[16:19] + offset if local else ""
        at = from_text(text).astimezone(UTC)
        return iso(at), iso(at.astimezone(zone)) if zone is not None else ""

    def _learn(self, text: str, zone: Any) -> tuple[str, str] | None:
        if len(self._minutes) >= 4096:  # memory stays flat: forget all and start again
            self._minutes.clear()
        found = self._minutes[text[:16], zone] = self._minute(text, zone)
        return found

    @staticmethod
    def _minute(text: str, zone: Any) -> tuple[str, str] | None:
        """The minute's local text (``2022-08-22T09:05``; empty with no zone) and its offset (``+02:00``), or
        None."""
        if not _MINUTE.fullmatch(text, 0, 16):
            return None
        first = from_text(text[:16] + ":00.000000Z")
        if zone is None:
            return "", ""
        offset = first.astimezone(zone).utcoffset()
        last = first + timedelta(seconds=59, microseconds=999_999)
        if offset is None or offset.total_seconds() % 60 or last.astimezone(zone).utcoffset() != offset:
            return None
        local = first.astimezone(zone).isoformat(timespec="seconds")  # 2022-08-22T09:05:00+02:00
        return local[:16], local[19:]


def _titles(record: Record) -> Callable[[str | None, str | None], tuple[str, str]]:
    exercises = {e.id: e for e in record.programme.exercises}

    def titles(exercise: str | None, step: str | None) -> tuple[str, str]:
        found = exercises.get(exercise or "")
        if found is None:
            return (exercise or "", step or "")
        step_title = next((s.title for s in found.steps if s.id == step), step or "")
        return (found.title, step_title)

    return titles


def _author(record: Record, name: str | None) -> str:
    """The name a reflection was signed with; ``anonymous`` for none."""
    if name is None:
        return ANONYMOUS
    return WITHHELD if record.pseudonyms.enabled else name


def count(snapshot: Snapshot) -> int:
    return int(snapshot.conn.execute("SELECT COUNT(*) FROM reflections").fetchone()[0])


REFLECTION_COLUMNS = (
    Column("reflection_id"),
    Column("day", DATE),
    Column("exercise"),
    Column("exercise_title", untrusted=True),
    Column("step"),
    Column("step_title", untrusted=True),
    Column("prompt", untrusted=True),
    Column("location"),
    Column("location_name", untrusted=True),
    Column("logged_at_utc", DATETIME),
    Column("logged_at_local", DATETIME),
    Column("author", untrusted=True),
    Column("consent", BOOL),
    Column("hidden", BOOL),
    Column("retracted", BOOL),
    Column("edited_at_utc", DATETIME),
    Column("source"),
    Column("text", untrusted=True),
)


def _reflection(r: tuple[Any, ...], reading: _Reading) -> tuple[Any, ...]:
    """A row of the ``reflections`` table (every column, as _COLUMNS), as the table types it."""
    record = reading.record
    exercise_title, step_title = reading.titles(r[_EXERCISE], r[_STEP])
    person = reading.person(r[_NAME], r[_PARTICIPANT_ID])
    location = r[_LOCATION] or (person.location if person is not None else None)
    published, published_name, zone = reading.place(location)
    logged_at = from_text(r[_LOGGED]).astimezone(UTC)
    edited = r[_EDITED]
    return (
        record.pseudonyms.id(r[_ID]),
        reading.day(r[_DAY]),
        r[_EXERCISE] or "",
        exercise_title,
        r[_STEP] or "",
        step_title,
        r[_PROMPT] or "",
        published,
        published_name,
        logged_at,
        logged_at.astimezone(zone) if zone is not None else None,
        _author(record, r[_NAME]),
        bool(r[_CONSENT]),
        bool(r[_HIDDEN]),
        r[_RETRACTED] is not None,
        from_text(edited).astimezone(UTC) if edited else None,
        r[_SOURCE],
        record.pseudonyms.scrub(r[_TEXT]),
    )


def reflections(snapshot: Snapshot, record: Record, quotes: QuoteLines | None = None) -> Table:
    """The reflections table; written as CSV lines, it makes the quotes' lines too, into ``quotes``."""

    def rows() -> Iterator[tuple[Any, ...]]:
        reading = _Reading(record)
        for r in snapshot.rows(f"SELECT {_COLUMNS} FROM reflections ORDER BY seq"):
            yield _reflection(r, reading)

    table = Table(
        "reflections",
        "Reflections",
        REFLECTION_COLUMNS,
        rows(),
        csv_lines=None if record.pseudonyms.enabled else lambda: _Lines(record).lines(snapshot, quotes),
    )
    return table


class QuoteLines:
    """The quotes table's CSV lines, made while the reflections table is written, in a temporary file in
    ``folder`` (memory stays flat): complete once that pass has ended, else the quotes table makes its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.complete = False
        self._file: IO[str] | None = None

    def start(self) -> None:
        self.close()
        self._file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="", dir=self.folder)  # noqa: SIM115 (until close())

    def add(self, lines: list[str]) -> None:
        if self._file is not None:
            self._file.write("".join(lines))

    def end(self) -> None:
        self.complete = self._file is not None

    def lines(self) -> Iterator[str]:
        """The lines kept, once (the file is closed after)."""
        assert self._file is not None and self.complete
        self._file.seek(0)
        try:
            yield from self._file  # pieces of lines, where a quoted cell holds a line break: the same text
        finally:
            self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self.complete = False


class _Lines:
    """The CSV lines of the reflections (and of the quotes among them) from the rows of ``_LINE_COLUMNS``.

    The cells of what many reflections share are made once per distinct value and kept (up to ``_KNOWN`` of
    each): the day and step (``_head``), the author and their location (``_author``), the flags and the source
    (``_flags``). Each row then only has its id, its times and its text made.
    """

    def __init__(self, record: Record) -> None:
        self.reading = _Reading(record)
        self.cell = csv_out.Memo()  # values a column repeats
        self.times = _Times()
        self._heads: dict[tuple[Any, ...], tuple[str, str]] = {}
        self._authors: dict[tuple[Any, ...], tuple[str, Any, str, str]] = {}
        self._flags: dict[tuple[Any, ...], tuple[str, str]] = {}

    def lines(self, snapshot: Snapshot, quotes: QuoteLines | None) -> Iterator[str]:
        if quotes is not None:
            quotes.start()
        quoted: list[str] = []
        cell, fresh, times = self.cell, csv_out.fresh, self.times
        heads, authors, flags = self._heads, self._authors, self._flags
        rows = snapshot.rows(f"SELECT {_LINE_COLUMNS} FROM reflections ORDER BY seq")
        for (
            rid, day, exercise, step, prompt, text, name, location, pid, consent, hidden, retracted, logged, edited,
            source, quotable,
        ) in rows:  # fmt: skip
            head, on = heads.get((day, exercise, step, prompt)) or self._head(day, exercise, step, prompt)
            place, zone, author, quote = authors.get((name, location, pid)) or self._author(name, location, pid)
            flag_cells, source_cell = flags.get((consent, hidden, retracted, source)) or self._flag_cells(
                consent, hidden, retracted, source
            )
            logged_utc, logged_local = times(logged, zone)
            text_cell = fresh(text) if text.__class__ is str else cell(text)
            yield (
                f"{fresh(rid) if rid.__class__ is str else cell(rid)},{head},{place},{logged_utc},{logged_local},"
                f"{author},{flag_cells},{iso(from_text(edited).astimezone(UTC)) if edited else ''},{source_cell},"
                f"{text_cell}\r\n"
            )
            if quotable and quotes is not None:
                quoted.append(f"{quote},{on},{text_cell}\r\n")
                if len(quoted) >= csv_out.ROWS:
                    quotes.add(quoted)
                    quoted.clear()
        if quotes is not None:
            quotes.add(quoted)
            quotes.end()

    def _head(self, day: Any, exercise: Any, step: Any, prompt: Any) -> tuple[str, str]:
        """The cells from the day to the prompt, and the day's alone."""
        cell = self.cell
        on = self.reading.day(day)
        day_cell = on.isoformat() if on is not None else ""
        exercise_title, step_title = self.reading.title_cells(exercise, step)
        found = (
            f"{day_cell},{cell(exercise or '')},{exercise_title},{cell(step or '')},{step_title},{cell(prompt or '')}",
            day_cell,
        )
        return _kept(self._heads, (day, exercise, step, prompt), found)

    def _author(self, name: Any, location: Any, pid: Any) -> tuple[str, Any, str, str]:
        """The location's cells, its zone (None: suppressed), the author's cell, and a quote's cells before its
        day: author, role and location's name. A reflection without a location is where its author is."""
        reading = self.reading
        person = reading.person(name, pid)
        where = location or (person.location if person is not None else None)
        published, published_name = reading.place_cells(where)
        author = ANONYMOUS if name is None else self.cell(name)
        role = self.cell(person.role or "") if person is not None else ""
        found = (f"{published},{published_name}", reading.place(where)[2], author, f"{author},{role},{published_name}")
        return _kept(self._authors, (name, location, pid), found)

    def _flag_cells(self, consent: Any, hidden: Any, retracted: Any, source: Any) -> tuple[str, str]:
        found = (f"{_YES_NO[bool(consent)]},{_YES_NO[bool(hidden)]},{_YES_NO[bool(retracted)]}", self.cell(source))
        return _kept(self._flags, (consent, hidden, retracted, source), found)


def _kept(known: dict[Any, T], key: Any, value: T) -> T:
    """``value``, kept under ``key`` in ``known`` (emptied first when full)."""
    if len(known) >= _KNOWN:
        known.clear()
    known[key] = value
    return value


@dataclass(frozen=True)
class Quote:
    """A reflection that may be quoted (with consent, neither hidden nor retracted) as the quotes table gives
    it: who signed it, their role, where and on which day."""

    name: str
    role: str
    location: str
    day: date | None
    text: str


QUOTABLE = f"WHERE {_QUOTABLE}"
QUOTE_COLUMNS = (
    Column("name", untrusted=True),
    Column("role", untrusted=True),
    Column("location"),
    Column("day", DATE),
    Column("quote", untrusted=True),
)


def quotes(
    snapshot: Snapshot,
    record: Record,
    keep: Callable[[Quote], None] | None = None,
    made: QuoteLines | None = None,
) -> Table:
    """The quotes table; ``keep`` also sees each quote as it is written (the report picks some). ``made``: its CSV
    lines, if the reflections table made them."""
    scrub = record.pseudonyms.scrub
    enabled = record.pseudonyms.enabled

    def quote(r: tuple[Any, ...], reading: _Reading) -> Quote:
        person = reading.person(r[_NAME], r[_PARTICIPANT_ID])
        # Anonymised, the author goes and so does their role: a role at a location can name a person.
        role = "" if enabled or person is None else (person.role or "")
        location = r[_LOCATION] or (person.location if person is not None else None)
        where = reading.place(location)[1]
        return Quote(_author(record, r[_NAME]), role, where, reading.day(r[_DAY]), scrub(r[_TEXT]))

    def rows() -> Iterator[tuple[Any, ...]]:
        reading = _Reading(record)
        for r in snapshot.rows(f"SELECT {_COLUMNS} FROM reflections {QUOTABLE} ORDER BY seq"):
            found = quote(r, reading)
            if keep is not None:
                keep(found)
            yield (found.name, found.role, found.location, found.day, found.text)

    def csv_lines() -> Iterator[str]:
        if made is not None and made.complete:
            yield from made.lines()
            return
        reading = _Reading(record)
        cell, fresh = csv_out.Memo(), csv_out.fresh  # values a column repeats; a text, seen once
        for r in snapshot.rows(f"SELECT {_COLUMNS} FROM reflections {QUOTABLE} ORDER BY seq"):
            name, text = r[_NAME], r[_TEXT]
            person = reading.person(name, r[_PARTICIPANT_ID])
            location = r[_LOCATION] or (person.location if person is not None else None)
            on = reading.day(r[_DAY])
            yield (
                f"{ANONYMOUS if name is None else cell(name)},{cell(person.role or '') if person is not None else ''},"
                f"{reading.place_cells(location)[1]},{on.isoformat() if on is not None else ''},"
                f"{fresh(text) if text.__class__ is str else cell(text)}\r\n"
            )

    table = Table(
        "quotes",
        "Quotes (consented, visible reflections)",
        QUOTE_COLUMNS,
        rows(),
        csv_lines=None if enabled or keep is not None else csv_lines,
    )
    return table
