"""A phone's browser (Debian's Chromium, driven by Playwright) through check-in and a reflection, on the real server.

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
    from playwright.sync_api import ViewportSize

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
