"""Gender normalised on the way in (issue 22): the spellings, the mapping an import reports, and old run
files whose raw "F" and "Female" must still count as one category in the exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from facilitator.attendance.gender import (
    FEMALE,
    MALE,
    NON_BINARY,
    SPELLINGS,
    Applied,
    describe_applied,
    mapping_applied,
    normalise_gender,
)
from facilitator.attendance.roster import Roster
from facilitator.exports.run import export
from facilitator.live.session import Session
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme

WRITTEN = {
    FEMALE: [
        "f", "F", "female", "Female", "FEMALE", "woman", "Woman", "women", "Women", "w", "W",
        "femme", "Femme", "FEMME", "femmes", "féminin", "Féminin", "FÉMININ", "feminin", "Feminin",
        "féminine", "Féminine", "FÉMININE", "feminine", "fem", "Fem",
    ],
    MALE: [
        "m", "M", "male", "Male", "MALE", "mâle", "man", "Man", "men", "Men", "homme", "Homme", "HOMME",
        "hommes", "h", "H", "masculin", "Masculin", "MASCULIN", "masculine", "masc",
    ],
    NON_BINARY: [
        "non-binary", "Non-binary", "Non-Binary", "NON-BINARY", "nonbinary", "Nonbinary", "non binary",
        "Non Binary", "non_binary", "nb", "NB", "non-binaire", "Non-binaire", "non binaire", "Non Binaire",
        "nonbinaire", "enby",
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    ("written", "value"), [(w, value) for value, spellings in WRITTEN.items() for w in spellings], ids=str
)
def test_each_spelling_has_one_value(written: str, value: str) -> None:
    assert normalise_gender(written) == value


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("  F  ", FEMALE),
        ("F.", FEMALE),
        ("(M)", MALE),
        ("'Homme'", MALE),
        ('"Femme"', FEMALE),
        ("\tfemale\n", FEMALE),
        ("non\u2011binary", NON_BINARY),  # a non-breaking hyphen, as word processors write it
        ("non  -  binaire", NON_BINARY),
        ("Fe\u0301minin", FEMALE),  # decomposed accent (NFD, as macOS writes it)
        ("\u00a0Female\u00a0", FEMALE),  # no-break spaces around
    ],
)
def test_case_accents_and_surrounding_punctuation_do_not_matter(written: str, value: str) -> None:
    assert normalise_gender(written) == value


@pytest.mark.parametrize(
    "written",
    ["Two-Spirit", "Other", "autre", "X", "x", "Prefer not to say", "femelle", "girl", "-", "?", "n/a", "F/M", "fm"],
)
def test_anything_else_is_kept_as_written(written: str) -> None:
    assert normalise_gender(written) == written
    assert normalise_gender(f"  {written} ") == written  # only stripped


@pytest.mark.parametrize("blank", [None, "", " ", "\t \n", "\u00a0"])
def test_blank_is_none(blank: str | None) -> None:
    assert normalise_gender(blank) is None


def test_the_table_holds_only_the_three_values_and_every_key_is_folded() -> None:
    assert set(SPELLINGS.values()) == {FEMALE, MALE, NON_BINARY}
    for key, value in SPELLINGS.items():
        assert normalise_gender(key) == value
        assert key == key.lower().strip()
    assert all(normalise_gender(value) == value for value in (FEMALE, MALE, NON_BINARY))


def test_mapping_applied_lists_each_changed_spelling_with_its_rows() -> None:
    values = ["F", "Homme", "female", "F", None, "", "Two-Spirit", "F", "Homme", " F ", "Female", "non-binary", "NB"]
    applied = mapping_applied(values)
    assert applied == {
        "F": Applied(FEMALE, 4),  # " F " is the same spelling, stripped
        "Female": Applied(FEMALE, 1),
        "Homme": Applied(MALE, 2),
        "NB": Applied(NON_BINARY, 1),
    }
    assert list(applied) == ["F", "Female", "Homme", "NB"]  # by value, the most rows first
    assert describe_applied(applied) == (
        'gender: "F" -> female (4 rows), "Female" -> female (1 row), "Homme" -> male (2 rows),'
        ' "NB" -> non-binary (1 row)'
    )


def test_a_spelling_is_shown_safely() -> None:
    """Characters ignored when mapping (a bidi override, a quote) must not reorder or break the printed line."""
    applied = mapping_applied(["\u202eF", '"M"'])
    assert applied == {"\u202eF": Applied(FEMALE, 1), '"M"': Applied(MALE, 1)}
    assert describe_applied(applied) == 'gender: "\\u202eF" -> female (1 row), "\\"M\\"" -> male (1 row)'


def test_an_accented_spelling_is_shown_as_typed_not_as_an_escape() -> None:
    """An organiser reads "Féminin", not "F\\u00e9minin": only control and bidi characters are escaped."""
    applied = mapping_applied(["Féminin", "Mâle"])
    assert describe_applied(applied) == 'gender: "Féminin" -> female (1 row), "Mâle" -> male (1 row)'


def test_nothing_mapped_describes_as_none() -> None:
    assert mapping_applied(["female", "male", "non-binary", "Other", None, ""]) == {}
    assert describe_applied({}) is None


# --- old run files: raw values in the log ------------------------------------------------------------

RAW = [  # name, gender as an old import or a walk-in form wrote it
    ("Amina", "F"),
    ("Grace", "Female"),
    ("Nyakim", "female"),
    ("Jean", "Homme"),
    ("Kofi", "M"),
    ("Sam", "Autre"),
    ("Sofia", None),
    ("Lena", "male"),  # re-typed as "femme" below, by an update event
]


def _raw_run(folder: Path, programme: Programme) -> tuple[Path, datetime]:
    """A run whose participant events hold gender as typed, as files written before issue 22 do."""
    clock = FakeClock(datetime(2022, 8, 22, 6, 50, tzinfo=UTC))
    db = folder / "run.db"
    with Store.create(db, programme, actor="lead", clock=clock) as store:
        added = [
            (
                ev.PARTICIPANT_ADDED,
                {"participant": f"p{i}", "name": name, "email": f"{name.lower()}@example.org",
                 "location": "hq" if i % 2 else "juba", "gender": gender, "source": "roster"},
            )
            for i, (name, gender) in enumerate(RAW)
        ]  # fmt: skip
        store.append_many(added, actor="lead")
        store.append(ev.PARTICIPANT_UPDATED, {"participant": "p7", "changes": {"gender": "Femme"}}, actor="lead")
        s = Session(store, actor="lead")
        s.announce()
        clock.advance(timedelta(minutes=10))
        s.next_step()  # 07:00: day one starts
        for pid in ("p0", "p1", "p3"):
            s.check_in(pid)
        clock.advance(timedelta(minutes=30))
        return db, clock.now()


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def test_the_roster_fold_normalises_raw_values(tmp_path: Path, tiny_programme: Programme) -> None:
    db, _ = _raw_run(tmp_path, tiny_programme)
    with Store.open(db) as store:
        roster = Roster.from_events(store.events())
        raw = [e.payload.get("gender") for e in store.events() if e.kind == ev.PARTICIPANT_ADDED]
    assert raw == [g for _, g in RAW]  # the log keeps what was typed
    assert [p.gender for p in roster.by_id.values()] == [
        FEMALE, FEMALE, FEMALE, MALE, MALE, "Autre", None, FEMALE,
    ]  # fmt: skip


def test_raw_spellings_in_an_old_log_are_one_category_in_the_export(tmp_path: Path, tiny_programme: Programme) -> None:
    db, now = _raw_run(tmp_path, tiny_programme)
    out = tmp_path / "out"
    export(db, out, formats=["csv"], now=now)
    by_gender = [(r["gender"], r["registered"], r["attended"]) for r in _csv(out / "attendance_by_gender.csv")]
    assert by_gender == [
        ("autre", "1", "0"),  # kept as its own category (the register's gender_of folds its case)
        ("female", "4", "2"),  # "F", "Female", "female", and "femme" by an update
        ("male", "2", "1"),  # "Homme", "M"
        ("not stated", "1", "0"),
    ]
    certificates = {r["name"]: r["gender"] for r in _csv(out / "certificates.csv")}
    assert certificates == {
        "Amina": FEMALE,
        "Grace": FEMALE,
        "Nyakim": FEMALE,
        "Jean": MALE,
        "Kofi": MALE,
        "Sam": "Autre",
        "Sofia": "",
        "Lena": FEMALE,
    }
    by_day = {r["name"]: r["gender"] for r in _csv(out / "attendance_by_day.csv")}
    assert by_day == certificates
