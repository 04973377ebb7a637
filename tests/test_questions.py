"""The room answers, in the core: questions open and close with their steps, answers are checked and
replaced, anonymous ones carry no participant, quizzes score and knowledge checks give each person's gain."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from facilitator.live.session import Session
from facilitator.live.state import fold
from facilitator.problems import InputError
from facilitator.questions import scoring
from facilitator.questions.ballots import Ballots
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import TINY_PROGRAMME

QUIZ = {"type": "quiz", "options": [{"id": "a", "text": "1325"}, {"id": "b", "text": "2242"}], "correct": ["a"]}


def with_questions() -> dict[str, Any]:
    data = copy.deepcopy(TINY_PROGRAMME)
    intro, pairs = data["exercises"][0]["steps"]
    intro["questions"] = [
        {"id": "mood", "type": "scale", "text": "How do you arrive?", "scale": {"min": 1, "max": 5}},
        {
            "id": "where",
            "type": "single",
            "text": "Where do you work?",
            "anonymous": False,
            "options": [{"id": "hq", "text": "HQ"}, {"id": "field", "text": "A mission"}],
        },
    ]
    intro["check"] = None
    pairs["questions"] = [{"id": "q1", "text": "Which resolution came first?", "points": 2, **QUIZ}]
    pairs["check"] = {"name": "wps", "phase": "pre"}
    _write, share = data["exercises"][1]["steps"]
    share["questions"] = [{"id": "q1", "text": "Which resolution came first?", "points": 2, **QUIZ}]
    share["check"] = {"name": "wps", "phase": "post"}
    data["workshop"]["evaluation"] = {
        "opens_at": "reflect/write",
        "questions": [{"id": "useful", "type": "text", "text": "What was most useful?"}],
    }
    return data


@pytest.fixture
def lead(tmp_path: Path, fake_clock: FakeClock) -> Iterator[Session]:
    programme = Programme.validate(with_questions())
    store = Store.create(tmp_path / "run.db", programme, actor="lead", clock=fake_clock)
    session = Session(store, actor="lead")
    session.add_participant("Ada Lovelace", "ada@example.org", "hq", participant_id="ada")
    session.add_participant("Bea Nkosi", "bea@example.org", "juba", participant_id="bea")
    yield session
    store.close()


def kinds(session: Session) -> list[str]:
    return [e.kind for e in session.store.events() if e.kind.startswith(("question.", "answer.", "step."))]


def test_entering_a_step_opens_its_questions_and_leaving_it_closes_them(lead: Session) -> None:
    lead.next_step()
    assert kinds(lead) == ["step.entered", "question.opened", "question.opened"]
    assert {k for k, s in lead.state.questions.items() if s.open} == {"mood", "where"}
    lead.next_step()
    assert {k for k, s in lead.state.questions.items() if s.open} == {"wps/pre/q1"}
    assert not lead.state.questions["mood"].open
    lead.next_step()  # the evaluation opens at reflect/write and stays open
    lead.next_step()
    assert {k for k, s in lead.state.questions.items() if s.open} == {"evaluation/useful", "wps/post/q1"}
    lead.close_day()
    assert {k for k, s in lead.state.questions.items() if s.open} == {"evaluation/useful"}
    lead.close_question("evaluation/useful")
    assert not any(s.open for s in lead.state.questions.values())
    # The fold from the record agrees with the session's (another process, a restart).
    assert fold(lead.store.events()).questions == lead.state.questions


def test_an_anonymous_answer_stores_no_participant_and_a_later_one_replaces_it(lead: Session) -> None:
    lead.next_step()
    lead.answer("mood", respondent="ballot-1", participant="ada", location="hq", value=2)
    lead.answer("mood", respondent="ballot-1", location="hq", value=4)
    lead.answer("mood", respondent="ballot-2", location="juba", value=5)
    given = [e.payload for e in lead.store.events() if e.kind == ev.ANSWER_GIVEN]
    assert all(p["participant"] is None and not p["named"] for p in given)
    assert "ada" not in str(given)
    ballots = Ballots.from_events(lead.store.events())
    assert ballots.tally("mood") == {"4": 1, "5": 1}
    assert ballots.count("mood", location="juba") == 1


def test_a_named_question_needs_a_checked_in_participant(lead: Session) -> None:
    lead.next_step()
    with pytest.raises(InputError, match="check in first"):
        lead.answer("where", respondent="x", participant="ada", choices=["hq"])
    lead.check_in("ada")
    event = lead.answer("where", respondent="anything", participant="ada", choices=["hq"])
    assert event.payload["respondent"] == "ada" and event.payload["named"]


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ({"value": 6}, "value: 6 is not from 1 to 5"),
        ({"value": None}, "value: choose a number from 1 to 5"),
        ({"choices": ["x"]}, "value: choose a number"),
    ],
)
def test_a_scale_answer_outside_its_bounds_is_refused_and_nothing_is_recorded(
    lead: Session, sent: dict[str, Any], message: str
) -> None:
    lead.next_step()
    before = len(lead.store.events())
    with pytest.raises(InputError, match=message):
        lead.answer("mood", respondent="b", **sent)
    assert len(lead.store.events()) == before


def test_choices_that_do_not_exist_or_too_many_are_refused(lead: Session) -> None:
    lead.next_step()
    lead.check_in("ada")
    with pytest.raises(InputError, match="'nowhere' is not an option"):
        lead.answer("where", respondent="ada", participant="ada", choices=["nowhere"])
    with pytest.raises(InputError, match="choose one option"):
        lead.answer("where", respondent="ada", participant="ada", choices=["hq", "field"])
    with pytest.raises(InputError, match="choose an option"):
        lead.answer("where", respondent="ada", participant="ada", choices=[])


def test_a_closed_or_unknown_question_takes_no_answer(lead: Session) -> None:
    with pytest.raises(InputError, match="closed"):
        lead.answer("mood", respondent="b", value=3)  # its step has not been entered
    lead.next_step()
    lead.next_step()
    with pytest.raises(InputError, match="closed"):
        lead.answer("mood", respondent="b", value=3)  # its step was left
    with pytest.raises(InputError, match="not a question of this workshop"):
        lead.answer("nope", respondent="b", value=3)


def test_revealing_and_hiding_results_is_on_the_record(lead: Session) -> None:
    lead.next_step()
    with pytest.raises(InputError, match="not been asked"):
        lead.reveal_results("wps/pre/q1")
    lead.reveal_results("mood")
    assert lead.state.questions["mood"].revealed
    lead.reveal_results("mood", revealed=False)
    assert not lead.state.questions["mood"].revealed


def test_quiz_scores_and_knowledge_gain_per_person(lead: Session) -> None:
    lead.check_in("ada")
    lead.check_in("bea")
    lead.next_step()
    lead.next_step()  # the pre check
    lead.answer("wps/pre/q1", respondent="ada", participant="ada", choices=["b"])  # wrong: 0
    lead.answer("wps/pre/q1", respondent="bea", participant="bea", choices=["a"])  # right: 2
    lead.next_step()
    lead.next_step()  # the post check
    lead.answer("wps/post/q1", respondent="ada", participant="ada", choices=["a"])
    ballots = Ballots.from_events(lead.store.events())
    scores = {s.participant: s for s in scoring.check_scores(lead.programme, ballots, "wps")}
    assert (scores["ada"].pre, scores["ada"].post, scores["ada"].gain, scores["ada"].maximum) == (0, 2, 2, 2)
    assert (scores["bea"].pre, scores["bea"].post, scores["bea"].gain) == (2, None, None)
    assert scoring.check_names(lead.programme) == ["wps"]


def test_a_knowledge_checks_questions_are_named_whatever_their_default() -> None:
    programme = Programme.validate(with_questions())
    named = {a.key: a.named for a in programme.asked}
    assert named == {
        "mood": False,
        "where": True,
        "wps/pre/q1": True,
        "wps/post/q1": True,
        "evaluation/useful": False,
    }


def test_consent_to_quote_is_kept_with_a_comment_and_never_with_a_choice(lead: Session) -> None:
    lead.next_step()
    lead.answer("mood", respondent="ballot-1", value=4, consent=True)
    lead.next_step()
    lead.next_step()  # the evaluation opens at reflect/write
    lead.answer("evaluation/useful", respondent="ballot-2", text="The budgeting part", consent=True)
    lead.answer("evaluation/useful", respondent="ballot-3", text="Pairs")
    ballots = Ballots.from_events(lead.store.events())
    assert not ballots.answers("mood")["ballot-1"].consent
    comments = ballots.answers("evaluation/useful")
    assert {r: (a.text, a.consent) for r, a in comments.items()} == {
        "ballot-2": ("The budgeting part", True),
        "ballot-3": ("Pairs", False),
    }
