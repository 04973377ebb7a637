"""Live reload: edits to a run's workshop files become new versions of its script, or a banner of problems."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from textual.pilot import Pilot

from facilitator.live.reload import SourceWatcher, Status, reload_workshop
from facilitator.live.session import Session
from facilitator.live.state import fold
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.widgets.agenda import AgendaView
from facilitator.tui.widgets.banner import Banner
from facilitator.tui.widgets.panels import StepView
from tests.tools import whole_lead_screen

WORKSHOP = """\
title: Reload workshop
timezone: Africa/Juba
locations:
  - {id: hq, name: Headquarters, timezone: America/New_York}
days:
  - date: 2022-08-22
    start: "09:00"
    agenda: [warm-up, reflect]
  - date: 2022-08-23
    start: "09:00"
    agenda: [reflect]
"""

STEPS = {
    "intro": "  - {id: intro, title: Introduction, kind: presentation, duration: 10m}\n",
    "pairs": "  - {id: pairs, title: Pairs, kind: discussion, duration: 15m}\n",
    "plenary": "  - {id: plenary, title: Plenary, kind: discussion, duration: 10m}\n",
}


def warm_up(*steps: str, title: str = "Warm-up") -> str:
    return f"id: warm-up\ntitle: {title}\nsteps:\n" + "".join(STEPS[s] for s in steps)


REFLECT = """\
id: reflect
title: Reflect
steps:
  - id: write
    title: Write a reflection
    kind: reflection
    duration: 5m
    prompt: {text: What will you take away?}
  - {id: share, title: Share, kind: report-back, duration: 10m}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "workshop"
    folder.mkdir()
    (folder / "workshop.yaml").write_text(WORKSHOP)
    (folder / "warm-up.yaml").write_text(warm_up("intro", "pairs", "plenary"))
    (folder / "reflect.yaml").write_text(REFLECT)
    return folder


def create_run(folder: Path, db: Path, clock: FakeClock | None = None) -> None:
    loaded = load_workshop(folder)
    Store.create(db, loaded.programme, actor="lead", digest=loaded.digest, source=folder, clock=clock).close()


@pytest.fixture
def session(folder: Path, tmp_path: Path, fake_clock: FakeClock) -> Session:
    db = tmp_path / "run.db"
    create_run(folder, db, fake_clock)
    return Session(Store.open(db, clock=fake_clock), actor="lead")


def kinds(session: Session) -> list[str]:
    return [e.kind for e in session.store.events()]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def where(session: Session) -> tuple[str | None, str | None]:
    return session.state.exercise, session.state.step


# -- the reload function ------------------------------------------------------------------------------


def test_the_source_folder_is_recorded_when_the_run_is_created(session: Session, folder: Path) -> None:
    assert session.state.source == str(folder.absolute())
    assert session.state.digest


def test_unchanged_files_append_nothing(session: Session, folder: Path) -> None:
    watcher = SourceWatcher(folder)
    first = reload_workshop(session, watcher)
    assert first.status is Status.UNCHANGED
    assert first.changed  # the first check reads the files, and finds the script the run was created with
    again = reload_workshop(session, watcher)
    assert (again.status, again.changed) == (Status.UNCHANGED, False)
    assert kinds(session) == [ev.RUN_CREATED]


def test_the_cheap_look_says_when_a_check_could_find_something(folder: Path) -> None:
    # What lets the app stat the files on its event loop and wake the loading thread only for an edit.
    watcher = SourceWatcher(folder)
    assert watcher.may_have_changed()  # never checked: the first check loads
    watcher.check()
    assert not watcher.may_have_changed()
    edit(folder / "warm-up.yaml", "title: Pairs,", "title: Pairs and trios,")
    assert watcher.may_have_changed()
    watcher.check()
    assert not watcher.may_have_changed()
    (folder / "workshop.yaml").rename(folder / "gone.yaml")
    assert watcher.may_have_changed()  # the source is gone: the check says so, once
    watcher.check()
    assert not watcher.may_have_changed()


def test_a_valid_edit_appends_exactly_one_programme_loaded(session: Session, folder: Path) -> None:
    watcher = SourceWatcher(folder)
    reload_workshop(session, watcher)
    edit(folder / "warm-up.yaml", "title: Pairs,", "title: Pairs and trios,")
    result = reload_workshop(session, watcher)
    assert result.status is Status.LOADED
    assert result.event is not None
    assert kinds(session) == [ev.RUN_CREATED, ev.PROGRAMME_LOADED]
    assert reload_workshop(session, watcher).status is Status.UNCHANGED
    assert kinds(session) == [ev.RUN_CREATED, ev.PROGRAMME_LOADED]

    titles = [s.title for s in session.programme.exercise_by_id["warm-up"].steps]
    assert titles == ["Introduction", "Pairs and trios", "Plenary"]
    assert session.store.programme() == session.programme  # the store returns the latest version
    assert session.state.digest == load_workshop(folder).digest
    # The version is in the log: a fresh fold (another process, a restart) follows it too.
    assert fold(session.store.events()).programme == session.programme


def test_an_edit_that_keeps_the_script_as_it_was_appends_nothing(session: Session, folder: Path) -> None:
    watcher = SourceWatcher(folder)
    reload_workshop(session, watcher)
    (folder / "reflect.yaml").write_text("# a comment changes the file, not the script\n" + REFLECT)
    result = reload_workshop(session, watcher)
    assert (result.status, result.changed) == (Status.UNCHANGED, True)
    assert kinds(session) == [ev.RUN_CREATED]


def test_an_invalid_edit_appends_nothing_and_returns_the_problems(session: Session, folder: Path) -> None:
    watcher = SourceWatcher(folder)
    reload_workshop(session, watcher)
    edit(folder / "warm-up.yaml", "duration: 15m", "duraton: 15m")
    result = reload_workshop(session, watcher)
    assert result.status is Status.INVALID
    assert kinds(session) == [ev.RUN_CREATED]
    assert result.problems
    assert all(re.match(r"^\S*warm-up\.yaml:\d+: \S+: ", line) for line in result.problems), result.problems
    assert any("duraton" in line for line in result.problems)
    # Still broken and not touched again: nothing new to say.
    assert reload_workshop(session, watcher).changed is False

    edit(folder / "warm-up.yaml", "duraton: 15m", "duration: 20m")
    fixed = reload_workshop(session, watcher)
    assert (fixed.status, fixed.problems) == (Status.LOADED, ())
    assert kinds(session) == [ev.RUN_CREATED, ev.PROGRAMME_LOADED]


def test_a_missing_source_is_reported_once(session: Session, folder: Path, tmp_path: Path) -> None:
    watcher = SourceWatcher(folder)
    reload_workshop(session, watcher)
    moved = tmp_path / "elsewhere"
    folder.rename(moved)
    first = reload_workshop(session, watcher)
    assert (first.status, first.changed) == (Status.MISSING, True)
    second = reload_workshop(session, watcher)
    assert (second.status, second.changed) == (Status.MISSING, False)
    assert kinds(session) == [ev.RUN_CREATED]
    # Back again, edited meanwhile: picked up as any other edit.
    edit(moved / "warm-up.yaml", "title: Pairs,", "title: Pairs again,")
    moved.rename(folder)
    assert reload_workshop(session, watcher).status is Status.LOADED


def test_an_exercise_file_added_to_the_folder_is_noticed(session: Session, folder: Path) -> None:
    watcher = SourceWatcher(folder)
    reload_workshop(session, watcher)
    edit(folder / "workshop.yaml", "agenda: [reflect]", "agenda: [reflect, extra]")
    assert reload_workshop(session, watcher).status is Status.INVALID  # no exercise 'extra' yet
    (folder / "extra.yaml").write_text(
        "id: extra\ntitle: Extra\nsteps:\n  - {id: one, title: One, kind: discussion, duration: 5m}\n"
    )
    assert reload_workshop(session, watcher).status is Status.LOADED
    assert "extra" in session.programme.exercise_by_id


# -- where the session stands after a new version (the rule in facilitator.live.state) ------------------------


def test_the_current_step_keeps_its_place_by_id_when_steps_are_reordered(
    session: Session, folder: Path, fake_clock: FakeClock
) -> None:
    watcher = SourceWatcher(folder)
    session.next_step()
    session.next_step()
    assert where(session) == ("warm-up", "pairs")
    fake_clock.advance(60)
    (folder / "warm-up.yaml").write_text(warm_up("pairs", "intro", "plenary").replace("15m", "20m"))
    assert reload_workshop(session, watcher).status is Status.LOADED
    state = session.state
    assert where(session) == ("warm-up", "pairs")
    assert state.current is not None
    assert state.current.start.strftime("%H:%M") == "09:00"  # now the first step of the day
    assert state.timer is not None
    # The timer keeps running from when the step was entered, against the step's new duration.
    assert state.timer.remaining(fake_clock.now()).total_seconds() == 19 * 60
    assert state.removed is None
    session.next_step()
    assert where(session) == ("warm-up", "intro")


def test_a_removed_current_step_leaves_no_step_current_and_n_goes_on_to_its_follower(
    session: Session, folder: Path
) -> None:
    watcher = SourceWatcher(folder)
    session.next_step()
    session.next_step()
    (folder / "warm-up.yaml").write_text(warm_up("intro", "plenary"))
    assert reload_workshop(session, watcher).status is Status.LOADED
    state = session.state
    assert state.current is None
    assert state.timer is None
    assert state.removed is not None
    assert state.removed.title == "Pairs"
    assert state.next_step is not None
    assert state.next_step.step.id == "plenary"
    assert state.visits[-1].left_at is None  # the room is still where it was until the next step
    session.next_step()
    assert where(session) == ("warm-up", "plenary")
    assert session.state.removed is None
    assert session.state.visits[-2].step == "pairs"
    assert session.state.visits[-2].left_at is not None


def test_p_after_a_removed_step_goes_to_the_step_before_its_place(session: Session, folder: Path) -> None:
    watcher = SourceWatcher(folder)
    session.next_step()
    session.next_step()
    (folder / "warm-up.yaml").write_text(warm_up("intro", "plenary"))
    reload_workshop(session, watcher)
    session.previous_step()
    assert where(session) == ("warm-up", "intro")


def test_with_no_follower_left_n_goes_on_after_the_last_surviving_predecessor(session: Session, folder: Path) -> None:
    watcher = SourceWatcher(folder)
    session.enter_step("reflect", "write")
    (folder / "wrap.yaml").write_text(
        "id: wrap\ntitle: Wrap\nsteps:\n  - {id: close, title: Close, kind: discussion, duration: 5m}\n"
    )
    edit(folder / "workshop.yaml", "agenda: [warm-up, reflect]", "agenda: [warm-up, wrap]")
    assert reload_workshop(session, watcher).status is Status.LOADED
    assert session.state.removed is not None
    session.next_step()
    assert where(session) == ("wrap", "close")


def test_when_the_place_to_go_on_is_removed_too_it_moves_to_the_next_survivor(session: Session, folder: Path) -> None:
    watcher = SourceWatcher(folder)
    session.next_step()
    (folder / "warm-up.yaml").write_text(warm_up("pairs", "plenary"))  # intro, the current step, goes
    reload_workshop(session, watcher)
    assert session.state.next_step is not None
    assert session.state.next_step.step.id == "pairs"
    (folder / "warm-up.yaml").write_text(warm_up("plenary"))  # and then pairs, where the day would go on
    reload_workshop(session, watcher)
    assert session.state.next_step is not None
    assert session.state.next_step.step.id == "plenary"
    session.next_step()
    assert where(session) == ("warm-up", "plenary")


def test_a_current_day_whose_date_changed_is_followed_to_its_place(session: Session, folder: Path) -> None:
    watcher = SourceWatcher(folder)
    session.open_day(date(2022, 8, 23))
    session.next_step()
    edit(folder / "workshop.yaml", "date: 2022-08-23", "date: 2022-08-25")
    assert reload_workshop(session, watcher).status is Status.LOADED
    assert session.state.day == date(2022, 8, 25)
    assert where(session) == ("reflect", "write")  # the same exercise and step are on that day
    assert session.state.current is not None
    # Taken out altogether: the day now at its place (here the last one) takes over.
    edit(folder / "workshop.yaml", '  - date: 2022-08-25\n    start: "09:00"\n    agenda: [reflect]\n', "")
    assert reload_workshop(session, watcher).status is Status.LOADED
    assert session.state.day == date(2022, 8, 22)
    assert where(session) == ("reflect", "write")


def test_a_replayed_log_lands_where_the_live_session_stands(session: Session, folder: Path) -> None:
    watcher = SourceWatcher(folder)
    session.next_step()
    session.next_step()
    (folder / "warm-up.yaml").write_text(warm_up("plenary", "intro"))
    reload_workshop(session, watcher)
    replayed = fold(session.store.events())
    live = session.state
    assert (replayed.day, replayed.exercise, replayed.step, replayed.removed) == (
        live.day,
        live.exercise,
        live.step,
        live.removed,
    )
    assert replayed.programme == live.programme


# -- the lead's screen ----------------------------------------------------------------------------------


async def until(pilot: Pilot[None], predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await pilot.pause(0.05)
    return predicate()


def agenda_lines(app: FacilitatorApp) -> list[str]:
    return app.screen.query_one(AgendaView).lines()


def banner_text(app: FacilitatorApp) -> str:
    banner = app.screen.query_one(Banner)
    return str(banner.render()) if banner.display else ""


@pytest.fixture
def run_db(folder: Path, tmp_path: Path) -> Path:
    db = tmp_path / "run.db"
    create_run(folder, db)
    return db


async def test_a_saved_edit_shows_in_the_agenda_within_two_seconds(run_db: Path, folder: Path) -> None:
    app = FacilitatorApp(db_path=run_db, actor="lead", clock=FakeClock())  # the default, once a second
    async with app.run_test(size=(140, 40)) as pilot:
        assert await until(pilot, lambda: any("Pairs" in line for line in agenda_lines(app)))
        await pilot.pause(1.2)  # the first check has read the files
        edit(folder / "warm-up.yaml", "title: Pairs,", "title: Pairs and trios,")
        saved = time.monotonic()
        assert await until(pilot, lambda: any("Pairs and trios" in line for line in agenda_lines(app)), 3.0)
        assert time.monotonic() - saved < 2.0
        assert banner_text(app) == ""


async def test_a_broken_script_shows_a_banner_and_keeps_the_agenda_until_fixed(run_db: Path, folder: Path) -> None:
    app = FacilitatorApp(db_path=run_db, actor="lead", clock=FakeClock(), reload_seconds=0.1)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("n")
        assert await until(pilot, lambda: any(line.startswith("▶") for line in agenda_lines(app)))
        before = agenda_lines(app)
        (folder / "warm-up.yaml").write_text(warm_up("intro", "pairs", "plenary") + "  - [not: valid\n")
        await whole_lead_screen(pilot)  # the banner is mounted after the first frame
        assert await until(pilot, lambda: "Script not reloaded" in banner_text(app))
        assert re.search(r"warm-up\.yaml:\d+: ", banner_text(app)), banner_text(app)
        assert agenda_lines(app) == before
        assert "Introduction" in str(app.screen.query_one(StepView).render())

        (folder / "warm-up.yaml").write_text(warm_up("intro", "pairs", "plenary", title="Warm-up, fixed"))
        assert await until(pilot, lambda: banner_text(app) == "")
        assert await until(pilot, lambda: "Warm-up, fixed" in agenda_lines(app))


async def test_the_current_step_keeps_its_place_on_screen_when_steps_are_reordered(run_db: Path, folder: Path) -> None:
    app = FacilitatorApp(db_path=run_db, actor="lead", clock=FakeClock(), reload_seconds=0.1)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("n", "n")
        assert await until(pilot, lambda: any(line.startswith("▶ 09:10 Pairs") for line in agenda_lines(app)))
        (folder / "warm-up.yaml").write_text(warm_up("pairs", "intro", "plenary"))
        assert await until(pilot, lambda: any(line.startswith("▶ 09:00 Pairs") for line in agenda_lines(app)))
        assert (app.state.exercise, app.state.step) == ("warm-up", "pairs")
        assert "Pairs" in str(app.screen.query_one(StepView).render())
        assert banner_text(app) == ""


async def test_a_removed_current_step_is_announced_and_n_goes_on(run_db: Path, folder: Path) -> None:
    app = FacilitatorApp(db_path=run_db, actor="lead", clock=FakeClock(), reload_seconds=0.1)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("n", "n")
        assert await until(pilot, lambda: app.state.step == "pairs")
        (folder / "warm-up.yaml").write_text(warm_up("intro", "plenary"))
        await whole_lead_screen(pilot)  # the banner is mounted after the first frame
        assert await until(pilot, lambda: "was removed" in banner_text(app))
        assert "“Pairs” was removed" in banner_text(app)
        assert "n goes on to “Plenary”" in banner_text(app)
        assert not any(line.startswith("▶") for line in agenda_lines(app))
        await pilot.press("n")
        assert await until(pilot, lambda: app.state.step == "plenary")
        assert await until(pilot, lambda: banner_text(app) == "")


async def test_a_vanished_folder_is_mentioned_once(run_db: Path, folder: Path, tmp_path: Path) -> None:
    app = FacilitatorApp(db_path=run_db, actor="lead", clock=FakeClock(), reload_seconds=0.1)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause(0.3)
        shutil.move(folder, tmp_path / "gone")
        assert await until(pilot, lambda: any("is gone" in n.message for n in app._notifications))
        await pilot.pause(0.5)
        assert sum("is gone" in n.message for n in app._notifications) == 1
        assert banner_text(app) == ""
