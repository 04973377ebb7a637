"""The HTML report in a real browser: headless Chromium loads it without errors, draws its charts, runs no script;
with questions, a chart per question, the knowledge gain and the evaluation, each named and beside its table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from facilitator.exports.run import export
from facilitator.record.clock import FakeClock
from facilitator.script.models import Programme
from tests.test_export_questions import COMMENT, FORMULA, PRIVATE, build
from tests.test_export_run import XSS, run_export
from tests.tools import require

pytestmark = pytest.mark.slow


def test_report_loads_in_chromium_with_charts_and_inert_participant_text(
    tmp_path: Path, tiny_programme: Programme
) -> None:
    chromium = require("chromium")
    out, _ = run_export(tmp_path, tiny_programme, formats=["html", "md"])
    report = out / "report.html"
    source = report.read_text(encoding="utf-8")
    assert "http://" not in source.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in source and "<link" not in source and "<script" not in source  # self-contained

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            problems: list[str] = []
            page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}"))
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

            def on_dialog(dialog: Any) -> None:  # alert() from an injected script would land here
                problems.append(f"dialog: {dialog.message}")
                dialog.dismiss()

            page.on("dialog", on_dialog)
            page.on(
                "request",
                lambda request: problems.append(f"request: {request.url}") if request.url != report.as_uri() else None,
            )
            page.goto(report.as_uri())
            page.wait_for_load_state("load")

            # charts: attendance, gender and one timeline per day run, each with its bars
            assert page.locator("#questions, #knowledge-gain, #evaluation").count() == 0  # no question asked
            assert page.locator("svg").count() == 4
            assert page.locator("svg rect.bar").count() >= 8
            assert page.locator("svg title").first.text_content() == "Attendance by day and location"
            # the reflection's markup is shown as text, and nothing of it became an element
            quotes = page.locator("blockquote").all_text_contents()
            assert any(XSS in quote for quote in quotes)
            assert page.evaluate("document.scripts.length") == 0
            assert page.locator("img").count() == 0
            assert page.evaluate("window.__xss === undefined")
            # it prints: a PDF comes out of the print stylesheet
            page.emulate_media(media="print")
            assert page.pdf(format="A4").startswith(b"%PDF")
            assert problems == []
        finally:
            browser.close()

    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown
    assert "<script>" not in markdown and "<img" not in markdown


# -- the room's answers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = require("chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def answered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FakeClock]:
    return build(tmp_path_factory.mktemp("answered"))


def _report(run: tuple[Path, FakeClock], out: Path, **options: Any) -> Path:
    db, clock = run
    export(db, out, now=clock.now(), formats=["html"], **options)
    return out / "report.html"


def _open(browser: Browser, report: Path) -> tuple[Page, list[str]]:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    return page, problems


def _chart(page: Page, name: str, nth: int = 0) -> Any:
    """The chart whose accessible name (its SVG title) is ``name``."""
    return page.get_by_role("img", name=name, exact=True).nth(nth)


def test_each_question_has_a_chart_named_described_and_beside_its_table(
    browser: Browser, answered: tuple[Path, FakeClock], tmp_path: Path
) -> None:
    page, problems = _open(browser, _report(answered, tmp_path / "out"))
    try:
        # A chart per poll, scale and quiz (the check's twice: before and after), the gain, the evaluation's scale
        assert page.locator("#questions svg").count() == 4
        assert page.locator("#knowledge-gain svg").count() == 1
        assert page.locator("#evaluation svg").count() == 1
        for chart in page.locator("#questions svg, #knowledge-gain svg, #evaluation svg").all():
            assert chart.get_attribute("role") == "img"
            assert chart.locator("desc").text_content()  # what it shows, in words
            # every chart is followed by a table of the same figures
            assert chart.locator("xpath=ancestor::figure/following-sibling::*[1]").evaluate("e => e.tagName") == "TABLE"

        where = _chart(page, "Where do you work?")
        assert where.locator("rect.bar title").all_text_contents() == [
            "All, HQ: 2 of 3 (67%)",
            "Headquarters, HQ: 2 of 2 (100%)",
            "Juba, HQ: 0 of 1 (0%)",
            "All, A mission: 1 of 3 (33%)",
            "Headquarters, A mission: 0 of 2 (0%)",
            "Juba, A mission: 1 of 1 (100%)",
        ]
        labels = where.locator("text").all_text_contents()
        assert "2 · 67%" in labels and "1 · 100%" in labels  # counts and shares written on the chart
        assert {"All (3 answered)", "Headquarters (2 answered)", "Juba (1 answered)"} <= set(labels)

        quiz = _chart(page, "Which resolution came first?")  # the pre check's
        right = quiz.locator("text", has_text="(correct)")
        assert right.all_text_contents() == ["1325 (correct)"]  # in words, not by colour alone
        assert right.get_attribute("font-weight") == "bold"
        assert "2242" in quiz.locator("text").all_text_contents()

        mood = _chart(page, "How do you arrive?")
        assert "All (2 answered, mean 4.50)" in mood.locator("text").all_text_contents()
        assert "Mean: All 4.50; Headquarters 4.00; Juba 5.00." in (mood.locator("desc").text_content() or "")

        gain = _chart(page, "Knowledge check wps: mean score before and after")
        assert gain.locator("rect.bar title").all_text_contents()[:2] == [
            "All, before: mean 1.33 of 2",
            "All, after: mean 1.33 of 2",
        ]
        texts = gain.locator("text").all_text_contents()
        assert texts.count("before") == texts.count("after") == 5  # all, two locations, two genders
        assert {"gender: female", "gender: male", "2.00 of 2", "0.00 of 2"} <= set(texts)

        overall = _chart(page, "Overall?")
        assert "All (2 answered, mean 2.50)" in overall.locator("text").all_text_contents()
        comments = page.locator("#evaluation blockquote").all_text_contents()
        assert [c.split("—")[0] for c in comments] == [COMMENT, FORMULA]  # only those given with consent
        assert PRIVATE not in page.content()
        assert page.evaluate("document.scripts.length") == 0
        assert problems == []
    finally:
        page.close()


def test_withheld_groups_are_not_drawn_and_are_said_to_be_withheld(
    browser: Browser, answered: tuple[Path, FakeClock], tmp_path: Path
) -> None:
    # k=2: both locations stand on the roster, but Juba gave one answer to "where": not drawn, and said so;
    # nor is Headquarters, which would give Juba's answer as the total less its own.
    page, problems = _open(browser, _report(answered, tmp_path / "k2", anonymise=True, min_cell=2))
    try:
        where = _chart(page, "Where do you work?")
        legend = where.locator("text").all_text_contents()
        assert "All (3 answered)" in legend
        assert not any(label.startswith(("Juba", "Headquarters")) for label in legend)
        assert [t.split(",")[0] for t in where.locator("rect.bar title").all_text_contents()] == ["All"] * 2
        desc = where.locator("desc").text_content() or ""
        assert "Juba (withheld: fewer than 2 answers)" in desc
        assert "Headquarters (withheld: fewer than 2 answers)" in desc
        table = where.locator("xpath=ancestor::figure/following-sibling::table[1]")
        assert table.locator("thead th").all_text_contents() == [
            "Option", "All", "Headquarters", "Juba", "gender: female", "gender: suppressed"
        ]  # fmt: skip
        assert table.locator("tbody tr").first.locator("td").all_text_contents() == [
            "3",
            "withheld",
            "withheld",
            "withheld",  # the one in the pooled gender group would otherwise be the total less the women
            "withheld",
        ]
        assert problems == []
    finally:
        page.close()
    # A roster smaller than k: every group of the gain is withheld, and the chart says so in words.
    page, problems = _open(browser, _report(answered, tmp_path / "k20", anonymise=True, min_cell=20))
    try:
        gain = _chart(page, "Knowledge check wps: mean score before and after")
        assert gain.locator("rect.bar").count() == 0
        withheld = gain.locator("text", has_text="withheld").all_text_contents()
        assert withheld and set(withheld) == {"withheld: fewer than 20 people"}
        assert page.locator("#questions svg").count() == 0  # no figure to draw at all
        assert page.locator("#questions td.withheld").count() > 0
        assert problems == []
    finally:
        page.close()
