"""``facilitator roster import``: every encoding and delimiter a spreadsheet writes, header aliases,
re-imports and dry runs, and every kind of bad file through the real command line.

A bad file must give exit code 2, one exact ``FILE:LINE: field: message`` line per problem, no
traceback, and leave the run database byte-for-byte as it was. The command-line cases all run at once
(in threads, each a real subprocess under its own timeout) in one module-scoped fixture.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from facilitator.attendance.roster import Roster
from facilitator.attendance.roster_import import CODE_ALPHABET, MAX_BYTES, import_roster, normalise_code
from facilitator.problems import InputError
from facilitator.record import events as ev
from facilitator.record.store import Store
from facilitator.script.models import Programme

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "exercises"
DEMO_ROSTER = DEMO / "roster.csv"
FACILITATOR = Path(sys.executable).parent / "facilitator"
TIMEOUT_S = 30

HEADER = ["name", "email", "location", "role", "organisation", "gender"]
# Accents that differ between UTF-8 and Windows-1252, a delimiter and a quote inside quoted values.
PEOPLE = [
    ["Zoë Müller-Ołów", "zoe.muller@example.org", "hq", "Planning Officer", "UN Women, Liaison", "female"],
    ["José Ñúñez", "Jose.Nunez@Example.org", "unmiss", 'Gender "Focal" Point', "DPO; DPPA", "male"],
    ["Amaka Obi", "amaka.obi@example.org", "MONUSCO (DR Congo)", "Budget Officer", "UNDP", ""],
]


def cell(value: str, delimiter: str) -> str:
    if any(c in value for c in (delimiter, '"', ",", ";", "\t")):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_text(rows: list[list[str]], delimiter: str = ",", newline: str = "\n") -> str:
    return "".join(delimiter.join(cell(v, delimiter) for v in row) + newline for row in rows)


def open_run(path: Path, programme: Programme) -> Store:
    return Store.create(path, programme, actor="organiser")


@pytest.fixture
def demo_run(tmp_path: Path, demo_programme: Programme) -> Iterator[Store]:
    """A fresh run of the demo workshop (hq "New York headquarters", unmiss, monusco, ...)."""
    store = open_run(tmp_path / "run.db", demo_programme)
    yield store
    store.close()


def people(store: Store) -> Roster:
    return Roster.from_events(store.events())


# --- the demo roster, and what spreadsheets write ----------------------------------------------------


def test_the_demo_roster_imports_60_people_at_their_locations(demo_run: Store, demo_programme: Programme) -> None:
    result = import_roster(demo_run, DEMO_ROSTER, actor="organiser")
    roster = people(demo_run)
    assert len(roster.by_id) == 60 == len(result.added)
    expected = {loc.id: loc.expected for loc in demo_programme.workshop.locations}
    assert dict(roster.counts()) == expected
    sofia = roster.by_email["sofia.marquez@example.org"]
    assert (sofia.name, sofia.location, sofia.role, sofia.organisation, sofia.gender, sofia.code) == (
        "Sofia Marquez",
        "hq",
        "Planning Officer",
        "DPO",
        "female",
        None,
    )
    assert all(p.source == "roster" for p in roster.by_id.values())
    rows = demo_run.conn.execute("SELECT count(*), count(DISTINCT email) FROM participants").fetchone()
    assert rows == (60, 60)


def test_all_events_of_an_import_are_appended_in_one_call(demo_run: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = Store.append_many

    def spy(self: Store, items: list[tuple[str, dict[str, Any]]], **kwargs: Any) -> Any:
        calls.append(len(items))
        return original(self, items, **kwargs)

    monkeypatch.setattr(Store, "append_many", spy)
    monkeypatch.setattr(Store, "append", lambda *a, **k: pytest.fail("one event at a time"))
    import_roster(demo_run, DEMO_ROSTER, actor="organiser")
    assert calls == [60]


ENCODINGS = {
    "utf-8": "utf-8",
    "utf-8 with BOM (Excel CSV UTF-8)": "utf-8-sig",
    "utf-16 with BOM (Excel Unicode text)": "utf-16",
    "windows-1252 (Excel CSV)": "cp1252",
}
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t"}
NEWLINES = {"LF": "\n", "CRLF": "\r\n"}


def _encodable(encoding: str) -> list[list[str]]:
    """The people, with what Windows-1252 cannot hold (the Polish ł) made plain."""
    if encoding == "cp1252":
        return [[value.replace("ł", "l") for value in row] for row in PEOPLE]
    return PEOPLE


@pytest.mark.parametrize("newline", NEWLINES.values(), ids=NEWLINES.keys())
@pytest.mark.parametrize("delimiter", DELIMITERS.values(), ids=DELIMITERS.keys())
@pytest.mark.parametrize("encoding", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_every_encoding_delimiter_and_line_end(
    tmp_path: Path, demo_run: Store, encoding: str, delimiter: str, newline: str
) -> None:
    rows = _encodable(encoding)
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_text([HEADER, *rows], delimiter, newline).encode(encoding))
    result = import_roster(demo_run, path, actor="organiser")
    assert len(result.added) == 3
    roster = people(demo_run)
    for row in rows:
        person = roster.by_email[row[1].lower()]
        assert person.name == row[0]
        assert person.role == row[3]
        assert person.organisation == row[4]
        assert person.gender == (row[5] or None)
    assert roster.by_email["amaka.obi@example.org"].location == "monusco"


def test_excel_unicode_text_is_tab_delimited_utf16(tmp_path: Path, demo_run: Store) -> None:
    """Exactly what Excel's "Unicode text" writes: UTF-16 LE with a BOM, tabs, CRLF, and a sep-less header."""
    path = tmp_path / "roster.txt"
    path.write_bytes(b"\xff\xfe" + csv_text([HEADER, *PEOPLE], "\t", "\r\n").encode("utf-16-le"))
    assert len(import_roster(demo_run, path, actor="organiser").added) == 3


def test_excel_sep_line_and_blank_lines_and_trailing_empty_fields(tmp_path: Path, demo_run: Store) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("sep=;\n\n" + csv_text([HEADER, *PEOPLE], ";").replace("\n", ";;\n", 2) + "\n;;;\n")
    result = import_roster(demo_run, path, actor="organiser")
    assert [row.line for row in result.added] == [4, 5, 6]


ALIASED_HEADER = [
    "  FULL NAME ",
    "E-mail address",
    "Duty Station",
    "Function",
    "Agency",
    "Sex",
    "Personal code",
    "Phone",
]


def test_header_aliases_and_location_names(tmp_path: Path, run_store: Store) -> None:
    path = tmp_path / "roster.csv"
    rows = [
        ALIASED_HEADER,
        ["Amina Deng", "AMINA@Example.org", "  headquarters ", "Adviser", "UNFPA", "F", "A17X-9QPM", "+1 555"],
        ["Kofi Mensah", "mailto:kofi@example.org", "JUBA", "Officer", "", "M", "", ""],
    ]
    path.write_text(csv_text(rows))
    result = import_roster(run_store, path, actor="organiser")
    assert result.ignored_columns == ["Phone"]
    roster = people(run_store)
    amina = roster.by_email["amina@example.org"]
    assert (amina.name, amina.location, amina.role, amina.organisation, amina.gender, amina.code) == (
        "Amina Deng",
        "hq",
        "Adviser",
        "UNFPA",
        "female",
        "A17X-9QPM",
    )
    kofi = roster.by_email["kofi@example.org"]
    assert (kofi.location, kofi.organisation, kofi.gender, kofi.code) == ("juba", None, "male", None)
    assert result.summary()[-2:] == ['  gender: "F" -> female (1 row), "M" -> male (1 row)', "  ignored columns: Phone"]


@pytest.mark.parametrize(
    "header",
    [
        ["Name", "Email", "Mission"],
        ["name", "e-mail", "location"],
        ["First name", "Last name", "Mail", "Site"],
    ],
)
def test_other_aliases(tmp_path: Path, run_store: Store, header: list[str]) -> None:
    path = tmp_path / "roster.csv"
    values = ["Amina", "Deng"] if len(header) == 4 else ["Amina Deng"]
    path.write_text(csv_text([header, [*values, "amina@example.org", "hq"]]))
    import_roster(run_store, path, actor="organiser")
    assert people(run_store).by_email["amina@example.org"].name == "Amina Deng"


# --- gender, normalised on the way in ----------------------------------------------------------------

GENDERED = [
    HEADER,
    ["Amina Deng", "amina@example.org", "hq", "", "", "F"],
    ["Awa Diop", "awa@example.org", "hq", "", "", "Femme"],
    ["Chloé Martin", "chloe@example.org", "hq", "", "", " FÉMININ "],
    ["Grace Akello", "grace@example.org", "juba", "", "", "F"],
    ["Jean Moreau", "jean@example.org", "hq", "", "", "Homme"],
    ["Kofi Mensah", "kofi@example.org", "juba", "", "", "male"],
    ["Sam Lee", "sam@example.org", "juba", "", "", "Two-Spirit"],
    ["Alex Roy", "alex@example.org", "juba", "", "", "Non-Binaire"],
    ["Lena Fischer", "lena@example.org", "juba", "", "", "F"],
    ["Sofia Ruiz", "sofia@example.org", "juba", "", "", ""],
]
GENDER_LINE = (
    '  gender: "F" -> female (3 rows), "Femme" -> female (1 row), "FÉMININ" -> female (1 row),'
    ' "Homme" -> male (1 row), "Non-Binaire" -> non-binary (1 row)'
)


def test_gender_is_written_normalised_and_the_mapping_is_in_the_summary(tmp_path: Path, run_store: Store) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(csv_text(GENDERED))
    result = import_roster(run_store, path, actor="organiser")
    written = {e.payload["email"]: e.payload["gender"] for e in run_store.events() if e.kind == ev.PARTICIPANT_ADDED}
    assert written == {
        "amina@example.org": "female",
        "awa@example.org": "female",
        "chloe@example.org": "female",
        "grace@example.org": "female",
        "jean@example.org": "male",
        "kofi@example.org": "male",
        "sam@example.org": "Two-Spirit",  # kept as written, and not listed in the mapping
        "alex@example.org": "non-binary",
        "lena@example.org": "female",
        "sofia@example.org": None,
    }
    assert result.summary() == [
        f"{path}: 10 people: added 10, updated 0, unchanged 0",
        "  added: hq 4, juba 6",
        GENDER_LINE,  # " FÉMININ " as "FÉMININ": the cell is stripped before anything else
    ]


def test_reimporting_raw_spellings_over_an_old_run_changes_nothing(tmp_path: Path, run_store: Store) -> None:
    """A run imported before normalisation holds "F"; the same file again is no change, only the mapping."""
    run_store.append(
        ev.PARTICIPANT_ADDED,
        {"participant": "p1", "name": "Amina Deng", "email": "amina@example.org", "location": "hq", "role": None,
         "organisation": None, "gender": "F", "code": None, "source": "roster"},
        actor="organiser",
    )  # fmt: skip
    path = tmp_path / "roster.csv"
    path.write_text(csv_text(GENDERED[:2]))
    count = len(run_store.events())
    result = import_roster(run_store, path, actor="organiser")
    assert (len(result.updated), result.unchanged) == (0, 1)
    assert len(run_store.events()) == count
    assert result.summary()[1:] == ['  gender: "F" -> female (1 row)']


# --- re-importing --------------------------------------------------------------------------------


def _edited_demo(folder: Path) -> Path:
    """The demo roster with: a location and a role changed, a person gone, one new, an e-mail re-cased."""
    lines = DEMO_ROSTER.read_text().splitlines()
    assert lines[1].startswith("Sofia Marquez,") and lines[2].startswith("Priya Raman,")
    lines[1] = lines[1].replace(",hq,Planning Officer,", ",unmiss,Senior Planning Officer,")
    lines[2] = lines[2].replace("priya.raman@", "Priya.Raman@")
    lines[3] = lines[3].replace(",DPO,male", ",DPO,")  # gender cleared
    del lines[5]  # the fifth person is not in this file
    lines.append("Nadia Haddad,nadia.haddad@example.org,UNIFIL (Lebanon),Analyst,UNIFIL,female")
    path = folder / "roster.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_reimport_updates_by_email_and_leaves_others_alone(tmp_path: Path, demo_run: Store) -> None:
    import_roster(demo_run, DEMO_ROSTER, actor="organiser")
    before = people(demo_run)
    gone = DEMO_ROSTER.read_text().splitlines()[5].split(",")[1]
    path = _edited_demo(tmp_path)
    result = import_roster(demo_run, path, actor="organiser")
    assert result.summary() == [
        f"{path}: 60 people: added 1, updated 2, unchanged 57; 1 in the run but not in this file (left alone)",
        "  added: unifil 1",
        "  updated line 2: location hq → unmiss, role",
        "  updated line 4: gender (cleared)",
        "  not in this file: hq 1",
    ]
    after = people(demo_run)
    assert len(after.by_id) == 61
    sofia = after.by_email["sofia.marquez@example.org"]
    assert sofia.id == before.by_email["sofia.marquez@example.org"].id
    assert (sofia.location, sofia.role) == ("unmiss", "Senior Planning Officer")
    assert after.by_email["jonathan.okafor@example.org"].gender is None
    assert after.by_email["priya.raman@example.org"] == before.by_email["priya.raman@example.org"]
    assert after.by_email[gone] == before.by_email[gone]
    assert after.by_email["nadia.haddad@example.org"].location == "unifil"
    # Importing the same file again changes nothing and writes nothing.
    count = len(demo_run.events())
    again = import_roster(demo_run, path, actor="organiser")
    assert (len(again.added), len(again.updated), again.unchanged) == (0, 0, 60)
    assert len(demo_run.events()) == count


def test_a_file_without_an_optional_column_leaves_that_field_alone(tmp_path: Path, demo_run: Store) -> None:
    import_roster(demo_run, DEMO_ROSTER, actor="organiser")
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(",".join(line.split(",")[:3]) for line in DEMO_ROSTER.read_text().splitlines()))
    result = import_roster(demo_run, path, actor="organiser")
    assert (len(result.updated), result.unchanged) == (0, 60)
    assert people(demo_run).by_email["sofia.marquez@example.org"].gender == "female"


# --- through the command line ---------------------------------------------------------------------


def facilitator(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FACILITATOR), *args], capture_output=True, text=True, timeout=TIMEOUT_S, check=False, cwd=cwd
    )


@pytest.fixture(scope="module")
def pristine_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of the demo workshop made by ``facilitator init``, copied by each test that writes to it."""
    folder = tmp_path_factory.mktemp("pristine")
    done = facilitator("init", str(DEMO), "--db", "run.db", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder / "run.db"


def test_cli_import_then_dry_run_then_reimport(tmp_path: Path, pristine_db: Path) -> None:
    shutil.copy(pristine_db, tmp_path / "run.db")
    shutil.copy(DEMO_ROSTER, tmp_path / "roster.csv")
    first = facilitator("roster", "import", "roster.csv", "--db", "run.db", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == "roster.csv: 60 people: added 60, updated 0, unchanged 0"
    _edited_demo(tmp_path)
    snapshot = (tmp_path / "run.db").read_bytes()
    dry = facilitator("roster", "import", "roster.csv", "--db", "run.db", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert (tmp_path / "run.db").read_bytes() == snapshot
    real = facilitator("roster", "import", "roster.csv", "--db", "run.db", cwd=tmp_path)
    assert real.returncode == 0, real.stderr
    summary = "roster.csv: 60 people: added 1, updated 2, unchanged 57; 1 in the run but not in this file (left alone)"
    assert dry.stdout.splitlines()[0] == "dry run, nothing written: " + summary
    assert real.stdout.splitlines()[0] == summary
    assert dry.stdout.splitlines()[1:] == real.stdout.splitlines()[1:]
    assert "updated line 2: location hq → unmiss, role" in real.stdout
    with Store.open(tmp_path / "run.db") as store:
        assert len(people(store).by_id) == 61


def test_cli_import_prints_the_gender_mapping(tmp_path: Path, pristine_db: Path) -> None:
    shutil.copy(pristine_db, tmp_path / "run.db")
    rows = [[*row[:2], "unmiss" if row[2] == "juba" else row[2], *row[3:]] for row in GENDERED]
    (tmp_path / "roster.csv").write_text(csv_text(rows), encoding="utf-8")
    done = facilitator("roster", "import", "roster.csv", "--db", "run.db", "--dry-run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "dry run, nothing written: roster.csv: 10 people: added 10, updated 0, unchanged 0",
        "  added: hq 4, unmiss 6",
        GENDER_LINE,
    ]


@dataclass
class Case:
    content: bytes | Callable[[Path], None]
    expect: list[str]  # exact lines of stderr
    forbid: list[str] = field(default_factory=list)  # substrings stderr must not hold
    args: tuple[str, ...] = ()


def demo_lines() -> list[str]:
    return DEMO_ROSTER.read_text().splitlines()


def demo_with(edits: dict[int, str], extra: list[str] | None = None) -> bytes:
    """The demo roster with its lines (1-based) replaced, and extra lines appended."""
    lines = demo_lines()
    for number, text in edits.items():
        lines[number - 1] = text
    return ("\n".join(lines + (extra or [])) + "\n").encode()


def _sparse(size: int) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with path.open("wb") as fh:
            fh.truncate(size)

    return write


SOFIA = "Sofia Marquez,sofia.marquez@example.org,hq,Planning Officer,DPO,female"
LOC_MESSAGE = "'unmis' is not a location of this workshop (did you mean 'unmiss'?)"
CASES: dict[str, Case] = {
    "bad e-mail": Case(
        demo_with({17: "Amina Deng,amina@,hq,Officer,DPO,female"}),
        ["roster.csv:17: email: 'amina@' is not an e-mail address"],
    ),
    "every bad row is listed, and only its own value": Case(
        demo_with(
            {
                3: "Priya Raman,priya.raman@example.org,UNMIS,,,",
                9: "Amina Deng,amina at example.org,hq,,,",
                12: ",someone@example.org,hq,,,",
            }
        ),
        [
            "roster.csv:3: location: 'UNMIS' is not a location of this workshop (did you mean 'unmiss'?)",
            "roster.csv:9: email: 'amina at example.org' is not an e-mail address",
            "roster.csv:12: name: is empty",
        ],
        forbid=["Sofia", "sofia.marquez", "priya.raman", "Priya"],
    ),
    "duplicate e-mails name both lines": Case(
        demo_with({30: SOFIA.replace("sofia.marquez", "Sofia.Marquez").replace("Sofia Marquez", "S. Marquez")}),
        ["roster.csv:30: email: 'sofia.marquez@example.org' is also on line 2"],
    ),
    "unknown location by id": Case(
        demo_with({5: "Ingrid Halvorsen,ingrid.halvorsen@example.org,unmis,Officer,DPO,female"}),
        [f"roster.csv:5: location: {LOC_MESSAGE}"],
    ),
    "unknown location by name": Case(
        demo_with({5: "Ingrid Halvorsen,ingrid.halvorsen@example.org,New York HQ,Officer,DPO,female"}),
        [
            "roster.csv:5: location: 'New York HQ' is not a location of this workshop"
            " (did you mean 'New York headquarters'?)"
        ],
    ),
    "missing required column": Case(
        b"Full name,Phone,Mission\nAmina Deng,+1 555,hq\n",
        [
            "roster.csv:1: header: no email column (the header line has 'Full name', 'Phone', 'Mission'; "
            'email may be headed "Email", "E-mail" or "Email address")'
        ],
    ),
    "a header in the wrong delimiter is a missing column": Case(
        b"name|email|location\nAmina|a@example.org|hq\n",
        [
            "roster.csv:1: header: no name or email or location column (the header line has 'name|email|location'; "
            'name may be headed "Name" or "Full name" (or "First name" and "Last name"); '
            'email may be headed "Email", "E-mail" or "Email address"; '
            'location may be headed "Location", "Mission" or "Duty station")'
        ],
    ),
    "two columns for one field": Case(
        b"Name,Email,E-mail address,Location\n",
        ["roster.csv:1: header: two columns for email: 'Email' (column 2) and 'E-mail address' (column 3)"],
    ),
    "empty file": Case(b"", ["roster.csv: is empty; a roster needs a header line and one line per person"]),
    "blank lines only": Case(
        b"\r\n \n", ["roster.csv: is empty; a roster needs a header line and one line per person"]
    ),
    "header only": Case(b"name,email,location\n\n", ["roster.csv:1: has a header but no people below it"]),
    "binary file": Case(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89",
        ["roster.csv: is not a text file (it holds binary data); export the roster as CSV"],
    ),
    "binary without zero bytes": Case(
        bytes(range(1, 32)) * 8,
        ["roster.csv: is not a text file (it holds binary data); export the roster as CSV"],
    ),
    "a zero byte in text": Case(
        demo_with({}).replace(b"Priya", b"Pri\x00ya"),
        ["roster.csv: is not a text file (it holds binary data); export the roster as CSV"],
    ),
    "an Excel workbook": Case(
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
        ["roster.csv: is an Excel or OpenDocument workbook, not CSV; save it as CSV and import that"],
    ),
    "too many fields": Case(
        demo_with({8: "Lena Fischer,lena@example.org,hq,Officer,DPO,female,extra"}),
        ["roster.csv:8: row: has 7 fields, but the header has 6"],
    ),
    "too large": Case(_sparse(MAX_BYTES + 1), ["roster.csv: is larger than 20 MB; a roster should be far smaller"]),
    "neither UTF-8 nor Windows-1252": Case(
        demo_with({}) + b"Bad \x81 Byte,bad@example.org,hq,,,\n",
        [
            "roster.csv:62: byte 0x81 is neither UTF-8 nor Windows-1252 text; save the file as CSV UTF-8",
        ],
    ),
    "an unterminated quote": Case(
        demo_with({}, ['"Amina Deng,amina@example.org,hq,,,']),
        ["roster.csv:62: row: cannot be read as CSV: unexpected end of data"],
    ),
    "a control character": Case(
        demo_with({4: "Jon\x1b[31mathan,jonathan@example.org,hq,,,"}),
        ["roster.csv:4: name: 'Jon\\x1b[31mathan' holds a control character"],
    ),
    "no such file": Case(lambda path: None, ["nothere.csv: no such file"], args=("nothere.csv",)),
    "a personal code shorter than the workshop's minimum": Case(
        b"name,email,location,code\nAmina Deng,amina@example.org,hq,1234\nKofi Mensah,kofi@example.org,hq,K7QX-2MN4\n"
        b"Lena Fischer,lena@example.org,hq,K7Q-X2M-N\n",
        [
            "roster.csv:2: code: has 4 characters (not counting spaces and dashes); this workshop's personal codes have"
            " at least 8 (participant_page.min_code_length): leave the cell empty and import with --make-codes for a"
            " long random one",
            "roster.csv:4: code: has 7 characters (not counting spaces and dashes); this workshop's personal codes have"
            " at least 8 (participant_page.min_code_length): leave the cell empty and import with --make-codes for a"
            " long random one",
        ],
        forbid=["1234", "K7Q-X2M-N", "Amina", "amina@"],
    ),
    "one personal code twice, spelt differently": Case(
        b"name,email,location,code\nAmina Deng,amina@example.org,hq,K7QX-2MN4\n"
        b"Kofi Mensah,kofi@example.org,hq,k7qx 2mn4\n",
        ["roster.csv:3: code: is the same as on line 2"],
        forbid=["k7qx", "K7QX"],
    ),
}


@dataclass
class Outcome:
    done: subprocess.CompletedProcess[str]
    before: bytes
    after: bytes
    leftovers: list[str]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory, pristine_db: Path) -> dict[str, Outcome]:
    root = tmp_path_factory.mktemp("bad")

    def run(name: str) -> Outcome:
        case = CASES[name]
        folder = root / name.replace(" ", "_")
        folder.mkdir()
        db = folder / "run.db"
        shutil.copy(pristine_db, db)
        if isinstance(case.content, bytes):
            (folder / "roster.csv").write_bytes(case.content)
        else:
            case.content(folder / "roster.csv")
        before = db.read_bytes()
        done = facilitator("roster", "import", *(case.args or ("roster.csv",)), "--db", "run.db", cwd=folder)
        leftovers = sorted(p.name for p in folder.iterdir() if p.name.startswith("run.db-"))
        return Outcome(done, before, db.read_bytes(), leftovers)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(CASES, pool.map(run, CASES), strict=True))


@pytest.mark.parametrize("name", CASES)
def test_a_bad_file_is_refused_and_changes_nothing(name: str, outcomes: dict[str, Outcome]) -> None:
    case, outcome = CASES[name], outcomes[name]
    stderr = outcome.done.stderr
    assert "Traceback" not in stderr
    assert outcome.done.returncode == 2, stderr
    assert stderr.splitlines() == case.expect
    assert outcome.done.stdout == ""
    for text in case.forbid:
        assert text not in stderr
    assert outcome.after == outcome.before
    assert outcome.leftovers == []


# --- personal codes: long enough, or made ---------------------------------------------------------------


def codes(store: Store) -> dict[str, str | None]:
    return {p.email: p.code for p in people(store).by_id.values()}


def test_make_codes_gives_everyone_without_one_a_long_random_code_readable_on_paper(
    tmp_path: Path, demo_run: Store
) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(csv_text([[*HEADER, "code"], [*PEOPLE[0], ""], [*PEOPLE[1], "GIVEN-CODE-7"], [*PEOPLE[2], ""]]))
    result = import_roster(demo_run, path, actor="organiser", make_codes=True)
    assert result.codes_made == 2
    assert (
        "  personal codes: made 2 for people without one (they are in the run's participants table, to print or send)"
        in result.summary()
    )
    made = codes(demo_run)
    assert made["jose.nunez@example.org"] == "GIVEN-CODE-7"  # a code in the file is the person's
    for email in ("zoe.muller@example.org", "amaka.obi@example.org"):
        code = made[email]
        assert code is not None and len(code) == 11 and code[5] == "-", code  # ABCDE-FGHJK
        assert set(code.replace("-", "")) <= set(CODE_ALPHABET)
        assert not set(code) & set("0O1Il"), code  # nothing to misread on paper
    assert len({normalise_code(c) for c in made.values()}) == 3


def test_made_codes_are_kept_by_later_imports_and_only_the_new_get_one(tmp_path: Path, demo_run: Store) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(csv_text([HEADER, *PEOPLE[:2]]))
    import_roster(demo_run, path, actor="organiser", make_codes=True)
    first = codes(demo_run)
    path.write_text(csv_text([HEADER, *PEOPLE]))
    again = import_roster(demo_run, path, actor="organiser", make_codes=True)
    assert again.codes_made == 1 and len(again.added) == 1 and again.updated == []
    after = codes(demo_run)
    assert {k: after[k] for k in first} == first  # codes already handed out stay valid
    assert after["amaka.obi@example.org"] not in (None, *first.values())
    # Without --make-codes nothing is made, and the summary does not mention codes.
    plain = import_roster(demo_run, path, actor="organiser")
    assert plain.codes_made is None and not any("personal codes" in line for line in plain.summary())


def test_a_dry_run_with_make_codes_says_how_many_and_writes_nothing(tmp_path: Path, demo_run: Store) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(csv_text([HEADER, *PEOPLE]))
    count = len(demo_run.events())
    result = import_roster(demo_run, path, actor="organiser", make_codes=True, dry_run=True)
    assert (
        "  personal codes: would make 3 for people without one (they are in the run's participants table, to print"
        " or send)" in result.summary(dry_run=True)
    )
    assert len(demo_run.events()) == count


def test_the_workshop_sets_the_shortest_code_an_import_accepts(tmp_path: Path, tiny_programme: Programme) -> None:
    workshop = tiny_programme.workshop
    strict = replace(
        tiny_programme,
        workshop=replace(workshop, participant_page=replace(workshop.participant_page, min_code_length=12)),
    )
    with Store.create(tmp_path / "run.db", strict, actor="lead") as store:
        path = tmp_path / "roster.csv"
        path.write_text(
            csv_text([["name", "email", "location", "code"], ["Amina", "amina@example.org", "hq", "K7QX2-MN4PA"]])
        )
        with pytest.raises(InputError, match=r"roster.csv:2: code: has 10 characters .* at least 12 "):
            import_roster(store, path, actor="organiser")
        path.write_text(csv_text([["name", "email", "location", "code"], ["Amina", "amina@example.org", "hq", ""]]))
        import_roster(store, path, actor="organiser", make_codes=True)
        made = codes(store)["amina@example.org"]
        assert made is not None and len(normalise_code(made)) == 12  # made as long as the workshop asks


def test_cli_make_codes_prints_how_many(tmp_path: Path, pristine_db: Path) -> None:
    shutil.copy(pristine_db, tmp_path / "run.db")
    shutil.copy(DEMO_ROSTER, tmp_path / "roster.csv")
    done = facilitator("roster", "import", "roster.csv", "--db", "run.db", "--make-codes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "  personal codes: made 60 for people without one" in done.stdout
    again = facilitator("roster", "import", "roster.csv", "--db", "run.db", "--make-codes", cwd=tmp_path)
    assert again.stdout.splitlines()[0] == "roster.csv: 60 people: added 0, updated 0, unchanged 60"
    assert "  personal codes: made 0 for people without one" in again.stdout.splitlines()
    with Store.open(tmp_path / "run.db") as store:
        made = [c for c in codes(store).values() if c]
    assert len(made) == 60 and len(set(made)) == 60


def test_the_api_refuses_a_bad_file_without_writing(tmp_path: Path, demo_run: Store) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(CASES["every bad row is listed, and only its own value"].content)  # type: ignore[arg-type]
    count = len(demo_run.events())
    with pytest.raises(InputError) as caught:
        import_roster(demo_run, path, actor="organiser")
    assert [p.line for p in caught.value.problems] == [3, 9, 12]
    assert len(demo_run.events()) == count
    assert not [e for e in demo_run.events() if e.kind == ev.PARTICIPANT_ADDED]
