"""``--anonymise``: stable pseudonyms for participants, and free text cleaned of their names and e-mails.

Pseudonyms follow roster order ("Participant 001" is the first person added to the run), so the same
person has the same pseudonym in every file of an export and in every later export of the same run,
and nothing in them can be traced back without the run database.
"""

from __future__ import annotations

import re

from facilitator.attendance.roster import Roster

WITHHELD = "withheld"


class Pseudonyms:
    def __init__(self, roster: Roster, *, enabled: bool) -> None:
        self.enabled = enabled
        self.roster = roster
        width = max(3, len(str(len(roster.by_id))))
        self._numbers = {pid: f"{n:0{width}d}" for n, pid in enumerate(roster.by_id, start=1)}
        self._pattern: re.Pattern[str] | None = None
        self._replacements: dict[str, str] = {}

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
        """``text`` with every roster name and e-mail replaced by its pseudonym (unchanged when not anonymising).

        Participants write about each other ("as Amina said..."): dropping the author is not enough.
        """
        if not self.enabled or not text:
            return text
        if self._pattern is None:
            for pid, person in self.roster.by_id.items():
                self._replacements[person.email.casefold()] = self.email(pid)
                self._replacements[person.name.casefold()] = self.name(pid)
            words = sorted((w for w in self._replacements if w), key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(w) for w in words) or "(?!)", re.IGNORECASE)
        return self._pattern.sub(lambda m: self._replacements.get(m.group().casefold(), WITHHELD), text)
