"""Fuzzing the roster and the video-call report importers: any file ends in an import or one InputError.

Files are CSV-like text built from the pieces real exports are made of (headers, delimiters, quotes, line
endings, encodings, dates) with random text mixed in, and plain random bytes. On a refusal the run's log
is exactly as it was; on success the events written are the ones the plan announced.
"""

from __future__ import annotations

import codecs
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from facilitator.attendance.call_reports import read_report, reconcile
from facilitator.attendance.roster import Roster
from facilitator.attendance.roster_import import import_roster
from facilitator.problems import InputError
from facilitator.record import events as ev
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import TINY_PROGRAMME

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
DAY = date(2022, 8, 22)
PERSON = {"name": "Amina Deng", "email": "a@x.org", "location": "hq"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One run for all the examples of a test: each compares the log before and after itself."""
    db = tmp_path_factory.mktemp("fuzz") / "run.db"
    with Store.create(db, Programme.validate(TINY_PROGRAMME), actor="test") as made:
        made.append_many(
            [
                (
                    ev.PARTICIPANT_ADDED,
                    {"participant": "p1", "name": "Amina Deng", "email": "a@x.org", "location": "hq"},
                ),
                (ev.PARTICIPANT_ADDED, {"participant": "p2", "name": "Ben Okafor", "email": "", "location": "juba"}),
            ],
            actor="test",
        )
        yield made


def assert_one_line_each(exc: InputError) -> None:
    lines = exc.lines()
    assert lines
    assert all(line.strip() and "\n" not in line and "\x1b" not in line for line in lines), lines


def write(data: bytes) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fuzz-import-") as scratch:
        path = Path(scratch) / "file.csv"
        path.write_bytes(data)
        yield path


# -- the pieces of a CSV file --------------------------------------------------------------------------

NASTY = st.sampled_from(
    [
        "",
        " ",
        '"',
        '""',
        "'",
        ",",
        ";",
        "\t",
        "\n",
        "\r",
        "\r\n",
        "\x00",
        "\x1b[31m",
        "[bold]x[/]",
        "=1+2",
        "\ufeff",
        "\u202e",
        "é",
        "👩🏽‍💼",
        "Deng, Amina",
        "a@x.org",
        "A@X.ORG",
        "not@",
        "@",
        "hq",
        "HQ",
        "juba",
        "Headquarters",
        "mars",
        "P0001",
        "female",
        "x" * 300,
    ]
)
CELL = st.one_of(NASTY, st.text(max_size=15))
ROSTER_HEADERS = st.sampled_from(
    [
        "name", "email", "location", "role", "organisation", "gender", "code", "Full name", "Email address",
        "E-mail", "Mission", "Duty station", "First name", "Last name", "Given name", "Surname", "Notes", "",
    ]
)  # fmt: skip


@st.composite
def csv_files(
    draw: st.DrawFn,
    headers: st.SearchStrategy[str],
    cells: st.SearchStrategy[str],
    layouts: tuple[tuple[str, ...], ...] = (),
    columns: dict[str, st.SearchStrategy[str]] | None = None,
) -> bytes:
    """CSV text from header names and cells, with a random delimiter, quoting, line ending and encoding.

    Half the time the file is tidy: the header one of ``layouts`` (shuffled, with extra columns), as many cells
    as columns, UTF-8, whole; so that the parsing of the rows and their cells is reached, not only the refusals.
    """
    tidy = bool(layouts) and draw(st.booleans())
    delimiter = draw(st.sampled_from([",", "\t"] if tidy else [",", ";", "\t", "|"]))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    quote_all = draw(st.booleans())

    def field(value: str) -> str:
        if quote_all or any(c in value for c in f'{delimiter}"\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    header = draw(st.lists(st.one_of(headers, st.text(max_size=8)), min_size=1, max_size=8))
    if tidy:
        header = draw(st.permutations([*draw(st.sampled_from(layouts)), *header[:2]]))
    if tidy:  # a column of a known kind gets cells of its kind (times a parser can read, say)
        row = st.tuples(*((columns or {}).get(name, cells) for name in header)).map(list)
        rows = draw(st.lists(row, max_size=8))
    else:
        rows = draw(st.lists(st.lists(cells, max_size=len(header) + 2), max_size=8))
    lines = [delimiter.join(map(field, header))] + [delimiter.join(map(field, row)) for row in rows]
    text = end.join(lines) + draw(st.sampled_from(["", end, end * 3]))
    encoding = "utf-8" if tidy else draw(st.sampled_from(["utf-8-sig", "utf-16", "utf-16-le", "cp1252", "utf-32"]))
    data = text.encode(encoding, errors="replace")
    if not tidy and draw(st.booleans()):  # a cut in the middle, as a half-copied file would have
        data = data[: draw(st.integers(0, len(data)))]
    return data


ROSTER_LAYOUTS = (("name", "email", "location"), ("Full name", "E-mail", "Mission"))
NAME = st.one_of(CELL, st.sampled_from(["Amina Deng", "Zoë Ng", "[b]Eve[/b]", "O'Neil, Pat"]))
ROSTER_COLUMNS = {
    "name": NAME,
    "Full name": NAME,
    "email": st.from_regex(r"[a-z]{1,6}@example\.org", fullmatch=True) | CELL,
    "E-mail": st.from_regex(r"[a-z]{1,6}@example\.org", fullmatch=True),
    "location": st.sampled_from(["hq", "juba", "HQ", "Headquarters"]),
    "Mission": st.sampled_from(["hq", "juba", "Juba", "mars"]),
}


# -- the roster ----------------------------------------------------------------------------------------


def check_roster_import(store: Store, data: bytes) -> None:
    before = [e.id for e in store.events()]
    for path in write(data):
        try:
            plan = import_roster(store, path, actor="fuzz")
        except InputError as exc:
            assert_one_line_each(exc)
            event("refused")
            assert [e.id for e in store.events()] == before, "a refused roster changed the log"
            return
        event(f"imported: {len(plan.events)} events")
        after = store.events()
        assert [e.id for e in after[: len(before)]] == before
        assert len(after) - len(before) == (len(plan.events) if plan.written else 0)
        assert store.integrity_check() == "ok"


@FUZZ
@given(data=csv_files(ROSTER_HEADERS, CELL, ROSTER_LAYOUTS, ROSTER_COLUMNS))
def test_any_roster_is_imported_or_refused_without_a_trace(store: Store, data: bytes) -> None:
    check_roster_import(store, data)


@FUZZ
@given(data=st.binary(max_size=3000))
def test_any_bytes_as_a_roster(store: Store, data: bytes) -> None:
    check_roster_import(store, data)


# -- Zoom and Teams reports ----------------------------------------------------------------------------

STAMPS = st.sampled_from(
    [
        "08/22/2022 08:01:33 AM", "08/22/2022 8:05:00 PM", "22/08/22, 14:00:05", "8/22/2022, 10:00:00 AM",
        "2022-08-22 09:00", "2022-08-22T09:00:00+02:00", "2022-08-22T09:00:00Z", "22.08.2022 09:00",
        "13/13/2022 25:61:61", "02/30/2022 10:00:00 AM", "", "--", "0", "9999-12-31 23:59", "0001-01-01 00:00",
        "22/08/2022 à 09:58:51", "22.08.2022 um 14:00", "22/08/2022 a las 14:00", "22/08/2022 às 14:00",
        "04/08/2022 09:00", "8/22/2022 12:00:00 AM", "8/22/2022 0:30 AM",
    ]
)  # fmt: skip
REPORT_HEADERS = st.sampled_from(
    [
        "Name (Original Name)", "Name", "User Email", "Email", "Join Time", "Leave Time", "Duration (Minutes)",
        "Guest", "First Join", "Last Leave", "Full Name", "User Action", "Timestamp", "Participant ID (UPN)",
        "Role", "Total Duration (Minutes)", "Nom (nom original)", "Heure d’arrivée", "Heure de départ", "Nom complet",
        "Heure d'arrivée", "Action de l’utilisateur", "Date et heure", "Nombre (nombre original)", "Hora de entrada",
        "Hora de salida", "Nome (nome original)", "Ingressar na hora", "Hora de saída", "Name (ursprünglicher Name)",
        "Beitrittszeit", "Austrittszeit", "Erster Beitritt", "Letztes Verlassen", "Duración total (minutos)",
    ]
)  # fmt: skip
REPORT_LAYOUTS = (
    ("Name (Original Name)", "User Email", "Join Time", "Leave Time"),
    ("Name", "First Join", "Last Leave", "Email"),
    ("Name", "Join Time", "Leave Time"),
    ("Full Name", "User Action", "Timestamp"),
    ("Nom (nom original)", "Heure d’arrivée", "Heure de départ", "Invité"),
    ("Nom complet", "Heure d'arrivée", "Heure de départ"),
    ("Nom complet", "Action de l’utilisateur", "Date et heure"),
    ("Nombre (nombre original)", "Hora de entrada", "Hora de salida", "Invitado"),
    ("Name (ursprünglicher Name)", "Beitrittszeit", "Austrittszeit", "Dauer (Minuten)"),
)
READABLE_TIME = st.sampled_from(["08/22/2022 08:01:33 AM", "08/22/2022 09:30:00 AM", "08/22/2022 1:15:00 PM"])
FRENCH_TIME = st.sampled_from(["22/08/2022 à 09:01:31", "22/08/22 10:30:00", "04/08/2022 11:00"])
REPORT_COLUMNS = {
    "Join Time": READABLE_TIME,
    "Leave Time": READABLE_TIME,
    "First Join": READABLE_TIME,
    "Last Leave": READABLE_TIME,
    "Timestamp": READABLE_TIME,
    "User Action": st.sampled_from(["Joined", "Left", "Joined before"]),
    "Heure d’arrivée": FRENCH_TIME,
    "Heure de départ": FRENCH_TIME,
    "Heure d'arrivée": FRENCH_TIME,
    "Date et heure": FRENCH_TIME,
    "Action de l’utilisateur": st.sampled_from(["Rejoint", "A quitté l'appel"]),
    "Hora de entrada": FRENCH_TIME,
    "Hora de salida": FRENCH_TIME,
    "Beitrittszeit": st.sampled_from(["22.08.2022 09:00:00", "22.08.2022 um 14:00"]),
    "Austrittszeit": st.sampled_from(["22.08.2022 10:00:00", "22.08.2022 um 15:00"]),
}
REPORT_CELLS = st.one_of(
    CELL, STAMPS, st.sampled_from(["Joined", "Left", "Joined before", "Attendee", "Rejoint", "A quitté l'appel"])
)
# What the cells and headers above hold that stands for a person: never quoted in a refusal.
PERSONAL = ("a@x.org", "A@X.ORG", "Amina Deng", "Deng, Amina", "Zoë Ng", "O'Neil, Pat")
TEAMS_PREAMBLE = st.sampled_from(
    [
        "",
        "1. Summary\nMeeting title\tWPS\nStart time\t22/08/22, 13:58:02\n\n2. Participants\n",
        "1. Summary\nTime zone\tAmerica\n\n2. Participants\n",
        "1. Summary\nTime zone\tMars/Olympus\n\n3. In-Meeting activities\n",
        "1. Summary\nTime zone\tUTC\n\n3. In-Meeting activities\n",
        "Meeting ID,Topic,Start Time\n845,WPS,08/22/2022 07:55:02 AM\n\n",
    ]
)


def check_report(store: Store, data: bytes) -> None:
    before = [e.id for e in store.events()]
    for path in write(data):
        try:
            report = read_report(path, timezone="America/New_York", days=[DAY])
        except InputError as exc:
            assert_one_line_each(exc)
            assert not [p for p in PERSONAL for line in exc.lines() if p in line], exc.lines()
            event("refused: " + exc.problems[0].message.split("'")[0][:40])
            return
        event(f"read: {report.layout}")
        assert report.rows
        result = reconcile(report, Roster.from_events(store.events()), location="hq")
        assert result is not None
    assert [e.id for e in store.events()] == before  # reading and matching write nothing


@FUZZ
@given(preamble=TEAMS_PREAMBLE, body=csv_files(REPORT_HEADERS, REPORT_CELLS, REPORT_LAYOUTS, REPORT_COLUMNS))
def test_any_call_report_is_read_or_refused_without_a_trace(store: Store, preamble: str, body: bytes) -> None:
    # The preamble goes on the front of the body in the body's encoding (a BOM stays first).
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16, "utf-16"), (codecs.BOM_UTF32, "utf-32")):
        if body.startswith(bom):
            try:
                text = body.decode(codec)
            except UnicodeDecodeError:
                break
            check_report(store, (preamble + text).encode(codec))
            return
    check_report(store, preamble.encode() + body)


@FUZZ
@given(data=st.binary(max_size=3000))
def test_any_bytes_as_a_call_report(store: Store, data: bytes) -> None:
    check_report(store, data)
