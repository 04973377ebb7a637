"""The roster folded from participant events, and its derived table."""

from __future__ import annotations

from facilitator import events as ev
from facilitator.participants import Roster
from facilitator.store import Store


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
