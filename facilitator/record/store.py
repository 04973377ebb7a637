"""The run database: one SQLite file per workshop run, holding the append-only event log.

Every write is ``BEGIN IMMEDIATE`` → append the event → update the derived tables → ``COMMIT``, and is
acknowledged only after the commit. SQLite's own busy handler is unfair under contention, so the busy
timeout is short and this module retries with jitter instead.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any, TypeVar

from facilitator.problems import DiskFault, InputError, StoreError, display_path
from facilitator.record import events as ev
from facilitator.record import ids, projections
from facilitator.record.clock import Clock, default_clock, to_text
from facilitator.record.events import EVENT_COLUMNS, Event
from facilitator.record.filesystems import filesystem_type, is_network_filesystem
from facilitator.record.ids import random_ids
from facilitator.record.permissions import PRIVATE, TEAM, modes_for
from facilitator.record.reading import private_copy, writable_in_place
from facilitator.record.schema_steps import APPLICATION_ID, MIGRATION_SET, SCHEMA_VERSION, STEPS
from facilitator.script.models import Programme
from facilitator.script.stored import stored_form

BUSY_TIMEOUT_MS = 20
NEARLY_FULL_BYTES = 256 * 1024  # less free than this, and a write SQLite calls an I/O error was for space
WRITE_DEADLINE_S = 10.0
SQLITE_HEADER = b"SQLite format 3\x00"
T = TypeVar("T")
# An event's payload as the log stores it: compact, and as written (not \u-escaped). Made once: json.dumps with
# options builds an encoder per call, which a roster import of thousands of events notices.
_PAYLOAD_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _validate(kind: str, payload: dict[str, Any]) -> None:
    """Refuse a payload its kind's model does not describe (facilitator.record.catalogue.BadEvent)."""
    _validator()(kind, payload)


def _validator() -> Callable[[str, dict[str, Any]], object]:
    """The catalogue's check of one payload (:func:`_validate`), for a bulk write to call for each of its events:
    asked for once, as an import statement run per event costs a third again of the check itself."""
    # Imported at the first write, not with the store: reading a run builds no pydantic model.
    from facilitator.record.catalogue import validate

    return validate


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


# SQLite's primary result codes for a disk that refuses writes (an extended code keeps its primary in the low byte).
_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 8, 10, 13, 14


def _disk_reason(folder: Path) -> str | None:
    """Ask the disk why it refused a write: SQLite reports a write to a read-only mount as a plain I/O error.

    None when the folder takes a new file after all: the refusal was not the disk's as a whole.
    """
    try:
        disk = os.statvfs(folder)
    except OSError:
        return DiskFault.FAILING
    if disk.f_flag & os.ST_RDONLY:
        return DiskFault.READ_ONLY
    if disk.f_bavail * disk.f_frsize < NEARLY_FULL_BYTES:  # SQLite says "I/O error" when the -shm file cannot grow
        return DiskFault.FULL
    probe = folder / f".facilitator-probe-{uuid.uuid4().hex[:8]}"
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError as exc:
        # A disk the kernel made read-only after an error still says "rw" in statvfs: EROFS tells.
        reasons = {errno.EROFS: DiskFault.READ_ONLY, errno.ENOSPC: DiskFault.FULL, errno.EDQUOT: DiskFault.FULL}
        return None if exc.errno == errno.EACCES else reasons.get(exc.errno or 0, DiskFault.FAILING)
    with contextlib.suppress(OSError):
        probe.unlink()
    return None


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file is at ``path`` (device and inode): another one once its disk has been mounted again."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _database_file(conn: sqlite3.Connection) -> Path | None:
    with contextlib.suppress(sqlite3.Error):
        for _, schema, file in conn.execute("PRAGMA database_list").fetchall():
            if schema == "main" and file:
                return Path(file)
    return None


def _classify(exc: sqlite3.Error, name: str, file: Path | None, *, opening: bool = False) -> StoreError:
    """A disk that is full, read-only or failing as a DiskFault that says so; anything else as it came."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == _SQLITE_FULL:
        return DiskFault(name, DiskFault.FULL, opening=opening)
    if code in (_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CANTOPEN) and file is not None:
        reason = _disk_reason(file.parent)
        if reason is not None:
            return DiskFault(name, reason, opening=opening)
        if code == _SQLITE_IOERR:
            return DiskFault(name, DiskFault.FAILING, opening=opening)
    return StoreError(f"{name}: {exc}")


def _check_exists(path: Path, name: str) -> None:
    if not path.exists():
        if path.is_symlink():
            raise InputError(f"{name}: is a symbolic link that loops or points nowhere")
        if not path.parent.is_dir():
            raise InputError(f"{name}: folder {display_path(path.parent)} does not exist")
        raise InputError(f"{name}: no such run database (create one with: facilitator init WORKSHOP --db {name})")
    if path.is_dir():
        raise InputError(f"{name}: is a folder, not a run database")


def _check_header(path: Path, name: str) -> None:
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise InputError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    if header != SQLITE_HEADER:
        raise InputError(f"{name}: is not a facilitator database (not an SQLite file)")


def _check_folder(path: Path) -> None:
    folder = path.parent
    name = display_path(path)
    if not folder.is_dir():
        raise InputError(f"{name}: folder {display_path(folder)} does not exist")
    fs_type = filesystem_type(folder)
    if is_network_filesystem(fs_type):
        raise InputError(
            f"{name}: is on a network filesystem ({fs_type}); SQLite's WAL needs a local disk, so keep the run there"
        )
    with contextlib.suppress(OSError):
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            raise DiskFault(name, DiskFault.READ_ONLY, opening=True)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{name}: folder {display_path(folder)} is not writable")


def _publish(temporary: Path, path: Path) -> None:
    """Give the finished file its name, failing with FileExistsError rather than replacing anything."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        # A filesystem without hard links (FAT or exFAT on a USB stick): claim the name, then move onto it.
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_MODE))
        os.replace(temporary, path)


PRIVATE_MODE = PRIVATE.file  # the run holds personal data and the participant page's signing secret
TEAM_MODE = TEAM.file  # in a setgid team folder (chgrp team DIR; chmod 2770 DIR): the folder's group shares the run


def file_mode(folder: Path) -> int:
    """The mode a run file gets in ``folder``: the owner's only, or its team's too in a setgid team folder
    (facilitator.record.permissions, the rule the exports follow too)."""
    return modes_for(folder).file


def _create_private(path: Path) -> None:
    """Create ``path`` empty with :func:`file_mode`'s mode before SQLite opens it: SQLite creates its -wal and
    -shm files with the database file's mode, so they are as private as it is from the first byte on."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), PRIVATE_MODE)
    try:
        os.fchmod(fd, file_mode(path.parent))  # exactly this mode: the umask may have taken bits off, or left some
    except OSError as exc:
        # A filesystem without Unix permissions (FAT or exFAT on a USB stick) refuses any mode: nothing to set.
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    finally:
        os.close(fd)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


class _Busy(Exception):
    """The run was locked for a moment while it was being opened."""


def _opened(path: Path, name: str) -> sqlite3.Connection:
    """A checked, migrated connection to the run at ``path``; :class:`_Busy` while another process holds a lock."""
    try:
        conn = _connect(path)
        (application_id,) = conn.execute("PRAGMA application_id").fetchone()
    except sqlite3.DatabaseError as exc:
        if _is_busy(exc):
            raise _Busy from exc
        error = _classify(exc, name, path, opening=True)
        if isinstance(error, DiskFault):  # a full disk cannot even take the shared-memory file
            raise error from exc
        raise InputError(f"{name}: is not a facilitator database ({exc})") from None
    if application_id != APPLICATION_ID:
        conn.close()
        raise InputError(f"{name}: is an SQLite database, but not a facilitator run")
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        _migrate(conn, name)
    except sqlite3.OperationalError as exc:
        conn.close()
        if _is_busy(exc):
            raise _Busy from exc
        raise _classify(exc, name, path, opening=True) from exc
    except BaseException:
        conn.close()
        raise
    return conn


class Store:
    """One open run database. Not thread-safe: open one per thread that needs it."""

    def __init__(self, path: Path, conn: sqlite3.Connection, clock: Clock) -> None:
        self.path = path
        self.conn = conn
        self.clock = clock
        # Set when the disk refused a write as read-only or failing: such a disk comes back by being mounted
        # again, which this connection would never see, so the next write opens the file afresh (and so does
        # the next read, once another file is at the path).
        self._stale = False
        self._identity = _identity(path)
        self.on_close: Callable[[], None] | None = None  # a read-only copy's clean-up

    # -- opening -------------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        programme: Programme,
        *,
        actor: str,
        digest: str = "",
        source: Path | None = None,
        clock: Clock | None = None,
    ) -> Store:
        """Create a new run from ``programme``; refuse to touch a file that already exists.

        ``source`` is the workshop folder or file the programme was loaded from: recorded (as an absolute
        path) so that the lead's app can reload the script when its files change during the run.

        The file is built under a temporary name and linked into place, so a crash never leaves a
        half-made run where a user would find it, and two creators cannot both win.
        """
        clock = clock or default_clock()
        name = display_path(path)
        _check_folder(path)
        if path.exists() or path.is_symlink():
            raise InputError(f"{name}: already exists; resume that run with --db, or choose a new file name")
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.creating")
        try:
            _create_private(temporary)
            conn = _connect(temporary)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            _migrate(conn, name)
            store = cls(temporary, conn, clock)
            payload = {
                "programme": stored_form(programme),
                "digest": digest,
                "app_version": app_version(),
            }
            if source is not None:
                payload["source"] = os.path.abspath(source)
            store.append(ev.RUN_CREATED, payload, actor=actor)
            conn.close()
            _publish(temporary, path)
        except FileExistsError:
            raise InputError(f"{name}: already exists; resume that run with --db, or choose a new file name") from None
        except OSError as exc:
            raise InputError(f"{name}: cannot create the run database: {exc.strerror or exc}") from None
        except sqlite3.Error as exc:
            raise StoreError(f"{name}: cannot create the run database: {exc}") from None
        finally:
            for leftover in (
                temporary,
                Path(f"{temporary}-wal"),
                Path(f"{temporary}-shm"),
            ):
                leftover.unlink(missing_ok=True)
        return cls.open(path, clock=clock)

    @classmethod
    def open(cls, path: Path, *, clock: Clock | None = None, read_only: bool = False) -> Store:
        """Open an existing run, refusing anything that is not one this version can read and write.

        ``read_only`` (export, the room view): where this user may not write the file or its folder (a run
        received on read-only media, a colleague's file), read it without writing: SQLite's read-only mode
        where the run's shared-memory file can be used, else a private copy (facilitator.record.reading).
        """
        if read_only and path.is_file() and not writable_in_place(path):
            return cls._open_read_only(path, clock=clock)
        name = display_path(path)
        _check_exists(path, name)
        _check_folder(path)
        _check_header(path, name)
        if not os.access(path, os.R_OK | os.W_OK):
            raise InputError(f"{name}: is not writable by this user")
        # Many processes may open a run at once (a team joining as the day starts): one that finds the file
        # locked for a moment (WAL recovery, a checkpoint, another opener setting the journal mode) tries again
        # with jitter, as a writer does, rather than calling the run "not a facilitator database".
        deadline = time.monotonic() + WRITE_DEADLINE_S
        while True:
            try:
                return cls(path, _opened(path, name), clock or default_clock())
            except _Busy:
                if time.monotonic() > deadline:
                    raise StoreError(f"{name}: another process kept the run locked; try again") from None
                time.sleep(random.uniform(0.005, 0.05))

    @classmethod
    def _open_read_only(cls, path: Path, *, clock: Clock | None) -> Store:
        name = display_path(path)
        _check_header(path, name)
        copy = private_copy(path, name)
        try:
            store = cls.open(copy.path, clock=clock)
        except BaseException:
            copy.remove()
            raise
        store.on_close = copy.remove
        return store

    def close(self) -> None:
        self.conn.close()
        if self.on_close is not None:
            self.on_close()
            self.on_close = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------------------

    def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` in a ``BEGIN IMMEDIATE`` transaction, retrying with jitter while another writer holds it."""
        if self._stale:
            self._reconnect()
        try:
            return immediate(self.conn, work, display_path(self.path))
        except DiskFault as exc:
            self._stale = exc.reason != DiskFault.FULL  # a full disk frees up under the same connection
            raise

    def _reconnect(self) -> None:
        """Open the file afresh, on whatever disk is mounted at its path now; keep the old connection if that fails."""
        try:
            fresh = Store.open(self.path, clock=self.clock)
        except (InputError, StoreError):
            return  # still unusable: the old connection reports the fault again
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()
        self.conn = fresh.conn
        self._identity = fresh._identity
        self._stale = False

    def read(self, read: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``read`` on the connection: a read that a failing disk turns into a StoreError, not a crash."""
        return self._read(read)

    def _read(self, read: Callable[[sqlite3.Connection], T]) -> T:
        """A read that a failing disk turns into a StoreError, not a crash of whatever polls."""
        if self._stale and _identity(self.path) != self._identity:
            self._reconnect()
        try:
            return read(self.conn)
        except sqlite3.OperationalError as exc:
            raise _classify(exc, display_path(self.path), self.path) from exc

    def transaction(self, work: Callable[[Transaction], T]) -> T:
        """Run ``work`` holding the write lock (``BEGIN IMMEDIATE``): what it reads of the log is the latest, and
        what it appends is committed with it, all or nothing. ``work`` may be run again while another writer
        holds the lock, so it must not act outside the transaction."""
        return self.write(lambda conn: work(Transaction(self, conn)))

    def append(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        actor: str,
        event_id: str | None = None,
    ) -> Event:
        """Append one event and update the derived tables; return it once committed.

        Appending an ``event_id`` that is already in the log returns the stored event and changes nothing,
        so a client may safely retry a write whose acknowledgement it never saw.
        """
        return self.write(lambda conn: self._insert(conn, kind, payload, actor, event_id))

    def append_many(
        self, items: list[tuple[str, dict[str, Any]]], *, actor: str, event_ids: list[str] | None = None
    ) -> list[Event]:
        """Append several events in one transaction: all of them are committed, or none is."""
        if event_ids is None:
            return self.write(lambda conn: self._insert_fresh(conn, items, actor))
        if len(event_ids) != len(items):
            raise ValueError("one event id per item, or none at all")
        return self.write(
            lambda conn: [
                self._insert(conn, kind, payload, actor, eid)
                for (kind, payload), eid in zip(items, event_ids, strict=True)
            ]
        )

    def _insert_fresh(
        self, conn: sqlite3.Connection, items: list[tuple[str, dict[str, Any]]], actor: str
    ) -> list[Event]:
        """Insert events with new ids in one statement: a roster of thousands in one round trip.

        Under BEGIN IMMEDIATE nobody else can write, so the sequence numbers are ours to give: one past the
        highest ever handed out (AUTOINCREMENT remembers it in sqlite_sequence, even for rows rolled back).
        """
        (highest,) = conn.execute(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),"
            " COALESCE((SELECT MAX(seq) FROM events), 0))"
        ).fetchone()
        now = self.clock.now()
        at, at_utc = to_text(now), now.astimezone(UTC)
        rows = []
        events = []
        new_ids = random_ids(min(len(items), ids.BATCH) or 1)
        validate = _validator()
        for offset, (kind, payload) in enumerate(items, start=1):
            validate(kind, payload)  # a payload its kind does not describe is a bug: it never reaches the log
            body = _PAYLOAD_JSON.encode(payload)
            event_id = next(new_ids)
            rows.append((highest + offset, event_id, at, actor, kind, body))
            # The caller's payload, copied: it was just written as JSON, so reading the JSON back would give
            # the same dict, at a cost a roster import of thousands notices.
            events.append(Event(highest + offset, event_id, at_utc, actor, kind, dict(payload)))
        conn.executemany("INSERT INTO events (seq, id, at, actor, kind, payload) VALUES (?, ?, ?, ?, ?, ?)", rows)
        projections.project_many(conn, events)
        return events

    def _insert(
        self, conn: sqlite3.Connection, kind: str, payload: dict[str, Any], actor: str, event_id: str | None
    ) -> Event:
        if event_id is None:
            event_id = ids.random_id()  # 128 random bits: it cannot be in the log already
        else:
            # A caller's id may be a retry. Safe to look before inserting: BEGIN IMMEDIATE holds the write
            # lock. (The events_no_replace trigger refuses an existing id, so ON CONFLICT cannot be used.)
            existing = conn.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE id = ?", (event_id,)).fetchone()
            if existing is not None:
                return Event.from_row(existing)
        _validate(kind, payload)  # a payload its kind does not describe is a bug: it never reaches the log
        body = _PAYLOAD_JSON.encode(payload)
        now = self.clock.now()
        (seq,) = conn.execute(
            "INSERT INTO events (id, at, actor, kind, payload) VALUES (?, ?, ?, ?, ?) RETURNING seq",
            (event_id, to_text(now), actor, kind, body),
        ).fetchone()
        # The stored time has microsecond precision, as ``now`` has: no need to parse it back.
        event = Event(seq=seq, id=event_id, at=now.astimezone(UTC), actor=actor, kind=kind, payload=json.loads(body))
        projections.project(conn, event)
        return event

    def rebuild_derived(self) -> int:
        """Empty the derived tables and replay every event into them; return how many events were replayed."""

        def work(conn: sqlite3.Connection) -> int:
            projections.clear(conn)
            replayed = 0
            for event in self._events(conn, 0):
                projections.project(conn, event)
                replayed += 1
            return replayed

        return self.write(work)

    # -- reading -------------------------------------------------------------------------------------

    @staticmethod
    def _events(conn: sqlite3.Connection, after: int, limit: int = -1) -> list[Event]:
        # fetchall: a half-read cursor keeps a read transaction open and freezes data_version.
        rows = conn.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, limit),
        ).fetchall()
        return [Event.from_row(row) for row in rows]

    def events(self, after: int = 0, limit: int = -1) -> list[Event]:
        """Events with ``seq`` greater than ``after``, oldest first."""
        return self._read(lambda conn: self._events(conn, after, limit))

    def data_version(self) -> int:
        """Changes whenever another connection commits: cheap enough to poll every 50 ms."""
        return self._read(lambda conn: int(conn.execute("PRAGMA data_version").fetchone()[0]))

    def programme(self) -> Programme:
        """The run's current script: the latest reloaded during the run, else the one it was created with."""
        return read_programme(self.conn, self.path)

    def integrity_check(self) -> str:
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])


def read_programme(conn: sqlite3.Connection, path: Path) -> Programme:
    """The latest script in the log read through ``conn`` (the store's, or an export's snapshot)."""
    row = conn.execute(
        "SELECT payload FROM events WHERE kind IN (?, ?) ORDER BY seq DESC LIMIT 1",
        (ev.RUN_CREATED, ev.PROGRAMME_LOADED),
    ).fetchone()
    if row is None:
        raise InputError(f"{display_path(path)}: holds no workshop (was it created by facilitator init?)")
    return Programme.from_stored(json.loads(row[0])["programme"])


def _applied_steps(conn: sqlite3.Connection) -> list[str]:
    try:
        rows = conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", (MIGRATION_SET,)
        ).fetchall()
    except sqlite3.OperationalError:  # no migrations table yet: a brand-new file
        return []
    return [row[0] for row in rows]


def _migrate(conn: sqlite3.Connection, name: str) -> None:
    """Apply pending migrations under the write lock; refuse a database from a newer facilitator."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise InputError(
            f"{name}: was written by a newer version of facilitator (schema version {version}; this one reads "
            f"up to {SCHEMA_VERSION}); upgrade facilitator to open it"
        )
    applied = _applied_steps(conn)
    unknown = [step for step in applied if step not in STEPS]
    if unknown:
        raise InputError(
            f"{name}: was written by a newer version of facilitator (schema step {unknown[0]!r}); upgrade to open it"
        )
    if set(applied) == set(STEPS):
        return  # the common case, and cheap: sqlite-utils is imported only when there is work to do
    from sqlite_utils import Database

    from facilitator.record.migrations import migrations

    db = Database(conn, execute_plugins=False, recursive_triggers=False)

    def work(conn: sqlite3.Connection) -> None:
        migrations.apply(db)  # checks again what is pending, now under the write lock
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    immediate(conn, work, name)


class Transaction:
    """The write lock, held (:meth:`Store.transaction`): a command reads what is new and decides, then appends."""

    def __init__(self, store: Store, conn: sqlite3.Connection) -> None:
        self._store = store
        self._conn = conn

    def events(self, after: int) -> list[Event]:
        """Events with ``seq`` greater than ``after``, oldest first, as committed by anyone until now."""
        return Store._events(self._conn, after)

    def append(self, kind: str, payload: dict[str, Any], *, actor: str, event_id: str | None = None) -> Event:
        """Append one event (as :meth:`Store.append`, a known ``event_id`` returning the stored event)."""
        return self._store._insert(self._conn, kind, payload, actor, event_id)

    def query(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read inside the transaction (all fetched: a half-read cursor would hold the lock open)."""
        return list(self._conn.execute(sql, parameters).fetchall())


def immediate(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T], name: str) -> T:
    """Run ``work`` in a ``BEGIN IMMEDIATE`` transaction on ``conn``, retrying with jitter while busy.

    SQLite's own busy handler is unfair under contention (waits of seconds), so the busy timeout is
    short and the waiting happens here, with a random back-off that keeps writers from colliding again.
    """
    deadline = time.monotonic() + WRITE_DEADLINE_S
    attempt = 0
    if conn.in_transaction:  # a rollback that a failing disk refused last time
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = work(conn)
            conn.execute("COMMIT")
            return result
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):  # a disk that refused the write may refuse this too
                    conn.execute("ROLLBACK")
            if not _is_busy(exc):
                raise _classify(exc, name, _database_file(conn)) from exc
            if time.monotonic() > deadline:
                raise StoreError(f"{name}: still busy after {WRITE_DEADLINE_S:.0f} s") from exc
            attempt += 1
            time.sleep(random.uniform(0, min(0.002 * 2**attempt, 0.05)))
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("facilitator")
    except PackageNotFoundError:
        return "0+unknown"
