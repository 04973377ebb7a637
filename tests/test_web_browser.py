"""A phone's browser (Debian's Chromium, driven by Playwright) through check-in, a reflection and the room's
questions, on the real server, with and without JavaScript.

``facilitator serve`` runs as a subprocess on 127.0.0.1 and a free port. Playwright's own browsers are never
downloaded: the test uses /usr/bin/chromium, and fails in CI (skips elsewhere) when it is missing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from facilitator.live.session import Session
from facilitator.participant_page import tokens
from facilitator.record import events as ev
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.tools import free_port, healthy, require, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = pytest.mark.slow

PHONE: ViewportSize = {"width": 390, "height": 844}
MARKUP = "<script>document.title='pwned'</script>[bold]kept[/bold] & more"


@contextmanager
def serving(db: Path) -> Iterator[str]:
    """``facilitator serve`` on ``db`` as its own process, on a free port: the page's base address."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "facilitator", "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert wait_for(lambda: healthy(base), timeout=30)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def served(tmp_path: Path, tiny_programme: Programme) -> Iterator[tuple[str, Path, Session]]:
    db = tmp_path / "run.db"
    store = Store.create(db, tiny_programme, actor="lead")
    lead = Session(store, actor="lead")
    lead.add_participant("Ada Lovelace", "ada@example.org", "hq", participant_id="ada", code="K7Q2-XY89")
    lead.enter_step("reflect", "write", on=tiny_programme.workshop.days[0].date)
    try:
        with serving(db) as base:
            yield base, db, lead
    finally:
        store.close()


@pytest.fixture
def chromium_path() -> str:
    path = "/usr/bin/chromium"
    if not Path(path).exists():
        require("chromium")  # fails in CI, skips elsewhere
    return path


def test_a_phone_checks_in_and_sends_a_reflection(served: tuple[str, Path, Session], chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    base, _db, lead = served
    store = lead.store
    token = tokens.issue(tokens.load_settings(store), store.programme(), "hq", store.clock.now())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB")
            page = context.new_page()
            blocked: list[str] = []
            page.on("console", lambda message: blocked.append(message.text) if "Security" in message.text else None)

            # The code typed from the screen, as someone who cannot scan would.
            page.goto(f"{base}/")
            page.fill("#code", token.typed.upper())
            page.click("button[type=submit]")
            page.wait_for_url(f"**/p/{token.code}**")
            assert page.locator("h1").first.inner_text() == "Who are you?"

            page.fill("#email", "ADA@example.org")
            page.fill("#personal-code", "k7q2xy89")
            page.click("form[action*='/identify'] button")
            page.wait_for_selector("#checked-in")
            assert re.fullmatch(r"You are checked in \(at \d\d:\d\d\)\.", page.inner_text("#checked-in"))
            assert "/p/" in page.url and "ada" not in page.url.lower()
            assert page.inner_text("#prompt") == "What will you take away?"

            # The layout fits the phone: nothing wider than the screen.
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"]

            page.fill("#text", MARKUP)
            page.check("input[name=consent]")
            page.click("form[action*='/reflect'] button")
            page.wait_for_selector("#sent")
            assert page.title() == "Answer sent – Workshop check-in"  # the script in the text never ran

            # Scanning again later says so, and writes nothing.
            page.goto(f"{base}/p/{token.code}")
            assert "You are already checked in (since" in page.inner_text("#checked-in")
            assert blocked == []  # the page needs nothing the Content-Security-Policy forbids
        finally:
            browser.close()

    lead.refresh()
    events = store.events()
    assert [e.payload["source"] for e in events if e.kind == ev.ATTENDANCE_CHECKED_IN] == ["qr"]
    logged = [e.payload for e in events if e.kind == ev.REFLECTION_LOGGED]
    assert len(logged) == 1
    assert logged[0]["text"] == MARKUP and logged[0]["consent"] is True and logged[0]["source"] == "qr"


def test_a_phone_checks_out_and_in_again(served: tuple[str, Path, Session], chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    base, _db, lead = served
    store = lead.store
    token = tokens.issue(tokens.load_settings(store), store.programme(), "hq", store.clock.now())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB")
            page = context.new_page()
            page.goto(f"{base}/p/{token.code}")
            page.fill("#personal-code", "K7Q2XY89")
            page.click("form[action*='/identify'] button")
            page.wait_for_selector("#checked-in")

            # Found by its accessible name, as a screen reader would; its hint is tied to it.
            leaving = page.get_by_role("button", name="I’m leaving")
            assert leaving.get_attribute("aria-describedby") == "leave-help"
            assert "register shows when you left" in page.inner_text("#leave-help")
            leaving.click()
            page.wait_for_selector("#checked-out")
            assert re.fullmatch(
                r"You are checked out \(since \d\d:\d\d\)\. Check in again when you are back\.",
                page.inner_text("#checked-out"),
            )
            assert page.get_by_role("button", name="I’m leaving").count() == 0

            page.get_by_role("button", name="Check in", exact=True).click()
            page.wait_for_selector("#checked-in")
            assert page.get_by_role("button", name="I’m leaving").count() == 1
        finally:
            browser.close()

    lead.refresh()
    events = [e for e in store.events() if e.kind in (ev.ATTENDANCE_CHECKED_IN, ev.ATTENDANCE_CHECKED_OUT)]
    assert [(e.kind, e.payload["source"]) for e in events] == [
        (ev.ATTENDANCE_CHECKED_IN, "qr"),
        (ev.ATTENDANCE_CHECKED_OUT, "qr"),
        (ev.ATTENDANCE_CHECKED_IN, "qr"),
    ]
    assert lead.attendance.is_in("ada", "qr")


def test_the_page_follows_the_facilitator_without_a_reload_by_hand(
    served: tuple[str, Path, Session], chromium_path: str
) -> None:
    from playwright.sync_api import sync_playwright

    base, _db, lead = served
    store = lead.store
    token = tokens.issue(tokens.load_settings(store), store.programme(), "hq", store.clock.now())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport=PHONE, locale="fr-FR").new_page()
            page.clock.install()  # the page polls every 10 s: run its timers fast
            page.goto(f"{base}/p/{token.code}")
            page.fill("#personal-code", "K7Q2XY89")
            page.click("form[action*='/identify'] button")
            page.wait_for_selector("#prompt")
            assert "Votre présence est enregistrée" in page.inner_text("#checked-in")
            lead.next_step()  # the facilitator moves on: no prompt any more
            page.clock.run_for(11_000)
            page.wait_for_selector("#no-prompt", timeout=10_000)
        finally:
            browser.close()


# -- the room's questions ------------------------------------------------------------------------------------


@pytest.fixture
def asked(tmp_path: Path) -> Iterator[tuple[str, Session, str]]:
    """The page served on a run whose current step asks a question of every type (tests/test_web_questions.py)."""
    from tests.test_web_questions import programme

    db = tmp_path / "run.db"
    store = Store.create(db, programme(), actor="lead")
    lead = Session(store, actor="lead")
    lead.add_participant("Ada Lovelace", "ada@example.org", "hq", participant_id="ada", code="K7Q2-XY89")
    lead.enter_step("warm-up", "intro", on=store.programme().workshop.days[0].date)
    token = tokens.issue(tokens.load_settings(store), store.programme(), "hq", store.clock.now()).code
    try:
        with serving(db) as base:
            yield base, lead, token
    finally:
        store.close()


def answer_every_type(page: Page) -> None:
    """Choose and type an answer to each of the first step's questions, as a thumb and a keyboard would."""
    page.get_by_role("radio", name="4", exact=True).check()
    page.get_by_role("group", name="Where do you work?").get_by_role("radio", name="Headquarters").check()
    page.get_by_role("checkbox", name="Budgeting").check()
    page.get_by_role("checkbox", name="Data").check()
    page.get_by_role("textbox", name="Your answer").fill(MARKUP)
    page.get_by_role("checkbox", name="The organisers may quote my comment (it is recorded without my name).").check()


@pytest.mark.parametrize("script", [True, False], ids=["js", "nojs"])
def test_a_phone_answers_the_rooms_questions_and_sees_the_results(
    asked: tuple[str, Session, str], chromium_path: str, *, script: bool
) -> None:
    from playwright.sync_api import sync_playwright

    base, lead, token = asked
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            context = browser.new_context(
                viewport={"width": 320, "height": 640}, is_mobile=True, locale="en-GB", java_script_enabled=script
            )
            page = context.new_page()
            if script:
                page.clock.install()
            page.goto(f"{base}/p/{token}")
            page.fill("#personal-code", "K7Q2XY89")
            page.click("form[action*='/identify'] button")
            page.wait_for_selector("#questions")
            assert page.get_by_role("group", name="How do you arrive?").count() == 1  # each question a fieldset
            assert page.evaluate("document.documentElement.scrollWidth") <= 320  # fits a 320 px phone

            answer_every_type(page)
            page.get_by_role("button", name="Send my answers").click()
            page.wait_for_selector("#answers-sent")
            assert page.title() == "Answers recorded – Workshop check-in"
            assert page.get_by_role("radio", name="4", exact=True).is_checked()
            assert page.get_by_role("textbox", name="Your answer").input_value() == MARKUP  # shown, never run
            assert page.locator(".recorded").count() == 4

            assert "Answers: 1" in page.inner_text("#q-mood-results")  # its results are live from the start

            # The facilitator closes the scale: with the script, the page says so without a reload.
            lead.close_question("mood")
            if script:
                page.evaluate("window.stayed = true")  # gone if the page were reloaded
                page.get_by_role("textbox", name="Your answer").fill("A draft, being written")
                page.clock.run_for(11_000)
                page.wait_for_selector("div#q-mood")
                assert page.evaluate("window.stayed === true")
                assert "A question has closed." in page.inner_text("#questions-live")
                assert page.get_by_role("textbox", name="Your answer").input_value() == "A draft, being written"
            else:
                page.get_by_role("button", name="Check for new questions and results").click()
                page.wait_for_selector("div#q-mood")
            assert "This question is closed" in page.inner_text("#q-mood")
            assert "Average: 4.0" in page.inner_text("#q-mood-results")
            assert page.locator("input[name='v.mood']").count() == 0

            # A quiz: its results, and whether the answer was right, once the facilitator reveals them.
            lead.next_step()
            page.goto(f"{base}/p/{token}")
            page.get_by_role("radio", name="Resolution 2242 (2015)").check()
            page.get_by_role("button", name="Send my answers").click()
            page.wait_for_selector("#answers-sent")
            assert page.locator("#q-wps_pre_first-results").count() == 0
            lead.reveal_results("wps/pre/first")
            if script:
                page.evaluate("window.stayed = true")
                page.clock.run_for(11_000)
                page.wait_for_selector("#q-wps_pre_first-results")
                assert page.evaluate("window.stayed === true")
                assert "Results are shown." in page.inner_text("#questions-live")
            else:
                page.get_by_role("button", name="Check for new questions and results").click()
                page.wait_for_selector("#q-wps_pre_first-results")
            verdict = page.inner_text("#q-wps_pre_first-verdict")
            assert verdict == "Your answer is not right. The right answer: Resolution 1325 (2000)."
        finally:
            browser.close()

    lead.refresh()
    ballots = lead.ballots
    assert ballots.answers("mood") and all(a.participant is None for a in ballots.answers("mood").values())
    assert ballots.answers("where")["ada"].choices == ("hq",)
    assert [a.text for a in ballots.answers("hopes").values()] == [MARKUP]


def test_new_questions_appear_without_a_reload_and_nothing_typed_is_lost(
    asked: tuple[str, Session, str], chromium_path: str
) -> None:
    from playwright.sync_api import sync_playwright

    base, lead, token = asked
    day = lead.programme.workshop.days[0].date
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            page = browser.new_context(viewport=PHONE, is_mobile=True, locale="en-GB").new_page()
            page.clock.install()
            page.goto(f"{base}/p/{token}")
            page.fill("#personal-code", "K7Q2XY89")
            page.click("form[action*='/identify'] button")
            page.wait_for_selector("#questions")
            page.evaluate("window.stayed = true")

            # A comment being written when the facilitator moves to the reflection, which opens the evaluation.
            page.locator("#q-hopes-text").fill("Half a comment")
            lead.enter_step("reflect", "write", on=day)
            page.clock.run_for(11_000)
            page.wait_for_selector("#q-evaluation_overall")
            assert page.evaluate("window.stayed === true")
            assert page.inner_text("#prompt") == "What will you take away?"
            assert "A new question is open." in page.inner_text("#questions-live")
            assert page.locator("#q-evaluation_overall").evaluate("e => e.tagName") == "FIELDSET"

            # The evaluation's comment being written when the next step opens the knowledge check: kept.
            page.locator("#q-evaluation_comments-text").fill("An evaluation draft")
            lead.next_step()
            page.clock.run_for(11_000)
            page.wait_for_selector("#q-wps_post_first")
            assert page.evaluate("window.stayed === true")
            assert page.locator("#q-evaluation_comments-text").input_value() == "An evaluation draft"
            lead.enter_step("reflect", "write", on=day)
            page.clock.run_for(11_000)
            page.wait_for_selector("#prompt")

            # Sending the answers reloads the page: the reflection written meanwhile is put back.
            page.locator("#text").fill("My reflection, not sent yet")
            page.get_by_role("group", name="How useful was the course?").get_by_role("radio", name="3").check()
            page.get_by_role("button", name="Send my answers").click()
            page.wait_for_selector("#answers-sent")
            assert page.locator("#text").input_value() == "My reflection, not sent yet"
            assert page.locator("#q-evaluation_comments-text").input_value() == "An evaluation draft"
        finally:
            browser.close()

    lead.refresh()
    assert [a.value for a in lead.ballots.answers("evaluation/overall").values()] == [3]
    comments = lead.ballots.answers("evaluation/comments")
    assert [a.text for a in comments.values()] == ["An evaluation draft"]  # sent with the form, as it was typed
