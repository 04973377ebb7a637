"""The app's one clock: a single one-second timer for everything that runs on time.

Each timer of its own wakes an idle terminal at its own moment of the second (the room view had five, the
lead's screen, heartbeat and safety poll three more), and each wake-up costs far more than the little work it
does (issue 25). Here every widget that shows the time ticks, and the live-run client's heartbeat and safety
poll and the calendar's upkeep run, in one wake-up of the event loop, and what changed goes out in one frame.

A callback bound to a screen runs only while that screen is on top: Textual turns a repaint of a screen
underneath into a repaint of the whole top screen, every second, some 9 KB a time down an SSH link that may
carry less. The first tick once it is on top again catches up. A callback that returns an awaitable (one that
reads the database) runs as a task of its own, so a slow read never holds the clock up; it is not started
again while the last one still runs, as a timer of its own would not have been.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any, ClassVar, TypeVar

from textual.app import App, ScreenError
from textual.screen import Screen

T = TypeVar("T")
SECONDS = 1.0


@dataclass(eq=False)
class _Entry:
    callback: Callable[[], object]
    every: int  # in ticks
    screen: weakref.ref[Screen[Any]] | None
    running: asyncio.Future[object] | None = field(default=None)

    def finished(self, _: asyncio.Future[object]) -> None:
        self.running = None


class AppTick:
    """One timer per app, ticking every :data:`SECONDS`; :meth:`of` finds or starts the app's."""

    _by_app: ClassVar[weakref.WeakKeyDictionary[App[Any], AppTick]] = weakref.WeakKeyDictionary()

    def __init__(self, app: App[Any]) -> None:
        self._app = weakref.ref(app)  # not the app itself: it keys the dictionary this lives in
        self._entries: list[_Entry] = []
        self._count = 0
        app.set_interval(SECONDS, self.tick, name="app tick")

    @classmethod
    def of(cls, app: App[Any]) -> AppTick:
        found = cls._by_app.get(app)
        if found is None:
            found = cls._by_app[app] = cls(app)
        return found

    def add(self, callback: Callable[[], object], *, every: float = SECONDS, screen: Screen[Any] | None = None) -> None:
        """Call ``callback`` every ``every`` seconds (rounded to whole ticks), only while ``screen`` (if given)
        is on top."""
        ticks = max(round(every / SECONDS), 1)
        if any(entry.callback == callback for entry in self._entries):
            return  # added again (mounted again): still once a turn
        self._entries.append(_Entry(callback, ticks, weakref.ref(screen) if screen is not None else None))

    def discard(self, callback: Callable[[], object]) -> None:
        self._entries = [entry for entry in self._entries if entry.callback != callback]

    def tick(self) -> None:
        app = self._app()
        if app is None:
            return
        self._count += 1
        try:
            top: Screen[Any] | None = app.screen
        except ScreenError:  # closing: no screen left
            top = None
        for entry in list(self._entries):
            if self._count % entry.every:
                continue
            if entry.screen is not None and entry.screen() is not top:
                continue
            if entry.running is not None:
                continue  # still reading since its last turn
            result = entry.callback()
            if isawaitable(result):
                entry.running = in_background(app, result)
                entry.running.add_done_callback(entry.finished)


_running: set[asyncio.Future[Any]] = set()  # a task the event loop holds only weakly must be held somewhere


def in_background(app: App[Any], awaitable: Awaitable[T]) -> asyncio.Future[T]:
    """Run ``awaitable`` as a task of its own, without a Textual worker's messages; an error in it goes to the
    app's crash handling, as one in a timer or a message handler does, not to a warning nobody reads."""
    task = asyncio.ensure_future(awaitable)
    _running.add(task)

    def done(task: asyncio.Future[T]) -> None:
        _running.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            app.call_later(_raise, error)

    task.add_done_callback(done)
    return task


def _raise(error: BaseException) -> None:
    raise error
