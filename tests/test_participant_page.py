"""The participant page's core (facilitator.participant_page.desk.Desk) and the join-request commands of Session."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from facilitator.live.session import Session
from facilitator.participant_page import tokens
from facilitator.participant_page.desk import Desk, PromptChanged
from facilitator.problems import InputError
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.team.roles import OBSERVER, NotAllowed
from tests.conftest import TINY_PROGRAMME

DAY1 = date(2022, 8, 22)
HQ = tokens.Grant("hq", DAY1)
JUBA = tokens.Grant("juba", DAY1)


def programme(anonymity: str | None = None, *, email_only: bool = False) -> Programme:
    raw: dict[str, Any] = copy.deepcopy(TINY_PROGRAMME)
    if anonymity is not None:
        raw["exercises"][1]["steps"][0]["prompt"]["anonymity"] = anonymity
    if email_only:
        raw["workshop"]["participant_page"] = {"email_only": True}
    return Programme.validate(raw)


def make_run(
    tmp_path: Path, clock: FakeClock, anonymity: str | None = None, *, email_only: bool = False
) -> tuple[Session, Desk]:
    store = Store.create(tmp_path / "run.db", programme(anonymity, email_only=email_only), actor="lead", clock=clock)
    lead = Session(store, actor="lead")
    lead.add_participant("Ada Lovelace", "Ada@Example.org", "hq", participant_id="ada", code="K7Q2-XY89")
    lead.add_participant("Bob Marley", "bob@example.org", "juba", participant_id="bob")
    lead.add_participant("Cy Twin", "cy@example.org", "juba", participant_id="cy", code="SAME-CODE-1")
    lead.add_participant("Di Twin", "di@example.org", "juba", participant_id="di", code="same code 1")
    lead.add_participant("Sho Rt", "short@example.org", "juba", participant_id="short", code="K7Q2")
    lead.enter_step("reflect", "write", on=DAY1)
    desk = Desk(Store.open(tmp_path / "run.db", clock=clock))
    return lead, desk


@pytest.fixture
def run(tmp_path: Path, fake_clock: FakeClock) -> tuple[Session, Desk]:
    return make_run(tmp_path, fake_clock)


@pytest.fixture
def email_only_run(tmp_path: Path, fake_clock: FakeClock) -> tuple[Session, Desk]:
    """The same run, of a workshop that lets people without a code identify by e-mail alone."""
    return make_run(tmp_path, fake_clock, email_only=True)


# -- identification -------------------------------------------------------------------------------------


def test_a_participant_is_identified_by_email_in_any_case_plus_code(run: tuple[Session, Desk]) -> None:
    _, desk = run
    person = desk.identify("  ada@EXAMPLE.org ", "k7q2xy89")
    assert person is not None and person.id == "ada"


def test_a_participant_is_identified_by_personal_code_alone(run: tuple[Session, Desk]) -> None:
    _, desk = run
    person = desk.identify("", " k7q2 - xy 89 ")
    assert person is not None and person.id == "ada"


def test_a_code_shorter_than_the_workshops_minimum_needs_the_email_too(run: tuple[Session, Desk]) -> None:
    # Imports refuse such a code, but a run may hold one (an older roster, a facilitator's edit): alone it could
    # be guessed from many addresses, so alone it proves nothing; with the e-mail, tries are limited per e-mail.
    _, desk = run
    assert desk.programme.workshop.participant_page.min_code_length == 8
    assert desk.identify("", "K7Q2") is None
    person = desk.identify("short@example.org", "k7q2")
    assert person is not None and person.id == "short"


def test_email_alone_identifies_nobody_unless_the_workshop_says_so(run: tuple[Session, Desk]) -> None:
    _, desk = run
    assert desk.programme.workshop.participant_page.email_only is False  # the default
    assert desk.identify("BOB@example.org", "") is None  # no code on the roster: the page cannot tell it is him
    assert desk.identify("ada@example.org", "") is None


def test_with_email_only_the_email_alone_works_only_when_the_roster_gives_no_code(
    email_only_run: tuple[Session, Desk],
) -> None:
    _, desk = email_only_run
    bob = desk.identify("BOB@example.org", "")
    assert bob is not None and bob.id == "bob"
    assert desk.identify("ada@example.org", "") is None  # she has a code: her e-mail alone proves nothing
    assert desk.identify("bob@example.org", "wrong") is None  # a code given must be right


def test_failures_all_look_the_same(run: tuple[Session, Desk]) -> None:
    _, desk = run
    assert desk.identify("nobody@example.org", "") is None
    assert desk.identify("nobody@example.org", "k7q2xy89") is None  # a real code with an unknown e-mail
    assert desk.identify("ada@example.org", "wrong") is None
    assert desk.identify("", "") is None
    assert desk.identify("", "nope") is None
    assert desk.identify("", "samecode1") is None  # a code two people share proves neither


@pytest.mark.parametrize("email", ["bob@example.org", "ada@example.org", "nobody@example.org", ""])
@pytest.mark.parametrize("code", ["ééé", "k7q2xy89é", "☃", "\udcff", "\ud800", "ééééééééé"])
@pytest.mark.parametrize("email_only", [False, True])
def test_a_code_of_any_characters_matches_nobody(
    tmp_path: Path, fake_clock: FakeClock, email: str, code: str, email_only: bool
) -> None:
    # Bob has no code, Ada has one, nobody is not on the roster: every path compares without a TypeError.
    _, desk = make_run(tmp_path, fake_clock, email_only=email_only)
    assert desk.identify(email, code) is None


def test_a_participant_added_later_is_found(email_only_run: tuple[Session, Desk]) -> None:
    lead, desk = email_only_run
    assert desk.identify("eve@example.org", "") is None
    lead.add_participant("Eve", "eve@example.org", "hq", participant_id="eve")
    person = desk.identify("eve@example.org", "")
    assert person is not None and person.id == "eve"


def test_signing_out_moves_the_identity_generation_on(run: tuple[Session, Desk], tmp_path: Path) -> None:
    _, desk = run
    assert desk.identity_generation("ada") == 0
    assert desk.sign_out("ada") == 1 and desk.sign_out("ada") == 2
    assert desk.identity_generation("ada") == 2 and desk.identity_generation("bob") == 0
    # In the page's settings table, never in the record: the exports do not carry it, the settings read past it.
    assert all(e.kind != "participant.signed_out" for e in desk.store.events())
    assert tokens.load_settings(desk.store).secret == desk.settings.secret


# -- check-in -------------------------------------------------------------------------------------------


def test_check_in_is_at_the_tokens_location_with_source_qr(run: tuple[Session, Desk], fake_clock: FakeClock) -> None:
    _, desk = run
    done = desk.check_in(JUBA, "ada", "a" * 32)
    assert not done.already
    assert done.local_time == "14:00"  # 12:00 UTC in Juba
    last = desk.store.events()[-1]
    assert last.kind == ev.ATTENDANCE_CHECKED_IN
    assert last.payload["source"] == "qr" and last.payload["location"] == "juba"
    assert last.actor == "participant-page"


def test_check_in_is_idempotent_and_says_when(run: tuple[Session, Desk], fake_clock: FakeClock) -> None:
    _, desk = run
    desk.check_in(HQ, "ada", "a" * 32)
    count = len(desk.store.events())
    fake_clock.advance(timedelta(minutes=7))
    again = desk.check_in(HQ, "ada", "b" * 32)
    assert again.already and again.local_time == "08:00"  # New York time of the first check-in
    assert len(desk.store.events()) == count


def test_a_retried_check_in_with_the_same_submission_is_stored_once(run: tuple[Session, Desk]) -> None:
    lead, desk = run
    desk.check_in(HQ, "bob", "c" * 32)
    lead.check_out("bob", "qr")
    before = len(desk.store.events())
    desk.check_in(HQ, "bob", "c" * 32)  # the same submission id: the browser retried the first POST
    assert len(desk.store.events()) == before


def test_checked_in_by_a_facilitator_counts_as_already_in(run: tuple[Session, Desk]) -> None:
    lead, desk = run
    lead.check_in("bob")
    found = desk.checked_in(JUBA, "bob")
    assert found is not None and found.already


def test_a_check_in_left_open_yesterday_does_not_block_today(
    tmp_path: Path, fake_clock: FakeClock, run: tuple[Session, Desk]
) -> None:
    _, desk = run
    desk.check_in(HQ, "bob", "d" * 32)
    fake_clock.advance(timedelta(days=1))
    tomorrow = tokens.Grant("hq", DAY1 + timedelta(days=1))
    assert desk.checked_in(tomorrow, "bob") is None
    done = desk.check_in(tomorrow, "bob", "e" * 32)
    assert not done.already
    assert desk.checked_in(tomorrow, "bob") is not None


# -- check-out ------------------------------------------------------------------------------------------


def test_check_out_ends_the_stay_with_source_qr_and_says_when(run: tuple[Session, Desk], fake_clock: FakeClock) -> None:
    lead, desk = run
    desk.check_in(HQ, "ada", "a" * 32)
    fake_clock.advance(timedelta(minutes=95))
    done = desk.check_out(HQ, "ada", "b" * 32)
    assert done is not None and done.local_time == "09:35"  # New York time
    last = desk.store.events()[-1]
    assert (last.kind, last.id, last.actor) == (
        ev.ATTENDANCE_CHECKED_OUT,
        f"checkout-ada-{'b' * 32}",
        "participant-page",
    )
    assert last.payload["source"] == "qr"
    assert desk.checked_in(HQ, "ada") is None
    assert desk.checked_out(HQ, "ada") == done
    lead.refresh()
    (interval,) = lead.attendance.intervals("ada")
    assert interval.end == fake_clock.now()


def test_check_out_when_not_checked_in_writes_nothing(run: tuple[Session, Desk], fake_clock: FakeClock) -> None:
    _, desk = run
    before = len(desk.store.events())
    assert desk.check_out(HQ, "ada", "a" * 32) is None
    desk.check_in(HQ, "bob", "b" * 32)
    fake_clock.advance(timedelta(days=1))  # still in since yesterday: not checked in today
    assert desk.check_out(tokens.Grant("hq", DAY1 + timedelta(days=1)), "bob", "c" * 32) is None
    assert len(desk.store.events()) == before + 1
    assert desk.checked_out(HQ, "ada") is None


def test_a_retried_check_out_is_stored_once_even_after_checking_in_again(
    run: tuple[Session, Desk], fake_clock: FakeClock
) -> None:
    _, desk = run
    desk.check_in(HQ, "bob", "a" * 32)
    fake_clock.advance(timedelta(minutes=5))
    first = desk.check_out(HQ, "bob", "b" * 32)
    fake_clock.advance(timedelta(minutes=5))
    desk.check_in(HQ, "bob", "c" * 32)
    before = len(desk.store.events())
    assert desk.check_out(HQ, "bob", "b" * 32) == first  # the browser retried the first POST
    assert len(desk.store.events()) == before
    assert desk.checked_in(HQ, "bob") is not None


def test_two_copies_of_a_check_out_in_one_batch_land_once(run: tuple[Session, Desk]) -> None:
    _, desk = run
    desk.check_in(HQ, "bob", "a" * 32)
    with desk.batch:
        desk.check_out(HQ, "bob", "b" * 32)
        desk.check_out(HQ, "bob", "b" * 32)
    assert [e.kind for e in desk.store.events()].count(ev.ATTENDANCE_CHECKED_OUT) == 1


def test_a_participant_can_leave_after_a_facilitator_checked_them_in(run: tuple[Session, Desk]) -> None:
    lead, desk = run
    lead.check_in("bob")
    assert desk.check_out(JUBA, "bob", "a" * 32) is not None
    lead.refresh()
    assert not lead.attendance.is_in("bob")


# -- reflections ----------------------------------------------------------------------------------------


def test_the_current_prompt_is_the_current_steps(run: tuple[Session, Desk]) -> None:
    lead, desk = run
    prompt = desk.prompt()
    assert (prompt.key, prompt.text) == ("reflect/write", "What will you take away?")
    lead.next_step()
    moved = desk.prompt()
    assert moved.key == "reflect/share" and moved.text is None


def reflection_payload(desk: Desk) -> dict[str, Any]:
    last = desk.store.events()[-1]
    assert last.kind == ev.REFLECTION_LOGGED
    return last.payload


def test_an_anonymous_prompt_keeps_no_trace_of_the_writer(tmp_path: Path, fake_clock: FakeClock) -> None:
    _, desk = make_run(tmp_path, fake_clock, "anonymous")
    desk.reflect(HQ, "ada", "Useful", answering="reflect/write", show_name=True, submission="f" * 32)
    p = reflection_payload(desk)
    assert p["participant"] is None and "participant_id" not in p
    assert p["source"] == "qr" and p["location"] == "hq"
    reflection = desk.session.state.reflections["f" * 32]
    assert reflection.source == "qr" and reflection.participant_id is None


def test_a_named_prompt_takes_the_roster_name(tmp_path: Path, fake_clock: FakeClock) -> None:
    _, desk = make_run(tmp_path, fake_clock, "named")
    desk.reflect(HQ, "ada", "Useful", answering="reflect/write", consent=True, submission="1" * 32)
    p = reflection_payload(desk)
    assert (p["participant"], p["participant_id"], p["consent"]) == ("Ada Lovelace", "ada", True)


@pytest.mark.parametrize("show_name", [True, False])
def test_the_participant_chooses_when_the_prompt_lets_them(
    tmp_path: Path, fake_clock: FakeClock, show_name: bool
) -> None:
    _, desk = make_run(tmp_path, fake_clock, "participant-chooses")
    desk.reflect(HQ, "ada", "Useful", answering="reflect/write", show_name=show_name, submission="2" * 32)
    p = reflection_payload(desk)
    assert p["participant"] == ("Ada Lovelace" if show_name else None)
    assert p.get("participant_id") == ("ada" if show_name else None)


def test_a_reflection_for_a_prompt_no_longer_current_is_refused(run: tuple[Session, Desk]) -> None:
    lead, desk = run
    lead.next_step()
    lead.previous_step()  # back on the same prompt: fine again
    desk.reflect(HQ, "ada", "ok", answering="reflect/write", submission="3" * 32)
    lead.next_step()
    before = len(desk.store.events())
    with pytest.raises(PromptChanged) as caught:
        desk.reflect(HQ, "ada", "late", answering="reflect/write", submission="4" * 32)
    assert caught.value.now.key == "reflect/share"
    assert len(desk.store.events()) == before


def test_a_retried_reflection_is_stored_once_even_after_the_prompt_moved(run: tuple[Session, Desk]) -> None:
    lead, desk = run
    first = desk.reflect(HQ, "ada", "once", answering="reflect/write", submission="5" * 32)
    lead.next_step()
    again = desk.reflect(HQ, "ada", "once", answering="reflect/write", submission="5" * 32)
    assert again.id == first.id
    assert sum(e.kind == ev.REFLECTION_LOGGED for e in desk.store.events()) == 1


def test_log_reflection_refuses_an_unknown_source(run: tuple[Session, Desk]) -> None:
    lead, _ = run
    with pytest.raises(InputError, match="source"):
        lead.log_reflection("x", source="carrier-pigeon")


# -- requests to be added -------------------------------------------------------------------------------


def test_a_request_is_recorded_and_pending_until_decided(run: tuple[Session, Desk]) -> None:
    lead, desk = run
    desk.request_to_join(JUBA, " Fay ", "fay@example.org", "6" * 32)
    desk.request_to_join(JUBA, " Fay ", "fay@example.org", "6" * 32)  # a retry: stored once
    lead.refresh()
    pending = lead.attendance.requests.pending()
    assert [(r.id, r.name, r.email, r.location) for r in pending] == [("6" * 32, "Fay", "fay@example.org", "juba")]
    assert lead.attendance.requests.pending("hq") == []


def test_a_request_is_not_checked_against_the_roster(run: tuple[Session, Desk]) -> None:
    _, desk = run
    desk.request_to_join(HQ, "Someone", "ada@example.org", "7" * 32)  # no error: the page must not tell
    assert desk.store.events()[-1].kind == ev.PARTICIPANT_REQUESTED


@pytest.mark.parametrize(("name", "email"), [("", "x@example.org"), ("X", "not-an-email"), ("X\x1b[2J", "x@e.org")])
def test_a_bad_request_is_refused(run: tuple[Session, Desk], name: str, email: str) -> None:
    _, desk = run
    with pytest.raises(InputError):
        desk.request_to_join(HQ, name, email)


def test_a_second_request_with_the_same_email_while_one_waits_is_not_stored(run: tuple[Session, Desk]) -> None:
    lead, desk = run
    with desk.batch:  # two phones in one batch of the web app's: the second still sees the first
        first = desk.request_to_join(JUBA, "Fay", "fay@example.org", "1" * 32)
        second = desk.request_to_join(HQ, "Fay again", " FAY@Example.org ", "2" * 32)
    assert first is not None and second is None
    lead.refresh()
    assert [r.id for r in lead.attendance.requests.pending()] == ["1" * 32]
    lead.decide_request("1" * 32, approve=False)
    # Decided: a new request may be made.
    assert desk.request_to_join(JUBA, "Fay", "fay@example.org", "3" * 32) is not None


def test_approving_adds_a_walk_in_in_the_same_transaction(email_only_run: tuple[Session, Desk]) -> None:
    lead, desk = email_only_run
    desk.request_to_join(JUBA, "Fay", "fay@example.org", "8" * 32)
    written = lead.decide_request("8" * 32, approve=True)
    assert [e.kind for e in written] == [ev.PARTICIPANT_ADDED, ev.PARTICIPANT_REQUEST_DECIDED]
    added, decided = (e.payload for e in written)
    assert (added["name"], added["email"], added["location"], added["source"]) == (
        "Fay",
        "fay@example.org",
        "juba",
        "walk-in",
    )
    assert decided == {"request": "8" * 32, "decision": "approved", "participant": added["participant"]}
    assert lead.attendance.requests.pending() == []
    person = desk.identify("fay@example.org", "")
    assert person is not None and person.source == "walk-in"


def test_declining_adds_nobody(email_only_run: tuple[Session, Desk]) -> None:
    lead, desk = email_only_run
    desk.request_to_join(JUBA, "Fay", "fay@example.org", "9" * 32)
    written = lead.decide_request("9" * 32, approve=False)
    assert [e.payload for e in written] == [{"request": "9" * 32, "decision": "declined", "participant": None}]
    assert desk.identify("fay@example.org", "") is None
    assert lead.attendance.requests.by_id["9" * 32].decided_by == "lead"


def test_a_request_is_decided_once(run: tuple[Session, Desk], tmp_path: Path, fake_clock: FakeClock) -> None:
    lead, desk = run
    desk.request_to_join(JUBA, "Fay", "fay@example.org", "a" * 32)
    with Store.open(tmp_path / "run.db", clock=fake_clock) as other_store:
        other = Session(other_store, actor="co", role="co")
        lead.decide_request("a" * 32, approve=True)
        # The other facilitator's view predates the approval; the write lock still catches it.
        with pytest.raises(InputError, match="already"):
            other.decide_request("a" * 32, approve=True)
    with pytest.raises(InputError, match="already approved"):
        lead.decide_request("a" * 32, approve=False)
    assert sum(e.kind == ev.PARTICIPANT_ADDED and e.payload["name"] == "Fay" for e in lead.store.events()) == 1


def test_approving_an_email_already_on_the_roster_is_refused(run: tuple[Session, Desk]) -> None:
    lead, desk = run
    desk.request_to_join(JUBA, "Bob again", "BOB@example.org", "b" * 32)
    with pytest.raises(InputError, match="already on the roster"):
        lead.decide_request("b" * 32, approve=True)


def test_unknown_requests_observers_and_other_locations_are_refused(
    run: tuple[Session, Desk], tmp_path: Path, fake_clock: FakeClock
) -> None:
    lead, desk = run
    desk.request_to_join(JUBA, "Fay", "fay@example.org", "c" * 32)
    with pytest.raises(InputError, match="no request"):
        lead.decide_request("nope", approve=True)
    with Store.open(tmp_path / "run.db", clock=fake_clock) as store:
        with pytest.raises(NotAllowed):
            Session(store, actor="obs", role=OBSERVER).decide_request("c" * 32, approve=True)
        with pytest.raises(NotAllowed):
            Session(store, actor="co", role="co", location="hq", own_location_only=True).decide_request(
                "c" * 32, approve=True
            )


# -- the language of a question, and the way back to one's page ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("What will you take away?", "en"),
        ("How will gender analysis change your next budget?", "en"),
        ("Qu’allez-vous changer dans votre travail\u202f?", "fr"),
        ("Quelles sont les priorités de votre mission ?", "fr"),
        ("Headquarters", None),  # too little to tell: the page's own language stands
        ("Aïssata Traoré", None),
        ("", None),
        (None, None),
    ],
)
def test_a_questions_language_is_told_only_when_it_is_clear(text: str | None, language: str | None) -> None:
    from facilitator.participant_page.languages import language_of

    assert language_of(text) == language


def test_the_prompt_says_its_language_and_a_past_step_its_question(run: tuple[Session, Desk]) -> None:
    _, desk = run
    assert desk.prompt().language == "en"
    assert desk.question_of("reflect/write") == "What will you take away?"
    assert desk.question_of("reflect/share") is None  # a step without a question
    assert desk.question_of("nowhere/at-all") is None and desk.question_of("") is None


def test_own_token_is_todays_link_for_an_identity_that_still_holds(
    run: tuple[Session, Desk], fake_clock: FakeClock
) -> None:
    _, desk = run
    today = fake_clock.now().date().isoformat()
    now = tokens.issue(desk.settings, desk.programme, "hq", fake_clock.now()).code
    assert desk.own_token("ada", "hq", today, 0) == now
    assert desk.own_token("ada", "hq", "2022-08-21", 0) is None  # yesterday's identity
    assert desk.own_token("ada", "hq", today, 1) is None  # a generation signed out, or never made
    assert desk.own_token("nobody", "hq", today, 0) is None  # not on the roster
    assert desk.own_token("ada", "atlantis", today, 0) is None  # no such location
    desk.sign_out("ada")
    assert desk.own_token("ada", "hq", today, 0) is None
