"""What the room's questions look like (issue 15): the lead's screen with the demo's pre-course knowledge
check open and answered from three locations, and the room view of the same step before and after the
first question's results are revealed, at 80x24 and 120x40. The clock is a fake one, moved and ticked
before each picture, as in tests/test_tui.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot

from facilitator.live.session import Session
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.screens.room import RoomApp, RoomQuestions
from tests.test_tui import DEMO, ON_THE_DAY, settle
from tests.test_tui_team import until

SIZES = [(80, 24), (120, 40)]
# Who is checked in where, and what each chose for the knowledge check's four quiz questions.
PEOPLE = [
    ("Amani Deng", "hq", ("r2242", "participation", "every-stage", "who-benefits")),
    ("Beatrice Lado", "hq", ("r1325", "protection", "every-stage", "who-benefits")),
    ("Carlos Mendes", "hq", ("r2242", "participation", "head-count", "separate-budget")),
    ("Dalia Haddad", "hq", ("r2467", "prevention", "every-stage", "who-benefits")),
    ("Esther Wani", "unmiss", ("r2242", "participation", "every-stage", "who-benefits")),
    ("Faisal Omar", "unmiss", ("r1820", "disarmament", "gender-unit", "donor-funds")),
    ("Grace Kenyi", "unmiss", ("r2242", "relief-recovery", "every-stage", "who-benefits")),
    ("Hawa Traoré", "minusma", ("r1325", "participation", "labelled-projects", "gender-line")),
    ("Ibrahim Maïga", "minusma", ()),  # checked in, not answered yet
    ("Joseph Kabila", "monusco", ()),
]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(ON_THE_DAY)


@pytest.fixture
def knowledge_check(tmp_path: Path, clock: FakeClock) -> Path:
    """The demo on day 1's fourth step, the pre-course knowledge check, with ten people in and eight answers."""
    db = tmp_path / "run.db"
    programme = load_workshop(DEMO).programme
    Store.create(db, programme, actor="lead", clock=clock).close()
    with Store.open(db, clock=clock) as store:
        lead = Session(store, actor="lead")
        for _ in range(4):
            lead.next_step()
        questions = [a.key for a in programme.asked_in("opening", "expectations")]
        for index, (name, location, choices) in enumerate(PEOPLE):
            pid = f"p{index}"
            lead.add_participant(name, f"{pid}@example.org", location, participant_id=pid)
            lead.check_in(pid)
            for key, choice in zip(questions, choices, strict=False):
                lead.answer(key, respondent=pid, participant=pid, location=location, choices=[choice])
    clock.advance(timedelta(minutes=3))
    return db


def reveal_first(db: Path, clock: FakeClock) -> None:
    with Store.open(db, clock=clock) as store:
        Session(store, actor="lead").reveal_results("wps-basics/pre/resolution-2242")


@pytest.mark.parametrize("size", SIZES)
def test_lead_screen_with_an_answered_question_snapshot(
    snap_compare: object, knowledge_check: Path, clock: FakeClock, size: tuple[int, int]
) -> None:
    async def answered(pilot: Pilot[None]) -> None:
        await settle(pilot)
        pilot.app.clear_notifications()  # "Session resumed": the run was set up by another session
        for widget in pilot.app.screen.query("TimerView, PaceView, LocationStrip"):
            widget.tick()  # type: ignore[attr-defined]
        await pilot.pause()

    app = FacilitatorApp(db_path=knowledge_check, actor="lead", clock=clock)
    assert snap_compare(app, terminal_size=size, run_before=answered)  # type: ignore[operator]


def _room_ready(revealed: bool) -> Callable[[Pilot[None]], object]:
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, RoomApp)
        questions = app.query_one(RoomQuestions)
        await until(pilot, lambda: questions.board is not None and bool(app.results.results) == revealed)
        for widget in app.query("RoomTimer, RoomClocks"):
            widget.tick()  # type: ignore[attr-defined]
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_room_view_before_reveal_snapshot(
    snap_compare: object, knowledge_check: Path, clock: FakeClock, size: tuple[int, int]
) -> None:
    app = RoomApp(db_path=knowledge_check, actor="room", clock=clock, claim_presence=False)
    assert snap_compare(app, terminal_size=size, run_before=_room_ready(revealed=False))  # type: ignore[operator]


@pytest.mark.parametrize("size", SIZES)
def test_room_view_after_reveal_snapshot(
    snap_compare: object, knowledge_check: Path, clock: FakeClock, size: tuple[int, int]
) -> None:
    reveal_first(knowledge_check, clock)
    app = RoomApp(db_path=knowledge_check, actor="room", clock=clock, claim_presence=False)
    assert snap_compare(app, terminal_size=size, run_before=_room_ready(revealed=True))  # type: ignore[operator]
