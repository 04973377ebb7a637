"""Crash-safe by construction: kill the lead's app at any moment, start it again, and the room is where it was.

The core and the app are checked with a fake clock; the end-to-end tests kill the real command with
SIGKILL in a real terminal (tmux) and read the screen it comes back with.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot

from facilitator.live.session import Session
from facilitator.live.state import SessionState, fold
from facilitator.record.clock import FakeClock, SystemClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.widgets.panels import StepView, TimerView
from tests.tools import Tmux, wait_for

DEMO = Path(__file__).resolve().parent.parent / "exercises"
# A tmux server started without a terminal puts COLUMNS=80 and LINES=24 in its panes' environment, and
# Textual believes them over the pane's real size: drop them so the app sees the 140x40 terminal.
UNSIZED = "env -u COLUMNS -u LINES"


def started_session(db: Path, programme: Programme, clock: FakeClock) -> Session:
    """A run on its first day: two steps in (warm-up/pairs, 15 minutes), a reflection logged."""
    Store.create(db, programme, actor="lead", clock=clock).close()
    session = Session(Store.open(db, clock=clock), actor="lead")
    session.next_step()
    clock.advance(timedelta(minutes=10))
    session.next_step()
    session.log_reflection("We should map who is in the room first.", location="juba", consent=True)
    session.adjust(timedelta(minutes=1))
    return session


def restarted(db: Path, clock: FakeClock) -> SessionState:
    """What a new process finds: the log read from the file and folded, nothing else."""
    with Store.open(db, clock=clock) as store:
        return Session(store, actor="lead").state


# -- the core, with a fake clock ------------------------------------------------------------------------


def test_a_restart_finds_the_same_day_step_timer_and_reflections(
    tmp_path: Path, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    db = tmp_path / "run.db"
    session = started_session(db, tiny_programme, fake_clock)
    fake_clock.advance(timedelta(seconds=100))
    before = session.state
    # The process dies here without closing anything (kill -9); wall time goes on while nobody runs.
    fake_clock.advance(timedelta(seconds=47))
    after = restarted(db, fake_clock)
    assert (after.day, after.exercise, after.step) == (before.day, "warm-up", "pairs")
    assert after.timer is not None
    assert not after.timer.paused
    # 15 minutes, one more added, 147 s gone: the time while the app was down counts, to the second.
    assert after.timer.remaining(fake_clock.now()) == timedelta(minutes=16, seconds=-147)
    assert [r.text for r in after.visible_reflections()] == ["We should map who is in the room first."]
    assert after.visits == before.visits
    session.store.close()


def test_a_paused_timer_stays_paused_across_a_restart(
    tmp_path: Path, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    db = tmp_path / "run.db"
    session = started_session(db, tiny_programme, fake_clock)
    fake_clock.advance(timedelta(seconds=100))
    session.pause()
    fake_clock.advance(timedelta(minutes=30))  # down for half an hour
    after = restarted(db, fake_clock)
    assert after.timer is not None
    assert after.timer.paused
    assert after.timer.remaining(fake_clock.now()) == timedelta(minutes=16, seconds=-100)
    fake_clock.advance(timedelta(minutes=5))
    assert after.timer.remaining(fake_clock.now()) == timedelta(minutes=16, seconds=-100)
    # Resumed after the restart, it goes on from where it stopped.
    with Store.open(db, clock=fake_clock) as store:
        again = Session(store, actor="lead")
        again.resume()
        fake_clock.advance(timedelta(seconds=20))
        assert again.state.timer is not None
        assert again.state.timer.remaining(fake_clock.now()) == timedelta(minutes=16, seconds=-120)
    session.store.close()


# -- the app, with a fake clock ---------------------------------------------------------------------------


async def notes(pilot: Pilot[None], app: FacilitatorApp) -> list[str]:
    for _ in range(10):
        await pilot.pause(0.05)
        found = [n.message for n in app._notifications]
        if found:
            return found
    return []


async def test_the_app_says_it_resumed_and_shows_the_timer_where_it_was(
    tmp_path: Path, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    db = tmp_path / "run.db"
    started_session(db, tiny_programme, fake_clock).store.close()
    fake_clock.advance(timedelta(seconds=147))
    app = FacilitatorApp(db_path=db, actor="lead", clock=fake_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        found = await notes(pilot, app)
        assert found == ["Session resumed at Pairs (Mon 22 Aug)."]
        assert str(app.screen.query_one(StepView).render()).startswith("Pairs\n")
        assert str(app.screen.query_one(TimerView).render()).startswith("13:33 ")  # 16:00 - 2:27


async def test_the_app_says_a_paused_timer_is_still_paused(
    tmp_path: Path, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    db = tmp_path / "run.db"
    session = started_session(db, tiny_programme, fake_clock)
    fake_clock.advance(timedelta(seconds=100))
    session.pause()
    session.store.close()
    fake_clock.advance(timedelta(minutes=30))
    app = FacilitatorApp(db_path=db, actor="lead", clock=fake_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        found = await notes(pilot, app)
        assert found == ["Session resumed at Pairs (Mon 22 Aug). The timer is paused, as it was left."]
        timer = str(app.screen.query_one(TimerView).render())
        assert timer.startswith("14:20 ")
        assert "PAUSED" in timer


async def test_a_new_run_is_not_announced_as_resumed(tmp_path: Path, tiny_programme: Programme) -> None:
    db = tmp_path / "run.db"
    Store.create(db, tiny_programme, actor="lead").close()
    app = FacilitatorApp(db_path=db, actor="lead", clock=FakeClock())  # the morning of day 1
    async with app.run_test(size=(120, 40)) as pilot:
        # Nothing about resuming; the day dated today is opened, and said so.
        assert await notes(pilot, app) == ["Day 1, Mon 22 Aug is open."]


# -- end to end: the real command, killed with SIGKILL in a real terminal --------------------------------------


@pytest.fixture
def terminal() -> Iterator[Callable[[], Tmux]]:
    """Makes fresh 140x40 terminals, each its own tmux server, and kills them all at the end."""
    made: list[Tmux] = []

    def make() -> Tmux:
        made.append(Tmux(f"facilitator-resume-{os.getpid()}-{uuid.uuid4().hex[:6]}", width=140, height=40))
        return made[-1]

    yield make
    for tmux in made:
        tmux.kill()


@pytest.fixture
def workshop(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEMO, tmp_path / "workshop"))


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def app_pid(tmux: Tmux) -> int:
    """The app's process: the child of the pane's shell that runs ``facilitator``."""
    pane = int(tmux._run("list-panes", "-t", "t", "-F", "#{pane_pid}").split()[0])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and parent_of(int(entry.name)) == pane:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if "facilitator" in command:
                return int(entry.name)
    raise AssertionError(f"no facilitator process under the pane's shell {pane}")


def kill_app(tmux: Tmux) -> None:
    os.kill(app_pid(tmux), signal.SIGKILL)
    tmux.wait_for_text(f"EXITED {128 + signal.SIGKILL}")


def right_panel(screen: str) -> list[str]:
    """The screen's lines right of the agenda box (timer, pace and the step panel)."""
    top = next(line for line in screen.splitlines() if "Agenda" in line)
    edge = top.index("╮") + 1
    return [line[edge:] for line in screen.splitlines()]


def shown_remaining(screen: str) -> timedelta:
    """The timer's remaining time as drawn: the first ``MM:SS`` right of the agenda."""
    for line in right_panel(screen):
        found = re.search(r"(\d+):(\d\d)", line)
        if found:
            return timedelta(minutes=int(found[1]), seconds=int(found[2]))
    raise AssertionError(f"no timer on screen:\n{screen}")


def saved(db: Path) -> SessionState:
    with Store.open(db) as store:
        return fold(store.events())


def assert_timer_right(tmux: Tmux, db: Path) -> None:
    """The drawn timer agrees with the log, read with the wall clock, within a couple of seconds."""
    screen = tmux.screen()
    state = saved(db)
    assert state.timer is not None
    expected = state.timer.remaining(SystemClock().now())
    assert abs(shown_remaining(screen) - expected) <= timedelta(seconds=2), screen


@pytest.mark.slow
def test_kill_9_and_start_again_shows_the_same_step_with_the_right_time(
    terminal: Callable[[], Tmux], tmp_path: Path, workshop: Path
) -> None:
    db = tmp_path / "run.db"
    command = f"{UNSIZED} facilitator run {workshop} --db {db} --as lead"
    tmux = terminal()
    tmux.start(command, cwd=tmp_path)
    tmux.wait_for_text("Press n to start")
    tmux.send("n")
    tmux.wait_for_text("▶ 08:00")
    tmux.send("n")
    tmux.wait_for_text("▶ 08:10")
    kill_app(tmux)
    assert (saved(db).exercise, saved(db).step) == ("opening", "connection-check")
    time.sleep(3)  # wall time passes while nothing runs: the timer must count it

    tmux.kill()
    tmux = terminal()
    tmux.start(command, cwd=tmp_path)
    screen = tmux.wait_for_text("▶ 08:10 Connection check")
    assert any(line.strip(" │").startswith("Connection check") for line in right_panel(screen)), screen
    tmux.wait_for_text("resumed", timeout=10)
    assert_timer_right(tmux, db)
    assert shown_remaining(tmux.screen()) < timedelta(minutes=15, seconds=-3)
    tmux.send("C-q")
    tmux.wait_for_text("EXITED 0")


@pytest.mark.slow
def test_kill_9_while_paused_comes_back_paused(terminal: Callable[[], Tmux], tmp_path: Path, workshop: Path) -> None:
    db = tmp_path / "run.db"
    command = f"{UNSIZED} facilitator run {workshop} --db {db} --as lead"
    tmux = terminal()
    tmux.start(command, cwd=tmp_path)
    tmux.wait_for_text("Press n to start")
    tmux.send("n")
    tmux.wait_for_text("▶ 08:00")
    time.sleep(1.5)
    tmux.send("Space")
    tmux.wait_for_text("PAUSED")
    paused_at = shown_remaining(tmux.screen())
    kill_app(tmux)
    time.sleep(2)

    tmux.kill()
    tmux = terminal()
    tmux.start(command, cwd=tmp_path)
    tmux.wait_for_text("▶ 08:00 Welcome")
    tmux.wait_for_text("PAUSED")
    tmux.wait_for_text("resumed", timeout=10)
    assert saved(db).timer is not None
    assert saved(db).timer.paused  # type: ignore[union-attr]
    assert_timer_right(tmux, db)
    assert abs(shown_remaining(tmux.screen()) - paused_at) <= timedelta(seconds=1)
    assert wait_for(lambda: "PAUSED" in tmux.screen(), timeout=2)
    tmux.send("C-q")
    tmux.wait_for_text("EXITED 0")
