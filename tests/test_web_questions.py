"""The room's questions on the participant page, through httpx (Starlette's TestClient) on a real run file.

Each type of question shown and answered (radios, checkboxes, a scale, a comment with its consent), an answer
changed until its question closes, named questions needing a check-in, anonymous ones filed under the phone's
ballot and never under the person, refusals that say why at the question and record nothing, and the room's
results once revealed (a quiz: whether this person was right), in English and French.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from facilitator.live.session import Session
from facilitator.participant_page.web.app import create_app
from facilitator.participant_page.web.security import BALLOT_COOKIE
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import TINY_PROGRAMME
from tests.test_web_routes import code_for, field, identify

DAY1 = date(2022, 8, 22)
ADA = "K7Q2-XY89"
BOB = "BOB2-CODE-77"
NBSP, NNBSP = "\u00a0", "\u202f"
FIRST = {
    "id": "first",
    "type": "quiz",
    "text": "Which resolution came first?",
    "options": [{"id": "r1325", "text": "Resolution 1325 (2000)"}, {"id": "r2242", "text": "Resolution 2242 (2015)"}],
    "correct": ["r1325"],
}
PILLARS = {
    "id": "pillars",
    "type": "quiz",
    "text": "Which are pillars of the agenda?",
    "options": [
        {"id": "participation", "text": "Participation"},
        {"id": "protection", "text": "Protection"},
        {"id": "disarmament", "text": "Disarmament"},
    ],
    "correct": ["participation", "protection"],
    "points": 2,
}


def programme() -> Programme:
    """The tiny workshop with a question of every type at its first step (one named), a knowledge check (pre at
    the second step, post at the last), and a course evaluation that opens at the reflection."""
    data = copy.deepcopy(TINY_PROGRAMME)
    intro, pairs = data["exercises"][0]["steps"]
    intro["questions"] = [
        {
            "id": "mood",
            "type": "scale",
            "text": "How do you arrive?",
            "scale": {"min": 1, "max": 5, "low": "Tired", "high": "Ready to go"},
        },
        {
            "id": "where",
            "type": "single",
            "text": "Where do you work?",
            "anonymous": False,
            "options": [{"id": "hq", "text": "Headquarters"}, {"id": "field", "text": "A mission"}],
        },
        {
            "id": "topics",
            "type": "multiple",
            "text": "Which topics interest you?",
            "options": [{"id": "budget", "text": "Budgeting"}, {"id": "data", "text": "Data"}],
        },
        {"id": "hopes", "type": "text", "text": "What do you hope to learn?"},
    ]
    pairs["check"] = {"name": "wps", "phase": "pre"}
    pairs["questions"] = [FIRST, PILLARS]
    share = data["exercises"][1]["steps"][1]
    share["check"] = {"name": "wps", "phase": "post"}
    share["questions"] = [FIRST, PILLARS]
    data["workshop"]["evaluation"] = {
        "opens_at": "reflect/write",
        "title": "Course evaluation",
        "questions": [
            {"id": "overall", "type": "scale", "text": "How useful was the course?", "scale": {"min": 1, "max": 4}},
            {"id": "comments", "type": "text", "text": "Any other comments?"},
        ],
    }
    return Programme.validate(data)


@pytest.fixture
def lead(tmp_path: Any, fake_clock: FakeClock) -> Iterator[Session]:
    store = Store.create(tmp_path / "run.db", programme(), actor="lead", clock=fake_clock)
    session = Session(store, actor="lead")
    session.add_participant("Ada Lovelace", "ada@example.org", "hq", participant_id="ada", code=ADA)
    session.add_participant("Bob Marley", "bob@example.org", "hq", participant_id="bob", code=BOB)
    session.enter_step("warm-up", "intro", on=DAY1)
    yield session
    store.close()


@pytest.fixture
def app(lead: Session, fake_clock: FakeClock) -> Any:
    return create_app(lead.store.path, clock=fake_clock, rate=0)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def hq(lead: Session, fake_clock: FakeClock) -> str:
    return code_for(lead.store, "hq", fake_clock)


@pytest.fixture
def ada(client: TestClient, hq: str) -> TestClient:
    """Ada's phone, identified (and so checked in) at headquarters."""
    assert identify(client, hq, code=ADA).status_code == 303
    return client


def phone(app: Any, hq: str, code: str, **options: Any) -> TestClient:
    """Another phone, identified with ``code``."""
    other = TestClient(app, follow_redirects=False, **options)
    assert identify(other, hq, code=code).status_code == 303
    return other


def answer(client: TestClient, token: str, lang: str = "en", /, **fields: Any) -> httpx.Response:
    """Send the answer form as the page has it (its questions and CSRF token), with ``fields``: ``c_where`` is
    the field ``c.where``, a list sends a name several times."""
    page = client.get(f"/p/{token}?lang={lang}")
    keys = re.findall(r'name="q" value="([^"]*)"', page.text)
    data: dict[str, Any] = {"csrf": field(page.text, "csrf"), "q": keys, "intent": "send"}
    data |= {name.replace("_", ".", 1): value for name, value in fields.items()}
    return client.post(f"/p/{token}/answer?lang={lang}", data=data)


def given(store: Store) -> list[dict[str, Any]]:
    return [e.payload for e in store.events() if e.kind == ev.ANSWER_GIVEN]


def ballot_of(client: TestClient) -> str:
    return client.cookies[BALLOT_COOKIE].split(".")[0]


def title(response: httpx.Response) -> str:
    found = re.search(r"<title>(.*)</title>", response.text)
    assert found is not None
    return found.group(1)


def block(html: str, key: str) -> str:
    """The HTML of one question's block (its fieldset, or its closed group)."""
    found = re.search(rf'<(fieldset|div) class="question-block[^"]*" id="q-{re.escape(key)}".*?</\1>', html, re.S)
    assert found is not None, f"no block for {key}"
    return found.group(0)


# -- each type of question ------------------------------------------------------------------------------


def test_each_question_is_a_fieldset_of_its_own_controls(ada: TestClient, hq: str) -> None:
    page = ada.get(f"/p/{hq}")
    html = page.text
    assert html.count('<fieldset class="question-block"') == 4
    scale = block(html, "mood")
    assert '<legend class="question-text" lang="en">How do you arrive?</legend>' in scale
    assert re.findall(r'type="radio" id="q-mood-(\d)" name="v.mood" value="\1"', scale) == ["1", "2", "3", "4", "5"]
    assert "<span>1 (Tired)</span>" in scale and "<span>5 (Ready to go)</span>" in scale  # its end labels
    assert "Choose a number from 1 to 5." in scale
    single = block(html, "where")
    assert single.count('type="radio"') == 2 and 'name="c.where" value="field"' in single
    assert "Choose one answer." in single and "Your answer is recorded with your name." in single
    several = block(html, "topics")
    assert several.count('type="checkbox"') == 2 and "Choose all that apply." in several
    comment = block(html, "hopes")
    assert '<textarea id="q-hopes-text" name="t.hopes" rows="5" maxlength="2000"' in comment
    assert '<label for="q-hopes-text">Your answer</label>' in comment
    assert 'name="k.hopes" value="1"> The organisers may quote my comment (it is recorded without my name).' in comment
    # What describes each group: its hint and what happens to the name (the text box's, for a comment).
    assert 'aria-describedby="q-mood-hint q-mood-anonymity"' in scale
    assert 'aria-describedby="q-hopes-hint q-hopes-anonymity"' in comment
    # Results the script calls live are shown from the start (a quiz's wait to be revealed).
    assert '<div class="results" id="q-mood-results">' in scale and "Nobody has answered yet." in scale
    # Without a reflection prompt, the questions are the page's main content.
    assert '<h1 id="questions-heading-1">Questions</h1>' in html and "no question to answer right now" not in html
    assert '<button type="submit" name="intent" value="send">Send my answers</button>' in html


def test_a_quiz_is_radios_with_one_right_answer_and_checkboxes_with_several(
    ada: TestClient, lead: Session, hq: str
) -> None:
    lead.next_step()
    html = ada.get(f"/p/{hq}").text
    assert block(html, "wps_pre_first").count('type="radio" id="q-wps_pre_first-') == 2
    assert 'name="c.wps/pre/first"' in html
    assert block(html, "wps_pre_pillars").count('type="checkbox"') == 3
    assert "mood" not in html  # the first step's questions closed with it, and their step is not current


def test_answers_of_every_type_are_recorded_and_shown_chosen(ada: TestClient, lead: Session, hq: str) -> None:
    response = answer(
        ada, hq, v_mood="4", c_where="hq", c_topics=["budget", "data"], t_hopes="  Budgets  ", k_hopes="1"
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/p/{hq}?lang=en&done=answers#questions"
    ballot = ballot_of(ada)
    assert {p["question"]: (p["respondent"], p["participant"]) for p in given(lead.store)} == {
        "mood": (ballot, None),
        "where": ("ada", "ada"),  # named: the participant
        "topics": (ballot, None),
        "hopes": (ballot, None),
    }
    by_question = {p["question"]: p for p in given(lead.store)}
    assert by_question["mood"]["value"] == 4 and by_question["topics"]["choices"] == ["budget", "data"]
    assert (by_question["hopes"]["text"], by_question["hopes"]["consent"]) == ("Budgets", True)
    assert {p["location"] for p in given(lead.store)} == {"hq"} and {p["source"] for p in given(lead.store)} == {"qr"}

    page = ada.get(response.headers["location"])
    assert title(page) == "Answers recorded – Workshop check-in"
    assert '<p class="ok" id="answers-sent" role="status">Thank you: your answers are recorded.</p>' in page.text
    recorded = "Your answer is recorded; you can change it until the question closes."
    assert page.text.count(recorded) == 4
    assert 'value="4" checked' in block(page.text, "mood")
    assert 'value="hq" checked' in block(page.text, "where")
    assert 'value="budget" checked' in block(page.text, "topics") and 'value="data" checked' in page.text
    assert ">Budgets</textarea>" in page.text and 'name="k.hopes" value="1" checked' in page.text
    assert 'aria-describedby="q-mood-hint q-mood-anonymity q-mood-recorded"' in page.text


def test_an_answer_is_changed_until_its_question_closes(ada: TestClient, lead: Session, hq: str) -> None:
    answer(ada, hq, c_where="hq")
    assert answer(ada, hq, c_where="field").status_code == 303
    lead.refresh()
    assert [p["choices"] for p in given(lead.store)] == [["hq"], ["field"]]
    assert lead.ballots.answers("where")["ada"].choices == ("field",)  # one answer per person: the latest
    page = ada.get(f"/p/{hq}").text
    assert 'value="field" checked' in block(page, "where") and 'value="hq" checked' not in page
    # Sent again unchanged (the page sends what it shows chosen): nothing new on the record.
    assert answer(ada, hq, c_where="field", v_mood="").status_code == 303
    assert len(given(lead.store)) == 2
    lead.close_question("where")
    closed = block(ada.get(f"/p/{hq}").text, "where")
    assert closed.startswith('<div class="question-block closed" id="q-where" role="group"')
    assert "This question is closed: it takes no more answers." in closed
    assert "Your answer: A mission" in closed and "<input" not in closed


def test_an_answer_cannot_be_taken_back(ada: TestClient, lead: Session, hq: str) -> None:
    answer(ada, hq, c_topics=["data"], t_hopes="Data")
    refused = answer(ada, hq, t_hopes="", k_hopes="1", c_topics="data")
    assert refused.status_code == 400
    assert "An answer cannot be taken back: choose another one, or keep the one you gave." in block(
        refused.text, "hopes"
    )
    assert len(given(lead.store)) == 2


# -- who answers: named and anonymous --------------------------------------------------------------------


def test_a_named_question_needs_a_check_in_and_records_nothing_without(ada: TestClient, lead: Session, hq: str) -> None:
    lead.check_out("ada", "facilitator")  # from the app: the page still offers the question
    page = ada.get(f"/p/{hq}").text
    where = block(page, "where")
    assert "This question is answered with your name: check in to answer it." in where and "<input" not in where
    assert "Some questions are answered with your name, so you need to be checked in here to answer them." in page
    assert '<button type="submit" aria-describedby="needs-check-in">Check in to answer</button>' in page
    assert 'name="v.mood"' in page  # an anonymous question asks for no check-in
    # A form from before the check-out: refused at the question, and nothing of the form is recorded.
    refused = answer(ada, hq, c_where="hq", v_mood="3")
    assert refused.status_code == 409
    assert "This question is answered with your name: check in first, then send your answer." in refused.text
    assert 'value="3" checked' in block(refused.text, "mood")  # what was chosen comes back
    assert given(lead.store) == []
    # The button checks in and leads back to the questions.
    checked_in = ada.post(
        f"/p/{hq}/check-in?lang=en", data={"csrf": field(page, "csrf"), "sid": field(page, "sid"), "then": "questions"}
    )
    assert checked_in.headers["location"] == f"/p/{hq}?lang=en&done=checkin#questions"
    assert answer(ada, hq, c_where="hq").status_code == 303
    assert [(p["question"], p["participant"]) for p in given(lead.store)] == [("where", "ada")]


def test_an_anonymous_answer_is_filed_under_the_phones_ballot_never_the_person(
    app: Any, ada: TestClient, lead: Session, hq: str
) -> None:
    first = ada.get(f"/p/{hq}")
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{BALLOT_COOKIE}=") and "HttpOnly" in cookie and "Path=/" in cookie
    assert "samesite=lax" in cookie.lower() and "Secure" not in cookie  # plain http here: see the https test
    ballot = ballot_of(ada)
    assert re.fullmatch(r"[0-9a-f]{32}", ballot)
    answer(ada, hq, v_mood="2")
    # The same person on a second phone has another ballot: it is the phone's, not derived from who they are.
    second = phone(app, hq, ADA)
    answer(second, hq, v_mood="5")
    assert ballot_of(second) != ballot
    payloads = given(lead.store)
    assert [(p["respondent"], p["participant"], p["named"]) for p in payloads] == [
        (ballot, None, False),
        (ballot_of(second), None, False),
    ]
    assert not [p for p in payloads if "ada" in str(p).lower()]
    # Each phone sees its own answer chosen.
    assert 'value="2" checked' in ada.get(f"/p/{hq}").text and 'value="5" checked' in second.get(f"/p/{hq}").text


def test_the_ballot_cookie_is_secure_over_https(app: Any, hq: str) -> None:
    secure = phone(app, hq, BOB, base_url="https://testserver")
    cookies = secure.get(f"/p/{hq}").headers.get_list("set-cookie")
    ballot = next(c for c in cookies if c.startswith(f"{BALLOT_COOKIE}="))
    assert "Secure" in ballot and "HttpOnly" in ballot


def test_a_forged_ballot_is_not_taken(ada: TestClient, lead: Session, hq: str) -> None:
    ada.cookies.set(BALLOT_COOKIE, "chosen-by-me.forged", domain="testserver.local", path="/")
    answer(ada, hq, v_mood="3")
    assert given(lead.store)[0]["respondent"] != "chosen-by-me"
    assert re.fullmatch(r"[0-9a-f]{32}", given(lead.store)[0]["respondent"])


def test_whoever_signs_in_next_on_the_phone_has_a_ballot_of_their_own(ada: TestClient, lead: Session, hq: str) -> None:
    answer(ada, hq, v_mood="1")
    page = ada.get(f"/p/{hq}")
    signed_out = ada.post(f"/p/{hq}/forget", data={"csrf": field(page.text, "csrf")})
    assert f'{BALLOT_COOKIE}=""' in ";".join(signed_out.headers.get_list("set-cookie"))  # the ballot is dropped
    assert identify(ada, hq, code=BOB).status_code == 303
    bobs = ada.get(f"/p/{hq}").text
    assert 'value="1" checked' not in bobs  # Ada's anonymous answer is neither shown to Bob nor replaced by his
    answer(ada, hq, v_mood="5")
    lead.refresh()
    assert sorted(a.value or 0 for a in lead.ballots.answers("mood").values()) == [1, 5]


# -- refusals: said at the question, nothing recorded ---------------------------------------------------------


def test_an_answer_to_a_question_that_closed_meanwhile_is_refused_at_the_question(
    ada: TestClient, lead: Session, hq: str
) -> None:
    page = ada.get(f"/p/{hq}")
    lead.close_question("mood")  # while the page was open
    data = {"csrf": field(page.text, "csrf"), "q": ["mood", "hopes"], "v.mood": "3", "t.hopes": "kept <b>as typed</b>"}
    refused = ada.post(f"/p/{hq}/answer", data=data)
    assert refused.status_code == 409
    html = refused.text
    assert title(refused) == "Error: Checked in – Workshop check-in"
    assert html.index('id="summary"') < html.index('<p class="where">')  # at the top, focused on load
    assert "Nothing was recorded. Check these answers and send them again:" in html
    message = "This question closed before your answer arrived, so it was not recorded."
    assert f'<a href="#q-mood">How do you arrive? — {message}</a>' in html
    assert f'<p class="field-error" id="q-mood-error">{message}</p>' in block(html, "mood")
    assert ">kept &lt;b&gt;as typed&lt;/b&gt;</textarea>" in html  # the other answer comes back as typed
    assert given(lead.store) == []


@pytest.mark.parametrize(
    ("fields", "key", "message"),
    [
        ({"c_where": "nowhere"}, "where", "That answer is not one of this question’s options."),
        ({"c_where": ["hq", "field"]}, "where", "Choose only one answer."),
        ({"c_topics": ["budget", "<x>"]}, "topics", "That answer is not one of this question’s options."),
        ({"v_mood": "6"}, "mood", "Choose a number from 1 to 5."),
        ({"v_mood": "0"}, "mood", "Choose a number from 1 to 5."),
        ({"v_mood": "three"}, "mood", "Choose a number from 1 to 5."),
        ({"v_mood": "1_0"}, "mood", "Choose a number from 1 to 5."),
        ({"t_hopes": "z" * 2001}, "hopes", "Your comment is too long: at most 2,000 characters."),
        ({"t_hopes": ""}, "mood", "Choose or write an answer before sending."),
    ],
)
def test_an_answer_that_cannot_be_is_refused_at_its_field_and_nothing_is_recorded(
    ada: TestClient, lead: Session, hq: str, *, fields: dict[str, Any], key: str, message: str
) -> None:
    refused = answer(ada, hq, **{"t_hopes": "A comment that waits", **fields})
    assert refused.status_code == 400
    html = refused.text
    assert f'<p class="field-error" id="q-{key}-error">{message}' in block(html, key)
    if key == "hopes":
        assert f'aria-invalid="true" aria-describedby="q-{key}-error q-{key}-hint q-{key}-anonymity"' in html
        assert '<a href="#q-hopes-text">What do you hope to learn? — ' in html
    else:
        assert f'aria-describedby="q-{key}-error q-{key}-hint q-{key}-anonymity"' in block(html, key)
        assert block(html, key).count('aria-invalid="true"') >= 2
        assert re.search(rf'<a href="#q-{key}-[a-z0-9]+">', html)
    if "t_hopes" not in fields:
        assert ">A comment that waits</textarea>" in html  # the rest of the form comes back as it was sent
    assert given(lead.store) == []
    assert "<x>" not in html


def test_looking_for_new_questions_keeps_what_was_chosen_and_records_nothing(
    ada: TestClient, lead: Session, hq: str
) -> None:
    page = ada.get(f"/p/{hq}")
    data = {
        "csrf": field(page.text, "csrf"),
        "q": ["mood", "hopes"],
        "v.mood": "2",
        "t.hopes": "half",
        "intent": "refresh",
    }
    looked = ada.post(f"/p/{hq}/answer", data=data)
    assert looked.status_code == 200 and 'id="summary"' not in looked.text
    assert 'value="2" checked' in looked.text and ">half</textarea>" in looked.text
    assert given(lead.store) == []


def test_answers_sent_on_a_stale_link_come_back_on_the_new_one(
    ada: TestClient, lead: Session, hq: str, fake_clock: FakeClock
) -> None:
    page = ada.get(f"/p/{hq}")
    fake_clock.advance(timedelta(minutes=40))  # the screen's code changed, and its grace ended
    data = {"csrf": field(page.text, "csrf"), "q": ["mood", "hopes"], "v.mood": "2", "t.hopes": "slow"}
    response = ada.post(f"/p/{hq}/answer", data=data)
    fresh = code_for(lead.store, "hq", fake_clock)
    assert response.status_code == 409 and f'action="/p/{fresh}/answer?lang=en"' in response.text
    assert "The page’s link had expired, so your answers were not recorded." in response.text
    assert 'value="2" checked' in response.text and ">slow</textarea>" in response.text
    assert given(lead.store) == []


def test_an_expired_form_or_a_signed_out_phone_gives_the_answers_back(
    app: Any, ada: TestClient, lead: Session, hq: str
) -> None:
    page = ada.get(f"/p/{hq}")
    data = {"csrf": "0" * 32, "q": ["mood", "hopes"], "v.mood": "2", "t.hopes": "my comment"}
    expired = ada.post(f"/p/{hq}/answer", data=data)
    assert expired.status_code == 403 and "The form had expired, so nothing was recorded." in expired.text
    assert 'value="2" checked' in expired.text and ">my comment</textarea>" in expired.text
    ada.post(f"/p/{hq}/forget", data={"csrf": field(page.text, "csrf")})
    again = ada.get(f"/p/{hq}")  # signed out: the identify page, whose form token is good for this cookie
    signed_out = ada.post(f"/p/{hq}/answer", data={**data, "csrf": field(again.text, "csrf")})
    assert signed_out.status_code == 409 and "Who are you?" in signed_out.text
    assert ">my comment</textarea>" in signed_out.text
    assert given(lead.store) == []


# -- results ---------------------------------------------------------------------------------------------


def test_a_quiz_once_revealed_says_whether_this_person_was_right_and_which_answer_was(
    app: Any, ada: TestClient, lead: Session, hq: str
) -> None:
    lead.next_step()
    bob = phone(app, hq, BOB)
    answer(ada, hq, **{"c_wps/pre/first": "r1325", "c_wps/pre/pillars": ["participation", "protection"]})
    answer(bob, hq, **{"c_wps/pre/first": "r2242", "c_wps/pre/pillars": ["participation"]})
    hidden = ada.get(f"/p/{hq}").text
    assert 'class="results"' not in hidden  # a quiz's results wait for the facilitator
    assert "Your answer is right" not in hidden and "Your answer is not right" not in hidden
    lead.reveal_results("wps/pre/first")
    lead.reveal_results("wps/pre/pillars")
    mine = ada.get(f"/p/{hq}").text
    first = block(mine, "wps_pre_first")
    assert "Your answer is right. The right answer: Resolution 1325 (2000)." in first
    assert "<strong>Results</strong> – Answers: 2" in first
    assert re.search(
        r"Resolution 1325 \(2000\)</span>\s*<span[^>]*>1 \(50%\)</span>\s*<span class=\"tag\">Right answer", first
    )
    assert "The right answers: Participation; Protection." in block(mine, "wps_pre_pillars")
    theirs = bob.get(f"/p/{hq}").text
    assert "Your answer is not right. The right answer: Resolution 1325 (2000)." in block(theirs, "wps_pre_first")
    assert "Your answer is not right." in block(theirs, "wps_pre_pillars")
    assert "Each person could choose several answers" in block(theirs, "wps_pre_pillars")
    # Its right answer shown, a quiz takes no more answers: changing one now would score.
    assert "The right answer has been shown, so this question takes no more answers." in first
    assert 'name="c.wps/pre/first"' not in mine
    refused = answer(bob, hq, **{"c_wps/pre/first": "r1325", "q": ["wps/pre/first"]})
    assert refused.status_code == 409 and "The right answer to this question has been shown" in refused.text
    lead.refresh()
    assert lead.ballots.answers("wps/pre/first")["bob"].choices == ("r2242",)


def test_a_closed_question_of_the_current_step_shows_closed_and_its_results(
    app: Any, ada: TestClient, lead: Session, hq: str
) -> None:
    answer(ada, hq, v_mood="5", t_hopes="Everything")
    answer(phone(app, hq, BOB), hq, v_mood="2", t_hopes="Budgets")
    lead.close_question("mood")
    lead.reveal_results("mood")
    lead.reveal_results("hopes")
    html = ada.get(f"/p/{hq}").text
    mood = block(html, "mood")
    assert "This question is closed: it takes no more answers." in mood and "<input" not in mood
    assert "Your answer: 5 (Ready to go)" in mood
    assert "Answers: 2" in mood and "Average: 3.5" in mood
    assert re.search(
        r"5 \(Ready to go\)</span>\s*<span[^>]*>1 \(50%\)</span>\s*<span class=\"tag mine\">Your answer", mood
    )
    assert re.search(r"3</span>\s*<span[^>]*>0 \(0%\)</span>", mood)
    hopes = block(html, "hopes")  # open and revealed: its form, and how many answered, never the comments
    assert 'name="t.hopes"' in hopes and "Answers: 2" in hopes and "Budgets" not in hopes
    assert "The comments are read by the organisers and are not shown here." in hopes
    assert 'aria-hidden="true"' in mood  # the bars only repeat the figures


def test_the_evaluation_stays_on_the_page_while_it_is_open(ada: TestClient, lead: Session, hq: str) -> None:
    lead.enter_step("reflect", "write", on=DAY1)
    html = ada.get(f"/p/{hq}").text
    assert '<h1 id="prompt-heading">Reflection</h1>' in html  # the reflection first, then the evaluation
    assert '<h2 id="questions-heading-1">Course evaluation</h2>' in html
    assert 'name="v.evaluation/overall"' in html and 'name="t.evaluation/comments"' in html
    assert answer(ada, hq, **{"v_evaluation/overall": "4"}).status_code == 303
    lead.next_step()  # the post check: its questions, and the evaluation still
    html = ada.get(f"/p/{hq}").text
    assert html.index('name="c.wps/post/first"') < html.index('<h2 id="questions-heading-2">Course evaluation</h2>')
    assert 'value="4" checked' in block(html, "evaluation_overall")
    lead.close_question("evaluation/overall")
    assert "evaluation_overall" not in ada.get(f"/p/{hq}").text  # closed, and not at its step: gone


def test_the_script_is_told_when_questions_open_close_or_show_results(ada: TestClient, lead: Session, hq: str) -> None:
    def now() -> tuple[str, str]:
        found = ada.get(f"/p/{hq}/now.json").json()
        return found["questions"], found["results"]

    # The answers coming in change the results' fingerprint, where results are shown (live from the start here).
    questions, results = now()
    assert re.fullmatch(r"[0-9a-f]{16}", results)
    answer(ada, hq, c_topics="data")
    assert now()[0] == questions and now()[1] != results
    # Opening, closing, showing or hiding results change the questions' fingerprint.
    seen = [now()[0]]
    lead.reveal_results("mood", revealed=False)
    seen.append(now()[0])
    lead.close_question("mood")
    seen.append(now()[0])
    lead.next_step()
    seen.append(now()[0])
    assert len(set(seen)) == 4 and all(re.fullmatch(r"[0-9a-f]{16}", v) for v in seen)
    assert now()[1] == ""  # a quiz's results wait for the facilitator
    answer(ada, hq, **{"c_wps/pre/first": "r1325"})
    assert now()[1] == ""
    lead.reveal_results("wps/pre/first")
    assert now()[1] != ""


# -- French -----------------------------------------------------------------------------------------------


def test_questions_results_and_problems_in_french(app: Any, ada: TestClient, lead: Session, hq: str) -> None:
    page = ada.get(f"/p/{hq}?lang=fr").text
    assert "Envoyer mes réponses" in page and "Choisissez un nombre de 1 à 5." in page
    assert "Choisissez toutes les réponses qui conviennent." in page
    assert "L’équipe organisatrice peut citer mon commentaire (il est enregistré sans mon nom)." in page
    refused = answer(ada, hq, "fr", v_mood="9")
    assert refused.status_code == 400 and "Il y a un problème" in refused.text
    assert "Choisissez un nombre de 1 à 5." in block(refused.text, "mood")
    assert title(refused).startswith(f"Erreur{NBSP}: ")
    answer(ada, hq, "fr", v_mood="4")
    recorded = ada.get(f"/p/{hq}?lang=fr&done=answers").text
    assert f"Merci{NBSP}: vos réponses sont enregistrées." in recorded
    assert (
        f"Votre réponse est enregistrée{NNBSP}; vous pouvez la modifier jusqu’à la clôture de la question." in recorded
    )
    lead.next_step()
    answer(ada, hq, "fr", **{"c_wps/pre/first": "r2242"})
    answer(phone(app, hq, BOB), hq, **{"c_wps/pre/first": "r1325"})
    lead.reveal_results("wps/pre/first")
    quiz = block(ada.get(f"/p/{hq}?lang=fr").text, "wps_pre_first")
    assert f"Votre réponse n’est pas juste. La bonne réponse{NBSP}: Resolution 1325 (2000)." in quiz
    assert f"Réponses{NBSP}: 2" in quiz and f"1 (50{NNBSP}%)" in quiz and "Bonne réponse" in quiz


def test_a_question_closed_while_the_form_is_written_down_records_none_of_it(
    lead: Session, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facilitator.participant_page import tokens
    from facilitator.participant_page.desk import CLOSED, Desk, SentAnswer

    desk = Desk(Store.open(lead.store.path, clock=fake_clock))
    try:
        grant = tokens.verify(desk.settings, desk.programme, code_for(lead.store, "hq", fake_clock), fake_clock.now())
        assert grant is not None
        desk.check_in(grant, "ada")
        real = desk.session.answer
        calls: list[str] = []

        def answer_as_the_facilitator_closes(key: str, **kwargs: Any) -> Any:
            calls.append(key)
            if len(calls) == 2:  # between the page's checks and the core's: another process closes it
                lead.close_question(key)
            return real(key, **kwargs)

        monkeypatch.setattr(desk.session, "answer", answer_as_the_facilitator_closes)
        sent = {"mood": SentAnswer(value="3"), "where": SentAnswer(choices=("hq",))}
        with desk.batch:
            answered = desk.answer(grant, "ada", "b" * 32, sent)
        assert answered.problems == {"where": CLOSED} and answered.recorded == ()
        assert given(lead.store) == []  # the first answer, written before the second failed, went too
    finally:
        desk.store.close()
