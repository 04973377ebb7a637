"""Every state of the participant page, in English and French, with and without JavaScript, in headless Chromium.

On each state: axe-core (WCAG 2.0 to 2.2, A and AA rules), then what axe cannot judge: every control's target is
at least 44 x 44 CSS px, nothing is wider than the screen at 320 CSS px, at 200% zoom or with text twice as
large, the title says the state, focus is on the problem summary after an error, the controls' accessible names
and descriptions (the question describes its answer box) and the language of a question written in another
language than the page. A screenshot of each state at 360 x 640 is kept (TESTING.md says where).

``facilitator serve`` runs as its own process (tests/test_web_browser.py's ``serving``), one per language and
script setting, so that each walk-through has the rate limits to itself.
"""

from __future__ import annotations

import copy
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from facilitator.live.session import Session
from facilitator.participant_page import tokens
from facilitator.participant_page.web.catalogue import CATALOGUES
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests import test_web_browser
from tests.conftest import TINY_PROGRAMME
from tests.test_web_browser import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

pytestmark = pytest.mark.slow
chromium_path = test_web_browser.chromium_path  # the same fixture: CI fails without Chromium, elsewhere it skips

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE: ViewportSize = {"width": 360, "height": 640}
NARROW: ViewportSize = {"width": 320, "height": 640}
# A 360 x 640 phone at 200% zoom: each CSS pixel is two, so the page has half the room each way.
ZOOMED: ViewportSize = {"width": 180, "height": 320}
MIN_TARGET = 44
DAY = date(2022, 8, 22)
ENGLISH_QUESTION = "What will you take away?"
FRENCH_QUESTION = "Qu’allez-vous changer dans votre travail\u202f?"
ADA_CODE = "K7Q2-XY89"
ARTEFACTS_VARIABLE = "FACILITATOR_TEST_ARTEFACTS"

SMALL_TARGETS = """least => {
  const small = [];
  for (const control of document.querySelectorAll('a[href], button, input:not([type=hidden]), textarea, select')) {
    // A checkbox's label is its target: a thumb on the words ticks the box.
    const label = control.closest('label');
    const target = (control.type === 'checkbox' || control.type === 'radio') && label ? label : control;
    const box = target.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not shown
    if (box.width < least || box.height < least) {
      small.push(control.outerHTML.slice(0, 90) + ' is ' + Math.round(box.width) + 'x' + Math.round(box.height));
    }
  }
  return small;
}"""

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  if (document.documentElement.scrollWidth > width) {
    found.push('the page is ' + document.documentElement.scrollWidth + ' px wide in ' + width);
  }
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 0.5) {
      found.push(element.outerHTML.slice(0, 70) + ' ends at ' + Math.round(box.right) + ' of ' + width);
    }
  }
  return found;
}"""


@dataclass(frozen=True)
class Variant:
    lang: str
    script: bool

    @property
    def name(self) -> str:
        return f"{self.lang}-{'js' if self.script else 'nojs'}"

    @property
    def t(self) -> Any:
        return CATALOGUES[self.lang]


VARIANTS = [Variant(lang, script) for lang in ("en", "fr") for script in (True, False)]


def programme() -> Programme:
    """The tiny workshop, its last step asking a question in French: every page shows a question in the other
    language of one of the two pages. Its second step puts a question of every type to the room (in English)."""
    data = copy.deepcopy(TINY_PROGRAMME)
    share = data["exercises"][1]["steps"][1]
    share["prompt"] = {"text": FRENCH_QUESTION, "anonymity": "named"}
    pairs = data["exercises"][0]["steps"][1]
    pairs["questions"] = [
        {
            "id": "where",
            "type": "single",
            "text": "Where do you work?",
            "options": [{"id": "hq", "text": "At headquarters"}, {"id": "field", "text": "In a mission"}],
        },
        {
            "id": "topics",
            "type": "multiple",
            "text": "Which topics matter most to your work?",
            "options": [{"id": "budget", "text": "Budgeting"}, {"id": "data", "text": "Data and indicators"}],
        },
        {
            "id": "mood",
            "type": "scale",
            "text": "How confident are you with gender analysis?",
            "scale": {"min": 1, "max": 5, "low": "Not at all confident", "high": "Very confident"},
        },
        {"id": "hopes", "type": "text", "text": "What do you hope to learn this week?"},
        {
            "id": "first",
            "type": "quiz",
            "text": "Which resolution came first?",
            "options": [{"id": "r1325", "text": "Resolution 1325 (2000)"}, {"id": "r2242", "text": "Resolution 2242"}],
            "correct": ["r1325"],
            "anonymous": False,
        },
    ]
    return Programme.validate(data)


@pytest.fixture
def artefacts(tmp_path: Path) -> Path:
    """Where screenshots go: $FACILITATOR_TEST_ARTEFACTS/participant-page (a folder CI can keep), else tmp_path."""
    chosen = os.environ.get(ARTEFACTS_VARIABLE)
    folder = (Path(chosen) if chosen else tmp_path) / "participant-page"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Run:
    base: str
    token: str
    lead: Session


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    db = tmp_path / "run.db"
    store = Store.create(db, programme(), actor="lead")
    lead = Session(store, actor="lead")
    lead.add_participant("Aïssata Traoré", "aissata@example.org", "hq", participant_id="ada", code=ADA_CODE)
    lead.enter_step("reflect", "write", on=DAY)
    token = tokens.issue(tokens.load_settings(store), store.programme(), "hq", store.clock.now()).code
    try:
        with serving(db) as base:
            yield Run(base, token, lead)
    finally:
        store.close()


@dataclass
class Checker:
    """Looks at each state the walk-through reaches, and keeps every problem found (reported all at once)."""

    page: Page
    variant: Variant
    folder: Path
    problems: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    twin: Page | None = None

    def check(self, state: str, *, error: bool = False, summary: bool | None = None) -> None:
        """``error``: the title must say so; ``summary``: focus must be on the problem summary (default: error)."""
        self.states.append(state)
        focused_summary = error if summary is None else summary
        self._focus(state, focused_summary)
        self._title(state, error)
        self.page.screenshot(path=str(self.folder / f"{self.variant.name}-{len(self.states):02d}-{state}.png"))
        self._axe(state)
        for small in self.page.evaluate(SMALL_TARGETS, MIN_TARGET):
            self.problems.append(f"{state}: a target smaller than {MIN_TARGET}x{MIN_TARGET}: {small}")
        self._reflow(state)

    def expect(self, state: str, condition: bool, what: str) -> None:
        if not condition:
            self.problems.append(f"{state}: {what}")

    def _focus(self, state: str, on_summary: bool) -> None:
        focused = self.focused_id(wanted="summary" if on_summary else None)
        if on_summary:
            self.expect(state, focused == "summary", f"focus is on #{focused or 'the page'}, not the summary")
            box = self.page.locator("#summary").bounding_box()
            self.expect(state, box is not None and box["y"] < PHONE["height"], "the summary is below the first screen")
        else:
            self.expect(state, focused != "summary", "focus moved to a summary without a problem")

    def focused_id(self, wanted: str | None) -> str:
        """The id of the element with the focus, once ``wanted`` has it or after a second: the browser applies
        ``autofocus`` when it next renders, a moment after the page has loaded."""
        deadline = time.monotonic() + 1.0
        while True:
            focused = str(self.page.evaluate("document.activeElement ? document.activeElement.id : ''"))
            if focused == wanted or wanted is None or time.monotonic() > deadline:
                return focused
            time.sleep(0.05)

    def _title(self, state: str, error: bool) -> None:
        title = self.page.title()
        t = self.variant.t
        self.expect(state, title.endswith(t["title"]) and title != t["title"], f"the title {title!r} names no state")
        marked = title.startswith(t["title_error"].format(title=""))
        self.expect(state, marked == error, f"the title {title!r} {'does not say' if error else 'says'} error")

    def _axe(self, state: str) -> None:
        from axe_playwright_python.sync_playwright import Axe

        options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
        results = Axe().run(self.page if self.variant.script else self._twin(), options=options)
        if results.violations_count:
            self.problems.append(f"{state}: axe-core found\n{results.generate_report()}")

    def _twin(self) -> Page:
        """The page as it is now, in a tab where scripts run but the page's own is blocked: axe-core needs
        JavaScript (its checks wait on timers), the state without it must stay as the server sent it."""
        if self.twin is None:
            context = self.page.context.browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
            context.route("**/static/page.js", lambda route: route.abort())
            self.twin = context.new_page()
        html = self.page.content()
        url = self.page.url.split("?")[0].rstrip("/") + "/axe-twin"
        self.twin.route(url, lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"))
        self.twin.goto(url)
        self.twin.unroute(url)
        return self.twin

    def _reflow(self, state: str) -> None:
        layouts: list[tuple[str, ViewportSize, str]] = [
            ("320 px wide", NARROW, ""),
            ("200% zoom", ZOOMED, ""),
            ("text at 200%", PHONE, "200%"),
        ]
        for layout, viewport, font_size in layouts:
            self.page.set_viewport_size(viewport)
            self.page.evaluate("size => { document.documentElement.style.fontSize = size; }", font_size)
            for overflow in self.page.evaluate(OVERFLOW)[:5]:
                self.problems.append(f"{state}, {layout}: {overflow}")
        self.page.evaluate("() => { document.documentElement.style.fontSize = ''; }")
        self.page.set_viewport_size(PHONE)


def open_context(browser: Browser, variant: Variant) -> BrowserContext:
    return browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="fr-FR" if variant.lang == "fr" else "en-GB",
        java_script_enabled=variant.script,
    )


def press(page: Page, button: str, *, exact: bool = True) -> None:
    """Press the button of that name and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=exact).click()


def hidden_field(html: str, name: str, index: int = 0) -> str:
    values: list[str] = re.findall(rf'name="{name}" value="([^"]*)"', html)
    return values[index]


def fail_identifying(base: str, token: str, email: str, times: int) -> None:
    """Wrong codes with ``email`` from another client, until that e-mail's tries are used up."""
    with httpx.Client(base_url=base) as other:
        for _ in range(times):
            page = other.get(f"/p/{token}")
            form = {"csrf": hidden_field(page.text, "csrf"), "sid": hidden_field(page.text, "sid")}
            other.post(f"/p/{token}/identify", data={**form, "email": email, "code": "WRONG-CODE-1"})


def ask_to_join(base: str, token: str, times: int) -> None:
    """Requests to be added from this address, until its requests are used up."""
    with httpx.Client(base_url=base) as other:
        for number in range(times):
            page = other.get(f"/p/{token}")
            form = {"csrf": hidden_field(page.text, "csrf"), "sid": hidden_field(page.text, "sid", 1)}
            other.post(f"/p/{token}/join-request", data={**form, "name": "X", "email": f"x{number}@example.org"})


def described(page: Page, selector: str) -> str:
    """The accessible description of ``selector``: the text of the elements its aria-describedby names."""
    return str(
        page.evaluate(
            """selector => (document.querySelector(selector).getAttribute('aria-describedby') || '')
                .split(/\\s+/).filter(Boolean)
                .map(id => document.getElementById(id) ? document.getElementById(id).textContent.trim() : '')
                .join(' ')""",
            selector,
        )
    )


def language_of(page: Page, selector: str) -> str:
    return str(page.locator(selector).evaluate("element => element.closest('[lang]').getAttribute('lang')"))


# -- the walk-through, in the order a participant meets the states ----------------------------------------


def front_door(check: Checker, run: Run) -> None:
    page, t = check.page, check.variant.t
    page.goto(f"{run.base}/")
    check.check("front-door")
    page.get_by_role("textbox", name=t["enter_label"]).fill("hello")
    press(page, t["enter_submit"])
    check.check("front-door-error", error=True)
    code = page.locator("#code")
    check.expect("front-door-error", code.input_value() == "hello", "the code typed was cleared")
    check.expect("front-door-error", code.get_attribute("aria-invalid") == "true", "the code is not marked invalid")
    check.expect(
        "front-door-error",
        described(page, "#code").startswith(t["enter_invalid"]),
        "no error in the code's description",
    )
    page.goto(f"{run.base}/p/aaaabbbbcccc")
    check.check("link-invalid", error=True, summary=False)
    check.expect(
        "link-invalid", page.get_by_role("link", name=t["enter_again"]).count() == 1, "no way to the front door"
    )
    page.goto(f"{run.base}/nowhere")
    check.check("not-found", error=True, summary=False)


def identify(check: Checker, run: Run) -> None:
    page, t, state = check.page, check.variant.t, "identify"
    page.goto(f"{run.base}/p/{run.token}")
    check.check(state)
    email = page.get_by_role("textbox", name=t["email_label"], exact=True).first
    check.expect(state, email.count() == 1, "no e-mail box named by its label")
    check.expect(
        state, t["identify_help_code"] in described(page, "#email"), "the e-mail box is not described by the help"
    )
    page.locator("#email").fill("aissata@example.org")
    page.get_by_role("textbox", name=t["code_label"]).fill("WRONG-CODE-9")
    press(page, t["identify_submit"])
    state = "identify-no-match"
    check.check(state, error=True)
    check.expect(state, page.locator("#email").input_value() == "aissata@example.org", "the e-mail typed was cleared")
    for box in ("#email", "#personal-code"):
        check.expect(state, page.locator(box).get_attribute("aria-invalid") == "true", f"{box} is not marked invalid")
        check.expect(state, described(page, box).startswith(t["no_match"]), f"{box} is not described by the error")

    busy = f"busy-{check.variant.name}@example.org"
    fail_identifying(run.base, run.token, busy, 10)
    page.locator("#email").fill(busy)
    page.locator("#personal-code").fill("WRONG-CODE-9")
    press(page, t["identify_submit"])
    check.check("identify-too-many", error=True)
    check.expect("identify-too-many", page.locator("#email").input_value() == busy, "the e-mail typed was cleared")


def request_to_be_added(check: Checker, run: Run) -> None:
    page, t = check.page, check.variant.t
    page.goto(f"{run.base}/p/{run.token}")
    page.get_by_role("textbox", name=t["name_label"]).fill("Fay Newcomer")
    page.locator("#request-email").fill("fay@example.org")
    press(page, t["request_submit"])
    check.check("request-sent")
    # An address the browser accepts and the page does not: the server's refusal, with the typed text kept.
    page.get_by_role("textbox", name=t["name_label"]).fill("Fay Newcomer")
    page.locator("#request-email").fill("fay@example")
    press(page, t["request_submit"])
    state = "request-invalid"
    check.check(state, error=True)
    check.expect(state, page.locator("#request-name").input_value() == "Fay Newcomer", "the name typed was cleared")
    check.expect(state, page.locator("#request-email").input_value() == "fay@example", "the e-mail typed was cleared")
    for box in ("#request-name", "#request-email"):
        check.expect(state, page.locator(box).get_attribute("aria-invalid") == "true", f"{box} is not marked invalid")
        check.expect(state, t["request_invalid"] in described(page, box), f"{box} is not described by the error")
    ask_to_join(run.base, run.token, 10)
    page.locator("#request-email").fill("fay@example.org")
    press(page, t["request_submit"])
    state = "request-too-many"
    check.check(state, error=True)
    check.expect(state, page.locator("#request-name").input_value() == "Fay Newcomer", "the name typed was cleared")


def expired_form_without_cookie(check: Checker, run: Run) -> None:
    page, t = check.page, check.variant.t
    page.goto(f"{run.base}/p/{run.token}")
    page.context.clear_cookies()
    page.locator("#personal-code").fill(ADA_CODE)
    press(page, t["identify_submit"])
    check.check("form-expired", error=True, summary=False)
    back = page.get_by_role("link", name=t["back_to_page"])
    check.expect("form-expired", back.count() == 1, "no way back to the participant's page")
    with page.expect_navigation():
        back.click()
    check.expect("form-expired", page.url.startswith(f"{run.base}/p/{run.token}"), f"the way back led to {page.url}")


def check_in_and_answer(check: Checker, run: Run) -> None:
    page, t = check.page, check.variant.t
    page.goto(f"{run.base}/p/{run.token}")
    page.locator("#personal-code").fill(ADA_CODE)
    press(page, t["identify_submit"])
    state = "checked-in"
    check.check(state)
    answer = page.get_by_role("textbox", name=t["reflection_label"], exact=True)
    check.expect(state, answer.count() == 1, "no answer box named by its label")
    check.expect(state, ENGLISH_QUESTION in described(page, "#text"), "the question does not describe the answer box")
    check.expect(state, language_of(page, "#prompt") == "en", "the English question is not marked lang=en")
    check.expect(state, page.get_by_role("checkbox", name=t["consent_label"]).count() == 1, "no consent box by name")
    sign_out = page.get_by_role("button", name=t["not_you"])
    check.expect(
        state, "Aïssata Traoré" in described(page, "button.quiet"), "signing out does not say who is signed in"
    )
    check.expect(state, sign_out.count() == 1, "no sign-out button by name")

    page.locator("#text").fill("   ")
    press(page, t["reflect_submit"])
    state = "answer-empty"
    check.check(state, error=True)
    check.expect(state, page.locator("#text").get_attribute("aria-invalid") == "true", "the box is not marked invalid")
    description = described(page, "#text")
    check.expect(
        state, description.startswith(t["reflection_error"].split("{")[0]), "the error does not describe the box"
    )
    check.expect(state, ENGLISH_QUESTION in description, "the question no longer describes the box")

    page.locator("#text").fill("A useful day")
    page.get_by_role("checkbox", name=t["consent_label"]).check()
    press(page, t["reflect_submit"])
    check.check("answer-sent")


def question_changes_while_writing(check: Checker, run: Run) -> None:
    """The draft survives the question moving on twice: to a question in French, then to no question at all."""
    page, t, variant = check.page, check.variant.t, check.variant
    page.locator("#text").fill("My first draft")
    run.lead.enter_step("reflect", "share", on=DAY)
    show_new_question(check)
    state = "question-changed"
    check.check(state, summary=True)
    check.expect(state, page.locator("#text").input_value() == "My first draft", "the draft was lost")
    check.expect(state, language_of(page, "#prompt") == "fr", "the French question is not marked lang=fr")
    check.expect(
        state, ENGLISH_QUESTION in page.inner_text("#written-for"), "the question the draft answered is not shown"
    )
    check.expect(state, language_of(page, ".old-question") == "en", "the earlier question is not marked lang=en")
    check.expect(state, FRENCH_QUESTION in described(page, "#text"), "the new question does not describe the box")
    if variant.lang == "fr":
        check.expect(state, "Connexion\u00a0: Aïssata Traoré" in page.inner_text("#who"), "not 'Connexion : NAME'")

    run.lead.enter_step("warm-up", "intro", on=DAY)
    show_new_question(check)
    state = "no-question-draft-kept"
    check.check(state, summary=True)
    check.expect(state, page.locator("#kept").input_value() == "My first draft", "the draft was lost")

    page.locator("#kept").fill("")
    press(page, t["check_question"])
    state = "no-question"
    check.check(state)
    promise = page.get_by_text(t["no_prompt_updates"])
    check.expect(state, promise.is_visible() == variant.script, "the page promises updates it cannot make")


def show_new_question(check: Checker) -> None:
    """With the script, its notice and button; without, the button that is always there."""
    page, t = check.page, check.variant.t
    if not check.variant.script:
        press(page, t["check_question"])
        return
    focused = "document.activeElement ? document.activeElement.outerHTML.slice(0, 60) : ''"
    before = page.evaluate(focused)
    page.clock.run_for(11_000)
    page.wait_for_selector("#show-new:not([hidden])", timeout=10_000)
    state = "question-changed-notice"
    check.expect(state, page.inner_text("#changed") == t["prompt_changed"], "the live region does not say so")
    after = page.evaluate(focused)
    check.expect(state, after == before, f"the notice moved the focus from {before} to {after}")
    if state not in check.states:
        check.check(state)
    press(page, t["show_new_question"])


def questions_to_the_room(check: Checker, run: Run) -> None:
    """A question of every type: open, refused (nothing chosen; one closed meanwhile), recorded, closed with its
    results, a quiz revealed wrong and right, and a named question that needs a check-in first."""
    page, t = check.page, check.variant.t
    run.lead.enter_step("warm-up", "pairs", on=DAY)
    page.goto(f"{run.base}/p/{run.token}")
    state = "questions-open"
    check.check(state)
    for name in ("Where do you work?", "Which topics matter most to your work?", "Which resolution came first?"):
        check.expect(state, page.get_by_role("group", name=name).count() == 1, f"no group named {name!r}")
    scale = page.get_by_role("group", name="How confident are you with gender analysis?")
    check.expect(state, scale.get_by_role("radio").count() == 5, "the scale is not five radios")
    check.expect(
        state, scale.get_by_role("radio", name="5 (Very confident)").count() == 1, "the scale's end has no meaning"
    )
    check.expect(state, t["hint_scale"].format(min=1, max=5) in described(page, "#q-mood"), "the scale's hint")
    check.expect(state, page.get_by_role("checkbox", name="Budgeting").count() == 1, "no checkbox for an option")
    comment = page.get_by_role("textbox", name=t["reflection_label"], exact=True)
    check.expect(state, comment.count() == 1, "no comment box named by its label")
    check.expect(state, t["anonymous_note"] in described(page, "#q-hopes-text"), "the box does not say it is anonymous")
    consent = page.get_by_role("checkbox", name=t["comment_consent_anonymous"])
    check.expect(state, consent.count() == 1, "no consent to quote the comment")
    check.expect(state, language_of(page, "#q-where legend") == "en", "the English question is not marked lang=en")

    press(page, t["answers_submit"])
    state = "questions-nothing-chosen"
    check.check(state, error=True)
    check.expect(state, t["answer_nothing"] in described(page, "#q-where"), "the problem does not describe the group")

    page.get_by_role("radio", name="In a mission").check()
    page.get_by_role("checkbox", name="Data and indicators").check()
    scale.get_by_role("radio", name="4", exact=True).check()
    page.locator("#q-hopes-text").fill("Budget tagging")
    page.get_by_role("radio", name="Resolution 2242").check()
    run.lead.close_question("where")  # while they chose
    press(page, t["answers_submit"])
    state = "questions-closed-meanwhile"
    check.check(state, error=True)
    check.expect(state, t["answer_closed"] in page.inner_text("#q-where-error"), "no message at the closed question")
    check.expect(state, page.locator("#q-hopes-text").input_value() == "Budget tagging", "the comment was lost")
    check.expect(state, page.get_by_role("radio", name="Resolution 2242").is_checked(), "a choice was lost")

    press(page, t["answers_submit"])
    state = "questions-recorded"
    check.check(state)
    check.expect(state, page.locator(".recorded").count() == 4, "an answer does not say it is recorded")

    run.lead.reveal_results("where")
    page.goto(f"{run.base}/p/{run.token}")
    state = "question-closed-with-results"
    check.check(state)
    check.expect(state, t["question_closed"] in page.inner_text("#q-where"), "the closed question does not say so")

    run.lead.reveal_results("first")
    see_results(check, run, "#q-first-results")
    state = "quiz-wrong"
    check.check(state)
    check.expect(state, t["quiz_wrong"] in page.inner_text("#q-first-verdict"), "the quiz does not say it was wrong")

    run.lead.reveal_results("first", revealed=False)
    run.lead.check_out("ada", "facilitator")  # a named question: not checked in, no answer
    page.goto(f"{run.base}/p/{run.token}")
    state = "question-needs-check-in"
    check.check(state)
    check.expect(state, page.locator("input[name='c.first']").count() == 0, "the named question takes an answer")
    press(page, t["check_in_to_answer"])
    page.get_by_role("radio", name="Resolution 1325 (2000)").check()
    press(page, t["answers_submit"])
    run.lead.reveal_results("first")
    see_results(check, run, "#q-first-results")
    state = "quiz-right"
    check.check(state)
    check.expect(state, t["quiz_right"] in page.inner_text("#q-first-verdict"), "the quiz does not say it was right")


def see_results(check: Checker, run: Run, selector: str) -> None:
    """The results the facilitator revealed: with the script, without a reload; without, by looking again."""
    page = check.page
    if check.variant.script:
        page.clock.run_for(11_000)
        page.wait_for_selector(selector, timeout=10_000)
    else:
        press(page, check.variant.t["check_results"])


def breakout_groups(check: Checker, run: Run) -> None:
    """Groups meeting while the person, checked in late, is in none; then in a group with a call (issue 17)."""
    page, t, lead = check.page, check.variant.t, run.lead
    for pid, name, location in (
        ("ben", "Ben Okafor", "juba"),
        ("ana-d", "Ana Diallo", "juba"),
        ("ana-s", "Ana Silva", "hq"),
    ):
        lead.add_participant(name, f"{pid}@example.org", location, participant_id=pid)
        lead.check_in(pid)
    lead.check_out("ada", "facilitator")
    lead.make_groups(
        count=1, call_pattern="https://meet.example.org/wps-breakout-room-{n}", duration=timedelta(minutes=20)
    )
    lead.check_in("ada")  # a late arrival, in no group yet
    follow_groups(check, run, "#group")
    state = "groups-meeting-not-in-a-group"
    check.check(state)
    check.expect(state, page.inner_text("#group-members") == t["groups_without_you"], "no word about the groups")

    lead.add_to_smallest("ada")
    follow_groups(check, run, "#group-call")
    state = "in-a-group-with-a-call"
    check.check(state)
    members = page.inner_text("#group-members")
    check.expect(state, "Ana D." in members and "Ana S." in members and "Ben" in members, f"the members: {members}")
    call = page.get_by_role("link", name="https://meet.example.org/wps-breakout-room-1", exact=False)
    check.expect(state, call.count() == 1, "the call is not a link named by its address")
    check.expect(
        state, t["group_new_tab"] in (call.first.inner_text() if call.count() else ""), "no word of the new tab"
    )
    section = page.get_by_role("region", name=t["group_heading"])
    check.expect(state, section.count() == 1, "the group is not a region named by its heading")
    if check.variant.script:
        said = page.inner_text("#groups-live")
        check.expect(state, said == t["live_groups_changed"], f"the change was not announced: {said!r}")

    lead.end_groups()
    follow_groups(check, run, "#group", gone=True)
    if check.variant.script:
        said = page.inner_text("#groups-live")
        check.expect("groups-ended", said == t["live_groups_ended"], f"the end was not announced: {said!r}")


def follow_groups(check: Checker, run: Run, selector: str, *, gone: bool = False) -> None:
    """The groups as the driver changed them: with the script, without a reload; without, on the next load."""
    page = check.page
    if check.variant.script:
        page.clock.run_for(11_000)
        page.wait_for_selector(selector, state="detached" if gone else "visible", timeout=10_000)
        page.evaluate("window.scrollTo(0, 0)")  # where the group is: the screenshot shows it
    else:
        page.goto(f"{run.base}/p/{run.token}")


def check_out_and_in(check: Checker, run: Run) -> None:
    page, t = check.page, check.variant.t
    run.lead.enter_step("reflect", "write", on=DAY)
    page.goto(f"{run.base}/p/{run.token}")
    press(page, t["check_out_submit"])
    check.check("checked-out")
    press(page, t["check_in_submit"])
    run.lead.check_out("ada", "facilitator")  # from the app, while the page still offers to leave
    press(page, t["check_out_submit"])
    check.check("leave-refused", error=True)


def dead_ends_lead_back(check: Checker, run: Run) -> None:
    page, t = check.page, check.variant.t
    page.goto(f"{run.base}/p/aaaabbbbcccc")
    state = "link-invalid-signed-in"
    check.check(state, error=True, summary=False)
    back = page.get_by_role("link", name=t["back_to_page"])
    check.expect(state, back.count() == 1, "no way back to the participant's own page")
    with page.expect_navigation():
        back.click()
    check.expect(state, page.locator("#prompt").count() == 1, f"the way back led to {page.url}")

    # Signed out in another tab: this tab's form has expired, and its text comes back.
    page.locator("#text").fill("Written in the first tab")
    other = page.context.new_page()
    other.goto(page.url)
    press(other, t["not_you"])
    other.close()
    press(page, t["reflect_submit"])
    state = "form-expired-signed-out"
    check.check(state, error=True)
    check.expect(state, page.locator("#draft").input_value() == "Written in the first tab", "the text was lost")


def certificate_checked(check: Checker, run: Run) -> None:
    """/verify (issue 18): the form, a genuine certificate, and a code that is not one."""
    from facilitator.paperwork import verification

    page = check.page
    lang = f"?lang={check.variant.lang}"
    page.goto(f"{run.base}/verify{lang}")
    check.check("verify-form")
    key = verification.certificate_key(tokens.load_settings(run.lead.store).secret)
    page.goto(f"{run.base}/verify/{verification.sign(key, 'ada', 1, 870)}{lang}")
    state = "verify-genuine"
    check.check(state)
    check.expect(state, "Aïssata Traoré" in page.inner_text("main"), "the holder is not named")
    page.goto(f"{run.base}/verify/AAAA-BBBB-CCCC-DDDD-EEEE{lang}")
    check.check("verify-not-genuine", error=True, summary=False)


WALK = [
    front_door,
    identify,
    request_to_be_added,
    expired_form_without_cookie,
    check_in_and_answer,
    question_changes_while_writing,
    questions_to_the_room,
    breakout_groups,
    check_out_and_in,
    dead_ends_lead_back,
    certificate_checked,
]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda variant: variant.name)
def test_every_page_state_is_accessible(
    run: Run,
    chromium_path: str,
    artefacts: Path,
    variant: Variant,
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            context = open_context(browser, variant)
            page = context.new_page()
            if variant.script:
                page.clock.install()  # the page checks for a new question every 10 s: run its timers on demand
            check = Checker(page, variant, artefacts)
            for part in WALK:
                part(check, run)
        finally:
            browser.close()
    assert len(check.states) >= 29, check.states
    assert not check.problems, "\n".join(check.problems)
