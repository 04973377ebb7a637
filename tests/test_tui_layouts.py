"""What people copy or read is never cut, at any window size, and a running timer repaints only what changes
(issue 25): the QR screen and the room view at narrow widths, the minimum-size message, the help table, the
pace warning, the attendance list in a small window, names in reading order."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.text import Text
from textual.app import App
from textual.geometry import Region
from textual.pilot import Pilot

from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.screens.attendance import reading_key
from facilitator.tui.screens.help import KeyTable
from facilitator.tui.screens.room import RoomApp
from facilitator.tui.widgets.panels import PaceView, TimerView, changed_columns
from facilitator.tui.widgets.qr import LocationQr
from facilitator.tui.widgets.too_small import TooSmall
from tests import test_tui, test_tui_attendance
from tests.conftest import DEMO_FOLDER
from tests.test_tui_participant_page import expected_url, make_run, until


def screen_text(app: App[Any]) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def unwrapped(app: App[Any]) -> str:
    """The screen's text with its lines joined and spaces dropped: a code or link wrapped over lines reads whole."""
    return "".join(screen_text(app).split())


def typed_code(url: str) -> str:
    code = url.rsplit("/", 1)[1]
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


# -- what people copy ----------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [30, 40, 50, 61, 80])
async def test_the_qr_screen_shows_the_whole_code_and_link_at_any_width(tmp_path: Path, width: int) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock, load_workshop(DEMO_FOLDER).programme)
    url = expected_url(db, "unmiss", clock)
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(width, 20)) as pilot:
        await test_tui.settle(pilot)
        await pilot.press("q", "right")
        await until(pilot, lambda: (link := app.screen.query_one(LocationQr).link) is not None and link.url == url)
        await pilot.pause()
        code = typed_code(url)
        assert code in screen_text(app), screen_text(app)  # the code to type on one line, never a prefix of it
        assert url in unwrapped(app)


@pytest.mark.parametrize("size", [(40, 15), (50, 20), (60, 20), (100, 30)])
async def test_the_room_view_shows_the_whole_code_beside_or_under_the_text(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock, load_workshop(DEMO_FOLDER).programme)
    url = expected_url(db, "unmiss", clock)
    app = RoomApp(db_path=db, actor="room", clock=clock, location="unmiss", claim_presence=False)
    async with app.run_test(size=size) as pilot:
        panel = app.query_one(LocationQr)
        await until(pilot, lambda: panel.link is not None and panel.link.url == url)
        await pilot.pause()
        assert typed_code(url) in screen_text(app), screen_text(app)
        assert url in unwrapped(app)
        text_column = app.query_one("#room-text-scroll").region
        assert not text_column.overlaps(panel.region)  # the step's text never runs into the code
        if text_column.y == panel.region.y:  # side by side: a gap between them, and room for words
            assert panel.region.x - text_column.right >= 2
            assert text_column.width >= 20


# -- the smallest usable size ---------------------------------------------------------------------------


async def open_main(pilot: Pilot[Any]) -> None:
    await test_tui_attendance.ready(pilot)


async def open_attendance(pilot: Pilot[Any]) -> None:
    await test_tui_attendance.open_screen(pilot)


async def open_help(pilot: Pilot[Any]) -> None:
    await test_tui_attendance.ready(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


async def open_qr(pilot: Pilot[Any]) -> None:
    await test_tui_attendance.ready(pilot)
    await pilot.press("q")
    await pilot.pause()


@pytest.mark.parametrize("open_it", [open_main, open_attendance, open_help, open_qr])
async def test_each_screen_says_to_widen_the_window_below_its_smallest_size(tmp_path: Path, open_it: Any) -> None:
    db, clock = test_tui_attendance.snapshot_run(tmp_path)
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_it(pilot)
        message = app.screen.query_one(TooSmall)
        assert not message.has_class("-shown")
        await pilot.resize_terminal(26, 7)
        await pilot.pause()
        assert message.has_class("-shown")
        assert "Enlarge the window" in screen_text(app)
        assert "26×7" in screen_text(app)
        await pilot.resize_terminal(40, 15)  # the smallest snapshot size is usable
        await pilot.pause()
        assert not message.has_class("-shown")
        assert "the window" not in screen_text(app)


async def test_the_room_view_says_to_widen_the_window_below_its_smallest_size(tmp_path: Path) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock, load_workshop(DEMO_FOLDER).programme)
    app = RoomApp(db_path=db, actor="room", clock=clock, location="unmiss", claim_presence=False)
    async with app.run_test(size=(30, 20)) as pilot:
        await pilot.pause(0.3)
        assert "Widen the window" in screen_text(app)
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert "Widen the window" not in screen_text(app)


# -- what was cut at the sizes people use -------------------------------------------------------------------


def test_the_help_table_gives_what_a_key_does_the_room_and_puts_ids_under_it_when_narrow() -> None:
    rows = [("", "Main screen", ""), ("n, →", "Enter the next step of the day", "next")]
    rows += [("ctrl+shift+r", "Show or hide the retracted reflections", "reflections-show-retracted")]
    console = Console(width=56, record=True)
    console.print(KeyTable(rows))
    lines = console.export_text().splitlines()
    assert any("Enter the next step of the day" in line for line in lines), lines  # not squeezed to a word
    assert any(line.strip() == "id: next" for line in lines), lines
    wide = Console(width=110, record=True)
    wide.print(KeyTable(rows))
    assert any(line.rstrip().endswith("next") and "Enter the next" in line for line in wide.export_text().splitlines())


async def test_the_pace_warning_is_whole_at_80_by_24(demo_db: Path) -> None:
    clock = FakeClock(test_tui.ON_THE_DAY)
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await test_tui.settle(pilot)
        clock.advance(timedelta(minutes=26))  # a 10-minute step, 16 minutes over
        app.screen.query_one(PaceView).tick()
        await pilot.pause()
        region = app.screen.query_one(PaceView).region
        shown = [line[region.x : region.right] for line in screen_text(app).splitlines()[region.y : region.bottom]]
        assert "⚠ runs past the planned end 11:30" in " ".join(" ".join(shown).split()), shown


async def test_the_attendance_list_shows_names_at_40_by_15(tmp_path: Path) -> None:
    db, clock = test_tui_attendance.snapshot_run(tmp_path)
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(40, 15)) as pilot:
        await test_tui_attendance.open_screen(pilot)
        await pilot.pause()
        assert "Alex Rivera" in screen_text(app)


def test_names_sort_as_people_read_them() -> None:
    names = ["Tomasz Nowak", "Élodie Fournier", "zainab Okafor", "Ángel Ruiz", "Alex Rivera", "eve Adams", "Øystein"]
    assert sorted(names, key=reading_key) == [
        "Alex Rivera",
        "Ángel Ruiz",
        "Élodie Fournier",
        "eve Adams",
        "Tomasz Nowak",
        "zainab Okafor",
        "Øystein",  # a letter of its own, not an O with an accent: after z, as in Norwegian
    ]
    assert reading_key("Straße")[0] == reading_key("STRASSE")[0]


# -- a running timer repaints only what changes -----------------------------------------------------------


def test_changed_columns_are_the_cells_that_differ() -> None:
    assert changed_columns(Text("10:00 ███░ of 15m"), Text("09:59 ███░ of 15m")) == (0, 5)
    assert changed_columns(Text("10:00 ███░"), Text("10:00 ███░")) == ()
    assert changed_columns(Text("10:00 ███░"), Text("10:00 ███░  PAUSED")) == (10, 18)
    assert changed_columns(Text("10:00"), Text.assemble("10:0", ("0", "bold"))) == (4, 5)
    assert changed_columns(Text("a\nb"), Text("a\nc")) is None
    assert changed_columns(Text("漢字"), Text("漢子")) is None


async def test_a_running_timer_repaints_only_the_seconds_and_a_paused_one_nothing(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(test_tui.ON_THE_DAY)
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await test_tui.settle(pilot)
        timer, pace = app.screen.query_one(TimerView), app.screen.query_one(PaceView)
        clock.advance(timedelta(minutes=11))  # over time, the day behind: classes that stay set each second
        timer.tick()
        pace.tick()
        await pilot.pause()
        assert timer.has_class("over") and pace.has_class("warning")
        refreshed: list[tuple[Region, ...]] = []
        restyled: list[object] = []
        monkeypatch.setattr(timer, "refresh", lambda *regions, **_: refreshed.append(regions))
        monkeypatch.setattr(pace, "refresh", lambda *regions, **_: refreshed.append(regions))
        monkeypatch.setattr(app, "update_styles", lambda node=None, animate=True: restyled.append(node))
        clock.advance(1)
        timer.tick()
        pace.tick()
        assert refreshed == [(Region(5, 0, 1, 1),)]  # +01:00 → +01:01: the one cell that changed
        assert restyled == []
        await pilot.press("space")
        await test_tui.settle(pilot)
        refreshed.clear()
        restyled.clear()
        for _ in range(3):
            clock.advance(1)
            timer.tick()
            pace.tick()
        assert refreshed == [] and restyled == []  # paused: nothing changes, nothing is drawn


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(DEMO_FOLDER).programme, actor="lead", clock=FakeClock(test_tui.ON_THE_DAY)).close()
    return db


async def test_the_room_views_timer_is_not_restyled_every_second(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facilitator.live.session import Session
    from facilitator.tui.screens.room import RoomTimer

    clock = FakeClock(test_tui.ON_THE_DAY)
    with Store.open(demo_db, clock=clock) as store:
        Session(store, actor="lead").next_step()
    app = RoomApp(db_path=demo_db, actor="room", clock=clock, claim_presence=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        timer = app.query_one(RoomTimer)
        clock.advance(timedelta(minutes=11))  # over time: the class stays set from one second to the next
        timer.tick()
        await pilot.pause()
        assert timer.has_class("over")
        restyled: list[object] = []
        monkeypatch.setattr(app, "update_styles", lambda node=None, animate=True: restyled.append(node))
        for _ in range(3):
            clock.advance(1)
            timer.tick()
        assert restyled == []
