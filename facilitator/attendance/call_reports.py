"""Video-call attendance reports (Zoom, Microsoft Teams) read, matched to the roster, turned into check-ins.

Layouts understood (English column names, as the services write them):

- Zoom participants report (CSV, UTF-8, optionally with a BOM): ``Name (Original Name), User Email,
  Join Time, Leave Time, Duration (Minutes), Guest, ...``, optionally below a meeting block
  (``Meeting ID, Topic, Start Time, ...``) and a blank line. One row per join; times like
  ``08/22/2022 08:01:33 AM``. The "unique users" variant (``Total Duration (Minutes)``, no join and
  leave times) cannot give intervals and is refused with a clear message.
- Microsoft Teams attendance report (tab-separated, UTF-16 with BOM): ``1. Summary`` (key, tab, value),
  ``2. Participants`` (``Name, First Join, Last Leave, In-Meeting Duration, Email, Participant ID (UPN),
  Role``) and, in newer downloads, ``3. In-Meeting Activities`` (``Name, Join Time, Leave Time,
  Duration, Email, Role``: one row per join). The activities are used when present; otherwise first
  join to last leave is one interval. Times like ``15/11/22, 09:30:17`` or ``5/15/2023, 10:00:00 AM``.
- The older Teams download: ``Full Name, User Action (Joined/Left), Timestamp``, tab-separated UTF-16.

Times in the reports are local: the location's time zone applies unless the file states one (an ISO
time with an offset, or a ``Time zone`` line in the summary). Day-first and month-first dates are told
apart by reading every time of the file with one format, preferring the one that lands on workshop days.

Nothing here logs a name or an e-mail; the summary lists unmatched people by name only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from facilitator.attendance.roster import Participant, Roster
from facilitator.problems import InputError, Problem, display_path
from facilitator.record.clock import to_text
from facilitator.text import printable

CHECKED_IN = "attendance.checked_in"
CHECKED_OUT = "attendance.checked_out"
ZOOM = "zoom"
TEAMS = "teams"

# -- reading the file ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One join (or, in the older Teams layout, one action) of one person, as the report says it."""

    line: int
    name: str
    email: str
    joined: datetime  # aware, UTC
    left: datetime | None  # None: still in the call when the report was made


@dataclass(frozen=True)
class Report:
    file: str
    source: str  # ZOOM or TEAMS
    layout: str  # how the summary names it
    timezone: str  # what the times were read in
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class _Layout:
    name: str
    columns: dict[str, tuple[str, ...]]  # role → accepted header names (normalised)
    required: tuple[str, ...]
    intervals: bool = True  # False: one row per action (Joined / Left)


ZOOM_LAYOUT = _Layout(
    "Zoom participants report",
    {
        "name": ("name (original name)", "name", "participant", "user name"),
        "email": ("user email", "email", "e-mail"),
        "join": ("join time",),
        "leave": ("leave time",),
    },
    ("name", "join", "leave"),
)
TEAMS_ACTIVITIES = _Layout(
    "Teams attendance report (in-meeting activities)",
    {
        "name": ("name", "full name"),
        "email": ("email", "e-mail", "participant id (upn)"),
        "join": ("join time",),
        "leave": ("leave time",),
    },
    ("name", "join", "leave"),
)
TEAMS_PARTICIPANTS = _Layout(
    "Teams attendance report (participants)",
    {
        "name": ("name", "full name"),
        "email": ("email", "e-mail", "participant id (upn)"),
        "join": ("first join",),
        "leave": ("last leave",),
    },
    ("name", "join", "leave"),
)
TEAMS_ACTIONS = _Layout(
    "Teams attendance list (joined/left actions)",
    {"name": ("full name", "name"), "action": ("user action",), "time": ("timestamp",)},
    ("name", "action", "time"),
    intervals=False,
)

_SECTION = re.compile(r"^\s*\d+\.\s*(summary|participants|in-meeting activities)\s*$", re.IGNORECASE)
# A header row of the Zoom "unique users" export: it has no join and leave times to make intervals from.
_ZOOM_TOTALS = "total duration (minutes)"

_DATES = ("%m/%d/%Y", "%d/%m/%Y", "%m/%d/%y", "%d/%m/%y", "%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%Y/%m/%d")
_TIMES = ("%I:%M:%S %p", "%I:%M %p", "%H:%M:%S", "%H:%M")
FORMATS = tuple(f"{d}{sep}{t}" for d in _DATES for sep in (" ", ", ") for t in _TIMES)
_EXAMPLE = {ZOOM: "08/22/2022 08:01:33 AM", TEAMS: "8/22/2022, 8:01:33 AM or 22/08/22, 08:01:33"}


def _norm_header(cell: str) -> str:
    return " ".join(cell.strip().lower().split())


def _decode(data: bytes, file: str) -> str:
    """The text of a report: UTF-16 (Teams) by BOM or by its NUL bytes, else UTF-8 with or without BOM."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] != 0:
        encoding = "utf-16-le"
    elif len(data) >= 4 and data[0] == 0 and data[2] == 0 and data[1] != 0:
        encoding = "utf-16-be"
    else:
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode(encoding, errors="replace")
        line = before.count("\n") + 1
        shown = " ".join(f"0x{b:02x}" for b in data[exc.start : min(exc.end, exc.start + 4)])
        expected = "UTF-16" if encoding.startswith("utf-16") else "UTF-8"
        raise InputError(
            [
                Problem(
                    file,
                    line,
                    "encoding",
                    f"byte {shown} is not {expected}; save the report as UTF-8 CSV (Zoom) "
                    "or download it again (Teams) and retry",
                )
            ]
        ) from None


def _records(text: str, file: str) -> tuple[list[tuple[int, list[str]]], str]:
    """Every record of the file with the line it starts on, and the delimiter."""
    head = [line for line in text.splitlines() if line.strip()][:8]
    delimiter = "\t" if any("\t" in line for line in head) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for fields in reader:
            records.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError([Problem(file, reader.line_num, "row", f"cannot be read as CSV: {exc}")]) from None
    return records, delimiter


def _match_header(cells: Sequence[str], layout: _Layout) -> dict[str, int] | None:
    """Column index of each role when ``cells`` is a header row of ``layout``, else None."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = _norm_header(cell)
        for role, names in layout.columns.items():
            if role not in found and key in names:
                found[role] = index
                break
    if all(role in found for role in layout.required):
        return found
    return None


@dataclass
class _Section:
    layout: _Layout
    header_line: int
    header: list[str]
    columns: dict[str, int]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


def _find_section(records: list[tuple[int, list[str]]], layouts: Sequence[_Layout]) -> _Section | None:
    for layout in layouts:
        for index, (line, cells) in enumerate(records):
            columns = _match_header(cells, layout)
            if columns is None:
                continue
            section = _Section(layout, line, cells, columns)
            for row_line, row in records[index + 1 :]:
                if not any(cell.strip() for cell in row):
                    break  # a blank line ends the list
                if len(row) == 1 and _SECTION.match(row[0]):
                    break
                section.rows.append((row_line, row))
            return section
    return None


def _missing_column_problem(records: list[tuple[int, list[str]]], file: str, source: str) -> Problem:
    """The clearest thing to say when no participant list was found: which column the likeliest header lacks."""
    layouts = (ZOOM_LAYOUT,) if source == ZOOM else (TEAMS_ACTIVITIES, TEAMS_PARTICIPANTS, TEAMS_ACTIONS)
    best: tuple[int, int, list[str], _Layout] | None = None
    for line, cells in records:
        keys = {_norm_header(c) for c in cells}
        if source == ZOOM and _ZOOM_TOTALS in keys and ("name (original name)" in keys or "name" in keys):
            return Problem(
                file,
                line,
                "Join Time",
                "this is Zoom's unique-users report (total minutes only); export the participants "
                "report with 'Show unique users' unticked, so that it has Join Time and Leave Time",
            )
        for layout in layouts:
            score = sum(1 for names in layout.columns.values() if keys & set(names))
            if score and (best is None or score > best[0]):
                best = (score, line, cells, layout)
    if best is None:
        return Problem(
            file,
            1,
            "header",
            "no participant list found; expected a Zoom participants report (Name (Original Name), "
            "User Email, Join Time, Leave Time) or a Teams attendance report",
        )
    _, line, cells, layout = best
    keys = {_norm_header(c) for c in cells}
    missing = [role for role in layout.required if not keys & set(layout.columns[role])]
    column = layout.columns[missing[0]][0].title()
    found = ", ".join(c.strip() for c in cells if c.strip())
    return Problem(file, line, column, f"column is missing (the header has: {printable(found)})")


def _summary_timezone(records: list[tuple[int, list[str]]], file: str) -> tuple[str, int] | None:
    """A time zone the file states in a ``Time zone`` summary line, if any."""
    for line, cells in records:
        if len(cells) >= 2 and _norm_header(cells[0]) in ("time zone", "timezone"):
            name = cells[1].strip()
            if name.upper() in ("UTC", "GMT", "Z"):
                return "UTC", line
            try:
                zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder of zones
                raise InputError(
                    [Problem(file, line, cells[0].strip(), f"{printable(name)!r} is not an IANA time zone")]
                ) from None
            return name, line
    return None


@dataclass(frozen=True)
class _Stamp:
    line: int
    column: str
    text: str


def _parse_all(stamps: list[_Stamp], zone: zoneinfo.ZoneInfo, days: Sequence[date]) -> tuple[str | None, list[_Stamp]]:
    """The one format that reads every stamp (preferring one that lands on workshop days), and the unreadable."""
    stamps = [s for s in stamps if _iso(s.text) is None]  # a time that states its offset is read as such
    if not stamps:
        return "iso", []
    best: tuple[str, list[_Stamp]] | None = None
    fitting: list[str] = []
    for fmt in FORMATS:
        failed = [s for s in stamps if _strptime(s.text, fmt) is None]
        if not failed:
            fitting.append(fmt)
        elif best is None or len(failed) < len(best[1]):
            best = (fmt, failed)
    if fitting:
        wanted = set(days)
        for fmt in fitting:
            parsed = [_strptime(s.text, fmt) for s in stamps]
            if wanted and all(p is not None and p.replace(tzinfo=zone).date() in wanted for p in parsed):
                return fmt, []
        return fitting[0], []
    assert best is not None
    return None, best[1]


def _strptime(text: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(" ".join(text.split()), fmt)
    except ValueError:
        return None


def _iso(text: str) -> datetime | None:
    """An ISO 8601 time that states its offset (``2022-08-22T12:01:33Z``), else None."""
    value = text.strip()
    if not re.match(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$", value):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _to_utc(text: str, fmt: str, zone: zoneinfo.ZoneInfo) -> datetime:
    parsed = _iso(text)
    if parsed is None:
        local = _strptime(text, fmt)
        parsed = None if local is None else local.replace(tzinfo=zone)
    assert parsed is not None
    return parsed.astimezone(UTC)


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
    text = _decode(data, file)
    if not text.strip():
        raise InputError(
            [Problem(file, 1, "file", "is empty; expected a Zoom participants report or a Teams attendance report")]
        )
    return file, text


def read_report(path: Path, *, timezone: str, days: Sequence[date] = ()) -> Report:
    """Read a Zoom or Teams report; every problem is an :class:`InputError` naming file, line and field."""
    file, text = _load(path)
    records, delimiter = _records(text, file)
    teams = delimiter == "\t" or any(len(c) == 1 and _SECTION.match(c[0]) for _, c in records)
    source = TEAMS if teams else ZOOM
    layouts = (TEAMS_ACTIVITIES, TEAMS_PARTICIPANTS, TEAMS_ACTIONS) if teams else (ZOOM_LAYOUT,)
    section = _find_section(records, layouts)
    if section is None:
        raise InputError([_missing_column_problem(records, file, source)])

    stated = _summary_timezone(records, file)
    zone_name = stated[0] if stated else timezone
    zone = zoneinfo.ZoneInfo(zone_name)

    problems, cells_by_line, stamps = _check_rows(section, file)
    fmt, unreadable = _parse_all(stamps, zone, days)
    for stamp in unreadable:
        problems.append(
            Problem(
                file,
                stamp.line,
                stamp.column,
                f"cannot read {printable(stamp.text)!r} as a date and time (expected like {_EXAMPLE[source]})",
            )
        )
    rows: list[Row] = []
    if fmt is not None:
        rows = _rows(section, cells_by_line, fmt=fmt, zone=zone, file=file, problems=problems)
    if problems:
        raise InputError(sorted(set(problems)))
    if not rows:
        raise InputError([Problem(file, section.header_line, "file", "lists no participants")])
    return Report(
        file=file,
        source=source,
        layout=section.layout.name,
        timezone=zone_name,
        rows=tuple(rows),
    )


def _title(section: _Section, role: str) -> str:
    return section.header[section.columns[role]].strip()


def _check_rows(section: _Section, file: str) -> tuple[list[Problem], dict[int, dict[str, str]], list[_Stamp]]:
    """Problems of the rows' shape, each row's cells by role, and every time stamp to read."""
    problems: list[Problem] = []
    width = len(section.header)
    while width and not section.header[width - 1].strip():
        width -= 1  # Zoom's header rows may end in a comma
    cells_by_line: dict[int, dict[str, str]] = {}
    stamps: list[_Stamp] = []
    time_roles = ("join", "leave") if section.layout.intervals else ("time",)
    for line, row in section.rows:
        if any(cell.strip() for cell in row[len(section.header) :]):
            shape = f"has {len(row)} fields; the header (line {section.header_line}) has {width}"
            problems.append(Problem(file, line, "row", shape))
            continue
        before = len(problems)
        cells = {role: (row[i].strip() if i < len(row) else "") for role, i in section.columns.items()}
        for role in section.layout.required:
            if not cells[role] and role != "leave":  # no leave time: still in the call
                problems.append(Problem(file, line, _title(section, role), "is empty"))
        stamps.extend(_Stamp(line, _title(section, role), cells[role]) for role in time_roles if cells[role])
        action = cells.get("action", "").lower()
        if action and not (action.startswith("joined") or action == "left"):
            shown = printable(cells["action"])
            problems.append(Problem(file, line, _title(section, "action"), f"{shown!r} is neither Joined nor Left"))
        if len(problems) == before:
            cells_by_line[line] = cells
    return problems, cells_by_line, stamps


def _rows(
    section: _Section,
    cells_by_line: dict[int, dict[str, str]],
    *,
    fmt: str,
    zone: zoneinfo.ZoneInfo,
    file: str,
    problems: list[Problem],
) -> list[Row]:
    """The report's joins in UTC; a leave before its join is added to ``problems``."""
    rows: list[Row] = []
    if section.layout.intervals:
        for line, cells in cells_by_line.items():
            joined = _to_utc(cells["join"], fmt, zone)
            left = _to_utc(cells["leave"], fmt, zone) if cells["leave"] else None
            if left is not None and left < joined:
                problems.append(Problem(file, line, _title(section, "leave"), f"is before {_title(section, 'join')}"))
                continue
            rows.append(Row(line, cells["name"], cells.get("email", ""), joined, left))
    else:
        # Joined / Left actions: pair each person's actions in time order.
        open_joins: dict[str, tuple[int, datetime]] = {}
        actions = sorted(
            ((_to_utc(c["time"], fmt, zone), line, c) for line, c in cells_by_line.items()), key=lambda a: (a[0], a[1])
        )
        for at, line, cells in actions:
            key = normalise_name(cells["name"])
            if cells["action"].lower().startswith("joined"):
                open_joins.setdefault(key, (line, at))  # "Joined" twice: the first one counts
            elif key in open_joins:
                start_line, start = open_joins.pop(key)
                rows.append(Row(start_line, cells["name"], "", start, at))
            # A Left without a Joined before it: joined before the list started; nothing to record.
        for line, start in open_joins.values():
            rows.append(Row(line, cells_by_line[line]["name"], "", start, None))
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
    participant: Participant
    how: str  # "e-mail" or "name"
    rows: list[Row] = field(default_factory=list)
    intervals: list[tuple[datetime, datetime | None]] = field(default_factory=list)


@dataclass
class Reconciliation:
    report: Report
    location: str
    matched: dict[str, Matched]  # by participant id
    unmatched: dict[str, str]  # normalised name → name as the report first wrote it
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
    unmatched: dict[str, str] = {}
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
                unmatched.setdefault(key, row.name)
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
    """What the import found and did, for people: names only, never e-mails.

    ``written``: True once recorded, False for a dry run, None when there was nothing new to record.
    """
    report = result.report
    by_email = sum(1 for m in result.matched.values() if m.how == "e-mail")
    intervals = sum(len(m.intervals) for m in result.matched.values())
    lines = [
        f"{report.file}: {report.layout}, {len(report.rows)} rows, times read in {report.timezone}",
        f"  matched {len(result.matched)} people ({by_email} by e-mail, {len(result.matched) - by_email} by name) "
        f"in {intervals} intervals",
    ]
    elsewhere = sorted(m.participant.name for m in result.matched.values() if m.participant.location != result.location)
    if elsewhere:
        lines.append(f"  on the roster at another location ({len(elsewhere)}): {', '.join(map(printable, elsewhere))}")
    if result.unmatched:
        names = sorted(result.unmatched.values(), key=normalise_name)
        lines.append(f"  not matched ({len(names)}): {', '.join(map(printable, names))}")
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
