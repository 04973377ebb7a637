"""One consistent view of a run database, read while facilitators may be writing to it.

Everything an export reads goes through one connection of its own, inside one read transaction: WAL
gives that transaction the database as it was when it began, so a writer committing meanwhile neither
waits for the export nor tears it. Only reads happen here, so no write lock is ever taken. The open read
transaction freezes ``PRAGMA data_version`` for this connection only, which is why it is never the
connection a live client polls.

The two long reads of the log (the event log file and the check-ins of the register) run on threads of
their own, each on a connection of its own (:meth:`Snapshot.sibling`), so that SQLite works on both while
this thread writes the tables. They read only events up to :attr:`Snapshot.last_seq`: events are never
changed nor deleted (triggers refuse it) and a new one always gets a higher ``seq``, so those rows are the
snapshot's, whenever they are read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from facilitator.record.events import EVENT_COLUMNS, Event
from facilitator.record.store import read_programme
from facilitator.script.models import Programme

CHUNK = 5000  # rows per fetchmany: memory stays flat however long the log is
READ_BUSY_TIMEOUT_MS = 5000  # a reader waits only while SQLite rebuilds the WAL index, which is brief


class Snapshot:
    """A read transaction on ``path``; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute(f"PRAGMA busy_timeout = {READ_BUSY_TIMEOUT_MS}")
        self.conn.execute("BEGIN")
        # A deferred transaction takes its snapshot at its first read: make that read now.
        self.event_count = int(self.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])
        self.last_seq = int(self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.close()

    def sibling(self) -> sqlite3.Connection:
        """Another read-only connection to the same file, for a thread of its own: it sees the snapshot's
        events only through ``seq <= last_seq`` (see the module's docstring)."""
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {READ_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only = 1")
        return conn

    def programme(self) -> Programme:
        return read_programme(self.conn, self.path)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """The rows of ``sql``, fetched a chunk at a time."""
        cursor = self.conn.execute(sql, params)
        try:
            while chunk := cursor.fetchmany(CHUNK):
                yield from chunk
        finally:
            cursor.close()

    def events(self, kinds: Sequence[str] | None = None) -> Iterator[Event]:
        """The events (of ``kinds``, or all), oldest first."""
        if kinds is None:
            rows = self.rows(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY seq")
        else:
            marks = ", ".join("?" for _ in kinds)
            rows = self.rows(f"SELECT {EVENT_COLUMNS} FROM events WHERE kind IN ({marks}) ORDER BY seq", kinds)
        for row in rows:
            yield Event.from_row(row)
