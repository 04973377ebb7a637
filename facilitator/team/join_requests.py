"""Requests to be added to the roster, made from the participant page by people it does not know.

Folded from ``participant.requested`` and ``participant.request_decided`` events; a facilitator approves
(which adds the person as a walk-in) or declines each one. The names and e-mails are data about real
people: nothing here logs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from facilitator.record import events as ev
from facilitator.record.events import Event

APPROVED = "approved"
DECLINED = "declined"
DECISIONS = (APPROVED, DECLINED)


@dataclass(frozen=True)
class JoinRequest:
    """Someone's request, made from the participant page, to be added to the roster at a location; and
    what a facilitator decided."""

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


_COLUMNS = tuple(f.name for f in fields(JoinRequest))  # a request's row in :meth:`JoinRequests.dump`, in order


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

    def dump(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        """The requests for :meth:`load` (facilitator.live.checkpoint): a JSON document, and no binary parts.

        Nested in the attendance fold's (facilitator.attendance.intervals.Attendance.dump): a change of its
        layout bumps that module's ``FORMAT``.
        """
        rows = []
        for request in self.by_id.values():
            row = [getattr(request, name) for name in _COLUMNS]
            row[4] = request.at.isoformat(timespec="microseconds")  # with its offset: it comes back as it was
            rows.append(row)
        return {"requests": rows}, {}

    @classmethod
    def load(cls, doc: Mapping[str, Any], parts: Mapping[str, bytes]) -> JoinRequests:
        """The requests :meth:`dump` gave ``doc`` for."""
        requests = cls()
        for key, name, email, location, at, decision, decided_by, participant in doc["requests"]:
            when = datetime.fromisoformat(at)
            requests.by_id[key] = JoinRequest(key, name, email, location, when, decision, decided_by, participant)
        return requests

    def pending(self, location: str | None = None) -> list[JoinRequest]:
        """Requests waiting for a decision, oldest first; only those at ``location`` when given."""
        return [r for r in self.by_id.values() if r.pending and (location is None or r.location == location)]
