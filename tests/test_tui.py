"""The lead app driven through Textual's Pilot with a fake clock, and what its screen looks like."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets._header import HeaderTitle

from facilitator.config import Config
from facilitator.live.session import Session
from facilitator.live.state import SessionState, fold
from facilitator.record import store_watch
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.bindings import binding_ids
from facilitator.tui.modals.choice import Choice
from facilitator.tui.modals.pickers import DayScreen, JumpScreen
from facilitator.tui.screens.help import HelpScreen
from facilitator.tui.screens.lead import LeadScreen
from facilitator.tui.widgets.agenda import AgendaView
from facilitator.tui.widgets.panels import LocationStrip, PaceView, ReflectionsFeed, StepView, TimerView

# Every size issue 25 checked, the first two as before (their snapshots keep their names).
LAYOUT_SIZES = [(80, 24), (120, 40), (40, 15), (60, 20), (200, 60)]

DEMO = Path(__file__).resolve().parent.parent / "exercises"
# 08:00 in New York on the first day of the demo: the run happens on its scheduled date.
ON_THE_DAY = datetime(2022, 8, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(DEMO).programme, actor="lead", clock=FakeClock(ON_THE_DAY)).close()
    return db


def text(widget: Widget) -> str:
    return str(widget.render())


def agenda_lines(app: FacilitatorApp) -> list[str]:
    return app.screen.query_one(AgendaView).lines()


def saved_state(db: Path) -> SessionState:
    with Store.open(db) as store:
        return fold(store.events())


async def settle(pilot: Pilot[None]) -> None:
    """Let commands finish on the database thread and the screen catch up."""
    app = pilot.app
    assert isinstance(app, FacilitatorApp)
    for _ in range(500):  # the lead screen is pushed once the run is loaded from the database
        if any(isinstance(screen, LeadScreen) for screen in app.screen_stack):
            break
        await pilot.pause(0.01)
    for _ in range(5):
        await pilot.pause()
        await app.workers.wait_for_complete()
    for _ in range(500):
        if not app.commands_in_flight:
            break
        await pilot.pause(0.01)
    await pilot.pause()


async def test_stepping_through_the_day_is_recorded_before_it_is_shown(demo_db: Path) -> None:
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "Press n" in text(app.screen.query_one(StepView))
        await pilot.press("n", "n", "right", "p", "y")  # going back re-enters a step that ran: asked first
        await settle(pilot)
        assert "Connection check" in text(app.screen.query_one(StepView))
        assert "Next: Introductions in small mixed groups" in text(app.screen.query_one(StepView))
        current = [line for line in agenda_lines(app) if line.startswith("▶")]
        assert len(current) == 1
        assert current[0].startswith("▶ 08:10 Connectio")
        assert any(line.startswith("✓ 08:00 Welcome") for line in agenda_lines(app))
    state = saved_state(demo_db)
    assert (state.exercise, state.step) == ("opening", "connection-check")


async def test_timer_turns_amber_then_red_and_counts_the_overrun(demo_db: Path) -> None:
    clock = FakeClock(ON_THE_DAY)
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        timer = app.screen.query_one(TimerView)
        assert text(timer).startswith("10:00")
        assert not timer.has_class("amber", "red", "over")
        clock.advance(timedelta(minutes=7, seconds=59))  # 2:01 left: just over 20%
        timer.tick()
        assert not timer.has_class("amber")
        clock.advance(timedelta(seconds=1))  # 2:00 left: 20%
        timer.tick()
        assert timer.has_class("amber")
        clock.advance(timedelta(minutes=1, seconds=30))  # 0:30 left: 5%
        timer.tick()
        assert timer.has_class("red")
        assert not timer.has_class("amber")
        clock.advance(timedelta(minutes=1))
        timer.tick()
        assert timer.has_class("over")
        assert text(timer).startswith("+00:30 over")


async def test_a_screen_under_another_does_not_tick_and_catches_up_on_top_again(demo_db: Path) -> None:
    # Over SSH a tick of the screen underneath costs a repaint of the whole screen on top, every second.
    clock = FakeClock(ON_THE_DAY)
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        lead = app.screen
        timer = lead.query_one(TimerView)
        assert text(timer).startswith("10:00")
        await pilot.press("a")  # the attendance screen, over the lead's
        await settle(pilot)
        assert app.screen is not lead
        clock.advance(75)
        await pilot.pause(1.3)  # the screens' one-second tick has come
        assert text(timer).startswith("10:00")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is lead
        await pilot.pause(1.3)
        assert text(timer).startswith("08:45")


async def test_pause_freezes_the_timer_and_resume_goes_on(demo_db: Path) -> None:
    clock = FakeClock(ON_THE_DAY)
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        clock.advance(60)
        await pilot.press("space")
        await settle(pilot)
        clock.advance(300)
        timer = app.screen.query_one(TimerView)
        timer.tick()
        assert text(timer).startswith("09:00")
        assert "PAUSED" in text(timer)
        await pilot.press("space")
        await settle(pilot)
        clock.advance(30)
        timer.tick()
        assert text(timer).startswith("08:30")
        assert "PAUSED" not in text(timer)
    assert saved_state(demo_db).timer is not None


async def test_extend_and_shorten_by_one_and_five_minutes(demo_db: Path) -> None:
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        timer = app.screen.query_one(TimerView)
        await pilot.press("plus")
        await settle(pilot)
        assert text(timer).startswith("11:00")
        await pilot.press("right_square_bracket")  # five minutes at once: asked first; n changes nothing
        await settle(pilot)
        assert isinstance(app.screen, Choice) and "5 minutes more" in app.screen.text
        await pilot.press("n")
        await settle(pilot)
        assert text(timer).startswith("11:00")
        await pilot.press("right_square_bracket", "y")
        await settle(pilot)
        assert text(timer).startswith("16:00")
        assert "(+6m)" in text(timer)
        await pilot.press("minus", "left_square_bracket", "y", "underscore", "y")
        await settle(pilot)
        assert text(timer).startswith("05:00")
    timer_state = saved_state(demo_db).timer
    assert timer_state is not None
    assert timer_state.adjustment == timedelta(minutes=-5)


async def test_pace_forecasts_the_end_and_warns_when_it_passes_the_planned_end(demo_db: Path) -> None:
    clock = FakeClock(ON_THE_DAY)
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        pace = app.screen.query_one(PaceView)
        pace.tick()
        assert text(pace).startswith("on time · forecast end 11:30")
        assert not pace.has_class("warning")
        clock.advance(timedelta(minutes=15))  # a 10-minute step, five minutes over
        pace.tick()
        assert text(pace).startswith("5 min behind · forecast end 11:35")
        assert "runs past the planned end" in text(pace)
        assert pace.has_class("warning")
        await pilot.press("n")
        await settle(pilot)
        pace.tick()
        assert text(pace).startswith("5 min behind")
        assert "08:10" in agenda_lines(app)[2]
        assert "10m→15m" in agenda_lines(app)[1]


async def test_a_rehearsal_on_another_date_is_measured_from_its_own_start(demo_db: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        pace = app.screen.query_one(PaceView)
        pace.tick()
        assert text(pace).startswith("on time · forecast end 13:30")
        assert "rehearsal" in text(pace)


async def test_change_day_with_d(demo_db: Path) -> None:
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n", "d")
        await settle(pilot)
        assert isinstance(app.screen, DayScreen)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, DayScreen)
        assert app.state.day == date(2022, 8, 23)
        assert agenda_lines(app)[0].startswith("Gender-responsive strat")
        await pilot.press("n")
        await settle(pilot)
        assert app.state.exercise == "strategic-planning"
    visits = saved_state(demo_db).visits
    assert visits[0].left_at is not None, "opening another day ends the step that was running"


async def test_jump_finds_a_step_on_any_day_by_fuzzy_search(demo_db: Path) -> None:
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, JumpScreen)
        await pilot.press(*"mission example")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, JumpScreen)
        assert (app.state.day, app.state.exercise, app.state.step) == (
            date(2022, 8, 25),
            "gender-responsive-budgeting",
            "mission-example",
        )
        assert "Mission example" in text(app.screen.query_one(StepView))


async def test_escape_closes_the_jump_picker_without_moving(demo_db: Path) -> None:
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("g", "b", "escape")
        await settle(pilot)
        assert app.state.step is None
        assert saved_state(demo_db).visits == ()


async def test_help_lists_every_binding_with_its_id(demo_db: Path) -> None:
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        listed = {row[2] for row in app.screen.rows}
        assert binding_ids() <= listed
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, HelpScreen)


async def test_keys_can_be_remapped_by_binding_id(demo_db: Path) -> None:
    config = Config(keys={"next": "j"})
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY), config=config)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        assert app.state.step is None
        await pilot.press("j")
        await settle(pilot)
        assert app.state.step == "welcome"


async def test_help_and_key_bars_show_the_remapped_keys(demo_db: Path) -> None:
    config = Config(keys={"next": "j,right", "help": "?,f1", "reflections-back": "b,escape"})
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY), config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = {row[2]: row[0] for row in app.screen.rows}
        assert rows["next"] == "j, →"
        assert rows["help"] == "?, f1"
        assert rows["previous"] == "p, ←"  # not remapped: as bound
        await pilot.press("escape", "R")
        await settle(pilot)
        bar = str(app.screen.query_one("#reflections-keys").render())
        assert bar.startswith(" b Back")


async def test_the_command_palette_offers_every_action(demo_db: Path) -> None:
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert "Enter the next step of the day" in titles
        assert "Give the current step five more minutes" in titles
        assert "Log a reflection against the current step" in titles


async def test_the_bell_rings_once_when_time_runs_out(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock(ON_THE_DAY)
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=clock, config=Config(bell=True))
    rings: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: rings.append(1))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        timer = app.screen.query_one(TimerView)
        clock.advance(timedelta(minutes=9, seconds=59))
        timer.tick()
        assert rings == []
        clock.advance(2)
        timer.tick()
        clock.advance(2)
        timer.tick()
        assert rings == [1]


async def test_location_strip_shows_local_time_and_expected_people(demo_db: Path) -> None:
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        strip = app.screen.query_one(LocationStrip)
        strip.tick()
        shown = text(strip)
        assert "HQ 08:00 New York 0/12" in shown
        assert "UNMISS 14:00 Juba 0/6" in shown
        assert "MINUSMA 12:00 Bamako 0/6" in shown
        assert "UNIFIL 15:00 Beirut 0/6" in shown


async def test_reflections_from_another_process_appear_in_the_feed(demo_db: Path) -> None:
    clock = FakeClock(ON_THE_DAY)
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        with Store.open(demo_db, clock=clock) as store:
            Session(store, actor="co").log_reflection("Planning must be gender-responsive", location="unmiss")
        for _ in range(40):
            await pilot.pause(0.05)
            if "gender-responsive" in text(app.screen.query_one(ReflectionsFeed)):
                break
        feed = text(app.screen.query_one(ReflectionsFeed))
        assert "08:00 “Planning must be gender-responsive” — anonymous, UNMISS" in feed


async def test_a_change_folded_by_another_command_first_still_reaches_the_screen(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The calendar's upkeep (or any command) may fold another process's events on the database thread
    # before the poll looks: the poll must still show them, not take "nothing new to fold" for "nothing new".
    monkeypatch.setattr(store_watch, "watch", lambda db: None)  # only the polls this test makes
    clock = FakeClock(ON_THE_DAY)
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=clock, poll_seconds=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.live.poll()  # the poll's first look: it now knows the database as it is
        with Store.open(demo_db, clock=clock) as store:
            co = Session(store, actor="co")
            co.add_participant("Amal", "amal@example.org", "unmiss", participant_id="amal")
            co.check_in("amal")
            co.log_reflection("Seen at once", location="hq")
        await app.run_db(lambda session: session.refresh())  # folded here, shown by nobody yet
        await app.live.poll()
        await settle(pilot)
        assert app.attendance is not None and app.attendance.people["amal"].present
        assert "Seen at once" in text(app.screen.query_one(ReflectionsFeed))


async def test_script_and_participant_text_is_never_markup(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "workshop.yaml").write_text(
        "title: '[bold red]T[/]'\ntimezone: UTC\nlocations: [{id: hq, name: HQ, timezone: UTC}]\n"
        "days: [{date: 2022-08-22, start: '09:00', agenda: [x]}]\n"
    )
    long_text = "مرحبا بالعالم 👩🏽‍💼 " * 250  # close to the 5,000-character limit of a step's text
    (folder / "x.yaml").write_text(
        "id: x\ntitle: '[@click=app.quit]X[/]'\nsteps:\n"
        "  - {id: a, title: '[b]A[/b]', kind: discussion, duration: 5m, text: \"[link=http://e.vil]t[/] \\e[31mred\"}\n"
        f"  - {{id: b, title: 'שלום עולם', kind: discussion, duration: 5m, text: '{long_text}'}}\n",
        encoding="utf-8",
    )
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(folder).programme, actor="lead", clock=FakeClock()).close()
    app = FacilitatorApp(db_path=db, actor="lead", clock=FakeClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        step = text(app.screen.query_one(StepView))
        assert "[b]A[/b]" in step
        assert "[link=http://e.vil]t[/]" in step
        assert "\x1b" not in step
        assert "\\x1b[31mred" in step
        assert any("[@click=app.quit]X[/]" in line for line in agenda_lines(app))
        assert str(app.screen.query_one(HeaderTitle).render()).startswith("[bold red]T[/]")
        await pilot.press("n")
        await settle(pilot)
        assert "שלום עולם" in text(app.screen.query_one(StepView))
        assert all(len(line) <= 80 for line in agenda_lines(app))
        assert app.is_running


def long_day(tmp_path: Path, steps: int) -> Path:
    """A run of one day with one exercise of ``steps`` one-minute steps, ``Step 0`` to ``Step {steps - 1}``."""
    folder = tmp_path / "long"
    folder.mkdir()
    (folder / "workshop.yaml").write_text(
        "title: Long\ntimezone: UTC\nlocations: [{id: hq, name: HQ, timezone: UTC}]\n"
        "days: [{date: 2022-08-22, start: '08:00', agenda: [long]}]\n"
    )
    lines = ["id: long", "title: Long exercise", "steps:"]
    lines += [f"  - {{id: s{i}, title: Step {i}, kind: discussion, duration: 1m}}" for i in range(steps)]
    (folder / "long.yaml").write_text("\n".join(lines) + "\n")
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(folder).programme, actor="lead", clock=FakeClock(ON_THE_DAY)).close()
    return db


def agenda_on_screen(app: FacilitatorApp) -> list[str]:
    """The agenda's lines as the screen shows them, inside its border."""
    agenda = app.screen.query_one(AgendaView)
    region = agenda.scrollable_content_region
    strips = app.screen._compositor.render_strips()
    return [strips[y].text[region.x : region.right].rstrip() for y in range(region.y, region.bottom)]


async def test_the_agenda_shows_the_next_steps_and_scrolls_by_jumps_not_at_every_step(tmp_path: Path) -> None:
    steps = 40
    app = FacilitatorApp(db_path=long_day(tmp_path, steps), actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(90, 24)) as pilot:
        await settle(pilot)
        agenda = app.screen.query_one(AgendaView)
        height = agenda.scrollable_content_region.height
        assert height > AgendaView.AHEAD + AgendaView.BEHIND + 1
        tops = [agenda.scroll_offset.y]
        for index in range(steps):
            await app.run_action("next_step")  # n: committed, then shown (the agenda follows as it is shown)
            assert app.state.step == f"s{index}"
            shown = agenda_on_screen(app)
            running = [i for i, line in enumerate(shown) if line.startswith("▶")]
            assert len(running) == 1 and shown[running[0]].endswith(f"Step {index} 1m→0m"), shown
            # The running step with the next three after it, wherever the day has got to.
            after = [line.split()[2:4] for line in shown[running[0] + 1 : running[0] + 1 + AgendaView.AHEAD]]
            expected = [["Step", str(i)] for i in range(index + 1, min(index + 1 + AgendaView.AHEAD, steps))]
            assert after == expected, shown
            if agenda.scroll_offset.y != tops[-1]:  # a jump: the steps just done above, the rest to come
                tops.append(agenda.scroll_offset.y)
                assert running[0] == AgendaView.BEHIND or agenda.scroll_offset.y == agenda.max_scroll_y
        # A jump every (height - AHEAD - BEHIND) steps or so, not a scroll (and a repaint of the whole agenda)
        # at every step once the day outgrows the panel.
        assert 1 < len(tops) - 1 <= steps // (height - AgendaView.AHEAD - AgendaView.BEHIND) + 1


async def test_the_agenda_draws_the_lines_of_its_next_jump_ahead_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A jump shows a panel of lines; drawn then, each Text rendered through the console, it was the slowest of
    # step changes (issue 14). Drawn a few at a time after the steps before it, the jump draws only the two lines
    # whose status changed. (What the lines show is the test above's.)
    fresh: list[int] = [0]  # lines drawn within each step's own frame (the first: the first frame)
    ahead = False
    draw, draw_ahead = AgendaView._strip_of, AgendaView._draw_ahead

    def counted(self: AgendaView, *args: Any) -> Any:
        if not ahead:
            fresh[-1] += 1
        return draw(self, *args)

    def drawing_ahead(self: AgendaView, *args: Any) -> None:
        nonlocal ahead
        ahead = True
        try:
            draw_ahead(self, *args)
        finally:
            ahead = False

    monkeypatch.setattr(AgendaView, "_strip_of", counted)
    monkeypatch.setattr(AgendaView, "_draw_ahead", drawing_ahead)
    app = FacilitatorApp(db_path=long_day(tmp_path, 40), actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(90, 24)) as pilot:
        await settle(pilot)
        agenda = app.screen.query_one(AgendaView)
        jumps = []
        for _ in range(40):
            top = agenda.scroll_offset.y
            fresh.append(0)
            await app.run_action("next_step")
            await settle(pilot)
            if agenda.scroll_offset.y != top:
                jumps.append(fresh[-1])
        assert len(jumps) >= 2 and all(drawn <= 2 for drawn in jumps), (jumps, fresh)


async def test_the_agenda_keeps_a_view_scrolled_ahead_until_the_step_changes(tmp_path: Path) -> None:
    app = FacilitatorApp(db_path=long_day(tmp_path, 60), actor="lead", clock=FakeClock(ON_THE_DAY))
    async with app.run_test(size=(90, 30)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        agenda = app.screen.query_one(AgendaView)
        agenda.scroll_to(y=30, animate=False, immediate=True)  # the driver looks further on
        await pilot.press("space")  # a state change that leaves the step where it is
        await settle(pilot)
        assert app.state.timer is not None and app.state.timer.paused
        assert agenda.scroll_offset.y == 30
        await pilot.press("n")
        await settle(pilot)
        assert agenda.scroll_offset.y == 0  # back to the running step (step 1, under the heading and step 0)
        assert any(line.startswith("▶") and line.endswith("Step 1 1m→0m") for line in agenda_on_screen(app))


async def test_one_state_change_folds_the_days_progress_once_for_every_widget(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facilitator.live import pace

    folds: list[SessionState] = []
    fold_day = pace._fold_day

    def counted(state: SessionState, day: date) -> object:
        folds.append(state)
        return fold_day(state, day)

    clock = FakeClock(ON_THE_DAY)
    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(pace, "_fold_day", counted)
        await pilot.press("n")
        await settle(pilot)
        # The agenda and the pace line both show the day's progress: one fold of the new state.
        assert len(folds) == 1 and folds[0] is app.state
        clock.advance(timedelta(minutes=3))
        app.screen.query_one(PaceView).tick()  # every second: the running step timed, nothing folded again
        assert len(folds) == 1


def test_the_days_progress_times_the_running_step_at_each_call_as_a_fresh_fold_does(demo_db: Path) -> None:
    from dataclasses import replace

    from facilitator.live.pace import day_progress

    clock = FakeClock(ON_THE_DAY)
    with Store.open(demo_db, clock=clock) as store:
        session = Session(store, actor="lead")
        session.next_step()
        clock.advance(timedelta(minutes=12))
        session.next_step()
        clock.advance(timedelta(minutes=2))
        state = session.state
    day = state.day
    assert day is not None
    first = day_progress(state, day, clock.now())
    later = day_progress(state, day, clock.now() + timedelta(minutes=5))  # the same state: its fold, timed again
    fresh = day_progress(replace(state), day, clock.now() + timedelta(minutes=5))  # another state: folded anew
    assert later == fresh and later != first
    assert [p.status for p in first[:3]] == ["done", "current", "upcoming"]
    assert first[0].actual == timedelta(minutes=12) and later[0].actual == timedelta(minutes=12)
    assert first[1].actual == timedelta(minutes=2) and later[1].actual == timedelta(minutes=7)
    assert first[2].actual is None


@pytest.mark.parametrize("size", LAYOUT_SIZES)
def test_lead_screen_snapshot(snap_compare: object, demo_db: Path, size: tuple[int, int]) -> None:
    clock = FakeClock(ON_THE_DAY)

    async def two_steps_in(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        clock.advance(timedelta(minutes=12))
        await pilot.press("n")
        await settle(pilot)
        clock.advance(timedelta(minutes=4))
        for widget in pilot.app.screen.query("TimerView, PaceView, LocationStrip"):
            widget.tick()  # type: ignore[attr-defined]
        await pilot.pause()

    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=clock)
    assert snap_compare(app, terminal_size=size, run_before=two_steps_in)  # type: ignore[operator]


@pytest.mark.parametrize("size", LAYOUT_SIZES)
def test_help_screen_snapshot(snap_compare: object, demo_db: Path, size: tuple[int, int]) -> None:
    async def open_help(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    app = FacilitatorApp(db_path=demo_db, actor="lead", clock=FakeClock(ON_THE_DAY))
    assert snap_compare(app, terminal_size=size, run_before=open_help)  # type: ignore[operator]
