"""The roster: who is expected, where. Folded from participant events; e-mail is each person's key.

Names, e-mails and codes come from organisers' spreadsheets and from walk-ins typed at the door: they are
data about real people, so nothing here logs them, and screens show them through ``printable``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from facilitator.attendance.gender import normalise_gender
from facilitator.record import events as ev
from facilitator.record.events import Event

FIELDS = ("name", "email", "location", "role", "organisation", "gender", "code")
OPTIONAL_FIELDS = ("role", "organisation", "gender", "code")


@dataclass(frozen=True)
class Participant:
    """Someone on the roster, expected at one of the workshop's locations: imported from the organisers'
    list (``source`` "roster") or added at the door ("walk-in"); ``code`` is their personal code."""

    id: str
    name: str
    email: str
    location: str
    role: str | None = None
    organisation: str | None = None
    gender: str | None = None
    code: str | None = None
    source: str = "roster"

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}


_COLUMNS = tuple(f.name for f in fields(Participant))  # a participant's row in :meth:`Roster.dump`, in order


def _gender(value: Any) -> Any:
    """A gender from an event, normalised; anything but text (a hand-edited file's) left as it is."""
    return normalise_gender(value) if isinstance(value, str) else value


class Roster:
    """Participants by id and by e-mail, kept current by :meth:`apply`.

    It is updated in place (a roster of thousands folded one event at a time must not copy itself on
    every event) and is a pure function of the events it was given.

    Gender is normalised here, on reading (:func:`~facilitator.attendance.gender.normalise_gender`): run files
    written before imports normalised it hold "F" and "Female" as typed, and every screen and export
    reads the roster, so each sees one category per gender whatever the file holds.
    """

    def __init__(self) -> None:
        self.by_id: dict[str, Participant] = {}
        self.by_email: dict[str, Participant] = {}
        self.last_seq = 0

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> Roster:
        roster = cls()
        for event in events:
            roster.apply(event)
        return roster

    def apply(self, event: Event) -> None:
        p = event.payload
        if event.kind == ev.PARTICIPANT_ADDED and p["participant"] not in self.by_id:
            optional = {name: p.get(name) for name in OPTIONAL_FIELDS}
            optional["gender"] = _gender(optional["gender"])
            person = Participant(
                id=p["participant"],
                name=p["name"],
                email=p["email"],
                location=p["location"],
                source=p.get("source", "roster"),
                **optional,
            )
            self._put(person)
        elif event.kind == ev.PARTICIPANT_UPDATED and p["participant"] in self.by_id:
            old = self.by_id[p["participant"]]
            changes = {k: v for k, v in p["changes"].items() if k in FIELDS}
            if "gender" in changes:
                changes["gender"] = _gender(changes["gender"])
            self.by_email.pop(old.email, None)
            self._put(replace(old, **changes))
        self.last_seq = max(self.last_seq, event.seq)

    def dump(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        """The roster for :meth:`load` (facilitator.live.checkpoint): a JSON document, and no binary parts.

        Nested in the attendance fold's (facilitator.attendance.intervals.Attendance.dump): a change of its
        layout bumps that module's ``FORMAT``.

        ``by_email`` is kept as it is, not worked out again: two people who share an e-mail leave it pointing
        at the one put last, and an update of either takes the entry away.
        """
        people = list(self.by_id.values())
        row_of = {id(person): n for n, person in enumerate(people)}
        doc = {
            "last_seq": self.last_seq,
            "people": [[getattr(person, name) for name in _COLUMNS] for person in people],
            "by_email": [row_of[id(person)] for person in self.by_email.values()],  # always someone in by_id
        }
        return doc, {}

    @classmethod
    def load(cls, doc: Mapping[str, Any], parts: Mapping[str, bytes]) -> Roster:
        """The roster :meth:`dump` gave ``doc`` for."""
        roster = cls()
        people = [Participant(*row) for row in doc["people"]]
        roster.by_id = {person.id: person for person in people}
        roster.by_email = {people[n].email: people[n] for n in doc["by_email"]}
        roster.last_seq = doc["last_seq"]
        return roster

    def _put(self, person: Participant) -> None:
        self.by_id[person.id] = person
        self.by_email[person.email] = person

    def at(self, location: str) -> list[Participant]:
        return [p for p in self.by_id.values() if p.location == location]

    def counts(self) -> Mapping[str, int]:
        counts: dict[str, int] = {}
        for person in self.by_id.values():
            counts[person.location] = counts.get(person.location, 0) + 1
        return counts
