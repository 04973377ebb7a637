"""Reflections, every one of them, and the quotes: the consented, visible ones, ready for a newsletter.

Both are streamed from the ``reflections`` table of the snapshot, which holds each reflection as it now
stands (after edits, retractions and hiding), in the order they were logged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from facilitator.attendance.roster import Participant
from facilitator.exports.pseudonyms import WITHHELD
from facilitator.exports.record import Record
from facilitator.exports.snapshot import Snapshot
from facilitator.exports.tables import BOOL, DATE, DATETIME, Column, Table
from facilitator.record.clock import from_text

ANONYMOUS = "anonymous"
_COLUMNS = (
    "id, day, exercise, step, prompt, text, participant, location, consent, logged_at, edited_at, retracted_at,"
    " hidden, source, participant_id"
)


@dataclass(frozen=True)
class Row:
    id: str
    day: date | None
    exercise: str | None
    step: str | None
    prompt: str | None
    text: str
    author: str | None  # the name the reflection was signed with; None: anonymous
    person: Participant | None  # the roster's entry for a named author, when known
    location: str | None
    consent: bool
    logged_at: datetime
    edited_at: datetime | None
    retracted: bool
    hidden: bool
    source: str

    @property
    def quotable(self) -> bool:
        return self.consent and not self.hidden and not self.retracted


def _rows(snapshot: Snapshot, record: Record, where: str = "") -> Iterator[Row]:
    roster = record.attendance.roster
    by_name: dict[str, Participant] = {}
    for listed in roster.by_id.values():
        by_name.setdefault(listed.name.casefold(), listed)
    for r in snapshot.rows(f"SELECT {_COLUMNS} FROM reflections {where} ORDER BY seq"):
        # Only a reflection signed with a name has an author: the page may know who wrote an anonymous one.
        person: Participant | None = None
        if r[6]:
            person = roster.by_id.get(r[14] or "") or by_name.get(r[6].casefold())
        yield Row(
            id=r[0],
            day=date.fromisoformat(r[1]) if r[1] else None,
            exercise=r[2],
            step=r[3],
            prompt=r[4],
            text=r[5],
            author=r[6],
            person=person,
            location=r[7] or (person.location if person is not None else None),
            consent=bool(r[8]),
            logged_at=from_text(r[9]),
            edited_at=from_text(r[10]) if r[10] else None,
            retracted=r[11] is not None,
            hidden=bool(r[12]),
            source=r[13],
        )


def _titles(record: Record) -> Callable[[str | None, str | None], tuple[str, str]]:
    exercises = {e.id: e for e in record.programme.exercises}

    def titles(exercise: str | None, step: str | None) -> tuple[str, str]:
        found = exercises.get(exercise or "")
        if found is None:
            return (exercise or "", step or "")
        step_title = next((s.title for s in found.steps if s.id == step), step or "")
        return (found.title, step_title)

    return titles


def _author(record: Record, row: Row) -> str:
    if row.author is None:
        return ANONYMOUS
    return WITHHELD if record.pseudonyms.enabled else row.author


def count(snapshot: Snapshot) -> int:
    return int(snapshot.conn.execute("SELECT COUNT(*) FROM reflections").fetchone()[0])


def reflections(snapshot: Snapshot, record: Record) -> Table:
    titles = _titles(record)
    names = record.pseudonyms
    scrub = names.scrub

    def rows() -> Iterator[tuple[Any, ...]]:
        for row in _rows(snapshot, record):
            exercise_title, step_title = titles(row.exercise, row.step)
            zone = record.published_zone(row.location)  # None: a suppressed location, which its zone would name
            yield (
                names.id(row.id),
                row.day,
                row.exercise or "",
                exercise_title,
                row.step or "",
                step_title,
                row.prompt or "",
                record.published_location(row.location) or "",
                record.published_location_name(row.location),
                row.logged_at.astimezone(UTC),
                row.logged_at.astimezone(zone) if zone is not None else None,
                _author(record, row),
                row.consent,
                row.hidden,
                row.retracted,
                row.edited_at.astimezone(UTC) if row.edited_at is not None else None,
                row.source,
                scrub(row.text),
            )

    columns = (
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
    return Table("reflections", "Reflections", columns, rows())


@dataclass(frozen=True)
class Quote:
    name: str
    role: str
    location: str
    day: date | None
    text: str


QUOTABLE = "WHERE consent = 1 AND hidden = 0 AND retracted_at IS NULL"


def quotes(snapshot: Snapshot, record: Record, keep: Callable[[Quote], None] | None = None) -> Table:
    """The quotes table; ``keep`` also sees each quote as it is written (the report picks some)."""
    scrub = record.pseudonyms.scrub

    def rows() -> Iterator[tuple[Any, ...]]:
        for row in _rows(snapshot, record, QUOTABLE):
            # Anonymised, the author goes and so does their role: a role at a location can name a person.
            role = "" if record.pseudonyms.enabled or row.person is None else (row.person.role or "")
            location = record.published_location_name(row.location)
            quote = Quote(_author(record, row), role, location, row.day, scrub(row.text))
            if keep is not None:
                keep(quote)
            yield (quote.name, quote.role, quote.location, quote.day, quote.text)

    columns = (
        Column("name", untrusted=True),
        Column("role", untrusted=True),
        Column("location"),
        Column("day", DATE),
        Column("quote", untrusted=True),
    )
    return Table("quotes", "Quotes (consented, visible reflections)", columns, rows())
