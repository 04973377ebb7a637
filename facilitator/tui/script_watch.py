"""Live reload in the app: the workshop's files checked every second, an edit recorded as a new programme.

The files are read off the event loop (the YAML loader takes a while on a slow machine) and the reload is
recorded on the database thread (facilitator.live.reload); what it gave goes to ``shown``, which the app
turns into the new state, the script's problems or a notice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App

from facilitator.live.session import Session
from facilitator.live.state import SessionState
from facilitator.tui.live import live_app

if TYPE_CHECKING:
    from facilitator.live.reload import Reload, SourceWatcher

RELOAD_SECONDS = 1.0  # how often the workshop's files are checked for edits


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

    async def start(self, source: Path) -> None:
        from facilitator.live.reload import SourceWatcher

        self._watcher = await asyncio.to_thread(SourceWatcher, source)
        self.app.set_interval(self.every, self.check)

    async def check(self) -> None:
        """Reload the script when its files changed: read them off the event loop, record on the db thread."""
        watcher = self._watcher
        if watcher is None or self._checking:
            return
        self._checking = True
        from facilitator.live.reload import apply_check

        try:
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
        self.shown(result, state, watcher.source)
