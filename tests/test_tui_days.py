"""The lead app and the days: opened by the calendar, closed by the driver, never re-entered by accident."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from facilitator.live.session import Session
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock, from_text
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.modals.choice import Choice
from facilitator.tui.modals.pickers import DayScreen
from facilitator.tui.widgets.panels import PaceView
from tests.test_tui import saved_state, settle, text

DAY1 = date(2022, 8, 22)
DAY2 = date(2022, 8, 23)
MORNING1 = datetime(2022, 8, 22, 6, 55, tzinfo=UTC)  # 08:55 in Juba, the tiny workshop's time zone


def kinds(db: Path, kind: str) -> list[dict[str, object]]:
    with Store.open(db) as store:
        return [e.payload for e in store.events() if e.kind == kind]


def new_run(tmp_path: Path, programme: Programme, clock: FakeClock) -> Path:
    db = tmp_path / "run.db"
    Store.create(db, programme, actor="lead", clock=clock).close()
    return db


async def test_the_app_opens_the_day_dated_today_and_n_enters_its_first_step(
    tmp_path: Path, tiny_programme: Programme
) -> None:
    clock = FakeClock(MORNING1)
    db = new_run(tmp_path, tiny_programme, clock)
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert kinds(db, ev.DAY_OPENED) == [{"day": "2022-08-22", "auto": True}]
        await pilot.press("n")
        await settle(pilot)
        assert (app.state.day, app.state.step) == (DAY1, "intro")


async def test_the_next_morning_the_day_left_open_is_closed_and_today_s_is_opened(
    tmp_path: Path, tiny_programme: Programme
) -> None:
    clock = FakeClock(MORNING1)
    db = new_run(tmp_path, tiny_programme, clock)
    with Store.open(db, clock=clock) as store:
        s = Session(store, actor="lead")
        s.open_today()
        clock.advance(timedelta(minutes=5))
        s.next_step()  # 07:00 UTC, intro: the day's forecast end is 07:40; nobody closes it
    clock.advance(timedelta(days=1))  # the next morning, 08:55 in Juba
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        closed = kinds(db, ev.DAY_CLOSED)
        assert closed == [{"day": "2022-08-22", "at": "2022-08-22T07:40:00.000000Z", "inferred": True}]
        assert kinds(db, ev.DAY_OPENED)[-1] == {"day": "2022-08-23", "auto": True}
        await pilot.press("n")
        await settle(pilot)
        assert (app.state.day, app.state.exercise, app.state.step) == (DAY2, "reflect", "write")


async def test_going_back_to_a_closed_day_asks_first_and_escape_changes_nothing(
    tmp_path: Path, tiny_programme: Programme
) -> None:
    clock = FakeClock(MORNING1)
    db = new_run(tmp_path, tiny_programme, clock)
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DayScreen)
        await pilot.press("up", "enter")  # the first choice, above the current day: close the day
        await settle(pilot)
        assert [p["inferred"] for p in kinds(db, ev.DAY_CLOSED)] == [False]
        assert str(text(app.screen.query_one(PaceView))).startswith("Day closed at 08:55")

        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, Choice)
        assert "was closed at 08:55" in app.screen.text and "reopens it" in app.screen.text
        await pilot.press("escape")
        await settle(pilot)
        assert saved_state(db).step is None  # nothing entered

        await pilot.press("n")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        state = saved_state(db)
        assert (state.step, DAY1 in state.closed) == ("intro", False)


async def test_quitting_on_the_last_step_offers_to_close_the_day(tmp_path: Path, tiny_programme: Programme) -> None:
    clock = FakeClock(MORNING1)
    db = new_run(tmp_path, tiny_programme, clock)
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n", "n", "n", "n")  # intro, pairs, write, share: the day's last step
        await settle(pilot)
        clock.advance(timedelta(minutes=3))
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, Choice)
        await pilot.press("escape")  # stay
        await settle(pilot)
        assert app.is_running and not kinds(db, ev.DAY_CLOSED)
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
    closed = kinds(db, ev.DAY_CLOSED)
    assert len(closed) == 1 and from_text(str(closed[0]["at"])) == MORNING1 + timedelta(minutes=3)


async def test_quitting_in_the_middle_of_the_day_asks_nothing(tmp_path: Path, tiny_programme: Programme) -> None:
    clock = FakeClock(MORNING1)
    db = new_run(tmp_path, tiny_programme, clock)
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert not app.is_running and not kinds(db, ev.DAY_CLOSED)
