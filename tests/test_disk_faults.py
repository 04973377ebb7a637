"""The run's disk fills up or turns read-only mid-session: the app says so, loses nothing, and carries on.

Real disks, made by the test: a 1 MB tmpfs filled to the last byte (space returns when the filler goes or
the mount grows), and a small ext4 image on a loop device that the kernel turns read-only, as it does after
a disk error (space returns when it is checked and mounted again). Mounting needs root: CI runs as root;
elsewhere these tests skip.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot

from facilitator.live.session import Session
from facilitator.problems import DiskFault, StoreError
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.widgets.panels import StepView
from tests.tools import Tmux, wait_for

pytestmark = pytest.mark.slow
DEMO = Path(__file__).resolve().parent.parent / "exercises"


def _need(what: str, present: bool) -> None:
    if present:
        return
    message = f"{what} (CI runs as root with it)"
    if os.environ.get("CI"):  # CI must prove the fault handling, never skip it
        pytest.fail(message)
    pytest.skip(message)


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=60)


def _mount(*argv: str) -> None:
    """Mount, or skip (fail in CI) where this machine may not: a container without the right to mount."""
    done = subprocess.run(["mount", *argv], capture_output=True, text=True, timeout=60, check=False)
    _need(f"mount {' '.join(argv)} failed: {done.stderr.strip()}", done.returncode == 0)


class Tmpfs:
    """A small tmpfs: fill it to the last byte, then give the space back."""

    def __init__(self, path: Path, size: str = "1m") -> None:
        _need("mounting a tmpfs needs root", os.geteuid() == 0 and shutil.which("mount") is not None)
        path.mkdir()
        _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path))
        self.path = path
        self.filler = path / "filler"

    def fill(self) -> None:
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            for size in (65536, 4096, 512, 1):  # down to the last byte
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)

    def free(self) -> None:
        self.filler.unlink()

    def grow(self, size: str) -> None:
        _run("mount", "-o", f"remount,size={size}", str(self.path))

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False, capture_output=True)


class Ext4:
    """A small ext4 image on a loop device, mounted so that a disk error turns it read-only."""

    def __init__(self, path: Path, image: Path) -> None:
        _need("a loop-mounted ext4 needs root", os.geteuid() == 0)
        _need("mkfs.ext4 and e2fsck are needed", bool(shutil.which("mkfs.ext4") and shutil.which("e2fsck")))
        path.mkdir()
        with image.open("wb") as fh:
            fh.truncate(16 * 1024 * 1024)
        _run("mkfs.ext4", "-q", "-F", str(image))
        self.path = path
        self.image = image
        self.devices: list[str] = []
        self.mount()

    def mount(self) -> None:
        # A loop device of its own each time: ``mount -o loop`` would reuse the one still attached to the
        # image, and with it the old, read-only filesystem.
        done = subprocess.run(
            ["losetup", "--find", "--show", str(self.image)], capture_output=True, text=True, check=False
        )
        _need(f"a free loop device ({done.stderr.strip()})", done.returncode == 0)
        self.devices.append(done.stdout.strip())
        _mount("-o", "errors=remount-ro", self.devices[-1], str(self.path))

    def device(self) -> str:
        for line in Path("/proc/mounts").read_text().splitlines():
            source, target, *_ = line.split()
            if target == str(self.path):
                return os.path.basename(os.path.realpath(source))
        raise AssertionError(f"{self.path} is not mounted")

    def fail(self) -> None:
        """What the kernel does after a disk error: the filesystem turns read-only under the open files."""
        Path(f"/sys/fs/ext4/{self.device()}/trigger_fs_error").write_text("facilitator disk fault test")

    def repair(self) -> None:
        """What an operator does: take the disk off (files still open stay on the old mount), check it, mount it."""
        self.unmount()
        done = subprocess.run(["e2fsck", "-fy", str(self.image)], capture_output=True, timeout=60, check=False)
        assert done.returncode in (0, 1), done.stdout  # 1: errors corrected (the error the test raised)
        self.mount()

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False, capture_output=True)

    def detach(self) -> None:
        self.unmount()
        for device in self.devices:  # detached as soon as nothing holds it
            subprocess.run(["losetup", "--detach", device], check=False, capture_output=True)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Tmpfs]:
    disk = Tmpfs(tmp_path / "disk")
    yield disk
    disk.unmount()


@pytest.fixture
def ext4(tmp_path: Path) -> Iterator[Ext4]:
    disk = Ext4(tmp_path / "disk", tmp_path / "disk.img")
    yield disk
    disk.detach()


def logged_ids(db: Path) -> list[str]:
    with Store.open(db) as store:
        assert store.integrity_check() == "ok"
        return [event.id for event in store.events()]


def act_until_refused(session: Session, acknowledged: list[str], count: int = 200) -> DiskFault:
    """Adjust the timer until the disk refuses, noting every event the store acknowledged on the way."""
    for _ in range(count):
        try:
            event = session.adjust(timedelta(seconds=60))
        except DiskFault as exc:
            return exc
        assert event is not None
        acknowledged.append(event.id)
    raise AssertionError(f"the disk took {count} more events")


def entered_id(session: Session) -> str:
    event = session.next_step()
    assert event is not None
    return event.id


# -- through Session -----------------------------------------------------------------------------------


def test_a_full_disk_refuses_the_write_keeps_every_acknowledged_event_and_carries_on_when_space_returns(
    tmpfs: Tmpfs, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    db = tmpfs.path / "run.db"
    with Store.create(db, tiny_programme, actor="lead", clock=fake_clock) as store:
        session = Session(store, actor="lead")
        session.next_step()
        acknowledged = [event.id for event in store.events()]
        tmpfs.fill()
        fault = act_until_refused(session, acknowledged)
        assert fault.reason == DiskFault.FULL
        assert str(fault).startswith(f"cannot save: the disk holding {db} is full;")
        assert "\n" not in str(fault)
        before = session.state
        with pytest.raises(DiskFault):  # the refused command is not done, and not half done
            session.next_step()
        assert session.state == before
        assert [event.id for event in store.events()] == acknowledged
        assert store.data_version() >= 0  # reading (what the app's poll does) still works
        session.refresh()

        tmpfs.free()
        entered = session.next_step()
        assert entered is not None
        acknowledged.append(entered.id)
        assert session.state.step == "pairs"
    assert logged_ids(db) == acknowledged


def test_a_full_disk_carries_on_when_the_mount_grows(
    tmpfs: Tmpfs, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    db = tmpfs.path / "run.db"
    with Store.create(db, tiny_programme, actor="lead", clock=fake_clock) as store:
        session = Session(store, actor="lead")
        session.next_step()
        acknowledged = [event.id for event in store.events()]
        tmpfs.fill()
        act_until_refused(session, acknowledged)
        tmpfs.grow("4m")
        acknowledged.append(entered_id(session))
    assert logged_ids(db) == acknowledged


def test_a_disk_turned_read_only_refuses_the_write_keeps_every_acknowledged_event_and_carries_on_when_remounted(
    ext4: Ext4, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    db = ext4.path / "run.db"
    with Store.create(db, tiny_programme, actor="lead", clock=fake_clock) as store:
        session = Session(store, actor="lead")
        session.next_step()
        session.adjust(timedelta(minutes=2))
        acknowledged = [event.id for event in store.events()]
        ext4.fail()
        before = session.state
        with pytest.raises(DiskFault) as refused:
            session.next_step()
        assert refused.value.reason == DiskFault.READ_ONLY
        assert str(refused.value).startswith(f"cannot save: the disk holding {db} is read-only;")
        assert session.state == before
        with pytest.raises(DiskFault):  # and again: nothing got stuck half way (an open transaction)
            session.pause()
        try:  # the poll: reads keep working, or fail as a StoreError the app can show, never as a crash
            store.data_version()
            session.refresh()
        except StoreError:
            pass
        assert session.state == before

        ext4.repair()
        acknowledged.append(entered_id(session))  # the same session, on the disk mounted again
        assert session.state.step == "pairs"
    assert logged_ids(db) == acknowledged


def test_opening_a_run_on_a_read_only_disk_says_so(tmpfs: Tmpfs, tiny_programme: Programme) -> None:
    db = tmpfs.path / "run.db"
    Store.create(db, tiny_programme, actor="lead").close()
    _run("mount", "-o", "remount,ro", str(tmpfs.path))
    with pytest.raises(DiskFault, match=f"^cannot open {db} for writing: the disk holding it is read-only$"):
        Store.open(db)


# -- through the app -----------------------------------------------------------------------------------


async def settle(pilot: Pilot[None], until: Callable[[], bool] = lambda: True) -> None:
    app = pilot.app
    assert isinstance(app, FacilitatorApp)
    for _ in range(500):
        await pilot.pause(0.01)
        if app.screen.query(StepView) and not app.commands_in_flight and until():
            break
    await pilot.pause()


def notifications(app: FacilitatorApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def step_shown(app: FacilitatorApp) -> str:
    return str(app.screen.query_one(StepView).render())


async def test_the_app_says_the_disk_is_full_keeps_the_screen_and_carries_on_when_space_returns(
    tmpfs: Tmpfs, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    db = tmpfs.path / "run.db"
    Store.create(db, tiny_programme, actor="lead", clock=fake_clock).close()
    app = FacilitatorApp(db_path=db, actor="lead", clock=fake_clock, poll_seconds=0.02)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot, lambda: app.state.step == "intro")
        acknowledged = logged_ids(db)
        shown = step_shown(app)
        assert shown.startswith("Introduction")

        tmpfs.fill()
        refused: list[str] = []
        for _ in range(50):  # until the disk refuses: each acknowledged press is on the record
            await pilot.press("plus")
            await settle(pilot)
            refused = [n for n in notifications(app) if n.startswith("cannot save")]
            if refused:
                break
        assert refused, notifications(app)
        assert refused[-1].startswith(f"cannot save: the disk holding {db} is full;")
        acknowledged = logged_ids(db)
        before = app.state
        await pilot.press("n")
        await settle(pilot)
        assert app.state.step == "intro"  # the refused command is clearly not done
        assert step_shown(app).startswith("Introduction")
        assert app.state.last_seq == before.last_seq
        await pilot.pause(0.2)  # the poll goes on over a full disk without taking the app down
        assert app.is_running
        assert logged_ids(db) == acknowledged

        tmpfs.free()
        await pilot.press("n")
        await settle(pilot, lambda: app.state.step == "pairs")
        assert step_shown(app).startswith("Pairs")
        assert "Saving works again." in notifications(app)
    saved = logged_ids(db)
    assert saved[: len(acknowledged)] == acknowledged
    assert len(saved) > len(acknowledged)


async def test_the_app_says_the_disk_turned_read_only_and_carries_on_when_it_is_mounted_again(
    ext4: Ext4, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    db = ext4.path / "run.db"
    Store.create(db, tiny_programme, actor="lead", clock=fake_clock).close()
    app = FacilitatorApp(db_path=db, actor="lead", clock=fake_clock, poll_seconds=0.02)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot, lambda: app.state.step == "intro")
        acknowledged = logged_ids(db)

        ext4.fail()
        await pilot.press("n")
        await settle(pilot, lambda: any(n.startswith("cannot save") for n in notifications(app)))
        refused = [n for n in notifications(app) if n.startswith("cannot save")]
        assert refused, notifications(app)
        assert refused[-1].startswith(f"cannot save: the disk holding {db} is read-only;")
        assert app.state.step == "intro"
        assert step_shown(app).startswith("Introduction")
        await pilot.pause(0.2)  # the poll and the heartbeat go on over a read-only disk
        assert app.is_running

        ext4.repair()
        await pilot.press("n")
        await settle(pilot, lambda: app.state.step == "pairs")
        assert step_shown(app).startswith("Pairs")
    saved = logged_ids(db)
    assert saved[: len(acknowledged)] == acknowledged
    assert len(saved) == len(acknowledged) + 1


# -- a real `facilitator run` in a real terminal -------------------------------------------------------


def test_facilitator_run_in_a_terminal_survives_a_full_disk(tmpfs: Tmpfs, tmp_path: Path) -> None:
    tmpfs.grow("4m")  # the demo's programme is stored in the run
    db = tmpfs.path / "run.db"
    tmux = Tmux(f"facilitator-disk-{os.getpid()}-{uuid.uuid4().hex[:6]}", width=140, height=40)
    try:
        tmux.start(f"env -u COLUMNS -u LINES facilitator run {DEMO} --db {db} --as lead", cwd=tmp_path)
        tmux.wait_for_text("Press n to start")
        tmux.send("n")
        tmux.wait_for_text("▶ 08:00")
        assert wait_for(lambda: len(logged_ids(db)) >= 3)  # the step, and the lead's presence before it
        tmpfs.fill()
        screen = ""
        for _ in range(40):  # until the disk refuses; every press it took is on the record
            tmux.send("=")
            if wait_for(lambda: "cannot save" in tmux.screen(), timeout=0.5):
                screen = tmux.screen()
                break
        assert "cannot save: the disk holding disk/run.db is full;" in screen, screen
        assert "▶ 08:00" in screen
        assert "EXITED" not in screen
        acknowledged = logged_ids(db)
        # No command is pressed while the disk is full after the refusal: a refused write may leave room in
        # the journal that the next small one fits in, so whether it is taken is up to SQLite. That a refused
        # command is not done is the Pilot test's job above, which looks at the app's state, not a screen.

        tmpfs.free()
        tmux.send("n")
        tmux.wait_for_text("▶ 08:10")
        tmux.wait_for_text("Saving works again.")
        tmux.send("C-q")
        tmux.wait_for_text("EXITED 0")
    finally:
        tmux.kill()
    saved = logged_ids(db)
    assert saved[: len(acknowledged)] == acknowledged
    assert len(saved) > len(acknowledged)


def test_the_command_line_says_the_disk_is_full_in_one_line(tmpfs: Tmpfs, tiny_programme: Programme) -> None:
    db = tmpfs.path / "run.db"
    Store.create(db, tiny_programme, actor="lead").close()
    before = logged_ids(db)
    tmpfs.fill()
    roster = tmpfs.path.parent / "roster.csv"
    roster.write_text("name,email,location\n" + "".join(f"P{i},p{i}@example.org,hq\n" for i in range(400)))
    done = subprocess.run(
        ["facilitator", "roster", "import", str(roster), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
    )
    assert done.returncode == 1, done
    said = f"error: cannot open {db} for writing: the disk holding it is full\n"  # the shared memory file, first
    assert done.stderr == said or done.stderr.startswith(f"error: cannot save: the disk holding {db} is full;"), done
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
    tmpfs.free()
    assert logged_ids(db) == before
