"""The answers on the record, folded: each respondent's latest answer to each question.

Kept beside the session state as the attendance fold is (facilitator.attendance.intervals): answers may
number thousands, and the state is copied on every event. A respondent is a participant's id for a named
question, a ballot id for an anonymous one; a later answer of the same respondent replaces the earlier.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from facilitator.record import events as ev
from facilitator.record.clock import from_text, to_text
from facilitator.record.events import Event

Dumped = tuple[dict[str, Any], dict[str, bytes]]  # a checkpoint's share (facilitator.live.checkpoint)


@dataclass(frozen=True, slots=True)
class GivenAnswer:
    """One respondent's latest answer to a question: the options chosen, a scale's value or a comment,
    and whether the comment may be quoted."""

    respondent: str
    participant: str | None
    location: str | None
    choices: tuple[str, ...]
    value: int | None
    text: str | None
    consent: bool
    at: datetime


class Ballots:
    """Every question's answers, by key and respondent."""

    def __init__(self) -> None:
        self._answers: dict[str, dict[str, GivenAnswer]] = {}
        self.version = 0  # counts the answers folded in: a reader that kept it knows whether any came since
        self._changes: dict[str, int] = {}

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> Ballots:
        ballots = cls()
        for event in events:
            ballots.apply(event)
        return ballots

    def apply(self, event: Event) -> None:
        if event.kind != ev.ANSWER_GIVEN:
            return
        p = event.payload
        self._answers.setdefault(p["question"], {})[p["respondent"]] = GivenAnswer(
            respondent=p["respondent"],
            participant=p.get("participant"),
            location=p.get("location"),
            choices=tuple(p.get("choices") or ()),
            value=p.get("value"),
            text=p.get("text"),
            consent=bool(p.get("consent")),
            at=event.at,
        )
        self.version += 1
        self._changes[p["question"]] = self._changes.get(p["question"], 0) + 1

    def dump(self) -> Dumped:
        """Everything folded, as JSON, for a checkpoint (facilitator.live.checkpoint); :meth:`load` reads it."""
        answers = {
            key: [
                [a.respondent, a.participant, a.location, list(a.choices), a.value, a.text, a.consent, to_text(a.at)]
                for a in given.values()
            ]
            for key, given in self._answers.items()
        }
        return {"version": self.version, "changes": dict(self._changes), "answers": answers}, {}

    @classmethod
    def load(cls, doc: Mapping[str, Any], parts: Mapping[str, bytes]) -> Ballots:
        ballots = cls()
        for key, given in doc["answers"].items():
            ballots._answers[key] = {
                row[0]: GivenAnswer(row[0], row[1], row[2], tuple(row[3]), row[4], row[5], row[6], from_text(row[7]))
                for row in given
            }
        ballots.version = doc["version"]
        ballots._changes = dict(doc["changes"])
        return ballots

    def changes(self, key: str) -> int:
        """How many answers to the question ``key`` were folded in (replaced ones too): a reader that kept it
        knows whether that question's counts may have changed since."""
        return self._changes.get(key, 0)

    def answers(self, key: str) -> Mapping[str, GivenAnswer]:
        """The latest answer of each respondent to the question ``key``."""
        return self._answers.get(key, {})

    def tally(self, key: str, *, location: str | None = None) -> Counter[str]:
        """How many answers chose each option (or gave each scale value, as text), at ``location`` or all."""
        counts: Counter[str] = Counter()
        for answer in self.answers(key).values():
            if location is not None and answer.location != location:
                continue
            counts.update(answer.choices)
            if answer.value is not None:
                counts[str(answer.value)] += 1
        return counts

    def count(self, key: str, *, location: str | None = None) -> int:
        """How many people answered the question ``key`` (at ``location``, or all)."""
        return sum(1 for a in self.answers(key).values() if location is None or a.location == location)
