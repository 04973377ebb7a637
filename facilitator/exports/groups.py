"""The breakout groups (issue 17): who was in which group of each grouping, as the groups stand (moves and late
arrivals included), folded from the snapshot's ``groups.made``, ``groups.changed`` and ``groups.ended`` events
(facilitator.groups.groupings).

A row is about one person, so it goes through the same rules as the register's rows: anonymised, the
participant's id is this export's pseudonymous id and their name their pseudonym, and their location and
gender are published as the small-cell rule publishes them (facilitator.exports.cells); the grouping's id
is pseudonymised like every id. A group's call (a link or a room name from the script or the driver) is
text, scrubbed like every text cell of an anonymised export.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from typing import Any

from facilitator.exports.cells import SUPPRESSED
from facilitator.exports.record import Record
from facilitator.exports.snapshot import Snapshot
from facilitator.exports.tables import DATE, DATETIME, INT, Column, Table
from facilitator.groups.groupings import Groupings
from facilitator.record import events as ev

KINDS = (ev.GROUPS_MADE, ev.GROUPS_CHANGED, ev.GROUPS_ENDED)
COLUMNS = (
    Column("day", DATE),
    Column("exercise"),
    Column("step"),
    Column("grouping"),
    Column("made_at_utc", DATETIME),
    Column("group", INT),
    Column("call", untrusted=True),
    Column("participant_id"),
    Column("name", untrusted=True),
    Column("location"),
    Column("gender", untrusted=True),
    Column("joined"),  # made (with the groups), late (added to the smallest group) or moved (by the driver)
    Column("ended_at_utc", DATETIME),  # blank while they meet, or if the driver never ended them
)


def groups(snapshot: Snapshot, record: Record) -> Table:
    """One row per person per group of every grouping, in the order the groupings were made; the members of a
    group in roster order (anonymised: the pseudonyms' order)."""
    groupings = Groupings.from_events(snapshot.events(KINDS))
    names = record.pseudonyms
    roster = record.attendance.roster.by_id
    order = {person.id: n for n, person in enumerate(names.people())}

    def rows() -> Iterator[tuple[Any, ...]]:
        for grouping in groupings.groupings:
            for group in grouping.groups:
                for pid in sorted(group.members, key=lambda p: (order.get(p, len(order)), p)):
                    person = roster.get(pid)
                    if person is not None:
                        location = record.published_location(person.location) or ""
                        gender = record.cells.gender(person)
                    else:  # in a group on the record, not on the roster (a hand-edited log): say nothing of them
                        location = SUPPRESSED if names.enabled else ""
                        gender = SUPPRESSED if names.enabled else ""
                    yield (
                        grouping.day,
                        grouping.exercise or "",
                        grouping.step or "",
                        names.id(grouping.id),
                        grouping.made_at.astimezone(UTC),
                        group.number,
                        group.call or "",
                        names.id(pid),
                        names.name(pid),  # anonymised, someone not on the roster is "withheld"
                        location,
                        gender,
                        grouping.joined.get(pid, ""),
                        grouping.ended_at.astimezone(UTC) if grouping.ended_at else None,
                    )

    return Table("groups", "Breakout groups", COLUMNS, rows())


def anonymised_made(payload: dict[str, Any], record: Record) -> dict[str, Any]:
    """A ``groups.made`` as an anonymised event log writes it (facilitator.exports.event_log.RULES): the
    grouping's and every member's id as this export's pseudonymous ids; the rest as it is (a call is scrubbed
    there like every string)."""
    names = record.pseudonyms
    payload["grouping"] = names.id(str(payload.get("grouping", "")))
    payload["groups"] = [
        {**group, "members": [names.id(str(member)) for member in group.get("members") or ()]}
        for group in payload.get("groups") or ()
        if isinstance(group, dict)
    ]
    return payload
