"""``facilitator attendance import-report``: Zoom and Teams reports matched to the roster as check-ins.

The report files are written here in the layouts the services export (see facilitator/attendance/call_reports.py);
the run is the bundled demo workshop with the people of exercises/roster.csv. Good imports go through
click in-process; every malformed input goes through the installed console script in a subprocess
(all at once, in threads), and must give exact problem lines, exit 2 and an untouched database.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from facilitator.attendance.call_reports import merge_intervals, name_candidates, normalise_name, read_report
from facilitator.cli import main
from facilitator.problems import InputError
from facilitator.record import events as ev
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop

REPO = Path(__file__).resolve().parent.parent
FACILITATOR = Path(sys.executable).parent / "facilitator"
TIMEOUT_S = 20
ATTENDANCE = ("attendance.checked_in", "attendance.checked_out")


def _roster_people() -> list[dict[str, str]]:
    with (REPO / "exercises" / "roster.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [
        {"participant": f"p{n:02d}", "name": r["name"], "email": r["email"], "location": r["location"]}
        for n, r in enumerate(rows, start=1)
    ]


PEOPLE = _roster_people()
ID = {p["name"]: p["participant"] for p in PEOPLE}


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of the demo workshop with the demo roster, built once and copied for each test."""
    db = tmp_path_factory.mktemp("template") / "run.db"
    programme = load_workshop(REPO / "exercises").programme
    with Store.create(db, programme, actor="test") as store:
        store.append_many([(ev.PARTICIPANT_ADDED, person) for person in PEOPLE], actor="test")
    return db


@pytest.fixture
def db(template_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # so that files are named as a user in that folder sees them
    copy = tmp_path / "run.db"
    shutil.copyfile(template_db, copy)
    return copy


def _import(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["attendance", "import-report", *map(str, args), "--as", "tester"])
    return result.exit_code, result.output


def _attendance(db: Path) -> list[tuple[str, dict[str, str]]]:
    with Store.open(db) as store:
        return [(e.kind, e.payload) for e in store.events() if e.kind in ATTENDANCE]


def _in(pid: str, at: str, source: str, location: str) -> tuple[str, dict[str, str]]:
    return ("attendance.checked_in", {"participant": pid, "at": at, "source": source, "location": location})


def _out(pid: str, at: str, source: str) -> tuple[str, dict[str, str]]:
    return ("attendance.checked_out", {"participant": pid, "at": at, "source": source})


# -- Zoom ------------------------------------------------------------------------------------------

ZOOM_HEADER = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest,Recording Consent\n"
ZOOM_BLOCK = (
    "Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants,\n"
    "84512345678,WPS training day 1,08/22/2022 07:55:02 AM,08/22/2022 11:40:10 AM,host@example.org,225,14,\n"
    "\n"
)


def test_zoom_report_matches_by_email_and_name_merges_rejoins_and_converts_to_utc(db: Path, tmp_path: Path) -> None:
    report = tmp_path / "participants_84512345678.csv"
    report.write_text(
        "\ufeff"
        + ZOOM_BLOCK
        + ZOOM_HEADER
        # by e-mail, whatever the display name and the e-mail's case; three joins: overlap, touch, gap
        + "Jon's laptop,Jonathan.OKAFOR@example.org,08/22/2022 08:01:33 AM,08/22/2022 09:00:00 AM,59,No,Y\n"
        + "Jon's laptop,jonathan.okafor@example.org,08/22/2022 08:50:00 AM,08/22/2022 09:30:00 AM,40,No,Y\n"
        + "Jon's phone,jonathan.okafor@example.org,08/22/2022 09:30:00 AM,08/22/2022 10:00:00 AM,30,No,Y\n"
        + "Jon's phone,jonathan.okafor@example.org,08/22/2022 10:15:00 AM,08/22/2022 11:00:00 AM,45,No,Y\n"
        # by name: accents, case and extra spaces do not matter
        + "  ELODIE   fournier ,,08/22/2022 8:05:00 AM,08/22/2022 11:30:00 AM,205,Yes,Y\n"
        # Zoom's "Name (original name)": a renamed participant
        + "Table 3 (Priya Raman),,08/22/2022 08:07:10 AM,08/22/2022 12:01:00 PM,234,Yes,Y\n"
        # nobody on the roster: listed by name only, never by e-mail
        + "Guest Speaker,speaker@elsewhere.example,08/22/2022 09:00:00 AM,08/22/2022 09:20:00 AM,20,Yes,Y\n",
        encoding="utf-8",
    )
    code, out = _import(report, "--db", db, "--location", "hq")
    assert code == 0, out
    assert out.splitlines() == [
        "participants_84512345678.csv: Zoom participants report, month-first dates, 7 rows, "
        "times read in America/New_York",
        "  matched 3 people (1 by e-mail, 2 by name) in 4 intervals",
        "  not matched (1): Guest Speaker",
        "recorded 8 events (0 already recorded)",
    ]
    assert "speaker@elsewhere.example" not in out
    jon, elodie, priya = ID["Jonathan Okafor"], ID["Élodie Fournier"], ID["Priya Raman"]
    assert _attendance(db) == [  # New York is UTC-4 in August; events in time order
        _in(jon, "2022-08-22T12:01:33.000000Z", "zoom", "hq"),
        _in(elodie, "2022-08-22T12:05:00.000000Z", "zoom", "hq"),
        _in(priya, "2022-08-22T12:07:10.000000Z", "zoom", "hq"),
        _out(jon, "2022-08-22T14:00:00.000000Z", "zoom"),
        _in(jon, "2022-08-22T14:15:00.000000Z", "zoom", "hq"),
        _out(jon, "2022-08-22T15:00:00.000000Z", "zoom"),
        _out(elodie, "2022-08-22T15:30:00.000000Z", "zoom"),
        _out(priya, "2022-08-22T16:01:00.000000Z", "zoom"),
    ]


def test_the_location_time_zone_applies_and_a_stated_offset_wins(db: Path, tmp_path: Path) -> None:
    report = tmp_path / "juba.csv"
    report.write_text(
        ZOOM_HEADER
        + "Amina Deng,amina.deng@example.org,08/22/2022 02:00:00 PM,08/22/2022 03:00:00 PM,60,No,Y\n"
        + "Grace Akello,,2022-08-22T12:30:00Z,2022-08-22T13:00:00+00:00,30,No,Y\n",
        encoding="utf-8",
    )
    code, out = _import(report, "--db", db, "--location", "unmiss")
    assert code == 0, out
    # Africa/Juba is UTC+2
    assert ("attendance.checked_in", "2022-08-22T12:00:00.000000Z") in [(k, p["at"]) for k, p in _attendance(db)]
    report.write_text(
        ZOOM_HEADER + "Grace Akello,,2022-08-22T12:30:00Z,2022-08-22T13:00:00+00:00,30,No,Y\n", encoding="utf-8"
    )
    code, out = _import(report, "--db", db, "--location", "unmiss")
    assert code == 0, out
    grace = [p["at"] for _, p in _attendance(db) if p["participant"] == ID["Grace Akello"]]
    assert grace == ["2022-08-22T12:30:00.000000Z", "2022-08-22T13:00:00.000000Z"]


def test_two_roster_people_with_one_name_are_ambiguous_and_not_recorded(db: Path, tmp_path: Path) -> None:
    with Store.open(db) as store:
        store.append(
            ev.PARTICIPANT_ADDED,
            {"participant": "x1", "name": "Amina  DENG", "email": "amina.deng2@example.org", "location": "hq"},
            actor="test",
        )
    report = tmp_path / "zoom.csv"
    report.write_text(
        ZOOM_HEADER
        + "Amína Deng,,08/22/2022 02:00:00 PM,08/22/2022 03:00:00 PM,60,Yes,Y\n"
        + "Achol Majok,,08/22/2022 02:00:00 PM,08/22/2022 03:00:00 PM,60,Yes,Y\n",
        encoding="utf-8",
    )
    code, out = _import(report, "--db", db, "--location", "unmiss")
    assert code == 0, out
    assert "  ambiguous: Amína Deng matches 2 people on the roster; not recorded" in out.splitlines()
    assert "not matched" not in out
    assert {p["participant"] for _, p in _attendance(db)} == {ID["Achol Majok"]}


def test_importing_the_same_report_twice_records_nothing_new(db: Path, tmp_path: Path) -> None:
    report = tmp_path / "zoom.csv"
    report.write_text(
        ZOOM_HEADER + "Amina Deng,amina.deng@example.org,08/22/2022 02:00:00 PM,08/22/2022 03:00:00 PM,60,No,Y\n",
        encoding="utf-8",
    )
    assert _import(report, "--db", db, "--location", "unmiss")[0] == 0
    first = _attendance(db)
    code, out = _import(report, "--db", db, "--location", "unmiss")
    assert code == 0
    assert out.splitlines()[-1] == "nothing new: all 2 events of this report are already recorded"
    assert _attendance(db) == first
    assert len(first) == 2
    # A later export of the same meeting, with one more person: only that person's interval is new.
    report.write_text(
        ZOOM_HEADER
        + "Amina Deng,amina.deng@example.org,08/22/2022 02:00:00 PM,08/22/2022 03:00:00 PM,60,No,Y\n"
        + "Achol Majok,,08/22/2022 02:10:00 PM,08/22/2022 03:00:00 PM,50,No,Y\n",
        encoding="utf-8",
    )
    code, out = _import(report, "--db", db, "--location", "unmiss")
    assert out.splitlines()[-1] == "recorded 2 events (2 already recorded)"
    assert _attendance(db)[:2] == first
    assert {p["participant"] for _, p in _attendance(db)[2:]} == {ID["Achol Majok"]}


def test_dry_run_prints_the_summary_and_writes_nothing(db: Path, tmp_path: Path) -> None:
    report = tmp_path / "zoom.csv"
    report.write_text(
        ZOOM_HEADER + "Amina Deng,amina.deng@example.org,08/22/2022 02:00:00 PM,08/22/2022 03:00:00 PM,60,No,Y\n",
        encoding="utf-8",
    )
    before = db.read_bytes()
    code, out = _import(report, "--db", db, "--location", "unmiss", "--dry-run")
    assert code == 0, out
    assert out.splitlines()[-1] == "dry run: would record 2 events; nothing written"
    assert "matched 1 people (1 by e-mail, 0 by name) in 1 intervals" in out
    assert db.read_bytes() == before
    assert _attendance(db) == []


# -- Teams -----------------------------------------------------------------------------------------


def _teams_file(path: Path, text: str) -> Path:
    """As Teams downloads it: UTF-16 little-endian with a BOM, tab-separated, CRLF."""
    path.write_bytes(b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le"))
    return path


TEAMS_SUMMARY = (
    "1. Summary\n"
    "Meeting title\tWPS training, day 1 (UNMISS)\n"
    "Attended participants\t3\n"
    "Start time\t22/08/22, 13:58:02\n"
    "End time\t22/08/22, 17:40:11\n"
    "Meeting duration\t3h 42m 9s\n"
    "Average attendance time\t2h 10m 3s\n"
    "\n"
)


def test_teams_report_uses_in_meeting_activities_for_rejoins(db: Path, tmp_path: Path) -> None:
    report = _teams_file(
        tmp_path / "Attendance report 22-08-22.csv",
        TEAMS_SUMMARY + "2. Participants\n"
        "Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\n"
        "Deng, Amina\t22/08/22, 14:00:05\t22/08/22, 17:30:00\t3h 1m 2s\t"
        "amina.deng@example.org\tamina.deng@example.org\tAttendee\n"
        "Peter Lual Akot\t22/08/22, 14:10:00\t22/08/22, 17:00:00\t2h 50m\t\t\tAttendee\n"
        "Unknown Caller\t22/08/22, 14:20:00\t22/08/22, 14:25:00\t5m\t\t\tAttendee\n"
        "\n"
        "3. In-Meeting Activities\n"
        "Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole\n"
        "Deng, Amina\t22/08/22, 14:00:05\t22/08/22, 15:00:00\t59m 55s\tamina.deng@example.org\tAttendee\n"
        "Deng, Amina\t22/08/22, 15:30:00\t22/08/22, 17:30:00\t2h\tamina.deng@example.org\tAttendee\n"
        "Peter Lual Akot\t22/08/22, 14:10:00\t22/08/22, 17:00:00\t2h 50m\t\tAttendee\n"
        "Unknown Caller\t22/08/22, 14:20:00\t22/08/22, 14:25:00\t5m\t\tAttendee\n",
    )
    code, out = _import(report, "--db", db, "--location", "unmiss")
    assert code == 0, out
    assert out.splitlines() == [
        "Attendance report 22-08-22.csv: Teams attendance report (in-meeting activities), day-first dates, 4 rows, "
        "times read in Africa/Juba",
        "  matched 2 people (1 by e-mail, 1 by name) in 3 intervals",
        "  not matched (1): Unknown Caller",
        "recorded 6 events (0 already recorded)",
    ]
    amina, peter = ID["Amina Deng"], ID["Peter Lual Akot"]
    assert _attendance(db) == [
        _in(amina, "2022-08-22T12:00:05.000000Z", "teams", "unmiss"),
        _in(peter, "2022-08-22T12:10:00.000000Z", "teams", "unmiss"),
        _out(amina, "2022-08-22T13:00:00.000000Z", "teams"),
        _in(amina, "2022-08-22T13:30:00.000000Z", "teams", "unmiss"),
        _out(peter, "2022-08-22T15:00:00.000000Z", "teams"),
        _out(amina, "2022-08-22T15:30:00.000000Z", "teams"),
    ]


def test_teams_participants_section_alone_and_us_dates_and_a_stated_time_zone(db: Path, tmp_path: Path) -> None:
    report = _teams_file(
        tmp_path / "teams.csv",
        "1. Summary\n"
        "Meeting title\tWPS training\n"
        "Start time\t8/22/2022, 9:58:02 AM\n"
        "Time zone\tUTC\n"
        "\n"
        "2. Participants\n"
        "Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\n"
        "Achol Majok\t8/22/2022, 10:00:00 AM\t8/22/2022, 1:15:00 PM\t3h 15m\t\t\tAttendee\n",
    )
    code, out = _import(report, "--db", db, "--location", "unmiss")
    assert code == 0, out
    assert out.splitlines()[0] == (
        "teams.csv: Teams attendance report (participants), month-first dates, 1 rows, times read in UTC"
    )
    achol = ID["Achol Majok"]
    assert _attendance(db) == [
        _in(achol, "2022-08-22T10:00:00.000000Z", "teams", "unmiss"),
        _out(achol, "2022-08-22T13:15:00.000000Z", "teams"),
    ]


def test_older_teams_joined_left_list(db: Path, tmp_path: Path) -> None:
    report = _teams_file(
        tmp_path / "meetingAttendanceList.csv",
        "Full Name\tUser Action\tTimestamp\n"
        "Samuel Ochieng\tJoined\t22/08/2022, 14:00:00\n"
        "Samuel Ochieng\tLeft\t22/08/2022, 14:30:00\n"
        "Samuel Ochieng\tJoined before\t22/08/2022, 14:30:00\n"
        "Rebecca Nyibol\tJoined\t22/08/2022, 14:05:00\n"
        "Samuel Ochieng\tLeft\t22/08/2022, 16:00:00\n",
    )
    code, out = _import(report, "--db", db, "--location", "unmiss")
    assert code == 0, out
    samuel, rebecca = ID["Samuel Ochieng"], ID["Rebecca Nyibol"]
    assert _attendance(db) == [  # rejoined at the moment he left: one interval; Rebecca is still in
        _in(samuel, "2022-08-22T12:00:00.000000Z", "teams", "unmiss"),
        _in(rebecca, "2022-08-22T12:05:00.000000Z", "teams", "unmiss"),
        _out(samuel, "2022-08-22T14:00:00.000000Z", "teams"),
    ]


# -- the parts -------------------------------------------------------------------------------------


def _t(hour: int, minute: int = 0) -> datetime:
    return datetime(2022, 8, 22, hour, minute, tzinfo=UTC)


def test_merge_intervals_joins_overlapping_and_touching_spans_only() -> None:
    spans = [(_t(11), _t(12)), (_t(9), _t(10)), (_t(9, 30), _t(10, 30)), (_t(10, 30), _t(10, 45))]
    assert merge_intervals(spans) == [(_t(9), _t(10, 45)), (_t(11), _t(12))]
    assert merge_intervals([(_t(9), None), (_t(10), _t(11))]) == [(_t(9), None)]
    assert merge_intervals([(_t(9), _t(10)), (_t(9, 30), None), (_t(12), _t(13))]) == [(_t(9), None)]
    assert merge_intervals([]) == []


def test_names_ignore_case_accents_spacing_and_zoom_and_teams_forms() -> None:
    assert normalise_name("  José   GARCÍA ") == "jose garcia"
    assert normalise_name("Élodie Fournier") == normalise_name("ELODIE FOURNIER")
    assert name_candidates("iPad (Kwame Mensah)") == ["ipad (kwame mensah)", "ipad", "kwame mensah"]
    assert name_candidates("García Simón, Pedro") == ["garcia simon, pedro", "pedro garcia simon"]


def test_day_first_or_month_first_is_decided_by_the_workshop_days_when_the_file_does_not_say(tmp_path: Path) -> None:
    report = tmp_path / "zoom.csv"
    report.write_text(ZOOM_HEADER + "A,,04/08/2022 09:00:00 AM,04/08/2022 10:00:00 AM,60,No,Y\n", encoding="utf-8")
    month_first = read_report(report, timezone="UTC", days=[date(2022, 4, 8)])
    assert month_first.rows[0].joined == datetime(2022, 4, 8, 9, tzinfo=UTC)
    assert month_first.date_order == "mdy"
    day_first = read_report(report, timezone="UTC", days=[date(2022, 8, 4)])
    assert day_first.rows[0].joined == datetime(2022, 8, 4, 9, tzinfo=UTC)
    with pytest.raises(InputError, match=r"--date-order dmy .* or --date-order mdy"):
        read_report(report, timezone="UTC")
    with pytest.raises(InputError, match="--date-order"):  # both readings are workshop days: still not settled
        read_report(report, timezone="UTC", days=[date(2022, 4, 8), date(2022, 8, 4)])
    asked = read_report(report, timezone="UTC", days=[date(2022, 4, 8)], date_order="dmy")
    assert asked.rows[0].joined == datetime(2022, 8, 4, 9, tzinfo=UTC)


# -- bad input, through the real command -----------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    name: str
    content: bytes | None  # None: no file at all
    expected: list[str]
    location: str = "hq"
    file: str = "report.csv"
    private: tuple[str, ...] = ()  # every name and e-mail address in the file: none may be in the message


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")


BAD = [
    Bad(
        "empty", b"", ["report.csv:1: file: is empty; expected a Zoom participants report or a Teams attendance report"]
    ),
    Bad(
        "missing column",
        _utf8(ZOOM_BLOCK + "Name (Original Name),User Email,Leave Time,Duration (Minutes)\nA,,08/22/2022 08:00 AM,3\n"),
        [
            "report.csv:4: Join Time: column is missing "
            "(the header has: Name (Original Name), User Email, Leave Time, Duration (Minutes))"
        ],
    ),
    Bad(
        "unique users export",
        _utf8(
            "Name (Original Name),User Email,Total Duration (Minutes),Guest\n"
            "Sofia Marquez,sofia.marquez@example.org,75,\n"
        ),
        [
            "report.csv:1: Join Time: this is Zoom's unique-users report (total minutes only); export the "
            "participants report with 'Show unique users' unticked, so that it has Join Time and Leave Time"
        ],
        private=("Sofia Marquez", "sofia.marquez@example.org"),
    ),
    Bad(
        "not a report",
        _utf8("hello,world\n1,2\n"),
        [
            "report.csv:1: header: no participant list found; expected a Zoom participants report "
            "(Name (Original Name), User Email, Join Time, Leave Time) or a Teams attendance report, with column "
            "names in English, French, Spanish, Portuguese or German"
        ],
    ),
    Bad(
        "wrong encoding",
        ZOOM_HEADER.encode()
        + "Élodie Fournier,,08/22/2022 08:00:00 AM,08/22/2022 09:00:00 AM,60,Yes,Y\n".encode("cp1252"),
        [
            "report.csv:2: encoding: byte 0xc9 is not UTF-8; save the report as UTF-8 CSV (Zoom) "
            "or download it again (Teams) and retry"
        ],
    ),
    Bad(
        "too many fields",
        _utf8(
            ZOOM_HEADER
            + "Sofia Marquez,,08/22/2022 08:00:00 AM,08/22/2022 09:00:00 AM,60,Yes,Y\n"
            + "Priya Raman,,08/22/2022 08:00:00 AM,08/22/2022 09:00:00 AM,60,Yes,Y,extra\n"
        ),
        ["report.csv:3: row: has 8 fields; the header (line 1) has 7"],
        private=("Sofia Marquez", "Priya Raman"),
    ),
    Bad(
        "unreadable dates",
        _utf8(
            ZOOM_HEADER
            + "Sofia Marquez,,08/22/2022 08:00:00 AM,08/22/2022 09:00:00 AM,60,Yes,Y\n"
            + "Priya Raman,,yesterday,08/22/2022 09:00:00 AM,60,Yes,Y\n"
            + "Kwame Mensah,,08/22/2022 08:00:00 AM,08/22/2022 25:00:00,60,Yes,Y\n"
        ),
        [
            "report.csv:3: Join Time: cannot read this cell as a date and time (expected like 08/22/2022 08:01:33 AM)",
            "report.csv:4: Leave Time: cannot read '08/22/2022 25:00:00' as a date and time "
            "(expected like 08/22/2022 08:01:33 AM)",
        ],
        private=("Sofia Marquez", "Priya Raman", "Kwame Mensah"),
    ),
    Bad(
        "empty name and leave before join",
        _utf8(
            ZOOM_HEADER
            + ",,08/22/2022 08:00:00 AM,08/22/2022 09:00:00 AM,60,Yes,Y\n"
            + "Priya Raman,,08/22/2022 10:00:00 AM,08/22/2022 09:00:00 AM,60,Yes,Y\n"
        ),
        ["report.csv:2: Name (Original Name): is empty", "report.csv:3: Leave Time: is before Join Time"],
        private=("Priya Raman",),
    ),
    Bad(
        "leave before join",
        _utf8(ZOOM_HEADER + "Priya Raman,,08/22/2022 10:00:00 AM,08/22/2022 09:00:00 AM,60,Yes,Y\n"),
        ["report.csv:2: Leave Time: is before Join Time"],
        private=("Priya Raman",),
    ),
    Bad(
        "teams date",
        b"\xff\xfe"
        + (
            "Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole\r\n"
            "Amina Deng\t22/08/22, 14:00:05\t22/08/22, 15:00:00\t1h\t\tAttendee\r\n"
            "Achol Majok\t22/08/22, 14:00:05\tsoon\t1h\t\tAttendee\r\n"
        ).encode("utf-16-le"),
        [
            "report.csv:3: Leave Time: cannot read this cell as a date and time "
            "(expected like 8/22/2022, 8:01:33 AM or 22/08/22, 08:01:33)"
        ],
        private=("Amina Deng", "Achol Majok"),
    ),
    Bad(
        "teams missing column",
        b"\xff\xfe" + (TEAMS_SUMMARY + "2. Participants\nName\tFirst Join\tEmail\tRole\n").encode("utf-16-le"),
        ["report.csv:10: Last Leave: column is missing (the header has: Name, First Join, Email, Role)"],
    ),
    Bad(
        "odd utf-16",
        b"\xff\xfe" + "Name\tJoin Time\n".encode("utf-16-le") + b"A",
        [
            "report.csv:2: encoding: byte 0x41 is not UTF-16; save the report as UTF-8 CSV (Zoom) "
            "or download it again (Teams) and retry"
        ],
    ),
    Bad(
        "a header in a language not supported, over names and e-mails",
        _utf8(
            "Nome completo,Ora di ingresso,Ora di uscita,Email\n"
            "Giulia Bellini,22/08/2022 09:00:00,22/08/2022 10:00:00,giulia.bellini@example.org\n"
        ),
        [
            "report.csv:1: Horário de Entrada: column is missing "
            "(the header has: Nome completo, Email, and 2 other columns)"
        ],
        private=("Giulia Bellini", "giulia.bellini@example.org"),
    ),
    Bad(
        "no header at all, only people",
        _utf8(
            "Giulia Bellini,giulia.bellini@example.org,08/22/2022 09:00:00 AM,08/22/2022 10:00:00 AM,60,No\n"
            "Karim Nassar,karim.nassar@example.org,08/22/2022 09:00:00 AM,08/22/2022 10:00:00 AM,60,Guest\n"
        ),
        [
            "report.csv:1: header: no participant list found; expected a Zoom participants report "
            "(Name (Original Name), User Email, Join Time, Leave Time) or a Teams attendance report, with column "
            "names in English, French, Spanish, Portuguese or German"
        ],
        private=("Giulia Bellini", "giulia.bellini@example.org", "Karim Nassar", "karim.nassar@example.org"),
    ),
    Bad(
        "names and e-mails shifted into the time columns",
        _utf8(
            ZOOM_HEADER
            + "Sofia Marquez,,08/22/2022 08:00:00 AM,08/22/2022 09:00:00 AM,60,Yes,Y\n"
            + "08/22/2022 08:00:00 AM,Priya Raman,priya.raman@example.org,Priya Raman,60,Yes,Y\n"
        ),
        [
            "report.csv:3: Join Time: cannot read this cell as a date and time (expected like 08/22/2022 08:01:33 AM)",
            "report.csv:3: Leave Time: cannot read this cell as a date and time (expected like 08/22/2022 08:01:33 AM)",
        ],
        private=("Sofia Marquez", "Priya Raman", "priya.raman@example.org"),
    ),
    Bad(
        "a name in the action column",
        "Nom complet\tAction de l\u2019utilisateur\tDate et heure\r\n"
        "Brice Kossi\tRejoint\t22/08/2022 à 09:58:51\r\n"
        "Brice Kossi\tNadège Ouamba\t22/08/2022 à 10:58:51\r\n".encode("utf-16"),
        [
            "report.csv:3: Action de l\u2019utilisateur: is neither joined nor left "
            "(expected one of: Joined, Joined before, Rejoint, Left, A quitté l'appel)"
        ],
        location="minusca",
        private=("Brice Kossi", "Nadège Ouamba"),
    ),
    Bad(
        "names of Zoom's columns but none only Zoom writes",
        _utf8("Name,Ingressar na hora,Austrittszeit\nAwa Touré,23/08/2022 09:00,23/08/2022 10:00\n"),
        [
            "report.csv:1: header: is not one this command knows (the header has: Name, Ingressar na hora, "
            "Austrittszeit); a Zoom participants report also has User Email, Duration (Minutes) or Guest"
        ],
        private=("Awa Touré",),
    ),
    Bad(
        "a French report's time that is a name",
        (
            "\ufeffNom complet;Heure d'arrivée;Heure de départ\r\n"
            "Awa Touré;awa.toure@example.net;23/08/2022 à 10:00:00\r\n"
        ).encode(),
        [
            "report.csv:2: Heure d'arrivée: cannot read this cell as a date and time "
            "(expected like 13/04/2021 à 09:01:31)"
        ],
        location="minusma",
        private=("Awa Touré", "awa.toure@example.net"),
    ),
    Bad(
        "dates that read both ways",
        _utf8(
            ZOOM_HEADER + "Sofia Marquez,sofia.marquez@example.org,04/09/2022 09:00 AM,04/09/2022 10:00 AM,60,No,Y\n"
        ),
        [
            "report.csv:2: Join Time: '04/09/2022 09:00 AM' reads day-first and month-first, and nothing in the file "
            "settles which (no day above 12, no language or workshop day that decides); run again with --date-order "
            "dmy (day first) or --date-order mdy (month first)"
        ],
        private=("Sofia Marquez", "sofia.marquez@example.org"),
    ),
    Bad(
        "dates that contradict each other",
        _utf8(
            ZOOM_HEADER
            + "Sofia Marquez,,13/08/2022 09:00 AM,13/08/2022 10:00 AM,60,No,Y\n"
            + "Priya Raman,,08/14/2022 09:00 AM,08/14/2022 10:00 AM,60,No,Y\n"
            + "Kwame Mensah,,15/08/2022 09:00 AM,15/08/2022 10:00 AM,60,No,Y\n"
        ),
        [
            "report.csv:3: Join Time: cannot read '08/14/2022 09:00 AM' as a day-first date and time "
            "(most of the file's dates are day-first)",
            "report.csv:3: Leave Time: cannot read '08/14/2022 10:00 AM' as a day-first date and time "
            "(most of the file's dates are day-first)",
        ],
        private=("Sofia Marquez", "Priya Raman", "Kwame Mensah"),
    ),
    Bad("no such file", None, ["report.csv: no such file"]),
    Bad(
        "unknown location",
        _utf8(ZOOM_HEADER),
        ["--location: 'unmis' is not a location of this workshop (did you mean 'unmiss'?)"],
        location="unmis",
    ),
]


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    unchanged: bool


@pytest.fixture(scope="module")
def bad_outcomes(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    def run(case: Bad) -> Outcome:
        folder = tmp_path_factory.mktemp("bad")
        db = folder / "run.db"
        shutil.copyfile(template_db, db)
        if case.content is not None:
            (folder / case.file).write_bytes(case.content)
        before = db.read_bytes()
        proc = subprocess.run(
            [FACILITATOR, "attendance", "import-report", case.file, "--db", "run.db", "--location", case.location],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        return Outcome(proc.returncode, proc.stdout, proc.stderr, db.read_bytes() == before)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip([c.name for c in BAD], pool.map(run, BAD), strict=True))


@pytest.mark.parametrize("case", BAD, ids=[c.name for c in BAD])
def test_bad_input_is_one_clear_line_per_problem_exit_2_and_the_database_untouched(
    case: Bad, bad_outcomes: dict[str, Outcome]
) -> None:
    outcome = bad_outcomes[case.name]
    assert outcome.stderr.splitlines() == case.expected
    assert outcome.code == 2
    assert outcome.stdout == ""
    assert outcome.unchanged
    for private in case.private:
        assert private not in outcome.stderr, f"the message quotes {private!r} from the file"


def test_import_report_has_help() -> None:
    result = CliRunner().invoke(main, ["attendance", "import-report", "--help"])
    assert result.exit_code == 0
    assert "--location" in result.output and "--dry-run" in result.output
