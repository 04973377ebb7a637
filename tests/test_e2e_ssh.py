"""Co-facilitators over SSH, end to end: a real sshd on 127.0.0.1, real ssh clients in tmux, the lead beside them.

Each co-facilitator's key is pinned to ``facilitator join --db ... --as NAME --role ...`` with
``restrict,pty`` (tests/sshd.py), as the README sets it up; the lead runs ``facilitator run`` in a tmux
of its own. Everything the tests check is on the screens or in the run's database. How fast a change
propagates is measured by bench/propagation.py; the waits here only bound how long a test may hang.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from facilitator.attendance.intervals import Attendance
from facilitator.live.state import SessionState, fold
from facilitator.record.store import Store
from facilitator.team import presence
from tests.sshd import Sshd, sshd_fixture  # noqa: F401  (the sshd fixture)
from tests.test_tui_crash_terminal import assert_one_line_and_a_private_report, crashing_command
from tests.tools import BIN, Tmux, end_and_watch, wait_for

DEMO = Path(__file__).resolve().parent.parent / "exercises"
FIRST_STEP = "▶ 08:00 Welc"  # the lead's and the co's agenda, once the day's first step runs
SECOND_STEP = "▶ 08:10 Conn"
SEEN = 5.0  # seconds a screen may take to show another process's change before the test fails

pytestmark = pytest.mark.slow


@dataclass
class Team:
    db: Path
    lead: Tmux
    co: Tmux
    sshd: Sshd
    co_pid_file: Path

    def state(self) -> SessionState:
        with Store.open(self.db) as store:
            return fold(store.events())


def facilitator(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [str(BIN / "facilitator"), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def new_tmux() -> Tmux:
    return Tmux(f"facilitator-ssh-{os.getpid()}-{uuid.uuid4().hex[:6]}")


def login(server: Sshd, name: str, db: Path, role: str, cwd: Path) -> tuple[Tmux, Path]:
    """A tmux whose window runs a real ssh client logging in with ``name``'s key; the client's pid file."""
    key = server.authorize_join(name, db, role=role)
    pid_file = cwd / f"ssh-{name}.pid"
    terminal = new_tmux()
    terminal.start(server.ssh_command(key, pid_file=pid_file), cwd=cwd)
    return terminal, pid_file


@pytest.fixture
def team(sshd: Sshd, tmp_path: Path) -> Iterator[Team]:
    """The demo workshop with its roster; the lead's app, and amina logged in over ssh as a co-facilitator."""
    require_tmux = new_tmux()  # fails in CI, skips elsewhere, when tmux is missing
    require_tmux.kill()
    shutil.copytree(DEMO, tmp_path / "workshop")
    db = tmp_path / "run.db"
    facilitator("init", "workshop", "--db", str(db), cwd=tmp_path)
    facilitator("roster", "import", "workshop/roster.csv", "--db", str(db), cwd=tmp_path)
    lead = new_tmux()
    co: Tmux | None = None
    try:
        lead.start(f"facilitator run --db {db} --as lead", cwd=tmp_path)
        lead.wait_for_text("Press n to start")
        co, pid_file = login(sshd, "amina", db, "co", tmp_path)
        co.wait_for_text("amina (co)")
        yield Team(db, lead, co, sshd, pid_file)
    finally:
        lead.kill()
        if co is not None:
            co.kill()


def test_the_lead_advances_and_the_co_facilitator_sees_the_new_step(team: Team) -> None:
    team.lead.send("n")
    team.lead.wait_for_text(FIRST_STEP)
    screen = team.co.wait_for_text(FIRST_STEP, timeout=SEEN)
    assert "Welcome and purpose of the week" in screen
    team.lead.send("n")
    team.co.wait_for_text(SECOND_STEP, timeout=SEEN)


def test_the_co_facilitator_checks_someone_in_and_the_leads_counts_change(team: Team) -> None:
    before = team.lead.screen()
    team.co.send("a")
    team.co.wait_for_text("0/60 present")
    team.co.send("Down")  # the second person on the roster
    team.co.send("Space")
    team.co.wait_for_text("1/60 present")
    team.co.send("Escape")

    with Store.open(team.db) as store:
        attendance = Attendance.from_events(store.events())
        workshop = store.programme().workshop
    present = [p for p in attendance.roster.by_id.values() if attendance.is_in(p.id)]
    assert len(present) == 1
    where = next(loc for loc in workshop.locations if loc.id == present[0].location)
    # The lead's location strip: "● UNMISS 14:00 1/6" (the lead's own screen was never touched).
    count = re.compile(rf"{re.escape(where.id.upper())} \d\d:\d\d 1/{where.expected}\b")
    assert not count.search(before)
    assert wait_for(lambda: bool(count.search(team.lead.screen())), timeout=SEEN), team.lead.screen()


def test_an_observers_key_presses_move_nothing(team: Team, tmp_path: Path) -> None:
    team.lead.send("n")
    team.lead.wait_for_text(FIRST_STEP)
    observer, _ = login(team.sshd, "omar", team.db, "observer", tmp_path)
    try:
        observer.wait_for_text(FIRST_STEP)
        before = team.state()
        observer.send("n")
        observer.send("Space")
        observer.send("Right")
        observer.send("plus")
        observer.send("c")  # ask for control
        # Give the keys every chance to take effect: the observer's own screen would show the next step.
        assert not wait_for(lambda: SECOND_STEP in observer.screen(), timeout=2.0)
        observer.send("a")  # what a co-facilitator may do, an observer may not: check someone in
        observer.wait_for_text("0/60 present")
        observer.send("Space")
        assert not wait_for(lambda: "1/60 present" in observer.screen(), timeout=2.0)
        observer.send("Escape")
        after = team.state()
        assert (after.exercise, after.step) == (before.exercise, before.step)
        assert after.timer == before.timer  # neither paused nor lengthened
        with Store.open(team.db) as store:
            by_omar = [e.kind for e in store.events() if e.actor == "omar"]
        assert set(by_omar) <= {"facilitator.joined"}
        assert FIRST_STEP in team.lead.screen() and "PAUSED" not in team.lead.screen()
    finally:
        observer.kill()


def test_control_is_handed_over_and_back(team: Team) -> None:
    team.lead.send("h")
    team.lead.wait_for_text("Hand control to")
    team.lead.wait_for_text("amina")
    team.lead.send("Enter")  # amina is the only one who may drive, so she is highlighted
    assert wait_for(lambda: team.state().driver == "amina", timeout=SEEN)
    team.co.wait_for_text("driving: you", timeout=SEEN)

    team.co.send("n")  # the co-facilitator drives now: her key moves the session
    team.co.wait_for_text(FIRST_STEP)
    team.lead.wait_for_text(FIRST_STEP, timeout=SEEN)
    team.lead.send("n")  # and the lead's no longer does
    assert not wait_for(lambda: SECOND_STEP in team.lead.screen(), timeout=1.5)

    team.co.send("h")
    team.co.wait_for_text("Hand control to")
    team.co.send("Enter")
    assert wait_for(lambda: team.state().driver == "lead", timeout=SEEN)
    # The lead's app learns it drives again at its next poll: a key before then is refused as not driving.
    team.lead.wait_for_text("driving: you", timeout=SEEN)
    team.lead.send("n")
    team.lead.wait_for_text(SECOND_STEP)
    team.co.wait_for_text(SECOND_STEP, timeout=SEEN)


def test_a_killed_ssh_client_leaves_the_leads_presence_panel(team: Team) -> None:
    team.lead.send("w")
    team.lead.wait_for_text("connected")

    def amina_listed() -> bool:
        return any("amina" in line and " co " in line for line in team.lead.screen().splitlines())

    assert wait_for(amina_listed, timeout=SEEN), team.lead.screen()
    pid = int(team.co_pid_file.read_text())
    os.kill(pid, signal.SIGKILL)  # the connection drops: sshd hangs up on `facilitator join`
    assert wait_for(lambda: "amina" not in team.lead.screen(), timeout=15.0), team.lead.screen()
    with Store.open(team.db) as store:
        assert [p.actor for p in presence.present(store)] == ["lead"]


def test_a_crash_in_a_co_facilitators_app_prints_one_line_over_ssh(sshd: Sshd, tmp_path: Path) -> None:
    """The forced command's app fails: the SSH terminal gets one line and the report's path, nothing else."""
    db = tmp_path / "run.db"
    facilitator("init", str(DEMO), "--db", str(db), cwd=tmp_path)
    state = tmp_path / "state"  # the forced account's state folder
    command = crashing_command(tmp_path, "join", "--db", str(db), "--as", "amina", "--role", "co", state=state)
    key = sshd.authorize("amina", command)
    terminal = new_tmux()
    try:
        terminal.start(sshd.ssh_command(key), cwd=tmp_path)
        terminal.wait_for_text("amina (co)")
        terminal.send("?")  # the help screen fails as it opens
        assert_one_line_and_a_private_report(terminal, state)  # and ssh exits with the app's 1
    finally:
        terminal.kill()


KEEP_ALIVE = (1, 2)  # ClientAliveInterval, ClientAliveCountMax for the test: the README's (1, 15), made short


def keep_alive_cut_within(interval: int, count_max: int) -> float:
    """The longest a silent client keeps its session: sshd asks it COUNT_MAX times, then gives up at the next
    ask. The manual spaces the asks INTERVAL apart; Debian 12's OpenSSH 9.2 asks an idle session only every
    other INTERVAL (measured: every 4 s with 2), so twice that."""
    return 2 * interval * (count_max + 1)


def test_a_link_gone_quiet_is_cut_by_the_keep_alive_and_the_same_ssh_command_comes_back(tmp_path: Path) -> None:
    """No FIN, no RST: the driving co-facilitator's client stops answering (SIGSTOP: nothing more comes from
    it, as on a cut link). sshd's keep-alive gives up and hangs up the app's terminal; the app leaves the
    presence panel as it exits, so the lead takes control at once; what she did stays; the same ssh command
    later opens the same view, on the run as it is now.

    No timer runs when the link goes: a stopped client's kernel still acknowledges what sshd sends, so a
    screen that changes every second keeps sshd's loop busy and its keep-alive waits until the client's
    buffers fill. On a real cut nothing is acknowledged and the keep-alive comes as here (measured over a
    veth pair whose link was set down, timer running: 7.9 s with these settings)."""
    interval, count_max = KEEP_ALIVE
    server = Sshd(tmp_path / "sshd", client_alive=KEEP_ALIVE)
    server.start()
    db = tmp_path / "run.db"
    facilitator("init", str(DEMO), "--db", str(db), cwd=tmp_path)
    facilitator("roster", "import", str(DEMO / "roster.csv"), "--db", str(db), cwd=tmp_path)
    lead = new_tmux()
    terminals = [lead]
    client = 0
    try:
        lead.start(f"facilitator run --db {db} --as lead", cwd=tmp_path)
        lead.wait_for_text("Press n to start")
        lead.send("w")
        lead.wait_for_text("connected")
        co, pid_file = login(server, "amina", db, "co", tmp_path)
        terminals.append(co)
        co.wait_for_text("amina (co)")

        def amina_listed() -> bool:
            return any("amina" in line and " co " in line for line in lead.screen().splitlines())

        assert wait_for(amina_listed, timeout=SEEN), lead.screen()
        lead.send("h")
        lead.wait_for_text("Hand control to")
        lead.send("Enter")  # amina, the only one who may drive
        co.wait_for_text("driving: you", timeout=SEEN)
        co.send("a")
        co.wait_for_text("0/60 present")
        co.send("Space")  # she checks someone in: committed, so shown
        co.wait_for_text("1/60 present")
        [app] = [row.pid for row in recorded(db) if row.actor == "amina"]
        client = int(pid_file.read_text())

        ending = end_and_watch(app, lambda: os.kill(client, signal.SIGSTOP), longest=30.0)
        assert ending.gone, f"the app still runs {ending.seconds:.1f} s after its client went silent"
        assert ending.seconds <= keep_alive_cut_within(interval, count_max) + 2.0, ending  # then the app's exit
        assert "Timeout, client not responding" in server.log.read_text()  # the keep-alive cut it, nothing else
        assert ending.cpu_seconds <= 0.5, ending  # idle while it waited
        assert "amina" not in [row.actor for row in recorded(db)]  # removed by the app as it exited
        assert wait_for(lambda: not amina_listed(), timeout=SEEN), lead.screen()

        lead.send("T")  # her process is gone: no waiting for a heartbeat to go stale
        lead.wait_for_text("Take control from amina?")
        lead.send("y")
        assert wait_for(lambda: team_state(db).driver == "lead", timeout=SEEN)
        lead.send("n")  # the day goes on meanwhile
        lead.wait_for_text(FIRST_STEP)
        os.kill(client, signal.SIGCONT)  # the link comes back: the client finds its connection closed
        co.wait_for_text("EXITED 255")

        again = new_tmux()  # the same command as before
        terminals.append(again)
        again.start(server.ssh_command(server.authorized_keys.parent / "client_amina"), cwd=tmp_path)
        again.wait_for_text("amina (co)")  # the same person, in the same role,
        again.wait_for_text(FIRST_STEP, timeout=SEEN)  # on the run as it is now
        again.wait_for_text("driving: lead")
        assert wait_for(amina_listed, timeout=SEEN), lead.screen()
        with Store.open(db) as store:  # what she did before the link went is kept
            assert [e.kind for e in store.events() if e.actor == "amina"].count("attendance.checked_in") == 1
    finally:
        if client:
            with contextlib.suppress(ProcessLookupError):
                os.kill(client, signal.SIGCONT)
        for terminal in terminals:
            terminal.kill()
        server.stop()


def team_state(db: Path) -> SessionState:
    with Store.open(db) as store:
        return fold(store.events())


def recorded(db: Path) -> list[presence.Presence]:
    """Every presence row as stored, live or not."""
    with Store.open(db) as store:
        return presence.recorded(store)
