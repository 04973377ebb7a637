"""The room view (`facilitator present`): follows the driver live from another process, shows nothing private."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from facilitator.live.session import Session
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.team import presence
from facilitator.tui.screens.room import ROOM, RoomApp, RoomStep, RoomText
from tests.conftest import TINY_PROGRAMME
from tests.tools import Tmux, with_session

# Every size issue 25 checked, the first two as before (their snapshots keep their names).
LAYOUT_SIZES = [(80, 24), (120, 40), (40, 15), (60, 20), (200, 60)]

PRIVATE_NOTES = "Keep HQ on mute during the pairs"
PARTICIPANT_TEXT = "Say your name and where you join from"
PROMPT = "What will you take away?"
ROSTER_NAME = "Grace Akello"
ROSTER_EMAIL = "grace.akello@example.org"
NOTE_TO_DRIVER = "MONUSCO lost audio"
HIDDEN = "Secret reflection that was hidden"
RETRACTED = "Retracted reflection text"


def room_programme() -> Programme:
    """The tiny programme, with participants' text and private notes on its first step."""
    data: dict[str, Any] = copy.deepcopy(TINY_PROGRAMME)
    intro = data["exercises"][0]["steps"][0]
    intro["text"] = PARTICIPANT_TEXT + ". [bold]not markup[/bold]"
    intro["notes"] = PRIVATE_NOTES
    intro["materials"] = ["facilitator slide deck"]
    return Programme.validate(data)


@pytest.fixture
def room_db(tmp_path: Path, fake_clock: FakeClock) -> Path:
    """A run on its first step, with everything a room must not see: notes, roster, notes to the driver,
    a hidden and a retracted reflection."""
    db = tmp_path / "run.db"
    Store.create(db, room_programme(), actor="lead", clock=fake_clock).close()
    with Store.open(db, clock=fake_clock) as store:
        lead = Session(store, actor="lead")
        lead.next_step()
        lead.add_participant(ROSTER_NAME, ROSTER_EMAIL, "juba", role="Gender adviser", organisation="UNMISS")
        lead.check_in(next(iter(lead.attendance.roster.by_id)))
        co = Session(store, actor="amina", role="co", location="juba")
        co.announce()
        co.send_note(NOTE_TO_DRIVER)
        hidden = lead.log_reflection(HIDDEN, location="juba")
        lead.hide_reflection(hidden.payload["reflection"])
        retracted = lead.log_reflection(RETRACTED)
        lead.retract_reflection(retracted.payload["reflection"])
    return db


def screen_text(app: RoomApp) -> str:
    """Every character on the screen, line by line, as the room sees it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def until(pilot: Pilot[None], shown: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the poll pick up what another process committed; fail if it never does."""
    for _ in range(int(timeout / 0.02)):
        if shown():
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError("the room view never showed the change")


async def loaded(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, RoomApp)
    await until(pilot, lambda: app.state.programme is not None)


async def test_follows_step_changes_made_by_another_process(room_db: Path, fake_clock: FakeClock) -> None:
    app = RoomApp(db_path=room_db, actor="room", clock=fake_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert "Introduction" in screen_text(app)
        assert PARTICIPANT_TEXT in screen_text(app)

        with_session(room_db, fake_clock, Session.next_step)
        await until(pilot, lambda: "Pairs" in screen_text(app))
        assert "Introduction" not in screen_text(app)

        with_session(room_db, fake_clock, Session.next_step)  # the step with a reflection prompt
        await until(pilot, lambda: "Write a reflection" in screen_text(app))
        assert PROMPT in screen_text(app)

        # Control passes to a co-facilitator; the room follows whoever drives now.
        def hand_over(session: Session) -> None:
            Session(session.store, actor="amina", role="co").announce()
            session.hand_control("amina")

        with_session(room_db, fake_clock, hand_over)
        with_session(room_db, fake_clock, Session.previous_step, actor="amina")
        await until(pilot, lambda: "Pairs" in screen_text(app))


async def test_shows_nothing_private(room_db: Path, fake_clock: FakeClock) -> None:
    app = RoomApp(db_path=room_db, actor="room", clock=fake_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        screen = screen_text(app)
    assert PARTICIPANT_TEXT in screen  # the fixture's step is the one on screen
    assert "[bold]not markup[/bold]" in screen  # script text is shown as written, never as markup
    for private in (
        PRIVATE_NOTES,
        "facilitators only",
        "facilitator slide deck",
        ROSTER_NAME,
        ROSTER_EMAIL,
        "Gender adviser",
        NOTE_TO_DRIVER,
        "amina",
        HIDDEN,
        RETRACTED,
        "1/3",  # the attendance counts of the lead's location strip
    ):
        assert private not in screen, private


async def test_the_timer_counts_down_in_large_digits(room_db: Path, fake_clock: FakeClock) -> None:
    app = RoomApp(db_path=room_db, actor="room", clock=fake_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert app.screen.query_one("#room-digits").render()  # the Digits widget, not a line of text
        assert str(app.query_one("#room-digits").value) == "10:00"  # type: ignore[attr-defined]
        fake_clock.advance(timedelta(minutes=9, seconds=45))
        await until(pilot, lambda: app.query_one("#room-digits").value == "00:15")  # type: ignore[attr-defined]
        assert app.query_one("#room-timer").has_class("red")
        with_session(room_db, fake_clock, Session.pause)
        await until(pilot, lambda: "paused" in screen_text(app))


async def test_an_unrelated_event_repaints_nothing(room_db: Path, fake_clock: FakeClock) -> None:
    app = RoomApp(db_path=room_db, actor="room", clock=fake_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        step, text = app.query_one(RoomStep), app.query_one(RoomText)
        drawn = (step._last, text._last)
        seq = app.state.last_seq
        with_session(room_db, fake_clock, lambda s: s.log_reflection("Not for the room"))
        await until(pilot, lambda: app.state.last_seq > seq)
        assert (step._last, text._last) == drawn
        assert step._last is drawn[0] and text._last is drawn[1]  # not even replaced by an equal text


async def test_reads_as_an_observer_and_is_listed_as_the_room(room_db: Path, fake_clock: FakeClock) -> None:
    app = RoomApp(db_path=room_db, actor="projector", clock=fake_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert app.db.submit(lambda s: s.role).result() == "observer"
        with Store.open(room_db) as store:
            await until(pilot, lambda: bool(presence.present(store, role=ROOM)))
            rows = presence.present(store)
        assert [(p.actor, p.role) for p in rows] == [("projector", ROOM)]  # not the lead's place
        await pilot.press("n", "space", "plus")  # the room view has no keys but quit
        await pilot.pause(0.2)
        assert app.state.current is not None and app.state.current.step.id == "intro"
    with Store.open(room_db) as store:
        assert presence.present(store) == []  # its row went with it


@pytest.mark.parametrize("size", LAYOUT_SIZES)
def test_room_view_snapshot(snap_compare: object, room_db: Path, fake_clock: FakeClock, size: tuple[int, int]) -> None:
    async def mid_step(pilot: Pilot[None]) -> None:
        await loaded(pilot)
        fake_clock.advance(timedelta(minutes=3, seconds=20))
        app = pilot.app
        for widget in app.query("RoomTimer, RoomClocks"):
            widget.tick()  # type: ignore[attr-defined]
        await pilot.pause()

    app = RoomApp(db_path=room_db, actor="room", clock=fake_clock, claim_presence=False)
    assert snap_compare(app, terminal_size=size, run_before=mid_step)  # type: ignore[operator]


def test_present_refuses_a_missing_database_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "facilitator", "present", "--db", str(tmp_path / "nope.db")],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"{tmp_path / 'nope.db'}: no such run database "
        f"(create one with: facilitator init WORKSHOP --db {tmp_path / 'nope.db'})"
    ]
    assert not (tmp_path / "nope.db").exists()


@pytest.mark.slow
def test_present_in_a_real_terminal_follows_the_lead_and_quits(room_db: Path, tmp_path: Path) -> None:
    terminal = Tmux(f"facilitator-room-{os.getpid()}-{uuid.uuid4().hex[:6]}", width=80, height=24)
    try:
        terminal.start(f"facilitator present --db {room_db} --as projector", cwd=tmp_path)
        terminal.wait_for_text(PARTICIPANT_TEXT)
        with Store.open(room_db) as store:
            # The run was made on a fake clock in 2022; today's date goes on with its day only when confirmed.
            Session(store, actor="lead").next_step(confirmed=True)
        screen = terminal.wait_for_text("Pairs")
        assert "Introduction" not in screen
        terminal.send("C-q")
        terminal.wait_for_text("EXITED 0")
    finally:
        terminal.kill()
