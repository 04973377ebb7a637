"""The room answers, end to end (issue 15): the lead steps through a workshop in a real terminal (tmux), three
phones (headless Chromium on ``facilitator serve``) check in and answer a scale, a knowledge check's quiz
before and after, and the course evaluation; the lead's screen counts them as they come, the room view
(``facilitator present``, a second terminal) shows the quiz's results only once the lead reveals them, each
phone learns whether it was right, and ``facilitator export`` holds every answer and each person's gain.

The workshop is the tiny one of tests/test_questions.py: intro asks "mood" (a scale, results live) and
"where" (a named single choice); pairs asks the knowledge check's quiz before (hidden until revealed: "1325"
is right), share asks it after; the evaluation (a comment) opens at reflect/write.
"""

from __future__ import annotations

import csv
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from facilitator.live.session import Session
from facilitator.participant_page import tokens
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.test_questions import with_questions
from tests.test_web_browser import serving
from tests.tools import BIN, Tmux, require

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.slow

PHONES = [  # name, id, e-mail, personal code, location
    ("Ada Lovelace", "ada", "ada@example.org", "K7Q2-XY89", "hq"),
    ("Bea Nkosi", "bea", "bea@example.org", "M3P8-ZR41", "juba"),
    ("Chidi Okafor", "chidi", "chidi@example.org", "T5W9-HN27", "juba"),
]
QUIZ = "Which resolution came first?"
COMMENT = "The pairs exercise helped me most"


@pytest.fixture
def terminals() -> Iterator[list[Tmux]]:
    opened: list[Tmux] = []
    yield opened
    for terminal in opened:
        terminal.kill()


def terminal(opened: list[Tmux], command: str, cwd: Path) -> Tmux:
    tmux = Tmux(f"facilitator-q-{os.getpid()}-{uuid.uuid4().hex[:6]}", width=120, height=40)
    opened.append(tmux)
    tmux.start(command, cwd=cwd)
    return tmux


def phone_for(browser: Browser, base: str, token: str, email: str, code: str) -> Page:
    """A phone that opened the link and said who it is: checked in."""
    page = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="en-GB").new_page()
    page.goto(f"{base}/p/{token}")
    page.fill("#email", email)
    page.fill("#personal-code", code.replace("-", ""))
    page.click("form[action*='/identify'] button")
    page.wait_for_selector("#checked-in")
    return page


def send(page: Page) -> None:
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_selector("#answers-sent")


def fresh(page: Page, base: str, token: str) -> Page:
    """The phone's page as it is now (each phone reloads it, or its script would, within ten seconds)."""
    page.goto(f"{base}/p/{token}")
    page.wait_for_selector("#questions")
    return page


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_phones_answer_the_lead_counts_reveals_and_the_export_holds_the_gain(
    tmp_path: Path, terminals: list[Tmux]
) -> None:
    from playwright.sync_api import sync_playwright

    chromium = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else require("chromium")
    db = tmp_path / "run.db"
    with Store.create(db, Programme.validate(with_questions()), actor="setup") as store:
        setup = Session(store, actor="setup")
        for name, pid, email, code, location in PHONES:
            setup.add_participant(name, email, location, participant_id=pid, code=code)
        links = {
            location: tokens.issue(tokens.load_settings(store), store.programme(), location, store.clock.now()).code
            for location in ("hq", "juba")
        }

    with serving(db) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            lead = terminal(terminals, f"facilitator run --db {db} --as lead", tmp_path)
            lead.wait_for_text("Press n to start")
            lead.send("n")  # intro: the scale and the named poll
            lead.wait_for_text("How do you arrive?")
            phones = {
                pid: (phone_for(browser, base, links[location], email, code), links[location])
                for _, pid, email, code, location in PHONES
            }
            for (value, place), (page, token) in zip(
                (("4", "HQ"), ("5", "A mission"), ("4", "A mission")), phones.values(), strict=True
            ):
                fresh(page, base, token).get_by_role("radio", name=value, exact=True).first.check()
                page.get_by_role("group", name="Where do you work?").get_by_role("radio", name=place).check()
                send(page)
            screen = lead.wait_for_text("mean 4.3 (from 1 to 5)")  # (4 + 5 + 4) / 3
            assert screen.count("3 of 3 answered") == 2 and screen.count("answered/present: HQ 1/1 JUBA 2/2") == 2
            assert not any(name in screen for name, *_ in PHONES)

            lead.send("n")  # pairs: the knowledge check's quiz, results hidden until revealed
            lead.wait_for_text(QUIZ)
            room = terminal(terminals, f"facilitator present --db {db} --as room", tmp_path)
            before = room.wait_for_text(QUIZ)
            for choice, (page, token) in zip(("1325", "2242", "1325"), phones.values(), strict=True):
                fresh(page, base, token).get_by_role("radio", name=choice).check()
                send(page)
            counted = lead.wait_for_text("3 of 3 answered")
            assert "67%" in counted and "33%" in counted  # two chose 1325, one 2242
            before = room.wait_for_text("Answers are being collected.")
            assert "%" not in before and "answers" not in before.replace("Answers are being collected.", "")

            lead.send("v")  # shown to the room
            after = room.wait_for_text("3 answers")
            assert "✓ 1325" in after and "67%" in after and "33%" in after
            assert not any(name in after for name, *_ in PHONES)
            ada = fresh(phones["ada"][0], base, phones["ada"][1])
            bea = fresh(phones["bea"][0], base, phones["bea"][1])
            assert "Your answer is not right" in bea.inner_text("#q-wps_pre_q1-verdict")
            assert "right" in ada.inner_text("#q-wps_pre_q1-verdict")
            assert "not right" not in ada.inner_text("#q-wps_pre_q1-verdict")

            lead.send("n")  # reflect/write: the evaluation opens, and stays open
            lead.wait_for_text("What was most useful?")
            page, token = phones["ada"]
            evaluation = fresh(page, base, token).get_by_role("group", name="What was most useful?")
            evaluation.get_by_role("textbox").fill(COMMENT)
            evaluation.get_by_role("checkbox").check()  # may be quoted
            send(page)

            lead.send("n")  # share: the knowledge check after; everyone right now
            lead.wait_for_text("▶ 09:30 Share")
            for page, token in phones.values():
                fresh(page, base, token).get_by_role("group", name=QUIZ).get_by_role("radio", name="1325").check()
                send(page)
            post = lead.wait_for_text("100%")
            assert "3 of 3 answered" in post and "results hidden" in post  # hidden again: a new question
        finally:
            browser.close()

    out = tmp_path / "export"
    done = subprocess.run(
        [str(BIN / "facilitator"), "export", "--db", str(db), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    answers = rows(out / "answers.csv")
    by_question: dict[str, int] = {}
    for row in answers:
        by_question[row["question"]] = by_question.get(row["question"], 0) + 1
    assert by_question == {"mood": 3, "where": 3, "wps/pre/q1": 3, "evaluation/useful": 1, "wps/post/q1": 3}
    gain = {row["participant_id"]: (row["pre"], row["post"], row["gain"]) for row in rows(out / "knowledge_gain.csv")}
    assert gain == {"ada": ("2", "2", "0"), "bea": ("0", "2", "2"), "chidi": ("2", "2", "0")}
    assert [row["comment"] for row in rows(out / "evaluation_comments.csv")] == [COMMENT]
