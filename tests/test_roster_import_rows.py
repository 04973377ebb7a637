"""The roster import's short cuts read and write exactly what the plain way would.

A row's cells are asked once, as a whole, whether they hold a control character; ASCII cells are not
NFC-normalised (they are NFC already); codes are compared with their spaces, dashes and tabs replaced away;
the events of an import go to the log in one bulk write, with the ``participants`` table projected in bulk
too; and the garbage collector rests while it runs. Each is checked here against the plain way: a search of
every value, the table replayed one event at a time, the collector left as it was.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facilitator.attendance.roster_import import (
    _CONTROL,
    _Columns,
    _has_control,
    _LocationIndex,
    _row_values,
    import_roster,
    normalise_code,
)
from facilitator.problems import InputError
from facilitator.record import events as ev
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import TINY_PROGRAMME

# Letters, accents composed and combining (NFC composes "e\u0301"), a character NFC expands ("\u0958"),
# spaces of several kinds, C0 and C1 controls, and what e-mails and codes are made of.
CHARACTERS = "aZé\u0301\u0958 \u00a0\t\n\x07\x1b\x85\x9f@.-_9"
CELLS = st.text(alphabet=CHARACTERS, max_size=12)
COLUMNS = _Columns.of({"name": 0, "email": 1, "location": 2, "role": 3, "organisation": 4, "gender": 5, "code": 6})
LOCATIONS = _LocationIndex(Programme.validate(TINY_PROGRAMME).workshop.locations)  # hq "Headquarters", juba "Juba"


@given(st.text(alphabet=CHARACTERS + "\u200b\u2028", max_size=40))
def test_one_look_at_a_record_finds_a_control_character_where_a_search_would(text: str) -> None:
    assert _has_control(text) == (_CONTROL.search(text) is not None)


@given(st.lists(CELLS | st.sampled_from(["Headquarters", " juba ", "a@b.org", "MAILTO:X@Y.ORG"]), max_size=8))
def test_a_row_reads_the_same_whether_its_record_was_asked_once_or_each_value_searched(record: list[str]) -> None:
    whole = "".join(record)
    once = _row_values(record, COLUMNS, "r.csv", 2, LOCATIONS, min_code_length=4, controls=_has_control(whole))
    searched = _row_values(record, COLUMNS, "r.csv", 2, LOCATIONS, min_code_length=4, controls=True)
    assert once == searched
    values, _ = once
    if "name" in values:  # stored as the plain way cleans a cell
        assert values["name"] == unicodedata.normalize("NFC", record[0].strip())


@pytest.mark.parametrize(
    ("code", "compared"),
    [
        ("K7QX2-MN4PA", "k7qx2mn4pa"),
        (" ab\tc - d ", "abcd"),
        ("Straße", "strasse"),  # casefold, not lower
        ("a\u00a0b", "a\u00a0b"),  # only plain spaces, dashes and tabs are separators
        ("", ""),
        (None, ""),
    ],
)
def test_a_code_is_compared_without_case_spaces_dashes_or_tabs(code: str | None, compared: str) -> None:
    assert normalise_code(code) == compared


def test_an_import_writes_what_one_event_at_a_time_would(tmp_path: Path, run_store: Store) -> None:
    people = [
        ["Zoë Müller", "Zoe@Example.org", "Headquarters", "Planning Officer", "UN Women, Liaison", "F", "AB-CD 1234"],
        ["Jose\u0301 Ñúñez", "mailto:jose@example.org", "JUBA", "", "", "homme", ""],
        ["Amaka Obi", "amaka@example.org", "hq", 'Gender "Focal" Point', "UNDP", "", "efgh5678"],
        ["Li Wei", "li.wei@example.org", " juba ", "Officer", "DPO", "Prefer not to say", "IJKL-9012"],
        ["Ana Lima", "ana@example.org", "hq", "", "", "non binary", ""],
    ]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerows([["Full name", "E-mail", "Duty station", "Title", "Agency", "Sex", "Personal code"], *people])
    roster = tmp_path / "roster.csv"
    roster.write_text(text.getvalue(), encoding="utf-8")

    result = import_roster(run_store, roster, actor="organiser")

    assert len(result.added) == len(people)
    stored = run_store.conn.execute(
        "SELECT payload FROM events WHERE kind = ? ORDER BY seq", (ev.PARTICIPANT_ADDED,)
    ).fetchall()
    planned = [payload for _, payload in result.events]
    # Each payload in its one stored form: compact, not \u-escaped, its fields in the order planned.
    assert [row[0] for row in stored] == [
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")) for payload in planned
    ]
    assert planned[1]["name"] == "José Ñúñez" and planned[1]["role"] is None  # NFC; an empty cell is none
    query = "SELECT * FROM participants ORDER BY seq"
    bulk = run_store.conn.execute(query).fetchall()
    assert [row[3] for row in bulk] == [payload["email"] for payload in planned]
    run_store.rebuild_derived()  # one event at a time, as a replay does
    assert run_store.conn.execute(query).fetchall() == bulk


def test_an_import_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path, run_store: Store) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email,location\nAna Lima,ana@example.org,hq\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email,location\nAna Lima,not an address,hq\n", encoding="utf-8")
    assert gc.isenabled()
    import_roster(run_store, roster, actor="organiser")
    assert gc.isenabled()
    with pytest.raises(InputError):
        import_roster(run_store, bad, actor="organiser")
    assert gc.isenabled()
    gc.disable()  # a profiler's, say: not turned on behind its back
    try:
        import_roster(run_store, roster, actor="organiser", dry_run=True)
        assert not gc.isenabled()
    finally:
        gc.enable()
