"""No key rewrites the record by accident: restarting or re-entering a step, or moving its timer by more
than a minute, is asked first; ctrl+z goes back to a shell only where there is one (issue 25)."""

from __future__ import annotations

from pathlib import Path

import pytest

from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.modals.choice import Choice
from facilitator.tui.widgets.agenda import AgendaView
from tests.test_disk_faults import notifications
from tests.test_tui import DEMO, ON_THE_DAY, settle


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(DEMO).programme, actor="lead", clock=FakeClock(ON_THE_DAY)).close()
    return db


def entered(db: Path) -> list[tuple[str, str]]:
    with Store.open(db) as store:
        return [(e.payload["exercise"], e.payload["step"]) for e in store.events() if e.kind == ev.STEP_ENTERED]


def timer_changes(db: Path) -> list[int]:
    with Store.open(db) as store:
        return [e.payload["seconds"] for e in store.events() if e.kind == ev.TIMER_ADJUSTED]


async def test_enter_on_the_running_step_asks_and_no_changes_nothing(demo_db: Path) -> None:
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one(AgendaView).focus()  # the agenda's cursor sits on the running step
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, Choice)
        assert "is running" in app.screen.text and "restarts its timer" in app.screen.text
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, Choice)
        assert entered(demo_db) == [("opening", "welcome")]
        await pilot.press("enter", "y")  # asked and answered: the step runs again, on the record
        await settle(pilot)
    assert entered(demo_db) == [("opening", "welcome"), ("opening", "welcome")]


async def test_going_back_to_a_step_that_ran_asks_first(demo_db: Path) -> None:
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n", "n")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, Choice)
        assert "ran at 08:00–08:00" in app.screen.text and "records a second run" in app.screen.text
        await pilot.press("escape")
        await settle(pilot)
        assert entered(demo_db) == [("opening", "welcome"), ("opening", "connection-check")]
        await pilot.press("n")  # a step that never ran: no question
        await settle(pilot)
        assert not isinstance(app.screen, Choice)
    assert entered(demo_db)[-1] == ("opening", "introductions")


async def test_one_minute_at_once_is_not_asked_five_are(demo_db: Path) -> None:
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n", "plus", "minus")
        await settle(pilot)
        assert timer_changes(demo_db) == [60, -60]
        for key in ("right_square_bracket", "left_square_bracket", "underscore"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, Choice)
            await pilot.press("escape")
            await settle(pilot)
        assert timer_changes(demo_db) == [60, -60]


async def test_ctrl_z_without_a_shell_to_return_to_says_so_and_stays(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "")  # a co-facilitator's forced command over SSH
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert app.is_running
        assert any("No shell to suspend to here" in n for n in notifications(app))


async def test_the_palette_shows_keys_as_the_footer_does(demo_db: Path) -> None:
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        helps = [command.help for command in app.get_system_commands(app.screen)]
    assert "key: +, =" in helps
    assert "key: [, _" in helps
    assert not any("square_bracket" in h or "equals_sign" in h for h in helps)


async def test_ctrl_backslash_quits_as_in_a_shell(demo_db: Path) -> None:
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+backslash")
        await pilot.pause()
        assert not app.is_running
