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
                *(e.payload.get(c) for c in _PARTICIPANT_COLUMNS),
                e.payload.get("source", "roster"),
            )
            for e in events
        ],
    )


# Projectors that take a run of events of one kind at once, for the bulk writes of an import.
BATCH_PROJECTORS: dict[str, Callable[[sqlite3.Connection, list[Event]], None]] = {
    ev.PARTICIPANT_ADDED: _participants_added,
}


def project_many(conn: sqlite3.Connection, events: list[Event]) -> None:
    """The same as projecting each event in turn, with runs of one kind handled in one statement."""
    start = 0
    while start < len(events):
        kind = events[start].kind
        end = start
        while end < len(events) and events[end].kind == kind:
            end += 1
        batch = BATCH_PROJECTORS.get(kind)
        if batch is not None:
            batch(conn, events[start:end])
        else:
            for event in events[start:end]:
                project(conn, event)
        start = end


def clear(conn: sqlite3.Connection) -> None:
    for table in DERIVED_TABLES:
        conn.execute(f"DELETE FROM {table}")
