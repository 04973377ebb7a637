"""``--anonymise``: no roster name or e-mail anywhere in any file, stable pseudonyms, no authors of free text."""

from __future__ import annotations

import html
import json
import zipfile
from pathlib import Path

from facilitator.script.models import Programme
from tests.test_export_run import ROSTER, WALK_IN, read_csv, run_export


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


def test_pseudonyms_are_stable_across_files_and_authors_are_dropped(tmp_path: Path, tiny_programme: Programme) -> None:
    out, ids = run_export(tmp_path, tiny_programme, anonymise=True)
    by_day = {row["participant_id"]: (row["name"], row["email"]) for row in read_csv(out / "attendance_by_day.csv")}
    certificates = {row["participant_id"]: (row["name"], row["email"]) for row in read_csv(out / "certificates.csv")}
    assert by_day == certificates
    assert by_day[ids["Amina"]] == ("Participant 001", "participant-001@example.invalid")
    assert by_day[ids["walk-in"]] == ("Participant 005", "participant-005@example.invalid")
    reflections = read_csv(out / "reflections.csv")
    assert {row["author"] for row in reflections} == {"withheld", "anonymous"}
    # a roster name inside free text is replaced too
    assert reflections[2]["text"] == "I will ask Participant 001 (participant-001@example.invalid) to review."
    quotes = read_csv(out / "quotes.csv")
    assert [(q["name"], q["role"], q["location"]) for q in quotes] == [
        ("withheld", "", "Juba"),
        ("anonymous", "", "Headquarters"),
        ("withheld", "", "Headquarters"),
    ]
    added = [
        json.loads(line)["payload"]
        for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()
        if '"participant.added"' in line
    ]
    assert [(p["name"], p["email"]) for p in added][:2] == [
        ("Participant 001", "participant-001@example.invalid"),
        ("Participant 002", "participant-002@example.invalid"),
    ]
