"""The breakout groups in the export (issue 17), the table built directly from a snapshot: a row per person per
group of every grouping as it stands; anonymised, no name nor raw id, small locations and genders pooled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from facilitator.exports.cells import SUPPRESSED
from facilitator.exports.groups import anonymised_made, groups
from facilitator.exports.progress import Silent
from facilitator.exports.record import read_record
from facilitator.exports.snapshot import Snapshot
from facilitator.exports.tables import Table
from facilitator.live.session import Session
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.test_groups import PEOPLE, programme_data


def build(folder: Path) -> tuple[Path, dict[str, Any]]:
    """Ten people checked in grouped at warm-up/pairs, Kim added late, one person moved; a second round."""
    db = folder / "run.db"
    clock = FakeClock()
    with Store.create(db, Programme.validate(programme_data()), actor="lead", clock=clock) as store:
        s = Session(store, actor="lead")
        for pid, name, location, gender in PEOPLE:
            s.add_participant(name, f"{pid}@example.org", location, participant_id=pid, gender=gender)
            if pid != "kim-out":
                s.check_in(pid)
        s.next_step()
        s.next_step()
        first = s.make_groups(size=3, call_pattern="https://meet.example.org/wps-room-{n}", seed=3).payload
        s.check_in("kim-out")
        late = s.add_to_smallest("kim-out").payload
        mover = first["groups"][0]["members"][0]
        s.move_to_group(mover, 3)
        clock.advance(timedelta(minutes=15))
        s.end_groups()
        s.next_step()
        second = s.make_groups(count=2, seed=4).payload
    return db, {"first": first, "second": second, "late": late, "mover": mover}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    return build(tmp_path_factory.mktemp("groups"))


def table(db: Path, *, anonymise: bool) -> tuple[Table, list[tuple[Any, ...]]]:
    now = datetime(2022, 8, 22, 13, 0, tzinfo=UTC)
    with Snapshot(db) as snapshot:
        record = read_record(snapshot, now, anonymise=anonymise, progress=Silent())
        made = groups(snapshot, record)
        return made, list(made.rows)


def test_a_row_per_person_per_group_as_the_groups_stand(run: tuple[Path, dict[str, Any]]) -> None:
    db, made = run
    found, rows = table(db, anonymise=False)
    assert found.name == "groups"
    assert found.header == [
        "day", "exercise", "step", "grouping", "made_at_utc", "group", "call",
        "participant_id", "name", "location", "gender", "joined", "ended_at_utc",
    ]  # fmt: skip
    first, second = made["first"], made["second"]
    assert len(rows) == 11 + 11  # ten grouped, Kim added late; everyone in the second round
    one = [row for row in rows if row[3] == first["grouping"]]
    by_person = {row[7]: row for row in one}
    ada = by_person["ada"]
    assert ada[:3] == (datetime(2022, 8, 22).date(), "warm-up", "pairs")
    assert ada[4] == datetime(2022, 8, 22, 12, 0, tzinfo=UTC)
    assert (ada[8], ada[9], ada[10]) == ("Ada Lovelace", "hq", "female")
    assert by_person["jon"][10] == ""  # no gender on the roster
    kim = by_person["kim-out"]
    assert (kim[5], kim[6], kim[11]) == (
        made["late"]["to"],
        f"https://meet.example.org/wps-room-{made['late']['to']}",
        "late",
    )
    mover = by_person[made["mover"]]
    assert (mover[5], mover[11]) == (3, "moved")
    assert {row[11] for row in one} == {"made", "late", "moved"}
    assert sorted(row[5] for row in one if row[11] == "made").count(1) == len(first["groups"][0]["members"]) - 1
    two = [row for row in rows if row[3] == second["grouping"]]
    assert {row[2] for row in two} == {"write"} and {row[5] for row in two} == {1, 2}
    assert {row[11] for row in two} == {"made"} and all(row[6] == "" for row in two)
    assert {row[12] for row in one} == {datetime(2022, 8, 22, 12, 15, tzinfo=UTC)}
    assert {row[12] for row in two} == {None}  # still meeting
    assert [row[3] for row in rows] == [first["grouping"]] * 11 + [second["grouping"]] * 11  # in the order made


def test_anonymised_no_name_no_raw_id_and_small_cells_pooled(run: tuple[Path, dict[str, Any]]) -> None:
    db, made = run
    _found, rows = table(db, anonymise=True)
    assert len(rows) == 22
    text = repr(rows)
    for pid, name, *_ in PEOPLE:
        assert f"'{pid}'" not in text and name not in text
    assert made["first"]["grouping"] not in text and made["second"]["grouping"] not in text
    names = {row[8] for row in rows}
    assert all(name.startswith("Participant ") for name in names) and len(names) == 11
    assert len({row[3] for row in rows}) == 2  # the grouping's pseudonymous id still joins its rows
    # hq has 4 people, juba 4, goma 3 (of k = 3): published as they are; genders of fewer than 3 at a
    # location read "suppressed" (goma's one man, Jon's unstated gender)
    assert {row[9] for row in rows} == {"hq", "juba", "goma"}
    assert SUPPRESSED in {row[10] for row in rows}
    assert {row[11] for row in rows} == {"made", "late", "moved"}


def test_a_run_without_groups_has_an_empty_table(tmp_path: Path, tiny_programme: Programme) -> None:
    with Store.create(tmp_path / "run.db", tiny_programme, actor="lead", clock=FakeClock()):
        pass
    _found, rows = table(tmp_path / "run.db", anonymise=False)
    assert rows == []


def test_a_groups_made_event_keeps_no_raw_id_in_an_anonymised_log(run: tuple[Path, dict[str, Any]]) -> None:
    # The rule facilitator.exports.event_log.RULES takes for groups.made.
    db, made = run
    with Snapshot(db) as snapshot:
        record = read_record(snapshot, datetime(2022, 8, 22, 13, 0, tzinfo=UTC), anonymise=True, progress=Silent())
        payload = anonymised_made(dict(made["first"]), record)
    text = repr(payload)
    assert made["first"]["grouping"] not in text
    assert not any(f"'{pid}'" in text for pid, *_ in PEOPLE)
    assert [len(g["members"]) for g in payload["groups"]] == [len(g["members"]) for g in made["first"]["groups"]]
    assert payload["groups"][0]["call"] == "https://meet.example.org/wps-room-1" and payload["seed"] == 3


def test_facilitator_export_writes_the_table_in_every_format(run: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    import csv
    import json

    from openpyxl import load_workbook

    from facilitator.exports.run import export

    db, made = run
    out = tmp_path / "out"
    export(db, out, now=datetime(2022, 8, 22, 13, 0, tzinfo=UTC), formats=["csv", "json", "xlsx"])
    with (out / "groups.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 22 and rows[0]["grouping"] == made["first"]["grouping"]
    assert {row["joined"] for row in rows} == {"made", "late", "moved"}
    assert len(json.loads((out / "groups.json").read_text(encoding="utf-8"))) == 22
    sheet = load_workbook(out / "export.xlsx")["groups"]
    assert [cell.value for cell in sheet[1]][:6] == ["day", "exercise", "step", "grouping", "made_at_utc", "group"]
    assert sheet.max_row == 23
