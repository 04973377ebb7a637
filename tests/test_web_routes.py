"""Every route of the participant page and every refusal, through httpx (Starlette's TestClient) on a real run file."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest
from starlette.testclient import TestClient

from facilitator.live.session import Session
from facilitator.participant_page import tokens
from facilitator.participant_page.web.app import create_app
from facilitator.participant_page.web.security import CookieJar, Visitor
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme

DAY1 = date(2022, 8, 22)
ADA = "K7Q2-XY89"  # personal codes: by default the page asks for one
BOB = "BOB2-CODE-77"
EVE = "EVE3-CODE-88"
SCRIPT = "<script>alert('x')</script>[bold red]boom[/] \x1b[2J <b>bold</b> &amp;"


@pytest.fixture
def lead(run_store: Store, tiny_programme: Programme) -> Session:
    session = Session(run_store, actor="lead")
    session.add_participant("Ada Lovelace", "ada@example.org", "hq", participant_id="ada", code=ADA)
    session.add_participant("Bob Marley", "bob@example.org", "juba", participant_id="bob", code=BOB)
    session.add_participant("<b>Eve</b> [red]x[/]", "eve@example.org", "hq", participant_id="eve", code=EVE)
    session.add_participant("Cy Nocode", "cy@example.org", "hq", participant_id="cy")
    session.enter_step("reflect", "write", on=DAY1)
    return session


@pytest.fixture
def client(lead: Session, fake_clock: FakeClock) -> Iterator[TestClient]:
    app = create_app(lead.store.path, clock=fake_clock, rate=0)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def code_for(store: Store, location: str, clock: FakeClock, *, at_offset: timedelta = timedelta()) -> str:
    settings = tokens.load_settings(store)
    return tokens.issue(settings, store.programme(), location, clock.now() + at_offset).code


@pytest.fixture
def hq(lead: Session, fake_clock: FakeClock) -> str:
    return code_for(lead.store, "hq", fake_clock)


def field(html: str, name: str, index: int = 0) -> str:
    values: list[str] = re.findall(rf'name="{name}" value="([^"]*)"', html)
    return values[index]


def form_of(client: TestClient, path: str, **fields: str) -> dict[str, str]:
    page = client.get(path)
    return {"csrf": field(page.text, "csrf"), "sid": field(page.text, "sid"), **fields}


def identify(client: TestClient, token: str, email: str = "", code: str = "") -> httpx.Response:
    data = form_of(client, f"/p/{token}", email=email, code=code)
    return client.post(f"/p/{token}/identify", data=data)


def kinds(store: Store) -> list[str]:
    return [e.kind for e in store.events()]


# -- every response ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/healthz", "/static/page.css", "/nowhere", "/p/aaaabbbbcccc"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    csp = response.headers["content-security-policy"]
    for part in ("default-src 'none'", "style-src 'self'", "form-action 'self'", "frame-ancestors 'none'"):
        assert part in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_the_cookie_is_http_only_and_same_site_strict(client: TestClient) -> None:
    cookie = client.get("/").headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie


def test_healthz_and_static_files(client: TestClient) -> None:
    assert client.get("/healthz").text == "ok"
    css = client.get("/static/page.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/static/page.js").status_code == 200
    page = client.get("/")
    # Nothing fetched from elsewhere: the host may have no internet.
    assert not re.search(r'(src|href)="(https?:)?//', page.text)


def test_an_unknown_path_is_a_plain_404(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404 and "Page not found" in response.text


# -- typed code -------------------------------------------------------------------------------------


def test_the_code_typed_from_the_screen_leads_to_the_page(client: TestClient, hq: str) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "abcd-efgh-ijkl" in page.text
    typed = tokens.format_typed(hq).upper()
    response = client.post("/go", data={"csrf": field(page.text, "csrf"), "code": typed})
    assert response.status_code == 303
    assert response.headers["location"] == f"/p/{hq}?lang=en"
    assert client.get(response.headers["location"]).status_code == 200


def test_a_typed_code_that_cannot_be_one_is_refused(client: TestClient) -> None:
    page = client.get("/")
    response = client.post("/go", data={"csrf": field(page.text, "csrf"), "code": "hello"})
    assert response.status_code == 400 and "twelve letters" in response.text


# -- tokens -----------------------------------------------------------------------------------------


def test_bad_expired_future_and_forged_tokens_are_refused(
    client: TestClient, lead: Session, fake_clock: FakeClock, hq: str
) -> None:
    tomorrow = code_for(lead.store, "hq", fake_clock, at_offset=timedelta(days=1))
    forged = tokens.issue(
        tokens.PageSettings(secret=b"forged" * 6), lead.store.programme(), "hq", fake_clock.now()
    ).code
    for token in ("aaaabbbbcccc", "not-a-token", tomorrow, forged):
        response = client.get(f"/p/{token}")
        assert response.status_code == 404, token
        assert "does not work" in response.text
        assert client.get(f"/p/{token}/now.json").status_code == 404
    assert client.get(f"/p/{hq}").status_code == 200
    fake_clock.advance(timedelta(minutes=36))  # one period and its grace later
    assert client.get(f"/p/{hq}").status_code == 404


def test_posting_with_an_expired_token_is_refused_and_writes_nothing(
    client: TestClient, lead: Session, fake_clock: FakeClock, hq: str
) -> None:
    data = form_of(client, f"/p/{hq}", email="bob@example.org", code=BOB)
    fake_clock.advance(timedelta(hours=1))
    before = kinds(lead.store)
    assert client.post(f"/p/{hq}/identify", data=data).status_code == 404
    assert kinds(lead.store) == before


# -- identification and check-in -----------------------------------------------------------------------


def test_the_identify_page_lists_nobody(client: TestClient, hq: str) -> None:
    page = client.get(f"/p/{hq}")
    assert "Who are you?" in page.text and "Headquarters" in page.text
    for private in ("Ada", "Bob", "Eve", "example.org"):
        assert private not in page.text


def test_identifying_checks_in_and_keeps_identity_in_the_cookie_only(
    client: TestClient, lead: Session, hq: str
) -> None:
    response = identify(client, hq, email="ADA@example.org", code="k7q2 xy89")
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == f"/p/{hq}?lang=en&done=checkin"  # nothing personal in the URL
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Max-Age=36000" in cookie  # until midnight in the workshop's zone
    body = client.cookies["fp"].split(".")[0]
    carried = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert carried.keys() == {"n", "p", "d", "l", "g"} and carried["p"] == "ada"  # an opaque id: no name, no e-mail
    assert (carried["d"], carried["l"], carried["g"]) == ("2022-08-22", "hq", 0)  # this day, this location's links
    page = client.get(location)
    assert "You are checked in (at 08:00)." in page.text  # New York time
    assert "What will you take away?" in page.text
    last = lead.store.events()[-1]
    assert last.kind == ev.ATTENDANCE_CHECKED_IN
    assert (last.payload["participant"], last.payload["source"], last.payload["location"]) == ("ada", "qr", "hq")


def test_checking_in_again_says_already_and_writes_nothing(
    client: TestClient, lead: Session, hq: str, fake_clock: FakeClock
) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    before = kinds(lead.store)
    fake_clock.advance(timedelta(minutes=3))
    response = identify(client, hq, email="bob@example.org", code=BOB)
    page = client.get(response.headers["location"].replace("&done=checkin", ""))
    assert "already checked in (since 08:00)" in page.text
    assert kinds(lead.store) == before


def test_an_unknown_email_gets_the_same_answer_as_a_known_one_with_a_wrong_code(
    client: TestClient, lead: Session, hq: str
) -> None:
    before = kinds(lead.store)
    unknown = identify(client, hq, email="nobody@example.org", code=ADA)
    wrong = identify(client, hq, email="ada@example.org", code="wrong")
    missing = identify(client, hq, email="ada@example.org", code="")
    assert unknown.status_code == wrong.status_code == missing.status_code == 200

    def normalised(response: httpx.Response, email: str) -> str:
        text = response.text.replace(email, "EMAIL")
        return re.sub(r'name="sid" value="[0-9a-f]{32}"', "SID", text)

    assert normalised(unknown, "nobody@example.org") == normalised(wrong, "ada@example.org")
    assert normalised(wrong, "ada@example.org") == normalised(missing, "ada@example.org")
    assert "could not match" in unknown.text and "Ask to be added" in unknown.text
    assert "set-cookie" not in unknown.headers and "set-cookie" not in wrong.headers
    assert kinds(lead.store) == before


@pytest.mark.parametrize("email", ["cy@example.org", "ada@example.org", "nobody@example.org", ""])
@pytest.mark.parametrize("code", ["ééé", "K7Q2XY89é", "☃", "\x00é", "éééééééééé"])
def test_a_personal_code_of_any_characters_gets_the_ordinary_refusal(
    client: TestClient, lead: Session, hq: str, email: str, code: str
) -> None:
    # Cy has no code, Ada has one, nobody is not on the roster: each compares the code its own way.
    before = kinds(lead.store)
    response = identify(client, hq, email=email, code=code)
    assert response.status_code == 200 and "could not match" in response.text
    assert kinds(lead.store) == before


def test_the_check_in_button_checks_in_again_after_a_check_out(client: TestClient, lead: Session, hq: str) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    lead.check_out("bob", "facilitator")
    page = client.get(f"/p/{hq}")
    assert "You are checked out (since 08:00)." in page.text
    response = client.post(f"/p/{hq}/check-in", data={"csrf": field(page.text, "csrf"), "sid": field(page.text, "sid")})
    assert response.status_code == 303
    lead.refresh()
    assert lead.attendance.is_in("bob", "qr")


def test_the_check_in_button_needs_an_identity(client: TestClient, lead: Session, hq: str) -> None:
    data = form_of(client, f"/p/{hq}")
    before = kinds(lead.store)
    response = client.post(f"/p/{hq}/check-in", data=data)
    assert response.status_code == 303 and "done" not in response.headers["location"]
    assert kinds(lead.store) == before


def test_signing_out_forgets_who_they_are(client: TestClient, hq: str) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    page = client.get(f"/p/{hq}")
    assert "Signed in as Bob Marley" in page.text
    response = client.post(f"/p/{hq}/forget", data={"csrf": field(page.text, "csrf")})
    assert response.status_code == 303
    assert "Who are you?" in client.get(f"/p/{hq}").text


def test_an_identity_is_for_its_day_only(client: TestClient, lead: Session, fake_clock: FakeClock, hq: str) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    fake_clock.advance(timedelta(days=1))
    tomorrow = code_for(lead.store, "hq", fake_clock)
    assert "Who are you?" in client.get(f"/p/{tomorrow}").text


def test_a_tampered_cookie_is_ignored(client: TestClient, hq: str) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    value = client.cookies["fp"]
    body, mac = value.split(".")
    client.cookies.clear()
    client.cookies.set("fp", f"{body}x.{mac}")
    assert "Who are you?" in client.get(f"/p/{hq}").text


@pytest.mark.parametrize(
    "cookie", [b"fp=a.\xc3\xa9", b"fp=a.\xe9", b"fp=\xc3\xa9.\xc3\xa9", b"fp=a.\xe2\x98\x83", b"fp=\xe9\xe9\xe9"]
)
def test_a_cookie_of_any_characters_is_an_unknown_visitor(
    client: TestClient, lead: Session, hq: str, cookie: bytes
) -> None:
    stranger = TestClient(client.app, follow_redirects=False)
    page = stranger.get(f"/p/{hq}", headers={"cookie": cookie})
    assert page.status_code == 200 and "Who are you?" in page.text
    assert "set-cookie" in page.headers  # a new visitor gets a cookie of their own
    before = kinds(lead.store)
    data = {"csrf": field(page.text, "csrf"), "sid": field(page.text, "sid")}
    refused = stranger.post(f"/p/{hq}/check-in", data=data, headers={"cookie": cookie})
    assert refused.status_code == 403 and "This form has expired" in refused.text
    assert kinds(lead.store) == before


@pytest.mark.parametrize("value", ["a.é", "é.é", "a.☃", "é" * 3, "\udcff.\ud800"])
def test_the_cookie_jar_reads_a_cookie_of_any_characters_as_nobody(value: str) -> None:
    jar = CookieJar(b"s" * 32)
    assert jar.read(value) is None
    assert not jar.csrf_ok(Visitor("n"), value)


# -- check-out ----------------------------------------------------------------------------------------


def leave(client: TestClient, token: str, lang: str = "en") -> tuple[dict[str, str], httpx.Response]:
    """Press "I'm leaving" on the page as it is now; the form sent, and the answer."""
    data = form_of(client, f"/p/{token}?lang={lang}")
    return data, client.post(f"/p/{token}/check-out?lang={lang}", data=data)


def test_im_leaving_checks_out_and_the_register_shows_when(
    client: TestClient, lead: Session, hq: str, fake_clock: FakeClock
) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    page = client.get(f"/p/{hq}")
    assert "I’m leaving" in page.text and f'action="/p/{hq}/check-out?lang=en"' in page.text
    fake_clock.advance(timedelta(minutes=90))
    later = code_for(lead.store, "hq", fake_clock)  # the screen's code has changed; the identity holds all day
    _, response = leave(client, later)
    assert response.status_code == 303
    assert response.headers["location"] == f"/p/{later}?lang=en&done=checkout"
    page = client.get(response.headers["location"])
    assert "You are checked out (since 09:30). Check in again when you are back." in page.text
    assert "I’m leaving" not in page.text and f'action="/p/{later}/check-in?lang=en"' in page.text
    last = lead.store.events()[-1]
    assert last.kind == ev.ATTENDANCE_CHECKED_OUT
    assert (last.payload["participant"], last.payload["source"]) == ("bob", "qr")
    lead.refresh()
    assert not lead.attendance.is_in("bob")
    (interval,) = lead.attendance.intervals("bob")
    assert interval.end == fake_clock.now() == interval.start + timedelta(minutes=90)


def test_checking_out_twice_is_harmless(client: TestClient, lead: Session, hq: str, fake_clock: FakeClock) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    fake_clock.advance(timedelta(minutes=10))
    data, _ = leave(client, hq)
    after_one = kinds(lead.store)
    fake_clock.advance(timedelta(minutes=5))
    retried = client.post(f"/p/{hq}/check-out", data=data)  # the same form again: a retry, stored once
    assert retried.status_code == 303 and retried.headers["location"].endswith("done=checkout")
    _, again = leave(client, hq)  # a fresh press (another tab): they are out already
    assert again.status_code == 409
    assert "You were not checked in, so there was nothing to check out." in again.text
    assert "You are checked out (since 08:10)." in again.text  # the first check-out's time stands
    assert kinds(lead.store) == after_one


def test_they_can_check_in_again_after_leaving(
    client: TestClient, lead: Session, hq: str, fake_clock: FakeClock
) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    fake_clock.advance(timedelta(minutes=10))
    data, _ = leave(client, hq)
    fake_clock.advance(timedelta(minutes=10))
    response = client.post(f"/p/{hq}/check-in", data=form_of(client, f"/p/{hq}"))
    page = client.get(response.headers["location"])
    assert "You are checked in (at 08:20)." in page.text and "I’m leaving" in page.text
    # A late retry of the earlier check-out is that check-out, landed already: it does not end the new stay.
    assert client.post(f"/p/{hq}/check-out", data=data).status_code == 303
    lead.refresh()
    assert lead.attendance.is_in("bob", "qr")
    assert [(iv.start, iv.end) for iv in lead.attendance.intervals("bob")] == [
        (fake_clock.now() - timedelta(minutes=20), fake_clock.now() - timedelta(minutes=10)),
        (fake_clock.now(), None),
    ]


def test_leaving_when_a_facilitator_checked_them_out_says_so(client: TestClient, lead: Session, hq: str) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    data = form_of(client, f"/p/{hq}")  # the page still shows "I'm leaving"
    lead.check_out("bob", "facilitator")
    before = kinds(lead.store)
    response = client.post(f"/p/{hq}/check-out", data=data)
    assert (
        response.status_code == 409 and "You were not checked in, so there was nothing to check out." in response.text
    )
    assert 'role="alert">' in response.text and "autofocus" in response.text  # the summary, read out and focused
    assert kinds(lead.store) == before


def test_leaving_needs_an_identity(client: TestClient, lead: Session, hq: str) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    stranger = TestClient(client.app, follow_redirects=False)
    before = kinds(lead.store)
    _, response = leave(stranger, hq)
    assert response.status_code == 303 and "done" not in response.headers["location"]
    assert kinds(lead.store) == before
    lead.refresh()
    assert lead.attendance.is_in("bob")


def test_leaving_in_french(client: TestClient, hq: str) -> None:
    data = form_of(client, f"/p/{hq}?lang=fr", email="bob@example.org", code=BOB)
    page = client.get(client.post(f"/p/{hq}/identify?lang=fr", data=data).headers["location"])
    assert "Je pars" in page.text and "Vous partez\u202f?" in page.text
    _, response = leave(client, hq, lang="fr")
    page = client.get(response.headers["location"])
    assert "Votre départ est enregistré (à 08:00)." in page.text
    assert 'role="status"' in page.text and "Enregistrer ma présence" in page.text


# -- CSRF and size ------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["identify", "check-in", "check-out", "reflect", "answer", "join-request", "forget"])
def test_a_missing_or_wrong_csrf_token_is_refused(client: TestClient, lead: Session, hq: str, route: str) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    good = form_of(client, f"/p/{hq}", email="bob@example.org", text="hi", answering="reflect/write", name="X")
    before = kinds(lead.store)
    for data in ({k: v for k, v in good.items() if k != "csrf"}, {**good, "csrf": "0" * 32}):
        response = client.post(f"/p/{hq}/{route}", data=data)
        assert response.status_code == 403, data
        assert "The form had expired, so nothing was recorded." in response.text
    # A token is only good with the cookie it was made for.
    other = TestClient(client.app, follow_redirects=False)
    other.get("/")
    assert other.post(f"/p/{hq}/{route}", data=good).status_code == 403
    assert kinds(lead.store) == before


def test_go_needs_a_csrf_token(client: TestClient, hq: str) -> None:
    client.get("/")
    assert client.post("/go", data={"code": hq}).status_code == 403


def test_an_oversized_body_is_refused_before_it_is_read(client: TestClient, lead: Session, hq: str) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    data = form_of(client, f"/p/{hq}", answering="reflect/write", text="x" * 20_000)
    before = kinds(lead.store)
    response = client.post(f"/p/{hq}/reflect", data=data)
    assert response.status_code == 413
    assert kinds(lead.store) == before

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(40):
            yield b"text=" + b"y" * 1000

    streamed = client.post(
        f"/p/{hq}/reflect", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert streamed.status_code == 413
    assert kinds(lead.store) == before


# -- reflections --------------------------------------------------------------------------------------


def test_a_reflection_is_logged_with_source_qr(client: TestClient, lead: Session, hq: str) -> None:
    identify(client, hq, email="ada@example.org", code=ADA)
    data = form_of(client, f"/p/{hq}", answering="reflect/write", text="  Useful day  ", consent="1", show_name="1")
    response = client.post(f"/p/{hq}/reflect", data=data)
    assert response.status_code == 303 and response.headers["location"].endswith("done=reflection")
    assert "Thank you" in client.get(response.headers["location"]).text
    p = lead.store.events()[-1].payload
    assert (p["text"], p["consent"], p["source"], p["participant"], p["participant_id"], p["location"]) == (
        "Useful day",
        True,
        "qr",
        "Ada Lovelace",
        "ada",
        "hq",
    )


def test_a_retried_reflection_post_is_stored_once(client: TestClient, lead: Session, hq: str) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    data = form_of(client, f"/p/{hq}", answering="reflect/write", text="twice?")
    assert client.post(f"/p/{hq}/reflect", data=data).status_code == 303
    assert client.post(f"/p/{hq}/reflect", data=data).status_code == 303
    assert kinds(lead.store).count(ev.REFLECTION_LOGGED) == 1


def test_script_and_markup_come_back_escaped_and_are_stored_as_written(
    client: TestClient, lead: Session, hq: str
) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    data = form_of(client, f"/p/{hq}", answering="reflect/write", text=SCRIPT)
    lead.next_step()  # the prompt moves on while they write: the page gives their text back
    response = client.post(f"/p/{hq}/reflect", data=data)
    assert response.status_code == 409
    assert "There is no question now, so your text was not sent." in response.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in response.text
    assert "<script>alert" not in response.text and "<b>bold</b>" not in response.text
    assert "&amp;amp;" in response.text
    lead.previous_step()
    data = form_of(client, f"/p/{hq}", answering="reflect/write", text=SCRIPT)
    assert client.post(f"/p/{hq}/reflect", data=data).status_code == 303
    assert lead.store.events()[-1].payload["text"] == SCRIPT.strip()


def test_a_participants_name_with_markup_is_shown_escaped(client: TestClient, hq: str) -> None:
    response = identify(client, hq, email="eve@example.org", code=EVE)
    page = client.get(response.headers["location"])
    assert "&lt;b&gt;Eve&lt;/b&gt; [red]x[/]" in page.text
    assert "<b>Eve</b>" not in page.text


@pytest.mark.parametrize(("text", "problem"), [("   ", "it is empty"), ("z" * 4001, "too long")])
def test_an_empty_or_too_long_reflection_is_refused(
    client: TestClient, lead: Session, hq: str, text: str, problem: str
) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    data = form_of(client, f"/p/{hq}", answering="reflect/write", text=text)
    before = kinds(lead.store)
    response = client.post(f"/p/{hq}/reflect", data=data)
    assert response.status_code == 400 and problem in response.text
    assert kinds(lead.store) == before


def test_reflecting_needs_an_identity(client: TestClient, lead: Session, hq: str) -> None:
    data = form_of(client, f"/p/{hq}", answering="reflect/write", text="who am I")
    before = kinds(lead.store)
    response = client.post(f"/p/{hq}/reflect", data=data)
    assert response.status_code == 409 and "Who are you?" in response.text
    assert "You are no longer signed in, so your text was not sent." in response.text
    assert ">who am I</textarea>" in response.text  # given back, not lost
    assert kinds(lead.store) == before


def test_without_a_prompt_the_page_says_so(client: TestClient, lead: Session, hq: str) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    lead.next_step()
    page = client.get(f"/p/{hq}")
    assert "no question to answer right now" in page.text and "<textarea" not in page.text


def test_the_prompt_endpoint_follows_the_facilitator(client: TestClient, lead: Session, hq: str) -> None:
    now = client.get(f"/p/{hq}/now.json")
    assert now.json() == {
        "key": "reflect/write",
        "text": "What will you take away?",
        "anonymity": "participant-chooses",
        "questions": "",  # no question asked (tests/test_web_questions.py has those)
        "results": "",
        "groups": "",  # no breakout groups meeting (tests/test_web_groups.py has those)
    }
    lead.next_step()
    assert client.get(f"/p/{hq}/now.json").json()["key"] == "reflect/share"


# -- requests to be added ----------------------------------------------------------------------------


def test_asking_to_be_added(client: TestClient, lead: Session, hq: str) -> None:
    page = client.get(f"/p/{hq}")
    data = {
        "csrf": field(page.text, "csrf"),
        "sid": field(page.text, "sid", 1),
        "name": "Fay Newcomer",
        "email": "fay@example.org",
    }
    response = client.post(f"/p/{hq}/join-request", data=data)
    assert response.status_code == 303
    assert response.headers["location"] == f"/p/{hq}?lang=en&done=request"
    assert "Request sent" in client.get(response.headers["location"]).text
    last = lead.store.events()[-1]
    assert last.kind == ev.PARTICIPANT_REQUESTED and last.payload["location"] == "hq"
    assert client.post(f"/p/{hq}/join-request", data=data).status_code == 303  # a retry
    assert kinds(lead.store).count(ev.PARTICIPANT_REQUESTED) == 1


def test_asking_with_an_email_on_the_roster_gets_the_same_answer(client: TestClient, hq: str) -> None:
    page = client.get(f"/p/{hq}")
    data = {
        "csrf": field(page.text, "csrf"),
        "sid": field(page.text, "sid", 1),
        "name": "Ada",
        "email": "ada@example.org",
    }
    response = client.post(f"/p/{hq}/join-request", data=data)
    assert response.status_code == 303 and response.headers["location"].endswith("done=request")


def test_a_bad_request_is_refused(client: TestClient, lead: Session, hq: str) -> None:
    page = client.get(f"/p/{hq}")
    before = kinds(lead.store)
    data = {"csrf": field(page.text, "csrf"), "sid": field(page.text, "sid", 1), "name": "", "email": "nope"}
    response = client.post(f"/p/{hq}/join-request", data=data)
    assert response.status_code == 400 and "valid e-mail" in response.text
    assert kinds(lead.store) == before


# -- languages ------------------------------------------------------------------------------------------


def test_french_from_the_browser_and_from_the_switch(client: TestClient, hq: str) -> None:
    french = client.get(f"/p/{hq}", headers={"accept-language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr">' in french.text and "Qui êtes-vous\u202f?" in french.text
    assert f'href="/p/{hq}?lang=en"' in french.text  # the switch back
    english = client.get(f"/p/{hq}?lang=en", headers={"accept-language": "fr"})
    assert "Who are you?" in english.text
    switched = client.get(f"/p/{hq}?lang=fr")
    assert "Qui êtes-vous\u202f?" in switched.text and f'action="/p/{hq}/identify?lang=fr"' in switched.text


def test_a_french_check_in_stays_french(client: TestClient, hq: str) -> None:
    data = form_of(client, f"/p/{hq}?lang=fr", email="bob@example.org", code=BOB)
    response = client.post(f"/p/{hq}/identify?lang=fr", data=data)
    page = client.get(response.headers["location"])
    assert "Votre présence est enregistrée (à 08:00)." in page.text  # the time at the token's location
    assert "Réflexion" in page.text


# -- rate limit ----------------------------------------------------------------------------------------


def test_a_client_that_asks_too_often_gets_429_with_retry_after(lead: Session, fake_clock: FakeClock) -> None:
    app = create_app(lead.store.path, clock=fake_clock, rate=0.5, burst=3)
    with TestClient(app) as test_client:
        statuses = [test_client.get("/").status_code for _ in range(5)]
        assert statuses[:3] == [200, 200, 200]
        assert statuses[3:] == [429, 429]
        refused = test_client.get("/")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert test_client.get("/healthz").status_code == 200  # not counted
        assert test_client.get("/static/page.css").status_code == 200
        # X-Forwarded-For from a peer that is not a trusted proxy changes nothing (tests/test_web_abuse.py).
        assert test_client.get("/", headers={"x-forwarded-for": "10.0.0.9"}).status_code == 429
    with TestClient(app, client=("10.0.0.9", 50000)) as elsewhere:
        assert elsewhere.get("/").status_code == 200  # another address has its own bucket


def test_guessing_emails_or_codes_is_slowed_down(lead: Session, fake_clock: FakeClock) -> None:
    app = create_app(lead.store.path, clock=fake_clock, rate=0, failures=(0.2, 3))
    with TestClient(app, follow_redirects=False) as test_client:
        hq = code_for(lead.store, "hq", fake_clock)
        answers = [identify(test_client, hq, email=f"guess{i}@example.org").status_code for i in range(4)]
        assert answers == [200, 200, 200, 429]
        refused = identify(test_client, hq, email="bob@example.org", code=BOB)  # even a right answer waits now
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 5
        assert "Too many tries just now." in refused.text
        assert 'value="bob@example.org"' in refused.text  # what they typed stays in the form
    # Successes do not count: a room checking in does not use the bucket up.
    app = create_app(lead.store.path, clock=fake_clock, rate=0, failures=(0.2, 1))
    with TestClient(app, follow_redirects=False) as test_client:
        hq = code_for(lead.store, "hq", fake_clock)
        assert [identify(test_client, hq, email="bob@example.org", code=BOB).status_code for _ in range(3)] == [303] * 3


# -- nothing typed is lost ---------------------------------------------------------------------------------


def test_looking_for_a_new_question_keeps_the_draft(client: TestClient, lead: Session, hq: str) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    data = form_of(client, f"/p/{hq}", answering="reflect/write", text="half a thought", intent="refresh")
    same = client.post(f"/p/{hq}/reflect", data=data)
    assert same.status_code == 200 and ">half a thought</textarea>" in same.text and 'id="summary"' not in same.text
    lead.next_step()  # no question now: the text waits for the next one
    gone = client.post(f"/p/{hq}/reflect", data=data)
    assert gone.status_code == 200 and "There is no question now, so your text was not sent." in gone.text
    assert 'id="kept" name="text"' in gone.text and ">half a thought</textarea>" in gone.text
    lead.previous_step()  # a question again: the text is under it, and the page says so
    again = client.post(f"/p/{hq}/reflect", data={**data, "answering": "reflect/share"})
    assert "The question changed while you were writing, so your text was not sent." in again.text
    assert re.search(r'<textarea id="text" name="text"[^>]*>half a thought</textarea>', again.text)
    assert ev.REFLECTION_LOGGED not in kinds(lead.store)  # looking never sends
    empty = client.post(f"/p/{hq}/reflect", data={**data, "text": "  "})
    assert empty.status_code == 303 and empty.headers["location"] == f"/p/{hq}?lang=en"


def test_an_answer_sent_on_a_stale_link_comes_back_on_the_new_one(
    client: TestClient, lead: Session, fake_clock: FakeClock, hq: str
) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    data = form_of(client, f"/p/{hq}", answering="reflect/write", text="a slow writer's answer")
    fake_clock.advance(timedelta(minutes=40))  # the screen's code changed, and its grace ended, while they wrote
    before = kinds(lead.store)
    response = client.post(f"/p/{hq}/reflect", data=data)
    fresh = code_for(lead.store, "hq", fake_clock)
    assert response.status_code == 409 and f'action="/p/{fresh}/reflect?lang=en"' in response.text
    assert ">a slow writer&#39;s answer</textarea>" in response.text
    assert "The page’s link had expired, so your text was not sent." in response.text
    assert kinds(lead.store) == before


def test_a_stale_link_leads_back_to_the_participants_own_page_only(
    client: TestClient, lead: Session, fake_clock: FakeClock, hq: str
) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    stranger = TestClient(client.app, follow_redirects=False)
    fake_clock.advance(timedelta(minutes=40))
    fresh = code_for(lead.store, "hq", fake_clock)
    known = client.get(f"/p/{hq}")
    assert known.status_code == 404 and f'class="button" href="/p/{fresh}?lang=en">Back to my page</a>' in known.text
    unknown = stranger.get(f"/p/{hq}")
    assert unknown.status_code == 404 and fresh not in unknown.text
    assert 'class="button" href="/?lang=en">Enter the code from the screen</a>' in unknown.text
    page = client.get(f"/p/{fresh}")
    client.post(f"/p/{fresh}/forget", data={"csrf": field(page.text, "csrf")})
    assert fresh not in client.get(f"/p/{hq}").text  # signed out: the way back is the screen's code again


def test_a_refused_request_keeps_what_was_typed_and_says_so_at_the_top(client: TestClient, hq: str) -> None:
    page = client.get(f"/p/{hq}")
    form = {"csrf": field(page.text, "csrf"), "sid": field(page.text, "sid", 1)}
    response = client.post(f"/p/{hq}/join-request", data={**form, "name": "Fay <b>New</b>", "email": "fay@example"})
    assert response.status_code == 400
    assert 'value="Fay &lt;b&gt;New&lt;/b&gt;"' in response.text and 'value="fay@example"' in response.text
    assert response.text.index('id="summary"') < response.text.index("<h1>")  # on the first screen, focused
    assert response.text.count('aria-invalid="true"') == 2
    assert 'aria-describedby="request-error request-help"' in response.text
    assert "<title>Error: Who are you? – Workshop check-in</title>" in response.text


def test_an_expired_form_gives_back_what_was_typed(client: TestClient, lead: Session, hq: str) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    data = form_of(client, f"/p/{hq}", answering="reflect/write", text="kept through it")
    before = kinds(lead.store)
    response = client.post(f"/p/{hq}/reflect", data={**data, "csrf": "0" * 32})
    assert response.status_code == 403 and "The form had expired, so nothing was recorded." in response.text
    assert ">kept through it</textarea>" in response.text
    assert kinds(lead.store) == before
    stranger = TestClient(client.app, follow_redirects=False)  # no cookie: maybe another site; nothing echoed
    refused = stranger.post(f"/p/{hq}/reflect", data=data)
    assert refused.status_code == 403 and "kept through it" not in refused.text
    assert f'href="/p/{hq}?lang=en">Back to my page</a>' in refused.text


def test_each_page_title_says_its_state(client: TestClient, lead: Session, hq: str) -> None:
    def title(response: httpx.Response) -> str:
        found = re.search(r"<title>(.*)</title>", response.text)
        assert found is not None
        return found.group(1)

    assert title(client.get("/")) == "Enter the code on the screen – Workshop check-in"
    assert title(client.get(f"/p/{hq}")) == "Who are you? – Workshop check-in"
    assert (
        title(identify(client, hq, email="bob@example.org", code="nope")) == "Error: Who are you? – Workshop check-in"
    )
    assert title(client.get(identify(client, hq, email="bob@example.org", code=BOB).headers["location"])) == (
        "Checked in – Workshop check-in"
    )
    assert (
        title(client.get("/p/aaaabbbbcccc?lang=fr")) == "Erreur\u00a0: Ce lien ne fonctionne pas – Présence à l’atelier"
    )


def test_a_question_in_another_language_than_the_page_says_so(client: TestClient, hq: str) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    french = client.get(f"/p/{hq}?lang=fr")
    assert '<p class="question" id="prompt" lang="en">What will you take away?</p>' in french.text
    # The question describes the answer box, with what happens to the answer.
    assert 'aria-describedby="prompt anonymity-note"' in french.text


def test_without_a_script_the_page_does_not_promise_to_update(client: TestClient, lead: Session, hq: str) -> None:
    identify(client, hq, email="bob@example.org", code=BOB)
    lead.next_step()
    page = client.get(f"/p/{hq}")
    # Shown only by the script that keeps the page current (static/page.js); without it, a button to look.
    assert '<span class="with-script" hidden>This page shows the next one as soon as it comes.</span>' in page.text
    assert f'<a class="button secondary" href="/p/{hq}?lang=en">Check for a new question</a>' in page.text


def test_a_rate_limited_phone_gets_a_page_leading_back_to_its_link(lead: Session, fake_clock: FakeClock) -> None:
    app = create_app(lead.store.path, clock=fake_clock, rate=0.5, burst=1)
    hq = code_for(lead.store, "hq", fake_clock)
    with TestClient(app) as test_client:
        test_client.get(f"/p/{hq}?lang=fr")
        refused = test_client.post(f"/p/{hq}/check-in?lang=fr", data={"csrf": "x"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert '<html lang="fr">' in refused.text and f'class="button" href="/p/{hq}?lang=fr">Réessayer</a>' in refused.text
    assert "content-security-policy" in refused.headers


# -- French and English wording ------------------------------------------------------------------------------


def test_french_keeps_its_punctuation_off_the_start_of_a_line() -> None:
    from facilitator.participant_page.web.catalogue import EN, FR

    for key, text in FR.items():
        for found in re.finditer(r"(.)([?!;:])", text):
            space = "\u00a0" if found.group(2) == ":" else "\u202f"
            assert found.group(1) == space, f"FR {key}: {found.group(0)!r} needs a no-break space before the sign"
    for key, text in EN.items():
        assert not re.search(r"\s[?!;:]", text), f"EN {key}: a space before punctuation"


def test_french_speaks_to_everyone_alike() -> None:
    from facilitator.participant_page.web.catalogue import FR

    assert FR["signed_in_as"].format(name="Aïssata Traoré") == "Connexion\u00a0: Aïssata Traoré"
    # Words that make the reader a man (or the team men): the page says who, not which gender.
    for gendered in ("Connecté", "connecté", "animateur", "organisateurs", "être ajouté", "Une fois ajouté"):
        assert not [key for key, text in FR.items() if gendered in text], gendered
