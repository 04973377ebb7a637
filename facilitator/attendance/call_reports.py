"""Video-call attendance reports (Zoom, Microsoft Teams) read, matched to the roster, turned into check-ins.

Layouts understood (the README's "Video-call reports" lists every column name, language and encoding):

- Zoom participants report: ``Name (Original Name), User Email, Join Time, Leave Time, ...``, one row
  per join, optionally below a meeting block and a blank line. The "unique users" export has no join and
  leave times and is refused with a clear message.
- Teams attendance report: ``1. Summary``, ``2. Participants`` (first join, last leave) and ``3. In-Meeting
  Activities`` (one row per join, used when present), or the 2021 report (``Meeting Summary`` then
  ``Full Name, Join Time, Leave Time, ...``).
- The older Teams attendance list: ``Full Name, User Action, Timestamp``, one row per join or leave.

The file's encoding and separator are in ``report_text``, the column names of each language in
``report_vocabulary``, the times and the order of day and month in ``report_dates``.

Times in the reports are local: the location's time zone applies unless the file states one (an ISO
time with an offset, or a ``Time zone`` line in the summary).

No message about a bad file quotes a cell that could hold a name or an e-mail address: only column
names this module knows and times are quoted. The summary lists unmatched people by name; a dry run
adds their e-mail addresses, for the organiser to add them to the roster.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from facilitator.attendance import report_dates as dates
from facilitator.attendance import report_vocabulary as words
from facilitator.attendance.report_text import Record, decode, filled, read_table
from facilitator.attendance.roster import Participant, Roster
from facilitator.problems import InputError, Problem, display_path
from facilitator.record.clock import to_text
from facilitator.text import printable

CHECKED_IN = "attendance.checked_in"
CHECKED_OUT = "attendance.checked_out"
ZOOM = words.ZOOM
TEAMS = words.TEAMS
DATE_ORDERS = dates.ORDERS

# -- reading the file ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One join (or, in the older Teams layout, one joined-to-left span) of one person, as the report says it."""

    line: int
    name: str
    email: str
    joined: datetime  # aware, UTC
    left: datetime | None  # None: still in the call when the report was made
    role: str = ""  # Teams' Role column, as written


@dataclass(frozen=True)
class Report:
    """A video-call report as read: its file, the service (``source``) and layout, the time zone its times
    were read in, and its rows."""

    file: str
    source: str  # ZOOM or TEAMS
    layout: str  # how the summary names it
    timezone: str  # what the times were read in
    rows: tuple[Row, ...]
    language: str | None = None  # of the column names, when they say
    date_order: str | None = None  # dates.DMY or dates.MDY; None when no date needed one


@dataclass
class _Section:
    """A report's participant list: the layout its header matched, on which line, and the rows under it."""

    layout: words.Layout
    header_line: int
    header: list[str]
    columns: dict[str, int]
    language: str | None
    rows: list[Record] = field(default_factory=list)


# Quoted back only when shaped like a zone name: whatever else a shifted cell holds could be personal.
_ZONE_SHAPED = re.compile(r"^[A-Za-z0-9_+\-/]{1,40}$")
_EXAMPLE = {ZOOM: "08/22/2022 08:01:33 AM", TEAMS: "8/22/2022, 8:01:33 AM or 22/08/22, 08:01:33"}
_ORDER_NAMES = {dates.DMY: "day-first", dates.MDY: "month-first"}


def _find_section(records: Sequence[Record]) -> _Section | None:
    """The participant list of the likeliest layout: Zoom, then Teams' activities, participants, actions."""
    for layout in words.LAYOUTS:
        for index, (line, cells) in enumerate(records):
            columns = words.match_header(cells, layout)
            if columns is None:
                continue
            section = _Section(layout, line, cells, columns, words.header_language(cells, layout))
            for row_line, row in records[index + 1 :]:
                if not filled(row) or words.is_section_title(row):
                    break  # a blank line or the next section's title ends the list
                section.rows.append((row_line, row))
            return section
    return None


def _missing_column_problem(records: Sequence[Record], file: str) -> Problem:
    """The clearest thing to say when no participant list was found: which column the likeliest header lacks."""
    best: tuple[int, int, list[str], words.Layout] | None = None
    for line, cells in records:
        keys = {words.normalise_header(c) for c in cells}
        if keys & words.ZOOM_TOTALS:
            return Problem(
                file,
                line,
                "Join Time",
                "this is Zoom's unique-users report (total minutes only); export the participants "
                "report with 'Show unique users' unticked, so that it has Join Time and Leave Time",
            )
        for layout in words.LAYOUTS:
            score = len(keys & layout.index.keys())
            # Two known column names at least: a person called "Guest" does not make a row a header.
            if score >= 2 and (best is None or score > best[0]):
                best = (score, line, cells, layout)
    if best is None:
        return Problem(
            file,
            1,
            "header",
            "no participant list found; expected a Zoom participants report (Name (Original Name), "
            "User Email, Join Time, Leave Time) or a Teams attendance report, with column names in "
            "English, French, Spanish, Portuguese or German",
        )
    _, line, cells, layout = best
    found = {layout.index[k].role for k in (words.normalise_header(c) for c in cells) if k in layout.index}
    missing = [role for role in layout.required if role not in found]
    if not missing:  # Zoom's columns, but none that only Zoom writes: too little to tell it from Teams
        zoom_own = "User Email, Duration (Minutes) or Guest"
        return Problem(
            file,
            line,
            "header",
            f"is not one this command knows ({_header_shown(cells)}); a Zoom participants report also has {zoom_own}",
        )
    return Problem(
        file, line, _expected_title(layout, missing[0], cells), f"column is missing ({_header_shown(cells)})"
    )


def _expected_title(layout: words.Layout, role: str, cells: Sequence[str]) -> str:
    """The missing column's name in the header's own language, if the layout has it in that language."""
    language = words.header_language(cells, layout) or words.ENGLISH
    titles = [c.title for c in layout.index.values() if c.role == role and c.language == language]
    return (titles or layout.titles(role))[0]


def _header_shown(cells: Sequence[str]) -> str:
    """The header's known column names, and how many others: a row that is not a header is not quoted."""
    known = [c.strip() for c in cells if c.strip() and words.known_title(c)]
    others = sum(1 for c in cells if c.strip() and not words.known_title(c))
    shown = f"the header has: {printable(', '.join(known))}" if known else "the header has no known column"
    if others:
        shown += f", and {others} other column{'s' if others > 1 else ''}"
    return shown


def _summary_timezone(records: Sequence[Record], file: str) -> tuple[str, int] | None:
    """A time zone the file states in a ``Time zone`` summary line, if any."""
    for line, cells in records:
        if len(cells) >= 2 and words.normalise_header(cells[0]) in ("time zone", "timezone"):
            name = cells[1].strip()
            if name.upper() in ("UTC", "GMT", "Z"):
                return "UTC", line
            try:
                zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder of zones
                shown = f"{name!r}" if _ZONE_SHAPED.match(name) else "this value"
                raise InputError([Problem(file, line, cells[0].strip(), f"{shown} is not an IANA time zone")]) from None
            return name, line
    return None


def _load(path: Path) -> tuple[str, str]:
    """The file's display name and its text."""
    file = display_path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{file}: is a folder, not a report") from None
    except OSError as exc:
        raise InputError(f"{file}: cannot be read: {exc.strerror or exc}") from None
    text = decode(data, file)
    if not text.strip():
        raise InputError(
            [Problem(file, 1, "file", "is empty; expected a Zoom participants report or a Teams attendance report")]
        )
    return file, text


def read_report(path: Path, *, timezone: str, days: Sequence[date] = (), date_order: str | None = None) -> Report:
    """Read a Zoom or Teams report; every problem is an :class:`InputError` naming file, line and column.

    ``date_order`` (``"dmy"`` or ``"mdy"``) is for a file whose dates read both ways; without it, the
    file's own dates, its language and then the workshop's ``days`` decide, or the file is refused.
    """
    file, text = _load(path)
    table = read_table(text, file, lambda records: _find_section(records) is not None)
    section = _find_section(table.records)
    if section is None:
        raise InputError([_missing_column_problem(table.records, file)])

    stated = _summary_timezone(table.records, file)
    zone_name = stated[0] if stated else timezone
    zone = zoneinfo.ZoneInfo(zone_name)

    problems, cells_by_line, stamps = _check_rows(section, file)
    order, time_problems = _settle_order(stamps, section, file, asked=date_order, days=days)
    problems += time_problems
    rows: list[Row] = []
    if order is not None:  # the rows whose times were read, so that a leave before its join is said too
        unread = {p.line for p in time_problems}
        readable = {line: cells for line, cells in cells_by_line.items() if line not in unread}
        rows = _rows(section, readable, order=order, zone=zone, file=file, problems=problems)
    if problems:
        raise InputError(sorted(set(problems)))
    if not rows:
        raise InputError([Problem(file, section.header_line, "file", "lists no participants")])
    local = [s for s in stamps if dates.stated_time(s.text) is None]
    return Report(
        file=file,
        source=section.layout.source,
        layout=section.layout.name,
        timezone=zone_name,
        rows=tuple(rows),
        language=section.language,
        date_order=order if any(_needs_order(s.text) for s in local) else None,
    )


def _needs_order(text: str) -> bool:
    shape = dates.shape_of(text)
    return shape is not None and not shape.year_first and shape.first != shape.second


def _title(section: _Section, role: str) -> str:
    return section.header[section.columns[role]].strip()


def _check_rows(section: _Section, file: str) -> tuple[list[Problem], dict[int, dict[str, str]], list[dates.Stamp]]:
    """Problems of the rows' shape, each row's cells by role, and every time to read."""
    problems: list[Problem] = []
    width = len(filled(section.header))
    cells_by_line: dict[int, dict[str, str]] = {}
    stamps: list[dates.Stamp] = []
    time_roles = (words.JOIN, words.LEAVE) if section.layout.intervals else (words.TIME,)
    for line, row in section.rows:
        if len(filled(row)) > len(section.header):
            problems.append(
                Problem(
                    file,
                    line,
                    "row",
                    f"has {len(filled(row))} fields; the header (line {section.header_line}) has {width}",
                )
            )
            continue
        before = len(problems)
        cells = {role: (row[i].strip() if i < len(row) else "") for role, i in section.columns.items()}
        for role in section.layout.required:
            if not cells[role] and role != words.LEAVE:  # no leave time: still in the call
                problems.append(Problem(file, line, _title(section, role), "is empty"))
        stamps.extend(dates.Stamp(line, _title(section, role), cells[role]) for role in time_roles if cells[role])
        if cells.get(words.ACTION) and words.action_of(cells[words.ACTION]) is None:
            expected = f"is neither joined nor left (expected one of: {words.action_words()})"
            problems.append(Problem(file, line, _title(section, words.ACTION), expected))
        if len(problems) == before:
            cells_by_line[line] = cells
    return problems, cells_by_line, stamps


def _settle_order(
    stamps: Sequence[dates.Stamp], section: _Section, file: str, *, asked: str | None, days: Sequence[date]
) -> tuple[str | None, list[Problem]]:
    """Day first or month first for the whole file, and a problem for every time it cannot read."""
    example = "13/04/2021 à 09:01:31" if section.language == "fr" else _EXAMPLE[section.layout.source]
    problems: list[Problem] = []
    shaped: list[tuple[dates.Stamp, dates.Shape]] = []
    for stamp in stamps:
        if dates.stated_time(stamp.text) is not None:
            continue  # a time that states its offset is read as such
        shape = dates.shape_of(stamp.text)
        if shape is None:
            problems.append(Problem(file, stamp.line, stamp.column, f"{_cannot_read(stamp)} (expected like {example})"))
        else:
            shaped.append((stamp, shape))
    decision = dates.decide_order([s for _, s in shaped], language=section.language, asked=asked, days=days)
    if decision.order is None:
        first = next(st for st, s in shaped if not s.year_first and s.first != s.second)
        return None, [*problems, _ambiguous_problem(first, file)]
    how = _ORDER_NAMES[decision.order]
    # Only an asked order, or dates that contradict each other, leave a time unread here.
    why = f"--date-order {asked}" if asked else f"most of the file's dates are {how}"
    for stamp, shape in shaped:
        if dates.local_time(shape, decision.order) is None:
            message = f"{_cannot_read(stamp, as_what=f'a {how} date and time')} ({why})"
            problems.append(Problem(file, stamp.line, stamp.column, message))
    return decision.order, problems


def _cannot_read(stamp: dates.Stamp, *, as_what: str = "a date and time") -> str:
    if dates.quotable(stamp.text):
        return f"cannot read {printable(stamp.text)!r} as {as_what}"
    return f"cannot read this cell as {as_what}"


def _ambiguous_problem(stamp: dates.Stamp, file: str) -> Problem:
    value = f"{printable(stamp.text)!r}" if dates.quotable(stamp.text) else "this date"
    return Problem(
        file,
        stamp.line,
        stamp.column,
        f"{value} reads day-first and month-first, and nothing in the file settles which (no day above 12, "
        "no language or workshop day that decides); run again with --date-order dmy (day first) or "
        "--date-order mdy (month first)",
    )


def _to_utc(text: str, order: str | None, zone: zoneinfo.ZoneInfo) -> datetime:
    stated = dates.stated_time(text)
    if stated is not None:
        return stated
    shape = dates.shape_of(text)
    local = None if shape is None else dates.local_time(shape, order)
    assert local is not None, "every time was checked by _settle_order"
    return local.replace(tzinfo=zone).astimezone(UTC)


def _rows(
    section: _Section,
    cells_by_line: dict[int, dict[str, str]],
    *,
    order: str | None,
    zone: zoneinfo.ZoneInfo,
    file: str,
    problems: list[Problem],
) -> list[Row]:
    """The report's joins in UTC; a leave before its join is added to ``problems``."""
    if not section.layout.intervals:
        return _rows_from_actions(cells_by_line, order=order, zone=zone)
    rows: list[Row] = []
    for line, cells in cells_by_line.items():
        joined = _to_utc(cells[words.JOIN], order, zone)
        left = _to_utc(cells[words.LEAVE], order, zone) if cells[words.LEAVE] else None
        if left is not None and left < joined:
            leave, join = _title(section, words.LEAVE), _title(section, words.JOIN)
            problems.append(Problem(file, line, leave, f"is before {join}"))
            continue
        role = cells.get(words.ROLE, "")
        rows.append(Row(line, cells[words.NAME], cells.get(words.EMAIL, ""), joined, left, role))
    return rows


def _rows_from_actions(
    cells_by_line: dict[int, dict[str, str]], *, order: str | None, zone: zoneinfo.ZoneInfo
) -> list[Row]:
    """Joined and left actions paired per person in time order; "joined" twice: the first one counts."""
    rows: list[Row] = []
    open_joins: dict[str, tuple[int, datetime]] = {}
    actions = sorted(
        ((_to_utc(c[words.TIME], order, zone), line, c) for line, c in cells_by_line.items()),
        key=lambda a: (a[0], a[1]),
    )
    for at, line, cells in actions:
        key = normalise_name(cells[words.NAME])
        if words.action_of(cells[words.ACTION]) == "joined":
            open_joins.setdefault(key, (line, at))
        elif key in open_joins:
            start_line, start = open_joins.pop(key)
            rows.append(Row(start_line, cells[words.NAME], "", start, at))
        # A Left without a Joined before it: joined before the list started; nothing to record.
    for line, start in open_joins.values():
        rows.append(Row(line, cells_by_line[line][words.NAME], "", start, None))
    rows.sort(key=lambda r: r.line)
    return rows


# -- matching -----------------------------------------------------------------------------------------


def normalise_name(name: str) -> str:
    """Case, accents and spacing do not tell people apart: ``"  José  GARCÍA "`` → ``"jose garcia"``."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def name_candidates(name: str) -> list[str]:
    """The normalised names a report's name may stand for, best first.

    Zoom writes a renamed participant as ``Name (Original Name)``; Teams writes many directories'
    names as ``Last, First``.
    """
    out: list[str] = []

    def add(text: str) -> None:
        key = normalise_name(text)
        if key and key not in out:
            out.append(key)

    add(name)
    found = re.match(r"^(.*?)\s*\(([^()]*)\)\s*$", name)
    if found:
        add(found.group(1))
        add(found.group(2))
    for candidate in list(out):
        if candidate.count(",") == 1:
            last, first = candidate.split(",")
            add(f"{first} {last}")
    return out


@dataclass
class Matched:
    """A person on the roster whom rows of the report were matched to (by e-mail or by name): those rows,
    and the time they were in the call."""

    participant: Participant
    how: str  # "e-mail" or "name"
    rows: list[Row] = field(default_factory=list)
    intervals: list[tuple[datetime, datetime | None]] = field(default_factory=list)


@dataclass
class Reconciliation:
    """A report matched to the roster for one location: who was matched, who was not (or matched
    several people), and the check-in and check-out events to write."""

    report: Report
    location: str
    matched: dict[str, Matched]  # by participant id
    unmatched: dict[str, Row]  # normalised name → the first row the report wrote it on
    ambiguous: dict[str, tuple[str, int]]  # normalised name → (name, how many roster people share it)
    items: list[tuple[str, dict[str, Any]]]
    event_ids: list[str]
    new: int  # how many of the events are not in the log yet


def merge_intervals(spans: Iterable[tuple[datetime, datetime | None]]) -> list[tuple[datetime, datetime | None]]:
    """Join spans that overlap or touch; an open span (no end) swallows everything after its start."""
    merged: list[tuple[datetime, datetime | None]] = []
    for start, end in sorted(spans, key=lambda s: s[0]):
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None or start <= last_end:
                new_end = None if last_end is None or end is None else max(last_end, end)
                merged[-1] = (last_start, new_end)
                continue
        merged.append((start, end))
    return merged


def _event_id(kind: str, payload: dict[str, Any]) -> str:
    """The same check-in or check-out from the same kind of report always gets the same id.

    Derived from what is recorded (not from the file's bytes), so importing a report again, or a later
    export of the same meeting that merely adds people, stores each interval once.
    """
    key = "\x1f".join([kind, payload["source"], payload["location"], payload["participant"], payload["at"]])
    return f"report-{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def reconcile(report: Report, roster: Roster, *, location: str, known_ids: Iterable[str] = ()) -> Reconciliation:
    """Match the report's rows to the roster and build the check-in and check-out events (not yet written)."""
    by_email = {email.casefold(): person for email, person in roster.by_email.items()}
    by_name: dict[str, list[Participant]] = {}
    for someone in roster.by_id.values():
        by_name.setdefault(normalise_name(someone.name), []).append(someone)

    matched: dict[str, Matched] = {}
    unmatched: dict[str, Row] = {}
    ambiguous: dict[str, tuple[str, int]] = {}
    for row in report.rows:
        person: Participant | None = by_email.get(row.email.strip().casefold()) if row.email.strip() else None
        how = "e-mail"
        if person is None:
            how = "name"
            for key in name_candidates(row.name):
                people = by_name.get(key, [])
                if len(people) == 1:
                    person = people[0]
                    break
                if len(people) > 1:
                    ambiguous.setdefault(normalise_name(row.name), (row.name, len(people)))
                    break
        if person is None:
            key = normalise_name(row.name)
            if key not in ambiguous:
                unmatched.setdefault(key, row)
            continue
        entry = matched.setdefault(person.id, Matched(person, how))
        if how == "e-mail":
            entry.how = "e-mail"
        entry.rows.append(row)

    timeline: list[tuple[datetime, int, str, str, dict[str, Any]]] = []
    for pid, entry in matched.items():
        entry.intervals = merge_intervals((r.joined, r.left) for r in entry.rows)
        for start, end in entry.intervals:
            event_in = {"participant": pid, "at": to_text(start), "source": report.source, "location": location}
            timeline.append((start, 0, _event_id(CHECKED_IN, event_in), CHECKED_IN, event_in))
            if end is not None:
                event_out = {"participant": pid, "at": to_text(end), "source": report.source, "location": location}
                event_id = _event_id(CHECKED_OUT, event_out)
                del event_out["location"]
                timeline.append((end, 1, event_id, CHECKED_OUT, event_out))
    timeline.sort(key=lambda t: (t[0], t[1], t[2]))
    known = set(known_ids)
    event_ids = [t[2] for t in timeline]
    return Reconciliation(
        report=report,
        location=location,
        matched=matched,
        unmatched=unmatched,
        ambiguous=ambiguous,
        items=[(t[3], t[4]) for t in timeline],
        event_ids=event_ids,
        new=sum(1 for eid in event_ids if eid not in known),
    )


def summary(result: Reconciliation, *, written: bool | None) -> list[str]:
    """What the import found and did, for people: names, never e-mails, except in a dry run.

    ``written``: True once recorded, False for a dry run, None when there was nothing new to record. A
    dry run also shows each matched person's intervals, and the e-mail address of everyone not matched,
    so that the organiser can add them to the roster before importing.
    """
    report = result.report
    dry_run = written is False
    by_email = sum(1 for m in result.matched.values() if m.how == "e-mail")
    intervals = sum(len(m.intervals) for m in result.matched.values())
    lines = [
        f"{report.file}: {_described(report)}, {len(report.rows)} rows, times read in {report.timezone}",
        f"  matched {len(result.matched)} people ({by_email} by e-mail, {len(result.matched) - by_email} by name) "
        f"in {intervals} intervals",
    ]
    if dry_run:
        lines += _would_record(result)
    elsewhere = sorted(m.participant.name for m in result.matched.values() if m.participant.location != result.location)
    if elsewhere:
        lines.append(f"  on the roster at another location ({len(elsewhere)}): {', '.join(map(printable, elsewhere))}")
    if result.unmatched:
        rows = sorted(result.unmatched.values(), key=lambda r: normalise_name(r.name))
        shown = ", ".join(_unmatched(r, with_email=dry_run) for r in rows)
        lines.append(f"  not matched ({len(rows)}): {shown}")
    for name, count in sorted(result.ambiguous.values(), key=lambda a: normalise_name(a[0])):
        lines.append(f"  ambiguous: {printable(name)} matches {count} people on the roster; not recorded")
    events = len(result.items)
    if written is None:
        lines.append(f"nothing new: all {events} events of this report are already recorded")
    elif written:
        lines.append(f"recorded {result.new} events ({events - result.new} already recorded)")
    else:
        lines.append(f"dry run: would record {result.new} events; nothing written")
    return lines


def _described(report: Report) -> str:
    """The layout, with the language of its columns when not English, and how dates were read."""
    parts = [report.layout]
    if report.language and report.language != words.ENGLISH:
        parts[0] += f" in {words.LANGUAGE_NAMES[report.language]}"
    if report.date_order:
        parts.append(_ORDER_NAMES[report.date_order] + " dates")
    return ", ".join(parts)


def _unmatched(row: Row, *, with_email: bool) -> str:
    text = printable(row.name)
    if with_email and row.email.strip():
        text += f" <{printable(row.email.strip())}>"
    if row.role.strip() and words.normalise_header(row.role) not in words.ATTENDEE_WORDS:
        text += f" ({printable(row.role.strip())})"
    return text


def _would_record(result: Reconciliation) -> list[str]:
    """Each matched person's intervals, in the time zone the report was read in."""
    zone = zoneinfo.ZoneInfo(result.report.timezone)
    lines = []
    for entry in sorted(result.matched.values(), key=lambda m: normalise_name(m.participant.name)):
        spans = ", ".join(_span(start, end, zone) for start, end in entry.intervals)
        lines.append(f"    {printable(entry.participant.name)}: {spans}")
    return lines


def _span(start: datetime, end: datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    begin = start.astimezone(zone)
    if end is None:
        return f"{begin:%Y-%m-%d %H:%M:%S} to (still in the call)"
    finish = end.astimezone(zone)
    until = f"{finish:%H:%M:%S}" if finish.date() == begin.date() else f"{finish:%Y-%m-%d %H:%M:%S}"
    return f"{begin:%Y-%m-%d %H:%M:%S} to {until}"
