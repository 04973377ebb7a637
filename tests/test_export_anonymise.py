"""``--anonymise``: no roster name or e-mail anywhere in any file, pseudonyms and ids drawn afresh for each export,
no authors of free text, no codes, addresses or paths (issue 23; tests/test_anonymise_*.py go further)."""

from __future__ import annotations

import html
import json
import zipfile
from datetime import timedelta
from pathlib import Path

from facilitator.attendance.roster import Roster
from facilitator.exports import event_log
from facilitator.exports.pseudonyms import Pseudonyms
from facilitator.exports.run import export
from facilitator.live.session import Session
from facilitator.record import catalogue
from facilitator.record.clock import FakeClock
from facilitator.record.events import Event
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.test_export_run import NOW, ROSTER, WALK_IN, build_run, read_csv, run_export


def _roster_words() -> list[str]:
    words = [WALK_IN, "walk.in@example.org"]
    for line in ROSTER.splitlines()[1:]:
        name, email = line.split(",")[:2]
        words += [name, email]
    return words


def _contents(out: Path) -> dict[str, str]:
    """Every file's text; the workbook's XML parts one by one (its strings live there)."""
    found = {}
    for path in out.iterdir():
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                for part in book.namelist():
                    found[f"{path.name}:{part}"] = book.read(part).decode("utf-8")
        else:
            found[path.name] = path.read_text(encoding="utf-8-sig")
    return found


def test_anonymised_export_holds_no_roster_name_or_email_anywhere(tmp_path: Path, tiny_programme: Programme) -> None:
    out, _ = run_export(tmp_path, tiny_programme, anonymise=True)
    contents = _contents(out)
    assert len(contents) > 20  # every format, and the workbook's parts
    for word in _roster_words():
        forms = {word, word.lower(), html.escape(word), html.escape(word, quote=False), json.dumps(word)[1:-1]}
        for name, text in contents.items():
            for form in forms:
                assert form.lower() not in text.lower(), f"{word!r} in {name}"


def test_the_same_export_without_anonymise_does_name_them(tmp_path: Path, tiny_programme: Programme) -> None:
    out, _ = run_export(tmp_path, tiny_programme)
    everything = "\n".join(_contents(out).values())
    assert all(word in everything or html.escape(word) in everything for word in _roster_words())


FIGURES = [
    ("certificates", ("attended_minutes", "eligible")),
    ("attendance_by_day", ("day", "minutes", "status", "first_in_utc", "last_out_utc")),
    ("attendance_by_block", ("exercise", "minutes", "status")),
]


def _events(out: Path, kind: str) -> list[dict[str, object]]:
    lines = (out / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return [event["payload"] for event in map(json.loads, lines) if event["kind"] == kind]


def test_pseudonyms_hold_across_files_but_share_no_id_with_the_run_or_another_export(
    tmp_path: Path, tiny_programme: Programme
) -> None:
    db, clock, ids = build_run(tmp_path, tiny_programme)
    out, again = tmp_path / "out", tmp_path / "again"
    export(db, out, now=clock.now(), anonymise=True, min_cell=2)
    export(db, again, now=clock.now(), anonymise=True, min_cell=2)
    by_day = {row["participant_id"]: (row["name"], row["email"]) for row in read_csv(out / "attendance_by_day.csv")}
    certificates = {row["participant_id"]: (row["name"], row["email"]) for row in read_csv(out / "certificates.csv")}
    assert by_day == certificates  # one pseudonym and one id per person, in every file
    added = {p["participant"]: (p["name"], p["email"]) for p in _events(out, "participant.added")}
    assert added == certificates  # the event log's too
    assert sorted(name for name, _ in by_day.values()) == [f"Participant 00{n}" for n in range(1, 6)]
    assert all(email == f"participant-{name[-3:]}@example.invalid" for name, email in by_day.values())
    assert not set(by_day) & set(ids.values())  # no id of the run
    assert not set(by_day) & {row["participant_id"] for row in read_csv(again / "certificates.csv")}  # nor of another

    reflections = read_csv(out / "reflections.csv")
    assert {row["author"] for row in reflections} == {"withheld", "anonymous"}
    logged = _events(out, "reflection.logged")
    assert [p["reflection"] for p in logged] == [row["reflection_id"] for row in reflections]
    assert not {row["reflection_id"] for row in reflections} & {row["reflection_id"] for row in read_csv(
        again / "reflections.csv"
    )}  # fmt: skip
    assert all("participant_id" not in p for p in logged)  # no author link for a withheld reflection
    # a roster name inside free text is replaced by that person's pseudonym (Amina: the one with 65 minutes)
    (amina,) = [row["name"] for row in read_csv(out / "certificates.csv") if row["attended_minutes"] == "65.0"]
    number = amina.removeprefix("Participant ")
    assert reflections[2]["text"] == f"I will ask {amina} (participant-{number}@example.invalid) to review."
    quotes = read_csv(out / "quotes.csv")
    assert [(q["name"], q["role"], q["location"]) for q in quotes] == [
        ("withheld", "", "Juba"),
        ("anonymous", "", "Headquarters"),
        ("withheld", "", "Headquarters"),
    ]
    # the rows about people come in the pseudonyms' order, not the roster's, each with its own figures
    assert [row["name"] for row in read_csv(out / "certificates.csv")] == sorted(n for n, _ in by_day.values())
    identified = tmp_path / "identified"
    export(db, identified, now=clock.now(), formats=["csv"])
    for table, columns in FIGURES:
        figures = sorted(tuple(row[c] for c in columns) for row in read_csv(identified / f"{table}.csv"))
        assert sorted(tuple(row[c] for c in columns) for row in read_csv(out / f"{table}.csv")) == figures


def test_pseudonym_numbers_are_shuffled_for_each_export() -> None:
    roster = Roster()
    for n in range(60):
        roster.apply(Event(n + 1, f"e{n}", NOW, "lead", "participant.added", {
            "participant": f"p{n}", "name": f"Person {n}", "email": f"p{n}@example.org", "location": "hq",
        }))  # fmt: skip
    first, second, identified = (Pseudonyms(roster, enabled=enabled) for enabled in (True, True, False))
    numbers = [first.name(pid) for pid in roster.by_id]
    assert sorted(numbers) == [f"Participant {n:03d}" for n in range(1, 61)]
    assert numbers != sorted(numbers)  # 1 in 60! that it is the roster's order
    assert [second.name(pid) for pid in roster.by_id] != numbers  # and another export, another order
    assert [p.id for p in first.people()] == sorted(roster.by_id, key=first.name)
    assert [identified.name(pid) for pid in roster.by_id][:2] == ["Person 0", "Person 1"]


def test_codes_addresses_and_paths_do_not_leave(tmp_path: Path, tiny_programme: Programme) -> None:
    clock = FakeClock(NOW)
    db = tmp_path / "run.db"
    Store.create(db, tiny_programme, actor="lead", clock=clock, source=tmp_path / "workshop").close()
    with Store.open(db, clock=clock) as store:
        s = Session(store, actor="lead")
        s.announce(address="203.0.113.77")
        s.add_participant("Dana Smith", "dana@example.org", "hq", code="k7f3a9c2e1b4", role="Civil Affairs Officer")
    identified, anonymised = tmp_path / "identified", tmp_path / "anonymised"
    export(db, identified, now=clock.now(), formats=["csv"])
    export(db, anonymised, now=clock.now(), formats=["csv"], anonymise=True)
    raw = (identified / "events.jsonl").read_text(encoding="utf-8")
    assert all(value in raw for value in ("k7f3a9c2e1b4", "203.0.113.77", str(tmp_path / "workshop"), "Civil Aff"))
    for path in anonymised.iterdir():
        text = path.read_text(encoding="utf-8-sig")
        for value in ("k7f3a9c2e1b4", "203.0.113.77", str(tmp_path), "Civil Affairs", '"code"', '"from"'):
            assert value not in text, (value, path.name)


def test_every_kind_of_event_has_an_anonymising_rule() -> None:
    # A new kind must say what in it names someone: until it does, an anonymised log keeps none of its payload.
    assert set(event_log.RULES) == set(catalogue.CATALOGUE)
    assert event_log.anonymised("question.asked", {"text": "Dana?"}, None) == {}  # type: ignore[arg-type]


def test_people_added_at_one_instant_are_logged_in_a_shuffled_order(tmp_path: Path, tiny_programme: Programme) -> None:
    clock = FakeClock(NOW)
    db = tmp_path / "run.db"
    Store.create(db, tiny_programme, actor="lead", clock=clock).close()
    with Store.open(db, clock=clock) as store:
        s = Session(store, actor="lead")
        for n in range(40):  # an import at one instant: the first twenty at hq, the others at juba
            s.add_participant(f"Person {n}", f"p{n}@example.org", "hq" if n < 20 else "juba")
        clock.advance(timedelta(minutes=1))
        s.add_participant("Late Comer", "late@example.org", "hq")
    out = tmp_path / "out"
    export(db, out, now=clock.now(), formats=["csv"], anonymise=True, min_cell=1)
    events = [json.loads(line) for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    added = [e["payload"]["location"] for e in events if e["kind"] == "participant.added"]
    assert sorted(added[:40]) == ["hq"] * 20 + ["juba"] * 20
    assert added[:40] != sorted(added[:40])  # 1 in 137 billion that a shuffle leaves them in roster order
    assert added[40] == "hq" and events[-1]["payload"]["name"].startswith("Participant ")  # a later one stays later
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
