"""Invitations (issue 18): one iCalendar file per location, read back with the ``icalendar`` library, and a plain-text
agenda per location, every session in local time.

The workshop runs from Brussels on Friday 28 and Monday 31 October 2022 at 14:00: Europe's clocks go back on the
Sunday between, America's only on 6 November, so New York's sessions start an hour later on the Monday (08:00,
then 09:00 EDT) while Brussels' stay at 14:00. Juba (no DST), Kathmandu (+05:45), Tokyo (whose first day runs
past midnight) and Auckland (in its summer time, a day ahead) complete the set.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from facilitator.paperwork import agenda
from facilitator.problems import InputError
from facilitator.script.loading import load_workshop
from facilitator.script.models import Programme

FACILITATOR = [sys.executable, "-m", "facilitator"]
NOW = datetime(2022, 10, 1, 9, 0, tzinfo=UTC)
WORKSHOP = """\
title: Budgeting for gender equality
organiser: DPO Gender Unit
timezone: Europe/Brussels
call_link: https://meet.example.org/budgeting
locations:
  - {id: brussels, name: Brussels office, timezone: Europe/Brussels}
  - {id: hq, name: New York headquarters, timezone: America/New_York, call_link: "https://hq.example.org/room-7"}
  - {id: juba, name: UNMISS (South Sudan), timezone: Africa/Juba}
  - {id: kathmandu, name: Kathmandu office, timezone: Asia/Kathmandu}
  - {id: tokyo, name: Tokyo liaison, timezone: Asia/Tokyo}
  - {id: auckland, name: Auckland partners, timezone: Pacific/Auckland}
days:
  - {date: 2022-10-28, title: Principles, start: "14:00", agenda: [opening, principles]}
  - {date: 2022-10-31, title: Practice, start: "14:00", agenda: [practice]}
"""
EXERCISES = {
    "opening.yaml": "id: opening\ntitle: Opening\ngoals: [Everyone connected]\nsteps:\n"
    "  - {id: hello, title: Hello, kind: presentation, duration: 30m}\n",
    "principles.yaml": "id: principles\ntitle: Principles of gender budgeting\nsteps:\n"
    "  - {id: talk, title: Talk, kind: presentation, duration: 1h30m}\n"
    "  - {id: groups, title: Groups, kind: breakout, duration: 1h30m}\n",
    "practice.yaml": "id: practice\ntitle: A mission's budget\nsteps:\n"
    "  - {id: work, title: Work, kind: individual, duration: 2h}\n",
}
# Each session's planned start and end in UTC: 14:00 CEST is 12:00 UTC on the Friday, 14:00 CET 13:00 UTC on Monday.
SESSIONS = [
    (datetime(2022, 10, 28, 12, 0, tzinfo=UTC), datetime(2022, 10, 28, 12, 30, tzinfo=UTC)),  # opening
    (datetime(2022, 10, 28, 12, 30, tzinfo=UTC), datetime(2022, 10, 28, 15, 30, tzinfo=UTC)),  # principles
    (datetime(2022, 10, 31, 13, 0, tzinfo=UTC), datetime(2022, 10, 31, 15, 0, tzinfo=UTC)),  # practice
]
# The same sessions' local wall-clock starts, worked out by hand, per location.
LOCAL_STARTS = {
    "brussels": ["2022-10-28 14:00", "2022-10-28 14:30", "2022-10-31 14:00"],
    "hq": ["2022-10-28 08:00", "2022-10-28 08:30", "2022-10-31 09:00"],  # EDT both days; Brussels moved
    "juba": ["2022-10-28 14:00", "2022-10-28 14:30", "2022-10-31 15:00"],
    "kathmandu": ["2022-10-28 17:45", "2022-10-28 18:15", "2022-10-31 18:45"],
    "tokyo": ["2022-10-28 21:00", "2022-10-28 21:30", "2022-10-31 22:00"],
    "auckland": ["2022-10-29 01:00", "2022-10-29 01:30", "2022-11-01 02:00"],  # NZDT, a day ahead
}


def write_workshop(folder: Path, workshop: str = WORKSHOP) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "workshop.yaml").write_text(workshop)
    for name, text in EXERCISES.items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def programme(tmp_path: Path) -> Programme:
    return load_workshop(write_workshop(tmp_path / "w")).programme


def calendars(files: dict[str, bytes]) -> dict[str, Calendar]:
    return {
        name.removesuffix(".ics"): Calendar.from_ical(data) for name, data in files.items() if name.endswith(".ics")
    }


def utc(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def events(cal: Calendar) -> list[Any]:
    return sorted(cal.walk("VEVENT"), key=lambda event: event.decoded("dtstart"))


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FACILITATOR, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_one_calendar_and_one_text_per_location(programme: Programme) -> None:
    files = agenda.files(programme, NOW)
    ids = [loc.id for loc in programme.workshop.locations]
    assert sorted(files) == sorted([f"{i}.ics" for i in ids] + [f"{i}.txt" for i in ids])
    for location, cal in calendars(files).items():
        assert str(cal["version"]) == "2.0" and str(cal["method"]) == "PUBLISH"
        zones = cal.walk("VTIMEZONE")
        tz = next(loc.timezone for loc in programme.workshop.locations if loc.id == location)
        assert [str(zone["tzid"]) for zone in zones] == [tz]
        assert len(events(cal)) == 3


@pytest.mark.parametrize("location", sorted(LOCAL_STARTS))
def test_every_session_is_at_its_local_time(programme: Programme, location: str) -> None:
    cal = calendars(agenda.files(programme, NOW))[location]
    tz = next(loc.timezone for loc in programme.workshop.locations if loc.id == location)
    found = events(cal)
    starts = []
    for event, (utc_start, utc_end) in zip(found, SESSIONS, strict=True):
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert event["dtstart"].params["TZID"] == tz
        assert start.tzinfo.key == tz  # written in the location's zone, not in UTC
        assert (start, end) == (utc_start, utc_end)  # the same instants everywhere
        starts.append(f"{start:%Y-%m-%d %H:%M}")
    assert starts == LOCAL_STARTS[location]


def test_the_vtimezone_carries_the_zones_offsets_across_the_change(programme: Programme) -> None:
    cals = calendars(agenda.files(programme, NOW))

    def offsets(location: str) -> set[str]:
        [zone] = cals[location].walk("VTIMEZONE")
        return {utc(part.decoded("TZOFFSETTO")) for part in zone.subcomponents}

    assert offsets("brussels") == {"+0200", "+0100"}  # CEST, then CET from 30 October
    assert offsets("hq") == {"-0400", "-0500"}  # EDT, then EST from 6 November
    assert offsets("juba") == {"+0200"}
    assert offsets("kathmandu") == {"+0545"}
    # A calendar reading only the file (no zone database) gets the same wall-clock times: the VTIMEZONE's.
    [zone] = cals["hq"].walk("VTIMEZONE")
    standard = next(part for part in zone.subcomponents if part.name == "STANDARD")
    assert standard.decoded("dtstart") == datetime(2022, 11, 6, 2, 0)


def test_uids_stay_the_same_when_the_file_is_made_again(programme: Programme, tmp_path: Path) -> None:
    first = calendars(agenda.files(programme, NOW))
    later = NOW + timedelta(days=3, hours=2)
    # Made again, later, after the agenda changed: a session longer, the days' times the same.
    edited = write_workshop(tmp_path / "edited")
    (edited / "opening.yaml").write_text(EXERCISES["opening.yaml"].replace("30m", "45m"))
    second = calendars(agenda.files(load_workshop(edited).programme, later))
    all_uids = []
    for location, cal in first.items():
        uids = [str(event["uid"]) for event in events(cal)]
        again = [str(event["uid"]) for event in events(second[location])]
        assert uids == again
        assert len(set(uids)) == 3
        all_uids.extend(uids)
        for old, new in zip(events(cal), events(second[location]), strict=True):
            assert int(new["sequence"]) > int(old["sequence"])
            assert new.decoded("dtstamp") == later
    assert len(set(all_uids)) == len(all_uids)  # no two locations share an event
    assert (
        all_uids[0]
        == "20221028-opening-brussels-"
        + hashlib.sha256(b"Budgeting for gender equality").hexdigest()[:12]
        + "@facilitator"
    )


def test_the_call_link_is_the_locations_own_or_the_workshops(programme: Programme) -> None:
    cals = calendars(agenda.files(programme, NOW))
    hq, juba = events(cals["hq"])[0], events(cals["juba"])[0]
    assert str(hq["url"]) == str(hq["location"]) == "https://hq.example.org/room-7"
    assert "Join the call: https://hq.example.org/room-7" in str(hq["description"])
    assert str(juba["url"]) == "https://meet.example.org/budgeting"
    assert str(juba["summary"]) == "Opening – Budgeting for gender equality"
    description = str(juba["description"])
    assert "Opening: 14:00–14:30 local time at UNMISS (South Sudan) (CAT, UTC+02:00, Africa/Juba)" in description
    assert "- Everyone connected" in description


def test_without_a_call_link_the_location_is_the_place(tmp_path: Path) -> None:
    text = WORKSHOP.replace("call_link: https://meet.example.org/budgeting\n", "")
    programme = load_workshop(write_workshop(tmp_path / "w", text)).programme
    juba = events(calendars(agenda.files(programme, NOW))["juba"])[0]
    assert "url" not in juba
    assert str(juba["location"]) == "UNMISS (South Sudan)"


def test_the_plain_text_agenda_in_local_time(programme: Programme) -> None:
    tokyo = next(loc for loc in programme.workshop.locations if loc.id == "tokyo")
    assert agenda.text(programme, tokyo) == (
        "Budgeting for gender equality\n"
        "DPO Gender Unit\n"
        "Agenda for Tokyo liaison: every time is local time (Asia/Tokyo)\n"
        "Video call: https://meet.example.org/budgeting\n"
        "\n"
        "Day 1: Principles\n"
        "Friday 28 October 2022 (JST, UTC+09:00)\n"
        "  21:00–21:30  Opening\n"
        "  21:30–00:30 (next day)  Principles of gender budgeting\n"
        "\n"
        "Day 2: Practice\n"
        "Monday 31 October 2022 (JST, UTC+09:00)\n"
        "  22:00–00:00 (next day)  A mission's budget\n"
    )
    auckland = next(loc for loc in programme.workshop.locations if loc.id == "auckland")
    text = agenda.text(programme, auckland)
    assert "Day 1: Principles\nSaturday 29 October 2022 (NZDT, UTC+13:00)\n  01:00–01:30  Opening\n" in text
    assert "Tuesday 1 November 2022 (NZDT, UTC+13:00)\n  02:00–04:00  A mission's budget\n" in text
    hq = next(loc for loc in programme.workshop.locations if loc.id == "hq")
    assert "Video call: https://hq.example.org/room-7" in agenda.text(programme, hq)


def test_a_session_starting_after_local_midnight_gets_its_own_date(tmp_path: Path) -> None:
    text = WORKSHOP.replace(
        'start: "14:00", agenda: [opening, principles]', 'start: "15:00", agenda: [opening, principles]'
    )
    programme = load_workshop(write_workshop(tmp_path / "w", text)).programme
    tokyo = next(loc for loc in programme.workshop.locations if loc.id == "tokyo")
    assert (
        "Friday 28 October 2022 (JST, UTC+09:00)\n  22:00–22:30  Opening\n  22:30–01:30 (next day)  Principles"
        in agenda.text(programme, tokyo)
    )
    # Starting at 00:00 local: the session is under the next date.
    later = text.replace('start: "15:00"', 'start: "17:00"')
    programme = load_workshop(write_workshop(tmp_path / "v", later)).programme
    tokyo = next(loc for loc in programme.workshop.locations if loc.id == "tokyo")
    assert "Saturday 29 October 2022 (JST, UTC+09:00)\n  00:00–00:30  Opening" in agenda.text(programme, tokyo)


def test_utc_offsets_are_written_plainly() -> None:
    moment = datetime.combine(date(2022, 10, 28), time(12), tzinfo=ZoneInfo("Asia/Kathmandu"))
    assert agenda.utc_offset(moment) == "UTC+05:45"
    assert agenda.zone_label(datetime(2022, 1, 1, tzinfo=ZoneInfo("America/St_Johns"))) == "NST, UTC-03:30"
    assert agenda.zone_label(datetime(2022, 1, 1, tzinfo=ZoneInfo("Asia/Dubai"))) == "UTC+04:00"  # "+04" alone


# -- the command --------------------------------------------------------------------------------------------


def test_the_command_writes_private_files_and_never_replaces_them_unasked(tmp_path: Path) -> None:
    workshop = write_workshop(tmp_path / "w")
    out = tmp_path / "invitations"
    result = cli("agenda", workshop, "--ics", out)
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 12 and "tokyo.ics" in names and "tokyo.txt" in names
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert all(stat.S_IMODE((out / name).stat().st_mode) == 0o600 for name in names)
    for name in names:
        if name.endswith(".ics"):
            Calendar.from_ical((out / name).read_bytes())  # every file parses
    before = {name: (out / name).read_bytes() for name in names}

    again = cli("agenda", workshop, "--ics", out)
    assert again.returncode == 2 and again.stderr.count("\n") == 1
    assert "--force" in again.stderr and "Traceback" not in again.stderr
    assert {name: (out / name).read_bytes() for name in names} == before

    forced = cli("agenda", workshop, "--ics", out, "--force")
    assert forced.returncode == 0, forced.stderr
    old_uids = [str(e["uid"]) for e in Calendar.from_ical(before["hq.ics"]).walk("VEVENT")]
    new_uids = [str(e["uid"]) for e in Calendar.from_ical((out / "hq.ics").read_bytes()).walk("VEVENT")]
    assert old_uids == new_uids


def test_the_command_reads_the_run_too_and_prints_text_without_ics(tmp_path: Path) -> None:
    workshop = write_workshop(tmp_path / "w")
    db = tmp_path / "run.db"
    assert cli("init", workshop, "--db", db).returncode == 0
    from_run = cli("agenda", "--db", db, "--ics", tmp_path / "from-run", "--location", "juba")
    assert from_run.returncode == 0, from_run.stderr
    assert sorted(p.name for p in (tmp_path / "from-run").iterdir()) == ["juba.ics", "juba.txt"]
    from_folder = calendars(agenda.files(load_workshop(workshop).programme, NOW))["juba"]
    run_cal = Calendar.from_ical((tmp_path / "from-run" / "juba.ics").read_bytes())
    assert [str(e["uid"]) for e in events(run_cal)] == [str(e["uid"]) for e in events(from_folder)]

    printed = cli("agenda", workshop, "--location", "kathmandu")
    assert printed.returncode == 0
    assert printed.stdout.startswith("Budgeting for gender equality\n")
    assert "Friday 28 October 2022 (UTC+05:45)\n  17:45–18:15  Opening\n" in printed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--location", "tokio"), "--location: 'tokio' is not a location of this workshop (did you mean 'tokyo'?)"),
        (("--db", "x.db"), "give the workshop PATH or the run's --db"),
    ],
)
def test_the_command_refuses_bad_input_in_one_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    workshop = write_workshop(tmp_path / "w")
    result = cli("agenda", workshop, *args)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_call_link_is_refused_at_its_line(tmp_path: Path) -> None:
    text = WORKSHOP.replace("https://hq.example.org/room-7", "hq room 7")
    with pytest.raises(InputError) as caught:
        load_workshop(write_workshop(tmp_path / "w", text))
    [problem] = [str(p) for p in caught.value.problems]
    assert ":7: locations[1].call_link: 'hq room 7' is not a web address like https://" in problem
    assert os.path.basename(problem.split(":")[0]) == "workshop.yaml"
