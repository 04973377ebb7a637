"""Every report layout, language and encoding ``attendance import-report`` reads, imported with exact intervals.

The files are generated here from the layouts of real reports (the column names, section titles, action
words and time formats of each language, with where each was found), filled with made-up visits of
people on the demo roster and one made-up guest, and written the way the service writes them and the
ways Excel saves them again. Each import must record exactly the visits, in the location's time zone.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from facilitator.cli import main
from facilitator.record import events as ev
from facilitator.record.clock import to_text
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from tests.test_call_reports import PEOPLE, REPO

ID = {p["name"]: p["participant"] for p in PEOPLE}
EMAIL = {p["name"]: p["email"] for p in PEOPLE}
DAY = (2022, 8, 23)  # a workshop day; 23 settles day and month by itself


@dataclass(frozen=True)
class Visit:
    """One stay in the call, in the location's local time."""

    start: tuple[int, int, int]
    end: tuple[int, int, int]


@dataclass(frozen=True)
class Person:
    name: str  # as the report writes it
    email: str  # "" when the report has none for them
    visits: tuple[Visit, ...]
    roster_name: str | None  # None: not on the roster


P1_VISITS = (Visit((9, 1, 31), (10, 15, 7)), Visit((10, 20, 0), (12, 30, 45)))
P2_VISITS = (Visit((9, 5, 10), (12, 31, 2)),)
GUEST_VISITS = (Visit((9, 30, 0), (9, 45, 0)),)
GUEST_EMAIL = "kofi.asante@example.net"


def people(first: str, second: str, second_as_written: str, *, emails: bool) -> tuple[Person, ...]:
    """Who a report lists: a roster person (by e-mail when the layout has e-mails), one by name only, a guest."""
    return (
        Person(first, EMAIL[first] if emails else "", P1_VISITS, first),
        Person(second_as_written, "", P2_VISITS, second),
        Person("Kofi Asante-Boateng", GUEST_EMAIL if emails else "", GUEST_VISITS, None),
    )


@dataclass(frozen=True)
class Layout:
    """A real report's shape: what comes before the list, the list's header, and how a time is written."""

    id: str
    source: str  # as the summary and the events name it
    summary_layout: str  # the first line of the summary, before ", N rows"
    location: str
    people: tuple[Person, ...]
    header: tuple[str, ...]
    row: Callable[[Person, Visit, Callable[[tuple[int, int, int]], str]], list[str]]
    stamp: Callable[[datetime], str]
    preamble: tuple[tuple[str, ...], ...] = ()
    actions: tuple[str, str, str] | None = None  # joined, joined before, left: one row per action
    first_to_last: bool = False  # one row per person, first join to last leave
    evidence: str = ""


def _stamper(stamp: Callable[[datetime], str]) -> Callable[[tuple[int, int, int]], str]:
    return lambda hms: stamp(datetime(*DAY, *hms))


def _us(at: datetime) -> str:  # 8/23/2022, 9:01:31 AM
    return f"{at.month}/{at.day}/{at.year}, {at:%I:%M:%S %p}".replace(", 0", ", ")


LAYOUTS = [
    Layout(
        id="zoom-en",
        source="zoom",
        summary_layout="Zoom participants report, month-first dates",
        location="hq",
        people=people("Sofia Marquez", "Priya Raman", "iPad (Priya Raman)", emails=True),
        preamble=(
            ("Meeting ID", "Topic", "Start Time", "End Time", "User Email", "Duration (Minutes)", "Participants"),
            (
                "84512345678",
                "WPS training",
                "08/23/2022 08:55:02 AM",
                "08/23/2022 12:40:10 PM",
                "h@example.org",
                "225",
                "3",
            ),
            (),
        ),
        header=("Name (Original Name)", "User Email", "Join Time", "Leave Time", "Duration (Minutes)", "Guest"),
        row=lambda p, v, t: [p.name, p.email, t(v.start), t(v.end), "60", "Yes" if not p.email else "No"],
        stamp=lambda at: f"{at:%m/%d/%Y %I:%M:%S %p}",
        evidence="the Zoom layout this importer already read; microsoft/vivainsights_zoom_int's README",
    ),
    Layout(
        id="zoom-fr",
        source="zoom",
        summary_layout="Zoom participants report in French, day-first dates",
        location="monusco",
        people=people("Espérance Mbuyi", "Jean-Paul Kabongo", "Jean-Paul KABONGO (Invité)", emails=True),
        header=(
            "Nom (nom original)",
            "Adresse e-mail de l’utilisateur",
            "Heure d’arrivée",
            "Heure de départ",
            "Durée (minutes)",
            "Invité",
            "Salle d’attente",
        ),
        row=lambda p, v, t: [p.name, p.email, t(v.start), t(v.end), "60", "Oui", "Non"],
        stamp=lambda at: f"{at:%d/%m/%y %H:%M:%S}",
        evidence="public code reproducing French Zoom exports (columns and %d/%m/%y %H:%M:%S)",
    ),
    Layout(
        id="zoom-es",
        source="zoom",
        summary_layout="Zoom participants report in Spanish, day-first dates",
        location="minurso",
        people=people("Laura Jiménez", "Youssef Amrani", "youssef  amrani", emails=True),
        header=(
            "Nombre (nombre original)",
            "Correo electrónico",
            "Hora de entrada",
            "Hora de salida",
            "Duración (minutos)",
            "Invitado",
            "En sala de espera",
        ),
        row=lambda p, v, t: [p.name, p.email, t(v.start), t(v.end), "60", "No", "No"],
        stamp=lambda at: f"{at:%d/%m/%Y %H:%M:%S}",
        evidence="public Spanish Zoom importers (pandas read with dayfirst=True)",
    ),
    Layout(
        id="zoom-es-2020",
        source="zoom",
        summary_layout="Zoom participants report in Spanish, day-first dates",
        location="minurso",
        people=people("Laura Jiménez", "Youssef Amrani", "Youssef Amrani", emails=True),
        header=(
            "Nombre (nombre original)",
            "E-mail del usuario",
            "Hora para unirse",
            "Hora para salir",
            "Duración (minutos)",
        ),
        row=lambda p, v, t: [p.name, p.email, t(v.start), t(v.end), "60"],
        stamp=lambda at: f"{at:%d/%m/%Y %I:%M:%S %p}",
        evidence="a public PHP importer that looks for this header with ',' and with ';'",
    ),
    Layout(
        id="zoom-pt",
        source="zoom",
        summary_layout="Zoom participants report in Portuguese, day-first dates",
        location="minurso",
        people=people("Ana Pereira", "Chioma Eze", "Chioma Eze", emails=True),
        preamble=(
            ("Tópico", "ID", "Anfitrião", "Duração (minutos)", "Participantes"),
            ("Formação", "845", "A", "225", "3"),
            (),
        ),
        header=(
            "Nome (nome original)",
            "E-mail",
            "Ingressar na hora",
            "Hora de saída",
            "Duração (minutos)",
            "Convidado",
            "Na sala de espera",
        ),
        row=lambda p, v, t: [p.name, p.email, t(v.start), t(v.end), "60", "Não", "Não"],
        stamp=lambda at: f"{at:%d/%m/%Y %H:%M:%S}",
        evidence="two public Brazilian Zoom importers (meeting block Tópico, ID, Anfitrião; then this header)",
    ),
    Layout(
        id="zoom-de",
        source="zoom",
        summary_layout="Zoom participants report in German, day-first dates",
        location="unficyp",
        people=people("Marek Horváth", "Andreas Christou", "Andreas Christou", emails=True),
        header=("Name (ursprünglicher Name)", "E-Mail", "Beitrittszeit", "Austrittszeit", "Dauer (Minuten)"),
        row=lambda p, v, t: [p.name, p.email, t(v.start), t(v.end), "60"],
        stamp=lambda at: f"{at:%d.%m.%Y %H:%M:%S}",
        evidence="a public German Zoom importer's column names; the dotted date is assumed",
    ),
    Layout(
        id="teams-en-sections",
        source="teams",
        summary_layout="Teams attendance report (in-meeting activities), day-first dates",
        location="unmiss",
        people=people("Amina Deng", "Peter Lual Akot", "Akot, Peter Lual (Guest)", emails=True),
        preamble=(
            ("1. Summary",),
            ("Meeting title", "WPS training, day 2"),
            ("Attended participants", "3"),
            ("Start time", "23/08/22, 08:58:02"),
            ("Meeting duration", "3h 42m 9s"),
            (),
            ("2. Participants",),
            ("Name", "First join", "Last leave", "In-meeting duration", "Email", "Participant ID (UPN)", "Role"),
            ("Amina Deng", "23/08/22, 09:01:31", "23/08/22, 12:30:45", "3h", "", "", "Organizer"),
            (),
            ("3. In-Meeting activities",),
        ),
        header=("Name", "Join time", "Leave time", "Duration", "Email", "Role"),
        row=lambda p, v, t: [p.name, t(v.start), t(v.end), "1h", p.email, "Presenter" if p.email else "Attendee"],
        stamp=lambda at: f"{at:%d/%m/%y, %H:%M:%S}",
        evidence="dvaneynde/teams-attendance data/utf8/IDL-15-11-22.csv (a real download, names changed)",
    ),
    Layout(
        id="teams-en-us-participants",
        source="teams",
        summary_layout="Teams attendance report (participants), month-first dates",
        location="unmiss",
        people=people("Amina Deng", "Peter Lual Akot", "Peter Lual Akot", emails=True),
        preamble=(
            ("1. Summary",),
            ("Meeting title", "WPS"),
            ("Start time", "8/23/2022, 8:58:02 AM"),
            (),
            ("2. Participants",),
        ),
        header=("Name", "First Join", "Last Leave", "In-Meeting Duration", "Email", "Participant ID (UPN)", "Role"),
        row=lambda p, v, t: [p.name, t(v.start), t(v.end), "3h", p.email, p.email, "Attendee"],
        stamp=_us,
        first_to_last=True,
        evidence="the same report with a United States regional format (5/15/2023, 10:00:00 AM)",
    ),
    Layout(
        id="teams-pt-2021",
        source="teams",
        summary_layout="Teams attendance report (in-meeting activities) in Portuguese, month-first dates",
        location="minurso",
        people=people("Ana Pereira", "Chioma Eze", "Chioma Eze", emails=True),
        preamble=(
            ("Resumo da Reunião",),
            ("Número Total de Participantes", "3"),
            ("Hora de início da reunião", "8/23/2022, 8:58:02 AM"),
            (),
        ),
        header=(
            "Nome Completo",
            "Horário de Entrada",
            "Horário de Saída",
            "Duração",
            "Email",
            "Função",
            "ID do participante (UPN)",
        ),
        row=lambda p, v, t: [p.name, t(v.start), t(v.end), "1h", p.email, "Participante", p.email],
        stamp=_us,
        evidence="lucasgbezerra/python_projects attendance_sheet/generator.py (Portuguese columns, US times)",
    ),
    Layout(
        id="teams-fr-2021",
        source="teams",
        summary_layout="Teams attendance report (in-meeting activities) in French, day-first dates",
        location="minusca",
        people=people("Nadège Ouamba", "Brice Kossi", "Kossi, Brice (Invité)", emails=True),
        header=("Nom complet", "Heure d'arrivée", "Heure de départ", "Durée", "E-mail", "Rôle"),
        row=lambda p, v, t: [p.name, t(v.start), t(v.end), "1 h", p.email, "Participant"],
        stamp=lambda at: f"{at:%d/%m/%Y} à {at:%H:%M:%S}",
        evidence="issue 16 (reports from the missions in Mali, the DRC and the Central African Republic)",
    ),
    Layout(
        id="teams-en-list",
        source="teams",
        summary_layout="Teams attendance list (joined/left actions), month-first dates",
        location="unmiss",
        people=people("Amina Deng", "Peter Lual Akot", "Peter Lual Akot", emails=False),
        header=("Full Name", "User Action", "Timestamp"),
        row=lambda p, v, t: [],
        stamp=_us,
        actions=("Joined", "Joined before", "Left"),
        evidence="dominikhoebert/Teams-Attendance-Klassenbuch-Writer; issue 16 ('9/4/2020, 11:57:51 AM')",
    ),
    Layout(
        id="teams-fr-list",
        source="teams",
        summary_layout="Teams attendance list (joined/left actions) in French, day-first dates",
        location="minusca",
        people=people("Nadège Ouamba", "Brice Kossi", "BRICE KOSSI", emails=False),
        header=("Nom complet", "Action de l’utilisateur", "Date et heure"),
        row=lambda p, v, t: [],
        stamp=lambda at: f"{at:%d/%m/%Y} à {at:%H:%M:%S}",
        actions=("Rejoint", "Rejoint", "A quitté l'appel"),
        evidence="a public 'Microsoft-Teams Attendees Analyser' README (19/01/2021 à 09:58:51)",
    ),
    Layout(
        id="teams-de-participants",
        source="teams",
        summary_layout="Teams attendance report (participants) in German, day-first dates",
        location="unficyp",
        people=people("Marek Horváth", "Andreas Christou", "Andreas Christou", emails=True),
        header=("Name", "Erster Beitritt", "Letztes Verlassen", "E-Mail"),
        row=lambda p, v, t: [p.name, t(v.start), t(v.end), p.email],
        stamp=lambda at: f"{at:%d.%m.%y, %H:%M:%S}",
        first_to_last=True,
        evidence="column names from a public importer's German vocabulary, not a sample file",
    ),
]


def report_rows(layout: Layout) -> list[list[str]]:
    """The report's rows: preamble, header, then the made-up visits in the layout's shape."""
    stamp = _stamper(layout.stamp)
    rows = [list(r) for r in layout.preamble] + [list(layout.header)]
    if layout.actions is not None:
        return rows + _action_rows(layout, stamp)
    for person in layout.people:
        if layout.first_to_last:
            rows.append(layout.row(person, Visit(person.visits[0].start, person.visits[-1].end), stamp))
        else:
            rows.extend(layout.row(person, visit, stamp) for visit in person.visits)
    return rows


def _action_rows(layout: Layout, stamp: Callable[[tuple[int, int, int]], str]) -> list[list[str]]:
    assert layout.actions is not None
    joined, joined_before, left = layout.actions
    actions = []
    for n, person in enumerate(layout.people):
        for k, visit in enumerate(person.visits):
            came = joined_before if n == 1 and k == 0 else joined  # someone already there when the list began
            actions += [(visit.start, person.name, came), (visit.end, person.name, left)]
    return [[name, action, stamp(at)] for at, name, action in sorted(actions)]


# -- how the file is written ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Writing:
    id: str
    encoding: str  # a Python codec; "-sig" and "utf-16" write a byte order mark
    delimiter: str
    newline: str
    padded: bool  # every row padded with empty cells to the widest, as Excel saves it
    minutes_only: bool = False  # Excel re-typed the times and dropped the seconds


AS_DOWNLOADED = {
    "zoom": Writing("as downloaded (UTF-8, comma, LF)", "utf-8", ",", "\n", padded=False),
    "teams": Writing("as downloaded (UTF-16 LE with BOM, tab, CRLF)", "utf-16", "\t", "\r\n", padded=False),
}
RESAVED = [
    Writing("Excel CSV UTF-8 (BOM, comma, CRLF)", "utf-8-sig", ",", "\r\n", padded=True),
    Writing("Excel CSV UTF-8 in a semicolon region (BOM, semicolon, CRLF)", "utf-8-sig", ";", "\r\n", padded=True),
    Writing("Excel Unicode text (UTF-16 LE with BOM, tab, CRLF)", "utf-16", "\t", "\r\n", padded=True),
    Writing("UTF-16 BE with BOM, tab, LF", "utf-16-be-bom", "\t", "\n", padded=False),
    Writing("UTF-16 LE without BOM, tab, CRLF", "utf-16-le", "\t", "\r\n", padded=False),
    Writing("UTF-8 without BOM, tab, LF", "utf-8", "\t", "\n", padded=False),
]


def encode(rows: list[list[str]], writing: Writing) -> bytes:
    width = max(len(r) for r in rows)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=writing.delimiter, lineterminator=writing.newline)
    for row in rows:
        writer.writerow(row + [""] * (width - len(row)) if writing.padded else row)
    text = out.getvalue()
    if writing.encoding == "utf-16-be-bom":
        return b"\xfe\xff" + text.encode("utf-16-be")
    return text.encode(writing.encoding)


# -- what must be recorded ------------------------------------------------------------------------------------


def expected_events(layout: Layout, *, minutes_only: bool = False) -> list[tuple[str, str, str]]:
    """(UTC time, kind, participant) of every check-in and check-out, from the visits in local time."""
    zone = ZoneInfo(_zones()[layout.location])
    out = []
    for person in layout.people:
        if person.roster_name is None:
            continue
        visits = person.visits
        if layout.first_to_last:
            visits = (Visit(visits[0].start, visits[-1].end),)
        pid = ID[person.roster_name]
        for visit in visits:
            for hms, kind in ((visit.start, ev.ATTENDANCE_CHECKED_IN), (visit.end, ev.ATTENDANCE_CHECKED_OUT)):
                local = datetime(*DAY, *hms, tzinfo=zone)
                if minutes_only:
                    local = local.replace(second=0)
                out.append((to_text(local.astimezone(UTC)), kind, pid))
    return sorted(out)


def _zones() -> dict[str, str]:
    workshop = load_workshop(REPO / "exercises").programme.workshop
    return {loc.id: loc.timezone for loc in workshop.locations}


def recorded(db: Path) -> list[tuple[str, str, str]]:
    with Store.open(db) as store:
        return sorted(
            (e.payload["at"], e.kind, e.payload["participant"])
            for e in store.events()
            if e.kind in (ev.ATTENDANCE_CHECKED_IN, ev.ATTENDANCE_CHECKED_OUT)
        )


def run_import(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["attendance", "import-report", *map(str, args), "--as", "tester"])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workshop with the demo roster, built once and copied for each test."""
    db = tmp_path_factory.mktemp("template") / "run.db"
    with Store.create(db, load_workshop(REPO / "exercises").programme, actor="test") as store:
        store.append_many([(ev.PARTICIPANT_ADDED, person) for person in PEOPLE], actor="test")
    return db


@pytest.fixture
def fresh_db(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # so that the summary names the file as a user in that folder sees it
    copy = tmp_path / "run.db"
    shutil.copyfile(template, copy)
    return copy


CASES = [
    pytest.param(layout, writing, id=f"{layout.id}: {writing.id}")
    for layout in LAYOUTS
    for writing in [AS_DOWNLOADED[layout.source], *RESAVED]
]


@pytest.mark.parametrize(("layout", "writing"), CASES)
def test_every_layout_in_every_encoding_records_exactly_the_visits(
    layout: Layout, writing: Writing, fresh_db: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.csv"
    report.write_bytes(encode(report_rows(layout), writing))
    code, out = run_import(report, "--db", fresh_db, "--location", layout.location)
    assert code == 0, out
    zone = _zones()[layout.location]
    lines = out.splitlines()
    assert lines[0] == f"report.csv: {layout.summary_layout}, {_row_count(layout)} rows, times read in {zone}"
    by_email = 1 if layout.people[0].email else 0
    intervals = 2 if layout.first_to_last else 3
    assert lines[1] == f"  matched 2 people ({by_email} by e-mail, {2 - by_email} by name) in {intervals} intervals"
    # Listed by name (and by Teams' role, when not an attendee's), never by e-mail outside a dry run.
    assert lines[2].startswith("  not matched (1): Kofi Asante-Boateng")
    assert GUEST_EMAIL not in out
    assert recorded(fresh_db) == expected_events(layout)


def _row_count(layout: Layout) -> int:
    if layout.first_to_last:
        return len(layout.people)
    return sum(len(p.visits) for p in layout.people)


def test_the_times_are_those_of_the_location_zone_whatever_the_layout(fresh_db: Path, tmp_path: Path) -> None:
    """Spelled out once: 09:01:31 in Kinshasa (UTC+1) is 08:01:31 UTC, however the French report writes it."""
    for layout_id in ("zoom-fr", "teams-fr-2021", "teams-fr-list"):
        layout = next(layout for layout in LAYOUTS if layout.id == layout_id)
        assert layout.location in ("monusco", "minusca")  # both UTC+1 all year
        first = expected_events(layout)[0]
        assert first == ("2022-08-23T08:01:31.000000Z", ev.ATTENDANCE_CHECKED_IN, first[2])


def test_excel_retyped_times_without_seconds_are_read_too(fresh_db: Path, tmp_path: Path) -> None:
    """Excel turns "23/08/2022 à 09:01:31" into a date cell and saves it as "23/08/2022 09:01"."""
    base = next(layout for layout in LAYOUTS if layout.id == "teams-fr-2021")
    layout = Layout(**{**base.__dict__, "stamp": lambda at: f"{at:%d/%m/%Y %H:%M}"})
    report = tmp_path / "rapport.csv"
    report.write_bytes(encode(report_rows(layout), RESAVED[1]))
    code, out = run_import(report, "--db", fresh_db, "--location", layout.location)
    assert code == 0, out
    assert recorded(fresh_db) == expected_events(layout, minutes_only=True)


def test_a_dry_run_shows_each_persons_intervals_and_the_unmatched_with_their_email(
    fresh_db: Path, tmp_path: Path
) -> None:
    layout = next(layout for layout in LAYOUTS if layout.id == "zoom-fr")
    report = tmp_path / "participants.csv"
    report.write_bytes(encode(report_rows(layout), AS_DOWNLOADED["zoom"]))
    before = fresh_db.read_bytes()
    code, out = run_import(report, "--db", fresh_db, "--location", layout.location, "--dry-run")
    assert code == 0, out
    assert out.splitlines() == [
        "participants.csv: Zoom participants report in French, day-first dates, 4 rows, times read in Africa/Kinshasa",
        "  matched 2 people (1 by e-mail, 1 by name) in 3 intervals",
        "    Espérance Mbuyi: 2022-08-23 09:01:31 to 10:15:07, 2022-08-23 10:20:00 to 12:30:45",
        "    Jean-Paul Kabongo: 2022-08-23 09:05:10 to 12:31:02",
        f"  not matched (1): Kofi Asante-Boateng <{GUEST_EMAIL}>",
        "dry run: would record 6 events; nothing written",
    ]
    assert fresh_db.read_bytes() == before


def test_the_older_teams_list_re_saved_by_excel_as_the_issue_describes(fresh_db: Path, tmp_path: Path) -> None:
    """Comma-separated, UTF-8 with a BOM, CRLF, each timestamp quoted: "9/4/2020, 11:57:51 AM"."""
    report = tmp_path / "meetingAttendanceList.csv"
    report.write_bytes(
        "\ufeffFull Name,User Action,Timestamp\r\n"
        'Amina Deng,Joined,"8/23/2022, 9:01:31 AM"\r\n'
        'Amina Deng,Left,"8/23/2022, 11:57:51 AM"\r\n'.encode()
    )
    code, out = run_import(report, "--db", fresh_db, "--location", "unmiss")
    assert code == 0, out
    amina = ID["Amina Deng"]
    assert recorded(fresh_db) == [
        ("2022-08-23T07:01:31.000000Z", ev.ATTENDANCE_CHECKED_IN, amina),
        ("2022-08-23T09:57:51.000000Z", ev.ATTENDANCE_CHECKED_OUT, amina),
    ]


# -- day first or month first -------------------------------------------------------------------------------


def _zoom_en(stamps: list[tuple[str, str]]) -> str:
    header = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
    return header + "".join(f"Amina Deng,amina.deng@example.org,{a},{b},60,No\n" for a, b in stamps)


def test_an_ambiguous_file_is_refused_until_date_order_settles_it(fresh_db: Path, tmp_path: Path) -> None:
    report = tmp_path / "zoom.csv"
    # 4 September or 9 April: neither is a workshop day, the report is in English, no day above 12.
    report.write_text(_zoom_en([("04/09/2022 09:00:00 AM", "04/09/2022 10:00:00 AM")]), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["attendance", "import-report", str(report), "--db", str(fresh_db), "--location", "unmiss"]
    )
    assert result.exit_code == 2
    assert "--date-order dmy" in result.output and "--date-order mdy" in result.output
    assert "Amina" not in result.output and "amina.deng" not in result.output
    assert recorded(fresh_db) == []

    code, out = run_import(report, "--db", fresh_db, "--location", "unmiss", "--date-order", "dmy", "--dry-run")
    assert code == 0, out
    assert "    Amina Deng: 2022-09-04 09:00:00 to 10:00:00" in out.splitlines()
    code, out = run_import(report, "--db", fresh_db, "--location", "unmiss", "--date-order", "mdy")
    assert code == 0, out
    amina = ID["Amina Deng"]
    assert recorded(fresh_db) == [
        ("2022-04-09T07:00:00.000000Z", ev.ATTENDANCE_CHECKED_IN, amina),
        ("2022-04-09T08:00:00.000000Z", ev.ATTENDANCE_CHECKED_OUT, amina),
    ]


def test_one_day_above_12_anywhere_settles_the_whole_file(fresh_db: Path, tmp_path: Path) -> None:
    report = tmp_path / "zoom.csv"
    report.write_text(
        _zoom_en(
            [("04/09/2022 09:00:00 AM", "04/09/2022 10:00:00 AM"), ("13/09/2022 09:00:00 AM", "13/09/2022 10:00:00 AM")]
        ),
        encoding="utf-8",
    )
    code, out = run_import(report, "--db", fresh_db, "--location", "unmiss", "--dry-run")
    assert code == 0, out
    assert "    Amina Deng: 2022-09-04 09:00:00 to 10:00:00, 2022-09-13 09:00:00 to 10:00:00" in out.splitlines()


def test_the_language_of_the_columns_settles_a_24_hour_file_but_not_a_12_hour_one(
    fresh_db: Path, tmp_path: Path
) -> None:
    french = "Nom complet\tHeure d'arrivée\tHeure de départ\tDurée\tE-mail\tRôle\n"
    report = tmp_path / "rapport.csv"
    report.write_text(french + "Brice Kossi\t05/09/2022 à 09:00:00\t05/09/2022 à 10:00:00\t1 h\t\tParticipant\n")
    code, out = run_import(report, "--db", fresh_db, "--location", "minusca", "--dry-run")
    assert code == 0, out
    assert "    Brice Kossi: 2022-09-05 09:00:00 to 10:00:00" in out.splitlines()
    # Portuguese column names over a 12-hour clock: the times follow a US regional format, so no guess.
    portuguese = "Nome Completo\tHorário de Entrada\tHorário de Saída\tDuração\tEmail\tFunção\n"
    report.write_text(portuguese + "Ana Pereira\t9/5/2022, 9:00:00 AM\t9/5/2022, 10:00:00 AM\t1h\t\tParticipante\n")
    code, out = run_import(report, "--db", fresh_db, "--location", "minurso", "--dry-run")
    assert code == 2
    assert "--date-order" in out and "Ana" not in out


def test_a_file_whose_dates_read_the_same_both_ways_needs_no_order(fresh_db: Path, tmp_path: Path) -> None:
    report = tmp_path / "zoom.csv"
    report.write_text(_zoom_en([("08/08/2022 09:00:00 AM", "08/08/2022 10:00:00 AM")]), encoding="utf-8")
    code, out = run_import(report, "--db", fresh_db, "--location", "hq", "--dry-run")
    assert code == 0, out
    assert "    Amina Deng: 2022-08-08 09:00:00 to 10:00:00" in out.splitlines()
