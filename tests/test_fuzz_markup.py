"""Fuzzing how participant text is shown: Rich markup, ANSI escapes and control characters stay literal.

Names and reflections come from strangers (a walk-in's name, a phone's reflection). Whatever they hold, the
screen shows it as text: no style, link or click action is made from it, no escape sequence reaches the
terminal, and what is shown is the text itself (control characters as visible escapes).
"""

from __future__ import annotations

import asyncio
import io
import re
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text
from textual.strip import Strip

from facilitator.live.session import Session
from facilitator.problems import InputError
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.text import printable
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.screens.reflections import one_line
from tests.conftest import TINY_PROGRAMME

FUZZ = settings(max_examples=200, deadline=None)
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
PIECES = st.sampled_from(
    [
        "[bold]", "[/bold]", "[/]", "[red on white]", "[link=https://e.vil]", "[@click=app.quit]", "[@click=quit]",
        "[b]x[/b]", "\\[b]", "[", "]", "\\", ":smile:", "\x1b[31m", "\x1b[2J", "\x1b]8;;https://e.vil\x1b\\",
        "\x1b]0;title\x07", "\x9b31m", "\x07", "\x08", "\r", "\n", "\t", "\x00", "\x7f", "\u202e", "\u2066",
        "\u200f", "<script>alert(1)</script>", "&amp;", "%s", "{0}", "مرحبا", "שלום", "👩🏽‍💼", "e\u0301",
    ]
)  # fmt: skip
STRANGER_TEXT = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=8).map("".join)


def rendered(text: Text, width: int = 200) -> tuple[str, list[object]]:
    """What a colour terminal receives for ``text``, and the styles of its segments."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="truecolor", width=width, legacy_windows=False)
    segments = list(console.render(text, console.options.update(no_wrap=True, overflow="ignore")))
    console.print(text, soft_wrap=True, end="")
    return out.getvalue(), [s.style for s in segments]


def visible(text: str) -> str:
    """Text without the white space a renderer may lay out differently (tabs, line ends, runs of spaces)."""
    return "".join(text.split())


@FUZZ
@given(STRANGER_TEXT)
def test_printable_leaves_no_control_character_and_is_stable(text: str) -> None:
    shown = printable(text)
    assert not UNSAFE.search(shown)
    assert printable(shown) == shown
    # Nothing is lost: every character is there, or its escape is.
    assert len(shown) >= len(text)


@FUZZ
@given(STRANGER_TEXT)
def test_participant_text_reaches_the_terminal_as_plain_text(text: str) -> None:
    terminal, styles = rendered(Text(printable(text)))
    assert "\x1b" not in terminal, "an escape sequence reached the terminal"
    assert not UNSAFE.search(terminal.replace("\n", "").replace("\t", ""))
    assert all(not style for style in styles), "participant text got a style"
    assert visible(terminal) == visible(printable(text).expandtabs(1))


@FUZZ
@given(STRANGER_TEXT, st.integers(1, 60), st.sampled_from(["", "dim", "bold", "dim strike"]))
def test_a_table_cell_is_one_literal_line(text: str, width: int, style: str) -> None:
    cell = one_line(text, width, style)
    assert "\n" not in cell.plain
    assert cell.cell_len <= width
    assert not cell.spans, "the cell's text made spans (markup was read)"
    assert str(cell.style) == style
    flat = " ".join(printable(text[: width * 4]).split())
    shown = cell.plain.removesuffix("…").rstrip()  # a wide character cut in half is padded with a space
    assert flat.startswith(shown) or shown == "", (flat, shown)
    terminal, _ = rendered(cell)
    assert "\x1b]8" not in terminal  # no hyperlink


# -- through the app -----------------------------------------------------------------------------------

MARK = "§"  # put in front of each fuzzed text, to find it on the screen


def screen_strips(app: FacilitatorApp) -> list[Strip]:
    return app.screen._compositor.render_strips()


def check_screen(app: FacilitatorApp, texts: list[str], where: str) -> None:
    lines: list[str] = []
    for strip in screen_strips(app):
        line = ""
        for segment in strip:
            style = segment.style
            assert not (style and style.link), f"{where}: a link was made: {segment!r}"
            meta = style.meta if style else {}
            assert not any("quit" in str(v) or "e.vil" in str(v) for v in meta.values()), f"{where}: {meta}"
            assert "\x1b" not in segment.text and not UNSAFE.search(segment.text.replace("\n", "")), where
            line += segment.text
        lines.append(line)
    screen = "\n".join(lines)
    for text in texts:
        # The mark and the first characters after it are on screen as text (a cell may cut the rest).
        start = "".join(c for c in " ".join(printable(text).split())[:5] if not unicodedata.combining(c))
        shown = [" ".join("".join(c for c in line if not unicodedata.combining(c)).split()) for line in lines]
        assert any(start in line for line in shown), f"{where}: {start!r} not on screen:\n{screen}"


async def show_everywhere(db: Path, texts: list[str]) -> None:
    app = FacilitatorApp(db_path=db, actor="lead", clock=FakeClock())
    async with app.run_test(size=(140, 40)) as pilot:
        for _ in range(300):
            await pilot.pause(0.01)
            if app.screen.__class__.__name__ == "LeadScreen" and app.state.reflections:
                break
        await pilot.pause(0.05)
        check_screen(app, [texts[1]], "main screen")
        await pilot.press("a")
        for _ in range(300):
            await pilot.pause(0.01)
            if app.screen.__class__.__name__ == "AttendanceScreen" and app.attendance is not None:
                break
        await pilot.pause(0.1)
        check_screen(app, [texts[0]], "attendance screen")
        await pilot.press("escape")
        await pilot.pause(0.05)
        await pilot.press("R")
        for _ in range(300):
            await pilot.pause(0.01)
            if app.screen.__class__.__name__ == "ReflectionsScreen":
                break
        await pilot.pause(0.1)
        check_screen(app, [texts[1], texts[2]], "reflections screen")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STRANGER_TEXT, min_size=3, max_size=3))
def test_names_and_reflections_on_every_screen_stay_literal(texts: list[str]) -> None:
    name, reflection, author = (MARK + text for text in texts)
    with tempfile.TemporaryDirectory(prefix="fuzz-markup-") as scratch:
        db = Path(scratch) / "run.db"
        with Store.create(db, Programme.validate(TINY_PROGRAMME), actor="lead", clock=FakeClock()) as store:
            session = Session(store, actor="lead")
            session.next_step()
            try:
                added = session.add_participant(name, "walk.in@example.org", "hq")
                logged = session.log_reflection(reflection, participant=author, consent=True)
            except InputError:
                assume(False)  # refused: not shown anywhere, nothing to check
        # What was stored (the core trims white space at the ends) is what must be shown, literally.
        stored = [added.payload["name"], logged.payload["text"], logged.payload["participant"]]
        asyncio.run(show_everywhere(db, stored))
