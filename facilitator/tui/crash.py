"""When an app fails: one line on the terminal, the whole traceback in a file only its user can read.

Left to itself, Textual answers an unhandled exception with a Rich traceback that shows every frame's
local variables, printed to the terminal once the app has closed. Over SSH that terminal is a
co-facilitator's, and those locals hold participants' names and e-mails, the run's paths and its
secrets. Every app here (the lead's and co-facilitators' :class:`~facilitator.tui.app.FacilitatorApp`,
the room view) derives from :class:`CrashReportingApp` and is started by :func:`run_app`, so that instead:

- the full traceback (every frame with its file, line and source line, chained causes too; no local
  variables) goes to a new file created with mode 0600 in ``$XDG_STATE_HOME/facilitator/`` (an absolute
  ``$XDG_STATE_HOME``), else ``~/.local/state/facilitator/``, a folder created 0700. If that cannot be
  written (an account whose home is read-only, as a forced SSH account may be), the file goes next to
  the run database instead, as ``RUN.db.crash-....log``, still 0600;
- the terminal, restored by Textual first, gets one line: the kind of error (never its message, which
  may quote data), that the run is saved, and the report's path;
- the command exits 1.

Textual 8 has no public hook for an unhandled exception (Textualize/textual#5931 asks for one): every one
of them, from a message handler, a timer, a worker or a screen, reaches the private
``App._handle_exception``. :meth:`CrashReportingApp._handle_exception` is the one place this module
touches it; it writes the report and lets Textual carry on as before (exit code 1, the exception kept
for ``run_test`` to raise in tests), only pointing its ``error_console`` (a public attribute) at
nothing, so that Textual's traceback is never printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import platform
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from rich.console import Console
from textual.app import App
from textual.worker import WorkerFailed

from facilitator.problems import InputError, StoreError
from facilitator.text import printable

FOLDER = "facilitator"  # under $XDG_STATE_HOME (or ~/.local/state)


@dataclass(frozen=True)
class CrashReport:
    """Where the traceback went (None if no file could be written) and the one line the terminal gets."""

    path: Path | None
    line: str


def state_folder() -> Path | None:
    """``$XDG_STATE_HOME/facilitator`` (only an absolute $XDG_STATE_HOME counts), else ~/.local/state/facilitator."""
    state = os.environ.get("XDG_STATE_HOME", "")
    if state and os.path.isabs(state):
        return Path(state) / FOLDER
    try:
        return Path.home() / ".local" / "state" / FOLDER
    except RuntimeError:  # no $HOME and no password entry
        return None


def write_report(error: BaseException, *, beside: Path | None = None, about: str = "") -> CrashReport:
    """Write ``error``'s traceback to a new private file (see the module's docstring); the line to show."""
    shown = error.error if isinstance(error, WorkerFailed) else error  # a worker's own error, not Textual's wrapper
    text = _report_text(error, about)
    now = datetime.now(UTC)
    name = f"crash-{now:%Y%m%d-%H%M%S}-{os.getpid()}.log"
    problem = "no folder to write it in"
    for folder, file_name in _places(name, beside):
        try:
            path = _write_private(folder, file_name, text)
        except OSError as exc:
            problem = exc.strerror or type(exc).__name__
            continue
        where = f"details in {printable(str(path))}"
        return CrashReport(path, _line(shown, where))
    return CrashReport(None, _line(shown, f"no report could be written ({printable(problem)})"))


def append_report(report: CrashReport, error: BaseException) -> None:
    """Add a later error (one raised while the app was closing after the first) to the same report."""
    if report.path is None:
        return
    try:
        with report.path.open("a", encoding="utf-8") as file:
            file.write("\nAnd then, while closing:\n\n" + _traceback(error))
    except OSError:
        pass  # the first error is what the report is about


def _line(error: BaseException, where: str) -> str:
    return f"facilitator stopped on an unexpected error ({type(error).__name__}); the run is saved; {where}"


def _places(name: str, beside: Path | None) -> list[tuple[Path, str]]:
    places = []
    folder = state_folder()
    if folder is not None:
        places.append((folder, name))
    if beside is not None:
        places.append((beside.parent, f"{beside.name}.{name}"))
    return places


def _write_private(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / name
    # Created 0600 from the start (never written first and narrowed after), and never through a link.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    return path


def _report_text(error: BaseException, about: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    def version_of(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "unknown"

    header = [
        "facilitator crash report",
        f"when: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"versions: facilitator {version_of('facilitator')}, textual {version_of('textual')}, "
        f"Python {platform.python_version()}",
    ]
    if about:
        header.append(f"app: {about}")
    header.append("Local variables are not recorded: they hold participants' data.")
    return "\n".join(header) + "\n\n" + _traceback(error)


def _traceback(error: BaseException) -> str:
    text = "".join(traceback.format_exception(error))
    if isinstance(error, WorkerFailed) and error.error.__traceback__ is not None:
        text += "\nThe worker's error:\n\n" + "".join(traceback.format_exception(error.error))
    return text


class CrashReportingApp(App[None]):
    """An app whose unhandled exceptions end in a private report and one line (see the module's docstring)."""

    # Whether the app pushes its first screen after it is mounted, and calls first_screen_pushed then.
    FIRST_SCREEN_AFTER_MOUNT: ClassVar[bool] = False

    def __init__(self, *, crash_beside: Path | None = None) -> None:
        # On a terminal without colours (facilitator.cli sets NO_COLOR for it), the terminal's own default
        # colours: Textual then removes every colour code rather than drawing in greys.
        super().__init__(ansi_color=os.environ.get("TERM", "").strip().lower() in ("dumb", "unknown"))
        self.crash_beside = crash_beside  # the run database: the report goes next to it if the state folder fails
        self.crash: CrashReport | None = None
        # Called once the first frame is on the screen (facilitator.cli: the garbage collector resumes then).
        self.after_first_frame: Callable[[], None] | None = None

    def crash_about(self) -> str:
        """Which app this is, for the report's header."""
        return type(self).__name__

    def on_load(self) -> None:
        # A terminal closed (SIGHUP: an SSH link dropped, a window shut) or a polite kill (SIGTERM) exits as
        # ctrl+q does: the terminal is given back (no alternate screen, mouse reporting off, cursor shown)
        # and the app's presence row removed. Exit codes as a shell reports a death by signal: 128 + N.
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # no signals here
                loop.add_signal_handler(signum, self.exit, None, 128 + signum)

    async def on_mount(self) -> None:
        # A subclass's on_mount runs first (Textual calls each class's handler, the subclass's first): its
        # first screen is up by now, and this runs after the refresh that draws it. An app that pushes its first
        # screen once mounted (FIRST_SCREEN_AFTER_MOUNT) says when with first_screen_pushed.
        if not self.FIRST_SCREEN_AFTER_MOUNT:
            self.first_screen_pushed()

    def first_screen_pushed(self) -> None:
        """The app's first screen is pushed: ``after_first_frame`` follows the refresh that draws it."""
        if self.after_first_frame is not None:
            self.call_after_refresh(self.after_first_frame)

    def _handle_exception(self, error: Exception) -> None:
        # Private, and overridden only here: Textual has no public hook for an unhandled exception (see the
        # module's docstring). Textual still does the rest: exit code 1, and the exception kept for tests.
        try:
            if self.crash is None:
                self.crash = write_report(error, beside=self.crash_beside, about=self.crash_about())
            else:
                append_report(self.crash, error)
        except Exception as failed:  # reporting must never keep Textual from closing the app
            unwritten = f"no report could be written ({type(failed).__name__})"
            self.crash = self.crash or CrashReport(None, _line(error, unwritten))
        # Textual prints its traceback, locals and all, to this console once the terminal is restored.
        self.error_console = Console(file=io.StringIO(), markup=False, highlight=False)
        super()._handle_exception(error)


def run_app(
    make: Callable[[], CrashReportingApp],
    *,
    headless: bool = False,
    after_first_frame: Callable[[], None] | None = None,
) -> int:
    """Make the app and run it; on a crash print the report's one line. The exit code: the app's, 1 on a crash.

    ``after_first_frame`` is called once the app's first frame is on the screen (CrashReportingApp.on_mount).

    The core's expected refusals (:class:`~facilitator.problems.InputError`, ``StoreError``) raised while
    making or starting the app go on to the command line, which says them in one line of their own.
    """
    app: CrashReportingApp | None = None
    crash: CrashReport | None = None
    try:
        app = make()
        if after_first_frame is not None:
            app.after_first_frame = after_first_frame
        app.run(headless=headless)
    except (InputError, StoreError):
        raise
    except Exception as error:  # raised outside Textual's handling: making the app, or starting or closing it
        if app is not None and app.crash is not None:
            append_report(app.crash, error)
        elif app is not None:
            app.crash = write_report(error, beside=app.crash_beside, about=app.crash_about())
        else:
            crash = write_report(error)
    crash = app.crash if app is not None else crash
    if crash is not None:
        sys.stderr.write(crash.line + "\n")
        sys.stderr.flush()
        return 1
    assert app is not None
    return app.return_code or 0
