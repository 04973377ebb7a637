"""The questions' pure core, without a session: what an answer may be (answers.check), how the answers on
the record fold (Ballots), and what quizzes and knowledge checks score (scoring). Fast: `make mutation`
mutates these three modules against this file and tests/test_questions.py."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from facilitator.problems import InputError
from facilitator.questions import answers, scoring
from facilitator.questions.answers import MAX_TEXT, Answer
from facilitator.questions.ballots import Ballots, GivenAnswer
from facilitator.questions.scoring import CheckScore
from facilitator.record import events as ev
from facilitator.record.events import Event
from facilitator.script.models import AskedQuestion, KnowledgeCheck, Programme, Question
from tests.conftest import TINY_PROGRAMME

T0 = datetime(2022, 8, 22, 7, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
OPTIONS = [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}, {"id": "c", "text": "C"}]


def asked(data: dict[str, Any], *, check: KnowledgeCheck | None = None) -> AskedQuestion:
    question = Question.validate({"id": "q", "text": "What?", **data})
    return AskedQuestion(question.id, question, "warm-up", "intro", check, False)


SINGLE = asked({"type": "single", "options": OPTIONS})
MULTIPLE = asked({"type": "multiple", "options": OPTIONS})
QUIZ_ONE = asked({"type": "quiz", "options": OPTIONS, "correct": ["b"]})
QUIZ_SEVERAL = asked({"type": "quiz", "options": OPTIONS, "correct": ["a", "c"]})
SCALE = asked({"type": "scale", "scale": {"min": 1, "max": 5}})
SCALE_FROM_0 = asked({"type": "scale", "scale": {"min": 0, "max": 3}})
TEXT = asked({"type": "text"})


def refusal(question: AskedQuestion, **sent: Any) -> str:
    with pytest.raises(InputError) as raised:
        answers.check(question, **sent)
    return str(raised.value)


# -- answers.check: a scale ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1, 3, 5])
def test_a_scale_takes_every_value_from_its_min_to_its_max(value: int) -> None:
    assert answers.check(SCALE, value=value) == Answer(choices=(), value=value, text=None)


def test_a_scale_from_0_takes_0() -> None:
    assert answers.check(SCALE_FROM_0, value=0) == Answer(value=0)


@pytest.mark.parametrize(("value", "message"), [(0, "value: 0 is not from 1 to 5"), (6, "value: 6 is not from 1 to 5")])
def test_a_scale_refuses_a_value_just_outside_its_bounds(value: int, message: str) -> None:
    assert refusal(SCALE, value=value) == message


@pytest.mark.parametrize(
    "sent",
    [{}, {"value": None}, {"value": True}, {"value": False}, {"choices": ["a"]}, {"text": "3"}],
    ids=["nothing", "none", "true", "false", "choices", "text"],
)
def test_a_scale_without_a_number_asks_for_one(sent: dict[str, Any]) -> None:
    # A bool is an int to Python, but not a number chosen on a scale: True would read as 1.
    assert refusal(SCALE, **sent) == "value: choose a number from 1 to 5"
    assert refusal(SCALE_FROM_0, **sent) == "value: choose a number from 0 to 3"


def test_a_scale_answer_keeps_only_its_value() -> None:
    assert answers.check(SCALE, value=2, choices=["a"], text="two") == Answer(value=2)


# -- answers.check: a comment -------------------------------------------------------------------------------


def test_a_comment_is_kept_stripped_and_alone() -> None:
    assert answers.check(TEXT, text="  The budgeting part \n", choices=["a"], value=3) == Answer(
        choices=(), value=None, text="The budgeting part"
    )


@pytest.mark.parametrize("text", [None, "", "   \n\t "], ids=["none", "empty", "blank"])
def test_an_empty_comment_is_refused(text: str | None) -> None:
    assert refusal(TEXT, text=text) == "text: write something, or leave the question"


def test_a_comment_of_max_text_characters_is_kept_and_one_more_refused() -> None:
    longest = "x" * MAX_TEXT
    assert MAX_TEXT == 2000
    assert answers.check(TEXT, text=f" {longest} ") == Answer(text=longest)  # counted once stripped
    assert refusal(TEXT, text=longest + "y") == "text: 2,001 characters is more than 2,000"
    assert refusal(TEXT, text="x" * 12345) == "text: 12,345 characters is more than 2,000"


# -- answers.check: choices ---------------------------------------------------------------------------------


@pytest.mark.parametrize("question", [SINGLE, MULTIPLE, QUIZ_ONE, QUIZ_SEVERAL], ids=lambda a: a.question.type)
def test_one_option_is_an_answer_to_every_question_with_options(question: AskedQuestion) -> None:
    assert answers.check(question, choices=["c"]) == Answer(choices=("c",), value=None, text=None)


@pytest.mark.parametrize("question", [MULTIPLE, QUIZ_SEVERAL], ids=["multiple", "quiz-several"])
def test_several_options_are_kept_once_each_in_the_questions_order(question: AskedQuestion) -> None:
    assert answers.check(question, choices=["c", "a", "c"]) == Answer(choices=("a", "c"))
    assert answers.check(question, choices=["c", "b", "a"]) == Answer(choices=("a", "b", "c"))


@pytest.mark.parametrize("question", [SINGLE, QUIZ_ONE], ids=["single", "quiz-one"])
def test_two_options_are_refused_where_one_is_the_answer(question: AskedQuestion) -> None:
    assert refusal(question, choices=["a", "b"]) == "choices: choose one option"
    assert refusal(question, choices=["a", "b", "c"]) == "choices: choose one option"
    assert answers.check(question, choices=["a", "a"]) == Answer(choices=("a",))  # the same one twice is one


@pytest.mark.parametrize("question", [SINGLE, MULTIPLE, QUIZ_ONE, QUIZ_SEVERAL], ids=lambda a: a.question.type)
def test_no_option_is_refused(question: AskedQuestion) -> None:
    assert refusal(question) == "choices: choose an option"
    assert refusal(question, choices=[], value=1, text="a") == "choices: choose an option"


def test_an_unknown_option_is_named_first_in_order_whatever_else_is_wrong() -> None:
    assert refusal(SINGLE, choices=["zz", "a", "b", "yy"]) == "choices: 'yy' is not an option of this question"
    assert refusal(MULTIPLE, choices=["A"]) == "choices: 'A' is not an option of this question"
    assert refusal(SINGLE, choices=["a\x1b[2J"]) == "choices: 'a\\\\x1b[2J' is not an option of this question"


# -- Ballots: the answers on the record, folded ---------------------------------------------------------------


class Log:
    """Hand-made events, without a database."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.seq = itertools.count(1)

    def add(self, kind: str, payload: dict[str, Any], *, at: datetime = T0) -> Event:
        seq = next(self.seq)
        event = Event(seq=seq, id=f"e{seq}", at=at, actor="lead", kind=kind, payload=payload)
        self.events.append(event)
        return event

    def answer(
        self,
        question: str,
        respondent: str,
        *,
        at: datetime = T0,
        participant: str | None = None,
        **fields: Any,
    ) -> Event:
        payload = {"question": question, "respondent": respondent, "named": participant is not None, **fields}
        if participant is not None:
            payload["participant"] = participant
        return self.add(ev.ANSWER_GIVEN, payload, at=at)

    def ballots(self) -> Ballots:
        return Ballots.from_events(self.events)


def test_an_answer_is_kept_whole_with_its_time() -> None:
    log = Log()
    log.answer("q", "ada", participant="ada", location="hq", choices=["a", "b"], consent=True, at=T0 + MIN)
    log.answer("mood", "ballot-1", location="juba", value=4, at=T0 + 2 * MIN)
    log.answer("useful", "ballot-2", text="Pairs", consent=False, at=T0 + 3 * MIN)
    ballots = log.ballots()
    assert ballots.answers("q") == {
        "ada": GivenAnswer("ada", "ada", "hq", ("a", "b"), None, None, True, T0 + MIN),
    }
    assert ballots.answers("mood") == {
        "ballot-1": GivenAnswer("ballot-1", None, "juba", (), 4, None, False, T0 + 2 * MIN),
    }
    assert ballots.answers("useful") == {
        "ballot-2": GivenAnswer("ballot-2", None, None, (), None, "Pairs", False, T0 + 3 * MIN),
    }


def test_an_answer_of_an_older_log_without_choices_or_consent_reads_as_none_given() -> None:
    log = Log()
    log.add(ev.ANSWER_GIVEN, {"question": "mood", "respondent": "ballot-1", "value": 2})
    log.add(ev.ANSWER_GIVEN, {"question": "mood", "respondent": "ballot-2", "value": 3, "choices": None})
    given = log.ballots().answers("mood")
    assert given["ballot-1"] == GivenAnswer("ballot-1", None, None, (), 2, None, False, T0)
    assert given["ballot-2"].choices == ()


def test_a_later_answer_of_the_same_respondent_replaces_the_earlier_of_that_question_only() -> None:
    log = Log()
    log.answer("mood", "ballot-1", value=2, location="hq")
    log.answer("where", "ballot-1", choices=["hq"])
    log.answer("mood", "ballot-2", value=5, location="hq")
    log.answer("mood", "ballot-1", value=4, location="juba", at=T0 + MIN)
    ballots = log.ballots()
    assert {r: (a.value, a.location, a.at) for r, a in ballots.answers("mood").items()} == {
        "ballot-1": (4, "juba", T0 + MIN),
        "ballot-2": (5, "hq", T0),
    }
    assert list(ballots.answers("where")) == ["ballot-1"]
    assert ballots.count("mood") == 2
    assert ballots.tally("mood") == {"4": 1, "5": 1}


def test_events_other_than_answers_are_ignored() -> None:
    log = Log()
    log.add(ev.QUESTION_OPENED, {"question": "mood", "respondent": "x", "value": 1})
    log.answer("mood", "ballot-1", value=3)
    ballots = log.ballots()
    assert list(ballots.answers("mood")) == ["ballot-1"]
    assert ballots.tally("mood") == {"3": 1}


def test_the_version_counts_every_answer_folded_in_and_nothing_else() -> None:
    assert Ballots().version == 0
    log = Log()
    log.add(ev.QUESTION_OPENED, {"question": "mood"})
    assert log.ballots().version == 0
    log.answer("mood", "ballot-1", value=2)
    log.answer("mood", "ballot-1", value=4)  # a replacement is an answer folded in too: readers recount
    log.add(ev.QUESTION_CLOSED, {"question": "mood"})
    log.answer("where", "ballot-2", choices=["hq"])
    ballots = log.ballots()
    assert ballots.version == 3
    ballots.apply(log.add(ev.QUESTION_REVEALED, {"question": "mood", "revealed": True}))
    assert ballots.version == 3
    ballots.apply(log.answer("mood", "ballot-3", value=1))
    assert ballots.version == 4
    # Per question too: what a screen showing only some questions watches.
    assert (ballots.changes("mood"), ballots.changes("where"), ballots.changes("never")) == (3, 1, 0)


def test_a_question_nobody_answered_has_no_answers_and_an_empty_tally() -> None:
    ballots = Log().ballots()
    assert ballots.answers("mood") == {}
    assert ballots.tally("mood") == {}
    assert ballots.tally("mood", location="hq") == {}
    assert ballots.count("mood") == 0
    assert ballots.count("mood", location="hq") == 0


def test_the_tally_counts_each_option_and_each_scale_value_at_a_location_or_all() -> None:
    log = Log()
    log.answer("where", "r1", location="juba", choices=["a", "b"])
    log.answer("where", "r2", location="hq", choices=["b"])
    log.answer("where", "r3", location="hq", choices=["b", "c"])
    log.answer("where", "r4", choices=["c"])  # no location: counted in all only
    log.answer("where", "r5", location="juba", choices=["a"])
    ballots = log.ballots()
    assert ballots.tally("where") == {"a": 2, "b": 3, "c": 2}
    assert ballots.tally("where", location="hq") == {"b": 2, "c": 1}
    assert ballots.tally("where", location="juba") == {"a": 2, "b": 1}
    assert ballots.tally("where", location="nowhere") == {}
    assert ballots.count("where") == 5
    assert ballots.count("where", location="hq") == 2
    assert ballots.count("where", location="juba") == 2
    assert ballots.count("where", location="nowhere") == 0


def test_scale_values_are_tallied_as_text_and_0_is_a_value() -> None:
    log = Log()
    log.answer("mood", "r1", location="hq", value=0)
    log.answer("mood", "r2", location="juba", value=3)
    log.answer("mood", "r3", location="hq", value=3)
    log.answer("mood", "r4", location="hq", value=3)
    log.answer("useful", "r1", location="hq", text="Pairs")  # a comment: no value, no option
    ballots = log.ballots()
    assert ballots.tally("mood") == {"0": 1, "3": 3}
    assert ballots.tally("mood", location="hq") == {"0": 1, "3": 2}
    assert ballots.tally("useful") == {}
    assert ballots.count("useful") == 1


# -- scoring: quiz points ---------------------------------------------------------------------------------------


def given(*choices: str, value: int | None = None, participant: str | None = "ada") -> GivenAnswer:
    return GivenAnswer("ada", participant, "hq", tuple(choices), value, None, False, T0)


def test_a_quiz_answer_scores_its_points_only_with_exactly_the_right_options() -> None:
    one = asked({"type": "quiz", "options": OPTIONS, "correct": ["b"], "points": 3})
    several = asked({"type": "quiz", "options": OPTIONS, "correct": ["a", "c"], "points": 4})
    assert scoring.quiz_points(one, given("b")) == 3
    assert scoring.quiz_points(one, given("a")) == 0
    assert scoring.quiz_points(one, given()) == 0
    assert scoring.quiz_points(several, given("a", "c")) == 4
    assert scoring.quiz_points(several, given("c", "a")) == 4
    assert scoring.quiz_points(several, given("a")) == 0  # partly right: nothing
    assert scoring.quiz_points(several, given("a", "b", "c")) == 0  # the right ones and a wrong one: nothing
    assert scoring.quiz_points(QUIZ_ONE, given("b")) == 1  # one point unless the script says otherwise


def test_a_question_that_is_not_a_quiz_scores_nothing() -> None:
    # An answer with no option "matches" the empty set of correct options of a scale or comment.
    assert scoring.quiz_points(SCALE, given(value=3)) == 0
    assert scoring.quiz_points(TEXT, given()) == 0
    assert scoring.quiz_points(SINGLE, given("a")) == 0


@pytest.mark.parametrize(
    ("pre", "post", "gain"),
    [(1, 4, 3), (4, 1, -3), (2, 2, 0), (None, 3, None), (3, None, None), (None, None, None)],
)
def test_the_gain_is_post_minus_pre_only_with_both(pre: int | None, post: int | None, gain: int | None) -> None:
    assert CheckScore("ada", pre, post, 9).gain == gain


# -- scoring: knowledge checks over a programme --------------------------------------------------------------------


def quiz(qid: str, correct: Sequence[str], points: int) -> dict[str, Any]:
    return {"id": qid, "type": "quiz", "text": "Which?", "options": OPTIONS, "correct": list(correct), "points": points}


def checks_programme() -> Programme:
    """Two knowledge checks, ``wps`` (pre 2 + 3 points, post 2 + 3 + 1) and ``budget``, among other questions.

    Asked in this order: intro (a scale and a quiz outside any check), pairs (wps pre), write (budget pre),
    share (budget post, then wps post: a step has one check, so wps post is on the second day's own step).
    """
    data = copy.deepcopy(TINY_PROGRAMME)
    intro, pairs = data["exercises"][0]["steps"]
    write, share = data["exercises"][1]["steps"]
    intro["questions"] = [
        {"id": "mood", "type": "scale", "text": "How do you arrive?", "scale": {"min": 1, "max": 5}},
        quiz("fact", ["a"], 7),
    ]
    pairs["questions"] = [quiz("q1", ["a"], 2), quiz("q2", ["a", "b"], 3)]
    pairs["check"] = {"name": "wps", "phase": "pre"}
    write["questions"] = [quiz("q1", ["c"], 10)]
    write["check"] = {"name": "budget", "phase": "pre"}
    share["questions"] = [quiz("q1", ["c"], 10)]
    share["check"] = {"name": "budget", "phase": "post"}
    data["exercises"].append(
        {
            "id": "again",
            "title": "Again",
            "steps": [
                {
                    "id": "quiz",
                    "title": "Quiz",
                    "kind": "discussion",
                    "duration": "10m",
                    "questions": [quiz("q1", ["a"], 2), quiz("q2", ["a", "b"], 3), quiz("q3", ["b"], 1)],
                    "check": {"name": "wps", "phase": "post"},
                }
            ],
        }
    )
    data["workshop"]["days"][1]["agenda"] = ["again"]
    return Programme.validate(data)


def test_the_checks_are_named_once_each_in_the_order_first_asked() -> None:
    programme = checks_programme()
    assert [a.key for a in programme.asked] == [
        "mood",
        "fact",
        "wps/pre/q1",
        "wps/pre/q2",
        "budget/pre/q1",
        "budget/post/q1",
        "wps/post/q1",
        "wps/post/q2",
        "wps/post/q3",
    ]
    assert scoring.check_names(programme) == ["wps", "budget"]
    assert scoring.check_names(Programme.validate(TINY_PROGRAMME)) == []


def checks_log() -> Log:
    log = Log()
    log.answer("mood", "ballot-1", value=5)
    log.answer("fact", "ada", participant="ada", choices=["a"])  # outside any check: never scored
    log.answer("fact", "cy", participant="cy", choices=["a"])
    # wps pre: ada 2 + 0, bea 0 + 3, dan 2 + 3 (all right), eve answers none
    log.answer("wps/pre/q1", "ada", participant="ada", choices=["a"])
    log.answer("wps/pre/q2", "ada", participant="ada", choices=["a"])  # partly right
    log.answer("wps/pre/q1", "bea", participant="bea", choices=["b"])
    log.answer("wps/pre/q2", "bea", participant="bea", choices=["a", "b"])
    log.answer("wps/pre/q1", "dan", participant="dan", choices=["a"])
    log.answer("wps/pre/q2", "dan", participant="dan", choices=["b", "a"])
    log.answer("wps/pre/q1", "ballot-9", choices=["a"])  # no participant: nobody's score
    # budget: ada right before and after, cy only after
    log.answer("budget/pre/q1", "ada", participant="ada", choices=["c"])
    log.answer("budget/post/q1", "ada", participant="ada", choices=["c"])
    log.answer("budget/post/q1", "cy", participant="cy", choices=["a"])
    # wps post: ada 2 + 3 + 1, bea 2 + 0 (q3 unanswered), eve 0, dan does not answer
    log.answer("wps/post/q1", "ada", participant="ada", choices=["a"])
    log.answer("wps/post/q2", "ada", participant="ada", choices=["a", "b"])
    log.answer("wps/post/q3", "ada", participant="ada", choices=["b"])
    log.answer("wps/post/q1", "bea", participant="bea", choices=["a"])
    log.answer("wps/post/q2", "bea", participant="bea", choices=["b"])
    log.answer("wps/post/q1", "eve", participant="eve", choices=["c"])
    return log


def test_each_phase_scores_who_answered_it_summing_their_points() -> None:
    programme, ballots = checks_programme(), checks_log().ballots()
    assert scoring.phase_scores(programme, ballots, "wps", "pre") == {"ada": 2, "bea": 3, "dan": 5}
    assert scoring.phase_scores(programme, ballots, "wps", "post") == {"ada": 6, "bea": 2, "eve": 0}
    assert scoring.phase_scores(programme, ballots, "budget", "pre") == {"ada": 10}
    assert scoring.phase_scores(programme, ballots, "budget", "post") == {"ada": 10, "cy": 0}
    assert scoring.phase_scores(programme, ballots, "nope", "pre") == {}


def test_a_check_scores_everyone_who_answered_either_phase_out_of_the_pre_maximum() -> None:
    programme, ballots = checks_programme(), checks_log().ballots()
    assert scoring.check_scores(programme, ballots, "wps") == [
        CheckScore("ada", 2, 6, 5),
        CheckScore("bea", 3, 2, 5),
        CheckScore("dan", 5, None, 5),  # did not answer after: no gain
        CheckScore("eve", None, 0, 5),  # answered only after, and wrongly: a score of 0, no gain
    ]
    assert [s.gain for s in scoring.check_scores(programme, ballots, "wps")] == [4, -1, None, None]
    assert scoring.check_scores(programme, ballots, "budget") == [
        CheckScore("ada", 10, 10, 10),
        CheckScore("cy", None, 0, 10),
    ]


def test_a_check_nobody_answered_has_no_scores() -> None:
    programme = checks_programme()
    assert scoring.check_scores(programme, Log().ballots(), "wps") == []
    assert scoring.check_scores(programme, Log().ballots(), "nope") == []
