"""The breakout groups on the participant's phone (issue 17), through httpx (Starlette's TestClient) on a real run.

The identified person sees their own group: its number, the other members by first name (an initial where two
share one, never an e-mail), the call (a link only when it is a web address) and until when the groups meet; a
late arrival is told to ask for a group; a move and the end of the groups are followed, and now.json's
fingerprint says when; a hostile call stays text; in French too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from facilitator.live.session import Session
from facilitator.participant_page import tokens
from facilitator.participant_page.breakout import short_names, web_address
from facilitator.participant_page.web.app import create_app
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests import test_web_browser
from tests.test_web_browser import serving
from tests.test_web_routes import code_for, identify

DAY1 = date(2022, 8, 22)
ADA, BEN = "K7Q2-XY89", "BEN2-CODE-77"
PEOPLE = [  # id, name, location, code
    ("ada", "Ada Lovelace", "hq", ADA),
    ("ben", "Ben Okri", "juba", BEN),
    ("chi", "Chi Nwosu", "hq", None),
    ("ana-d", "Ana Diallo", "juba", None),
    ("ana-s", "Ana Silva", "hq", None),
]
LINK = "https://meet.example.org/wps-room-{n}"
chromium_path = test_web_browser.chromium_path  # the same fixture: CI fails without Chromium, elsewhere it skips


@pytest.fixture
def lead(run_store: Store, tiny_programme: Programme) -> Session:
    session = Session(run_store, actor="lead")
    for pid, name, location, code in PEOPLE:
        session.add_participant(name, f"{pid}@example.org", location, participant_id=pid, code=code)
    session.enter_step("warm-up", "pairs", on=DAY1)
    return session


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


def everyone_in(lead: Session) -> None:
    """Everyone but Ada (her phone checks her in) checked in by a facilitator."""
    for pid, *_ in PEOPLE[1:]:
        lead.check_in(pid)


def section(html: str) -> str:
    """The page's breakout group section, or "" when it has none."""
    found = re.search(r'<section class="group".*?</section>', html, re.S)
    return found.group(0) if found else ""


def text_of(html: str) -> str:
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", html)).strip()  # French's no-break spaces kept


def group_of(lead: Session, pid: str) -> int:
    lead.refresh()
    grouping = lead.groups.meeting
    assert grouping is not None
    group = grouping.group_of(pid)
    assert group is not None
    return group.number


def test_the_person_sees_their_group_the_others_first_names_and_the_call(
    ada: TestClient, lead: Session, hq: str
) -> None:
    assert section(ada.get(f"/p/{hq}").text) == ""  # no groups yet: nothing about them
    everyone_in(lead)
    lead.make_groups(count=1, call_pattern=LINK, duration=timedelta(minutes=35), seed=1)
    html = ada.get(f"/p/{hq}").text
    shown = section(html)
    assert '<h2 id="group-heading">Your group</h2>' in shown
    # Two Anas: each with her last name's initial; the others by first name; never herself, never an e-mail.
    assert "You are in group 1 with Ana D., Ana S., Ben and Chi." in shown
    assert "Ada" not in shown and "Lovelace" not in shown and "Okri" not in shown and "@" not in shown
    link = re.search(r'<a class="call" href="([^"]*)" target="_blank" rel="noopener noreferrer">([^<]*) <', shown)
    assert link is not None and link.groups() == ("https://meet.example.org/wps-room-1",) * 2
    assert "Your call:" in shown and "(opens in a new tab)" in shown
    # Made at 12:00 UTC for 35 minutes: until 08:35 in New York, where headquarters is.
    assert '<p id="group-until">The groups meet until 08:35.</p>' in shown
    # Near the top, before the reflection and the questions; a live region for the script outside its area.
    assert html.index('id="groups-live"') < html.index('id="groups-area"') < html.index('id="prompt-area"')


def test_another_participant_sees_their_own_group(
    app: Any, ada: TestClient, lead: Session, hq: str, fake_clock: FakeClock
) -> None:
    everyone_in(lead)
    lead.make_groups(count=2, call_pattern="WPS room {n}", seed=5)
    if group_of(lead, "ben") == group_of(lead, "ada"):  # make them meet apart, whatever the seed dealt
        lead.move_to_group("ben", 3 - group_of(lead, "ada"))
    ben_group = group_of(lead, "ben")
    grouping = lead.groups.meeting
    assert grouping is not None
    group = grouping.group(ben_group)
    assert group is not None
    juba = code_for(lead.store, "juba", fake_clock)
    with TestClient(app, follow_redirects=False) as ben:
        assert identify(ben, juba, code=BEN).status_code == 303
        html = section(ben.get(f"/p/{juba}").text)
    shown = text_of(html)
    firsts = sorted(name.split()[0] for pid, name, *_ in PEOPLE if pid in group.members and pid != "ben")
    assert f"You are in group {ben_group} with" in shown and all(first in shown for first in firsts)
    assert "Ada" not in shown  # she meets in the other group
    assert f"Your call: WPS room {ben_group}" in shown and "<a " not in html  # a room name: text, not a link
    ada_shown = text_of(section(ada.get(f"/p/{hq}").text))
    assert f"You are in group {3 - ben_group} with" in ada_shown and "Ben" not in ada_shown


def test_a_move_is_followed_and_the_fingerprint_says_so(ada: TestClient, lead: Session, hq: str) -> None:
    assert ada.get(f"/p/{hq}/now.json").json()["groups"] == ""
    everyone_in(lead)
    lead.make_groups(count=2, seed=2)
    made = ada.get(f"/p/{hq}/now.json").json()["groups"]
    page = ada.get(f"/p/{hq}").text
    assert made != "" and f'data-groups="{made}"' in page  # the page starts from the fingerprint it shows
    before = group_of(lead, "ada")
    assert f"You are in group {before}" in section(page)
    lead.move_to_group("ada", 3 - before)
    moved = ada.get(f"/p/{hq}/now.json").json()["groups"]
    assert moved not in ("", made)
    lead.refresh()
    grouping = lead.groups.meeting
    assert grouping is not None
    shown = text_of(section(ada.get(f"/p/{hq}").text))
    assert f"You are in group {3 - before} with" in shown
    target = grouping.group(3 - before)
    assert target is not None
    firsts = sorted(name.split()[0] for pid, name, *_ in PEOPLE if pid in target.members and pid != "ada")
    assert all(first in shown for first in firsts)


def test_ended_groups_disappear(ada: TestClient, lead: Session, hq: str) -> None:
    everyone_in(lead)
    lead.make_groups(size=2, call_pattern=LINK, seed=3)
    assert section(ada.get(f"/p/{hq}").text) != ""
    lead.end_groups()
    page = ada.get(f"/p/{hq}").text
    assert section(page) == "" and "Your group" not in page and "meet.example.org" not in page
    assert ada.get(f"/p/{hq}/now.json").json()["groups"] == ""


def test_a_late_arrival_is_told_to_ask_then_sees_the_group_once_added(
    client: TestClient, lead: Session, hq: str
) -> None:
    everyone_in(lead)
    lead.make_groups(count=2, seed=4)
    assert identify(client, hq, code=ADA).status_code == 303  # checked in after the groups were made
    shown = section(client.get(f"/p/{hq}").text)
    assert '<h2 id="group-heading">Group work</h2>' in shown
    assert "Groups are meeting; ask a facilitator to add you." in shown and "You are in group" not in shown
    lead.add_to_smallest("ada")
    assert f"You are in group {group_of(lead, 'ada')} with" in section(client.get(f"/p/{hq}").text)


def test_someone_not_checked_in_and_in_no_group_is_told_nothing(ada: TestClient, lead: Session, hq: str) -> None:
    everyone_in(lead)
    lead.check_out("ada", "facilitator")
    lead.make_groups(count=2, seed=4)
    page = ada.get(f"/p/{hq}").text
    assert section(page) == "" and "Groups are meeting" not in page


def test_groups_left_meeting_since_yesterday_are_not_todays(
    client: TestClient, lead: Session, fake_clock: FakeClock
) -> None:
    everyone_in(lead)
    lead.make_groups(count=1, seed=1)  # never ended
    fake_clock.advance(timedelta(days=1))
    today = code_for(lead.store, "hq", fake_clock)
    assert identify(client, today, code=ADA).status_code == 303
    assert section(client.get(f"/p/{today}").text) == ""
    assert client.get(f"/p/{today}/now.json").json()["groups"] == ""


@pytest.mark.parametrize(
    "pattern",
    [
        "<script>alert({n})</script>",
        "javascript:alert({n})",
        'https://meet.example.org/{n}"><script>alert(1)</script>',
        "JavaScript:alert(document.cookie)//{n}",
        "data:text/html,<b>{n}</b>",
    ],
)
def test_a_hostile_call_is_inert(ada: TestClient, lead: Session, hq: str, pattern: str) -> None:
    everyone_in(lead)
    lead.make_groups(count=1, call_pattern=pattern, seed=1)
    shown = section(ada.get(f"/p/{hq}").text)
    assert 'id="group-call"' in shown
    assert "<script" not in shown and "<b>" not in shown
    hrefs = re.findall(r'href="([^"]*)"', shown)
    assert all(href.startswith("https://") for href in hrefs), hrefs
    assert "javascript:" not in " ".join(hrefs).lower() and "data:" not in " ".join(hrefs)
    if pattern.startswith("https://"):  # a web address with markup in it: a link, every character escaped
        assert hrefs == ["https://meet.example.org/1&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"]
    else:
        assert hrefs == [] and '<span class="call">' in shown


def test_in_french(ada: TestClient, lead: Session, hq: str) -> None:
    everyone_in(lead)
    lead.make_groups(count=1, call_pattern=LINK, duration=timedelta(minutes=35), seed=1)
    shown = text_of(section(ada.get(f"/p/{hq}?lang=fr").text))
    assert "Votre groupe" in shown
    assert "Vous êtes dans le groupe 1 avec Ana D., Ana S., Ben et Chi." in shown
    assert "Votre appel\u00a0: https://meet.example.org/wps-room-1 (s’ouvre dans un nouvel onglet)" in shown
    assert "Les groupes se réunissent jusqu’à 08:35." in shown
    page = ada.get(f"/p/{hq}?lang=fr").text
    assert 'data-ended="Les groupes de travail sont terminés."' in page


def test_in_french_a_late_arrival(client: TestClient, lead: Session, hq: str) -> None:
    everyone_in(lead)
    lead.make_groups(count=2, seed=4)
    identify(client, hq, code=ADA)
    shown = text_of(section(client.get(f"/p/{hq}?lang=fr").text))
    assert "Travail en groupes" in shown
    assert "Les groupes se réunissent\u202f; demandez à l’équipe d’animation de vous ajouter à l’un d’eux." in shown


# -- the rules, one by one --------------------------------------------------------------------------------


def test_short_names_are_first_names_unless_two_would_be_confused() -> None:
    assert short_names(["Chi Nwosu", "Ben Okri", "Ana Diallo"]) == ["Ana", "Ben", "Chi"]
    assert short_names(["Ana Silva", "Ana Diallo", "Ben Okri"]) == ["Ana D.", "Ana S.", "Ben"]
    assert short_names(["ana silva", "Ana Sousa"]) == ["ana silva", "Ana Sousa"]  # even the initial is shared
    assert short_names(["Aïssata Traoré", "Wu"]) == ["Aïssata", "Wu"]
    # Someone whose name is their e-mail (a walk-in typed it): never shown.
    assert short_names(["ben@example.org", "Ana Diallo"]) == ["Ana", None]  # shown last, as "someone"
    assert short_names(["Ben ben@example.org"]) == ["Ben"]


@pytest.mark.parametrize(
    ("call", "link"),
    [
        ("https://meet.example.org/room-1", "https://meet.example.org/room-1"),
        ("http://10.0.0.5:8080/r/1", "http://10.0.0.5:8080/r/1"),
        ("HTTPS://Meet.Example.org/1", "HTTPS://Meet.Example.org/1"),
        ("WPS room 1", None),
        ("javascript:alert(1)", None),
        ("JAVASCRIPT://example.org/%0aalert(1)", None),
        ("data:text/html,hi", None),
        ("https:///nohost", None),
        ("https://meet.example.org/a b", None),
        ("https://meet.example.org/\u202e1", None),
        ("//meet.example.org/1", None),
        ("https://[::1", None),
        (None, None),
    ],
)
def test_only_a_web_address_becomes_a_link(call: str | None, link: str | None) -> None:
    assert web_address(call) == link


def test_a_member_without_a_name_to_show_is_someone_last_in_the_list() -> None:
    from facilitator.participant_page.breakout import GroupNow, GroupsNow
    from facilitator.participant_page.web.catalogue import CATALOGUES
    from facilitator.participant_page.web.group_view import group_view

    shown = GroupsNow(GroupNow(2, ("Ana", None), None, None, None))
    view = group_view(shown, CATALOGUES["en"])
    assert view is not None and view.sentence == "You are in group 2 with Ana and someone."
    alone = group_view(GroupsNow(GroupNow(4, (), None, None, None)), CATALOGUES["fr"])
    assert alone is not None and alone.sentence == "Vous êtes dans le groupe 4." and alone.call is None


# -- a real phone ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_phone_left_open_shows_the_group_as_the_driver_makes_moves_and_ends_it(
    tmp_path: Path, tiny_programme: Programme, chromium_path: str
) -> None:
    from playwright.sync_api import sync_playwright

    db = tmp_path / "run.db"
    store = Store.create(db, tiny_programme, actor="lead")
    lead = Session(store, actor="lead")
    for pid, name, location, code in PEOPLE[:4]:
        lead.add_participant(name, f"{pid}@example.org", location, participant_id=pid, code=code)
    lead.enter_step("warm-up", "pairs", on=DAY1)
    for pid, *_ in PEOPLE[1:4]:
        lead.check_in(pid)
    token = tokens.issue(tokens.load_settings(store), store.programme(), "hq", store.clock.now()).code
    try:
        with serving(db) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path, args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
            try:
                context = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True, locale="en-GB")
                page = context.new_page()
                page.clock.install()  # the page looks for changes every 10 s: run its timers on demand
                page.goto(f"{base}/p/{token}")
                page.fill("#personal-code", ADA)
                page.click("form[action*='/identify'] button")
                page.wait_for_selector("#checked-in")
                assert page.locator("#group").count() == 0
                page.evaluate("window.stayed = true")  # gone if the page were reloaded

                lead.make_groups(count=2, call_pattern=LINK, seed=7)
                page.clock.run_for(11_000)
                page.wait_for_selector("#group", timeout=10_000)
                number = group_of(lead, "ada")
                line = page.inner_text("#group-members")
                assert line.startswith(f"You are in group {number} with ")
                assert page.inner_text("#groups-live") == "The groups have changed."  # said, the focus left alone
                call = page.get_by_role("link", name=f"https://meet.example.org/wps-room-{number}", exact=False)
                assert call.get_attribute("rel") == "noopener noreferrer"
                assert page.evaluate("document.documentElement.scrollWidth") <= 320

                lead.move_to_group("ada", 3 - number)
                page.clock.run_for(11_000)
                page.wait_for_selector(f"#group-members:has-text('group {3 - number} ')", timeout=10_000)

                lead.end_groups()
                page.clock.run_for(11_000)
                page.wait_for_selector("#group", state="detached", timeout=10_000)
                assert page.inner_text("#groups-live") == "The groups have ended."
                assert page.evaluate("window.stayed === true")
            finally:
                browser.close()
    finally:
        store.close()
