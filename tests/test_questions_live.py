"""What the script says of a question's results, and who may change them: a question with live results is
shown to the room from the moment it opens; a quiz (hidden by default) only once revealed; revealing, hiding
and closing are the driver's, in the core as on the screen."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from facilitator.live.session import Session
from facilitator.problems import InputError
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.team.roles import CO, NotAllowed
from tests.test_questions import with_questions


def test_live_results_are_shown_from_the_start_and_a_quiz_s_only_once_revealed(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    data = with_questions()
    data["exercises"][0]["steps"][0]["questions"][1]["results"] = "hidden"  # "where": hidden by the script
    with Store.create(tmp_path / "run.db", Programme.validate(data), actor="lead", clock=fake_clock) as store:
        lead = Session(store, actor="lead")
        lead.next_step()  # intro: "mood" (a scale, live by default) and "where"
        assert lead.state.questions["mood"].revealed and not lead.state.questions["where"].revealed
        assert not [e for e in store.events() if e.kind == ev.QUESTION_REVEALED]  # the script's, not an event
        lead.next_step()  # pairs: the quiz
        assert not lead.state.questions["wps/pre/q1"].revealed
        lead.reveal_results("mood", revealed=False)
        lead.previous_step(confirmed=True)  # intro again: what the team chose stays
        assert not lead.state.questions["mood"].revealed and lead.state.questions["mood"].open


def test_only_the_driver_reveals_hides_or_closes(tmp_path: Path, fake_clock: FakeClock) -> None:
    with Store.create(
        tmp_path / "run.db", Programme.validate(with_questions()), actor="lead", clock=fake_clock
    ) as store:
        lead = Session(store, actor="lead")
        lead.announce()
        lead.next_step()
        amina = Session(store, actor="amina", role=CO)
        amina.announce()
        with pytest.raises(NotAllowed):
            amina.reveal_results("mood", revealed=False)
        with pytest.raises(NotAllowed):
            amina.close_question("mood")
        assert lead.state.questions["mood"].open and lead.state.questions["mood"].revealed
        amina.request_control()
        lead.hand_control("amina")
        amina.close_question("mood")
        amina.refresh()
        assert not amina.state.questions["mood"].open


def test_a_quiz_takes_no_answer_once_its_right_answer_is_shown(tmp_path: Path, fake_clock: FakeClock) -> None:
    programme = Programme.validate(with_questions())
    with Store.create(tmp_path / "run.db", programme, actor="lead", clock=fake_clock) as store:
        lead = Session(store, actor="lead")
        lead.add_participant("Ada Lovelace", "ada@example.org", "hq", participant_id="ada")
        lead.add_participant("Bea Nkosi", "bea@example.org", "juba", participant_id="bea")
        lead.next_step()
        lead.check_in("ada")
        lead.check_in("bea")
        lead.next_step()  # pairs: the knowledge check's quiz
        lead.answer("wps/pre/q1", respondent="ada", participant="ada", choices=["b"])
        lead.reveal_results("wps/pre/q1")
        for who, choice in (("ada", "a"), ("bea", "a")):  # a change, and a first answer
            with pytest.raises(InputError, match=r"^question: its right answer is shown"):
                lead.answer("wps/pre/q1", respondent=who, participant=who, choices=[choice])
        assert [e.payload["choices"] for e in store.events() if e.kind == ev.ANSWER_GIVEN] == [["b"]]
        lead.reveal_results("wps/pre/q1", revealed=False)  # hidden again: answers again
        lead.answer("wps/pre/q1", respondent="bea", participant="bea", choices=["a"])


def test_a_named_question_needs_a_check_in_of_today_not_one_left_open_from_a_day_before(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    programme = Programme.validate(with_questions())
    with Store.create(tmp_path / "run.db", programme, actor="lead", clock=fake_clock) as store:
        lead = Session(store, actor="lead")
        lead.add_participant("Ada Lovelace", "ada@example.org", "hq", participant_id="ada")
        lead.next_step()
        lead.check_in("ada")  # and never checked out
        fake_clock.advance(timedelta(days=1))
        lead.enter_step("reflect", "share", on=date(2022, 8, 23), confirmed=True)  # day 2: the post check
        assert lead.attendance.is_in("ada")  # still "in" on the record, from day 1
        with pytest.raises(InputError, match=r"^participant: this question is answered by name; check in first"):
            lead.answer("wps/post/q1", respondent="ada", participant="ada", choices=["a"])
        lead.check_in("ada")
        lead.answer("wps/post/q1", respondent="ada", participant="ada", choices=["a"])
