"""The run database's schema, as sqlite-utils migrations applied in order.

Never edit a migration that has shipped: add a new one. A database holding a migration this code does
not know was written by a newer facilitator and is refused rather than misread.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from facilitator.record.schema_steps import MIGRATION_SET

migrations = Migrations(MIGRATION_SET)


@migrations()
def m001_events(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL CHECK (json_valid(payload))
        )
        """
    )
    db.execute("CREATE INDEX events_kind ON events(kind, seq)")
    db.execute(
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only: they cannot be changed'); END"
    )
    db.execute(
        "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only: they cannot be deleted'); END"
    )


@migrations()
def m002_derived(db: Database) -> None:
    # Derived tables: rebuilt from events at any time, kept current in each write's transaction.
    db.execute(
        """
        CREATE TABLE step_visits (
            seq INTEGER PRIMARY KEY,
            day TEXT NOT NULL,
            exercise TEXT NOT NULL,
            step TEXT NOT NULL,
            entered_at TEXT NOT NULL,
            left_at TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE reflections (
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            day TEXT,
            exercise TEXT,
            step TEXT,
            prompt TEXT,
            text TEXT NOT NULL,
            participant TEXT,
            location TEXT,
            consent INTEGER NOT NULL DEFAULT 0,
            logged_at TEXT NOT NULL,
            logged_by TEXT NOT NULL,
            edited_at TEXT,
            retracted_at TEXT
        )
        """
    )


@migrations()
def m003_events_no_replace(db: Database) -> None:
    # ``INSERT OR REPLACE`` (and sqlite-utils' ``insert(replace=True)``) deletes the clashing row without
    # firing the delete trigger unless recursive_triggers is on, so it could rewrite history: refuse it.
    db.execute(
        "CREATE TRIGGER events_no_replace BEFORE INSERT ON events "
        "WHEN EXISTS (SELECT 1 FROM events WHERE id = NEW.id) OR EXISTS (SELECT 1 FROM events WHERE seq = NEW.seq) "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only: an event with this id or seq already exists'); END"
    )


@migrations()
def m004_presence(db: Database) -> None:
    # Who has the run open right now: not history (no events), just live rows kept fresh by a heartbeat
    # and removed on exit. A process killed with -9 leaves its row behind; facilitator.team.presence tells
    # such stale rows from live ones.
    db.execute(
        """
        CREATE TABLE presence (
            connection TEXT PRIMARY KEY,
            actor TEXT NOT NULL,
            role TEXT NOT NULL,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            started_at TEXT NOT NULL,
            last_seen TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX presence_role ON presence(role)")


@migrations()
def m005_participants(db: Database) -> None:
    # Derived from participant.added / participant.updated: the roster as it now stands.
    db.execute(
        """
        CREATE TABLE participants (
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            name TEXT NOT NULL,
            email TEXT NOT NULL UNIQUE,
            location TEXT NOT NULL,
            role TEXT,
            organisation TEXT,
            gender TEXT,
            code TEXT,
            source TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX participants_location ON participants(location)")


@migrations()
def m006_team_and_participant_page(db: Database) -> None:
    # Reflections can be hidden by a facilitator and come from the participant page; presence rows say
    # where each facilitator works; the participant page signs its links with a secret of the run's own.
    db.execute("ALTER TABLE reflections ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE reflections ADD COLUMN source TEXT NOT NULL DEFAULT 'facilitator'")
    db.execute("ALTER TABLE reflections ADD COLUMN participant_id TEXT")
    db.execute("ALTER TABLE presence ADD COLUMN location TEXT")
    # Not events: the export of the event log must not carry the key that signs participants' links.
    db.execute("CREATE TABLE participant_page (name TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migrations()
def m007_attendance_tables(db: Database) -> None:
    # For analysts (sqlite3, Datasette): each day's actual span and end, everyone's clipped intervals, and the
    # minutes and status per person and day, by the rules of the export (facilitator.live.attendance_tables).
    # Rewritten whole whenever a day closes and by `facilitator attendance refresh`; not events.
    db.execute(
        """
        CREATE TABLE days (
            day TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            status TEXT NOT NULL,
            started_utc TEXT,
            ended_utc TEXT,
            end_inferred INTEGER,
            end_recorded INTEGER,
            actual_minutes REAL NOT NULL,
            planned_minutes REAL NOT NULL,
            as_of_utc TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE attendance_intervals (
            participant_id TEXT NOT NULL,
            day TEXT,
            location TEXT,
            source TEXT NOT NULL,
            start_utc TEXT NOT NULL,
            end_utc TEXT,
            checked_out INTEGER NOT NULL,
            minutes REAL NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX attendance_intervals_person ON attendance_intervals(participant_id, start_utc)")
    db.execute(
        """
        CREATE TABLE attendance_days (
            participant_id TEXT NOT NULL,
            day TEXT NOT NULL,
            location TEXT NOT NULL,
            gender TEXT NOT NULL,
            status TEXT NOT NULL,
            minutes REAL NOT NULL,
            first_in_utc TEXT,
            PRIMARY KEY (participant_id, day)
        )
        """
    )


@migrations()
def m008_checkins(db: Database) -> None:
    # Derived from attendance.checked_in / attendance.checked_out (facilitator.record.projections): every check-in
    # and check-out as the fold reads it (no source, or an empty one: facilitator), stored by participant and then
    # in the order of the log, so that the export reads each person's together, with no JSON to take them out of
    # and nothing to sort (issue 14). Built here from the log of a run that has one, in the table's order (each
    # row appended, not inserted among others); kept current in each write's transaction after that.
    db.execute(
        """
        CREATE TABLE checkins (
            participant TEXT NOT NULL,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            at TEXT,
            source TEXT NOT NULL,
            location TEXT,
            PRIMARY KEY (participant, seq)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        """
        INSERT INTO checkins (participant, seq, kind, at, source, location)
        SELECT participant, seq, kind, at, source, location FROM (
            SELECT json_extract(payload, '$.participant') AS participant, seq,
                CASE kind WHEN 'attendance.checked_in' THEN 'in' ELSE 'out' END AS kind,
                json_extract(payload, '$.at') AS at,
                coalesce(nullif(json_extract(payload, '$.source'), ''), 'facilitator') AS source,
                json_extract(payload, '$.location') AS location
            FROM events WHERE kind IN ('attendance.checked_in', 'attendance.checked_out')
        ) WHERE participant IS NOT NULL ORDER BY participant, seq
        """
    )


@migrations()
def m009_reflections_by_seq(db: Database) -> None:
    # The export reads the reflections in the order they were logged (ORDER BY seq): by this index, rather than
    # sorting a hundred thousand of them first (issue 14).
    db.execute("CREATE INDEX reflections_seq ON reflections(seq)")


@migrations()
def m010_checkpoint(db: Database) -> None:
    # What a process folded from the log up to a seq (facilitator.record.checkpoints): opening a run of a million
    # events folds only what came after it (issue 14). Derived data, one row and its parts (each its own row, so a
    # reader holds each part only as long as it needs it): rebuilt when missing or stale.
    db.execute(
        """
        CREATE TABLE checkpoint (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            seq INTEGER NOT NULL,
            event_id TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            written_at TEXT NOT NULL,
            doc TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE TABLE checkpoint_parts (name TEXT NOT NULL UNIQUE, body BLOB NOT NULL)")
