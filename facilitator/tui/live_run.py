"""The live-run client: an app's end of the run's database, shared by the lead's app and the room view.

It owns the database thread (:class:`~facilitator.live.session_thread.SessionThread`), and follows what other
processes commit: when the run's files are written (an inotify watch, facilitator.record.store_watch; every
``POLL_SECONDS`` where there is none) a look at the log's last event (microseconds, on the event loop), and
only when that moved, the new events folded on the database thread. What changed reaches the app as Textual
messages, posted in this order: :class:`LiveRun.AttendanceChanged` (who is
present, when it changed), :class:`LiveRun.ResultsChanged` (the counts of the answers to the questions at
hand, when one changed: facilitator.tui.results), :class:`LiveRun.GroupsChanged` (the breakout groups, when
they or who waits for one changed: facilitator.tui.groups_snapshot), :class:`LiveRun.SpeakingChanged` (the
tally of who speaks, when a turn or the step changed: facilitator.tui.speaking), then :class:`LiveRun.StateChanged`, so
whatever redraws on the state already sees the new counts; a database that refuses to be read says so with
:class:`LiveRun.StoreFailed`. It also holds this process's presence row (claimed, then kept alive with a
heartbeat, removed when the app closes) and posts :class:`LiveRun.PresenceChanged` when the team's live rows
change: read with each heartbeat, and with each poll that brought new events.

An idle app wakes for its one clock only (facilitator.tui.widgets.tick), which also beats the heartbeat and
runs the safety poll: the heartbeat takes the notifications of its own write on the database thread, under
the write lock (store_watch.take_published), so that write wakes nothing and asks for no later look.

A state comes with its ``last_seq``: an app shows a polled state only when it is newer than what it shows
(a command of its own may have shown a later one while the message waited in the queue).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from textual.app import App
from textual.message import Message

from facilitator.live.session import Session
from facilitator.live.session_thread import SessionThread
from facilitator.live.state import SessionState
from facilitator.problems import StoreError
from facilitator.record import heap, store_watch
from facilitator.record.clock import Clock
from facilitator.record.store_watch import FileWatch, LogProbe
from facilitator.team import presence
from facilitator.team.presence import Presence
from facilitator.tui.groups_snapshot import GroupsReader, GroupsSnapshot
from facilitator.tui.results import ResultsReader, ResultsSnapshot
from facilitator.tui.snapshot import AttendanceReader, AttendanceSnapshot
from facilitator.tui.speaking import SpeakingReader, SpeakingSnapshot
from facilitator.tui.widgets.tick import AppTick, in_background

T = TypeVar("T")
POLL_SECONDS = 0.05  # without a watch on the run's files: a commit of another process is seen within this long


class Reading(NamedTuple):
    """What the database thread read: the state, and a new attendance snapshot, new results of the questions
    at hand, new breakout groups and a new tally of who speaks if anything they show changed."""

    state: SessionState
    attendance: AttendanceSnapshot | None
    results: ResultsSnapshot | None = None
    groups: GroupsSnapshot | None = None
    speaking: SpeakingSnapshot | None = None


class Look(NamedTuple):
    """What a look on the database thread found: the connection's data_version, and, when new events came, the
    reading and (if the team was read before) the team's live rows."""

    version: int
    reading: Reading | None = None
    present: tuple[Presence, ...] | None = None


class LiveRun:
    """The database thread, the poll of the store and the presence heartbeat of one app."""

    class StateChanged(Message):
        """Other processes committed events: the state folded with them."""

        def __init__(self, state: SessionState) -> None:
            super().__init__()
            self.state = state

    class AttendanceChanged(Message):
        """Who is present changed: the new snapshot, read at the state's ``seq``."""

        def __init__(self, snapshot: AttendanceSnapshot, seq: int) -> None:
            super().__init__()
            self.snapshot = snapshot
            self.seq = seq

    class ResultsChanged(Message):
        """A count of the answers to the questions at hand changed: the new results, read at the state's ``seq``."""

        def __init__(self, results: ResultsSnapshot, seq: int) -> None:
            super().__init__()
            self.results = results
            self.seq = seq

    class SpeakingChanged(Message):
        """A turn was tallied or stopped, or the step changed: the new tally, read at the state's ``seq``."""

        def __init__(self, speaking: SpeakingSnapshot, seq: int) -> None:
            super().__init__()
            self.speaking = speaking
            self.seq = seq

    class GroupsChanged(Message):
        """The breakout groups, or who waits for one, changed: the new snapshot, read at the state's ``seq``."""

        def __init__(self, groups: GroupsSnapshot, seq: int) -> None:
            super().__init__()
            self.groups = groups
            self.seq = seq

    class PresenceChanged(Message):
        """The team's live presence rows (one per open process) as just read, oldest first."""

        def __init__(self, rows: tuple[Presence, ...]) -> None:
            super().__init__()
            self.rows = rows

    class StoreFailed(Message):
        """The poll could not read the store (a failing disk); it goes on polling."""

        def __init__(self, error: StoreError) -> None:
            super().__init__()
            self.error = error

    def __init__(
        self,
        db_path: Path,
        *,
        actor: str,
        clock: Clock,
        role: str,
        location: str | None = None,
        own_location_only: bool = False,
        poll_seconds: float = POLL_SECONDS,
        attendance: bool = True,
        revealed_results_only: bool = False,
        room: bool = False,
        read_only: bool = False,
        db: SessionThread | None = None,
    ) -> None:
        # ``db``: a database thread made for this very run, actor, clock, role and location, already opening it
        # (facilitator.cli: while the app's modules import).
        self.db = db or SessionThread(
            db_path,
            actor=actor,
            clock=clock,
            role=role,
            location=location,
            own_location_only=own_location_only,
            read_only=read_only,
        )
        self.db_path = db_path
        self._watch: FileWatch | None = None
        self._probe: LogProbe | None = None  # on the event loop: whether anything was appended since
        self._again = False  # a write was reported while a poll ran: poll once more when it ends
        self._follow_ups: list[asyncio.TimerHandle] = []
        self._beating = False  # the heartbeat is on the app's clock
        self._writes_watched: bool | None = None  # touched only on the database thread, once known
        self.clock = clock
        self.poll_seconds = poll_seconds
        # Touched only on the database thread: what the last attendance snapshot was computed from.
        self._attendance = AttendanceReader() if attendance else None
        # Touched only on the database thread too: the counts of the answers, of revealed questions only for
        # a process that shows the room (its screen never holds a hidden question's counts).
        self._results = ResultsReader(revealed_only=revealed_results_only)
        # And the breakout groups: for a process that shows the room, first names of the groups meeting only.
        self._groups = GroupsReader(room=room)
        self._speaking = SpeakingReader(room=room)  # the room: no name, and only once shown
        self._data_version: int | None = None
        # Touched only on the database thread: the state's last_seq when this app last read it. Any command
        # may fold other processes' events first (the calendar's upkeep does), so "refresh found nothing
        # new" does not mean the app has seen it.
        self._read_seq = -1
        self._polling = False
        self._app: App[Any] | None = None
        self.actor = actor
        self.role = role
        self.location = location
        self.presence: Presence | None = None  # this process's presence row, once claimed
        self._presence_clock: Clock | None = None
        self._present: tuple[Presence, ...] | None = None  # the team's live rows as last posted

    # -- the database thread -------------------------------------------------------------------------

    async def run_db(self, command: Callable[[Session], T]) -> T:
        """Run ``command`` on the database thread without blocking the event loop."""
        return await asyncio.wrap_future(self.db.submit(command))

    def read(self, session: Session) -> Reading:
        """On the database thread: the state, and the attendance snapshot, the questions' results, the
        breakout groups and the tally of who speaks if they changed since the last read."""
        reader = self._attendance
        self._read_seq = session.state.last_seq
        now = self.clock.now()
        attendance = reader.read(session, now) if reader is not None else None
        return Reading(
            session.state,
            attendance,
            self._results.read(session),
            self._groups.read(session),
            self._speaking.read(session, now),
        )

    # -- following the run ---------------------------------------------------------------------------

    def start(self, app: App[Any]) -> None:
        """Follow the run from now on, posting what changed to ``app``: when the run's files are written
        (facilitator.record.store_watch), with a slow poll beside it; where no watch can be had, every
        ``poll_seconds``."""
        self._app = app
        if self._attendance is not None and self._attendance.owed:
            app.call_later(self._complete_attendance)
        self._probe = store_watch.probe(self.db_path)
        self._watch = store_watch.watch(self.db_path)
        if self._watch is None:
            app.set_interval(self.poll_seconds, self.poll)
            return
        asyncio.get_running_loop().add_reader(self._watch.fileno(), self._written)
        # The slow poll rides on the app's one clock: no wake-up of its own.
        AppTick.of(app).add(self.poll, every=max(self.poll_seconds, store_watch.SAFETY_POLL_SECONDS))

    async def _complete_attendance(self) -> None:
        """The first snapshot left out what each person attended over the whole run: read it now, once the
        first frame is up (facilitator.tui.snapshot.AttendanceReader)."""
        reader = self._attendance
        if reader is None:
            return

        def complete(session: Session) -> tuple[AttendanceSnapshot | None, int]:
            snapshot = reader.complete(session, self.clock.now())
            heap.release()  # what summing every interval of the run made and let go of
            return snapshot, session.state.last_seq

        try:
            snapshot, seq = await self.run_db(complete)
        except StoreError as exc:
            if self._app is not None:
                self._app.post_message(self.StoreFailed(exc))
            return
        if snapshot is not None and self._app is not None:
            self._app.post_message(self.AttendanceChanged(snapshot, seq))

    def _written(self) -> None:
        """The run's files were written: look now, and again shortly after.

        A commit writes its WAL frames (the notification) before it publishes them in the shared index, so
        the look at once may come too early for that commit (store_watch.FOLLOW_UP_SECONDS). The looks are
        plain callbacks of the event loop: a look that finds nothing appended costs a probe, no task.
        """
        if self._watch is not None and self._app is not None and self._watch.written():
            self._notified()

    def _notified(self) -> None:
        for handle in self._follow_ups:
            handle.cancel()
        loop = asyncio.get_running_loop()
        self._look()
        self._follow_ups = [loop.call_later(delay, self._look) for delay in store_watch.FOLLOW_UP_SECONDS]

    def _look(self) -> None:
        """Poll, if the probe says the log grew (or a poll runs already: it looks once more when it ends)."""
        if self._app is None:
            return
        if self._polling:
            self._again = True
        elif self._probe is None or self._probe.moved():
            in_background(self._app, self.poll(probed=True))

    async def poll(self, *, probed: bool = False) -> None:
        """Fold in what other processes committed: a cheap look at the log's last event (unless ``probed``: the
        caller just found it moved), then the new events."""
        if self._app is None:
            return
        if self._polling:
            self._again = True
            return
        self._polling = True
        try:
            await self._poll_once(probed=probed)
            while self._again:  # written while the last look ran: it may have missed that commit
                self._again = False
                await self._poll_once()
        finally:
            self._polling = False

    async def _poll_once(self, *, probed: bool = False) -> None:
        if self._app is None:
            return
        if not probed and self._probe is not None and not self._probe.moved():
            return  # nothing appended anywhere: the database thread need not wake
        try:
            look = await self.run_db(self._check)
        except StoreError as exc:  # a failing disk: the app keeps showing the last state; poll again
            if self._app is not None:
                self._app.post_message(self.StoreFailed(exc))
            return
        self._show(look)

    def _check(self, session: Session) -> Look:
        """On the database thread: what other processes committed since the last look."""
        version = session.store.data_version()
        if version == self._data_version:
            return Look(version)
        session.refresh()
        if session.state.last_seq == self._read_seq:
            return Look(version)
        # New events often come with a process joining or leaving: look at the team now, not at the next
        # heartbeat.
        present = self._read_present(session) if self._present is not None else None
        return Look(version, self.read(session), present)

    def _show(self, look: Look) -> None:
        """Post what a look found to the app."""
        if self._app is None:  # closed while it looked
            return
        self._data_version = look.version
        reading = look.reading
        if reading is not None:
            seq = reading.state.last_seq
            if reading.attendance is not None:
                self._app.post_message(self.AttendanceChanged(reading.attendance, seq))
            if reading.results is not None:
                self._app.post_message(self.ResultsChanged(reading.results, seq))
            if reading.groups is not None:
                self._app.post_message(self.GroupsChanged(reading.groups, seq))
            if reading.speaking is not None:
                self._app.post_message(self.SpeakingChanged(reading.speaking, seq))
            self._app.post_message(self.StateChanged(reading.state))
        self._post_present(look.present)

    # -- presence ------------------------------------------------------------------------------------

    async def hold_presence(
        self, role: str, *, exclusive: bool, location: str | None = None, clock: Clock | None = None
    ) -> Presence:
        """Claim this process's presence row in ``role`` (again, if the command line claimed it already)
        and keep it alive; :class:`~facilitator.team.presence.LeadActive` when ``exclusive`` and taken."""
        held = self.presence
        connection = held.connection if held is not None else None
        self._presence_clock = clock

        def claim(session: Session) -> tuple[Presence, tuple[Presence, ...]]:
            row = presence.claim(
                session.store,
                actor=self.actor,
                role=role,
                exclusive=exclusive,
                connection=connection,
                location=location,
                clock=clock,
            )
            return row, self._read_present(session)

        try:
            row, present = await self.run_db(claim)
        except presence.LeadActive:
            self.presence = None
            raise
        self.keep_alive(row, clock=clock)
        self._post_present(present)
        return row

    def keep_alive(self, row: Presence, *, clock: Clock | None = None) -> None:
        """Hold ``row`` with a heartbeat every ``presence.HEARTBEAT_SECONDS``, on ``clock`` (real time by default)."""
        if self._app is None:  # closed while the row was being claimed: it goes stale within seconds
            return
        self.presence = row
        self._presence_clock = clock
        if not self._beating:  # claimed again: still one heartbeat
            self._beating = True
            AppTick.of(self._app).add(self.heartbeat, every=presence.HEARTBEAT_SECONDS)

    async def heartbeat(self) -> None:
        """Mark this process as seen, then read who else is (a process that went is noticed here).

        The watch is off the event loop meanwhile, and the database thread takes what it reported under the
        write lock once the row is written: this process's own write wakes nothing and asks for no follow-up
        look, and any other commit reported by then is published, so one look there sees it
        (store_watch.take_published).
        """
        row = self.presence
        if row is None or self._app is None:  # none held, or closed
            return
        clock = self._presence_clock
        watch = self._watch
        loop = asyncio.get_running_loop()
        if watch is not None:
            loop.remove_reader(watch.fileno())

        def beat(session: Session) -> tuple[tuple[Presence, ...], Look | None, bool]:
            with contextlib.suppress(StoreError):  # a full disk refuses the write; the team can still be read
                presence.heartbeat(session.store, row, clock=clock)
            look, owed = None, False
            if watch is not None and self._watches(session):
                try:
                    if store_watch.take_published(session.store, watch):
                        look = self._check(session)
                except StoreError:  # perhaps taken and not looked at: looked at as after any notification
                    owed = True
            return self._read_present(session), look, owed

        try:
            with contextlib.suppress(StoreError):  # busy for long: the next beat comes before the row goes stale
                rows, look, owed = await self.run_db(beat)
                if look is not None:
                    self._show(look)
                if owed:
                    self._notified()
                self._post_present(rows)
        finally:
            if watch is not None and watch is self._watch:  # not closed meanwhile
                loop.add_reader(watch.fileno(), self._written)

    def _watches(self, session: Session) -> bool:
        """Whether ``session`` writes the watched file: not a private copy of a run this user may only read."""
        if self._writes_watched is None:
            self._writes_watched = Path(session.store.path).resolve() == self.db_path.resolve()
        return self._writes_watched

    def _read_present(self, session: Session) -> tuple[Presence, ...]:
        return tuple(presence.present(session.store, clock=self._presence_clock))

    def _post_present(self, rows: tuple[Presence, ...] | None) -> None:
        if rows is not None and rows != self._present and self._app is not None:
            self._present = rows
            self._app.post_message(self.PresenceChanged(rows))

    async def close(self) -> None:
        """Leave the presence row (a clean exit) and close the database thread."""
        self._app = None  # no look from now on: a follow-up or the safety poll may still fire
        for handle in self._follow_ups:
            handle.cancel()
        if self._watch is not None:
            asyncio.get_running_loop().remove_reader(self._watch.fileno())
            self._watch.close()
            self._watch = None
        if self._probe is not None:
            self._probe.close()
            self._probe = None
        row = self.presence
        if row is not None:
            with contextlib.suppress(StoreError):  # busy at exit: the row goes stale within seconds
                await self.run_db(lambda s: presence.leave(s.store, row.connection))
        await asyncio.get_running_loop().run_in_executor(None, self.db.close)
