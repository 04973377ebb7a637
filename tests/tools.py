"""Access to the outside programs that end-to-end tests drive."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from facilitator.live.session import Session
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot

    from facilitator.tui.screens.lead import LeadScreen

BIN = Path(sys.executable).parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def with_session(db: Path, clock: FakeClock, work: Callable[[Session], object], actor: str = "lead") -> None:
    """Run ``work`` as another client of the run would: its own connection, committed when it returns."""
    with Store.open(db, clock=clock) as store:
        work(Session(store, actor=actor))


def run_with_people(
    db: Path,
    clock: FakeClock,
    programme: dict[str, Any],
    people: list[tuple[str, str, str, str]],
    then: Callable[[Session], object] = lambda lead: None,
) -> Path:
    """A run of ``programme`` whose roster holds ``people`` (id, name, location, gender), all checked in but Kim;
    ``then`` runs on the lead's session before it closes (a step, groups, a turn)."""
    with Store.create(db, Programme.validate(programme), actor="lead", clock=clock) as store:
        lead = Session(store, actor="lead")
        lead.announce()
        for pid, name, location, gender in people:
            lead.add_participant(name, f"{pid}@example.org", location, participant_id=pid, gender=gender)
            if pid != "kim":
                lead.check_in(pid)
        then(lead)
    return db


def a_settled_day(s: Session, clock: FakeClock, pid: str) -> tuple[date, date]:
    """The tiny workshop's first day run and closed, ``pid`` checked in for ten minutes of it, then the next
    morning in Juba with the second day's first step entered: the first day has settled. The two dates."""
    first_day, second_day = (d.date for d in s.programme.workshop.days)
    s.open_day(first_day)
    s.next_step()
    clock.advance(timedelta(minutes=30))
    s.check_in(pid)
    clock.advance(timedelta(minutes=10))
    s.check_out(pid)
    s.close_day()
    clock.advance(datetime(2022, 8, 23, 6, 0, tzinfo=UTC) - clock.now())
    s.open_day(second_day)
    s.next_step()
    return first_day, second_day


async def whole_lead_screen(pilot: Pilot[Any], seconds: float = 10.0) -> LeadScreen:
    """The app's lead screen once every widget of it is mounted, the panels it mounts after its first frame too
    (hidden at start: LeadScreen._now_or_later), so that a test may look at them right after the start."""
    from textual.widget import Widget

    from facilitator.tui.screens.lead import LeadScreen  # only here: most tests using this module run no app

    def whole() -> LeadScreen | None:
        screen = next((s for s in pilot.app.screen_stack if isinstance(s, LeadScreen)), None)
        # The presence panel is always one of them, and they are all put in the screen at once.
        if screen is None or not screen.team_panel.is_mounted:
            return None
        return screen if all(widget.is_mounted for widget in screen.walk_children(Widget)) else None

    deadline = time.monotonic() + seconds
    while (screen := whole()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"the lead screen never stood whole: {pilot.app.screen_stack!r}")
        await pilot.pause(0.01)
    return screen


def arrive_together(app: App[Any], *keys: str) -> None:
    """Hand the app ``keys`` as one read of the terminal does (a typist ahead of the screen, a slow link's burst):
    all queued before the app takes the first, where ``Pilot.press`` waits for the app after each. Keys are named
    as for ``Pilot.press``; ``*"text"`` types a text."""
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    for key in keys:
        name = _character_to_key(key) if len(key) == 1 and not key.isalnum() else key
        try:
            character: str | None = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(name, name)))
        except KeyError:
            character = name if len(name) == 1 else None
        app.post_message(events.Key(name, character))


def require(tool: str) -> str:
    """The path of ``tool``; in CI its absence fails the test, elsewhere it skips it."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (.ci/run installs it)"
        if os.environ.get("CI"):  # CI must prove the end-to-end path, never skip it
            pytest.fail(message)
        pytest.skip(message)  # on a developer machine without it, outside CI
    return path


def require_other_users() -> None:
    """Tests as another local user need root (as here and in CI) and the accounts nobody and daemon."""
    import grp
    import pwd

    problem = None
    if os.geteuid() != 0:
        problem = "needs root to run a command as another local user"
    else:
        try:
            pwd.getpwnam("nobody"), pwd.getpwnam("daemon"), grp.getgrnam("nogroup"), grp.getgrnam("daemon")
        except KeyError as exc:
            problem = f"needs the local accounts nobody, daemon and the group nogroup ({exc})"
    if problem is None:
        return
    if os.environ.get("CI"):  # CI must prove it, never skip it
        pytest.fail(f"CI must run this test: {problem}")
    pytest.skip(problem)


@dataclass(frozen=True)
class Ending:
    """How the app's process ended: whether it did, after how long, and the CPU it used meanwhile."""

    gone: bool
    seconds: float
    cpu_seconds: float


def cpu_ticks(pid: int) -> int | None:
    """The process's user + system CPU time in clock ticks; None once it has exited (gone, or a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command's name, which may hold spaces
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[11]) + int(fields[12])  # utime and stime, the stat file's fields 14 and 15


def idle(pid: int, *, quiet: float = 0.3, longest: float = 15.0) -> bool:
    """Wait until ``pid`` has used no CPU for ``quiet`` seconds (at most ``longest``): an app settling in after its
    first frame (its join, following the run, modules compiled for a fresh checkout) is not what is measured."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        before = cpu_ticks(pid)
        time.sleep(quiet)
        if before is None or cpu_ticks(pid) == before:
            return True
    return False


def end_and_watch(pid: int, end: Callable[[], object], *, longest: float = 10.0) -> Ending:
    """Once ``pid`` is idle, do ``end`` (take the terminal away), then follow it until it has exited (at most
    ``longest`` s)."""
    idle(pid)
    start = cpu_ticks(pid)
    assert start is not None, f"process {pid} is not running"
    last = start
    began = time.monotonic()
    end()
    while (ticks := cpu_ticks(pid)) is not None and time.monotonic() - began < longest:
        last = ticks
        time.sleep(0.01)
    return Ending(ticks is None, time.monotonic() - began, (last - start) / CLK_TCK)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a server a test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def healthy(base: str) -> bool:
    """Whether the participant page at ``base`` answers its health check."""
    try:
        return httpx.get(f"{base}/healthz", timeout=1).text == "ok"
    except httpx.HTTPError:
        return False


def two_starts(cache: Path, script: str, kept: str) -> tuple[tuple[int, int], tuple[int, int], list[Path]]:
    """Run ``script`` (which prints what a start compiled and what it used) twice with ``cache`` as its
    XDG_CACHE_HOME, as a user's first and second starts; the two counts, and the files matching ``kept`` between."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    def start() -> tuple[int, int]:
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        made, used = map(int, done.stdout.split())
        return made, used

    first = start()
    files = list((cache / "facilitator").glob(kept))
    return first, start(), files


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class Tmux:
    """One private tmux server running one program in a window of a given size."""

    def __init__(self, socket: str, *, width: int = 100, height: int = 30) -> None:
        self.tmux = require("tmux")
        self.socket = socket
        self.width = width
        self.height = height

    def _call(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.tmux, "-L", self.socket, *args], capture_output=True, text=True, timeout=10, check=False
        )

    def _run(self, *args: str) -> str:
        return self._call(*args).stdout

    def start(self, command: str, cwd: Path, *, leader: bool = False) -> None:
        """Run ``command`` in the window, then print ``EXITED`` and its exit code; with ``leader``, run it as
        the window's only process instead (the terminal's session leader, as a login shell is), no EXITED."""
        # A tmux server started from pytest passes COLUMNS and LINES on to its panes, and Textual would
        # then draw at that size whatever the pane's; drop them so the app sees the real window.
        env = f"env -u COLUMNS -u LINES TERM=xterm-256color PATH={BIN}:/usr/bin:/bin"
        run = f"exec {env} {command}" if leader else f"{env} {command}; echo EXITED $?; sleep 30"
        started = self._call(
            "new-session", "-d", "-s", "t", "-x", str(self.width), "-y", str(self.height), "-c", str(cwd), run,
        )  # fmt: skip
        if started.returncode != 0:
            raise AssertionError(f"tmux could not start {command!r}: {started.stderr.strip()}")

    def screen(self) -> str:
        return self._run("capture-pane", "-p", "-t", "t")

    def send(self, *keys: str) -> None:
        self._run("send-keys", "-t", "t", *keys)

    def wait_for_text(self, text: str, timeout: float = 20.0) -> str:
        """The first screen that shows ``text`` (that very capture: a later one may be mid-repaint)."""
        seen = ""

        def shows() -> bool:
            nonlocal seen
            seen = self.screen()
            return text in seen

        if not wait_for(shows, timeout):
            raise AssertionError(f"{text!r} never appeared on screen:\n{seen}")
        return seen

    def kill_session(self) -> None:
        """Close the window's session, as a user closing it does (the server goes with its last session)."""
        self._run("kill-session", "-t", "t")

    def kill(self) -> None:
        """Stop the server and wait until it is gone: a session started while it is still shutting down
        would be created in the dying server and vanish with it (a blank screen, on a loaded machine)."""
        self._run("kill-server")
        wait_for(lambda: self._call("has-session").returncode != 0, 10.0)


def processes_running(text: str) -> list[int]:
    """The pids of the processes whose command line holds ``text`` (a test's own run file, say): how a test
    finds what it started indirectly (a daemon that detached, an app under it) in order to end it."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        if text in command:
            found.append(int(entry.name))
    return found


def parent_of(pid: int) -> tuple[int, str] | None:
    """The parent's pid and program name (as /proc/PID/comm says) of ``pid``; None once it has exited."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        parent = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state, past the command's name
        return parent, Path(f"/proc/{parent}/comm").read_text().strip()
    except (OSError, IndexError, ValueError):
        return None


def end_processes_running(text: str, timeout: float = 15.0) -> list[int]:
    """Give the processes whose command line holds ``text`` ``timeout`` seconds to end on their own (their
    terminal or connection has gone), then kill what is left; the pids that had to be killed."""
    if wait_for(lambda: not processes_running(text), timeout=timeout):
        return []
    left = processes_running(text)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left
