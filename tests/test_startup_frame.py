"""What the lead's first frame waits for, and what it leaves until it is up (issue 14, start-up; bench/startup.py).

The frame itself is the real lead screen. Before it: the run read on the database thread while Textual starts,
the stored programme read without building any validator. After it: the join recorded, the run followed, the
collector back on.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from facilitator.live.state import fold
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.screens.lead import LeadScreen
from facilitator.tui.widgets.footer import KeyLine, LeadFooter
from facilitator.tui.widgets.panels import StepView

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "exercises"


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(DEMO).programme, actor="lead", clock=FakeClock()).close()
    return db


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(3):
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()


async def test_after_the_first_frame_the_join_is_recorded(demo_db: Path) -> None:
    seen: list[tuple[str, bool]] = []
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock())

    def first_frame() -> None:  # called after the app's own callback (FacilitatorApp._settle_in)
        step = app.screen.query_one(StepView)
        seen.append((type(app.screen).__name__, "Press n to start" in str(step.render())))

    app.after_first_frame = first_frame
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert seen == [("LeadScreen", True)]  # once, with the step panel filled in
    with Store.open(demo_db) as store:
        events = list(store.events())
    assert [e.actor for e in events if e.kind == ev.FACILITATOR_JOINED] == ["lead"]
    assert fold(events).driver == "lead"


async def test_the_footers_keys_are_textuals_in_one_line(demo_db: Path) -> None:
    """The same keys as Textual's Footer makes (which, how they read, which are disabled), and the palette's."""
    app = FacilitatorApp(db_path=demo_db, actor="observer", role="observer", clock=FakeClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(LeadFooter)
        line = footer.query_one(KeyLine)
        with footer._context():
            textual = [w for w in Footer.compose(footer) if isinstance(w, FooterKey)]
        made = [w for w in textual if not w.has_class("-command-palette")]
        assert [(k.key, k.display, k.description, k.disabled) for k in line.keys] == [
            (w.key, w.key_display, w.description, w.has_class("-disabled")) for w in made
        ]
        assert len(line.keys) >= 3
        assert [w.has_class("-command-palette") for w in footer.query(FooterKey)] == [True]


async def test_a_key_of_the_footer_is_clicked_and_explained_as_before(demo_db: Path) -> None:
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        line = app.screen.query_one(KeyLine)
        index = next(i for i, key in enumerate(line.keys) if key.key.startswith("n"))  # Next
        x = line._ends[index] - 2  # within the key's cells
        await pilot.hover(line, offset=(x, 0))
        assert line._hover == index
        assert line.tooltip == line.keys[index].tooltip
        await pilot.click(line, offset=(x, 0))
        await settle(pilot)
    with Store.open(demo_db) as store:
        assert fold(store.events()).step is not None  # the click was the key: the first step was entered


def test_breakpoint_classes_are_set_before_the_first_resize(demo_db: Path) -> None:
    sizes = {(80, 24): {"-narrow", "-short"}, (120, 40): {"-wide", "-tall"}}

    async def check(size: tuple[int, int], expected: set[str]) -> None:
        app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock())
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, LeadScreen)
            assert set(screen._breakpoint_classes()) == expected
            assert expected <= set(screen.classes)

    import asyncio

    for size, expected in sizes.items():
        asyncio.run(check(size, expected))


PROBE = """
import json, sys
from pathlib import Path
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.crash import run_app

LATER = ("pydantic", "pydantic.plugin._loader", "importlib.metadata", "ctypes", "facilitator.tui.screens.requests")
found = {}


def models(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from models(sub)


def make():
    app = FacilitatorApp(db_path=Path(sys.argv[1]), actor="lead")

    def first_frame():
        app.set_timer(0.2, app.exit)  # not at once: an app told to exit while it mounts may not (as before)

    # What the first frame was made with: looked at before the app settles in (the join...).
    original = app._settle_in

    def settle_in(state):
        found["screen"] = type(app.screen).__name__
        found["joined"] = "lead" in state.facilitators
        pydantic = sys.modules.get("pydantic")  # not imported, if all goes well
        found["built"] = sorted(
            c.__name__
            for c in (models(pydantic.BaseModel) if pydantic else ())
            if c.__dict__.get("__pydantic_complete__") and c.__module__.startswith("facilitator.")
        )
        found["modules"] = sorted(m for m in LATER if m in sys.modules)
        original(state)

    app._settle_in = settle_in
    app.after_first_frame = first_frame
    return app

run_app(make, headless=True)
print(json.dumps(found))
"""


def test_the_first_frame_builds_no_validator(demo_db: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(demo_db)], capture_output=True, text=True, timeout=120, check=True, cwd=REPO
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["screen"] == "LeadScreen"
    assert found["joined"] is False  # the join is recorded after it
    # pydantic was not even imported: the stored programme is read as it is into plain data classes, and the event
    # payloads' models load with the first write. So no validator was built, nor pydantic's plugin loader imported
    # with importlib.metadata; nor the inotify watch's ctypes, nor the join requests' screen.
    assert found["built"] == []
    assert found["modules"] == []
