"""The record: events (the typed catalogue), the SQLite store, its schema and derived tables, the clock."""
