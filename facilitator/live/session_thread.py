"""Run a :class:`Session` on one dedicated thread, so a UI's event loop never waits on SQLite.

The connection is opened on that thread and used only there, as sqlite3 expects.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from facilitator.live.session import Session
from facilitator.record.clock import Clock
from facilitator.record.store import Store
from facilitator.team.roles import LEAD

T = TypeVar("T")


class SessionThread:
    def __init__(
        self,
        db_path: Path,
        *,
        actor: str,
        clock: Clock | None = None,
        role: str = LEAD,
        location: str | None = None,
        own_location_only: bool = False,
        read_only: bool = False,
    ) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="facilitator-db")
        self._session: Session | None = None
        self._db_path = db_path
        self._actor = actor
        self._clock = clock
        self._role = role
        self._location = location
        self._own_location_only = own_location_only
        self._read_only = read_only
        self._closed = False

    def _open(self) -> Session:
        if self._session is None:
            store = Store.open(self._db_path, clock=self._clock, read_only=self._read_only)
            self._session = Session(
                store,
                actor=self._actor,
                role=self._role,
                location=self._location,
                own_location_only=self._own_location_only,
            )
        return self._session

    def open_now(self) -> None:
        """Open the run and fold it on the database thread from now on, while the caller goes on (a long run's
        checkpoint is read meanwhile). A run that cannot be opened is not reported here: the first command
        opens it again and raises what that raises."""
        self._executor.submit(self._open)

    def submit(self, command: Callable[[Session], T]) -> Future[T]:
        """Run ``command(session)`` on the database thread."""
        return self._executor.submit(lambda: command(self._open()))

    def close(self) -> None:
        """Close the run and end the thread; again, nothing."""
        if self._closed:
            return
        self._closed = True

        def _close() -> None:
            if self._session is not None:
                self._session.store.close()
                self._session = None

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)
