"""The times of video-call reports: every way a report writes them, and how the order of day and month is decided."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from facilitator.attendance.report_dates import (
    DMY,
    MDY,
    decide_order,
    local_time,
    quotable,
    shape_of,
    stated_time,
)
from facilitator.attendance.report_vocabulary import (
    LAYOUTS,
    TEAMS_ACTIVITIES,
    ZOOM_PARTICIPANTS,
    action_of,
    header_language,
    is_section_title,
    match_header,
    normalise_header,
)


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("08/22/2022 08:01:33 AM", MDY, datetime(2022, 8, 22, 8, 1, 33)),  # Zoom, English
        ("8/22/2022, 1:15:00 PM", MDY, datetime(2022, 8, 22, 13, 15)),  # Teams, United States
        ("9/4/2020, 11:57:51 AM", MDY, datetime(2020, 9, 4, 11, 57, 51)),  # quoted in Excel's re-save
        ("22/08/22, 14:00:05", DMY, datetime(2022, 8, 22, 14, 0, 5)),  # Teams, two-digit year
        ("13/04/2021 à 09:01:31", DMY, datetime(2021, 4, 13, 9, 1, 31)),  # Teams, French
        ("13/04/2021 a 09:01:31", DMY, datetime(2021, 4, 13, 9, 1, 31)),  # the same, the accent lost
        ("22.08.2022 um 14:00", DMY, datetime(2022, 8, 22, 14, 0)),  # German
        ("22.08.22, 14:00:05", DMY, datetime(2022, 8, 22, 14, 0, 5)),
        ("22/08/2022 a las 14:00:05", DMY, datetime(2022, 8, 22, 14, 0, 5)),  # Spanish
        ("22/08/2022 a la 1:05:00", DMY, datetime(2022, 8, 22, 1, 5)),
        ("22/08/2022 às 14:00:05", DMY, datetime(2022, 8, 22, 14, 0, 5)),  # Portuguese
        ("8/22/2022 at 2:00 PM", MDY, datetime(2022, 8, 22, 14, 0)),
        ("23/08/2022 09:01", DMY, datetime(2022, 8, 23, 9, 1)),  # Excel re-typed it: no seconds
        ("2022-08-22 09:00", None, datetime(2022, 8, 22, 9, 0)),  # year first: no order needed
        ("2022-08-22T09:00:00", None, datetime(2022, 8, 22, 9, 0)),
        ("8/22/2022 12:00:00 AM", MDY, datetime(2022, 8, 22, 0, 0)),  # midnight and noon on a 12-hour clock
        ("8/22/2022 12:30:00 PM", MDY, datetime(2022, 8, 22, 12, 30)),
        ("8/22/2022 3:00:00 p.m.", MDY, datetime(2022, 8, 22, 15, 0)),
        ("22/08/2022 14:00:05,250", DMY, datetime(2022, 8, 22, 14, 0, 5, 250000)),
    ],
)
def test_every_way_a_report_writes_a_time(text: str, order: str | None, expected: datetime) -> None:
    shape = shape_of(text)
    assert shape is not None
    assert local_time(shape, order) == expected


@pytest.mark.parametrize(
    "text",
    [
        "", "soon", "Amina Deng", "amina@example.org", "22/08/2022", "14:00", "22/08/2022 25:00", "8/22/2022 13:00 PM",
        "8/22/2022 0:30 AM", "22/08/2022 14:60", "22/08/202 14:00", "22/08/2022 14:00 Uhr", "22/08-2022 14:00",
    ],
)  # fmt: skip
def test_what_is_not_a_time(text: str) -> None:
    assert shape_of(text) is None


def test_a_shape_is_no_date_in_an_order_it_does_not_fit() -> None:
    shape = shape_of("13/04/2021 09:00")
    assert shape is not None
    assert local_time(shape, MDY) is None
    assert local_time(shape, None) is None  # day and month unknown: no time at all


def test_a_time_that_states_its_offset_is_read_as_such() -> None:
    assert stated_time("2022-08-22T12:01:33Z") == datetime(2022, 8, 22, 12, 1, 33, tzinfo=UTC)
    assert stated_time("2022-08-22 14:01:33+02:00") == datetime(2022, 8, 22, 12, 1, 33, tzinfo=UTC)
    assert stated_time("2022-08-22 14:01:33") is None
    assert stated_time("08/22/2022 08:01:33 AM") is None


def _decide(
    *texts: str, language: str | None = None, asked: str | None = None, days: tuple[date, ...] = ()
) -> str | None:
    shapes = [shape_of(t) for t in texts]
    assert all(s is not None for s in shapes)
    return decide_order([s for s in shapes if s is not None], language=language, asked=asked, days=days).order


def test_the_whole_file_decides_the_order() -> None:
    assert _decide("04/08/2022 09:00", "13/08/2022 09:00") == DMY  # one day above 12 settles every row
    assert _decide("04/08/2022 09:00", "08/13/2022 09:00") == MDY
    assert _decide("04/08/2022 09:00") is None  # English, 24-hour, nothing else: ask
    assert _decide("04/04/2022 09:00") == DMY  # the same date either way: any order will do
    assert _decide("2022-04-08 09:00") == DMY


def test_the_language_decides_a_24_hour_file_and_only_that() -> None:
    assert _decide("04/08/2022 09:00", language="fr") == DMY
    assert _decide("04/08/2022 09:00", language="de") == DMY
    assert _decide("04/08/2022 09:00", language="en") is None
    assert _decide("04/08/2022 à 09:00") == DMY  # the word between date and time is French
    assert _decide("04.08.2022 09:00") == DMY  # dotted dates are written day first
    assert _decide("4/8/2022, 9:00:00 AM", language="pt") is None  # a US regional format under Portuguese columns
    assert _decide("04/08/2022 09:00", "04/13/2022 09:00", language="fr") == MDY  # the values outrank the language


def test_the_workshop_days_decide_when_the_file_does_not() -> None:
    assert _decide("04/08/2022 09:00", days=(date(2022, 8, 4),)) == DMY
    assert _decide("04/08/2022 09:00", days=(date(2022, 4, 8),)) == MDY
    assert _decide("04/08/2022 09:00", days=(date(2022, 4, 8), date(2022, 8, 4))) is None


def test_an_asked_order_wins_over_everything() -> None:
    assert _decide("04/08/2022 09:00", "13/08/2022 09:00", asked=MDY) == MDY
    assert _decide("04/08/2022 à 09:00", asked=MDY) == MDY


def test_only_time_shaped_text_is_ever_quoted_in_a_message() -> None:
    for text in ("08/22/2022 25:00:00", "13/04/2021 à 09:01:31", "22.08.2022 um 14:00", "8/22/2022, 1:15 PM"):
        assert quotable(text), text
    for text in ("Amina Deng", "amina@example.org", "soon", "yesterday", "Deng, Amina", "A 12", "--", "Z"):
        assert not quotable(text), text


def test_column_names_ignore_case_accents_spacing_and_the_typographic_apostrophe() -> None:
    assert normalise_header("  Heure d’ARRIVÉE ") == "heure d'arrivee"
    assert normalise_header("Name (ursprünglicher  Name)") == "name (ursprunglicher name)"
    french_zoom = ["Nom (nom original)", "Adresse e-mail de l'utilisateur", "Heure d'arrivée", "Heure de départ"]
    assert match_header(french_zoom, ZOOM_PARTICIPANTS) == {"name": 0, "email": 1, "join": 2, "leave": 3}
    assert header_language(french_zoom, ZOOM_PARTICIPANTS) == "fr"


def test_a_zoom_header_is_told_from_a_teams_one_by_zooms_own_columns() -> None:
    teams = ["Name", "Join Time", "Leave Time", "Duration", "Email", "Role"]
    assert match_header(teams, ZOOM_PARTICIPANTS) is None
    assert match_header(teams, TEAMS_ACTIVITIES) is not None
    zoom = ["Name", "Email", "Join Time", "Leave Time", "Duration (Minutes)", "Guest"]
    assert next(layout.source for layout in LAYOUTS if match_header(zoom, layout)) == "zoom"


def test_the_words_of_the_older_teams_list() -> None:
    assert [action_of(w) for w in ("Joined", "joined before", "Rejoint", "Left", "A quitté l’appel", "Gone")] == [
        "joined",
        "joined",
        "joined",
        "left",
        "left",
        None,
    ]


def test_section_titles_in_any_language_end_a_list() -> None:
    assert is_section_title(["3. In-Meeting activities"])
    assert is_section_title(["2. Participants", "", ""])  # as Excel pads it
    assert is_section_title(["3. Activités de la réunion"])
    assert not is_section_title(["Amina Deng", "2. Participants"])
    assert not is_section_title(["3. "])
    assert not is_section_title(["22.08.2022"])
