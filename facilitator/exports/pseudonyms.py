"""``--anonymise``: pseudonyms drawn afresh for each export, and free text cleaned of everyone's names.

Anonymisation is a property of the whole export, not of some fields: an anonymised export shares no
identifier with the identified one, nor with another anonymised export of the same run.

- **Ids.** Every id (participants, reflections, join requests, notes, events) becomes a keyed hash (BLAKE2b
  as a MAC, 24 hex digits) of the id under a random key drawn for this export and never stored
  (:meth:`Pseudonyms.id`): the same id reads the same in every file of the export, so its tables and its
  event log still join, but nothing maps it back to the run, and the next export draws another key.
- **Numbers.** Pseudonyms ("Participant 017", ``participant-017@example.invalid``) are numbered in an order
  shuffled for each export, not in roster order, and the rows about people come in that order.
- **Free text.** Every name and e-mail a person ever had, and their names' words on their own, are scrubbed
  from every text (:mod:`facilitator.exports.scrub`).
- **Small cells** are pooled (:mod:`facilitator.exports.cells`).

With ``enabled`` false every method gives back what it was given: the identified export.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field

from facilitator.attendance.roster import Participant, Roster
from facilitator.exports.scrub import Scrubber
from facilitator.exports.snapshot import Snapshot
from facilitator.record import events as ev

WITHHELD = "withheld"
ID_DIGITS = 24


@dataclass
class History:
    """Every name, e-mail and code people ever had in the run, as the scrubber needs them."""

    names: dict[str, list[str]] = field(default_factory=dict)  # by participant id
    emails: dict[str, list[str]] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)
    other_names: set[str] = field(default_factory=set)  # join requests, names signed under reflections
    other_emails: set[str] = field(default_factory=set)

    def add(self, kind: str, payload: dict[str, object]) -> None:
        if kind in (ev.PARTICIPANT_ADDED, ev.PARTICIPANT_UPDATED):
            pid = str(payload.get("participant", ""))
            fields = payload if kind == ev.PARTICIPANT_ADDED else payload.get("changes")
            if not isinstance(fields, dict):
                return
            for key, found in (("name", self.names), ("email", self.emails), ("code", self.codes)):
                value = fields.get(key)
                if isinstance(value, str) and value not in found.setdefault(pid, []):
                    found[pid].append(value)
        elif kind == ev.PARTICIPANT_REQUESTED:
            if isinstance(payload.get("name"), str):
                self.other_names.add(str(payload["name"]))
            if isinstance(payload.get("email"), str):
                self.other_emails.add(str(payload["email"]))

    def signed(self, name: object) -> None:
        if isinstance(name, str) and name.strip():
            self.other_names.add(name)


HISTORY_KINDS = (ev.PARTICIPANT_ADDED, ev.PARTICIPANT_UPDATED, ev.PARTICIPANT_REQUESTED)
SIGNED_KINDS = (ev.REFLECTION_LOGGED, ev.REFLECTION_EDITED)
HISTORY_SQL = "SELECT kind, payload FROM events WHERE kind IN (?, ?, ?) ORDER BY seq"
SIGNED_SQL = (
    "SELECT DISTINCT json_extract(payload, '$.participant') FROM events"
    " WHERE kind IN (?, ?) AND json_extract(payload, '$.participant') IS NOT NULL"
)


def read_history(snapshot: Snapshot) -> History:
    """The history in ``snapshot``: participant events, join requests, names signed under reflections."""
    history = History()
    for kind, payload in snapshot.rows(HISTORY_SQL, HISTORY_KINDS):
        history.add(kind, json.loads(payload))
    for (name,) in snapshot.rows(SIGNED_SQL, SIGNED_KINDS):
        history.signed(name)
    return history


class Pseudonyms:
    def __init__(self, roster: Roster, *, enabled: bool, history: History | None = None) -> None:
        self.enabled = enabled
        self.roster = roster
        count = len(roster.by_id)
        width = max(3, len(str(count)))
        numbers = list(range(1, count + 1))
        if enabled:
            secrets.SystemRandom().shuffle(numbers)  # not roster order: "Participant 050" is not line 51
        self._numbers = {pid: f"{n:0{width}d}" for n, pid in zip(numbers, roster.by_id, strict=True)}
        self._key = secrets.token_bytes(32)  # this export's, never written anywhere
        self._scrubber = Scrubber()
        if enabled:
            history = history or History()
            for pid, person in roster.by_id.items():
                self._scrubber.person(
                    [person.name, *history.names.get(pid, [])],
                    [person.email, *history.emails.get(pid, [])],
                    [c for c in [person.code, *history.codes.get(pid, [])] if c],
                    name=self.name(pid),
                    email=self.email(pid),
                )
            for pid in set(history.names) - set(roster.by_id):  # added, then gone from a hand-edited log
                self._scrubber.stranger(history.names[pid], history.emails.get(pid, []))
            self._scrubber.stranger(sorted(history.other_names), sorted(history.other_emails))

    def people(self) -> list[Participant]:
        """Everyone on the roster, in the order rows about people come: roster order, or anonymised, the
        pseudonyms' (shuffled) order."""
        people = list(self.roster.by_id.values())
        return sorted(people, key=lambda p: self._numbers[p.id]) if self.enabled else people

    def id(self, value: str) -> str:
        """An id as this export shows it: the same, or its pseudonymous id."""
        if not self.enabled or not value:
            return value
        return hashlib.blake2b(value.encode("utf-8"), key=self._key, digest_size=ID_DIGITS // 2).hexdigest()

    def name(self, participant_id: str) -> str:
        person = self.roster.by_id.get(participant_id)
        if not self.enabled:
            return person.name if person is not None else ""
        number = self._numbers.get(participant_id)
        return f"Participant {number}" if number else WITHHELD

    def email(self, participant_id: str) -> str:
        person = self.roster.by_id.get(participant_id)
        if not self.enabled:
            return person.email if person is not None else ""
        number = self._numbers.get(participant_id)
        return f"participant-{number}@example.invalid" if number else WITHHELD

    def scrub(self, text: str) -> str:
        """``text`` cleaned of every name, e-mail and code people ever had (unchanged when not anonymising).

        Participants write about each other ("as Amina said..."): dropping the author is not enough.
        """
        return self._scrubber(text) if self.enabled and text else text
