"""The participant page under abuse (issue 23), in-process: who may identify how, and how often; whose address
counts; join requests; identities that end when their owner signs out and hold for one location's links only.

Every test here fails when its defence is taken away; the slow-client defences of the server itself (a deadline
and a size limit for a request's head) are in tests/test_web_protocol.py.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from facilitator.live.session import Session
from facilitator.participant_page import tokens
from facilitator.participant_page.web.app import FAILED_CODE_ONLY, FAILED_PER_EMAIL, JOIN_REQUESTS, create_app
from facilitator.participant_page.web.security import BodyLimit, parse_proxies
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import TINY_PROGRAMME
from tests.test_web_routes import field, form_of, identify

DAY1 = date(2022, 8, 22)
ADA = "K7QX2-MN4PA"


def make_lead(tmp_path: Path, clock: FakeClock, *, email_only: bool = False) -> Session:
    raw: dict[str, Any] = copy.deepcopy(TINY_PROGRAMME)
    if email_only:
        raw["workshop"]["participant_page"] = {"email_only": True}
    store = Store.create(tmp_path / "run.db", Programme.validate(raw), actor="lead", clock=clock)
    lead = Session(store, actor="lead")
    lead.add_participant("Ada Lovelace", "ada@example.org", "hq", participant_id="ada", code=ADA)
    lead.add_participant("Bob Marley", "bob@example.org", "juba", participant_id="bob")  # no code
    lead.enter_step("reflect", "write", on=DAY1)
    return lead


@pytest.fixture
def lead(tmp_path: Path, fake_clock: FakeClock) -> Iterator[Session]:
    session = make_lead(tmp_path, fake_clock)
    yield session
    session.store.close()


def token(lead: Session, clock: FakeClock, location: str = "hq") -> str:
    return tokens.issue(tokens.load_settings(lead.store), lead.store.programme(), location, clock.now()).code


def app_for(lead: Session, clock: FakeClock, **options: Any) -> Any:
    return create_app(lead.store.path, clock=clock, **({"rate": 0} | options))


def check_ins(lead: Session) -> list[tuple[str, str]]:
    return [
        (e.payload["participant"], e.payload.get("location", ""))
        for e in lead.store.events()
        if e.kind == ev.ATTENDANCE_CHECKED_IN
    ]


# -- identification: the code, not the e-mail ------------------------------------------------------------


def test_by_default_the_page_asks_for_the_code_and_an_email_alone_identifies_nobody(
    lead: Session, fake_clock: FakeClock
) -> None:
    hq = token(lead, fake_clock)
    with TestClient(app_for(lead, fake_clock), follow_redirects=False) as client:
        page = client.get(f"/p/{hq}")
        assert "Give the personal code you received with your invitation" in page.text
        assert 'name="code" type="text"' in page.text and 'maxlength="64" required' in page.text
        refused = identify(client, hq, email="bob@example.org")  # on the roster, without a code
        assert refused.status_code == 200 and "could not match" in refused.text
        assert identify(client, hq, email="ada@example.org").status_code == 200
        assert identify(client, hq, code=ADA.lower()).status_code == 303  # a long code alone is enough
    assert check_ins(lead) == [("ada", "hq")]


def test_a_workshop_may_let_people_without_a_code_identify_by_email(tmp_path: Path, fake_clock: FakeClock) -> None:
    lead = make_lead(tmp_path, fake_clock, email_only=True)
    hq = token(lead, fake_clock)
    with TestClient(app_for(lead, fake_clock), follow_redirects=False) as client:
        page = client.get(f"/p/{hq}")
        assert "or the personal code you received, or both" in page.text and 'maxlength="64" required' not in page.text
        assert identify(client, hq, email="BOB@example.org").status_code == 303
        client.cookies.clear()
        assert identify(client, hq, email="ada@example.org").status_code == 200  # she has a code: it is needed
    assert check_ins(lead) == [("bob", "hq")]


def test_a_persons_code_cannot_be_guessed_from_many_addresses(lead: Session, fake_clock: FakeClock) -> None:
    hq = token(lead, fake_clock)
    app = app_for(lead, fake_clock)  # the page's own limits
    tries = int(FAILED_PER_EMAIL[1])
    assert tries <= 10 and FAILED_PER_EMAIL[0] <= 1 / 60  # ten tries, then one a minute at most
    statuses = []
    for guess in range(tries + 2):  # each guess from an address of its own: the per-address limit never bites
        with TestClient(app, follow_redirects=False, client=(f"10.0.0.{guess}", 40000)) as phone:
            statuses.append(identify(phone, hq, email="ADA@example.org ", code=f"WRONG-{guess:05d}").status_code)
    assert statuses == [200] * tries + [429] * 2
    with TestClient(app, follow_redirects=False, client=("10.9.9.9", 40000)) as phone:
        locked = identify(phone, hq, email="ada@example.org", code=ADA)  # even the right code waits now
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
        # Another person's e-mail is not held up; and an unknown e-mail is counted just the same, so the
        # refusal says nothing about who is on the roster.
        assert identify(phone, hq, email="bob@example.org", code="NOPE-NOPE-1").status_code == 200
    for guess in range(tries + 1):
        with TestClient(app, follow_redirects=False, client=(f"10.1.0.{guess}", 40000)) as phone:
            answer = identify(phone, hq, email="nobody@example.org", code=f"WRONG-{guess:05d}")
    assert answer.status_code == 429
    assert check_ins(lead) == []


def test_codes_alone_cannot_be_tried_from_many_addresses(lead: Session, fake_clock: FakeClock) -> None:
    hq = token(lead, fake_clock)
    app = app_for(lead, fake_clock, trusted_proxies=parse_proxies(["127.0.0.1"]))  # the page's own limits
    tries = int(FAILED_CODE_ONLY[1])
    assert FAILED_CODE_ONLY[0] <= 1.0  # then one a second at most, whatever the number of addresses
    with TestClient(app, follow_redirects=False, client=("127.0.0.1", 40000)) as proxy:
        statuses = []
        started = time.monotonic()
        for guess in range(tries + 60):  # each from a phone of its own behind the proxy, until refused
            proxy.headers["x-forwarded-for"] = f"10.{guess // 250}.{guess % 250}.1"
            statuses.append(identify(proxy, hq, code=f"GUESS-{guess:06d}").status_code)
            if statuses[-1] == 429:
                break
        elapsed = time.monotonic() - started
        # The burst, then refused: at most one more try for each second the tries took (the bucket refills
        # at one a second, in real time, and a loaded machine takes a few seconds for three hundred).
        assert statuses[-1] == 429 and set(statuses[:-1]) == {200}
        assert tries <= len(statuses) - 1 <= tries + FAILED_CODE_ONLY[0] * elapsed + 1
        proxy.headers["x-forwarded-for"] = "10.200.0.1"
        busy = identify(proxy, hq, code=ADA)  # the right code alone waits too...
        assert busy.status_code == 429 and "Give your e-mail address with your code" in busy.text
        assert identify(proxy, hq, email="ada@example.org", code=ADA).status_code == 303  # ...with her e-mail, not
    assert check_ins(lead) == [("ada", "hq")]


# -- whose address counts ---------------------------------------------------------------------------------


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(lead: Session, fake_clock: FakeClock) -> None:
    def statuses(app: Any, peer: str, forwarded: list[str]) -> list[int]:
        with TestClient(app, client=(peer, 40000)) as client:
            return [client.get("/", headers={"x-forwarded-for": f}).status_code for f in forwarded]

    phones = [f"10.2.0.{i}" for i in range(4)]
    # Not trusted: changing X-Forwarded-For on every request buys nothing, the peer's bucket empties.
    untrusted = app_for(lead, fake_clock, rate=0.01, burst=2)
    assert statuses(untrusted, "127.0.0.1", phones) == [200, 200, 429, 429]
    # From the proxy the page was told to trust, each phone behind it has its own bucket.
    trusted = app_for(lead, fake_clock, rate=0.01, burst=2, trusted_proxies=parse_proxies(["127.0.0.1"]))
    assert statuses(trusted, "127.0.0.1", phones * 2) == [200] * 8
    assert statuses(trusted, "127.0.0.1", ["10.2.0.0"]) == [429]  # its third request
    # Anyone else's X-Forwarded-For is still theirs to waste.
    assert statuses(trusted, "192.0.2.7", phones) == [200, 200, 429, 429]


def test_the_client_is_the_first_untrusted_address_from_the_right(lead: Session, fake_clock: FakeClock) -> None:
    trusted = app_for(lead, fake_clock, rate=0.01, burst=1, trusted_proxies=parse_proxies(["127.0.0.1", "10.0.0.0/8"]))
    with TestClient(trusted, client=("127.0.0.1", 40000)) as client:

        def status(forwarded: str) -> int:
            return client.get("/", headers={"x-forwarded-for": forwarded}).status_code

        # A phone that writes its own X-Forwarded-For before the proxies append theirs gains nothing by it.
        assert status("6.6.6.6, 198.51.100.1, 10.0.0.2") == 200
        assert status("7.7.7.7, 198.51.100.1, 10.0.0.2") == 429  # the same phone: 198.51.100.1
        assert status("198.51.100.2") == 200
        assert status("::ffff:198.51.100.2") == 429  # an IPv4 address written as IPv6 is the same address
        assert status("garbage, 198.51.100.3") == 200  # the nearest address is what counts
        assert status("198.51.100.4, garbage") == 200  # a proxy that writes garbage: the peer counts...
        assert status("198.51.100.5, garbage") == 429  # ...whatever came before it
        assert status("10.0.0.5, 10.0.0.6") == 200  # proxies all the way: the furthest one


def test_https_from_a_trusted_proxy_marks_the_cookie_secure(lead: Session, fake_clock: FakeClock) -> None:
    trusted = app_for(lead, fake_clock, trusted_proxies=parse_proxies(["127.0.0.1"]))
    with TestClient(trusted, client=("127.0.0.1", 40000)) as client:
        assert "Secure" in client.get("/", headers={"x-forwarded-proto": "https"}).headers["set-cookie"]
    with TestClient(trusted, client=("192.0.2.7", 40000)) as client:
        assert "Secure" not in client.get("/", headers={"x-forwarded-proto": "https"}).headers["set-cookie"]


# -- join requests ---------------------------------------------------------------------------------------


def ask(client: TestClient, hq: str, email: str, name: str = "Fay Newcomer") -> Any:
    page = client.get(f"/p/{hq}")
    data = {"csrf": field(page.text, "csrf"), "sid": field(page.text, "sid", 1), "name": name, "email": email}
    return client.post(f"/p/{hq}/join-request", data=data)


def requests_stored(lead: Session) -> list[str]:
    return [e.payload["email"] for e in lead.store.events() if e.kind == ev.PARTICIPANT_REQUESTED]


def test_join_requests_are_limited_per_client(lead: Session, fake_clock: FakeClock) -> None:
    hq = token(lead, fake_clock)
    app = app_for(lead, fake_clock)  # the page's own limits
    burst = int(JOIN_REQUESTS[1])
    assert burst <= 10 and JOIN_REQUESTS[0] <= 1 / 30  # a room's walk-ins at once, then one every half minute
    with TestClient(app, follow_redirects=False, client=("10.3.0.1", 40000)) as client:
        answers = [ask(client, hq, f"walk{i}@example.org").status_code for i in range(burst + 2)]
        assert answers == [303] * burst + [429, 429]
        refused = ask(client, hq, "walk9@example.org")
        assert "Too many requests from here" in refused.text and int(refused.headers["retry-after"]) >= 1
    with TestClient(app, follow_redirects=False, client=("10.3.0.2", 40000)) as other:
        assert ask(other, hq, "walk99@example.org").status_code == 303  # another address, its own limit
    assert len(requests_stored(lead)) == burst + 1


def test_a_second_request_with_the_same_email_is_not_stored_and_answers_the_same(
    lead: Session, fake_clock: FakeClock
) -> None:
    hq = token(lead, fake_clock)
    with TestClient(app_for(lead, fake_clock), follow_redirects=False) as client:
        first = ask(client, hq, "fay@example.org")
        again = ask(client, hq, " FAY@example.org", name="Fay N.")  # a new form: another submission id
        on_roster = ask(client, hq, "ada@example.org", name="Ada")
        for answer in (first, again, on_roster):
            assert answer.status_code == 303 and answer.headers["location"] == f"/p/{hq}?lang=en&done=request"
            assert "set-cookie" not in answer.headers
    assert requests_stored(lead) == ["fay@example.org", "ada@example.org"]


# -- identities: until signed out, one location's links -------------------------------------------------------


def test_signing_out_revokes_the_identity_a_copied_cookie_carries(lead: Session, fake_clock: FakeClock) -> None:
    hq = token(lead, fake_clock)
    app = app_for(lead, fake_clock)
    with TestClient(app, follow_redirects=False) as phone, TestClient(app, follow_redirects=False) as thief:
        assert identify(phone, hq, email="ada@example.org", code=ADA).status_code == 303
        copied = phone.cookies["fp"]
        thief.cookies.set("fp", copied)
        assert "Signed in as Ada Lovelace" in thief.get(f"/p/{hq}").text  # the copy works, until...
        page = phone.get(f"/p/{hq}")
        assert phone.post(f"/p/{hq}/forget", data={"csrf": field(page.text, "csrf")}).status_code == 303
        assert "Who are you?" in phone.get(f"/p/{hq}").text
        # ...she signs out: the copy is nobody now, on every route.
        page = thief.get(f"/p/{hq}")
        assert "Who are you?" in page.text and "Ada" not in page.text
        lead.check_out("ada", "facilitator")
        before = check_ins(lead)
        forged = thief.post(f"/p/{hq}/check-in", data={"csrf": field(page.text, "csrf"), "sid": "f" * 32})
        assert forged.status_code == 303 and "done" not in forged.headers["location"]
        reflected = thief.post(
            f"/p/{hq}/reflect",
            data={"csrf": field(page.text, "csrf"), "sid": "e" * 32, "answering": "reflect/write", "text": "x"},
        )
        assert reflected.status_code == 409 and "Who are you?" in reflected.text  # the text given back, not stored
        assert check_ins(lead) == before
        assert not [e for e in lead.store.events() if e.kind == ev.REFLECTION_LOGGED]
        # She can sign in again, and that new identity works.
        assert identify(phone, hq, email="ada@example.org", code=ADA).status_code == 303
        assert "Signed in as Ada Lovelace" in phone.get(f"/p/{hq}").text


def test_an_identity_made_on_one_locations_link_does_not_sign_in_on_anothers(
    lead: Session, fake_clock: FakeClock
) -> None:
    hq, juba = token(lead, fake_clock, "hq"), token(lead, fake_clock, "juba")
    with TestClient(app_for(lead, fake_clock), follow_redirects=False) as client:
        assert identify(client, hq, email="ada@example.org", code=ADA).status_code == 303
        assert "Signed in as Ada Lovelace" in client.get(f"/p/{hq}").text
        elsewhere = client.get(f"/p/{juba}")
        assert "Who are you?" in elsewhere.text and "Ada" not in elsewhere.text
        lead.check_out("ada", "facilitator")
        before = check_ins(lead)
        data = form_of(client, f"/p/{juba}")
        posted = client.post(f"/p/{juba}/check-in", data=data)
        assert posted.status_code == 303 and "done" not in posted.headers["location"]
        assert check_ins(lead) == before  # no check-in at Juba on the headquarters' identity
        # Identifying again on Juba's link is how to be checked in there.
        assert identify(client, juba, email="ada@example.org", code=ADA).status_code == 303
    assert check_ins(lead)[-1] == ("ada", "juba")


# -- a body that never comes -----------------------------------------------------------------------------


def test_a_body_that_takes_too_long_is_refused_with_408() -> None:
    reached: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)

    async def trickle() -> dict[str, Any]:
        await asyncio.sleep(0.05)
        return {"type": "http.request", "body": b"x", "more_body": True}  # a byte at a time, for ever

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/p/x/reflect", "headers": []}
    # Bounded here too: without the body's deadline the trickle would never end, and the test must fail, not hang.
    asyncio.run(asyncio.wait_for(BodyLimit(app, timeout=0.3)(scope, trickle, send), timeout=5))
    assert sent[0]["status"] == 408 and not reached
