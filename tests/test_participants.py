"""The roster folded from participant events, and its derived table."""

from __future__ import annotations

from typing import Any

from facilitator.attendance.roster import Roster
from facilitator.record import events as ev
from facilitator.record.store import Store


def test_roster_follows_additions_and_updates(run_store: Store) -> None:
    run_store.append_many(
        [
            (ev.PARTICIPANT_ADDED, {"participant": "p1", "name": "Amina Deng", "email": "amina@example.org",
                                    "location": "hq", "gender": "female"}),
            (ev.PARTICIPANT_ADDED, {"participant": "p2", "name": "Kofi Mensah", "email": "kofi@example.org",
                                    "location": "juba", "source": "walk-in"}),
            (ev.PARTICIPANT_UPDATED, {"participant": "p1", "changes": {"email": "amina.deng@example.org",
                                                                         "location": "juba"}}),
        ],
        actor="lead",
    )  # fmt: skip
    roster = Roster.from_events(run_store.events())
    assert sorted(roster.by_email) == ["amina.deng@example.org", "kofi@example.org"]
    assert roster.by_id["p1"].location == "juba"
    assert roster.by_id["p2"].source == "walk-in"
    assert roster.counts() == {"juba": 2}
    query = "SELECT id, email, location, source FROM participants ORDER BY id"
    rows = run_store.conn.execute(query).fetchall()
    assert rows == [("p1", "amina.deng@example.org", "juba", "roster"), ("p2", "kofi@example.org", "juba", "walk-in")]
    before = rows
    run_store.rebuild_derived()
    assert (
        run_store.conn.execute("SELECT id, email, location, source FROM participants ORDER BY id").fetchall() == before
    )


def test_roster_normalises_gender_as_typed_in_older_run_files(run_store: Store) -> None:
    def person(pid: str, gender: str | None) -> tuple[str, dict[str, Any]]:
        payload: dict[str, Any] = {
            "participant": pid,
            "name": pid,
            "email": f"{pid}@example.org",
            "location": "hq",
            "gender": gender,
        }
        return ev.PARTICIPANT_ADDED, payload

    def change(pid: str, gender: str | None) -> tuple[str, dict[str, Any]]:
        return ev.PARTICIPANT_UPDATED, {"participant": pid, "changes": {"gender": gender}}

    run_store.append_many(
        [person("a", "F"), person("b", "Female"), person("c", " Homme "), person("d", "Two-Spirit"),
         person("e", "  "), person("f", "m"), change("f", "Féminin"), change("c", None), change("b", "Autre")],
        actor="lead",
    )  # fmt: skip
    roster = Roster.from_events(run_store.events())
    genders = {pid: p.gender for pid, p in roster.by_id.items()}
    assert genders == {"a": "female", "b": "Autre", "c": None, "d": "Two-Spirit", "e": None, "f": "female"}
    assert roster.by_email["a@example.org"].gender == "female"
