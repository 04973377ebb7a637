"""Who has a run open right now, so that a second lead is refused instead of silently driving too.

Presence is not history, so it is not kept in events: each process that opens the run holds one row
in the ``presence`` table (connection id, actor, role, pid, host, started_at, last_seen), refreshes
``last_seen`` with a heartbeat every :data:`HEARTBEAT_SECONDS` and removes the row when it exits.

A process killed with ``kill -9`` (or by a dropped SSH connection) cannot remove its row, so a row
counts only while it is *live*: seen within :data:`STALE_AFTER`, and, when it was written on this host,
by a process that still exists. Stale rows never block anybody and are cleared by the next claim.

Roles are plain strings: the lead ("lead") is the one driver of a run; the co-facilitator issue adds
roles of its own on the same table.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from facilitator.problems import InputError, display_path
from facilitator.record.clock import Clock, SystemClock, from_text, to_text
from facilitator.record.store import Store

LEAD = "lead"
HEARTBEAT_SECONDS = 2.0
STALE_AFTER = timedelta(seconds=6)  # three heartbeats missed
COLUMNS = "connection, actor, role, pid, host, started_at, last_seen, location"


@dataclass(frozen=True)
class Presence:
    """One process that has the run open, as its row in the ``presence`` table: who, in which role and
    location, which process on which host, and when it was last seen."""

    connection: str
    actor: str
    role: str
    pid: int
    host: str
    started_at: datetime
    last_seen: datetime
    location: str | None = None

    @classmethod
    def from_row(cls, row: tuple[str, str, str, int, str, str, str, str | None]) -> Presence:
        connection, actor, role, pid, host, started_at, last_seen, location = row
        return cls(connection, actor, role, pid, host, from_text(started_at), from_text(last_seen), location)

    def is_live(self, now: datetime, *, host: str | None = None) -> bool:
        """Seen recently, and (on this host, where it can be checked) by a process that still exists."""
        if now - self.last_seen > STALE_AFTER:
            return False
        return not ((host or this_host()) == self.host and not pid_alive(self.pid))

    def describe(self) -> str:
        """``amina (pid 4242 on juba-laptop, since 2022-08-22 09:12:05)``, in this machine's local time."""
        since = self.started_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        return f"{self.actor} (pid {self.pid} on {self.host}, since {since})"


class LeadActive(InputError):
    """A live lead already drives the run."""

    def __init__(self, path: str, lead: Presence) -> None:
        self.lead = lead
        super().__init__(
            f"{path}: {lead.describe()} is already driving this run; quit it first; "
            "co-facilitators open it with `facilitator join --db FILE`"
        )


def this_host() -> str:
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (it may belong to another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _rows(conn: sqlite3.Connection, role: str | None) -> list[Presence]:
    if role is None:
        rows = conn.execute(f"SELECT {COLUMNS} FROM presence ORDER BY started_at").fetchall()
    else:
        rows = conn.execute(f"SELECT {COLUMNS} FROM presence WHERE role = ? ORDER BY started_at", (role,)).fetchall()
    return [Presence.from_row(row) for row in rows]


def present(store: Store, *, role: str | None = None, clock: Clock | None = None) -> list[Presence]:
    """The live rows (of ``role``, or all), oldest first."""
    now = (clock or SystemClock()).now()
    host = this_host()
    return [p for p in _rows(store.conn, role) if p.is_live(now, host=host)]


def recorded(store: Store, *, role: str | None = None) -> list[Presence]:
    """Every row as stored (of ``role``, or all), live or not, oldest first: a process that exits cleanly
    has removed its own at once (:func:`leave`); one that was killed leaves a row that goes stale."""
    return _rows(store.conn, role)


def claim(
    store: Store,
    *,
    actor: str,
    role: str = LEAD,
    exclusive: bool = True,
    connection: str | None = None,
    location: str | None = None,
    clock: Clock | None = None,
) -> Presence:
    """Register this process in ``role``; return its row.

    With ``exclusive`` (the lead's case), refuse with :class:`LeadActive` while another live row holds
    the role; stale rows of the role are removed. Checking and inserting happen in one ``BEGIN
    IMMEDIATE`` transaction, so two processes starting at once cannot both win. Claiming again with
    the same ``connection`` refreshes the row.
    """
    now = (clock or SystemClock()).now()
    host = this_host()
    me = Presence(
        connection=connection or uuid.uuid4().hex,
        actor=actor,
        role=role,
        pid=os.getpid(),
        host=host,
        started_at=now,
        last_seen=now,
        location=location,
    )

    def work(conn: sqlite3.Connection) -> Presence:
        others = [p for p in _rows(conn, role) if p.connection != me.connection]
        if exclusive:
            live = [p for p in others if p.is_live(now, host=host)]
            if live:
                raise LeadActive(display_path(store.path), live[0])
            stale = [p.connection for p in others]
            conn.executemany("DELETE FROM presence WHERE connection = ?", [(c,) for c in stale])
        conn.execute(
            f"INSERT INTO presence ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(connection) DO UPDATE SET pid = excluded.pid, host = excluded.host, "
            "last_seen = excluded.last_seen",
            (
                me.connection,
                me.actor,
                me.role,
                me.pid,
                me.host,
                to_text(me.started_at),
                to_text(me.last_seen),
                me.location,
            ),
        )
        row = conn.execute(f"SELECT {COLUMNS} FROM presence WHERE connection = ?", (me.connection,)).fetchone()
        return Presence.from_row(row)

    return store.write(work)


def heartbeat(store: Store, presence: Presence, *, clock: Clock | None = None) -> None:
    """Mark ``presence`` as seen now; put its row back if something removed it meanwhile."""
    now = to_text((clock or SystemClock()).now())

    def work(conn: sqlite3.Connection) -> None:
        conn.execute(
            f"INSERT INTO presence ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(connection) DO UPDATE SET last_seen = excluded.last_seen",
            (
                presence.connection,
                presence.actor,
                presence.role,
                presence.pid,
                presence.host,
                to_text(presence.started_at),
                now,
                presence.location,
            ),
        )

    store.write(work)


def leave(store: Store, connection: str) -> None:
    """Remove this process's row (on a clean exit); doing it twice is harmless."""
    store.write(lambda conn: conn.execute("DELETE FROM presence WHERE connection = ?", (connection,)))
