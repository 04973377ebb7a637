"""Opening a terminal app on a run, without the command line's definitions (facilitator.entry opens the lead's
``run`` straight here; facilitator.cli's commands call the same functions): the run's claim on a thread of its own
while the app's modules import, no cyclic garbage collection until the first frame, and the presence row left
however the app ends."""

from __future__ import annotations

import contextlib
import gc
import getpass
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from facilitator import user_cache
from facilitator.problems import InputError, StoreError, display_path

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from facilitator.team.presence import Presence
    from facilitator.tui.crash import CrashReportingApp

DEFAULT_DB = "workshop.db"  # the run database when no --db says
T = TypeVar("T")


def default_actor() -> str:
    """Who is at the keyboard, when no --as says: $FACILITATOR_AS, else the login name."""
    try:
        return os.environ.get("FACILITATOR_AS") or getpass.getuser()
    except (KeyError, OSError):
        return "lead"


def create_run(path: Path, db: Path, actor: str) -> None:
    """Create the run ``db`` from the workshop at ``path``; its warnings go to stderr."""
    from facilitator.record.store import Store
    from facilitator.script.loading import load_workshop

    loaded = load_workshop(path)
    for warning in loaded.warnings:
        sys.stderr.write(f"{warning}\n")
    Store.create(db, loaded.programme, actor=actor, digest=loaded.digest, source=path).close()


def open_lead(path: Path | None, db: Path, actor: str) -> int:
    """``facilitator run``: resume the run ``db``, or create it from the workshop at ``path``; the app's exit code."""
    if not db.exists():
        if path is None:
            raise InputError(f"{display_path(db)}: no such run database; give a workshop PATH to create it")
        try:
            create_run(path, db, actor)
        except InputError:
            if not db.exists():
                raise
            # Another lead created it a moment earlier: this is now a resume, and opening it says who drives.
    return open_app(db, actor)


@contextlib.contextmanager
def start_up() -> Iterator[Callable[[], Callable[[], None]]]:
    """No cyclic garbage collection while a terminal app's modules are imported, its run is prepared and its
    first frame is built.

    Importing them (Textual, the script models, the screens) makes a few hundred thousand objects that
    live as long as the process, and almost no garbage: the collections that set off walked them all again and
    again, some 30 ms of the lead's start-up, and found about 600 unreachable objects; building the first
    screen (its widgets, styles and lines) set off some fifty more. Call the ``ready`` this yields just before
    the app runs: what start-up made is frozen (later collections need not walk it), and it returns the
    ``resume`` that the app calls once its first frame is up (facilitator.tui.crash.run_app): what that frame
    built is frozen too, and collecting resumes. Leaving the block resumes it in any case (a refusal, an
    error, an app that never drew). A collector already off (a profiler, a test) is left alone.
    """
    if not gc.isenabled():
        yield lambda: lambda: None
        return

    def resume() -> None:
        if not gc.isenabled():
            gc.freeze()
            gc.enable()
            user_cache.keep()

    def ready() -> Callable[[], None]:
        gc.freeze()
        return resume

    gc.disable()
    try:
        yield ready
    finally:
        gc.enable()


def _in_background(work: Callable[[], T]) -> Callable[[], T]:
    """Start ``work`` on a thread of its own; the function returned waits for it, then returns or raises what it did."""
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # handed to the caller's thread, which raises it
            outcome.append((False, exc))

    thread = threading.Thread(target=run, name="facilitator-start", daemon=True)
    thread.start()

    def result() -> T:
        thread.join()
        done, value = outcome[0]
        if not done:
            raise value
        return cast(T, value)

    return result


def _claim(db: Path, actor: str, role: str, location: str | None) -> Presence:
    """Open the run and claim this process's place in ``role`` (the lead's is exclusive): facilitator.team.presence."""
    from facilitator.record.store import Store
    from facilitator.team import presence

    with Store.open(db) as store:
        return presence.claim(store, actor=actor, role=role, exclusive=role == presence.LEAD, location=location)


def open_app(db: Path, actor: str, team: dict[str, Any] | None = None) -> int:
    """Open the app as the lead, or with ``team`` (FacilitatorApp's role, location, ... ) as a co or observer; the
    app's exit code."""
    with start_up() as ready:
        from facilitator.config import load_config
        from facilitator.live.session_thread import SessionThread
        from facilitator.record.clock import default_clock
        from facilitator.team import presence  # and the store: imported here, not on the claim's thread

        team = team or {}
        role = team.get("role", presence.LEAD)
        clock = default_clock()
        # The app's own database thread, which opens and folds the run while the app's modules import (a long
        # run's checkpoint is read meanwhile, not after Textual has started: issue 14).
        db_thread = SessionThread(
            db,
            actor=actor,
            clock=clock,
            role=role,
            location=team.get("location"),
            own_location_only=team.get("own_location_only", False),
        )

        def claim_then_open() -> Presence:
            # Refuse a bad database, a bad config file, or a run that a live lead already drives, with a clear
            # line before the screen takes over. Claiming the lead's place here, in one transaction, leaves no
            # window in which a second `run` started at the same moment could also get in; the app keeps the
            # claim alive. Co-facilitators and observers share the run, so their claims exclude nobody.
            claimed = _claim(db, actor, role, team.get("location"))
            # Opened once the claim's connection has closed: as the run's last connection, it checkpoints the
            # WAL into the file and empties it, which it would not do with the app's connection open (with it
            # open, a full disk and a co-facilitator's arrival were handled otherwise: tests/test_disk_faults.py,
            # tests/test_e2e_ssh.py).
            db_thread.open_now()
            return claimed

        claiming = _in_background(claim_then_open)
        try:
            # The app's modules load while the claim waits for the disk (its commit and the checkpoint as
            # the connection closes are synced: some 20 ms in which the import goes on).
            from facilitator.tui.app import FacilitatorApp
            from facilitator.tui.bindings import binding_ids
        except BaseException:
            db_thread.close()
            with contextlib.suppress(Exception):
                _leave(db, claiming().connection)
            raise
        try:
            lead = claiming()
        except BaseException:
            db_thread.close()
            raise
        try:
            if not sys.stdin.isatty() or not sys.stdout.isatty():
                raise InputError(
                    "the app needs a terminal (run it in a terminal, not with its input or output redirected)"
                )
            config = load_config(binding_ids=binding_ids())
            return run_app(
                lambda: FacilitatorApp(
                    db_path=db, actor=actor, lead=lead, config=config, clock=clock, db=db_thread, **team
                ),
                ready,
            )
        finally:
            db_thread.close()  # closed by the app as it ends; here, if it never ran
            _leave(db, lead.connection)


COLOURLESS_TERMS = frozenset({"dumb", "unknown"})


def run_app(
    make: Callable[[], CrashReportingApp], ready: Callable[[], Callable[[], None]] = lambda: lambda: None
) -> int:
    """Run a terminal app; a crash prints one line naming a private report of it (facilitator.tui.crash).

    ``ready`` (from :func:`start_up`) is called once the app's modules are imported, just before it runs; what
    it returns, once the app's first frame is up.
    """
    from facilitator.tui import kept_styles
    from facilitator.tui.crash import run_app
    from facilitator.tui.terminal_watch import watching_terminal

    first_frame = ready()
    if os.environ.get("TERM", "").strip().lower() in COLOURLESS_TERMS:
        # A terminal without colours: Textual would draw 24-bit colour anyway (it assumes it when the
        # terminal names none). NO_COLOR, read when the app is made, is its own switch to draw without.
        os.environ["NO_COLOR"] = "1"
    # A terminal that goes away ends the app as SIGHUP does, whatever started it (make, nohup, tmux, ssh).
    with watching_terminal():
        # The stylesheets parsed by earlier starts are read, not parsed again (facilitator.tui.kept_styles).
        return run_app(lambda: kept_styles.install(make()), after_first_frame=first_frame)


def _leave(db: Path, connection: str) -> None:
    """Remove the lead's presence row (the app does so on exit too; this covers a failed start)."""
    from facilitator.record.store import Store
    from facilitator.team import presence

    # If the database went away or stays busy, the row goes stale within seconds anyway.
    with contextlib.suppress(InputError, StoreError), Store.open(db) as store:
        presence.leave(store, connection)
