"""``facilitator export``: check the request, take a snapshot, write every file into a fresh folder, publish.

Files are written into a hidden folder inside ``--out`` (readable by its owner only) and moved into place
only when all of them are complete, so a failed export leaves nothing behind and a finished one never shows
a half-written file. Each file gets its mode before it is moved: the owner's only, or the team's in a setgid
team folder (facilitator.record.permissions); so do the folders the export creates.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path

from facilitator import collector
from facilitator.exports import checkins, event_log, report
from facilitator.exports import reflections as refl
from facilitator.exports.cells import DEFAULT_MIN_CELL
from facilitator.exports.groups import groups as groups_table
from facilitator.exports.progress import Progress, Silent
from facilitator.exports.questions import Questions
from facilitator.exports.record import Record, read_record
from facilitator.exports.register import Attendance
from facilitator.exports.snapshot import Snapshot
from facilitator.exports.speaking import Turns
from facilitator.exports.tables import Table, each_text
from facilitator.exports.timeline import Timeline
from facilitator.exports.writers import Writer
from facilitator.problems import InputError, display_path
from facilitator.record.permissions import make_folders, modes_for, set_mode

FORMATS = ("csv", "json", "xlsx", "md", "html")
TABLE_FORMATS = ("csv", "json", "xlsx")
SWITCH_S = 0.0005  # how soon a reading thread gets the interpreter back (see _export)


@dataclass(frozen=True)
class Result:
    """What an export wrote: its folder, the files published there, and how many events and reflections it read."""

    folder: Path
    files: list[Path]
    events: int
    reflections: int


def parse_formats(text: str) -> list[str]:
    wanted = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not wanted:
        raise InputError(f"--format: give one or more of {','.join(FORMATS)}")
    for name in wanted:
        if name not in FORMATS:
            raise InputError(f"--format: {name!r} is not one of {', '.join(FORMATS)}")
    return [name for name in FORMATS if name in wanted]


def check_out_folder(out: Path) -> None:
    """Refuse an --out that is a file, or a folder (or the parent of a new one) that cannot be written to."""
    name = display_path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out: {name} is a file, not a folder")
    existing = out if out.exists() else next((p for p in out.parents if p.exists()), None)
    if existing is None or not existing.is_dir():
        raise InputError(f"--out: {name}: its parent is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"--out: {name}: folder {display_path(existing)} is not writable")


def _writers(folder: Path, formats: Sequence[str]) -> list[Writer]:
    writers: list[Writer] = []
    if "csv" in formats:
        from facilitator.exports.csv_out import CsvWriter

        writers.append(CsvWriter(folder))
    if "json" in formats:
        from facilitator.exports.json_out import JsonWriter

        writers.append(JsonWriter(folder))
    if "xlsx" in formats:
        from facilitator.exports.xlsx_out import XlsxWriter

        writers.append(XlsxWriter(folder))
    return writers


def _write_table(table: Table, writers: Sequence[Writer], progress: Progress, *, csv_only: bool = False) -> None:
    """Write ``table`` with every writer; with CSV the only one, from its CSV lines where it has them."""
    sinks = [writer.table(table) for writer in writers]
    done = 0
    if csv_only and table.csv_lines is not None:
        (sink,) = sinks
        lines = iter(table.csv_lines())
        # A thousand lines at a time, taken in C: nothing done per line here.
        while chunk := list(islice(lines, 1000)):
            sink.lines(chunk)  # type: ignore[attr-defined]
            progress.advance(len(chunk))
    else:
        for row in table.rows:
            for sink in sinks:
                sink.row(row)
            done += 1
            if done % 1000 == 0:
                progress.advance(1000)
    progress.advance(done % 1000)
    for sink in sinks:
        sink.close()


def _tables(
    snapshot: Snapshot,
    record: Record,
    attendance: Attendance,
    timeline: Timeline,
    questions: Questions,
    *,
    speaking: Turns,
    keep: Callable[[refl.Quote], None] | None,
    work: Path,
) -> tuple[list[Table], list[Table]]:
    """The register's tables, and the others; anonymised, every text cell scrubbed, whatever column it is in.
    Files the tables need for a while go into ``work``."""
    register = [
        attendance.by_block(),
        attendance.by_day(),
        attendance.summary(),
        attendance.by_gender(),
        attendance.certificates(),
    ]
    # Written as CSV lines, the quotes are made with the reflections, in one pass.
    quotes = refl.QuoteLines(work) if keep is None and not record.pseudonyms.enabled else None
    others = [
        refl.reflections(snapshot, record, quotes=quotes),
        refl.quotes(snapshot, record, keep=keep, made=quotes),
        timeline.steps_table(),
        timeline.days_table(),
        *questions.tables(),
        groups_table(snapshot, record),  # always, if empty: groups may be made at any time of any run
        *speaking.tables(),
    ]
    if record.pseudonyms.enabled:
        scrub = record.pseudonyms.scrub
        register, others = ([each_text(table, scrub) for table in part] for part in (register, others))
    return register, others


def _write_tables(
    register: list[Table], others: list[Table], folder: Path, formats: Sequence[str], progress: Progress
) -> list[Path]:
    """Write every table in each table format of ``formats``; the files, in the order of the tables."""
    tables = register + others  # the workbook's order, and the files'
    table_formats = [f for f in formats if f in TABLE_FORMATS]
    writers = _writers(folder, table_formats)
    progress.start("writing the tables", None)
    # A workbook's sheets come in the order the tables are written; files of their own do not, and then the
    # register's come last, so that the others are written while SQLite reads the check-ins on its thread.
    for table in tables if "xlsx" in table_formats else others + register:
        if writers or table.name != "reflections":  # with no table format, the report still needs the rest
            _write_table(table, writers, progress, csv_only=table_formats == ["csv"])
    position = {table.name: index for index, table in enumerate(tables)}
    return [path for writer in writers for path in sorted(writer.close(), key=lambda p: position.get(p.stem, 0))]


def export(
    db: Path,
    out: Path,
    *,
    formats: Sequence[str] = FORMATS,
    anonymise: bool = False,
    min_cell: int = DEFAULT_MIN_CELL,
    now: datetime,
    progress: Progress | None = None,
) -> Result:
    """Export the run in ``db`` into the folder ``out`` (created if needed); return what was written.

    ``anonymise``: pseudonyms, scrubbed text, and no group of fewer than ``min_cell`` people in any table.
    """
    from facilitator.record.store import Store

    if min_cell < 1:
        raise InputError(f"--min-cell: {min_cell} is not a number of people (1 or more)")
    progress = progress or Silent()
    check_out_folder(out)
    # The same checks and messages as every command (missing, not a run, too new); read without writing, so a
    # run on read-only media, or one this user may only read, exports from a private copy.
    store = Store.open(db, read_only=True)
    try:
        with collector.paused():  # millions of rows and lines that live until written (facilitator.collector)
            return _export(
                store.path, out, formats=formats, anonymise=anonymise, min_cell=min_cell, now=now, progress=progress
            )
    finally:
        store.close()


def _export(
    db: Path,
    out: Path,
    *,
    formats: Sequence[str],
    anonymise: bool,
    min_cell: int,
    now: datetime,
    progress: Progress,
) -> Result:
    modes = modes_for(out)
    created: list[Path] = []
    try:
        created = make_folders(out, modes)
        work = Path(tempfile.mkdtemp(prefix=".export-", dir=out))  # 0700 while it fills
    except OSError as exc:
        raise InputError(f"--out: {display_path(out)}: cannot write there: {exc.strerror or exc}") from None
    # The threads that read with SQLite (the event log, the check-ins) need the interpreter for a moment after
    # each of their statements' steps: let them have it within half a millisecond, not the default five.
    switching = sys.getswitchinterval()
    sys.setswitchinterval(min(switching, SWITCH_S))
    try:
        with Snapshot(db) as snapshot, contextlib.ExitStack() as running:
            # The event log and the check-ins are read on threads of their own from now on.
            log = event_log.start(snapshot, work, anonymise=anonymise)
            running.callback(log.close)
            reading = checkins.read(snapshot)
            running.callback(reading.close)
            record = read_record(snapshot, now, anonymise=anonymise, progress=progress, min_cell=min_cell)
            attendance = Attendance(snapshot, record, reading)
            timeline = Timeline(record)
            picker = report.QuotePicker()
            reflection_count = refl.count(snapshot)
            questions = Questions(snapshot, record)
            speaking = Turns(snapshot, record)
            # the report picks its quotes as they are written: without a report, none are kept
            keep = picker if "md" in formats or "html" in formats else None
            register, others = _tables(
                snapshot, record, attendance, timeline, questions, speaking=speaking, keep=keep, work=work
            )
            files = _write_tables(register, others, work, formats, progress)
            files.append(log.finish(record, progress))
            if "md" in formats or "html" in formats:
                data = report.build(
                    attendance,
                    timeline,
                    picker,
                    reflection_count,
                    anonymised=anonymise,
                    questions=questions,
                    speaking=speaking,
                )
                files.extend(report.render(data, work, formats, record.pseudonyms.scrub))
            events = snapshot.event_count
        for path in files:
            set_mode(path, modes.file)
        published = []
        for path in files:
            target = out / path.name
            os.replace(path, target)
            published.append(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if created:
            shutil.rmtree(created[0], ignore_errors=True)
        raise
    finally:
        sys.setswitchinterval(switching)
        progress.close()
    shutil.rmtree(work, ignore_errors=True)
    return Result(out, published, events, reflection_count)
