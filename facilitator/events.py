"""The event record: what happened, by whom, when. One row per action, never changed afterwards."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from facilitator.clock import from_text

RUN_CREATED = "run.created"
DAY_OPENED = "day.opened"
# A day's end on the record (facilitator.days): {"day": "YYYY-MM-DD", "at": UTC text, "inferred": bool}. The
# driver closes a day at the moment they do; a day left open is closed by whichever process notices first, at
# the end its pace forecast gave at the team's last action on it ("inferred"), so "at" may be earlier than the
# event. Entering a step of a closed day later reopens it (the driver confirms that first).
DAY_CLOSED = "day.closed"
STEP_ENTERED = "step.entered"
TIMER_PAUSED = "timer.paused"
TIMER_RESUMED = "timer.resumed"
TIMER_ADJUSTED = "timer.adjusted"
REFLECTION_LOGGED = "reflection.logged"
REFLECTION_EDITED = "reflection.edited"
REFLECTION_RETRACTED = "reflection.retracted"
# A new version of the script, reloaded from its files during the run: {"programme": ..., "digest": ...}.
# The run follows the latest one; see facilitator.state for what happens to the current step.
PROGRAMME_LOADED = "programme.loaded"
# The roster (facilitator.participants): {"participant": id, "name", "email", "location", "role",
# "organisation", "gender", "code", "source": "roster" | "walk-in"}; an update carries
# {"participant": id, "changes": {field: new value}}.
PARTICIPANT_ADDED = "participant.added"
PARTICIPANT_UPDATED = "participant.updated"
# Attendance (facilitator.attendance). A check-in or check-out says when it happened, which may be earlier than
# the event itself (a video-call report imported afterwards): {"participant": id, "at": UTC text as
# facilitator.clock.to_text writes it, "source": "facilitator" | "qr" | "zoom" | "teams"}, and a check-in
# may name the "location" the person is at. A mark is a facilitator's verdict for one day, overriding what
# the intervals say: {"participant": id, "day": "YYYY-MM-DD", "status": "late" | "excused" | "absent" | null};
# null clears it.
ATTENDANCE_CHECKED_IN = "attendance.checked_in"
ATTENDANCE_CHECKED_OUT = "attendance.checked_out"
ATTENDANCE_MARKED = "attendance.marked"
# A location's video link: {"location": id, "status": "not-joined" | "connected" | "dropped"}; its time is the
# event's, so every outage is on the record.
LOCATION_LINK = "location.link"
# The facilitation team (facilitator.roles, facilitator.session). A process that opens the run says who it is:
# {"role": "lead" | "co" | "observer", "location": id | null}, the actor being the person. The first lead to
# join becomes the driver, the one person who moves steps and the timer; control then changes hands only by
# these events: a request {} from a co-facilitator, the driver's handover {"to": name} (accepting a request is
# a handover to the one who asked), the driver's refusal {"to": requester}, and a takeover {"from": driver or
# null} by a co-facilitator after the driver's process has gone.
FACILITATOR_JOINED = "facilitator.joined"
CONTROL_REQUESTED = "control.requested"
CONTROL_HANDED = "control.handed"
CONTROL_DECLINED = "control.declined"
CONTROL_TAKEN = "control.taken"
# A short note from one facilitator to the driver ("five more minutes"): {"note": id, "text", "to": driver}.
NOTE_SENT = "note.sent"
# A reflection hidden from the feed, the room view and the quotes (or shown again): {"reflection": id,
# "hidden": bool}. Unlike a retraction it is a moderator's act, and it is reversible.
REFLECTION_HIDDEN = "reflection.hidden"
# Someone not on the roster asks, from the participant page, to be added: {"request": id, "name", "email",
# "location"}; a facilitator decides: {"request": id, "decision": "approved" | "declined", "participant":
# id of the participant.added written with an approval, or null}.
PARTICIPANT_REQUESTED = "participant.requested"
PARTICIPANT_REQUEST_DECIDED = "participant.request_decided"


@dataclass(frozen=True)
class Event:
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
