"""The names of the schema migrations, in order, and the file's application id.

Kept apart from :mod:`facilitator.record.migrations` so that opening an up-to-date run (every start of the app)
can check its schema without importing sqlite-utils; a test keeps this list equal to the migrations.
"""

APPLICATION_ID = int.from_bytes(b"FACI", "big")
MIGRATION_SET = "facilitator"
STEPS = (
    "m001_events",
    "m002_derived",
    "m003_events_no_replace",
    "m004_presence",
    "m005_participants",
    "m006_team_and_participant_page",
    "m007_attendance_tables",
    "m008_checkins",
    "m009_reflections_by_seq",
    "m010_checkpoint",
)
SCHEMA_VERSION = len(STEPS)
DERIVED_TABLES = ("step_visits", "reflections", "participants", "checkins", "checkpoint", "checkpoint_parts")
