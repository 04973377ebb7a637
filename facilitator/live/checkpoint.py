"""A session's folds (the state, attendance, answers, groups, turns) to and from the run's checkpoint.

Opening a run loads the checkpoint (facilitator.record.checkpoints) and folds only the events after it, so a
five-day run opens about as fast as a new one (issue 14). Each fold writes its own share (``dump``) and reads it
back (``load``); this module puts the shares together, with the session state's, and decides whether a
checkpoint may be used: only one folded by this very code. The fingerprint is a hash of the source of every
module that folds, so a change to any of them (a fix in how check-ins count, a new field) makes older
checkpoints stale, without anyone having to remember to bump a number.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from facilitator.attendance.intervals import Attendance
from facilitator.attendance.roster import Roster
from facilitator.groups.groupings import Groupings
from facilitator.live import note_log, reflection_book, state
from facilitator.live.note_log import NoteLog
from facilitator.live.reflection_book import ReflectionBook
from facilitator.live.state import (
    DayClose,
    Facilitator,
    LastAction,
    QuestionStatus,
    RemovedStep,
    SessionState,
    Timer,
    Visit,
    fold,
)
from facilitator.questions.ballots import Ballots
from facilitator.record import checkpoints
from facilitator.record import events as ev
from facilitator.record.checkpoints import Checkpoint, Share
from facilitator.record.clock import from_text, to_text
from facilitator.record.events import Event
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.speaking.turns import Speaking
from facilitator.team.join_requests import JoinRequests

EVERY = 50_000  # events folded since the last checkpoint before a process keeps a new one
_MICRO = timedelta(microseconds=1)


@dataclass
class Folds:
    """What a session folds from the log, as of ``state.last_seq``: the state and, beside it (they may number
    hundreds of thousands, and the state is copied on every event), attendance, answers, groups and turns."""

    state: SessionState = field(default_factory=SessionState)
    attendance: Attendance = field(default_factory=Attendance)
    ballots: Ballots = field(default_factory=Ballots)
    groups: Groupings = field(default_factory=Groupings)
    speaking: Speaking = field(default_factory=Speaking)

    def fold_in(self, events: list[Event]) -> None:
        """Fold ``events`` (the next ones of the log, oldest first) into every part."""
        self.state = fold(events, self.state)
        for event in events:
            self.attendance.apply(event)
            self.ballots.apply(event)
            self.groups.apply(event)
            self.speaking.apply(event)


_FOLDS: dict[str, type] = {"attendance": Attendance, "ballots": Ballots, "groups": Groupings, "speaking": Speaking}


@functools.cache
def fingerprint() -> str:
    """A hash of the code that folds: of this module and of every module a fold of the session lives in."""
    digest = hashlib.sha256()
    folds = [sys.modules[kind.__module__] for kind in (*_FOLDS.values(), Roster, JoinRequests)]
    modules = [sys.modules[__name__], state, reflection_book, note_log, *folds]
    for module in modules:
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()[:32]


def restore(store: Store) -> Folds | None:
    """The folds as of the run's checkpoint; None when there is none this code may use."""

    def read(conn: sqlite3.Connection) -> Folds | None:
        with checkpoints.reading(conn, fingerprint()) as checkpoint:
            if checkpoint is None:
                return None
            try:
                return _folds(conn, checkpoint)
            except (ValueError, KeyError, TypeError, IndexError):
                return None  # damaged, or not what this code writes after all: as good as missing

    return store.read(read)


def _folds(conn: sqlite3.Connection, checkpoint: Checkpoint) -> Folds:
    doc, parts = checkpoint.doc, checkpoint.parts
    programme_seq = doc["state"]["programme_seq"]
    programme = None
    if programme_seq:
        (payload,) = conn.execute("SELECT payload FROM events WHERE seq = ?", (programme_seq,)).fetchone()
        programme = Programme.from_stored(json.loads(payload)["programme"])
    book = ReflectionBook.load(doc["reflections"], Share(parts, "reflections"))
    notes = NoteLog.load(doc["notes"], Share(parts, "notes"))
    return Folds(
        _state_from(doc["state"], programme, book, notes),
        Attendance.load(doc["attendance"], Share(parts, "attendance")),
        Ballots.load(doc["ballots"], Share(parts, "ballots")),
        Groupings.load(doc["groups"], Share(parts, "groups")),
        Speaking.load(doc["speaking"], Share(parts, "speaking")),
    )


def take(store: Store, folds: Folds) -> Checkpoint:
    """A checkpoint of ``folds`` (at ``folds.state.last_seq``, an event of the run's log)."""
    seq = folds.state.last_seq

    def find(conn: Any) -> tuple[str, int]:
        (event_id,) = conn.execute("SELECT id FROM events WHERE seq = ?", (seq,)).fetchone()
        row = conn.execute(
            "SELECT MAX(seq) FROM events WHERE kind IN (?, ?) AND seq <= ?",
            (ev.RUN_CREATED, ev.PROGRAMME_LOADED, seq),
        ).fetchone()
        return event_id, row[0] or 0

    event_id, programme_seq = store.read(find)
    doc: dict[str, Any] = {"state": _state_doc(folds.state, programme_seq)}
    parts: dict[str, bytes] = {}
    shares = {name: getattr(folds, name).dump() for name in _FOLDS}
    shares["reflections"] = folds.state.reflections.dump()
    shares["notes"] = folds.state.notes.dump()
    for name, (share_doc, share_parts) in shares.items():
        doc[name] = share_doc
        parts.update({f"{name}/{key}": value for key, value in share_parts.items()})
    return Checkpoint(seq, event_id, fingerprint(), doc, parts)


def keep(store: Store, folds: Folds) -> bool:
    """Write a checkpoint of ``folds`` unless a later one by this code is stored; True when written."""
    checkpoint = take(store, folds)
    return store.write(lambda conn: checkpoints.write(conn, checkpoint, store.clock))


# -- the session state -----------------------------------------------------------------------------------


def _time(moment: datetime | None) -> str | None:
    return to_text(moment) if moment is not None else None


def _moment(text: str | None) -> datetime | None:
    return from_text(text) if text is not None else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text is not None else None


def _timer_doc(timer: Timer | None) -> list[Any] | None:
    if timer is None:
        return None
    return [
        to_text(timer.entered_at),
        timer.planned // _MICRO,
        timer.adjustment // _MICRO,
        timer.paused_total // _MICRO,
        _time(timer.paused_since),
    ]


def _timer(row: list[Any] | None) -> Timer | None:
    if row is None:
        return None
    entered, planned, adjustment, paused_total, paused_since = row
    return Timer(
        from_text(entered), planned * _MICRO, adjustment * _MICRO, paused_total * _MICRO, _moment(paused_since)
    )


def _state_doc(s: SessionState, programme_seq: int) -> dict[str, Any]:
    removed = s.removed
    return {
        "programme_seq": programme_seq,
        "source": s.source,
        "digest": s.digest,
        "removed": (
            [removed.exercise, removed.step, removed.title, list(removed.resume_at) if removed.resume_at else None]
            if removed is not None
            else None
        ),
        "day": s.day.isoformat() if s.day else None,
        "exercise": s.exercise,
        "step": s.step,
        "timer": _timer_doc(s.timer),
        "visits": [[v.day.isoformat(), v.exercise, v.step, to_text(v.entered_at), _time(v.left_at)] for v in s.visits],
        "opened": sorted(d.isoformat() for d in s.opened),
        "last_actions": [
            [d.isoformat(), to_text(a.at), a.exercise, a.step, _timer_doc(a.timer)] for d, a in s.last_actions.items()
        ],
        "closed": [[d.isoformat(), to_text(c.at), c.inferred, c.by] for d, c in s.closed.items()],
        "driver": s.driver,
        "facilitators": [
            [key, f.name, f.role, f.location, to_text(f.joined_at), f.address] for key, f in s.facilitators.items()
        ],
        "control_requests": list(s.control_requests),
        "questions": [[key, to_text(q.opened_at), _time(q.closed_at), q.revealed] for key, q in s.questions.items()],
        "last_seq": s.last_seq,
    }


def _state_from(
    doc: Mapping[str, Any], programme: Programme | None, book: ReflectionBook, notes: NoteLog
) -> SessionState:
    removed = doc["removed"]
    return SessionState(
        programme=programme,
        source=doc["source"],
        digest=doc["digest"],
        removed=(
            RemovedStep(removed[0], removed[1], removed[2], (removed[3][0], removed[3][1]) if removed[3] else None)
            if removed is not None
            else None
        ),
        day=_day(doc["day"]),
        exercise=doc["exercise"],
        step=doc["step"],
        timer=_timer(doc["timer"]),
        visits=tuple(
            Visit(date.fromisoformat(d), exercise, step, from_text(entered), _moment(left))
            for d, exercise, step, entered, left in doc["visits"]
        ),
        opened=frozenset(date.fromisoformat(d) for d in doc["opened"]),
        last_actions=MappingProxyType(
            {
                date.fromisoformat(d): LastAction(from_text(at), exercise, step, _timer(timer))  # type: ignore[arg-type]
                for d, at, exercise, step, timer in doc["last_actions"]
            }
        ),
        closed=MappingProxyType(
            {date.fromisoformat(d): DayClose(from_text(at), inferred, by) for d, at, inferred, by in doc["closed"]}
        ),
        reflections=book,
        driver=doc["driver"],
        facilitators=MappingProxyType(
            {
                key: Facilitator(name, role, location, from_text(joined), address)
                for key, name, role, location, joined, address in doc["facilitators"]
            }
        ),
        control_requests=tuple(doc["control_requests"]),
        notes=notes,
        questions=MappingProxyType(
            {
                key: QuestionStatus(from_text(opened), _moment(closed), revealed)
                for key, opened, closed, revealed in doc["questions"]
            }
        ),
        last_seq=doc["last_seq"],
    )
