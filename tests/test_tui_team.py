"""The co-facilitators' side of the app, driven through Pilot: several apps on one database file, as over SSH."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from facilitator.config import Config
from facilitator.live.session import Session
from facilitator.live.state import SessionState, fold
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.team import presence
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.bindings import binding_ids
from facilitator.tui.modals.choice import Choice
from facilitator.tui.modals.control_picker import ControlPicker
from facilitator.tui.modals.note_form import NoteForm
from facilitator.tui.screens.lead import LeadScreen
from facilitator.tui.widgets.panels import StepView
from facilitator.tui.widgets.team_panel import TeamLine, TeamPanel
from tests.tools import whole_lead_screen

DEMO = Path(__file__).resolve().parent.parent / "exercises"
ON_THE_DAY = datetime(2022, 8, 22, 12, 0, tzinfo=UTC)
FAST = 0.02  # poll interval: these tests wait on each other's apps


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(ON_THE_DAY)


@pytest.fixture
def demo_db(tmp_path: Path, clock: FakeClock) -> Path:
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(DEMO).programme, actor="lead", clock=clock).close()
    return db


class App(FacilitatorApp):
    """The app, keeping every notification it showed (the toasts themselves go after a few seconds)."""

    CSS_PATH = str(Path(__file__).resolve().parent.parent / "facilitator" / "tui" / "facilitator.tcss")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.said: list[str] = []

    def notify(self, message: str, **kwargs: Any) -> None:
        self.said.append(message)
        super().notify(message, **kwargs)

    def clear_notifications(self) -> None:
        self.said.clear()
        super().clear_notifications()


def lead_app(db: Path, clock: FakeClock, actor: str = "lead") -> App:
    return App(db_path=db, actor=actor, clock=clock, presence_clock=clock, poll_seconds=FAST)


def co_app(db: Path, clock: FakeClock, actor: str = "amina", role: str = "co", **team: Any) -> App:
    return App(db_path=db, actor=actor, clock=clock, presence_clock=clock, poll_seconds=FAST, role=role, **team)


def saved(db: Path) -> SessionState:
    with Store.open(db) as store:
        return fold(store.events())


def messages(app: FacilitatorApp) -> list[str]:
    assert isinstance(app, App)
    return app.said


def step_text(app: FacilitatorApp) -> str:
    return str(app.screen.query_one(StepView).render())


async def until(pilot: Pilot[None], predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let the apps run until ``predicate`` holds (other apps' changes arrive by polling)."""
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await pilot.pause(0.02)
    assert predicate(), "the apps never got there"


async def ready(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, FacilitatorApp)
    await until(pilot, lambda: isinstance(app.screen, LeadScreen) and app.live.presence is not None)
    await whole_lead_screen(pilot)
    await settle(pilot)


async def settle(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, FacilitatorApp)
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await until(pilot, lambda: not app.commands_in_flight)
    await pilot.pause()


def lead_moves(db: Path, clock: FakeClock, steps: int) -> None:
    """The lead, in another process's place: joins and enters ``steps`` steps."""
    with Store.open(db, clock=clock) as store:
        lead = Session(store, actor="lead")
        lead.announce()
        for _ in range(steps):
            lead.next_step()


async def test_a_co_who_joins_mid_session_sees_the_current_step_at_once(demo_db: Path, clock: FakeClock) -> None:
    lead_moves(demo_db, clock, 2)
    app = co_app(demo_db, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert "Connection check" in step_text(app)
        line = str(app.screen.query_one(TeamLine).render())
        assert "driving: lead" in line and "you: amina (co)" in line
        assert saved(demo_db).facilitators["amina"].role == "co"


async def test_a_co_s_driving_keys_say_who_drives_and_move_nothing(demo_db: Path, clock: FakeClock) -> None:
    lead_moves(demo_db, clock, 1)
    app = co_app(demo_db, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        before = saved(demo_db).step
        for key in ("n", "p", "space", "plus", "minus", "right_square_bracket", "left_square_bracket", "g", "d"):
            app.clear_notifications()
            await pilot.press(key)
            await settle(pilot)
            assert messages(app) == ["lead is driving: press c to ask for control"], key
        assert saved(demo_db).step == before
        assert isinstance(app.screen, LeadScreen)  # g and d opened no picker
        footer = {binding.binding.action for binding in app.screen.active_bindings.values()}
        assert "next_step" not in footer and "hand_control" not in footer
        assert {"ask_control", "send_note", "toggle_team", "log_reflection"} <= footer


async def test_a_remapped_driving_key_says_who_drives_too(demo_db: Path, clock: FakeClock) -> None:
    lead_moves(demo_db, clock, 1)
    app = co_app(demo_db, clock, config=Config(keys={"next": "j", "pause": "x,?"}))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for key in ("j", "x"):
            app.clear_notifications()
            await pilot.press(key)
            await settle(pilot)
            assert messages(app) == ["lead is driving: press c to ask for control"], key
        app.clear_notifications()
        await pilot.press("n")  # no longer the key of "next": nothing to say
        await settle(pilot)
        assert messages(app) == []
        assert app.keymap == {"next": "j", "pause": "x,question_mark"}


async def test_an_observer_only_looks(demo_db: Path, clock: FakeClock) -> None:
    lead_moves(demo_db, clock, 1)
    app = co_app(demo_db, clock, actor="olu", role="observer")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        events_before = saved(demo_db).last_seq
        for key in ("r", "c", "m", "h", "T", "n", "space"):
            app.clear_notifications()
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, LeadScreen), key
            assert messages(app) == ["observers only look: you cannot change the session"], key
        assert saved(demo_db).last_seq == events_before
        footer = {binding.binding.action for binding in app.screen.active_bindings.values()}
        assert footer.isdisjoint({"next_step", "log_reflection", "ask_control", "send_note", "hand_control"})
        assert {"toggle_team", "attendance", "help"} <= footer
        # The engine refuses too, whatever screen a write comes from.
        await app.command(lambda s: s.set_link("unmiss", "connected"))
        await until(pilot, lambda: any("observers only look" in m for m in messages(app)))


async def test_control_is_asked_for_handed_over_and_back_between_two_apps(demo_db: Path, clock: FakeClock) -> None:
    lead, co = lead_app(demo_db, clock), co_app(demo_db, clock)
    async with lead.run_test(size=(100, 30)) as lp, co.run_test(size=(100, 30)) as cp:
        await ready(lp)
        await ready(cp)
        await cp.press("c")
        await settle(cp)
        await until(lp, lambda: "amina asks for control: press h to hand over." in messages(lead))
        await lp.press("h")
        await settle(lp)
        assert isinstance(lead.screen, ControlPicker)
        await lp.press("enter")
        await settle(lp)
        await until(cp, lambda: co.state.driver == "amina")
        assert "You are driving now." in messages(co)
        await until(lp, lambda: "amina is driving now." in messages(lead))
        await cp.press("n")
        await settle(cp)
        assert saved(demo_db).step == "welcome"
        await until(lp, lambda: lead.state.step == "welcome")
        lead.clear_notifications()
        await lp.press("n")
        await settle(lp)
        assert messages(lead) == ["amina is driving: press c to ask for control"]
        assert saved(demo_db).step == "welcome"
        # and back: amina hands control to the lead
        await cp.press("h")
        await settle(cp)
        assert isinstance(co.screen, ControlPicker)
        await cp.press("enter")
        await settle(cp)
        await until(lp, lambda: lead.state.driver == "lead")
        await lp.press("n")
        await settle(lp)
        assert saved(demo_db).step == "connection-check"


async def test_the_driver_declines_a_request_with_x(demo_db: Path, clock: FakeClock) -> None:
    lead, co = lead_app(demo_db, clock), co_app(demo_db, clock)
    async with lead.run_test(size=(100, 30)) as lp, co.run_test(size=(100, 30)) as cp:
        await ready(lp)
        await ready(cp)
        await cp.press("c")
        await settle(cp)
        await until(lp, lambda: lead.state.control_requests == ("amina",))
        await lp.press("h")
        await settle(lp)
        await lp.press("x")
        await settle(lp)
        assert saved(demo_db).control_requests == ()
        await lp.press("escape")
        await settle(lp)
        assert isinstance(lead.screen, LeadScreen)
        assert saved(demo_db).driver == "lead"
        await until(cp, lambda: "lead declined your request for control." in messages(co))


async def test_a_note_pops_up_once_on_the_driver_s_screen_as_literal_text(demo_db: Path, clock: FakeClock) -> None:
    lead, co = lead_app(demo_db, clock), co_app(demo_db, clock)
    async with lead.run_test(size=(100, 30)) as lp, co.run_test(size=(100, 30)) as cp:
        await ready(lp)
        await ready(cp)
        await cp.press("m")
        await settle(cp)
        assert isinstance(co.screen, NoteForm)
        await cp.press(*"five more minutes [b]now[/b]", "enter")
        await settle(cp)
        assert isinstance(co.screen, LeadScreen)
        await until(cp, lambda: "Note sent to lead." in messages(co))
        expected = "amina → you: five more minutes [b]now[/b]"
        await until(lp, lambda: expected in messages(lead))
        lead_moves(demo_db, clock, 1)  # more events: the note must not pop up again
        await until(lp, lambda: lead.state.step is not None)
        await settle(lp)
        assert messages(lead).count(expected) == 1
        # escape cancels a note without sending it
        await cp.press("m", "x", "escape")
        await settle(cp)
        assert len(saved(demo_db).notes) == 1


async def test_take_control_is_refused_while_the_driver_is_live_and_allowed_once_gone(
    demo_db: Path, clock: FakeClock
) -> None:
    co = co_app(demo_db, clock, takeover_after=timedelta(seconds=10))
    lead = lead_app(demo_db, clock)
    async with co.run_test(size=(100, 30)) as cp:
        await ready(cp)
        async with lead.run_test(size=(100, 30)) as lp:
            await ready(lp)
            await until(cp, lambda: co.state.driver == "lead")
            await cp.press("T")
            await settle(cp)
            assert isinstance(co.screen, Choice)
            assert co.screen.question == "Take control from lead?"
            await cp.press("y")
            await settle(cp)
            assert any("lead is still connected" in m for m in messages(co))
            assert saved(demo_db).driver == "lead"
        # The lead's app has closed, and its presence row with it.
        await cp.press("T", "n")
        await settle(cp)
        assert saved(demo_db).driver == "lead"
        await cp.press("T", "y")
        await settle(cp)
        assert saved(demo_db).driver == "amina"
        assert co.driving


async def test_the_presence_panel_shows_who_is_connected_and_drops_dead_processes(
    demo_db: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = lead_app(demo_db, clock)
    co = co_app(demo_db, clock, location="unmiss", address="10.0.0.7")
    async with lead.run_test(size=(100, 30)) as lp, co.run_test(size=(100, 30)) as cp:
        await ready(lp)
        await ready(cp)
        panel = lead.screen.query_one(TeamPanel)
        assert not panel.display
        await lp.press("w")
        await settle(lp)
        assert panel.display
        await until(lp, lambda: panel.rows is not None and len(panel.rows) == 2)
        assert panel.rows is not None
        assert panel.rows[0][:3] == ("lead ▶", "lead", "—")
        assert panel.rows[1] == ("amina", "co", "unmiss", "10.0.0.7", "08:00", "now")
        # A process killed without cleaning up: its row stays in the table, but no longer counts.
        gone = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
        )
        with Store.open(demo_db, clock=clock) as store:
            ghost = presence.claim(store, actor="ghost", role="co", exclusive=False, clock=clock)
            store.write(lambda c: c.execute("UPDATE presence SET pid = ? WHERE actor = 'ghost'", (int(gone.stdout),)))
        await lead.live.heartbeat()  # the lead's heartbeat reads the team's rows too
        await settle(lp)
        assert [row[0] for row in panel.rows] == ["lead ▶", "amina"]
        # A live row appears, then goes stale when its heartbeat stops.
        with Store.open(demo_db, clock=clock) as store:
            presence.claim(store, actor="bob", role="observer", exclusive=False, clock=clock)
            presence.leave(store, ghost.connection)
        await lead.live.heartbeat()  # the lead's heartbeat reads the team's rows too
        await settle(lp)
        assert [row[0] for row in panel.rows] == ["lead ▶", "amina", "bob"]
        clock.advance(timedelta(seconds=7))
        for app in (lead, co):  # their heartbeats, which run every two seconds
            await app.live.heartbeat()
        await lead.live.heartbeat()  # the lead's heartbeat reads the team's rows too
        await settle(lp)
        assert [row[0] for row in panel.rows] == ["lead ▶", "amina"]
        # Nothing changed: nothing is repainted (a slow link gets no bytes).
        painted: list[object] = []
        update = panel.update
        monkeypatch.setattr(panel, "update", lambda *args, **kwargs: painted.append(update(*args, **kwargs)))
        for app in (lead, co):
            await app.live.heartbeat()
        await lead.live.heartbeat()
        await settle(lp)
        assert painted == []
        await lp.press("w")
        await settle(lp)
        assert not panel.display


async def test_a_co_limited_to_their_location_is_refused_elsewhere(demo_db: Path, clock: FakeClock) -> None:
    app = co_app(demo_db, clock, location="unmiss", own_location_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await app.command(lambda s: s.set_link("monusco", "connected"))
        await until(pilot, lambda: "location: you work for unmiss only, not monusco" in messages(app))
        await app.command(lambda s: s.set_link("unmiss", "connected"))
        await settle(pilot)
        assert app.attendance is not None and app.attendance.links["unmiss"] == "connected"


async def test_the_team_keys_have_ids_and_the_palette_offers_them(demo_db: Path, clock: FakeClock) -> None:
    assert {"ask-control", "hand-control", "take-control", "note", "who"} <= binding_ids()
    assert {"hand-over", "decline-control", "close-control"} <= binding_ids()
    assert {"choice-yes", "choice-no", "choice-cancel"} <= binding_ids()  # the take-control question's keys
    assert "cancel-note" in binding_ids()
    app = lead_app(demo_db, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {
            "Ask the driver for control",
            "Send a short note to the driver",
            "Take control when the driver's process has gone (asks first)",
        } <= titles


async def test_the_team_keys_can_be_remapped(demo_db: Path, clock: FakeClock) -> None:
    from facilitator.config import Config

    lead_moves(demo_db, clock, 0)
    app = App(db_path=demo_db, actor="amina", clock=clock, role="co", config=Config(keys={"ask-control": "A"}))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert saved(demo_db).control_requests == ()
        await pilot.press("A")
        await settle(pilot)
        assert saved(demo_db).control_requests == ("amina",)


# -- how it looks ----------------------------------------------------------------------------------


def _snapshot_run(clock: FakeClock, keys: tuple[str, ...] = ()) -> Callable[[Pilot[None]], object]:
    async def run_before(pilot: Pilot[None]) -> None:
        await ready(pilot)
        pilot.app.clear_notifications()  # before any modal opens: toasts under it would stay on screen
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        app = pilot.app
        assert isinstance(app, FacilitatorApp)
        await app.live.heartbeat()  # the team's rows, read with the heartbeat, are on any panel shown
        await settle(pilot)
        app.clear_notifications()
        await pilot.pause()

    return run_before


def _team_on(db: Path, clock: FakeClock) -> None:
    """The lead drives two steps in; bob (co) asked for control; the lead is connected."""
    lead_moves(db, clock, 2)
    with Store.open(db, clock=clock) as store:
        presence.claim(store, actor="lead", role="lead", clock=clock)
        bob = Session(store, actor="bob", role="co", location="monusco")
        bob.announce(address="192.0.2.10")
        bob.request_control()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_co_main_screen_snapshot(snap_compare: object, demo_db: Path, clock: FakeClock, size: tuple[int, int]) -> None:
    _team_on(demo_db, clock)
    app = co_app(demo_db, clock, location="unmiss", address="10.0.0.7")
    assert snap_compare(app, terminal_size=size, run_before=_snapshot_run(clock))  # type: ignore[operator]


def test_observer_main_screen_snapshot(snap_compare: object, demo_db: Path, clock: FakeClock) -> None:
    _team_on(demo_db, clock)
    app = co_app(demo_db, clock, actor="olu", role="observer")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_snapshot_run(clock))  # type: ignore[operator]


def test_handover_picker_snapshot(snap_compare: object, demo_db: Path, clock: FakeClock) -> None:
    _team_on(demo_db, clock)
    with Store.open(demo_db, clock=clock) as store:
        Session(store, actor="amina", role="co", location="unmiss").announce()
        Session(store, actor="olu", role="observer").announce()
        presence.leave(store, presence.present(store, clock=clock)[0].connection)
        presence.claim(store, actor="bob", role="co", exclusive=False, clock=clock)  # amina is not connected
    app = lead_app(demo_db, clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_snapshot_run(clock, ("h",)))  # type: ignore[operator]


def test_presence_panel_snapshot(snap_compare: object, demo_db: Path, clock: FakeClock) -> None:
    _team_on(demo_db, clock)
    with Store.open(demo_db, clock=clock) as store:
        presence.leave(store, presence.present(store, clock=clock)[0].connection)
        presence.claim(store, actor="bob", role="co", exclusive=False, location="monusco", clock=clock)
    app = lead_app(demo_db, clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_snapshot_run(clock, ("w",)))  # type: ignore[operator]
