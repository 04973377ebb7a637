"""The attendance tables in the run's database, for analysts: the register's figures, queryable with SQL.

``days`` (each day's actual span and how it ended), ``attendance_intervals`` (everyone's intervals, clipped to
their day's end) and ``attendance_days`` (minutes and status per person and day) are worked out by
:class:`facilitator.live.register.Register`, the same figures the attendance screen and the export show, and
written whole in one transaction. They are not events: they hold what the record adds up to at ``as_of_utc``,
and are rewritten whenever a day closes and by ``facilitator attendance refresh``.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from facilitator.attendance.gender import category
from facilitator.attendance.intervals import Attendance, minutes, overlap
from facilitator.live.register import Register
from facilitator.live.state import SessionState
from facilitator.record.clock import to_text
from facilitator.record.store import Store

TABLES = ("days", "attendance_intervals", "attendance_days")


def write(store: Store, state: SessionState, attendance: Attendance, now: datetime) -> None:
    """Rewrite the three tables from the state and attendance folded from the whole log, as at ``now``."""
    register = Register(state, attendance, now)
    rows = _rows(register, now)
    store.write(lambda conn: _replace(conn, rows))


Rows = dict[str, list[tuple[object, ...]]]


def _rows(register: Register, now: datetime) -> Rows:
    programme = register.programme
    started = sorted({block.day for block in register.blocks})
    as_of = to_text(now)
    days: list[tuple[object, ...]] = []
    for spec in programme.workshop.days:
        spans = register.day_spans(spec.date)
        end = register.ends.end(spec.date)
        status = "not started" if spec.date not in started else "running" if end is None else "ended"
        days.append(
            (
                spec.date.isoformat(),
                spec.title,
                status,
                to_text(spans[0][0]) if spans else None,
                to_text(end.at) if end is not None else None,
                int(end.inferred) if end is not None else None,
                int(end.recorded) if end is not None else None,
                minutes(sum((b - a for a, b in spans), timedelta())),
                minutes(programme.planned_duration(spec)),
                as_of,
            )
        )
    roster = register.attendance.roster
    intervals: list[tuple[object, ...]] = []
    person_days: list[tuple[object, ...]] = []
    for pid in {*roster.by_id, *register.attendance.participants()}:
        person = roster.by_id.get(pid)
        for iv in register.attendance.intervals(pid):
            stop = register.stop(iv)
            day = next((d for d in started if overlap([(iv.start, stop)], register.day_spans(d))), None)
            counted = overlap([(iv.start, stop)], register.day_spans(day)) if day is not None else timedelta()
            still_in = iv.end is None and register.ends.cutoff(iv.start) > now  # not cut by a day's end
            location = iv.location or (person.location if person is not None else None)
            intervals.append(
                (
                    pid,
                    day.isoformat() if day is not None else None,
                    location,
                    iv.source,
                    to_text(iv.start),
                    None if still_in else to_text(stop),
                    int(iv.end is not None),
                    minutes(counted),
                )
            )
        if person is None:
            continue
        attended = register.by_day(pid)
        for day in started:
            arrival = register.first_arrival(pid, day)
            person_days.append(
                (
                    pid,
                    day.isoformat(),
                    person.location,
                    category(person.gender),
                    register.status(pid, day),
                    minutes(attended.get(day, timedelta())),
                    to_text(arrival) if arrival is not None else None,
                )
            )
    return {"days": days, "attendance_intervals": intervals, "attendance_days": person_days}


def _replace(conn: sqlite3.Connection, rows: Rows) -> None:
    for table in TABLES:
        conn.execute(f"DELETE FROM {table}")
        if rows[table]:
            marks = ", ".join("?" for _ in rows[table][0])
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[table])
