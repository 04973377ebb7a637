"""Keep the derived tables in step with the events: one function per kind, run inside the write's transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from facilitator.record import events as ev
from facilitator.record.clock import to_text
from facilitator.record.events import Event
from facilitator.record.schema_steps import DERIVED_TABLES

Projector = Callable[[sqlite3.Connection, Event], None]


def _close_open_visit(conn: sqlite3.Connection, event: Event) -> None:
    conn.execute("UPDATE step_visits SET left_at = ? WHERE left_at IS NULL", (to_text(event.at),))


def _day_closed(conn: sqlite3.Connection, event: Event) -> None:
    # As the fold does: no visit of the day runs past its end (an inferred end may be earlier than the event).
    p = event.payload
    at = p.get("at") or to_text(event.at)
    conn.execute(
        "UPDATE step_visits SET left_at = MAX(entered_at, ?) WHERE day = ? AND (left_at IS NULL OR left_at > ?)",
        (at, p["day"], at),
    )


def _step_entered(conn: sqlite3.Connection, event: Event) -> None:
    p = event.payload
    at = to_text(event.at)
    _close_open_visit(conn, event)
    conn.execute(
        "INSERT INTO step_visits (seq, day, exercise, step, entered_at) VALUES (?, ?, ?, ?, ?)",
        (event.seq, p["day"], p["exercise"], p["step"], at),
    )


def _reflection_logged(conn: sqlite3.Connection, event: Event) -> None:
    p = event.payload
    conn.execute(
        "INSERT OR IGNORE INTO reflections (id, seq, day, exercise, step, prompt, text, participant, location,"
        " consent, logged_at, logged_by, source, participant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            p["reflection"],
            event.seq,
            p.get("day"),
            p.get("exercise"),
            p.get("step"),
            p.get("prompt"),
            p["text"],
            p.get("participant"),
            p.get("location"),
            int(bool(p.get("consent"))),
            to_text(event.at),
            event.actor,
            p.get("source") or "facilitator",
            p.get("participant_id"),
        ),
    )


_EDITABLE = ("text", "participant", "location", "consent")


def _reflection_edited(conn: sqlite3.Connection, event: Event) -> None:
    p = event.payload
    changes = {k: (int(bool(p[k])) if k == "consent" else p[k]) for k in _EDITABLE if k in p}
    assignments = ", ".join(f"{column} = ?" for column in changes)
    conn.execute(
        f"UPDATE reflections SET {assignments}{', ' if changes else ''}edited_at = ? WHERE id = ?",
        (*changes.values(), to_text(event.at), p["reflection"]),
    )


def _reflection_retracted(conn: sqlite3.Connection, event: Event) -> None:
    conn.execute(
        "UPDATE reflections SET retracted_at = ? WHERE id = ?",
        (to_text(event.at), event.payload["reflection"]),
    )


def _reflection_hidden(conn: sqlite3.Connection, event: Event) -> None:
    p = event.payload
    conn.execute("UPDATE reflections SET hidden = ? WHERE id = ?", (int(bool(p["hidden"])), p["reflection"]))


_PARTICIPANT_COLUMNS = ("name", "email", "location", "role", "organisation", "gender", "code")


def _participant_added(conn: sqlite3.Connection, event: Event) -> None:
    p = event.payload
    conn.execute(
        "INSERT OR IGNORE INTO participants (id, seq, name, email, location, role, organisation, gender, code, source)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (p["participant"], event.seq, *(p.get(c) for c in _PARTICIPANT_COLUMNS), p.get("source", "roster")),
    )


def _participant_updated(conn: sqlite3.Connection, event: Event) -> None:
    changes = {k: v for k, v in event.payload["changes"].items() if k in _PARTICIPANT_COLUMNS}
    if changes:
        assignments = ", ".join(f"{column} = ?" for column in changes)
        conn.execute(
            f"UPDATE participants SET {assignments} WHERE id = ?", (*changes.values(), event.payload["participant"])
        )


_CHECKIN = "INSERT INTO checkins (participant, seq, kind, at, source, location) VALUES (?, ?, ?, ?, ?, ?)"


def _checkin_row(event: Event) -> tuple[object, ...]:
    # As facilitator.attendance.intervals reads it: no source (or an empty one) is the facilitator's.
    p = event.payload
    kind = "in" if event.kind == ev.ATTENDANCE_CHECKED_IN else "out"
    return (p["participant"], event.seq, kind, p.get("at"), p.get("source") or "facilitator", p.get("location"))


def _checked(conn: sqlite3.Connection, event: Event) -> None:
    conn.execute(_CHECKIN, _checkin_row(event))


PROJECTORS: dict[str, Projector] = {
    ev.PARTICIPANT_ADDED: _participant_added,
    ev.PARTICIPANT_UPDATED: _participant_updated,
    ev.DAY_OPENED: _close_open_visit,
    ev.DAY_CLOSED: _day_closed,
    ev.STEP_ENTERED: _step_entered,
    ev.REFLECTION_LOGGED: _reflection_logged,
    ev.REFLECTION_EDITED: _reflection_edited,
    ev.REFLECTION_RETRACTED: _reflection_retracted,
    ev.REFLECTION_HIDDEN: _reflection_hidden,
    ev.ATTENDANCE_CHECKED_IN: _checked,
    ev.ATTENDANCE_CHECKED_OUT: _checked,
}


def project(conn: sqlite3.Connection, event: Event) -> None:
    projector = PROJECTORS.get(event.kind)
    if projector is not None:
        projector(conn, event)


def _participants_added(conn: sqlite3.Connection, events: list[Event]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO participants (id, seq, name, email, location, role, organisation, gender, code, source)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                e.payload["participant"],
                e.seq,
                *map(e.payload.get, _PARTICIPANT_COLUMNS),  # map, not a generator: thousands of rows in an import
                e.payload.get("source", "roster"),
            )
            for e in events
        ],
    )


def _checks(conn: sqlite3.Connection, events: list[Event]) -> None:
    conn.executemany(_CHECKIN, [_checkin_row(event) for event in events])


# Projectors that take a run of events at once, for the bulk writes of an import: each takes a run of the kinds
# it is given for (check-ins and check-outs come mixed, and are rows of one table).
BATCH_PROJECTORS: dict[str, Callable[[sqlite3.Connection, list[Event]], None]] = {
    ev.PARTICIPANT_ADDED: _participants_added,
    ev.ATTENDANCE_CHECKED_IN: _checks,
    ev.ATTENDANCE_CHECKED_OUT: _checks,
}


def project_many(conn: sqlite3.Connection, events: list[Event]) -> None:
    """The same as projecting each event in turn, with runs that one batch projector takes in one statement."""
    start = 0
    while start < len(events):
        batch = BATCH_PROJECTORS.get(events[start].kind)
        end = start + 1
        if batch is None:
            project(conn, events[start])
        else:
            while end < len(events) and BATCH_PROJECTORS.get(events[end].kind) is batch:
                end += 1
            batch(conn, events[start:end])
        start = end


def clear(conn: sqlite3.Connection) -> None:
    for table in DERIVED_TABLES:
        conn.execute(f"DELETE FROM {table}")
