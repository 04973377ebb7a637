"""Import a roster from the CSV file an organiser exported from a spreadsheet: all of it, or nothing.

The file may come from Excel ("CSV" is Windows-1252, "CSV UTF-8" has a byte-order mark, "Unicode text"
is tab-separated UTF-16), from LibreOffice or Google Sheets (UTF-8, comma or semicolon), with CRLF or
LF line ends. Headers are matched case-insensitively against common names ("Full name", "E-mail
address", "Duty station", ...). Every bad row is reported as ``FILE:LINE: field: message``; if there is
one, nothing is written. People are matched to the roster already in the run by e-mail (stored
lower-case): a re-import adds the new ones, updates the changed ones and leaves alone those it does not
list. All events of one import are appended in one transaction. Gender is written normalised ("F",
"Female", "femme" as ``female``; see :mod:`facilitator.attendance.gender`), and the summary lists each spelling it
mapped.

Names and e-mails are data about real people: a problem quotes only the offending value of its own row,
and the summary names people by their line in the file, never by name or e-mail.

Personal codes are what the participant page checks people in with, and check-ins decide certificates: a code
shorter than the workshop's ``participant_page.min_code_length`` is refused (its line, never its value), and
``make_codes`` gives everyone without one a long random code (:func:`make_code`) that reads unambiguously on
paper: no 0 or O, no 1, I or l.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from facilitator import collector
from facilitator.attendance.gender import Applied, describe_applied, mapping_applied, normalise_gender
from facilitator.attendance.roster import OPTIONAL_FIELDS, Participant, Roster
from facilitator.problems import InputError, Problem, display_path
from facilitator.record import events as ev
from facilitator.record.ids import random_ids
from facilitator.record.store import Store
from facilitator.script.models import DEFAULT_MIN_CODE_LENGTH, Location

MAX_BYTES = 20 * 1024 * 1024
MAX_VALUE_CHARS = 500
SHOWN_CHANGES = 50  # lines of per-person changes in the summary; the rest are counted
DELIMITERS = (",", ";", "\t")

# Header (normalised: lower-case, runs of anything but letters and digits as one space) → field.
ALIASES: dict[str, str] = {
    **dict.fromkeys(["name", "full name", "fullname", "participant", "participant name"], "name"),
    **dict.fromkeys(["first name", "given name", "first names", "forename"], "first_name"),
    **dict.fromkeys(["last name", "surname", "family name"], "last_name"),
    **dict.fromkeys(["email", "e mail", "email address", "e mail address", "mail"], "email"),
    **dict.fromkeys(["location", "mission", "duty station", "site"], "location"),
    **dict.fromkeys(["role", "title", "function", "job title", "position"], "role"),
    **dict.fromkeys(["organisation", "organization", "agency", "entity"], "organisation"),
    **dict.fromkeys(["gender", "sex"], "gender"),
    **dict.fromkeys(["code", "personal code", "participant code"], "code"),
}
REQUIRED = ("name", "email", "location")
# How the summary and the errors name a field's accepted headers.
HEADER_HINTS = {
    "name": '"Name" or "Full name" (or "First name" and "Last name")',
    "email": '"Email", "E-mail" or "Email address"',
    "location": '"Location", "Mission" or "Duty station"',
}
_EMAIL = re.compile(r"[^\s@<>(),;:\"\[\]\\]+@(?:[^\s@<>(),;:\"\[\]\\.]+\.)+[^\s@<>(),;:\"\[\]\\.\d]{2,}")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0 and C1 controls, DEL: never part of a name
# The characters of a made code: digits and capitals that cannot be mistaken for one another on paper or a
# screen (no 0/O, no 1/I/L). 31 of them: ten characters are 49 bits of chance.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MADE_CODE_CHARS = 10
CODE_GROUP = 5  # printed in groups of five: ``K7QX2-MN4PA``


def normalise_code(code: str | None) -> str:
    """A personal code as compared: case, spaces and dashes do not matter (the participant page compares so)."""
    # Three replaces, not a loop over characters, nor str.translate (a lookup per character, three times
    # slower): a roster of thousands normalises every code three times.
    return (code or "").casefold().replace(" ", "").replace("-", "").replace("\t", "")


def make_code(length: int = MADE_CODE_CHARS) -> str:
    """A new random personal code of ``length`` characters from :data:`CODE_ALPHABET`, in groups of five."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
    return "-".join(chars[i : i + CODE_GROUP] for i in range(0, length, CODE_GROUP))


@dataclass(frozen=True)
class RosterRow:
    """One person as the file gives them; ``values`` holds only the columns the file has."""

    line: int
    values: dict[str, str | None]


@dataclass(frozen=True)
class Update:
    """A person on the roster whom the file's row at ``line`` changes, and the fields it changes."""

    line: int
    participant: Participant
    changes: dict[str, str | None]


@dataclass
class ImportPlan:
    """What an import does to the roster: the events to append, and the summary of them."""

    file: str
    rows: int = 0
    added: list[RosterRow] = field(default_factory=list)
    updated: list[Update] = field(default_factory=list)
    unchanged: int = 0
    not_in_file: list[Participant] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    genders: dict[str, Applied] = field(default_factory=dict)  # each gender as written that was normalised
    codes_made: int | None = None  # personal codes made for people without one (None: not asked to)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    written: bool = False

    def summary(self, *, dry_run: bool = False) -> list[str]:
        """A one-line summary and then the changes, for a terminal."""
        prefix = "dry run, nothing written: " if dry_run else ""
        people = "person" if self.rows == 1 else "people"
        head = (
            f"{prefix}{self.file}: {self.rows} {people}: added {len(self.added)}, updated {len(self.updated)}, "
            f"unchanged {self.unchanged}"
        )
        if self.not_in_file:
            head += f"; {len(self.not_in_file)} in the run but not in this file (left alone)"
        lines = [head]
        if self.added:
            lines.append(f"  added: {_per_location(row.values['location'] or '' for row in self.added)}")
        for update in self.updated[:SHOWN_CHANGES]:
            lines.append(f"  updated line {update.line}: {_describe(update)}")
        if len(self.updated) > SHOWN_CHANGES:
            lines.append(f"  ... and {len(self.updated) - SHOWN_CHANGES} more updated")
        if self.not_in_file:
            lines.append(f"  not in this file: {_per_location(p.location for p in self.not_in_file)}")
        if genders := describe_applied(self.genders):
            lines.append(f"  {genders}")
        if self.codes_made is not None:
            made = "would make" if dry_run else "made"
            people_made = "person" if self.codes_made == 1 else "people"
            lines.append(
                f"  personal codes: {made} {self.codes_made} for {people_made} without one"
                + (" (they are in the run's participants table, to print or send)" if self.codes_made else "")
            )
        if self.ignored_columns:
            lines.append(f"  ignored columns: {', '.join(self.ignored_columns)}")
        return lines


def _per_location(locations: Iterable[str]) -> str:
    counts: dict[str, int] = {}
    for location in locations:
        counts[location] = counts.get(location, 0) + 1
    return ", ".join(f"{location} {n}" for location, n in sorted(counts.items()))


def _describe(update: Update) -> str:
    """The changed fields; values only for the location (an id of the workshop, not about a person)."""
    parts = []
    for name, value in update.changes.items():
        if name == "location":
            parts.append(f"location {update.participant.location} → {value}")
        else:
            parts.append(name if value is not None else f"{name} (cleared)")
    return ", ".join(parts)


# -- reading the file ----------------------------------------------------------------------------------


def _quote(value: str) -> str:
    """A value as a problem shows it: quoted, escaped, and short."""
    return repr(value if len(value) <= 60 else value[:57] + "...")


def read_bytes(path: Path) -> bytes:
    name = display_path(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a folder, not a CSV file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{name}: is larger than {MAX_BYTES // 2**20} MB; a roster should be far smaller")
    return data


def decode(data: bytes, name: str) -> str:
    """The text of a roster file in any of the encodings spreadsheets write."""
    if data.startswith(b"PK\x03\x04"):
        raise InputError(f"{name}: is an Excel or OpenDocument workbook, not CSV; save it as CSV and import that")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(f"{name}: is an old Excel (.xls) workbook, not CSV; save it as CSV and import that")
    encoding = None
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            encoding = codec
            break
    if encoding is None and b"\x00" in data:
        encoding = _bomless_utf16(data)
        if encoding is None:
            raise InputError(f"{name}: is not a text file (it holds binary data); export the roster as CSV")
    if encoding is not None:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            line = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
            raise InputError([Problem(name, line, "", f"is not valid {encoding.upper()} text")]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = f"byte 0x{data[exc.start]:02x} is neither UTF-8 nor Windows-1252 text; save the file as CSV UTF-8"
        raise InputError([Problem(name, line, "", message)]) from None


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark, recognised by its zero bytes; ``None`` for anything else."""
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    if odd and odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even and even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _control_share(text: str) -> float:
    sample = text[:4096]
    bad = sum(1 for c in sample if c < " " and c not in "\t\r\n")
    return bad / max(len(sample), 1)


def _has_control(record: str) -> bool:
    """Whether a record's cells, joined, hold a control character: asked once per row, not of each value.

    A value can hold one only if its record does (cleaning a cell takes characters away or composes accents,
    never makes a control), and a record that is all printable holds none: a far cheaper scan than a search.
    """
    return not record.isprintable() and _CONTROL.search(record) is not None


def _normal_header(text: str) -> str:
    return _NOT_WORD.sub(" ", text.strip().lower()).strip()


def _sniff(line: str) -> str:
    """The delimiter of a header line: the most frequent of comma, semicolon and tab (comma on a tie)."""
    counts = {d: line.count(d) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: counts[d])


def _physical_lines(text: str) -> Iterator[str]:
    return iter(io.StringIO(text, newline=""))


def _find_header(lines: Iterator[str]) -> tuple[int, str, str]:
    """The header's line number, its text and the delimiter, skipping blank lines and Excel's ``sep=;``."""
    line = 0
    delimiter = ""
    for raw in lines:
        line += 1
        hint = raw.strip()
        if not hint:
            continue
        if hint.lower().startswith("sep=") and len(hint) == 5:
            delimiter = hint[4]
            continue
        return line, raw, delimiter or _sniff(raw)
    return line, "", delimiter or ","


class _Unique:
    """Remembers the line of each value of a column that must not repeat within the file (as ``same`` sees it)."""

    def __init__(self, key: str, same: Callable[[str], str] = str, *, secret: bool = False) -> None:
        self.key = key
        self.same = same
        self.secret = secret  # a personal code checks its person in: a problem names the line, never the value
        self.seen: dict[str, int] = {}

    def check(self, value: str | None, name: str, line: int) -> Problem | None:
        if not value:
            return None
        first = self.seen.setdefault(self.same(value), line)
        if first == line:
            return None
        shown = f"is the same as on line {first}" if self.secret else f"{_quote(value)} is also on line {first}"
        return Problem(name, line, self.key, shown)


def parse(
    text: str, name: str, locations: Sequence[Location], *, min_code_length: int = DEFAULT_MIN_CODE_LENGTH
) -> tuple[list[RosterRow], list[str], list[Problem]]:
    """Rows of a decoded roster, the columns it ignored, and every problem found (empty when all is well)."""
    if not text.strip():
        raise InputError(f"{name}: is empty; a roster needs a header line and one line per person")
    if _control_share(text) > 0.01:
        raise InputError(f"{name}: is not a text file (it holds binary data); export the roster as CSV")
    lines = _physical_lines(text)
    header_line, header_text, delimiter = _find_header(lines)
    reader = csv.reader(_chain([header_text], lines), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError([Problem(name, header_line, "header", f"cannot be read as CSV: {exc}")]) from None
    columns, ignored, problems = _map_header(header, name, header_line)
    if problems:
        raise InputError(problems)

    fields = _Columns.of(columns)
    index = _LocationIndex(locations)
    rows: list[RosterRow] = []
    unique = (_Unique("email"), _Unique("code", normalise_code, secret=True))
    width = len(header)
    while True:
        start = header_line + reader.line_num  # the physical line this record starts on
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(name, start, "row", f"cannot be read as CSV: {exc}"))
            break
        whole = "".join(record)
        if not whole or whole.isspace():  # only blank cells
            continue
        if len(record) > width and any(cell.strip() for cell in record[width:]):
            problems.append(Problem(name, start, "row", f"has {len(record)} fields, but the header has {width}"))
            continue
        values, row_problems = _row_values(
            record, fields, name, start, index, min_code_length=min_code_length, controls=_has_control(whole)
        )
        row_problems.extend(p for u in unique if (p := u.check(values.get(u.key), name, start)))
        problems.extend(row_problems)
        if not row_problems:
            rows.append(RosterRow(start, values))
    if not rows and not problems:
        problems.append(Problem(name, header_line, "", "has a header but no people below it"))
    return rows, ignored, problems


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _map_header(header: list[str], name: str, line: int) -> tuple[dict[str, int], list[str], list[Problem]]:
    columns: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    for at, title in enumerate(header):
        key = ALIASES.get(_normal_header(title))
        if key is None:
            if title.strip():
                ignored.append(title.strip())
            continue
        if key in columns:
            first = header[columns[key]].strip()
            message = (
                f"two columns for {key}: {first!r} (column {columns[key] + 1}) and {title.strip()!r} (column {at + 1})"
            )
            problems.append(Problem(name, line, "header", message))
            continue
        columns[key] = at
    has_name = "name" in columns or "first_name" in columns or "last_name" in columns
    missing = [f for f in REQUIRED if f not in columns and not (f == "name" and has_name)]
    if missing:
        found = ", ".join(repr(t.strip()) for t in header if t.strip()) or "nothing"
        hints = "; ".join(f"{f} may be headed {HEADER_HINTS[f]}" for f in missing)
        message = f"no {' or '.join(missing)} column (the header line has {found}; {hints})"
        problems.append(Problem(name, line, "header", message))
    return columns, ignored, problems


def _email(value: str) -> str:
    value = value.lower()
    return value[len("mailto:") :] if value.startswith("mailto:") else value


@dataclass(frozen=True)
class _Columns:
    """Where a file keeps each field: worked out once from its header, not looked up again on each of its rows."""

    name: int | None  # None: the name is made of the first and last name columns
    first_last: tuple[int, ...]  # the first and last name columns the file has, in that order
    email: int
    location: int
    optional: tuple[tuple[str, int], ...]  # the optional fields the file has, in the order of OPTIONAL_FIELDS

    @classmethod
    def of(cls, columns: dict[str, int]) -> _Columns:
        """The columns of a header that :func:`_map_header` found no problem with (so it has e-mail and location)."""
        return cls(
            name=columns.get("name"),
            first_last=tuple(columns[key] for key in ("first_name", "last_name") if key in columns),
            email=columns["email"],
            location=columns["location"],
            optional=tuple((key, columns[key]) for key in OPTIONAL_FIELDS if key in columns),
        )


def _row_values(
    record: list[str],
    columns: _Columns,
    name: str,
    line: int,
    index: _LocationIndex,
    *,
    min_code_length: int,
    controls: bool = True,
) -> tuple[dict[str, str | None], list[Problem]]:
    """A row's values as stored, and its problems; ``controls`` False when the record holds no control character."""
    size = len(record)

    def cell(at: int) -> str:
        """The cell at ``at``, stripped and NFC-normalised; empty when the record is shorter."""
        if at >= size:
            return ""
        value = record[at].strip()
        # ASCII text is already NFC: asking costs nothing, normalising costs a scan of every cell of thousands of rows.
        return value if value.isascii() else unicodedata.normalize("NFC", value)

    problems: list[Problem] = []
    values: dict[str, str | None] = {}

    def check(key: str, value: str, required: bool = False) -> bool:
        """Whether ``value`` may be stored; any problem with it is noted."""
        if not value:
            if required:
                extra = f" (one of: {index.ids()})" if key == "location" else ""
                problems.append(Problem(name, line, key, f"is empty{extra}"))
            return not required
        if controls and _CONTROL.search(value):
            problems.append(Problem(name, line, key, f"{_quote(value)} holds a control character"))
            return False
        if len(value) > MAX_VALUE_CHARS:
            problems.append(Problem(name, line, key, f"is {len(value)} characters long; at most {MAX_VALUE_CHARS}"))
            return False
        return True

    if columns.name is not None:
        person = cell(columns.name)
    else:
        person = " ".join(part for part in map(cell, columns.first_last) if part)
    if check("name", person, required=True):
        values["name"] = person

    email = _email(cell(columns.email))
    if not check("email", email, required=True):
        pass
    elif len(email) > 254 or not _EMAIL.fullmatch(email):
        problems.append(Problem(name, line, "email", f"{_quote(email)} is not an e-mail address"))
    else:
        values["email"] = email

    place = cell(columns.location)
    if check("location", place, required=True):
        found = index.find(place)
        if found is None:
            message = f"{_quote(place)} is not a location of this workshop{index.suggest(place)}"
            problems.append(Problem(name, line, "location", message))
        else:
            values["location"] = found

    for key, at in columns.optional:
        value = cell(at)
        if check(key, value):
            values[key] = value or None
    code = values.get("code")
    if code and (length := len(normalise_code(code))) < min_code_length:
        # Never the code itself: it is what checks the person in.
        problems.append(
            Problem(
                name,
                line,
                "code",
                f"has {length} characters (not counting spaces and dashes); this workshop's "
                f"personal codes have at least {min_code_length} (participant_page.min_code_length): leave the cell "
                "empty and import with --make-codes for a long random one",
            )
        )
        values.pop("code")
    return values, problems


class _LocationIndex:
    """The workshop's locations by id and by name, case-insensitively."""

    def __init__(self, locations: Sequence[Location]) -> None:
        self.locations = locations
        self.by_key: dict[str, str] = {}
        self.spelling: dict[str, str] = {}
        self.found: dict[str, str | None] = {}  # each value as written → the id it names, or None
        for location in locations:
            for key in (location.id, location.name):
                folded = " ".join(key.split()).casefold()
                self.by_key.setdefault(folded, location.id)
                self.spelling.setdefault(folded, key)

    def find(self, value: str) -> str | None:
        # A roster spells a handful of locations thousands of times: each spelling is folded once.
        if value not in self.found:
            self.found[value] = self.by_key.get(" ".join(value.split()).casefold())
        return self.found[value]

    def suggest(self, value: str) -> str:
        close = difflib.get_close_matches(" ".join(value.split()).casefold(), list(self.by_key), n=1, cutoff=0.6)
        if close:
            return f" (did you mean {self.spelling[close[0]]!r}?)"
        return f" (one of: {self.ids()})"

    def ids(self) -> str:
        return ", ".join(location.id for location in self.locations)


# -- planning and writing -------------------------------------------------------------------------------


def plan(
    rows: list[RosterRow],
    roster: Roster,
    file: str,
    ignored: list[str] | None = None,
    *,
    make_codes: bool = False,
    code_length: int = MADE_CODE_CHARS,
) -> ImportPlan:
    """The events that bring ``roster`` in line with ``rows``, matching people by e-mail.

    With ``make_codes``, a person without a personal code (none in the file, none in the run) gets a new one of
    ``code_length`` characters; a code the run has already is kept, so codes already handed out stay valid.
    """
    result = ImportPlan(file=file, rows=len(rows), ignored_columns=list(ignored or []))
    result.genders = mapping_applied(row.values.get("gender") for row in rows)
    known = {person.email.lower(): person for person in roster.by_id.values()}
    taken: set[str] = set()  # the codes a made one must not be: only asked for when making codes
    if make_codes:
        result.codes_made = 0
        taken = {normalise_code(p.code) for p in roster.by_id.values() if p.code}
        taken |= {normalise_code(row.values.get("code")) for row in rows if row.values.get("code")}
    listed: set[str] = set()
    new_ids = random_ids()
    for row in rows:
        values = _normalised(row.values)
        email = values["email"] or ""
        listed.add(email)
        existing = known.get(email)
        if make_codes and not values.get("code"):
            kept = existing.code if existing is not None else None
            if not kept:
                kept = _new_code(taken, code_length)
                result.codes_made = (result.codes_made or 0) + 1
            values = {**values, "code": kept}
        if existing is None:
            participant_id = next(new_ids)
            payload: dict[str, Any] = {
                "participant": participant_id,
                "name": values["name"],
                "email": email,
                "location": values["location"],
            }
            for key in OPTIONAL_FIELDS:  # a plain loop: half the cost of a dict made and unpacked, per person
                payload[key] = values.get(key)
            payload["source"] = "roster"
            result.events.append((ev.PARTICIPANT_ADDED, payload))
            result.added.append(row)
            continue
        current = existing.fields()
        changes = {key: value for key, value in values.items() if current.get(key) != value}
        if changes:
            result.events.append((ev.PARTICIPANT_UPDATED, {"participant": existing.id, "changes": changes}))
            result.updated.append(Update(row.line, existing, changes))
        else:
            result.unchanged += 1
    result.not_in_file = [p for email, p in known.items() if email not in listed]
    return result


def _new_code(taken: set[str], length: int) -> str:
    """A made code nobody in the run or the file has (a clash of 49 random bits is unlikely, but costs nothing)."""
    while True:
        code = make_code(length)
        if normalise_code(code) not in taken:
            taken.add(normalise_code(code))
            return code


def _normalised(values: dict[str, str | None]) -> dict[str, str | None]:
    """A row's values as the run stores them: the gender normalised, when the file has a gender column."""
    if "gender" not in values:
        return values
    gender = normalise_gender(values["gender"])
    # Most rows hold their gender in its normal form already: they are not copied (nothing changes the values).
    return values if gender == values["gender"] else {**values, "gender": gender}


def read_roster(
    path: Path, locations: Sequence[Location], *, min_code_length: int = DEFAULT_MIN_CODE_LENGTH
) -> tuple[list[RosterRow], list[str]]:
    """The rows of the roster file at ``path``, or an InputError listing every problem in it."""
    name = display_path(path)
    text = decode(read_bytes(path), name)
    rows, ignored, problems = parse(text, name, locations, min_code_length=min_code_length)
    if problems:
        raise InputError(problems)
    return rows, ignored


def import_roster(
    store: Store, path: Path, *, actor: str, dry_run: bool = False, make_codes: bool = False
) -> ImportPlan:
    """Read the roster at ``path`` and apply it to the run in ``store``: every change in one transaction.

    The workshop's ``participant_page.min_code_length`` is the shortest personal code accepted; ``make_codes``
    gives everyone without a code a random one at least that long.
    """
    with collector.paused():  # a row and an event per person that live until it ends (facilitator.collector)
        workshop = store.programme().workshop
        minimum = workshop.participant_page.min_code_length
        rows, ignored = read_roster(path, workshop.locations, min_code_length=minimum)
        result = plan(
            rows,
            Roster.from_events(store.events()),
            display_path(path),
            ignored,
            make_codes=make_codes,
            code_length=max(MADE_CODE_CHARS, minimum),
        )
        if result.events and not dry_run:
            store.append_many(result.events, actor=actor)
            result.written = True
    return result
