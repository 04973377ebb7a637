"""A terminal that goes away ends the app, whatever started it (issue 20), end to end.

The app is started as people start it: by ``make`` (the terminal's session leader, which on SIGHUP waits
for its recipe's command instead of passing the signal on), by ``sh -c`` under ``trap '' HUP`` (as
``nohup`` and some launchers leave SIGHUP ignored), at an interactive bash prompt, as a tmux window's
command, in GNU screen, and as a co-facilitator's SSH forced command. Then its terminal goes: the tmux
server or session is killed, screen quits, the SSH client is killed with SIGKILL. Each test then watches the
app's process in /proc: it must be gone within :data:`EXIT_WITHIN` seconds having used at most
:data:`CPU_SHARE` of a core over that time (before the fix a thread re-read the dead terminal at 70-100 % of
a core, forever, whenever SIGHUP did not reach the app), with its presence row removed by the app itself
(not left to go stale), and nothing the launch started left running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from facilitator.record.store import Store
from facilitator.team import presence
from facilitator.tui.terminal_watch import SurvivingOutput, TerminalWatch, release, watching_terminal
from tests.sshd import Sshd, sshd_fixture  # noqa: F401  (the sshd fixture)
from tests.tools import BIN, Ending, Tmux, cpu_ticks, end_and_watch, require, wait_for

DEMO = Path(__file__).resolve().parent.parent / "exercises"
READY = "Press n to start"  # the lead's first screen
EXIT_WITHIN = 2.0  # seconds from the terminal going to the process gone (the bound)
CPU_SHARE = 0.2  # of one core, over EXIT_WITHIN: what exiting may cost; a spinning thread costs 0.7-1.0

# -- the watch itself, on a pseudo-terminal of the test's own -----------------------------------------------


def test_a_hung_up_terminal_is_noticed_at_once_and_pointed_at_dev_null() -> None:
    master, terminal = os.openpty()
    gone = threading.Event()
    watch = TerminalWatch(gone.set, fds=(terminal,))
    try:
        watch.start()
        os.write(master, b"n")  # a key press does not wake it
        assert not gone.wait(0.3)
        os.close(master)  # the terminal's other end goes: the window closed, the SSH link dropped
        assert gone.wait(2.0)
        assert watch.gone == (terminal,)
        assert os.read(terminal, 16) == b""  # /dev/null now: the end, not an I/O error
        assert os.write(terminal, b"a last frame") == len(b"a last frame")  # written to nowhere, not EIO
    finally:
        watch.stop()
        os.close(terminal)


def test_an_app_that_does_not_close_in_time_is_ended_and_one_that_does_is_not() -> None:
    for closes in (True, False):
        master, terminal = os.openpty()
        gone, ended = threading.Event(), threading.Event()
        watch = TerminalWatch(gone.set, fds=(terminal,), grace=0.5, last_resort=ended.set)
        try:
            watch.start()
            os.close(master)
            assert gone.wait(2.0)
            if closes:
                watch.stop()  # as the command line does once the app has closed
            assert ended.wait(1.5) is not closes
        finally:
            watch.stop()
            os.close(terminal)


def test_a_watch_stopped_calls_nothing_and_a_pipe_is_not_watched() -> None:
    master, terminal = os.openpty()
    called: list[bool] = []
    watch = TerminalWatch(lambda: called.append(True), fds=(terminal,))
    watch.start()
    watch.stop()
    os.close(master)
    os.close(terminal)
    assert called == []
    read, write = os.pipe()
    assert TerminalWatch(lambda: None, fds=(read, write)).fds == ()  # only terminals
    os.close(read)
    os.close(write)


def test_writes_to_a_hung_up_terminal_are_dropped_not_raised() -> None:
    master, terminal = os.openpty()
    stream = open(terminal, "w", encoding="utf-8")  # noqa: SIM115  (closed once pointed at /dev/null)
    output = SurvivingOutput(stream)
    output.write("a frame")
    output.flush()
    os.close(master)  # hung up: writing now fails with EIO
    assert output.write("the next frame") == len("the next frame")
    output.flush()
    assert output.failed
    assert output.fileno() == terminal  # everything else is the stream's own
    release((terminal,))  # as the watch does: what the stream still holds goes nowhere
    stream.close()


def test_sighup_before_the_app_handles_it_exits_129_and_everything_is_put_back() -> None:
    handler, stderr = signal.getsignal(signal.SIGHUP), sys.__stderr__
    with pytest.raises(SystemExit) as exited, watching_terminal(lambda: None):
        assert isinstance(sys.__stderr__, SurvivingOutput)  # what Textual's writer thread will write to
        signal.raise_signal(signal.SIGHUP)
    assert exited.value.code == 129
    assert (signal.getsignal(signal.SIGHUP), sys.__stderr__) == (handler, stderr)


# -- end to end ------------------------------------------------------------------------------------------


def running(marker: str) -> list[str]:
    """The command lines of the running processes (zombies excluded) that mention ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in command and cpu_ticks(int(entry.name)) is not None:
            found.append(command.strip())
    return found


def app_pid(db: Path, actor: str) -> int:
    """The pid in ``actor``'s presence row (claimed by the command line before the app starts)."""
    pids: list[int] = []

    def claimed() -> bool:
        pids[:] = [row.pid for row in rows(db) if row.actor == actor]
        return len(pids) == 1

    assert wait_for(claimed), rows(db)
    return pids[0]


def rows(db: Path) -> list[presence.Presence]:
    """Every presence row as stored, live or not."""
    if not db.exists():
        return []
    with Store.open(db) as store:
        return presence.recorded(store)


def assert_ended_cleanly(ending: Ending, db: Path, pid: int, marker: str) -> None:
    assert ending.gone, f"still running after {ending.seconds:.1f} s, {ending.cpu_seconds:.2f} s of CPU used"
    assert ending.seconds <= EXIT_WITHIN, ending
    assert ending.cpu_seconds <= CPU_SHARE * EXIT_WITHIN, ending
    assert pid not in [row.pid for row in rows(db)]  # removed by the app itself, not left to go stale
    assert wait_for(lambda: not running(marker), timeout=10), running(marker)


# -- tmux: make, sh -c ignoring SIGHUP, bash, a window's command ------------------------------------------


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    terminal = Tmux(f"facilitator-gone-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    try:
        yield terminal
    finally:
        terminal.kill()


def demo(folder: Path) -> str:
    return f"{BIN / 'facilitator'} demo --dir {folder} --as lead"


@pytest.mark.slow
def test_make_demo_ends_when_its_tmux_is_killed(tmp_path: Path, tmux: Tmux) -> None:
    """``make demo`` as the window's command: make takes the SIGHUP and waits for the app, which never gets it."""
    require("make")
    folder = tmp_path / "demo"
    makefile = tmp_path / "Makefile"
    makefile.write_text(f"demo:\n\t{demo(folder)}\n")  # as the project's own Makefile runs it
    tmux.start(f"make -s -f {makefile} demo", cwd=tmp_path, leader=True)
    tmux.wait_for_text(READY)
    db = folder / "workshop.db"
    pid = app_pid(db, "lead")
    assert_ended_cleanly(end_and_watch(pid, tmux.kill), db, pid, str(folder))


@pytest.mark.slow
def test_an_app_under_a_shell_ignoring_sighup_ends_with_exit_129(tmp_path: Path, tmux: Tmux) -> None:
    """``sh -c`` with SIGHUP ignored, leading the terminal: no SIGHUP ever reaches the app."""
    folder = tmp_path / "demo"
    code = tmp_path / "exit-code"
    tmux.start(f"sh -c \"trap '' HUP; {demo(folder)}; echo \\$? > {code}\"", cwd=tmp_path, leader=True)
    tmux.wait_for_text(READY)
    db = folder / "workshop.db"
    pid = app_pid(db, "lead")
    assert_ended_cleanly(end_and_watch(pid, tmux.kill), db, pid, str(folder))
    assert wait_for(lambda: code.exists() and code.read_text() != "")
    assert code.read_text().strip() == "129"  # as on SIGHUP: 128 + 1


@pytest.mark.slow
def test_an_app_started_at_a_bash_prompt_ends_when_the_window_closes(tmp_path: Path, tmux: Tmux) -> None:
    folder = tmp_path / "demo"
    tmux.start("bash --norc --noprofile -i", cwd=tmp_path, leader=True)
    tmux.send(demo(folder), "Enter")
    tmux.wait_for_text(READY)
    db = folder / "workshop.db"
    pid = app_pid(db, "lead")
    assert_ended_cleanly(end_and_watch(pid, tmux.kill), db, pid, str(folder))


@pytest.mark.slow
def test_a_tmux_windows_app_ends_when_its_session_is_killed(tmp_path: Path, tmux: Tmux) -> None:
    folder = tmp_path / "demo"
    tmux.start(demo(folder), cwd=tmp_path)
    tmux.wait_for_text(READY)
    db = folder / "workshop.db"
    pid = app_pid(db, "lead")
    assert_ended_cleanly(end_and_watch(pid, tmux.kill_session), db, pid, str(folder))


# -- GNU screen ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_app_in_gnu_screen_ends_when_screen_quits(tmp_path: Path) -> None:
    screen = require("screen")
    name = f"facilitator-gone-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    folder = tmp_path / "demo"
    copy = tmp_path / "screen.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "STY", "TMUX")}
    env.update(TERM="xterm-256color", PATH=f"{BIN}:/usr/bin:/bin")

    def screen_command(*args: str) -> None:
        subprocess.run([screen, "-S", name, *args], env=env, capture_output=True, timeout=10, check=False)

    def shows_ready() -> bool:
        copy.unlink(missing_ok=True)
        screen_command("-X", "hardcopy", str(copy))
        return copy.exists() and READY in copy.read_text(errors="replace")

    # Detached (-dm), with no screenrc of anybody's (-c /dev/null), the demo as the window's program.
    started = subprocess.run(
        [screen, "-dmS", name, "-c", "/dev/null", *demo(folder).split()],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=10,
        check=False,
    )
    try:
        assert started.returncode == 0, started.stderr
        assert wait_for(shows_ready), copy.read_text(errors="replace") if copy.exists() else "no hardcopy"
        db = folder / "workshop.db"
        pid = app_pid(db, "lead")
        assert_ended_cleanly(end_and_watch(pid, lambda: screen_command("-X", "quit")), db, pid, str(folder))
    finally:
        screen_command("-X", "quit")


# -- an SSH forced command -------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_co_facilitators_app_ends_when_the_ssh_client_is_killed(sshd: Sshd, tmp_path: Path, tmux: Tmux) -> None:
    """The client dies (SIGKILL: no goodbye from ssh, only the kernel's FIN): sshd hangs up the app's terminal."""
    db = tmp_path / "run.db"
    made = subprocess.run(
        [str(BIN / "facilitator"), "init", str(DEMO), "--db", str(db)], capture_output=True, timeout=60, check=False
    )
    assert made.returncode == 0, made.stderr
    key = sshd.authorize_join("amina", db, role="co")
    pid_file = tmp_path / "ssh.pid"
    tmux.start(sshd.ssh_command(key, pid_file=pid_file), cwd=tmp_path)
    tmux.wait_for_text("amina (co)")
    pid = app_pid(db, "amina")
    client = int(pid_file.read_text())
    ending = end_and_watch(pid, lambda: os.kill(client, signal.SIGKILL))
    assert_ended_cleanly(ending, db, pid, f"join --db {db}")
