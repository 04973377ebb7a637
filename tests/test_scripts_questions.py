"""Questions in the workshop script: polls, scales, quizzes, knowledge checks and the course evaluation.

Every rule is asserted as the exact ``FILE:LINE: field: message`` line a facilitator would read. Lines are
found by searching the file for the text the problem must point at, so a problem placed at the step or
the list instead of the item at fault fails the test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from facilitator.problems import InputError, display_path
from facilitator.script.loading import load_workshop
from facilitator.script.models import Programme, QuestionType
from facilitator.script.stored import stored_form

FACILITATOR = Path(sys.executable).parent / "facilitator"

WORKSHOP = """\
title: Questions
timezone: Africa/Juba
locations:
  - id: juba
    name: Juba
    timezone: Africa/Juba
days:
  - date: 2022-08-22
    start: 9:00
    agenda: [first]
  - date: 2022-08-23
    start: 9:00
    agenda: [last]
"""
EVALUATION = """\
evaluation:
  opens_at: last/wrap-up
  questions:
    - id: overall
      type: scale
      text: Overall?
      scale: {min: 1, max: 5, low: Poor, high: Excellent}
    - id: useful
      type: multiple
      text: What was useful?
      options:
        - {id: talks, text: Talks}
        - {id: groups, text: Group work}
    - id: comments
      type: text
      text: Any comments?
"""
PRE = """\
    check: {name: basics, phase: pre}
    questions:
      - id: resolution
        type: quiz
        text: Which resolution?
        options:
          - {id: r1325, text: "1325"}
          - {id: r2242, text: "2242"}
        correct: [r2242]
      - id: pillars
        type: quiz
        text: Which pillars?
        options:
          - {id: participation, text: Participation}
          - {id: protection, text: Protection}
          - {id: disarmament, text: Disarmament}
        correct: [participation, protection]
        points: 2
"""
# The same questions with their options in another order, as a post check may ask them.
POST = """\
    check: {name: basics, phase: post}
    questions:
      - id: pillars
        type: quiz
        text: Which pillars?
        options:
          - {id: disarmament, text: Disarmament}
          - {id: protection, text: Protection}
          - {id: participation, text: Participation}
        correct: [protection, participation]
        points: 2
      - id: resolution
        type: quiz
        text: Which resolution?
        options:
          - {id: r2242, text: "2242"}
          - {id: r1325, text: "1325"}
        correct: [r2242]
"""
POLL = """\
    questions:
      - id: mandate
        type: single
        text: How much WPS language?
        options:
          - {id: more, text: More than expected}
          - {id: less, text: Less than expected}
        anonymous: false
        results: hidden
      - id: confidence
        type: scale
        text: How confident are you?
        scale: {min: 1, max: 5, low: Not at all, high: Very}
      - id: budget
        type: quiz
        text: Where does the money come from?
        options:
          - {id: separate, text: A separate budget}
          - {id: every-section, text: Every section's budget}
        correct: [every-section]
"""


def exercise(exercise_id: str, first: str, second: str) -> str:
    return (
        f"id: {exercise_id}\ntitle: {exercise_id.title()}\nsteps:\n"
        f"  - id: opening\n    title: Opening\n    kind: discussion\n    duration: 10m\n{first}"
        f"  - id: wrap-up\n    title: Wrap-up\n    kind: discussion\n    duration: 10m\n{second}"
    )


FIRST = exercise("first", PRE, POLL)
LAST = exercise("last", POST, "")


def write(folder: Path, workshop: str = WORKSHOP + EVALUATION, first: str = FIRST, last: str = LAST) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "workshop.yaml").write_text(workshop)
    (folder / "first.yaml").write_text(first)
    (folder / "last.yaml").write_text(last)
    return folder


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_workshop(folder)
    return [str(p) for p in caught.value.problems]


def at(folder: Path, name: str, needle: str, occurrence: int = 1) -> str:
    """``FILE:LINE`` of the ``occurrence``-th line of ``name`` that contains ``needle``."""
    lines = (folder / name).read_text().splitlines()
    found = [number for number, line in enumerate(lines, 1) if needle in line]
    return f"{display_path(folder / name)}:{found[occurrence - 1]}"


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


# --- a valid workshop ---------------------------------------------------------------------------------


def test_every_kind_of_question_loads_with_its_keys(tmp_path: Path) -> None:
    programme = load_workshop(write(tmp_path / "w")).programme
    assert [(a.key, a.exercise, a.step, a.evaluation) for a in programme.asked] == [
        ("basics/pre/resolution", "first", "opening", False),
        ("basics/pre/pillars", "first", "opening", False),
        ("mandate", "first", "wrap-up", False),
        ("confidence", "first", "wrap-up", False),
        ("budget", "first", "wrap-up", False),
        ("basics/post/pillars", "last", "opening", False),
        ("basics/post/resolution", "last", "opening", False),
        ("evaluation/overall", "last", "wrap-up", True),
        ("evaluation/useful", "last", "wrap-up", True),
        ("evaluation/comments", "last", "wrap-up", True),
    ]
    assert [a.key for a in programme.asked_in("last", "wrap-up")] == [
        "evaluation/overall",
        "evaluation/useful",
        "evaluation/comments",
    ]
    assert programme.asked_in("last", "opening")[0].check is not None
    by_key = {a.key: a.question for a in programme.asked}
    assert {q.type for q in by_key.values()} == set(QuestionType)
    named = {a.key for a in programme.asked if a.named}
    assert named == {
        "mandate",
        *(f"basics/{phase}/{q}" for phase in ("pre", "post") for q in ("resolution", "pillars")),
    }
    poll, quiz, scale = by_key["mandate"], by_key["budget"], by_key["confidence"]
    assert (poll.hidden_until_revealed, poll.several) == (True, False)
    assert (quiz.hidden_until_revealed, quiz.several) == (True, False)
    assert by_key["basics/pre/pillars"].several and by_key["evaluation/useful"].several
    assert scale.scale is not None and (scale.scale.low, scale.scale.high) == ("Not at all", "Very")
    assert not scale.hidden_until_revealed
    assert programme.workshop.evaluation is not None and programme.workshop.evaluation.title == "Course evaluation"
    # The store keeps the programme as JSON and validates it again on resume.
    assert Programme.validate(stored_form(programme)) == programme


def test_a_workshop_without_questions_still_loads(tmp_path: Path) -> None:
    folder = write(tmp_path / "w", WORKSHOP, exercise("first", "", ""), exercise("last", "", ""))
    assert load_workshop(folder).programme.asked == ()


def test_the_demo_asks_a_knowledge_check_twice_a_poll_a_scale_a_quiz_and_an_evaluation() -> None:
    programme = load_workshop(Path(__file__).resolve().parent.parent / "exercises").programme
    asked = programme.asked
    pre = [a for a in asked if a.check is not None and a.check.phase == "pre"]
    post = [a for a in asked if a.check is not None and a.check.phase == "post"]
    assert len(pre) == len(post) >= 3
    first_day, last_day = programme.workshop.days[0], programme.workshop.days[-1]
    assert {a.exercise for a in pre} <= set(first_day.agenda)
    assert {a.exercise for a in post} <= set(last_day.agenda)
    assert any(a.evaluation for a in asked)
    assert {a.question.type for a in asked if a.check is None and not a.evaluation} >= {
        QuestionType.SINGLE,
        QuestionType.SCALE,
        QuestionType.QUIZ,
    }
    evaluation = programme.workshop.evaluation
    assert evaluation is not None and evaluation.opens_at.split("/")[0] in last_day.agenda
    assert {q.type for q in evaluation.questions} >= {QuestionType.SCALE, QuestionType.MULTIPLE, QuestionType.TEXT}
    assert all(q.scale and q.scale.low and q.scale.high for q in evaluation.questions if q.type is QuestionType.SCALE)


# --- the models' rules, one question at a time ----------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        (
            "{id: less, text: Less than expected}",
            "{id: more, text: Less than expected}",
            "{id: more, text: Less",
            "steps[1].questions[0].options[1].id",
            "option 'more' is used twice",
        ),
        (
            "correct: [every-section]",
            "correct: [every-sections]",
            "correct: [every-sections]",
            "steps[1].questions[2].correct[0]",
            "'every-sections' is not one of the options",
        ),
        (
            "correct: [every-section]\n",
            "",
            "id: budget",
            "steps[1].questions[2].correct",
            "a quiz question needs its correct option(s)",
        ),
        (
            "        results: hidden\n",
            "        correct: [more]\n",
            "correct: [more]",
            "steps[1].questions[0].correct",
            "only a quiz question has correct options",
        ),
        (
            "{min: 1, max: 5, low: Not at all, high: Very}",
            "{min: 5, max: 5, low: Not at all, high: Very}",
            "{min: 5, max: 5",
            "steps[1].questions[1].scale.max",
            "must be more than min (5)",
        ),
        (
            "        scale: {min: 1, max: 5, low: Not at all, high: Very}\n",
            "",
            "id: confidence",
            "steps[1].questions[1].scale",
            "a scale question needs a scale, and only it has one",
        ),
        (
            "          - {id: less, text: Less than expected}\n",
            "",
            "options:@3",
            "steps[1].questions[0].options",
            "a single question needs at least two options",
        ),
        (
            "type: scale",
            "type: text",
            "scale: {min: 1",
            "steps[1].questions[1].scale",
            "a scale question needs a scale, and only it has one",
        ),
        (
            "id: confidence",
            "id: mandate",
            "id: mandate@2",
            "steps[1].questions[1].id",
            "question id 'mandate' is used twice (first at questions[0])",
        ),
        (
            "results: hidden",
            "results: later",
            "results: later",
            "steps[1].questions[0].results",
            "Input should be 'live' or 'hidden'",
        ),
        (
            "type: single",
            "type: ranking",
            "type: ranking",
            "steps[1].questions[0].type",
            "Input should be 'single', 'multiple', 'scale', 'quiz' or 'text'",
        ),
    ],
)
def test_a_question_is_consistent(tmp_path: Path, case: tuple[str, str, str, str, str]) -> None:
    old, new, needle, field, message = case
    folder = write(tmp_path / "w", first=replace_once(FIRST, old, new))
    needle, _, occurrence = needle.partition("@")
    assert problems_of(folder) == [f"{at(folder, 'first.yaml', needle, int(occurrence or 1))}: {field}: {message}"]


def test_a_text_question_has_no_options(tmp_path: Path) -> None:
    text_with_options = "    questions:\n      - id: note\n        type: text\n        text: Why?\n" + (
        "        options:\n          - {id: a, text: A}\n          - {id: b, text: B}\n"
    )
    folder = write(tmp_path / "w", first=exercise("first", PRE, text_with_options))
    assert problems_of(folder) == [
        f"{at(folder, 'first.yaml', 'options:', 3)}: steps[1].questions[0].options: a text question has no options"
    ]


def test_a_knowledge_check_needs_quiz_questions(tmp_path: Path) -> None:
    folder = write(tmp_path / "w", first=exercise("first", "    check: {name: basics, phase: pre}\n", POLL))
    assert problems_of(folder) == [
        f"{at(folder, 'first.yaml', 'check:')}: steps[0].check: a knowledge check needs the step's questions"
    ]
    single = replace_once(
        FIRST, "type: quiz\n        text: Which pillars?", "type: single\n        text: Which pillars?"
    )
    folder = write(tmp_path / "v", first=replace_once(single, "        correct: [participation, protection]\n", ""))
    assert problems_of(folder) == [
        f"{at(folder, 'first.yaml', 'type: single')}: steps[0].questions[1].type: "
        "a knowledge check's questions are quiz questions"
    ]


def test_a_check_phase_is_pre_or_post(tmp_path: Path) -> None:
    folder = write(tmp_path / "w", last=replace_once(LAST, "phase: post", "phase: after"))
    assert problems_of(folder) == [
        f"{at(folder, 'last.yaml', 'phase: after')}: steps[0].check.phase: Input should be 'pre' or 'post'"
    ]


def test_the_evaluation_is_checked_like_a_step(tmp_path: Path) -> None:
    workshop = WORKSHOP + replace_once(EVALUATION, "id: comments", "id: overall")
    folder = write(tmp_path / "w", workshop)
    assert problems_of(folder) == [
        f"{at(folder, 'workshop.yaml', 'id: overall', 2)}: evaluation.questions[2].id: "
        "question id 'overall' is used twice (first at questions[0])"
    ]
    folder = write(tmp_path / "v", WORKSHOP + replace_once(EVALUATION, "last/wrap-up", "last.wrap-up"))
    [problem] = problems_of(folder)
    assert problem.startswith(f"{at(folder, 'workshop.yaml', 'opens_at')}: evaluation.opens_at: String should match")
    folder = write(tmp_path / "u", WORKSHOP + "evaluation:\n  opens_at: last/wrap-up\n  questions: []\n")
    assert problems_of(folder) == [
        f"{at(folder, 'workshop.yaml', 'questions: []')}: evaluation.questions: "
        "Tuple should have at least 1 item after validation, not 0"
    ]


# --- the rules across files -----------------------------------------------------------------------------


def test_question_ids_are_unique_across_the_workshop(tmp_path: Path) -> None:
    last = exercise("last", POST, POLL.replace("id: mandate", "id: mandate-2").replace("id: budget", "id: budget-2"))
    last = replace_once(last, "id: confidence", "id: resolution")
    folder = write(tmp_path / "w", last=last)
    assert problems_of(folder) == [
        f"{at(folder, 'last.yaml', 'id: resolution', 2)}: steps[1].questions[1].id: "
        f"question id 'resolution' is already used at {at(folder, 'first.yaml', 'id: resolution')}"
    ]
    folder = write(tmp_path / "v", WORKSHOP + replace_once(EVALUATION, "id: useful", "id: mandate"))
    assert problems_of(folder) == [
        f"{at(folder, 'workshop.yaml', 'id: mandate')}: evaluation.questions[1].id: "
        f"question id 'mandate' is already used at {at(folder, 'first.yaml', 'id: mandate')}"
    ]


def test_the_first_use_is_the_earlier_one_on_the_agenda(tmp_path: Path) -> None:
    # last.yaml runs on day 1 here: its question is the first, first.yaml's the repeat.
    workshop = WORKSHOP.replace("[first]", "[later]").replace("[last]", "[first]").replace("[later]", "[last]")
    folder = write(
        tmp_path / "w",
        workshop,
        first=exercise("first", "", POLL),
        last=exercise("last", "", POLL.replace("id: confidence", "id: c").replace("id: budget", "id: b")),
    )
    assert problems_of(folder) == [
        f"{at(folder, 'first.yaml', 'id: mandate')}: steps[1].questions[0].id: "
        f"question id 'mandate' is already used at {at(folder, 'last.yaml', 'id: mandate')}"
    ]


def test_a_knowledge_check_has_one_pre_and_one_post(tmp_path: Path) -> None:
    folder = write(tmp_path / "w", last=exercise("last", "", ""))
    assert problems_of(folder) == [
        f"{at(folder, 'first.yaml', 'check:')}: steps[0].check: knowledge check 'basics' has no post step"
    ]
    folder = write(tmp_path / "v", first=exercise("first", "", POLL))
    assert problems_of(folder) == [
        f"{at(folder, 'last.yaml', 'check:')}: steps[0].check: knowledge check 'basics' has no pre step"
    ]
    folder = write(tmp_path / "u", last=replace_once(LAST, "name: basics", "name: basic"))
    assert problems_of(folder) == [
        f"{at(folder, 'first.yaml', 'check:')}: steps[0].check: "
        "knowledge check 'basics' has no post step (did you mean 'basic'?)",
        f"{at(folder, 'last.yaml', 'check:')}: steps[0].check: "
        "knowledge check 'basic' has no pre step (did you mean 'basics'?)",
    ]


def test_a_knowledge_check_is_asked_twice_only(tmp_path: Path) -> None:
    # A second pre step (same questions, so no question is reported as repeated): one line, at the repeat.
    folder = write(tmp_path / "w", last=exercise("last", POST, PRE))
    assert problems_of(folder) == [
        f"{at(folder, 'last.yaml', 'phase: pre')}: steps[1].check: knowledge check 'basics' already has its pre "
        f"step at first/opening ({at(folder, 'first.yaml', 'id: opening')})"
    ]
    folder = write(tmp_path / "v", last=exercise("last", POST, POST))
    assert problems_of(folder) == [
        f"{at(folder, 'last.yaml', 'check:', 2)}: steps[1].check: "
        f"knowledge check 'basics' already has its post step at last/opening ({at(folder, 'last.yaml', 'id: opening')})"
    ]


def test_the_pre_step_comes_before_the_post_step(tmp_path: Path) -> None:
    workshop = WORKSHOP.replace("[first]", "[later]").replace("[last]", "[first]").replace("[later]", "[last]")
    folder = write(tmp_path / "w", workshop)
    assert problems_of(folder) == [
        f"{at(folder, 'last.yaml', 'check:')}: steps[0].check: the post step of knowledge check 'basics' "
        f"comes before its pre step first/opening ({at(folder, 'first.yaml', 'id: opening')})"
    ]
    # The same day, the same exercise: the step order decides.
    folder = write(tmp_path / "v", first=exercise("first", POST, PRE), last=exercise("last", POLL, ""))
    assert problems_of(folder) == [
        f"{at(folder, 'first.yaml', 'check:')}: steps[0].check: the post step of knowledge check 'basics' "
        f"comes before its pre step first/wrap-up ({at(folder, 'first.yaml', 'id: wrap-up')})"
    ]
    # An exercise run on two days first runs on the earlier date, whatever order the file lists the days in:
    # here the pre step runs on day 1, and the post step before its rerun on day 2.
    head, days = replace_once(WORKSHOP, "agenda: [last]", "agenda: [last, first]").split("days:\n")
    listed_backwards = head + "days:\n" + "".join("  - date: " + day for day in reversed(days.split("  - date: ")[1:]))
    assert load_workshop(write(tmp_path / "u", listed_backwards)).programme.asked


@pytest.mark.parametrize(
    ("replacements", "differs"),
    [
        ([("text: Which pillars?", "text: Which pillars are there?")], "text"),
        ([("{id: protection, text: Protection}", "{id: protection, text: Protection of civilians}")], "options"),
        ([("{id: disarmament, text: Disarmament}", "{id: disarm, text: Disarmament}")], "options"),
        ([("correct: [protection, participation]", "correct: [protection]")], "correct"),
        ([("points: 2", "points: 3")], "points"),
        (
            [
                ("type: quiz\n        text: Which pillars?", "type: quiz\n        text: Pillars?"),
                ("points: 2", "points: 1"),
            ],
            "text, points",
        ),
        (
            [
                ("{id: disarmament, text: Disarmament}", "{id: demobilisation, text: Demobilisation}"),
                ("correct: [protection, participation]", "correct: [protection, participation, demobilisation]"),
            ],
            "options, correct",
        ),
    ],
)
def test_a_post_question_is_its_pre_question(tmp_path: Path, replacements: list[tuple[str, str]], differs: str) -> None:
    post = LAST
    for old, new in replacements:
        post = replace_once(post, old, new)
    folder = write(tmp_path / "w", last=post)
    assert problems_of(folder) == [
        f"{at(folder, 'last.yaml', 'id: pillars')}: steps[0].questions[0]: differs from the pre check's question "
        f"'pillars' ({at(folder, 'first.yaml', 'id: pillars')}) in: {differs}"
    ]


def test_a_post_check_asks_the_same_questions(tmp_path: Path) -> None:
    folder = write(tmp_path / "w", last=replace_once(LAST, "id: resolution", "id: resolutions"))
    assert problems_of(folder) == [
        f"{at(folder, 'last.yaml', 'id: resolutions')}: steps[0].questions[1].id: "
        "question 'resolutions' is not in the pre check 'basics' (did you mean 'resolution'?)"
    ]
    without_resolution = LAST.split("      - id: resolution\n")[0]
    folder = write(tmp_path / "v", last=exercise("last", without_resolution.split("duration: 10m\n")[1], ""))
    assert problems_of(folder) == [
        f"{at(folder, 'last.yaml', 'questions:')}: steps[0].questions: "
        f"question 'resolution' of the pre check ({at(folder, 'first.yaml', 'id: resolution')}) is missing"
    ]
    extra = "      - id: extra\n        type: quiz\n        text: Extra?\n        options:\n" + (
        "          - {id: a, text: A}\n          - {id: b, text: B}\n        correct: [a]\n"
    )
    folder = write(tmp_path / "u", last=exercise("last", POST + extra, ""))
    assert problems_of(folder) == [
        f"{at(folder, 'last.yaml', 'id: extra')}: steps[0].questions[2].id: "
        "question 'extra' is not in the pre check 'basics'"
    ]


@pytest.mark.parametrize(
    ("opens_at", "message"),
    [
        ("lastt/wrap-up", "no exercise 'lastt' on the agenda (did you mean 'last'?)"),
        ("last/wrapup", "exercise 'last' has no step 'wrapup' (did you mean 'wrap-up'?)"),
        ("spare/opening", "exercise 'spare' is on no day's agenda"),
    ],
)
def test_the_evaluation_opens_at_a_step_on_the_agenda(tmp_path: Path, opens_at: str, message: str) -> None:
    folder = write(tmp_path / "w", WORKSHOP + replace_once(EVALUATION, "last/wrap-up", opens_at))
    (folder / "spare.yaml").write_text(exercise("spare", "", ""))
    problems = problems_of(folder)
    assert problems == [f"{at(folder, 'workshop.yaml', 'opens_at')}: evaluation.opens_at: {message}"]


def test_a_broken_exercise_file_gives_no_second_hand_check_problems(tmp_path: Path) -> None:
    # first.yaml fails on its own: its pre step is unknown, and last.yaml's post must not be called orphaned.
    folder = write(tmp_path / "w", first=replace_once(FIRST, "points: 2", "points: -1"))
    assert problems_of(folder) == [
        f"{at(folder, 'first.yaml', 'points: -1')}: steps[0].questions[1].points: "
        "Input should be greater than or equal to 0"
    ]


def test_check_refuses_a_differing_post_check_with_exit_code_2(tmp_path: Path) -> None:
    folder = write(tmp_path / "w", last=replace_once(LAST, "points: 2", "points: 3"))
    done = subprocess.run(
        [str(FACILITATOR), "check", str(folder)], capture_output=True, text=True, timeout=30, check=False, cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    line = (tmp_path / "w" / "last.yaml").read_text().splitlines().index("      - id: pillars") + 1
    pre_line = (tmp_path / "w" / "first.yaml").read_text().splitlines().index("      - id: pillars") + 1
    assert done.stderr.splitlines() == [
        f"w/last.yaml:{line}: steps[0].questions[0]: differs from the pre check's question 'pillars' "
        f"(w/first.yaml:{pre_line}) in: points"
    ]
