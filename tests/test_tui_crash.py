"""A crash never shows a traceback or data: one line and a private report (facilitator.tui.crash); the palette
neither crashes on its page keys nor saves screenshots outside the lead's terminal (facilitator.tui.palette)."""

from __future__ import annotations

import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.crash import CrashReportingApp, run_app
from facilitator.tui.screens.lead import LeadScreen
from facilitator.tui.screens.room import RoomApp

DEMO = Path(__file__).resolve().parent.parent / "exercises"
# The one stylesheet, for the apps' subclasses made here (a relative CSS_PATH is read beside the class's module).
CSS = str(Path(__file__).resolve().parent.parent / "facilitator" / "tui" / "facilitator.tcss")
ON_THE_DAY = datetime(2022, 8, 22, 12, 0, tzinfo=UTC)
MESSAGE = "the failing screen failed, as it was made to"
# What a frame's local variable holds: Textual's own crash screen would print it. It is built at run time, so
# that no source line of a traceback shows it either.
PRIVATE = "".join(reversed("gro.elpmaxe@ollaid.animA"))
LINE_START = "facilitator stopped on an unexpected error (RuntimeError); the run is saved; details in "


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(DEMO).programme, actor="lead", clock=FakeClock(ON_THE_DAY)).close()
    return db


@pytest.fixture
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$XDG_STATE_HOME for the test: where crash reports go."""
    home = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home


class FailingScreen(Screen[None]):
    """A screen whose key x raises, with a participant's e-mail in a local variable."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("x", "fail", "Fail")]

    def compose(self) -> ComposeResult:
        yield Static("about to fail")

    def action_fail(self) -> None:
        participant = PRIVATE  # what Textual's traceback would show among the frame's locals
        raise RuntimeError(f"{MESSAGE} ({len(participant)})")


def apps(db: Path) -> dict[str, Callable[[], CrashReportingApp]]:
    clock = FakeClock(ON_THE_DAY)
    return {
        "lead": lambda: FacilitatorApp(db_path=db, actor="lead", clock=clock, presence_clock=clock),
        "co": lambda: FacilitatorApp(db_path=db, actor="amina", role="co", clock=clock, presence_clock=clock),
        "room": lambda: RoomApp(db_path=db, actor="projector", clock=clock, claim_presence=False),
    }


async def started(pilot: Pilot[None]) -> None:
    app = pilot.app
    for _ in range(500):  # the lead's screen is pushed once the run is read from the database
        if not isinstance(app, FacilitatorApp) or any(isinstance(s, LeadScreen) for s in app.screen_stack):
            break
        await pilot.pause(0.01)
    await pilot.pause()


def assert_private_report(path: Path, state_home: Path) -> str:
    assert path.parent == state_home / "facilitator"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    return path.read_text()


@pytest.mark.parametrize("kind", ["lead", "co", "room"])
async def test_a_crash_in_a_screen_leaves_one_line_and_a_private_report(
    kind: str, demo_db: Path, state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = apps(demo_db)[kind]()
    with pytest.raises(RuntimeError, match=MESSAGE):  # run_test raises the app's exception for the test
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            await app.push_screen(FailingScreen())
            await pilot.press("x")
            await pilot.pause()
    assert app.return_code == 1
    crash = app.crash
    assert crash is not None and crash.path is not None

    report = assert_private_report(crash.path, state_home)
    assert report.startswith("facilitator crash report\n")
    assert "Traceback (most recent call last):" in report
    assert "in action_fail" in report and 'raise RuntimeError(f"{MESSAGE} ({len(participant)})")' in report
    assert f"RuntimeError: {MESSAGE} ({len(PRIVATE)})" in report
    assert PRIVATE not in report  # no local variables, not even in the private report

    assert "\n" not in crash.line
    assert crash.line == LINE_START + str(crash.path)
    # Textual's traceback with its locals reaches neither stream; nothing else is printed either.
    printed = capsys.readouterr()
    assert printed.out == printed.err == ""


def test_run_app_prints_the_one_line_and_exits_1(
    demo_db: Path, state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    class FailsOnMount(FacilitatorApp):
        CSS_PATH = CSS

        def on_mount(self) -> None:  # type: ignore[override]
            participant = PRIVATE
            raise RuntimeError(f"{MESSAGE} ({len(participant)})")

    made: list[FailsOnMount] = []

    def make() -> FailsOnMount:
        made.append(FailsOnMount(db_path=demo_db, actor="amina", role="co", clock=FakeClock(ON_THE_DAY)))
        return made[0]

    assert run_app(make, headless=True) == 1
    crash = made[0].crash
    assert crash is not None and crash.path is not None
    assert PRIVATE not in assert_private_report(crash.path, state_home)
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err == crash.line + "\n"
    assert crash.line == LINE_START + str(crash.path)


def test_a_failure_outside_textual_is_reported_the_same_way(
    state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def make() -> CrashReportingApp:
        participant = PRIVATE
        raise RuntimeError(f"{MESSAGE} ({len(participant)})")

    assert run_app(make, headless=True) == 1
    [path] = (state_home / "facilitator").iterdir()
    assert f"RuntimeError: {MESSAGE}" in assert_private_report(path, state_home)
    assert capsys.readouterr().err == LINE_START + str(path) + "\n"


def test_the_report_goes_next_to_the_run_when_the_state_folder_cannot_be_written(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # a file where the state folder would go: nothing can be created under it
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))

    class FailsOnMount(RoomApp):
        CSS_PATH = CSS

        def on_mount(self) -> None:  # type: ignore[override]
            raise RuntimeError(MESSAGE)

    assert run_app(lambda: FailsOnMount(db_path=demo_db, actor="projector"), headless=True) == 1
    [path] = demo_db.parent.glob("run.db.crash-*.log")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"RuntimeError: {MESSAGE}" in path.read_text()
    assert capsys.readouterr().err == LINE_START + str(path) + "\n"


# -- the palette ----------------------------------------------------------------------------------------


async def test_ctrl_p_and_page_down_in_one_burst_leave_the_app_running(demo_db: Path, state_home: Path) -> None:
    app = apps(demo_db)["co"]()
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        # As keys arrive over a slow link: the page key reaches the palette before its list is laid out.
        for key in ("ctrl+p", "pagedown", "pageup"):
            app.post_message(events.Key(key, None))
        await pilot.pause(0.2)
        assert isinstance(app.screen, CommandPalette)
        commands = app.screen.query_one(CommandList)
        assert commands.option_count > 3 and commands.highlighted == 0
        await pilot.press("pagedown")  # once laid out, a page key pages
        assert commands.highlighted is not None and commands.highlighted > 0
        await pilot.press("escape")
        assert app.is_running
    assert app.crash is None
    assert not state_home.exists()


async def palette_titles(pilot: Pilot[None], query: str) -> list[str]:
    """What the palette lists for ``query`` once its search has settled."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await pilot.press(*query)
    commands = app.screen.query_one(CommandList)
    found: list[str] = []
    for _ in range(300):
        await pilot.pause(0.01)
        found = [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]
        if any("No matches found" in title or "Screenshot" in title for title in found):
            break
    await pilot.press("escape")
    return found


@pytest.mark.parametrize(("kind", "offered"), [("lead", True), ("co", False), ("room", False)])
async def test_only_the_leads_palette_offers_a_screenshot(
    kind: str, offered: bool, demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where Textual would save a screenshot
    app = apps(demo_db)[kind]()
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        titles = await palette_titles(pilot, "screensh")
        assert any("Screenshot" in title for title in titles) is offered, titles
        # A theme, which writes nothing, is offered to everyone: the palette itself works.
        assert any("Theme" in title for title in await palette_titles(pilot, "theme"))
        if not offered:
            assert await app.run_action("screenshot") is False  # nor as an action ([@click=app.screenshot])
    assert not list(tmp_path.rglob("*.svg"))


def test_without_anywhere_to_write_the_line_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))

    def make() -> CrashReportingApp:
        raise RuntimeError(PRIVATE)

    assert run_app(make, headless=True) == 1
    assert capsys.readouterr().err == (
        "facilitator stopped on an unexpected error (RuntimeError); the run is saved; "
        "no report could be written (Not a directory)\n"
    )


def test_an_app_that_exits_with_a_code_passes_it_on(demo_db: Path, state_home: Path) -> None:
    class Refused(RoomApp):
        CSS_PATH = CSS

        def on_mount(self) -> None:  # type: ignore[override]
            self.exit(return_code=2)  # as the lead's app does when another lead holds the run

    assert run_app(lambda: Refused(db_path=demo_db, actor="projector"), headless=True) == 2
    assert not state_home.exists()
