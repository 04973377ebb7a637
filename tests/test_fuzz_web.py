"""Fuzzing the participant page's forms through httpx against its ASGI app, on a real run file.

The run's current step asks a question of every type (and opens the course evaluation), so that the answer
form is fuzzed against real questions as well as made-up ones.

Any form a phone (or anyone on the network) posts gets an answer below 500, never echoes what it was sent
as HTML, and a refused post leaves the log exactly as it was. The posts carry a real cookie and CSRF token
most of the time, so they reach the checks behind the CSRF one; the rest are refused at the door.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from facilitator.live.session import Session
from facilitator.participant_page import tokens
from facilitator.participant_page.web.app import create_app
from facilitator.participant_page.web.security import parse_proxies
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import TINY_PROGRAMME
from tests.test_web_routes import field, identify

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
DAY1 = date(2022, 8, 22)
TAG = "<x-fz>"  # were it ever in a page unescaped, the page would have taken form text as HTML
ROUTES = ["identify", "check-in", "check-out", "reflect", "answer", "join-request", "forget"]
QUESTIONS = ["poll", "topics", "mood", "quiz", "comment", "evaluation/overall", "evaluation/more", "nope", "a/b/c"]
ANSWER_FIELDS = ["q", *(f"{kind}.{key}" for kind in "cvtk" for key in QUESTIONS)]
FIELDS = [
    "csrf", "sid", "email", "code", "text", "name", "consent", "show_name", "answering", "lang", "intent", "then", "",
    *ANSWER_FIELDS,
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(
        [
            TAG, f"{TAG}<script>alert(1)</script>", "ada@example.org", "ADA@EXAMPLE.ORG", "K7Q2", "k7q2", "1", "0",
            "", " ", "\x00", "\x1b[2J", "[bold red]x[/]", "{{ 7*7 }}", "{% raw %}", "' OR 1=1 --", "x" * 5000,
            "é" * 2000, "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"), "write", "reflect",
            "../../etc/passwd", "%00", "&#x3C;x-fz&#x3E;",
        ]
    ),
    st.text(max_size=40).map(lambda s: TAG + s),
)  # fmt: skip
# What an answer form may hold: the questions' keys and options, numbers in and out of a scale, and anything.
ANSWER_VALUES = st.one_of(
    st.sampled_from(
        [*QUESTIONS, "hq", "field", "budget", "data", "a", "b", "c", "-1", "0", "1", "3", "5", "6", "10", "99999",
         "1_0", "٣", " 4 ", "1e3", "send", "refresh", "questions"]
    ),
    VALUES,
)  # fmt: skip


def programme() -> Programme:
    """The tiny workshop, its reflection step asking a question of every type (the quiz by name) and opening the
    course evaluation."""
    data = copy.deepcopy(TINY_PROGRAMME)
    write = data["exercises"][1]["steps"][0]
    choices = [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}, {"id": "c", "text": "C"}]
    places = [{"id": "hq", "text": "HQ"}, {"id": "field", "text": "Field"}]
    topics = [{"id": "budget", "text": "B"}, {"id": "data", "text": "D"}]
    write["questions"] = [
        {"id": "poll", "type": "single", "text": "Where?", "options": places},
        {"id": "topics", "type": "multiple", "text": "What?", "options": topics},
        {"id": "mood", "type": "scale", "text": "How?", "scale": {"min": 1, "max": 5, "low": "Low", "high": "High"}},
        {"id": "quiz", "type": "quiz", "text": "Which?", "options": choices, "correct": ["a", "c"], "anonymous": False},
        {"id": "comment", "type": "text", "text": "Anything?"},
    ]  # fmt: skip
    data["workshop"]["evaluation"] = {
        "opens_at": "reflect/write",
        "questions": [
            {"id": "overall", "type": "scale", "text": "Overall?", "scale": {"min": 0, "max": 10}},
            {"id": "more", "type": "text", "text": "More?"},
        ],
    }
    return Programme.validate(data)


@dataclass
class Page:
    client: TestClient
    store: Store
    token: str
    proxied: TestClient  # the same page behind a trusted proxy on 127.0.0.1, which passes X-Forwarded-* on


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with tempfile.TemporaryDirectory(prefix="fuzz-web-") as scratch:
        clock = FakeClock()
        db = Path(scratch) / "run.db"
        with Store.create(db, programme(), actor="lead", clock=clock) as store:
            lead = Session(store, actor="lead")
            lead.add_participant("Ada Lovelace", "ada@example.org", "hq", participant_id="ada", code="K7Q2")
            lead.add_participant("<b>Eve</b> [red]x[/]", "eve@example.org", "hq", participant_id="eve")
            lead.enter_step("reflect", "write", on=DAY1)
            token = tokens.issue(tokens.load_settings(store), store.programme(), "hq", clock.now()).code
            # No rate limits: the fuzz posts hundreds of forms, and fails to identify many times, from one address.
            app = create_app(db, clock=clock, rate=0, failures=None, per_email=None, code_only=None, join_requests=None)
            behind = create_app(db, clock=clock, rate=0, trusted_proxies=parse_proxies(["127.0.0.1", "10.0.0.0/8"]))
            with (
                TestClient(app, follow_redirects=False) as client,
                TestClient(behind, follow_redirects=False, client=("127.0.0.1", 50000)) as proxied,
            ):
                yield Page(client, store, token, proxied)


def assert_answered_safely(response: object, what: str) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert status < 500, f"{what}: {status}\n{text[:2000]}"
    assert TAG not in text, f"{what}: the page shows posted text as HTML"
    assert "Traceback" not in text


@FUZZ
@given(
    route=st.sampled_from(ROUTES),
    fields=st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), VALUES, max_size=8),
    real_csrf=st.booleans() | st.just(True),
    real_sid=st.booleans(),
    identified=st.booleans(),
)
def test_any_form_posted_to_the_page_is_answered_safely(
    page: Page, route: str, fields: dict[str, str], *, real_csrf: bool, real_sid: bool, identified: bool
) -> None:
    if identified:  # as Ada, so that the forms behind identification are reached too
        assert getattr(identify(page.client, page.token, "ada@example.org", "K7Q2"), "status_code", None) == 303
    form = page.client.get(f"/p/{page.token}")
    assert_answered_safely(form, "the page")
    data = dict(fields)
    if real_csrf:
        data["csrf"] = field(form.text, "csrf")
    if real_sid and 'name="sid"' in form.text:
        data["sid"] = field(form.text, "sid")
    before = [e.id for e in page.store.events()]
    response = page.client.post(f"/p/{page.token}/{route}", data=data)
    assert_answered_safely(response, f"POST {route} {data!r}"[:500])
    event(f"{route}: {response.status_code}")
    if response.status_code >= 400:
        assert [e.id for e in page.store.events()] == before, f"a refused {route} changed the log"
    if response.status_code in (302, 303):
        after = page.client.get(response.headers["location"])
        assert_answered_safely(after, f"after {route}")


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(ANSWER_FIELDS) | st.sampled_from(FIELDS) | st.text(max_size=12),
        st.lists(ANSWER_VALUES, max_size=4) | ANSWER_VALUES,
        max_size=10,
    ),
    real_csrf=st.booleans() | st.just(True),
    identified=st.booleans() | st.just(True),
    revealed=st.sampled_from([None, "quiz", "mood", "comment"]),
)
def test_any_answer_form_is_answered_safely(
    page: Page, fields: dict[str, Any], *, real_csrf: bool, identified: bool, revealed: str | None
) -> None:
    # Every name several times or once, the page's own questions or made-up ones, results shown or not: the
    # answer is below 500, shows nothing sent as HTML, and a refusal records nothing (all the form, or none of it).
    if identified:
        assert getattr(identify(page.client, page.token, "ada@example.org", "K7Q2"), "status_code", None) == 303
    if revealed is not None:
        lead = Session(page.store, actor="lead")
        lead.reveal_results(revealed, not lead.state.questions[revealed].revealed)
    form = page.client.get(f"/p/{page.token}")
    assert_answered_safely(form, "the page")
    data = dict(fields)
    if real_csrf:
        data["csrf"] = field(form.text, "csrf")
    before = [e.id for e in page.store.events()]
    response = page.client.post(f"/p/{page.token}/answer", data=data)
    assert_answered_safely(response, f"POST answer {data!r}"[:500])
    event(f"answer: {response.status_code}")
    if response.status_code >= 400 or response.status_code == 200:  # refused, or only a look: nothing recorded
        assert [e.id for e in page.store.events()] == before, "a refused answer form changed the log"
    if response.status_code == 303:
        assert_answered_safely(page.client.get(response.headers["location"]), "after answer")


@FUZZ
@given(code=VALUES, real_csrf=st.booleans())
def test_any_typed_code_is_answered_safely(page: Page, code: str, real_csrf: bool) -> None:
    entry = page.client.get("/")
    data = {"code": code, "csrf": field(entry.text, "csrf") if real_csrf else code}
    before = [e.id for e in page.store.events()]
    response = page.client.post("/go", data=data)
    assert_answered_safely(response, f"POST /go {data!r}"[:500])
    assert [e.id for e in page.store.events()] == before  # typing a code writes nothing


@FUZZ
@given(
    route=st.sampled_from(["go", *(f"p/TOKEN/{r}" for r in ROUTES)]),
    body=st.binary(max_size=3000),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=fz",
            "multipart/form-data",
            "text/plain",
            "application/json",
            "",
        ]
    ),
)
def test_any_body_is_answered_safely(page: Page, route: str, body: bytes, content_type: str) -> None:
    before = [e.id for e in page.store.events()]
    response = page.client.post(
        "/" + route.replace("TOKEN", page.token), content=body, headers={"content-type": content_type}
    )
    assert response.status_code < 500, response.text[:2000]
    assert [e.id for e in page.store.events()] == before  # no valid CSRF token: nothing written


@FUZZ
@given(path=st.text(max_size=40), query=st.text(max_size=40))
def test_any_address_is_answered_safely(page: Page, path: str, query: str) -> None:
    from urllib.parse import quote

    for url in (
        f"/p/{quote(path)}?lang={quote(query)}",
        f"/{quote(path)}",
        f"/p/{page.token}/now.json?x={quote(query)}",
    ):
        response = page.client.get(url)
        assert response.status_code < 500, (url, response.text[:2000])


HEADER_BYTES = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [b"fp=a.\xc3\xa9", b"fp=a.\xe9", b"fp=\xe9\xe9", b"fp=" + b"a" * 5000 + b".b", b"fp=.", b"fp", b"=;;=;"]
    ),
    st.text(max_size=60).map(lambda s: ("fp=" + s).encode("utf-8", "surrogatepass")),
)
FORWARDED = st.one_of(
    st.binary(max_size=200),
    st.lists(
        st.sampled_from(["1.2.3.4", "10.1.2.3", "127.0.0.1", "::1", "[::1]", "::ffff:10.0.0.1", "unknown", "", " "]),
        max_size=6,
    ).map(lambda parts: ", ".join(parts).encode()),
)


@FUZZ
@given(cookie=HEADER_BYTES, forwarded=FORWARDED, proto=st.binary(max_size=20) | st.sampled_from([b"https", b"HTTP"]))
def test_any_cookie_and_forwarding_headers_are_answered_safely(
    page: Page, cookie: bytes, forwarded: bytes, proto: bytes
) -> None:
    # Any cookie value, from a phone or through the proxy, with any X-Forwarded-For: never a 500.
    headers = {"cookie": cookie, "x-forwarded-for": forwarded, "x-forwarded-proto": proto}
    for client in (page.client, page.proxied):
        for url in (f"/p/{page.token}", "/"):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, (url, headers, response.text[:2000])
        posted = client.post(f"/p/{page.token}/check-in", data={"csrf": "x"}, headers=headers)
        assert posted.status_code < 500, (headers, posted.text[:2000])
