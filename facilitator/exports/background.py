"""Long reads of the log done on threads of their own, so that SQLite works on them while the tables are written.

Python's sqlite3 module lets go of the interpreter while SQLite steps through a statement, so a thread that
mostly waits on SQLite (grouping the check-ins, building the event log's lines) runs beside the thread that
lays out the tables, on another core. Each thread has a connection of its own (``Snapshot.sibling``), reads
only the snapshot's events, and hands back what it read, or the exception it met, to the thread that started
it. Closing stops it: SQLite's statement is interrupted and the thread is waited for.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any

_DONE = object()
_WAIT_S = 0.1  # how often a blocked producer looks whether it was stopped


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


Query = Callable[[sqlite3.Connection], tuple[str, Sequence[Any]]]  # the statement to run, made on the thread
# Rows a batch at a time, made on the thread (a generator, closed when the reading stops).
Batches = Callable[[sqlite3.Connection], Generator[list[tuple[Any, ...]], None, None]]


class Rows:
    """The rows of ``query``'s statement on ``conn``, fetched on a thread of its own a few at a time, or the rows
    ``batches`` makes there a batch at a time; iterate once.

    The thread needs the interpreter back after each of SQLite's steps, and waits for it while the reading
    thread runs Python (up to the switch interval): a row per step makes that wait once per row, a batch that
    SQLite puts together in one step once per batch. ``depth``: how many rows, or batches, wait at most.
    """

    def __init__(
        self, conn: sqlite3.Connection, query: Query | None = None, *, batches: Batches | None = None, depth: int = 8
    ) -> None:
        if query is not None and batches is None:
            batches = _one_by_one(query)
        elif batches is None or query is not None:
            raise ValueError("give a query or batches: one of them")
        self.conn = conn
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(batches,), name="export-rows", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_WAIT_S)
            except queue.Full:
                continue
            return True
        return False

    def _run(self, work: Batches) -> None:
        try:
            made = work(self.conn)
            try:
                for batch in made:
                    if not self._put(batch):
                        return
            finally:
                made.close()
        except BaseException as exc:  # handed to the reading thread, which raises it
            self._put(_Failed(exc))
            return
        self._put(_DONE)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield from item

    def close(self) -> None:
        stop(self._stop, self.conn, self._thread)


def _one_by_one(query: Query) -> Batches:
    """The rows of ``query``'s statement, each a batch of its own."""

    def rows(conn: sqlite3.Connection) -> Generator[list[tuple[Any, ...]], None, None]:
        cursor = conn.execute(*query(conn))
        try:
            for row in cursor:
                yield [row]
        finally:
            cursor.close()

    return rows


class Task:
    """``work(stopped)`` on a thread of its own; :meth:`result` waits for it and gives its value or raises."""

    def __init__(self, conn: sqlite3.Connection, work: Callable[[threading.Event], Any], *, name: str) -> None:
        self.conn = conn
        self._stop = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), name=name, daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[threading.Event], Any]) -> None:
        try:
            self._value = work(self._stop)
        except BaseException as exc:  # raised again by result(), in the thread that waits
            self._error = exc

    def wait(self, seconds: float) -> bool:
        """Whether the work is over, waiting at most ``seconds``."""
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def result(self) -> Any:
        self._thread.join()
        self.conn.close()
        if self._error is not None:
            raise self._error
        return self._value

    def close(self) -> None:
        stop(self._stop, self.conn, self._thread)


def stop(flag: threading.Event, conn: sqlite3.Connection, thread: threading.Thread) -> None:
    """Stop a thread's work: tell it, interrupt its statement, wait for it, close its connection."""
    flag.set()
    if thread.is_alive():
        with contextlib.suppress(sqlite3.ProgrammingError):  # closed already
            conn.interrupt()
        thread.join()
    with contextlib.suppress(sqlite3.ProgrammingError):
        conn.close()
