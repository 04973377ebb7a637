"""Who speaks in the terminals (issue 17): a facilitator picks the speaker with a fuzzy picker (``s``, a few
letters, enter), which counts a turn and starts their clock; ``.`` stops it; the lead's line and the tally
screen (``S``) show turns and time by gender and location against who is present; a co-facilitator's tally
reaches the lead's screen; the driver shows the tally on the room view (``v`` on the tally screen), which
never shows a name. Snapshots of the lead's screen with the tally and of the tally screen at 80x24."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from facilitator.live.session import Session
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.tui.modals.speaker_picker import SpeakerPicker
from facilitator.tui.screens.room import RoomApp, RoomSpeaking
from facilitator.tui.screens.speaking import SpeakingScreen
from facilitator.tui.widgets.speaking_panel import SpeakingLine
from tests.test_groups import programme_data
from tests.test_tui_team import App, messages, ready, settle, until
from tests.tools import run_with_people, with_session

FAST = 0.02
PEOPLE = [  # id, name, location, gender: five women and five men, checked in; Kim is not
    ("ada", "Ada Lovelace", "hq", "F"),
    ("ben", "Ben Okafor", "hq", "M"),
    ("cai", "Cai Deng", "hq", "F"),
    ("dan", "Dan Wani", "hq", "M"),
    ("eve", "Eve Akello", "juba", "F"),
    ("fay", "Fay Lado", "juba", "F"),
    ("gus", "Gus Nyok", "juba", "M"),
    ("hal", "Hal Garang", "goma", "M"),
    ("ivy", "Ivy Mbuyi", "goma", "F"),
    ("jon", "Jon Kabila", "goma", "M"),
    ("kim", "Kim Ajak", "juba", "F"),
]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def run(tmp_path: Path, clock: FakeClock) -> Iterator[Path]:
    """The tiny workshop on its first step, ten people checked in (Kim not)."""
    yield run_with_people(tmp_path / "run.db", clock, programme_data(), PEOPLE, lambda lead: lead.next_step())


def app_for(db: Path, clock: FakeClock, actor: str = "lead", role: str = "lead") -> App:
    return App(db_path=db, actor=actor, clock=clock, presence_clock=clock, poll_seconds=FAST, role=role)


def turns(db: Path) -> list[ev.Event]:
    with Store.open(db) as store:
        return [e for e in store.events() if e.kind.startswith("speaking.")]


def as_text(renderable: object) -> str:
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def line(app: App) -> str:
    return str(app.screen.query_one(SpeakingLine).render())


async def pick(pilot: Pilot[None], letters: str) -> None:
    await pilot.press("s")
    await settle(pilot)
    assert isinstance(pilot.app.screen, SpeakerPicker)
    await pilot.press(*letters, "enter")
    await settle(pilot)


async def test_picking_a_speaker_counts_a_turn_and_the_line_shows_the_shares(run: Path, clock: FakeClock) -> None:
    app = app_for(run, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert not app.screen.query_one(SpeakingLine).display  # no tally kept yet: nothing shown
        await pilot.press("s")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, SpeakerPicker)
        options = picker.query_one(OptionList)
        offered = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert len(offered) == 10 and not any("Kim" in name for name in offered)  # only people checked in
        await pilot.press(*"ivy", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, SpeakerPicker)
        [started] = turns(run)
        assert (started.kind, started.payload["participant"], started.payload["step"]) == (
            ev.SPEAKING_STARTED, "ivy", "intro"
        )  # fmt: skip
        clock.advance(timedelta(seconds=90))
        await pick(pilot, "ben")  # the next pick ends Ivy's turn
        clock.advance(timedelta(seconds=30))
        await pilot.press("full_stop")
        await settle(pilot)
        kinds = [e.kind for e in turns(run)]
        assert kinds == [ev.SPEAKING_STARTED, ev.SPEAKING_STARTED, ev.SPEAKING_STOPPED]
        shown = line(app)
        assert "nobody speaking" in shown and "this step: 2 turns, 2:00" in shown
        # five women and five men present: Ivy spoke 90 of the 120 seconds
        assert "female 75% of 50%" in shown and "male 25% of 50%" in shown
        assert "GOMA 75% of 30%" in shown and "HQ 25% of 40%" in shown and "JUBA 0% of 30%" in shown
        await pilot.press("full_stop")
        await settle(pilot)
        assert "Nobody has the floor." in messages(app)
        assert len(turns(run)) == 3  # nothing recorded


async def test_the_speakers_clock_runs_on_the_line(run: Path, clock: FakeClock) -> None:
    app = app_for(run, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pick(pilot, "ada")
        assert "speaking: Ada Lovelace (HQ) 0:00" in line(app)
        clock.advance(timedelta(seconds=65))
        await until(pilot, lambda: "Ada Lovelace (HQ) 1:05" in line(app))  # no new reading: counted on screen
        assert "female 100% of 50%" in line(app)


async def test_escape_counts_nothing_and_a_second_pick_of_the_speaker_is_refused(run: Path, clock: FakeClock) -> None:
    app = app_for(run, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press(*"ada", "escape")
        await settle(pilot)
        assert turns(run) == []
        await pick(pilot, "ada")
        await pick(pilot, "ada")
        assert "participant: Ada Lovelace has the floor already" in messages(app)
        assert len(turns(run)) == 1


async def test_a_co_facilitators_tally_reaches_the_lead_and_an_observer_may_not_tally(
    run: Path, clock: FakeClock
) -> None:
    lead = app_for(run, clock)
    async with lead.run_test(size=(100, 30)) as lead_pilot:
        await ready(lead_pilot)
        co = app_for(run, clock, actor="amina", role="co")
        async with co.run_test(size=(100, 30)) as co_pilot:
            await ready(co_pilot)
            for letters in ("hal", "eve", "dan"):  # three turns, from the co-facilitator's terminal
                await pick(co_pilot, letters)
                clock.advance(timedelta(seconds=20))
            await co_pilot.press("full_stop")
            await settle(co_pilot)
            await until(lead_pilot, lambda: "this step: 3 turns, 1:00" in line(lead))
            assert [e.actor for e in turns(run)] == ["amina"] * 4
        observer = app_for(run, clock, actor="omar", role="observer")
        async with observer.run_test(size=(100, 30)) as pilot:
            await ready(pilot)
            await pilot.press("s")
            await settle(pilot)
            assert not isinstance(observer.screen, SpeakerPicker)
            assert "observers only look: you cannot change the session" in messages(observer)
        assert len(turns(run)) == 4


async def test_the_tally_screen_and_the_room_view_which_never_shows_a_name(run: Path, clock: FakeClock) -> None:
    app = app_for(run, clock)
    room = RoomApp(db_path=run, actor="room", clock=clock, poll_seconds=FAST, claim_presence=False)
    async with app.run_test(size=(100, 30)) as pilot, room.run_test(size=(100, 30)) as room_pilot:
        await ready(pilot)
        await pick(pilot, "cai")
        clock.advance(timedelta(seconds=40))
        await pick(pilot, "gus")
        clock.advance(timedelta(seconds=10))
        await pilot.press("S")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SpeakingScreen)
        text = as_text(screen.query_one("#speaking-tally", Static).content)
        assert "Speaking now: Gus Nyok (JUBA) 0:10" in text
        assert "This step: 10 present, 2 turns" in text and "Today: 10 present, 2 turns" in text
        assert "not shown on the room view" in text
        board = room.query_one(RoomSpeaking)
        assert not board.display  # the driver has not shown it
        await pilot.press("v")
        await settle(pilot)
        assert [e.payload for e in turns(run) if e.kind == ev.SPEAKING_SHOWN] == [{"shown": True}]
        await until(room_pilot, lambda: board.display)
        shown = str(board.render())
        assert "Who speaks (this step)" in shown and "female 80% of 50%" in shown  # Cai 40 s of 50
        for name in ("Cai", "Gus", "Deng", "Nyok", "cai", "gus"):
            assert name not in shown
        assert room.speaking.speaker is not None and room.speaking.speaker.name == ""  # nor held
        assert room.speaking.speaker.turn.participant == ""
        await pilot.press("v")
        await settle(pilot)
        await until(room_pilot, lambda: not board.display)


async def test_only_the_driver_shows_the_tally_on_the_room_view(run: Path, clock: FakeClock) -> None:
    with_session(run, clock, lambda lead: lead.start_turn("ada"))
    co = app_for(run, clock, actor="amina", role="co")
    async with co.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("S")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert any("is driving" in message for message in messages(co))
    assert not [e for e in turns(run) if e.kind == ev.SPEAKING_SHOWN]


# -- snapshots -----------------------------------------------------------------------------------------------------


def _tallied(db: Path, clock: FakeClock) -> None:
    def tally(lead: Session) -> None:
        for pid, seconds in (("ada", 45), ("ben", 80), ("ivy", 30), ("hal", 25)):
            lead.start_turn(pid)
            clock.advance(timedelta(seconds=seconds))
        lead.start_turn("eve")
        clock.advance(timedelta(seconds=12))

    with_session(db, clock, tally)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_the_lead_screen_with_the_tally(run: Path, clock: FakeClock, snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    _tallied(run, clock)
    app = app_for(run, clock)

    async def settled(pilot: Pilot[None]) -> None:
        await ready(pilot)
        await until(pilot, lambda: app.screen.query_one(SpeakingLine).display)

    assert snap_compare(app, terminal_size=size, run_before=settled)


def test_snapshot_the_tally_screen(run: Path, clock: FakeClock, snap_compare) -> None:  # type: ignore[no-untyped-def]
    _tallied(run, clock)
    app = app_for(run, clock)

    async def opened(pilot: Pilot[None]) -> None:
        await ready(pilot)
        await until(pilot, lambda: app.screen.query_one(SpeakingLine).display)
        await pilot.press("S")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=opened)
