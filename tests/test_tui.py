"""The lead app driven through Textual's Pilot, and what its screen looks like."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets._header import HeaderTitle

from facilitator.clock import FakeClock
from facilitator.scripts import load_workshop
from facilitator.state import fold
from facilitator.store import Store
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.widgets import AgendaView, StepView, TimerView

DEMO = Path(__file__).resolve().parent.parent / "exercises"


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(DEMO).programme, actor="lead", clock=FakeClock()).close()
    return db


def rendered(widget: object) -> str:
    return str(widget.render())  # type: ignore[attr-defined]


async def test_stepping_through_the_day_is_recorded(demo_db: Path) -> None:
    clock = FakeClock()
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        assert "Press n" in rendered(app.query_one(StepView))
        await pilot.press("n", "n", "right", "p")
        await pilot.pause()
        assert "Connection check" in rendered(app.query_one(StepView))
        await pilot.press("space")
        await pilot.pause()
        assert "paused" in rendered(app.query_one(TimerView))
        await pilot.press("plus", "plus")
        await pilot.pause()
    with Store.open(demo_db) as store:
        state = fold(store.events())
    assert (state.exercise, state.step) == ("opening", "connection-check")
    assert state.timer is not None
    assert state.timer.paused
    assert state.timer.adjustment == timedelta(minutes=2)


async def test_timer_turns_red_and_counts_the_overrun(demo_db: Path) -> None:
    clock = FakeClock()
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        timer = app.query_one(TimerView)
        assert "10:00" in rendered(timer)
        clock.advance(timedelta(minutes=8, seconds=30))
        app._tick()
        assert timer.has_class("amber")
        clock.advance(timedelta(minutes=2))
        app._tick()
        assert timer.has_class("over")
        assert "+00:30" in rendered(timer)


async def test_participant_text_is_not_markup(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "workshop.yaml").write_text(
        "title: '[bold red]T[/]'\ntimezone: UTC\nlocations: [{id: hq, name: HQ, timezone: UTC}]\n"
        "days: [{date: 2022-08-22, start: '09:00', agenda: [x]}]\n"
    )
    (folder / "x.yaml").write_text(
        "id: x\ntitle: '[@click=app.quit]X[/]'\nsteps:\n"
        "  - {id: a, title: '[b]A[/b]', kind: discussion, duration: 5m, text: \"[link=http://e.vil]t[/] \\e[31mred\"}\n"
    )
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(folder).programme, actor="lead", clock=FakeClock()).close()
    app = FacilitatorApp(db_path=db, actor="lead", clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        assert "[b]A[/b]" in rendered(app.query_one(StepView))
        assert "[link=http://e.vil]t[/]" in rendered(app.query_one(StepView))
        assert "[@click=app.quit]X[/]" in rendered(app.query_one(AgendaView))
        assert "\x1b" not in rendered(app.query_one(StepView))
        assert str(app.query_one(HeaderTitle).render()).startswith("[bold red]T[/]")
        assert app.is_running


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_lead_screen_snapshot(snap_compare: object, demo_db: Path, size: tuple[int, int]) -> None:
    async def enter_two_steps(pilot: object) -> None:
        await pilot.press("n", "n")  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]

    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock())
    assert snap_compare(app, terminal_size=size, run_before=enter_two_steps)  # type: ignore[operator]
