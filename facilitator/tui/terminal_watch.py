"""A terminal that goes away ends the app, whatever started it: as a SIGHUP does, within milliseconds.

Why a watch is needed: Textual's Linux driver reads the terminal on a thread, ``select()`` then ``os.read()``
(textual/drivers/linux_driver.py, ``run_input_thread``). Once the terminal is hung up (its window closed, a
tmux or screen session killed, the SSH link gone) ``select()`` says readable and ``read()`` returns ``b""``
at once, forever: that thread spins at most of a CPU core, and Textual never ends the app for it. What
ends it is SIGHUP (:meth:`facilitator.tui.crash.CrashReportingApp.on_load`), but the kernel sends SIGHUP
only to the terminal's session leader, and to its foreground process group only when that leader exits. A
shell that passes it on (bash), or an app that is the leader itself (an SSH forced command), gets it; an
app under a parent that ignores it (``nohup``, ``trap '' HUP``) or waits through it (``make`` waits for
its recipe's command) never does, and spins for as long as nobody kills it.

:class:`TerminalWatch` is a thread blocked in ``poll()`` on the process's terminal (the standard streams
that are terminals), asking for no event at all: ``poll()`` then wakes only for ``POLLHUP`` or ``POLLERR``,
which a hung-up terminal reports (a key press does not wake it), and costs nothing while the terminal
lives. When it wakes it points the dead streams at ``/dev/null`` (what the app writes while closing, the
terminal's modes put back and a last frame, then goes nowhere instead of failing with EIO) and sends this
process SIGHUP: the app leaves exactly as on a real SIGHUP, its presence row removed at once
(``LiveRun.close``), every command already acknowledged committed, exit code 129. Should the app still
not have closed :data:`GRACE_SECONDS` later, the process ends anyway (:func:`give_up`).

:func:`watching_terminal` runs the app so: with the watch; with SIGHUP ending the command line (exit 129,
its ``finally`` blocks run) until the app puts up its own handler, even where the parent had it ignored;
and with :class:`SurvivingOutput` as the stream Textual's writer thread writes to, so that a write that
reaches the dead terminal first cannot leave the app blocked while it closes.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TextIO

STANDARD_STREAMS = (0, 1, 2)
GONE = select.POLLHUP | select.POLLERR | select.POLLNVAL  # what poll() reports with no event asked for
GRACE_SECONDS = 1.5  # how long the app may take to close once its terminal has gone, before the process ends
EXIT_CODE = 128 + signal.SIGHUP  # as a shell reports a death by SIGHUP, and as the app exits on one


def hang_up() -> None:
    """End this process's app as the terminal's hang-up would have: SIGHUP to this process."""
    os.kill(os.getpid(), signal.SIGHUP)


def give_up() -> None:
    """End this process now: the app did not close within the grace time after its terminal went."""
    os._exit(EXIT_CODE)


def release(fds: tuple[int, ...]) -> None:
    """Point ``fds`` at /dev/null: reads see the end, writes succeed and go nowhere."""
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.dup2(null, fd)
    finally:
        os.close(null)


class TerminalWatch:
    """Wait on a thread for this process's terminal to go away, then call ``on_gone`` once (see the module)."""

    def __init__(
        self,
        on_gone: Callable[[], None] = hang_up,
        *,
        fds: tuple[int, ...] = STANDARD_STREAMS,
        grace: float = GRACE_SECONDS,
        last_resort: Callable[[], None] = give_up,
    ) -> None:
        self.on_gone = on_gone
        self.grace = grace
        self.last_resort = last_resort
        self.fds = tuple(fd for fd in fds if _is_terminal(fd))
        self.gone: tuple[int, ...] = ()  # the streams found hung up, once they are
        self._thread: threading.Thread | None = None
        self._wake: tuple[int, int] | None = None  # a pipe: a byte written to it ends the watch

    def start(self) -> None:
        """Start watching (nothing to watch when no standard stream is a terminal)."""
        if not self.fds or self._thread is not None:
            return
        self._wake = os.pipe()
        self._thread = threading.Thread(target=self._run, name="facilitator-terminal-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (the app has closed); nothing is called after this returns."""
        thread, wake = self._thread, self._wake
        if thread is None or wake is None:
            return
        with contextlib.suppress(OSError):
            os.write(wake[1], b"x")
        thread.join()
        for fd in wake:
            os.close(fd)
        self._thread = self._wake = None

    def _run(self) -> None:
        assert self._wake is not None
        stop = self._wake[0]
        poller = select.poll()
        for fd in self.fds:
            poller.register(fd, 0)  # no event asked: only a hang-up or an error wakes it, never input
        poller.register(stop, select.POLLIN)
        ready = poller.poll()  # blocks; retried by Python on EINTR (PEP 475)
        if any(fd == stop for fd, _ in ready):
            return
        # Every standard stream on a dead terminal, not only those this poll() named.
        reported = {fd for fd, events in ready if events & GONE}
        self.gone = tuple(fd for fd in self.fds if fd in reported or _hung_up(fd))
        release(self.gone)
        self.on_gone()
        # The app closes in a fraction of a second. Should anything hold it up (Textual's writer thread, if a
        # write to the dead terminal stopped it before the release, leaves a queue that fills and blocks),
        # the process ends anyway: SQLite keeps every commit and rolls back a write it interrupts, and the
        # presence row of a process that no longer exists is not live (facilitator.team.presence).
        closed = select.poll()
        closed.register(stop, select.POLLIN)
        if not closed.poll(self.grace * 1000):
            self.last_resort()


def _is_terminal(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _hung_up(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, 0)
    return any(events & GONE for _, events in poller.poll(0))


class SurvivingOutput:
    """The terminal's output stream as the app's writer sees it: once a write fails (EIO: the terminal hung
    up; EPIPE), what follows is dropped instead of raised.

    Textual's writer thread writes every frame to ``sys.__stderr__`` (its driver takes no other stream) and
    stops at the first error; the app's next 30 writes then fill its queue and the 31st blocks the app for
    ever, closing included. A dead terminal makes that happen: the kernel, when the shell that led the
    terminal exits after the hang-up, sends the app SIGCONT with its SIGHUP, on which Textual starts its
    terminal mode again (a new writer thread, some twenty writes) while the app is closing; if the new
    writer's first write reaches the terminal before :func:`release` does, the app never ends (seen as a
    process idle for ever, its main thread in ``WriterThread.stop``).
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.failed = False

    def write(self, text: str) -> int:
        if not self.failed:
            try:
                return self.stream.write(text)
            except OSError:
                self.failed = True
        return len(text)

    def flush(self) -> None:
        if not self.failed:
            try:
                self.stream.flush()
            except OSError:
                self.failed = True

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)  # fileno, isatty, encoding, ...


def _exit_on_hang_up(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def watching_terminal(on_gone: Callable[[], None] = hang_up) -> Iterator[TerminalWatch]:
    """Run the body (the app) with its terminal watched and an output stream that survives the terminal
    (:class:`SurvivingOutput` as ``sys.__stderr__``); SIGHUP exits 129 until the app handles it itself."""
    previous = signal.signal(signal.SIGHUP, _exit_on_hang_up)
    stderr = sys.__stderr__
    if stderr is not None:  # typeshed calls sys.__stderr__ final; it is a plain attribute, as Textual reads it
        setattr(sys, "__stderr__", SurvivingOutput(stderr))  # noqa: B010
    watch = TerminalWatch(on_gone)
    watch.start()
    try:
        yield watch
    finally:
        watch.stop()
        setattr(sys, "__stderr__", stderr)  # noqa: B010
        with contextlib.suppress(ValueError, TypeError):
            signal.signal(signal.SIGHUP, previous)
