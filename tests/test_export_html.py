"""The HTML report in a real browser: headless Chromium loads it without errors, draws its charts, runs no script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from facilitator.script.models import Programme
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
