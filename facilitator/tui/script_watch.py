"""Live reload in the app: an edit of the workshop's files recorded as a new programme.

An inotify watch on the script's folders (facilitator.record.store_watch) says when a file there was
written, and a look then compares sizes and times (a few ``stat`` calls on the event loop); with no watch
(another system) that look runs every second instead. The files are read off the event loop (the YAML
loader takes a while on a slow machine) and the reload is recorded on the database thread
(facilitator.live.reload); what it gave goes to ``shown``, which the app turns into the new state, the
script's problems or a notice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App

from facilitator.live.session import Session
from facilitator.live.state import SessionState
from facilitator.record import store_watch
from facilitator.record.store_watch import FileWatch
from facilitator.tui.live import live_app

if TYPE_CHECKING:
    from facilitator.live.reload import Reload, SourceWatcher

RELOAD_SECONDS = 1.0  # without a watch on the workshop's folders: how often its files are checked for edits
SAFETY_CHECK_SECONDS = 5.0  # with one: a check now and then all the same


class ScriptWatch:
    """Watch ``source`` from ``app`` every ``every`` seconds; hand each reload's result to ``shown``."""

    def __init__(
        self,
        app: App[Any],
        shown: Callable[[Reload, SessionState, Path], None],
        failed: Callable[[str], None],
        every: float = RELOAD_SECONDS,
    ) -> None:
        self.app: App[Any] = app
        self.shown = shown
        self.failed = failed
        self.every = every
        self._watcher: SourceWatcher | None = None
        self._checking = False
        self._again = False
        self._watch: FileWatch | None = None
        self._folders: frozenset[Path] = frozenset()

    async def start(self, source: Path) -> None:
        from facilitator.live.reload import SourceWatcher

        self._watcher = await asyncio.to_thread(SourceWatcher, source)
        self._rewatch()
        # With a watch on the folders, the timer is only a safety net (a network share reports no writes).
        every = self.every if self._watch is None else max(self.every, SAFETY_CHECK_SECONDS)
        self.app.set_interval(every, self.check)

    def _rewatch(self) -> None:
        """Watch the folders the script is read from now (a reload may have added one)."""
        watcher = self._watcher
        if watcher is None or watcher.folders() == self._folders:
            return
        self._folders = watcher.folders()
        loop = asyncio.get_running_loop()
        if self._watch is not None:
            loop.remove_reader(self._watch.fileno())
            self._watch.close()
        self._watch = store_watch.watch_folders(self._folders)
        if self._watch is not None:
            loop.add_reader(self._watch.fileno(), self._written)

    def _written(self) -> None:
        if self._watch is not None and self._watch.written():
            self.app.call_later(self.check)

    def close(self) -> None:
        if self._watch is not None:
            asyncio.get_running_loop().remove_reader(self._watch.fileno())
            self._watch.close()
            self._watch = None

    async def check(self) -> None:
        """Reload the script when its files changed: read them off the event loop, record on the db thread."""
        watcher = self._watcher
        if watcher is None:
            return
        if self._checking:
            self._again = True  # written while it loaded: look once more when it is done
            return
        self._checking = True
        from facilitator.live.reload import apply_check

        try:
            if not watcher.may_have_changed():
                return
            checked = await asyncio.to_thread(watcher.check)
            if not checked.changed:
                return

            def record(session: Session) -> tuple[Reload, SessionState]:
                return apply_check(session, checked), session.state

            result, state = await live_app(self.app).run_db(record)
        except Exception as exc:  # a reload must never take the running session down with it
            self.failed(f"{watcher.source}: could not reload the script: {exc}")
            return
        finally:
            self._checking = False
            self._rewatch()
            if self._again:
                self._again = False
                self.app.call_later(self.check)
        self.shown(result, state, watcher.source)
