"""The lead's first frame is the whole screen, as it stays (issue 14, start-up; bench/startup.py).

Widgets whose text depends on their size (the agenda's lines, the step's wrapped text, the location strip's
packed cells, the timer's bar) used to compose it again on their first resize event, which comes after the
first frame: the terminal got a frame with an empty step panel and a narrow agenda, then a second layout and
frame. They now compose for the size the layout gives them, so the first frame is the one that stays; only the
footer's keys follow, as in any Textual app (Textual's Footer makes them once the screen's bindings are known).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import RenderableType
from textual._compositor import LayoutUpdate
from textual.pilot import Pilot
from textual.screen import Screen

from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.tui.app import FacilitatorApp

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
