"""``facilitator export``: check the request, take a snapshot, write every file into a fresh folder, publish.

Files are written into a hidden folder inside ``--out`` (readable by its owner only) and moved into place
only when all of them are complete, so a failed export leaves nothing behind and a finished one never shows
a half-written file. Each file gets its mode before it is moved: the owner's only, or the team's in a setgid
team folder (facilitator.record.permissions); so do the folders the export creates.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from facilitator.exports import event_log, report
from facilitator.exports import reflections as refl
from facilitator.exports.cells import DEFAULT_MIN_CELL
from facilitator.exports.progress import Progress, Silent
from facilitator.exports.questions import Questions
from facilitator.exports.record import read_record
from facilitator.exports.register import Attendance
from facilitator.exports.snapshot import Snapshot
from facilitator.exports.tables import Table, each_text
from facilitator.exports.timeline import Timeline
from facilitator.exports.writers import Writer
from facilitator.problems import InputError, display_path
from facilitator.record.permissions import make_folders, modes_for, set_mode

FORMATS = ("csv", "json", "xlsx", "md", "html")
TABLE_FORMATS = ("csv", "json", "xlsx")


@dataclass(frozen=True)
class Result:
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


def _write_table(table: Table, writers: Sequence[Writer], progress: Progress) -> None:
    sinks = [writer.table(table) for writer in writers]
    done = 0
    for row in table.rows:
        for sink in sinks:
            sink.row(row)
        done += 1
        if done % 1000 == 0:
            progress.advance(1000)
    progress.advance(done % 1000)
    for sink in sinks:
        sink.close()


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
    try:
        with Snapshot(db) as snapshot:
            record = read_record(snapshot, now, anonymise=anonymise, progress=progress, min_cell=min_cell)
            attendance = Attendance(snapshot, record)
            timeline = Timeline(record)
            picker = report.QuotePicker()
            reflection_count = refl.count(snapshot)
            questions = Questions(snapshot, record)
            tables = [  # the per-block table first: its pass over the check-ins feeds the others
                attendance.by_block(),
                attendance.by_day(),
                attendance.summary(),
                attendance.by_gender(),
                attendance.certificates(),
                refl.reflections(snapshot, record),
                refl.quotes(snapshot, record, keep=picker),
                timeline.steps_table(),
                timeline.days_table(),
                *questions.tables(),
            ]
            if anonymise:  # every text cell of every table, whatever column it is in
                tables = [each_text(table, record.pseudonyms.scrub) for table in tables]
            writers = _writers(work, [f for f in formats if f in TABLE_FORMATS])
            progress.start("writing the tables", None)
            for table in tables:
                if writers or table.name != "reflections":  # with no table format, the report still needs the rest
                    _write_table(table, writers, progress)
            files = [path for writer in writers for path in writer.close()]
            files.append(event_log.write(snapshot, work, record, progress))
            if "md" in formats or "html" in formats:
                data = report.build(
                    attendance, timeline, picker, reflection_count, anonymised=anonymise, questions=questions
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
        progress.close()
    shutil.rmtree(work, ignore_errors=True)
    return Result(out, published, events, reflection_count)
