"""The run's checkpoint: what a process had folded from the log up to one event, kept in the run's file.

Opening a five-day run replayed its whole log, a million events taking 16 s and 290 MiB (issue 14). With a
checkpoint a process loads the folded state as of ``seq`` and folds only the events after it. It is derived
data, like the other tables that the log fills (facilitator.record.projections), and never trusted blindly:

- it names the event it was taken at, by seq *and* id, so a checkpoint that does not belong to this log (a
  file restored from a backup, a log copied over) is not used;
- it carries the ``fingerprint`` of the code that folded it (facilitator.live.checkpoint): a checkpoint folded
  by other code, older or newer, is not used either;
- anyone who folds further may replace it; one never replaces a later one folded by the same code.

What it holds is up to the caller: a JSON document and named binary parts (arrays of numbers, texts), the
document small enough to parse in a few milliseconds and the parts loaded as they are, each from its own row
(a reader that copies one into its own arrays lets it go at once). Not pickle: a run's file is shared with the
team and is never a way to run code.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from facilitator.record.clock import Clock, to_text

MAP_BYTES = 1 << 30  # the most of a run's file mapped while its checkpoint is read


@dataclass(frozen=True)
class Checkpoint:
    """A run's checkpoint as read back: the state folded up to one event, and the log and code it belongs to."""

    seq: int  # the last event folded into it
    event_id: str  # that event's id: a checkpoint of another log with the same seqs is not this log's
    fingerprint: str  # of the code that folded it
    doc: Mapping[str, Any]  # JSON
    parts: Mapping[str, bytes]  # binary parts by name


class _Parts(Mapping[str, bytes]):
    """A checkpoint's parts, each read from its row when asked for and not kept here: a fold that copies one into
    arrays of its own lets it go at once, so opening a long run never holds every part and its copy together."""

    def __init__(self, conn: sqlite3.Connection, names: frozenset[str]) -> None:
        self._conn = conn
        self._names = names

    def __getitem__(self, name: str) -> bytes:
        row = self._conn.execute("SELECT body FROM checkpoint_parts WHERE name = ?", (name,)).fetchone()
        if name not in self._names or row is None:
            raise KeyError(name)
        return bytes(row[0])

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._names))

    def __len__(self) -> int:
        return len(self._names)


class Share(Mapping[str, bytes]):
    """One fold's parts of a checkpoint's ``parts``, by their names within it (``NAME/...`` there): each fold
    dumps and loads its own names, whoever holds it; a part is read only when asked for."""

    def __init__(self, parts: Mapping[str, bytes], name: str) -> None:
        self._parts = parts
        self._prefix = f"{name}/"

    def __getitem__(self, key: str) -> bytes:
        return self._parts[self._prefix + key]

    def __iter__(self) -> Iterator[str]:
        return (key[len(self._prefix) :] for key in self._parts if key.startswith(self._prefix))

    def __len__(self) -> int:
        return sum(1 for _ in self)


@contextlib.contextmanager
def reading(conn: sqlite3.Connection, fingerprint: str) -> Iterator[Checkpoint | None]:
    """The run's checkpoint, if it was folded by this code from this log, else None (fold from the start), its
    parts read as they are asked for within the block: one read transaction, so another process keeping a new
    checkpoint meanwhile changes nothing that is read here. ``conn`` is in autocommit mode (the store's)."""
    # The parts (some 20 MB on a week-long run) are read through a memory map of the file: page by page, each
    # of their overflow pages was a read of its own (17-30 ms against 7). Only for this block: a disk that fails
    # under a map ends the process instead of raising an error the store can report (facilitator.record.store).
    conn.execute(f"PRAGMA mmap_size = {MAP_BYTES}")
    try:
        conn.execute("BEGIN")
        try:
            yield _read(conn, fingerprint)
        finally:
            conn.execute("COMMIT")
    finally:
        conn.execute("PRAGMA mmap_size = 0")


def _read(conn: sqlite3.Connection, fingerprint: str) -> Checkpoint | None:
    try:
        row = conn.execute(
            "SELECT c.seq, c.event_id, c.fingerprint, c.doc FROM checkpoint AS c"
            " JOIN events AS e ON e.seq = c.seq AND e.id = c.event_id WHERE c.fingerprint = ?",
            (fingerprint,),
        ).fetchone()
        if row is None:
            return None
        stored = {name for (name,) in conn.execute("SELECT name FROM checkpoint_parts").fetchall()}
    except sqlite3.OperationalError:
        return None  # a read-only copy of a run older than the tables: nothing to start from
    seq, event_id, found, doc_text = row
    try:
        doc = json.loads(doc_text)
        names = doc.pop("parts")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # damaged: as good as missing
    if not isinstance(names, list) or set(names) != stored:
        return None
    return Checkpoint(seq, event_id, found, doc, _Parts(conn, frozenset(stored)))


def write(conn: sqlite3.Connection, checkpoint: Checkpoint, clock: Clock) -> bool:
    """Keep ``checkpoint`` unless the one stored is later and by the same code; True when it was kept.

    Run in the caller's write transaction (facilitator.record.store.Store.write).
    """
    doc = json.dumps({**checkpoint.doc, "parts": sorted(checkpoint.parts)}, ensure_ascii=False, separators=(",", ":"))
    cursor = conn.execute(
        "INSERT INTO checkpoint (id, seq, event_id, fingerprint, written_at, doc) VALUES (1, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, event_id = excluded.event_id,"
        " fingerprint = excluded.fingerprint, written_at = excluded.written_at, doc = excluded.doc"
        " WHERE checkpoint.fingerprint != excluded.fingerprint OR checkpoint.seq < excluded.seq",
        (checkpoint.seq, checkpoint.event_id, checkpoint.fingerprint, to_text(clock.now()), doc),
    )
    if cursor.rowcount == 0:
        return False
    conn.execute("DELETE FROM checkpoint_parts")
    conn.executemany(
        "INSERT INTO checkpoint_parts (name, body) VALUES (?, ?)",
        ((name, bytes(part)) for name, part in checkpoint.parts.items()),
    )
    return True


def stored_seq(conn: sqlite3.Connection) -> int:
    """The seq of the stored checkpoint, whoever folded it; 0 when there is none."""
    try:
        row = conn.execute("SELECT seq FROM checkpoint WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(row[0]) if row else 0
