"""Requests to be added to the roster, made from the participant page by people it does not know.

Folded from ``participant.requested`` and ``participant.request_decided`` events; a facilitator approves
(which adds the person as a walk-in) or declines each one. The names and e-mails are data about real
people: nothing here logs them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from facilitator.record import events as ev
from facilitator.record.events import Event

APPROVED = "approved"
DECLINED = "declined"
DECISIONS = (APPROVED, DECLINED)


@dataclass(frozen=True)
class JoinRequest:
    id: str
    name: str
    email: str
    location: str
    at: datetime
    decision: str | None = None  # None while pending
    decided_by: str | None = None
    participant: str | None = None  # the participant added on approval

    @property
    def pending(self) -> bool:
        return self.decision is None


class JoinRequests:
    """Every request by id, in the order they were made; updated in place like the roster."""

    def __init__(self) -> None:
        self.by_id: dict[str, JoinRequest] = {}

    def apply(self, event: Event) -> None:
        p = event.payload
        if event.kind == ev.PARTICIPANT_REQUESTED and p["request"] not in self.by_id:
            self.by_id[p["request"]] = JoinRequest(p["request"], p["name"], p["email"], p["location"], event.at)
        elif event.kind == ev.PARTICIPANT_REQUEST_DECIDED:
            known = self.by_id.get(p["request"])
            if known is not None and known.pending and p.get("decision") in DECISIONS:
                self.by_id[known.id] = replace(
                    known, decision=p["decision"], decided_by=event.actor, participant=p.get("participant")
                )

    def pending(self, location: str | None = None) -> list[JoinRequest]:
        """Requests waiting for a decision, oldest first; only those at ``location`` when given."""
        return [r for r in self.by_id.values() if r.pending and (location is None or r.location == location)]
