"""The event record: what happened, by whom, when. One row per action, never changed afterwards.

The kinds and the events as read back. What each kind's payload may hold is the catalogue's
(facilitator.record.catalogue, pydantic models), checked when an event is written: reading and folding a
run never builds a model, so an app's first frame does not wait for pydantic to load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from facilitator.record.clock import from_text

RUN_CREATED = "run.created"
PROGRAMME_LOADED = "programme.loaded"
DAY_OPENED = "day.opened"
DAY_CLOSED = "day.closed"
STEP_ENTERED = "step.entered"
TIMER_PAUSED = "timer.paused"
TIMER_RESUMED = "timer.resumed"
TIMER_ADJUSTED = "timer.adjusted"
REFLECTION_LOGGED = "reflection.logged"
REFLECTION_EDITED = "reflection.edited"
REFLECTION_RETRACTED = "reflection.retracted"
REFLECTION_HIDDEN = "reflection.hidden"
PARTICIPANT_ADDED = "participant.added"
PARTICIPANT_UPDATED = "participant.updated"
PARTICIPANT_REQUESTED = "participant.requested"
PARTICIPANT_REQUEST_DECIDED = "participant.request_decided"
ATTENDANCE_CHECKED_IN = "attendance.checked_in"
ATTENDANCE_CHECKED_OUT = "attendance.checked_out"
ATTENDANCE_MARKED = "attendance.marked"
LOCATION_LINK = "location.link"
FACILITATOR_JOINED = "facilitator.joined"
CONTROL_REQUESTED = "control.requested"
CONTROL_HANDED = "control.handed"
CONTROL_DECLINED = "control.declined"
CONTROL_TAKEN = "control.taken"
NOTE_SENT = "note.sent"
QUESTION_OPENED = "question.opened"
QUESTION_CLOSED = "question.closed"
QUESTION_REVEALED = "question.revealed"
ANSWER_GIVEN = "answer.given"
GROUPS_MADE = "groups.made"
GROUPS_CHANGED = "groups.changed"
GROUPS_ENDED = "groups.ended"
SPEAKING_STARTED = "speaking.started"
SPEAKING_STOPPED = "speaking.stopped"
SPEAKING_SHOWN = "speaking.shown"


@dataclass(frozen=True)
class Event:
    """One event as read back from the run's log: its place in it (``seq``), what happened, by whom and when."""

    seq: int
    id: str
    at: datetime
    actor: str
    kind: str
    payload: dict[str, Any]

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Event:
        seq, event_id, at, actor, kind, payload = row
        return cls(
            seq=seq,
            id=event_id,
            at=from_text(at),
            actor=actor,
            kind=kind,
            payload=json.loads(payload),
        )


EVENT_COLUMNS = "seq, id, at, actor, kind, payload"
