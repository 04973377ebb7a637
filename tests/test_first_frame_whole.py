"""The lead's first frame is the whole screen, as it stays (issue 14, start-up; bench/startup.py).

Widgets whose text depends on their size (the agenda's lines, the step's wrapped text, the location strip's
packed cells, the timer's bar) used to compose it again on their first resize event, which comes after the
first frame: the terminal got a frame with an empty step panel and a narrow agenda, then a second layout and
frame. They now compose for the size the layout gives them, so the first frame is the one that stays; only the
footer's keys follow, as in any Textual app (Textual's Footer makes them once the screen's bindings are known).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import RenderableType
from textual._compositor import LayoutUpdate
from textual.pilot import Pilot
from textual.screen import Screen

from facilitator.live.reload import SourceWatcher, Status, reload_workshop
from facilitator.live.session import Session
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.screens.lead import LeadScreen
from facilitator.tui.widgets.too_small import TooSmall
from tests.test_groups import programme_data
from tests.test_reload import REFLECT, WORKSHOP, create_run, warm_up
from tests.test_tui_groups import PEOPLE
from tests.test_tui_questions import run_on
from tests.test_tui_team import until
from tests.tools import run_with_people, whole_lead_screen, with_session

DEMO = Path(__file__).resolve().parent.parent / "exercises"


def screen_lines(update: LayoutUpdate) -> list[str]:
    return ["".join(strip.text for strip in line) for line in update.strips]


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(3):
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()


@pytest.mark.parametrize("locations", [9, 2], ids=["nine-locations", "two-locations"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_first_frame_is_the_screen_as_it_stays(tmp_path: Path, size: tuple[int, int], locations: int) -> None:
    """Nine locations fill the strip's three lines at any width; two take one line where the strip is wide
    enough for both, and the layout must ask the strip for its height at that width, not at none."""
    db = tmp_path / "run.db"
    programme = load_workshop(DEMO).programme
    workshop = replace(programme.workshop, locations=programme.workshop.locations[:locations])
    Store.create(db, replace(programme, workshop=workshop), actor="lead", clock=FakeClock()).close()
    app = FacilitatorApp(db_path=db, actor="lead", clock=FakeClock())
    frames: list[list[str]] = []
    display = app._display

    def first_frames(screen: Screen[object], renderable: RenderableType | None) -> None:
        if isinstance(renderable, LayoutUpdate) and not frames and type(screen).__name__ == "LeadScreen":
            frames.append(screen_lines(renderable))
        display(screen, renderable)

    app._display = first_frames  # type: ignore[method-assign]
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        settled = screen_lines(app.screen._compositor.render_update(full=True))  # type: ignore[arg-type]
    assert frames, "the lead screen was never drawn"
    first = frames[0]
    assert any("Press n to start the first step of the day." in line for line in first)
    # Every line as it stays, but the footer's (its keys come once the screen's bindings are known).
    assert first[:-1] == settled[:-1]


# -- the panels hidden at start ------------------------------------------------------------------------------------
# The lead screen composes a panel that is hidden at start only when it has something to show then; the others are
# mounted once the first frame is up (LeadScreen._now_or_later), each in its place.

# The lead screen's widgets as compose gave them all at once before (ids, or the class where there is none): the
# screen's, #main's and #right's.
WHOLE = [
    ["Header", "banner", "team-line", "main", "team-panel", "locations", "feed", "LeadFooter", "TooSmall"],
    ["agenda", "right"],
    ["timer", "pace", "groups-line", "speaking-line", "questions", "step"],
]
LATE = {"banner", "team-line", "groups-line", "speaking-line", "questions", "team-panel", "TooSmall"}


def layout(screen: Screen[Any]) -> list[list[str]]:
    containers = [screen, screen.query_one("#main"), screen.query_one("#right")]
    return [[child.id or type(child).__name__ for child in container.children] for container in containers]


def drawn(screen: Screen[Any]) -> str:
    return "\n".join(screen_lines(screen._compositor.render_update(full=True)))  # type: ignore[arg-type]


def without(*panels: str) -> list[list[str]]:
    """WHOLE less ``panels``: what stands before the first frame is drawn."""
    return [[name for name in names if name not in panels] for names in WHOLE]


@dataclass
class Frames:
    first: list[str]  # the first frame's lines
    first_layout: list[list[str]]  # the screen's widgets as that frame was drawn
    settled: list[str]
    settled_layout: list[list[str]]


async def first_and_settled(app: FacilitatorApp, size: tuple[int, int]) -> Frames:
    """The lead screen's first frame and the screen once settled (its toasts cleared: a resumed run says so)."""
    firsts: list[tuple[list[str], list[list[str]]]] = []
    display = app._display

    def first_frame(screen: Screen[object], renderable: RenderableType | None) -> None:
        if isinstance(renderable, LayoutUpdate) and not firsts and type(screen).__name__ == "LeadScreen":
            firsts.append((screen_lines(renderable), layout(screen)))
        display(screen, renderable)

    app._display = first_frame  # type: ignore[method-assign]
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = await whole_lead_screen(pilot)
        app.clear_notifications()
        await settle(pilot)
        settled = screen_lines(screen._compositor.render_update(full=True))  # type: ignore[arg-type]
        settled_layout = layout(screen)
    assert firsts, "the lead screen was never drawn"
    return Frames(*firsts[0], settled, settled_layout)


async def test_a_plain_start_leaves_the_hidden_panels_until_after_the_first_frame(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(DEMO).programme, actor="lead", clock=FakeClock()).close()
    seen = await first_and_settled(FacilitatorApp(db_path=db, actor="lead", clock=FakeClock()), (80, 24))
    assert seen.first_layout == without(*LATE)
    assert seen.settled_layout == WHOLE  # each in its place, as compose put them: the stylesheet's order
    assert seen.first[:-1] == seen.settled[:-1]


def _demo(tmp_path: Path, clock: FakeClock) -> Path:
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(DEMO).programme, actor="lead", clock=clock).close()
    with_session(db, clock, lambda lead: lead.announce())
    return db


def _people(tmp_path: Path, clock: FakeClock, work: Callable[[Session], object]) -> Path:
    """The tiny workshop with breakout groups at its second step, on its first step, ten people checked in."""

    def then(lead: Session) -> None:
        lead.next_step()
        work(lead)

    return run_with_people(tmp_path / "run.db", clock, programme_data(), PEOPLE, then)


def _removed_step(tmp_path: Path, clock: FakeClock) -> Path:
    """A run whose current step a reload took out of the script."""
    folder = tmp_path / "workshop"
    folder.mkdir()
    (folder / "workshop.yaml").write_text(WORKSHOP)
    (folder / "warm-up.yaml").write_text(warm_up("intro", "pairs", "plenary"))
    (folder / "reflect.yaml").write_text(REFLECT)
    db = tmp_path / "run.db"
    create_run(folder, db, clock)
    with Store.open(db, clock=clock) as store:
        session = Session(store, actor="lead")
        session.announce()
        session.next_step()
        session.next_step()
        (folder / "warm-up.yaml").write_text(warm_up("intro", "plenary"))
        assert reload_workshop(session, SourceWatcher(folder)).status is Status.LOADED
    return db


def _groups_meeting(tmp_path: Path, clock: FakeClock) -> Path:
    return _people(tmp_path, clock, lambda lead: lead.make_groups(size=3))


def _someone_speaking(tmp_path: Path, clock: FakeClock) -> Path:
    return _people(tmp_path, clock, lambda lead: lead.start_turn("ada"))


def _questions_open(tmp_path: Path, clock: FakeClock) -> Path:
    return run_on(tmp_path, clock, steps=1)


# A panel with something to show at start: how the run stands, who starts it, at what size, and what it says.
START_WITH: dict[str, tuple[Callable[[Path, FakeClock], Path], str, tuple[int, int], str]] = {
    "banner": (_removed_step, "lead", (80, 24), "“Pairs” was removed from the script"),
    "team-line": (_demo, "amina", (80, 24), "you: amina (co)"),
    "groups-line": (_groups_meeting, "lead", (80, 24), "Groups: 3 of 3"),
    "speaking-line": (_someone_speaking, "lead", (100, 30), "speaking: Ada Lovelace"),
    # Where the panel needs no scrollbar: one that does gets it only after the first frame, composed late or not.
    "questions": (_questions_open, "lead", (120, 40), "How do you arrive?"),
    "TooSmall": (_demo, "lead", (30, 10), "Enlarge the window"),
}


@pytest.mark.parametrize("panel", list(START_WITH))
async def test_a_panel_with_something_to_show_at_start_is_in_the_first_frame(tmp_path: Path, panel: str) -> None:
    make_run, actor, size, says = START_WITH[panel]
    clock = FakeClock()
    db = make_run(tmp_path, clock)
    role = "lead" if actor == "lead" else "co"
    seen = await first_and_settled(FacilitatorApp(db_path=db, actor=actor, role=role, clock=clock), size)
    assert panel in seen.first_layout[0] + seen.first_layout[2]
    assert seen.first_layout == without(*(LATE - {panel}))  # the others wait, as at a plain start
    assert any(says in line for line in seen.first), "\n".join(seen.first)
    assert seen.settled_layout == WHOLE
    assert seen.first[:-1] == seen.settled[:-1]


def _questions_and_people(tmp_path: Path, clock: FakeClock) -> Path:
    """The workshop with questions at its first step, on none yet, four people checked in."""
    return run_on(tmp_path, clock, steps=0)


async def test_the_panels_mounted_after_the_first_frame_follow_the_run(tmp_path: Path) -> None:
    clock = FakeClock()
    db = _questions_and_people(tmp_path, clock)
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock, presence_clock=clock, poll_seconds=0.02)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await whole_lead_screen(pilot)

        def shown(selector: str) -> bool:
            return screen.query_one(selector).display

        assert not any(shown(f"#{panel}") for panel in LATE - {"TooSmall"})
        await pilot.press("n")  # the first step asks two questions
        await settle(pilot)
        assert shown("#questions")
        assert "How do you arrive?" in drawn(screen)
        await app.command(lambda lead: lead.start_turn("ada"))
        await settle(pilot)
        assert shown("#speaking-line")
        await app.command(lambda lead: lead.make_groups(size=2))
        await settle(pilot)
        assert shown("#groups-line")
        with Store.open(db, clock=clock) as store:  # a co-facilitator joins from another process: not alone now
            Session(store, actor="amina", role="co").announce()
        await until(pilot, lambda: shown("#team-line"))
        await pilot.press("w")
        await settle(pilot)
        assert shown("#team-panel")
        assert screen.team_panel.rows
        await pilot.resize_terminal(30, 10)
        await settle(pilot)
        assert screen.query_one(TooSmall).has_class("-shown")


@pytest.mark.parametrize("when", ["before it is in the screen", "as it is being mounted"])
async def test_w_pressed_before_the_presence_panel_is_mounted_shows_it_as_it_mounts(
    tmp_path: Path, when: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _demo(tmp_path, FakeClock())
    app = FacilitatorApp(db_path=db, actor="lead", clock=FakeClock())
    pressed: list[bool] = []  # whether the panel was in the screen when w was handled

    def w(screen: LeadScreen) -> None:  # the key's action, as a w handled at this moment runs it
        assert app.screen is screen and not screen.team_panel.is_mounted
        app.action_toggle_team()
        pressed.append(screen.team_panel.is_attached)

    if when == "before it is in the screen":  # between the first frame and the panels' mount
        display = app._display

        def first_frame(screen: Screen[object], renderable: RenderableType | None) -> None:
            display(screen, renderable)
            if isinstance(screen, LeadScreen) and isinstance(renderable, LayoutUpdate) and not pressed:
                w(screen)

        app._display = first_frame  # type: ignore[method-assign]
    else:  # in the screen, its mount not yet done
        mount_late = LeadScreen._mount_late

        def then_w(screen: LeadScreen) -> None:
            mount_late(screen)
            w(screen)

        monkeypatch.setattr(LeadScreen, "_mount_late", then_w)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = await whole_lead_screen(pilot)
        assert pressed == [when == "as it is being mounted"]
        assert screen.team_panel.display
        assert screen.team_panel.rows is not None  # its rows drawn as it mounted
        assert "connected (w hides)" in drawn(screen)
