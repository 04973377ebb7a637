"""What an idle terminal does (issue 25): one timer for the whole app, no look at the run after its own
heartbeat, and nothing built again when what it shows cannot have changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.app import App
from textual.pilot import Pilot

from facilitator.live.session import Session
from facilitator.record.clock import Clock, FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.team import presence
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.screens import room
from facilitator.tui.screens.room import RoomApp, RoomClocks
from facilitator.tui.widgets.panels import Ticking, pack
from facilitator.tui.widgets.tick import AppTick
from tests.tools import whole_lead_screen, with_session


async def settled(pilot: Pilot[None], app: FacilitatorApp | RoomApp) -> None:
    """Until the app holds its presence row (so its heartbeat is on the clock), and a little more."""
    for _ in range(250):
        if app.live.presence is not None:
            break
        await pilot.pause(0.02)
    assert app.live.presence is not None
    if isinstance(app, FacilitatorApp):
        await whole_lead_screen(pilot)  # the lines hidden at start tick too, once mounted after the first frame
    await pilot.pause(0.2)


def running_timers(app: App[Any]) -> list[str]:
    """The repeating timers of the app, its screens and every widget on them, less the paused ones (Textual's
    screen update, resumed only while something is to be drawn)."""
    pumps = [app, *app.screen_stack, *(node for screen in app.screen_stack for node in screen.walk_children())]
    return [
        timer.name
        for pump in pumps
        for timer in pump._timers
        if timer._repeat is None and timer._task is not None and not timer._task.done() and timer._active.is_set()
    ]


def run_db(tmp_path: Path, programme: Programme, clock: FakeClock) -> Path:
    db = tmp_path / "run.db"
    Store.create(db, programme, actor="lead", clock=clock).close()
    return db


async def test_an_idle_lead_and_room_view_wake_for_one_timer(
    tmp_path: Path, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    # Every timer wakes the terminal at its own moment of the second: the clocks, the QR code's rotation, the
    # heartbeat, the safety poll and the calendar all ride on the app's one.
    db = run_db(tmp_path, tiny_programme, fake_clock)
    lead = FacilitatorApp(db_path=db, actor="lead", clock=fake_clock, presence_clock=fake_clock)
    async with lead.run_test(size=(120, 40)) as pilot:
        await settled(pilot, lead)
        assert running_timers(lead) == ["app tick"]
    view = RoomApp(db_path=db, actor="room", clock=fake_clock, location="hq")
    async with view.run_test(size=(120, 40)) as pilot:
        await settled(pilot, view)
        assert running_timers(view) == ["app tick"]


async def test_each_ticking_widget_ticks_once_a_second(
    tmp_path: Path, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    db = run_db(tmp_path, tiny_programme, fake_clock)
    app = FacilitatorApp(db_path=db, actor="lead", clock=fake_clock, presence_clock=fake_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        composed: list[str] = []
        for widget in app.screen.query(Ticking):
            compose = widget.compose_text

            def counted(now: datetime, widget: Ticking = widget, compose: Callable[[datetime], Text] = compose) -> Text:
                composed.append(type(widget).__name__)
                return compose(now)

            widget.compose_text = counted  # type: ignore[method-assign]
        AppTick.of(app).tick()
        assert sorted(composed) == ["GroupsLine", "LocationStrip", "PaceView", "SpeakingLine", "TimerView"]


async def test_the_heartbeat_asks_for_no_look_at_the_run(
    tmp_path: Path, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    # Its own write is reported by the watch like any other: taken on the database thread, it wakes nothing.
    db = run_db(tmp_path, tiny_programme, fake_clock)
    app = FacilitatorApp(db_path=db, actor="lead", clock=fake_clock, presence_clock=fake_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        looks: list[str] = []
        app.live._look = lambda: looks.append("look")  # type: ignore[method-assign]
        fake_clock.advance(timedelta(seconds=2))
        await app.live.heartbeat()
        await pilot.pause(0.3)  # the follow-ups of a notification would have come by now
        with Store.open(db, clock=fake_clock) as store:
            (row,) = presence.present(store, clock=fake_clock)
        assert row.last_seen == fake_clock.now()  # written
        assert looks == []
        with_session(db, fake_clock, lambda s: s.next_step())  # another process's commit still is looked at
        await pilot.pause(0.3)
        assert looks


async def test_a_commit_reported_during_the_heartbeat_is_shown_by_it(
    tmp_path: Path, tiny_programme: Programme, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process commits while the watch is off the event loop: the heartbeat's own look shows it.
    db = run_db(tmp_path, tiny_programme, fake_clock)
    app = FacilitatorApp(db_path=db, actor="observer", role="observer", clock=fake_clock, presence_clock=fake_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        app.live._look = lambda: None  # type: ignore[method-assign]  # no look but the heartbeat's
        beat = presence.heartbeat
        others: list[str] = []

        def and_another_commit(store: Store, row: presence.Presence, *, clock: Clock | None = None) -> None:
            beat(store, row, clock=clock)
            if not others:
                others.append("lead")
                with Store.open(db, clock=fake_clock) as lead:
                    Session(lead, actor="lead").next_step()

        monkeypatch.setattr(presence, "heartbeat", and_another_commit)
        await app.live.heartbeat()
        await pilot.pause()
        assert others and app.state.step == "intro"


async def test_the_room_clocks_are_made_again_only_when_a_minute_turns(
    tmp_path: Path, tiny_programme: Programme, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = run_db(tmp_path, tiny_programme, fake_clock)
    app = RoomApp(db_path=db, actor="room", clock=fake_clock, claim_presence=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        made: list[int] = []

        def counted(cells: list[Text], width: int, gap: str = "  ") -> Text:
            made.append(width)
            return pack(cells, width, gap)

        monkeypatch.setattr(room, "pack", counted)
        clocks = app.query_one(RoomClocks)
        fake_clock.advance(timedelta(seconds=60 - fake_clock.now().second))  # the start of a minute
        clocks.tick()
        shown = clocks._last
        assert len(made) == 1
        for _ in range(59):
            fake_clock.advance(timedelta(seconds=1))
            clocks.tick()
        assert len(made) == 1 and clocks._last is shown
        fake_clock.advance(timedelta(seconds=1))
        clocks.tick()
        assert len(made) == 2 and clocks._last != shown
