"""The room's answers in the export (issue 15): every answer, results per question, location and gender,
knowledge gain per person and summarised, the course evaluation; anonymised, no name, ballot id or raw id."""

from __future__ import annotations

import html
import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from facilitator.exports.run import export
from facilitator.live.session import Session
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.test_export_anonymise import _contents
from tests.test_export_run import read_csv
from tests.test_questions import with_questions

# Ids and ballots unlike any word of the files, so that finding one in an anonymised export means a leak.
PEOPLE = [  # id, name, email, location, gender
    ("pid-ada-71", "Ada Lovelace", "ada@example.org", "hq", "F"),
    ("pid-cai-72", "Cai Okafor", "cai@example.org", "hq", "male"),
    ("pid-bea-73", "Bea Nkosi", "bea@example.org", "juba", "femme"),
    ("pid-dan-74", "Dan Deng", "dan@example.org", "juba", "M"),
    ("pid-eve-75", "Eve Lado", "eve@example.org", "juba", "female"),
    ("pid-gus-76", "Gus Wani", "gus@example.org", "juba", "non-binary"),
    ("pid-hal-77", "Hal Ajak", "hal@example.org", "juba", "female"),
]
BALLOTS = ("ballot-9f1e", "ballot-4c2a", "ballot-7d3b")
COMMENT = "Ada Lovelace explained it best"  # given with consent to quote it
PRIVATE = "Between us, the trainer from Juba rambled"  # without
FORMULA = "=HYPERLINK(1) was the best part"  # with consent, and a formula to a spreadsheet


def programme() -> Programme:
    data = with_questions()
    data["workshop"]["evaluation"]["questions"].append(
        {
            "id": "overall",
            "type": "scale",
            "text": "Overall?",
            # a script's text may name a participant: anonymised, the report's charts and tables must not
            "scale": {"min": 1, "max": 3, "low": "Poor", "high": "As good as Cai Okafor"},
        }
    )
    return Programme.validate(data)


def build(folder: Path) -> tuple[Path, FakeClock]:
    """Everyone checked in; the poll, the named question, the pre check, the evaluation, the post check."""
    clock = FakeClock()
    db = folder / "run.db"
    with Store.create(db, programme(), actor="lead", clock=clock) as store:
        s = Session(store, actor="lead")
        for pid, name, email, location, gender in PEOPLE:
            s.add_participant(name, email, location, participant_id=pid, gender=gender)
            s.check_in(pid)

        def answer(key: str, respondent: str, location: str, **given: Any) -> None:
            clock.advance(timedelta(minutes=1))
            s.answer(key, respondent=respondent, participant=respondent, location=location, **given)

        one, two, three = BALLOTS
        s.next_step()  # warm-up/intro: mood (a scale, anonymous), where (single, named)
        answer("mood", one, "hq", value=2)
        answer("mood", two, "juba", value=5)
        answer("mood", one, "hq", value=4)  # replaces the 2
        answer("where", "pid-ada-71", "hq", choices=["hq"])
        answer("where", "pid-bea-73", "juba", choices=["field"])
        answer("where", "pid-cai-72", "hq", choices=["hq"])
        s.next_step()  # warm-up/pairs: the pre check
        answer("wps/pre/q1", "pid-ada-71", "hq", choices=["b"])
        answer("wps/pre/q1", "pid-bea-73", "juba", choices=["a"])
        answer("wps/pre/q1", "pid-cai-72", "hq", choices=["a"])
        s.next_step()  # reflect/write: the evaluation opens
        answer("evaluation/useful", one, "hq", text=COMMENT, consent=True)
        answer("evaluation/overall", two, "juba", value=2)
        answer("evaluation/overall", one, "hq", value=3)
        s.next_step()  # reflect/share: the post check
        answer("wps/post/q1", "pid-ada-71", "hq", choices=["a"])
        answer("wps/post/q1", "pid-bea-73", "juba", choices=["a"])
        answer("wps/post/q1", "pid-dan-74", "juba", choices=["b"])
        answer("evaluation/useful", two, "juba", text=PRIVATE)  # the evaluation stays open past its step
        answer("evaluation/useful", three, "juba", text=FORMULA, consent=True)
    return db, clock


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FakeClock]:
    return build(tmp_path_factory.mktemp("questions"))


def t(minute: int) -> str:
    """A time of the run as the tables write it: the fake clock starts at 12:00 UTC."""
    return f"2022-08-22T12:{minute:02d}:00Z"


def exported(run: tuple[Path, FakeClock], out: Path, **options: Any) -> Path:
    db, clock = run
    export(db, out, now=clock.now(), **options)
    return out


def rows(out: Path, name: str, *columns: str) -> list[tuple[str, ...]]:
    return [tuple(row[c] for c in columns) for row in read_csv(out / f"{name}.csv")]


@pytest.fixture(scope="module")
def identified(run: tuple[Path, FakeClock], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return exported(run, tmp_path_factory.mktemp("identified") / "out")


def test_answers_hold_each_respondents_latest_answer(identified: Path) -> None:
    day = "2022-08-22"
    assert rows(
        identified,
        "answers",
        "question",
        "type",
        "step",
        "day",
        "location",
        "respondent",
        "named",
        "choices",
        "choice_texts",
        "value",
        "correct",
        "text",
        "consent",
        "answered_at_utc",
    ) == [
        ("mood", "scale", "intro", day, "juba", "ballot-4c2a", "no", "", "", "5", "", "", "", t(2)),
        ("mood", "scale", "intro", day, "hq", "ballot-9f1e", "no", "", "", "4", "", "", "", t(3)),
        ("where", "single", "intro", day, "hq", "pid-ada-71", "yes", "hq", "HQ", "", "", "", "", t(4)),
        ("where", "single", "intro", day, "juba", "pid-bea-73", "yes", "field", "A mission", "", "", "", "", t(5)),
        ("where", "single", "intro", day, "hq", "pid-cai-72", "yes", "hq", "HQ", "", "", "", "", t(6)),
        ("wps/pre/q1", "quiz", "pairs", day, "hq", "pid-ada-71", "yes", "b", "2242", "", "no", "", "", t(7)),
        ("wps/pre/q1", "quiz", "pairs", day, "juba", "pid-bea-73", "yes", "a", "1325", "", "yes", "", "", t(8)),
        ("wps/pre/q1", "quiz", "pairs", day, "hq", "pid-cai-72", "yes", "a", "1325", "", "yes", "", "", t(9)),
        ("wps/post/q1", "quiz", "share", day, "hq", "pid-ada-71", "yes", "a", "1325", "", "yes", "", "", t(13)),
        ("wps/post/q1", "quiz", "share", day, "juba", "pid-bea-73", "yes", "a", "1325", "", "yes", "", "", t(14)),
        ("wps/post/q1", "quiz", "share", day, "juba", "pid-dan-74", "yes", "b", "2242", "", "no", "", "", t(15)),
        # a comment says whether it may be quoted; an answer without one says nothing
        ("evaluation/useful", "text", "write", day, "hq", "ballot-9f1e", "no", "", "", "", "", COMMENT, "yes", t(10)),
        ("evaluation/useful", "text", "write", day, "juba", "ballot-4c2a", "no", "", "", "", "", PRIVATE, "no", t(16)),
        ("evaluation/useful", "text", "write", day, "juba", "ballot-7d3b", "no", "", "", "", "", "'" + FORMULA, "yes",
         t(17)),
        ("evaluation/overall", "scale", "write", day, "juba", "ballot-4c2a", "no", "", "", "2", "", "", "", t(11)),
        ("evaluation/overall", "scale", "write", day, "hq", "ballot-9f1e", "no", "", "", "3", "", "", "", t(12)),
    ]  # fmt: skip
    assert read_csv(identified / "answers.csv")[2]["question_text"] == "Where do you work?"


RESULT = ("question", "location", "gender", "answered", "option", "option_text", "correct", "count", "share", "mean",
          "share_right", "suppressed")  # fmt: skip


def results(out: Path, question: str) -> list[tuple[str, ...]]:
    return [row[1:] for row in rows(out, "question_results", *RESULT) if row[0] == question]


def test_results_per_question_location_and_gender(identified: Path) -> None:
    assert results(identified, "where") == [  # named: split by gender too
        ("hq", "all", "2", "hq", "HQ", "", "2", "1.000", "", "", ""),
        ("hq", "all", "2", "field", "A mission", "", "0", "0.000", "", "", ""),
        ("juba", "all", "1", "hq", "HQ", "", "0", "0.000", "", "", ""),
        ("juba", "all", "1", "field", "A mission", "", "1", "1.000", "", "", ""),
        ("all", "all", "3", "hq", "HQ", "", "2", "0.667", "", "", ""),
        ("all", "all", "3", "field", "A mission", "", "1", "0.333", "", "", ""),
        ("all", "female", "2", "hq", "HQ", "", "1", "0.500", "", "", ""),
        ("all", "female", "2", "field", "A mission", "", "1", "0.500", "", "", ""),
        ("all", "male", "1", "hq", "HQ", "", "1", "1.000", "", "", ""),
        ("all", "male", "1", "field", "A mission", "", "0", "0.000", "", "", ""),
    ]
    pre = results(identified, "wps/pre/q1")
    assert [(r[0], r[1], r[3], r[5], r[6], r[9]) for r in pre] == [  # a quiz: the right option and share right
        ("hq", "all", "a", "yes", "1", "0.500"),
        ("hq", "all", "b", "no", "1", "0.500"),
        ("juba", "all", "a", "yes", "1", "1.000"),
        ("juba", "all", "b", "no", "0", "1.000"),
        ("all", "all", "a", "yes", "2", "0.667"),
        ("all", "all", "b", "no", "1", "0.667"),
        ("all", "female", "a", "yes", "1", "0.500"),
        ("all", "female", "b", "no", "1", "0.500"),
        ("all", "male", "a", "yes", "1", "1.000"),
        ("all", "male", "b", "no", "0", "1.000"),
    ]
    everyone = [r for r in results(identified, "mood") if r[0] == "all"]  # anonymous: no gender rows
    shares = [(1, "0", "0.000"), (2, "0", "0.000"), (3, "0", "0.000"), (4, "1", "0.500"), (5, "1", "0.500")]
    assert everyone == [("all", "all", "2", str(v), "", "", n, share, "4.50", "", "") for v, n, share in shares]
    assert [r[:2] for r in results(identified, "mood")][::5] == [("hq", "all"), ("juba", "all"), ("all", "all")]
    assert results(identified, "evaluation/overall")[0][4] == "Poor"  # the scale's end labels
    assert results(identified, "evaluation/useful") == [
        ("hq", "all", "1", "", "", "", "", "", "", "", ""),
        ("juba", "all", "2", "", "", "", "", "", "", "", ""),
        ("all", "all", "3", "", "", "", "", "", "", "", ""),
    ]


def test_knowledge_gain_per_person_and_by_location_and_gender(identified: Path) -> None:
    person = ("check", "participant_id", "name", "location", "gender", "pre", "post", "gain", "maximum")
    assert rows(identified, "knowledge_gain", *person) == [
        ("wps", "pid-ada-71", "Ada Lovelace", "hq", "female", "0", "2", "2", "2"),
        ("wps", "pid-cai-72", "Cai Okafor", "hq", "male", "2", "", "", "2"),
        ("wps", "pid-bea-73", "Bea Nkosi", "juba", "female", "2", "2", "0", "2"),
        ("wps", "pid-dan-74", "Dan Deng", "juba", "male", "", "0", "", "2"),
    ]
    summary = ("check", "location", "gender", "people", "n_pre", "mean_pre", "n_post", "mean_post", "n_both",
               "mean_gain", "maximum", "suppressed")  # fmt: skip
    assert rows(identified, "knowledge_gain_summary", *summary) == [
        ("wps", "hq", "all", "2", "2", "1.00", "1", "2.00", "1", "2.00", "2", ""),
        ("wps", "juba", "all", "2", "1", "2.00", "2", "1.00", "1", "0.00", "2", ""),
        ("wps", "all", "all", "4", "3", "1.33", "3", "1.33", "2", "1.00", "2", ""),
        ("wps", "all", "female", "2", "2", "1.00", "2", "2.00", "2", "1.00", "2", ""),
        ("wps", "all", "male", "2", "1", "2.00", "1", "0.00", "0", "", "2", ""),
    ]


def test_evaluation_means_distributions_and_only_the_comments_with_consent(identified: Path) -> None:
    columns = ("question", "type", "answered", "mean", "distribution", "comments", "quotable")
    assert rows(identified, "evaluation_summary", *columns) == [
        ("evaluation/useful", "text", "3", "", "", "3", "2"),  # every comment counted; two may be quoted
        ("evaluation/overall", "scale", "2", "2.50", "1: 0; 2: 1; 3: 1", "0", "0"),
    ]
    # The comment given without consent stays in the answers (for the team), and goes nowhere else.
    assert rows(identified, "evaluation_comments", "question", "day", "location", "comment") == [
        ("evaluation/useful", "2022-08-22", "hq", COMMENT),
        ("evaluation/useful", "2022-08-22", "juba", "'" + FORMULA),  # formula-protected as all people's text
    ]
    for name in ("evaluation_comments.json", "evaluation_comments.csv", "report.md", "report.html"):
        assert "trainer from Juba" not in (identified / name).read_text(encoding="utf-8"), name
    comments = json.loads((identified / "evaluation_comments.json").read_text(encoding="utf-8"))
    assert [c["comment"] for c in comments] == [COMMENT, FORMULA]


def test_every_table_writer_writes_them_typed(identified: Path) -> None:
    names = ["answers", "question_results", "knowledge_gain", "knowledge_gain_summary", "evaluation_summary",
             "evaluation_comments"]  # fmt: skip
    gain = json.loads((identified / "knowledge_gain_summary.json").read_text(encoding="utf-8"))
    assert gain[2]["mean_pre"] == 1.33 and gain[2]["people"] == 4 and gain[4]["mean_gain"] is None
    answers = json.loads((identified / "answers.json").read_text(encoding="utf-8"))
    assert answers[0]["value"] == 5 and answers[5]["correct"] is False and answers[0]["named"] is False
    with zipfile.ZipFile(identified / "export.xlsx") as book:
        workbook = book.read("xl/workbook.xml").decode("utf-8")
    assert all(f'name="{name}"' in workbook for name in names)


def _leaks(out: Path, words: list[str]) -> list[tuple[str, str]]:
    found = []
    for name, text in _contents(out).items():
        for word in words:
            forms = {word, html.escape(word), json.dumps(word)[1:-1]}
            if any(form.lower() in text.lower() for form in forms):
                found.append((word, name))
    return found


def test_an_anonymised_export_holds_no_name_ballot_or_raw_id(run: tuple[Path, FakeClock], tmp_path: Path) -> None:
    out = exported(run, tmp_path / "out", anonymise=True)
    words = [*BALLOTS, *(w for person in PEOPLE for w in person[:3])]
    assert _leaks(out, words) == []
    answers = read_csv(out / "answers.csv")
    assert all(re.fullmatch(r"[0-9a-f]{24}", row["respondent"]) for row in answers)
    comment = next(row["text"] for row in answers if row["question"] == "evaluation/useful")
    assert comment.endswith(" explained it best") and "Ada" not in comment
    assert read_csv(out / "evaluation_comments.csv")[0]["comment"] == comment
    # A named answer's respondent is the person's pseudonymous id, so the tables still join.
    gain = {row["participant_id"] for row in read_csv(out / "knowledge_gain.csv")}
    assert {row["respondent"] for row in answers if row["question"].startswith("wps/")} == gain
    assert all(row["name"].startswith("Participant ") for row in read_csv(out / "knowledge_gain.csv"))
    # The identified export does carry them: the check above looks in the right places.
    assert {w for w, _ in _leaks(exported(run, tmp_path / "identified"), words)} == set(words)


def test_small_groups_are_pooled_in_every_split(run: tuple[Path, FakeClock], tmp_path: Path) -> None:
    # Two people at hq: hq is pooled, and juba with it (a pool of two would be worked out from the total);
    # two men and one non-binary person: pooled, while the four women stand.
    out = exported(run, tmp_path / "out", formats=["csv"], anonymise=True, min_cell=3)
    pooled = "pooled: groups of fewer than 3 people"
    # The gender groups are big enough on the roster, but fewer than three in each answered "where": their
    # figures would be those people's answers, so they are withheld (the totals keep them).
    few = "withheld: fewer than 3 answers"
    assert {(*r[:2], r[-1]) for r in results(out, "where")} == {
        ("suppressed", "all", pooled),
        ("all", "all", ""),
        ("all", "female", few),
        ("all", "suppressed", few),
    }
    assert all(set(r[2:-1]) == {""} for r in results(out, "where") if r[-1] == few)  # no figure at all
    assert {row["location"] for row in read_csv(out / "answers.csv")} == {"suppressed"}
    assert {row["location"] for row in read_csv(out / "evaluation_comments.csv")} == {"suppressed"}
    summary = rows(out, "knowledge_gain_summary", "location", "gender", "people", "suppressed")
    # Likewise the knowledge gain: two women and two others took the check, each group fewer than three.
    assert summary == [
        ("suppressed", "all", "4", pooled),
        ("all", "all", "4", ""),
        ("all", "female", "", few),
        ("all", "suppressed", "", few),
    ]
    person = rows(out, "knowledge_gain", "location", "gender", "pre")
    assert sorted(person) == [("suppressed", "female", "0"), ("suppressed", "female", "2"),
                              ("suppressed", "suppressed", ""), ("suppressed", "suppressed", "2")]  # fmt: skip


def test_a_group_withheld_for_few_answers_cannot_be_worked_out_from_the_total(
    run: tuple[Path, FakeClock], tmp_path: Path
) -> None:
    # k=2: both locations stand on the roster, but Juba gave one answer to "where". Withholding Juba alone
    # would leave it as the total less hq; so hq is withheld with it, and the total stands.
    out = exported(run, tmp_path / "out", formats=["csv"], anonymise=True, min_cell=2)
    few = "withheld: fewer than 2 answers"
    where = {r[:2]: r for r in results(out, "where")}
    assert where[("juba", "all")][-1] == few and where[("hq", "all")][-1] == few
    assert where[("juba", "all")][2:-1] == where[("hq", "all")][2:-1] and set(where[("hq", "all")][2:-1]) == {""}
    assert where[("all", "all")][-1] == "" and where[("all", "all")][2] != ""
    identified = exported(run, tmp_path / "identified", formats=["csv"])
    assert {r[:2]: r[-1] for r in results(identified, "where")}[("hq", "all")] == ""  # only anonymised


def test_a_roster_smaller_than_the_cell_has_its_figures_withheld(run: tuple[Path, FakeClock], tmp_path: Path) -> None:
    out = exported(run, tmp_path / "out", formats=["csv"], anonymise=True, min_cell=20)
    where = results(out, "where")
    assert where and all(r[2] == r[6] == r[7] == "" and r[-1] == "withheld: fewer than 20 people" for r in where)
    summary = rows(out, "knowledge_gain_summary", "people", "mean_pre", "mean_gain", "suppressed")
    assert summary and all(r[:3] == ("", "", "") and r[3].startswith("withheld") for r in summary)


# -- the report -------------------------------------------------------------------------------------------


def _lines(out: Path) -> list[str]:
    return (out / "report.md").read_text(encoding="utf-8").splitlines()


def _section(lines: list[str], heading: str) -> list[str]:
    """The lines of one ``## heading`` of the Markdown report, up to the next."""
    start = lines.index(heading)
    end = next((n for n in range(start + 1, len(lines)) if lines[n].startswith("## ")), len(lines))
    return lines[start:end]


def _table_after(lines: list[str], heading: str) -> list[str]:
    """The first table after the line ``heading``."""
    start = next(n for n in range(lines.index(heading), len(lines)) if lines[n].startswith("| "))
    end = next((n for n in range(start, len(lines)) if not lines[n].startswith("| ")), len(lines))
    return lines[start:end]


def test_the_markdown_report_gives_each_questions_results_per_location_and_gender(identified: Path) -> None:
    lines = _lines(identified)
    headings = [line for line in lines if line.startswith("## ")]
    assert headings[-3:] == ["## Questions to the room", "## Knowledge gain", "## Course evaluation"]
    room = _section(lines, "## Questions to the room")
    assert "### Where do you work?" in room and "### How do you arrive?" in room
    assert "### What was most useful?" not in room  # the evaluation has its own section
    assert _table_after(room, "### Where do you work?") == [  # a named poll: its gender split too
        "| Option | All | Headquarters | Juba | gender: female | gender: male |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        "| Answered | 3 | 2 | 1 | 2 | 1 |",
        "| HQ | 2 (67%) | 2 (100%) | 0 (0%) | 1 (50%) | 1 (100%) |",
        "| A mission | 1 (33%) | 0 (0%) | 1 (100%) | 1 (50%) | 0 (0%) |",
    ]
    mood = _table_after(room, "### How do you arrive?")  # an anonymous scale: per value, and the mean
    assert mood[0] == "| Value | All | Headquarters | Juba |"
    assert mood[-3:] == ["| 4 | 1 (50%) | 1 (100%) | 0 (0%) |", "| 5 | 1 (50%) | 0 (0%) | 1 (100%) |",
                         "| Mean | 4.50 | 4.00 | 5.00 |"]  # fmt: skip
    before = room.index("quiz; knowledge check wps, before · Warm-up › Pairs · 3 answered")
    assert _table_after(room[before:], room[before])[-3:] == [  # the right option said in words
        "| 1325 (correct) | 2 (67%) | 1 (50%) | 1 (100%) | 1 (50%) | 1 (100%) |",
        "| 2242 | 1 (33%) | 1 (50%) | 0 (0%) | 1 (50%) | 0 (0%) |",
        "| Answered right | 67% | 50% | 100% | 50% | 100% |",
    ]
    gain = _section(lines, "## Knowledge gain")
    assert _table_after(gain, "### Knowledge check wps (score out of 2)")[2:] == [
        "| All | 4 | 3 | 1.33 | 3 | 1.33 | 2 | 1.00 |  |",
        "| Headquarters | 2 | 2 | 1.00 | 1 | 2.00 | 1 | 2.00 |  |",
        "| Juba | 2 | 1 | 2.00 | 2 | 1.00 | 1 | 0.00 |  |",
        "| gender: female | 2 | 2 | 1.00 | 2 | 2.00 | 2 | 1.00 |  |",
        "| gender: male | 2 | 1 | 2.00 | 1 | 0.00 | 0 | – |  |",
    ]


def test_the_markdown_report_gives_the_evaluation_and_quotes_only_comments_with_consent(identified: Path) -> None:
    evaluation = _section(_lines(identified), "## Course evaluation")
    assert _table_after(evaluation, "### Overall?") == [
        "| Value | All | Headquarters | Juba |",
        "| --- | ---: | ---: | ---: |",
        "| Answered | 2 | 1 | 1 |",
        "| 1 (Poor) | 0 (0%) | 0 (0%) | 0 (0%) |",
        "| 2 | 1 (50%) | 0 (0%) | 1 (100%) |",
        "| 3 (As good as Cai Okafor) | 1 (50%) | 1 (100%) | 0 (0%) |",
        "| Mean | 2.50 | 3.00 | 2.00 |",
    ]
    assert "3 comments, 2 with consent to quote." in evaluation
    quoted = [line for line in evaluation if line.startswith("> ") and not line.startswith("> —")]
    assert quoted == [f"> {COMMENT}", f"> {FORMULA}"]
    assert not any("Between us" in line for line in evaluation)


def test_the_anonymised_report_names_nobody_and_says_what_is_withheld(
    run: tuple[Path, FakeClock], tmp_path: Path
) -> None:
    out = exported(run, tmp_path / "out", formats=["md", "html"], anonymise=True, min_cell=3)
    words = [*BALLOTS, *(w for person in PEOPLE for w in person[:3])]
    assert set(_contents(out)) == {"report.md", "report.html", "events.jsonl"}
    assert _leaks(out, words) == []
    for report in ("report.md", "report.html"):
        text = (out / report).read_text(encoding="utf-8")
        assert "explained it best" in text and "Lovelace" not in text  # the comment is there, scrubbed
    lines = _lines(out)
    # Locations pooled into one; the genders on the roster, but too few answers in each: said, no figure.
    assert _table_after(lines, "### Where do you work?") == [
        "| Option | All | suppressed | gender: female | gender: suppressed |",
        "| --- | ---: | ---: | ---: | ---: |",
        "| Answered | 3 | 3 | withheld | withheld |",
        "| HQ | 2 (67%) | 2 (67%) | withheld | withheld |",
        "| A mission | 1 (33%) | 1 (33%) | withheld | withheld |",
    ]
    assert "gender: female: withheld: fewer than 3 answers" in lines
    assert "suppressed: pooled: groups of fewer than 3 people" in lines
    # The same report from an identified export names them: the check above looks in the right places.
    identified = exported(run, tmp_path / "identified", formats=["md", "html"])
    assert {word for word, name in _leaks(identified, words) if name.startswith("report")} >= {"Ada Lovelace"}


def test_a_roster_smaller_than_the_cell_shows_no_figure_in_the_report(
    run: tuple[Path, FakeClock], tmp_path: Path
) -> None:
    out = exported(run, tmp_path / "out", formats=["md"], anonymise=True, min_cell=20)
    lines = _lines(out)
    where = _table_after(lines, "### Where do you work?")
    assert where[0] == "| Option | All | suppressed | gender: suppressed |"
    assert all(line.endswith("| withheld | withheld | withheld |") for line in where[2:])
    assert "poll, one choice · Warm-up › Introduction · answers withheld" in lines
    gain = _table_after(lines, "### Knowledge check wps (score out of 2)")[2:]
    assert gain and all(row.endswith("| – | – | – | – | – | – | – | withheld: fewer than 20 people |") for row in gain)
