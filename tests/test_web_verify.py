"""``/verify/CODE`` on the participant page (issue 18): whose certificate a code is, and nothing for a wrong one."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from facilitator.live.session import Session
from facilitator.paperwork import verification
from facilitator.participant_page import tokens
from facilitator.participant_page.web.app import create_app
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme

EVIL = "<b>Eve</b> <script>alert(1)</script>"


@pytest.fixture
def people(run_store: Store, tiny_programme: Programme) -> dict[str, str]:
    """Three people on the tiny workshop's roster, by name; the codes below sign them by their roster number."""
    session = Session(run_store, actor="lead")
    session.add_participant("Amina Diallo", "amina@example.org", "juba", participant_id="amina")
    session.add_participant("Ольга Иванова", "olga@example.org", "hq", participant_id="olga")
    session.add_participant(EVIL, "eve@example.org", "hq", participant_id="eve")
    return {"Amina Diallo": "amina", "Ольга Иванова": "olga", EVIL: "eve"}


def code_for(store: Store, participant: str, number: int, minutes: int) -> str:
    key = verification.certificate_key(tokens.load_settings(store).secret)
    return verification.sign(key, participant, number, minutes)


def make_client(store: Store, clock: FakeClock, **options: object) -> TestClient:
    return TestClient(create_app(store.path, clock=clock, rate=0, **options), follow_redirects=False)  # type: ignore[arg-type]


@pytest.fixture
def client(run_store: Store, people: dict[str, str], fake_clock: FakeClock) -> Iterator[TestClient]:
    with make_client(run_store, fake_clock) as test_client:
        yield test_client


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_genuine_code_names_the_holder_and_what_the_certificate_states(client: TestClient, run_store: Store) -> None:
    code = code_for(run_store, "olga", 2, 870)
    response = client.get(f"/verify/{code}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers  # a verifier is not a participant
    text = text_of(response.text)
    assert "Genuine certificate" in text
    for expected in (
        "Issued to Ольга Иванова",
        "Course Tiny workshop",
        "Dates 22–23 August 2022",
        "Location Headquarters",
        "Attendance 14.5 hours",
        f"Code {code}",
    ):
        assert expected in text, (expected, text)
    assert "olga@example.org" not in response.text  # the page says whose certificate it is, not how to reach them


def test_the_code_as_typed_into_the_form_and_in_french(client: TestClient, run_store: Store) -> None:
    code = code_for(run_store, "amina", 1, 870)
    form = client.get("/verify")
    assert form.status_code == 200 and 'action="/verify"' in form.text and 'name="code"' in form.text
    typed = code.lower().replace("-", " ")
    response = client.get("/verify", params={"code": typed, "lang": "fr"})
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Certificat authentique" in text and "Délivré à Amina Diallo" in text
    assert "22–23 août 2022" in text and "14,5\u00a0heures" in response.text


def test_a_name_is_shown_as_text_never_as_markup(client: TestClient, run_store: Store) -> None:
    response = client.get(f"/verify/{code_for(run_store, 'eve', 3, 600)}")
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text and "<b>Eve</b>" not in response.text
    assert "&lt;b&gt;Eve&lt;/b&gt;" in response.text


def test_a_wrong_code_says_not_genuine_and_nothing_else(client: TestClient, run_store: Store) -> None:
    genuine = code_for(run_store, "olga", 2, 870)
    plain = genuine.replace("-", "")
    tampered = verification.format_code(plain[:-1] + ("A" if plain[-1] != "A" else "B"))
    other_minutes = code_for(run_store, "olga", 2, 871)[:10] + genuine[10:]  # another figure, the same signature
    nobody = code_for(run_store, "someone", 99, 870)  # a number past the roster's end
    wrong_person = code_for(run_store, "amina", 2, 870)  # signed for another person at that number
    pages = []
    for code in (tampered, other_minutes, nobody, wrong_person, "not-a-code", "0" * 20, "Z" * 300):
        response = client.get(f"/verify/{code}")
        assert response.status_code == 404, code
        assert "Not a genuine certificate" in response.text
        for secret in ("Ольга", "Amina", "Eve", "Headquarters", "Juba", "14.5", "Tiny workshop"):
            assert secret not in response.text, (code, secret)
        pages.append(response.text)
    assert len(set(pages)) == 1  # the same page, word for word, whatever was wrong with the code


def test_the_verify_page_has_the_pages_security_headers(client: TestClient, run_store: Store) -> None:
    for path in ("/verify", f"/verify/{code_for(run_store, 'olga', 2, 870)}", "/verify/nothing"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert '<meta name="robots" content="noindex, nofollow">' in response.text


def test_wrong_codes_are_rate_limited_per_address(
    run_store: Store, people: dict[str, str], fake_clock: FakeClock
) -> None:
    genuine = code_for(run_store, "olga", 2, 870)
    with make_client(run_store, fake_clock, verifications=(0.001, 3.0)) as test_client:
        for _ in range(3):
            assert test_client.get("/verify/AAAA-BBBB-CCCC-DDDD-EEEE").status_code == 404
        refused = test_client.get("/verify/AAAA-BBBB-CCCC-DDDD-EEEE")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert "Too many codes" in refused.text
        # Even a genuine code waits: checking is what is limited, once an address has tried too many.
        assert test_client.get(f"/verify/{genuine}").status_code == 429


def test_a_code_signed_under_another_secret_verifies_nothing(
    fake_clock: FakeClock, run_store: Store, people: dict[str, str]
) -> None:
    # Signed for a person who is on this roster at that number, with another run's key.
    key = verification.certificate_key(b"\x01" * 32)
    forged = verification.sign(key, "olga", 2, 870)
    with make_client(run_store, fake_clock) as test_client:
        assert test_client.get(f"/verify/{forged}").status_code == 404
