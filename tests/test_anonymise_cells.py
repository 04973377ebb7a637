"""Small cells (issue 23): no figure and no row of an anonymised export is about fewer than k people, and the
export says what it pooled. ``--min-cell K``, 3 by default."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitator.attendance.gender import category
from facilitator.attendance.roster import Participant
from facilitator.exports.cells import SUPPRESSED, Cells, Pooling, pool
from facilitator.exports.run import export
from facilitator.live.session import Session
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import TINY_PROGRAMME
from tests.test_export_run import read_csv

START = datetime(2022, 8, 22, 6, 50, tzinfo=UTC)
# hq: three women, three men and the only non-binary person there; juba: four; bamako: one woman.
PEOPLE = [
    *(("hq", "female"),) * 3,
    *(("hq", "male"),) * 3,
    ("hq", "non-binary"),
    *(("juba", "female"),) * 2,
    *(("juba", "male"),) * 2,
    ("bamako", "female"),
]


def test_pool_takes_the_small_groups_and_then_the_smallest_others_until_it_has_k() -> None:
    assert pool({"a": 5, "b": 4}, 3) == Pooling()
    assert pool({"a": 5, "b": 4, "c": 1, "d": 0}, 3) == Pooling(frozenset({"b", "c"}), 5)  # 1 alone: add b (4)
    assert pool({"a": 5, "b": 1, "c": 2}, 3) == Pooling(frozenset({"b", "c"}), 3)  # two small ones make 3
    assert pool({"a": 2}, 3) == Pooling(frozenset({"a"}), 2, withheld=True)  # nothing else to pool with
    assert pool({"a": 1, "b": 1}, 1) == Pooling()  # k = 1: nothing is small


def _people(draw_people: list[tuple[str, str | None]]) -> list[Participant]:
    return [Participant(f"p{i}", f"P {i}", f"p{i}@x.org", loc, gender=g) for i, (loc, g) in enumerate(draw_people)]


@settings(max_examples=300, deadline=None)
@given(
    people=st.lists(
        st.tuples(st.sampled_from(["hq", "juba", "goma", "bamako"]), st.sampled_from(["F", "male", "nb", "x", None])),
        max_size=40,
    ),
    k=st.integers(1, 6),
)
def test_every_published_group_has_at_least_k_people(people: list[tuple[str, str | None]], k: int) -> None:
    roster = _people(people)
    cells = Cells.of(roster, enabled=True, k=k)
    if len(roster) < k:
        # A roster of fewer than k: everything small is pooled, and a pool that small is withheld.
        assert all(cells.location(p.location) == SUPPRESSED for p in roster)
        return
    # The rows about one person: everyone who reads the same location and gender is one of k or more.
    classes = Counter((cells.location(p.location), cells.gender(p)) for p in roster)
    assert min(classes.values(), default=k) >= k, classes
    # The tables split by location or by gender: every group published, the pool included, has k or more.
    for split, published in [
        (Counter(p.location for p in roster), cells.location),
        (Counter(category(p.gender) for p in roster), cells.gender_group),
    ]:
        groups: Counter[str | None] = Counter()
        for group, n in split.items():
            groups[published(group)] += n
        assert min(groups.values()) >= k, groups
    # Nothing pooled without need: a group of k or more is pooled only to lift a pool under k.
    pooled = cells.locations.pooled
    assert not pooled or any(n < k for loc, n in Counter(p.location for p in roster).items() if loc in pooled)


def _programme() -> Programme:
    spec = copy.deepcopy(TINY_PROGRAMME)
    spec["workshop"]["locations"].append({"id": "bamako", "name": "Bamako", "timezone": "Africa/Bamako"})
    return Programme.validate(spec)


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, FakeClock]:
    clock = FakeClock(START)
    path = tmp_path / "run.db"
    Store.create(path, _programme(), actor="lead", clock=clock).close()
    with Store.open(path, clock=clock) as store:
        s = Session(store, actor="lead")
        ids = [
            s.add_participant(f"Person {i}", f"person{i}@example.org", loc, gender=g).payload["participant"]
            for i, (loc, g) in enumerate(PEOPLE)
        ]
        clock.advance(timedelta(minutes=10))
        s.next_step()
        for pid in ids[::2]:
            s.check_in(pid)
        clock.advance(timedelta(minutes=30))
    return path, clock


def test_the_only_non_binary_person_at_a_location_does_not_stand_out(
    db: tuple[Path, FakeClock], tmp_path: Path
) -> None:
    path, clock = db
    identified, anonymised = tmp_path / "identified", tmp_path / "anonymised"
    export(path, identified, now=clock.now(), formats=["csv", "md", "html"])
    export(path, anonymised, now=clock.now(), formats=["csv", "md", "html"], anonymise=True)
    assert ("hq", "non-binary") in {(r["location"], r["gender"]) for r in read_csv(identified / "certificates.csv")}

    rows = read_csv(anonymised / "certificates.csv")
    classes = Counter((r["location"], r["gender"]) for r in rows)
    # bamako (1) is pooled with the smallest other location, juba (4); at hq the lone non-binary person goes
    # with the three women; in the pool, the two men there go with the three women.
    assert classes == {("hq", "male"): 3, ("hq", SUPPRESSED): 4, (SUPPRESSED, SUPPRESSED): 5}
    for name in ("attendance_by_day", "attendance_by_block"):
        assert {(r["location"], r["gender"]) for r in read_csv(anonymised / f"{name}.csv")} == set(classes)
        # a suppressed location's time zone and local times would name it
        for r in read_csv(anonymised / f"{name}.csv"):
            assert (r["timezone"] == SUPPRESSED) == (r["location"] == SUPPRESSED)
            assert r["location"] != SUPPRESSED or r["first_in_local"] == r["last_out_local"] == ""

    summary = read_csv(anonymised / "attendance_summary.csv")
    assert [(r["location"], r["registered"], r["expected"], r["suppressed"]) for r in summary] == [
        ("hq", "7", "4", ""),
        (SUPPRESSED, "5", "4", "pooled: Bamako, Juba (no figure is about fewer than 3 people)"),
        ("all", "12", "8", ""),  # bamako expects no one: its one registered person
    ]
    genders = read_csv(anonymised / "attendance_by_gender.csv")
    assert [(r["gender"], r["registered"], r["suppressed"]) for r in genders] == [
        ("female", "6", ""),
        (SUPPRESSED, "6", "pooled: gender groups of fewer than 3 people"),  # the non-binary person and the men
    ]
    for report in ("report.md", "report.html"):
        text = (anonymised / report).read_text(encoding="utf-8")
        assert "Small cells suppressed: no figure is about fewer than 3 people" in text
        assert "locations pooled: Bamako, Juba" in text
        assert "non-binary" not in text
        assert "non-binary" in (identified / report).read_text(encoding="utf-8")
    # the identified export pools nothing, and says nothing
    assert {r["suppressed"] for r in read_csv(identified / "attendance_summary.csv")} == {""}


def test_min_cell_sets_k(db: tuple[Path, FakeClock], tmp_path: Path) -> None:
    path, clock = db
    export(path, tmp_path / "k1", now=clock.now(), formats=["csv"], anonymise=True, min_cell=1)
    assert SUPPRESSED not in (tmp_path / "k1" / "certificates.csv").read_text(encoding="utf-8-sig")
    export(path, tmp_path / "k13", now=clock.now(), formats=["csv", "md"], anonymise=True, min_cell=13)
    summary = read_csv(tmp_path / "k13" / "attendance_summary.csv")
    # twelve people, fewer than k = 13: every figure about them is withheld, the public "expected" is not
    assert [(r["location"], r["registered"], r["attended"], r["expected"], r["suppressed"]) for r in summary] == [
        (SUPPRESSED, "", "", "8", "withheld: fewer than 13 people"),
        ("all", "", "", "8", "withheld: fewer than 13 people"),
    ]
    genders = read_csv(tmp_path / "k13" / "attendance_by_gender.csv")
    assert [(r["gender"], r["registered"], r["suppressed"]) for r in genders] == [
        (SUPPRESSED, "", "withheld: fewer than 13 people")
    ]
    assert "| suppressed | – | – |" in (tmp_path / "k13" / "report.md").read_text(encoding="utf-8")
