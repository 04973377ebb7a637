"""The lead facilitator's app. The database lives on its own thread; the app holds the folded state.

Every command runs on the database thread, commits, and only then hands the new state back, so what
the screen shows has always been written. Other processes' changes arrive from the live-run client
(:class:`~facilitator.tui.live_run.LiveRun`, which polls ``data_version``) as messages.

This is the one module that knows the screens: it composes them, passes each what it needs (the forms a
screen opens, the help screen's list of keys) and imports them lazily, for start-up time. Screens and
widgets see the app through :class:`~facilitator.tui.live.LiveApp`, never this class.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual.app import SystemCommand
from textual.binding import BindingType, Keymap
from textual.reactive import var
from textual.screen import ModalScreen, Screen

from facilitator.config import Config
from facilitator.live.session import Session
from facilitator.live.state import SessionState
from facilitator.problems import InputError, StoreError
from facilitator.record.clock import Clock, SystemClock, default_clock
from facilitator.team import presence
from facilitator.team.presence import Presence
from facilitator.team.roles import DEFAULT_TAKEOVER_AFTER, LEAD, OBSERVER, drives
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.crash import CrashReportingApp
from facilitator.tui.keys import normalize_keymap
from facilitator.tui.live_run import POLL_SECONDS, LiveRun, Reading
from facilitator.tui.palette import FILE_ACTIONS, open_palette, without_file_writes
from facilitator.tui.snapshot import AttendanceSnapshot, PersonRow

if TYPE_CHECKING:
    from facilitator.live.reload import Reload, SourceWatcher
    from facilitator.tui.live import LiveApp
    from facilitator.tui.screens.requests import RequestWatch

T = TypeVar("T")
# What only the driver may do (the keys n, p, space, +, -, [, ], g, d), and what else observers may not.
DRIVER_ACTIONS = frozenset({"next_step", "previous_step", "toggle_pause", "adjust", "jump", "change_day"})
TEAM_WRITES = frozenset({"log_reflection", "ask_control", "hand_control", "take_control", "send_note"})
RELOAD_SECONDS = 1.0  # how often the workshop's files are checked for edits
CALENDAR_SECONDS = 5.0  # how often a day left open, or a new day dated today, is looked for


class FacilitatorApp(CrashReportingApp):
    CSS_PATH = "facilitator.tcss"
    TITLE = "facilitator"
    # Textual declares these as plain class attributes, so they cannot be ClassVar here.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = list(bindings.MAIN)

    state: var[SessionState] = var(SessionState, init=False, always_update=True)
    # Problems of a script that failed to reload, one line each; empty while the files are valid.
    script_problems: var[tuple[str, ...]] = var(tuple, init=False)
    # Who is present where, kept current next to ``state``; None until the first read (or without a programme).
    attendance: var[AttendanceSnapshot | None] = var(None, init=False)

    def __init__(
        self,
        *,
        db_path: Path,
        actor: str,
        clock: Clock | None = None,
        config: Config | None = None,
        poll_seconds: float = POLL_SECONDS,
        reload_seconds: float = RELOAD_SECONDS,
        lead: Presence | None = None,
        role: str = LEAD,
        location: str | None = None,
        own_location_only: bool = False,
        takeover_after: timedelta = DEFAULT_TAKEOVER_AFTER,
        address: str | None = None,
        presence_clock: Clock | None = None,
    ) -> None:
        super().__init__(crash_beside=db_path)
        self.clock = clock or default_clock()
        self.config = config or Config()
        self.actor = actor
        # The team: this process's role, and what it has shown of the team's events (facilitator.tui.team_notices).
        self.role = role
        self.location = location
        self.takeover_after = takeover_after
        self.address = address  # where this person connects from ($SSH_CONNECTION), recorded when joining
        # Heartbeats are real time, even in a rehearsal whose clock runs faster (facilitator.record.clock.ScaledClock).
        self.presence_clock = presence_clock or SystemClock()
        self._notes_seen = 0
        # The database thread, the poll of what other processes commit, and this process's presence row.
        self.live = LiveRun(
            db_path,
            actor=actor,
            clock=self.clock,
            role=role,
            location=location,
            own_location_only=own_location_only,
            poll_seconds=poll_seconds,
        )
        self.live.presence = lead  # claimed by the command line (or on mount)
        self.db = self.live.db
        self._attendance_seq = -1  # the state's last_seq when the attendance shown was read
        self.commands_in_flight = 0
        self.store_fault: str | None = None  # the database's last refusal, shown until a command succeeds
        self.reload_seconds = reload_seconds
        self._watcher: SourceWatcher | None = None
        self._reloading = False
        self.qr_location: str | None = None  # the location the QR screen showed last, which q opens again
        self.join_requests: RequestWatch | None = None
        # The keymap as Textual applies it, kept here for what shows keys (help, key bars) and looks them up.
        self.keymap: Mapping[str, str] = {}
        if self.config.keys:
            self.set_keymap(self.config.keys)

    def set_keymap(self, keymap: Keymap) -> None:
        self.keymap = normalize_keymap(keymap)
        super().set_keymap(keymap)

    def update_keymap(self, keymap: Keymap) -> None:
        self.keymap = {**self.keymap, **normalize_keymap(keymap)}
        super().update_keymap(keymap)

    # -- the database thread and what it reads ------------------------------------------------------

    async def run_db(self, command: Callable[[Session], T]) -> T:
        """Run ``command`` on the database thread without blocking the screen."""
        return await self.live.run_db(command)

    def _show(self, reading: Reading) -> None:
        state, attendance = reading
        if attendance is not None:  # first: whatever redraws on the state sees the new counts
            self._show_attendance(attendance, state.last_seq)
        previous = self.state
        self.state = state
        self._team_changed(previous, state)

    def _show_attendance(self, snapshot: AttendanceSnapshot, seq: int) -> None:
        self.attendance = snapshot
        self._attendance_seq = seq

    def on_live_run_attendance_changed(self, message: LiveRun.AttendanceChanged) -> None:
        if message.seq >= self._attendance_seq:  # not one a command of this app has already bettered
            self._show_attendance(message.snapshot, message.seq)

    def on_live_run_state_changed(self, message: LiveRun.StateChanged) -> None:
        if message.state.last_seq > self.state.last_seq:  # not one a command of this app has already bettered
            self._show(Reading(message.state, None))

    def on_live_run_store_failed(self, message: LiveRun.StoreFailed) -> None:
        """The poll could not read: keep showing the last state, say so once; the poll goes on."""
        if str(message.error) != self.store_fault:
            self.show_store_error(message.error)

    async def attempt(self, command: Callable[[Session], T]) -> T:
        """Run a session command and show the state it committed; its InputError is raised to the caller."""

        def run_and_read(session: Session) -> tuple[T, Reading]:
            try:
                result = command(session)
            finally:
                reading = self.live.read(session)
            return result, reading

        self.commands_in_flight += 1
        try:
            result, reading = await self.run_db(run_and_read)
            self._show(reading)
            self._store_recovered()
            return result
        finally:
            self.commands_in_flight -= 1

    async def command(self, command: Callable[[Session], object]) -> None:
        """Run a session command; show the state it committed, or its error as a notification."""
        try:
            await self.attempt(command)
        except InputError as exc:
            self.notify("\n".join(exc.lines()), severity="error", markup=False)
        except StoreError as exc:
            self.show_store_error(exc)

    def show_store_error(self, exc: StoreError) -> None:
        """Say plainly that the database refused (a full or read-only disk): the screen keeps what it showed."""
        self.store_fault = str(exc)
        self.notify(printable(str(exc)), title="Not saved", severity="error", markup=False, timeout=15)

    def _store_recovered(self) -> None:
        if self.store_fault is not None:
            self.store_fault = None
            self.notify("Saving works again.", timeout=5)

    # -- life cycle ----------------------------------------------------------------------------------

    async def on_mount(self) -> None:
        from facilitator.tui.screens.lead import LeadScreen

        reading = await self.run_db(self._join)
        state = reading.state
        self._notes_seen = state.last_seq  # notes sent before this process opened are not popped up again
        programme = state.programme
        if programme is not None:
            self.title = printable(programme.workshop.title)
            self.sub_title = printable(programme.workshop.organiser)
        self._show(reading)
        await self.push_screen(LeadScreen())
        gc.freeze()  # what start-up built lives as long as the app: later collections need not walk it
        if state.visits:
            self._announce_resume(state)
        self.live.start(self)
        # Not awaited either: the first frame shows the run as it is; a day opened or closed follows at once.
        self.run_worker(self._keep_calendar(), group="calendar")
        self.set_interval(CALENDAR_SECONDS, self._keep_calendar)
        from facilitator.tui.screens.requests import watch_join_requests

        self.join_requests = watch_join_requests(self)
        # Not awaited: the first frame does not wait for the presence write.
        self.run_worker(self._start_presence_and_reload(state), group="presence")

    def _join(self, session: Session) -> Reading:
        """On the database thread: record that this person joined (as lead, co or observer), then read the run."""
        if session.state.programme is not None:
            session.announce(address=self.address)
        return self.live.read(session)

    def _announce_resume(self, state: SessionState) -> None:
        current = state.current
        where = f"{current.step.title} ({state.day:%a %d %b})" if current and state.day else "the day's agenda"
        paused = " The timer is paused, as it was left." if state.timer and state.timer.paused else ""
        self.notify(f"Session resumed at {printable(where)}.{paused}", title="Resumed", markup=False, timeout=8)

    async def on_unmount(self) -> None:
        await self.live.close()

    # -- the calendar: days that end and the day dated today ------------------------------------------

    async def _keep_calendar(self) -> None:
        """Write down the end of any day left open, and, driving, open the day dated today (facilitator.live.days).

        Run at start and every few seconds, so the workshop's midnight passing is noticed while the app runs.
        """

        def upkeep(session: Session) -> Reading | None:
            changed = bool(session.close_overdue_days())
            if session.role != OBSERVER and session.open_today() is not None:
                changed = True
            return self.live.read(session) if changed else None

        try:
            result = await self.run_db(upkeep)
        except (InputError, StoreError):  # not driving after all, or a failing disk: the next round tries again
            return
        if result is not None:
            self._show(result)

    # -- presence and live reload --------------------------------------------------------------------

    async def _start_presence_and_reload(self, state: SessionState) -> None:
        """Hold the lead's place with a heartbeat, and watch the workshop's files for edits."""
        held = self.live.presence
        connection = held.connection if held else None
        try:
            row = await self.run_db(
                lambda s: presence.claim(
                    s.store,
                    actor=self.actor,
                    role=self.role,
                    exclusive=self.role == LEAD,
                    connection=connection,
                    location=self.location,
                    clock=self.presence_clock,
                )
            )
        except presence.LeadActive as exc:
            self.live.presence = None
            self.exit(return_code=2, message="\n".join(exc.lines()))
            return
        self.live.keep_alive(row, clock=self.presence_clock)
        if state.source:
            # Watching needs the YAML loader; set it up after the first frame so start-up does not wait.
            self.call_after_refresh(self._start_watching, Path(state.source))

    async def _start_watching(self, source: Path) -> None:
        from facilitator.live.reload import SourceWatcher

        self._watcher = await asyncio.to_thread(SourceWatcher, source)
        self.set_interval(self.reload_seconds, self._check_source)

    async def _check_source(self) -> None:
        """Reload the script when its files changed: read them off the event loop, record on the db thread."""
        watcher = self._watcher
        if watcher is None or self._reloading:
            return
        self._reloading = True
        from facilitator.live.reload import apply_check

        try:
            checked = await asyncio.to_thread(watcher.check)
            if not checked.changed:
                return

            def record(session: Session) -> tuple[Reload, SessionState]:
                return apply_check(session, checked), session.state

            result, state = await self.run_db(record)
        except Exception as exc:  # a reload must never take the running session down with it
            self.script_problems = (f"{watcher.source}: could not reload the script: {exc}",)
            return
        finally:
            self._reloading = False
        self._show_reload(result, state, watcher.source)

    def _show_reload(self, result: Reload, state: SessionState, source: Path) -> None:
        from facilitator.live.reload import Status

        self.script_problems = result.problems
        if result.status is Status.MISSING:
            self.notify(f"{source} is gone; the script stays as it was last loaded.", markup=False, timeout=6)
        elif result.status is Status.LOADED:
            self.state = state
            if state.programme is not None:
                self.title = printable(state.programme.workshop.title)
                self.sub_title = printable(state.programme.workshop.organiser)
            self.notify("Script reloaded.", timeout=3)

    # -- actions -------------------------------------------------------------------------------------

    async def action_next_step(self) -> None:
        await self.stepping(lambda confirmed: lambda s: s.next_step(confirmed=confirmed))

    async def action_previous_step(self) -> None:
        await self.stepping(lambda confirmed: lambda s: s.previous_step(confirmed=confirmed))

    async def stepping(self, make: Callable[[bool], Callable[[Session], object]]) -> None:
        """Run a command that enters a step; when that would reopen a closed day or carry a day over to
        another date, ask the driver first (facilitator.live.days.reopening) and run it again if they say yes."""
        from facilitator.live.session import NeedsConfirmation
        from facilitator.tui.modals.choice import YES, Choice

        try:
            await self.attempt(make(False))
        except NeedsConfirmation as exc:

            def answered(answer: str | None) -> None:
                if answer == YES:
                    self.run_worker(self.command(make(True)), exclusive=True, group="step")

            self.push_screen(Choice("Go back to an earlier day?", str(exc), "enter the step"), answered)
        except InputError as exc:
            self.notify("\n".join(exc.lines()), severity="error", markup=False)
        except StoreError as exc:
            self.show_store_error(exc)

    async def action_toggle_pause(self) -> None:
        await self.command(lambda s: s.resume() if s.state.timer and s.state.timer.paused else s.pause())

    async def action_adjust(self, seconds: int) -> None:
        await self.command(lambda s: s.adjust(timedelta(seconds=seconds)))

    def jump_to(self, day: str, exercise: str, step: str) -> None:
        on = date.fromisoformat(day)

        def make(confirmed: bool) -> Callable[[Session], object]:
            return lambda s: s.enter_step(exercise, step, on=on, confirmed=confirmed)

        self.run_worker(self.stepping(make), exclusive=True, group="jump")

    def action_jump(self) -> None:
        from facilitator.tui.modals.pickers import JumpScreen

        self.push_screen(JumpScreen())

    def action_change_day(self) -> None:
        from facilitator.tui.modals.pickers import DayScreen

        self.push_screen(DayScreen())

    def open_day(self, on: date) -> None:
        self.run_worker(self.command(lambda s: s.open_day(on)), exclusive=True, group="day")

    def close_day(self) -> None:
        self.run_worker(self.command(Session.close_day), exclusive=True, group="day")

    async def action_quit(self) -> None:
        """Leave the app; the driver leaving after the day's last step is offered to close the day first."""
        state = self.state
        timeline = state.day_timeline()
        last = bool(timeline) and state.current is not None and state.current == timeline[-1]
        if not (self.driving and last and state.day not in state.closed):
            self.exit()
            return
        from facilitator.tui.modals.choice import NO, YES, Choice

        async def close_and_quit() -> None:
            await self.command(Session.close_day)
            self.exit()

        def answered(answer: str | None) -> None:
            if answer == YES:
                self.run_worker(close_and_quit(), exclusive=True, group="day")
            elif answer == NO:
                self.exit()

        text = (
            "This is the day's last step. Close the day now, so its record ends here? Left open, it is closed "
            "later at the end its pace forecast gave at your last action."
        )
        self.push_screen(Choice("Close the day?", text, "close the day and quit", "quit, leave it open"), answered)

    def action_log_reflection(self) -> None:
        from facilitator.tui.modals.reflection_form import ReflectionForm

        self.push_screen(ReflectionForm())

    def action_show_reflections(self) -> None:
        from facilitator.tui.modals.reflection_form import ReflectionForm
        from facilitator.tui.screens.reflections import ReflectionsScreen

        self.push_screen(ReflectionsScreen(edit_form=lambda reflection: ReflectionForm(editing=reflection)))

    def action_toggle_bell(self) -> None:
        self.config = self.config.model_copy(update={"bell": not self.config.bell})
        self.notify("Bell on at zero" if self.config.bell else "Bell off", timeout=3)

    def action_attendance(self) -> None:
        from facilitator.tui.screens.attendance import AttendanceScreen

        if not isinstance(self.screen, AttendanceScreen):
            self.push_screen(AttendanceScreen(participant_form=self._participant_form))

    @staticmethod
    def _participant_form(editing: PersonRow | None, location: str | None) -> ModalScreen[str | None]:
        from facilitator.tui.modals.participant_form import ParticipantForm

        return ParticipantForm(editing=editing, location=location)

    def action_show_qr(self) -> None:
        from facilitator.tui.screens.qr import QrScreen

        def closed(location: str | None) -> None:
            self.qr_location = location or self.qr_location

        if not isinstance(self.screen, QrScreen):
            self.push_screen(QrScreen(self.qr_location), closed)

    def action_join_requests(self) -> None:
        from facilitator.tui.screens.requests import RequestsScreen

        if not isinstance(self.screen, RequestsScreen):
            self.push_screen(RequestsScreen())

    # -- the team: control, notes, presence (facilitator.team.roles) --------------------------------------

    @property
    def driving(self) -> bool:
        return drives(self.state.driver, self.actor, self.role)

    @property
    def saves_files(self) -> bool:
        """Whether this role may write files (a screenshot): the lead only, at the host's own terminal.

        Co-facilitators and observers log in, often over SSH with a forced command, to an account that is
        not theirs: what they see must not land in its files.
        """
        return self.role == LEAD

    def crash_about(self) -> str:
        return f"{type(self).__name__} ({self.role})"

    def refusal(self, action: str) -> str | None:
        """Why this process's role may not run ``action`` now (the key then only says so); None if it may."""
        if action in FILE_ACTIONS and not self.saves_files:
            return "only the lead's terminal saves screenshots"
        if self.role == OBSERVER and action in DRIVER_ACTIONS | TEAM_WRITES:
            return "observers only look: you cannot change the session"
        driver = printable(self.state.driver or "the lead")
        if action in DRIVER_ACTIONS and not self.driving:
            return f"{driver} is driving: press c to ask for control"
        if action == "hand_control" and not self.driving:
            return f"only the driver hands control; {driver} is driving"
        if action in ("ask_control", "take_control", "send_note") and self.driving:
            return "you are driving" + ("" if action == "send_note" else " already")
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys this role may not use now are left out of the footer (and say why when pressed)."""
        return self.refusal(action) is None

    def _team_changed(self, old: SessionState, new: SessionState) -> None:
        from facilitator.tui.team_notices import day_notices, team_notices

        notices = team_notices(old, new, me=self.actor, role=self.role, notes_after=self._notes_seen)
        for notice in [*day_notices(old, new), *notices]:
            self.notify(notice.text, title=notice.title, severity=notice.severity, markup=False, timeout=8)  # type: ignore[arg-type]
        self._notes_seen = max(self._notes_seen, new.last_seq)
        if (old.driver, old.control_requests) != (new.driver, new.control_requests):
            self.refresh_bindings()  # the footer follows the driver's seat

    async def action_ask_control(self) -> None:
        asked = await self._team_command(Session.request_control)
        if asked is not None:
            self.notify(f"Asked {printable(self.state.driver or 'the lead')} for control.", markup=False, timeout=4)

    def action_hand_control(self) -> None:
        from facilitator.tui.modals.control_picker import ControlPicker

        if not isinstance(self.screen, ControlPicker):
            self.push_screen(ControlPicker())

    def hand_control_to(self, name: str) -> None:
        self.run_worker(self._team_command(lambda s: s.hand_control(name)), group="control")

    def decline_control(self, name: str) -> None:
        async def decline() -> None:
            if await self._team_command(lambda s: s.decline_control(name)) is not None:
                self.notify(f"Declined {printable(name)}'s request for control.", markup=False, timeout=4)

        self.run_worker(decline(), group="control")

    def action_take_control(self) -> None:
        from facilitator.tui.modals.choice import YES, Choice

        def answered(answer: str | None) -> None:
            if answer == YES:
                after = self.takeover_after
                command = partial(Session.take_control, after=after, clock=self.presence_clock)
                self.run_worker(self._team_command(command), group="control")

        who = self.state.driver or "the lead"
        text = "Only when their process has gone (no heartbeat): while they are connected, ask with c instead."
        self.push_screen(Choice(f"Take control from {who}?", text, "take control"), answered)

    def action_send_note(self) -> None:
        from facilitator.tui.modals.note_form import NoteForm

        if not isinstance(self.screen, NoteForm):
            self.push_screen(NoteForm())

    def send_note(self, text: str) -> None:
        async def send() -> None:
            sent = await self._team_command(lambda s: s.send_note(text))
            if sent is not None:
                to = sent.payload.get("to") or "the driver"
                self.notify(f"Note sent to {printable(to)}.", markup=False, timeout=4)

        self.run_worker(send(), group="note")

    async def _team_command(self, command: Callable[[Session], T]) -> T | None:
        """Run a team command; its refusal as a notification (and None)."""
        try:
            return await self.attempt(command)
        except InputError as exc:
            self.notify("\n".join(exc.lines()), severity="error", markup=False)
        except StoreError as exc:
            self.show_store_error(exc)
        return None

    def action_toggle_team(self) -> None:
        from facilitator.tui.widgets.team_panel import TeamPanel

        for panel in self.screen.query(TeamPanel):
            panel.toggle()

    def action_help(self) -> None:
        from facilitator.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_command_palette(self) -> None:
        open_palette(self)  # Textual's palette, with page keys that cannot crash it (facilitator.tui.palette)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every action of the app in the command palette (ctrl+p), described as in the help screen, then
        Textual's own (theme, keys, quit), less Screenshot where this role saves no files."""
        for binding in bindings.MAIN:
            if binding.id and binding.tooltip:
                action = binding.action
                yield SystemCommand(binding.tooltip, f"key: {binding.key}", partial(self.run_action, action))
        textual = super().get_system_commands(screen)
        yield from textual if self.saves_files else without_file_writes(textual)


if TYPE_CHECKING:
    _IS_LIVE_APP: type[LiveApp] = FacilitatorApp  # mypy: the app is what its screens and widgets expect
