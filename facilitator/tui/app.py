"""The lead facilitator's app. The database lives on its own thread; the app holds the folded state.

Every command runs on the database thread, commits, and only then hands the new state back, so what
the screen shows has always been written. Other processes' changes arrive from the live-run client
(:class:`~facilitator.tui.live_run.LiveRun`, which looks when the run's files are written) as messages.

This is the one module that knows the screens: it composes them, passes each what it needs (the forms a
screen opens) and imports them lazily, for start-up time. It holds composition and wiring only: every key is
declared in :mod:`facilitator.tui.bindings`, what the driver's keys do is :mod:`facilitator.tui.driving`, who
may press what and the team's commands :mod:`facilitator.tui.teamwork`, the groups a step asks for
:mod:`facilitator.tui.breakouts`, live reload :mod:`facilitator.tui.script_watch`; each action here is one line
that hands over or opens a screen.
Screens and widgets see the app through :class:`~facilitator.tui.live.LiveApp`, never this class.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
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
from facilitator.record import heap
from facilitator.record.clock import Clock, SystemClock, default_clock
from facilitator.team import presence
from facilitator.team.presence import Presence
from facilitator.team.roles import DEFAULT_TAKEOVER_AFTER, LEAD
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.breakouts import Breakouts
from facilitator.tui.crash import CrashReportingApp
from facilitator.tui.driving import Driving
from facilitator.tui.groups_snapshot import GroupsSnapshot
from facilitator.tui.keys import normalize_keymap, readable_keys
from facilitator.tui.live_run import POLL_SECONDS, LiveRun, Reading
from facilitator.tui.palette import open_palette, without_file_writes
from facilitator.tui.results import ResultsSnapshot
from facilitator.tui.script_watch import RELOAD_SECONDS, ScriptWatch
from facilitator.tui.snapshot import AttendanceSnapshot, PersonRow
from facilitator.tui.speaking import SpeakingSnapshot
from facilitator.tui.teamwork import Teamwork

if TYPE_CHECKING:
    from facilitator.live.reload import Reload
    from facilitator.live.session_thread import SessionThread
    from facilitator.tui.live import LiveApp
    from facilitator.tui.screens.requests import RequestWatch

T = TypeVar("T")
CALENDAR_SECONDS = 10.0  # how often a day left open, or a new day dated today, is looked for


def _question_picker(title: str, lines: list[tuple[str, str]]) -> Screen[str | None]:
    from facilitator.tui.modals.pickers import QuestionPicker  # only when asked: start-up time

    return QuestionPicker(title, lines)


class FacilitatorApp(CrashReportingApp):
    CSS_PATH = "facilitator.tcss"
    TITLE = "facilitator"
    # Textual declares these as plain class attributes, so they cannot be ClassVar here.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = list(bindings.MAIN)
    FIRST_SCREEN_AFTER_MOUNT = True  # the lead screen, once the run is read: on_mount

    state: var[SessionState] = var(SessionState, init=False, always_update=True)
    # Problems of a script that failed to reload, one line each; empty while the files are valid.
    script_problems: var[tuple[str, ...]] = var(tuple, init=False)
    # Who is present where, kept current next to ``state``; None until the first read (or without a programme).
    attendance: var[AttendanceSnapshot | None] = var(None, init=False)
    # The team's live presence rows (facilitator.team.presence), oldest first; empty until the first read.
    present: var[tuple[Presence, ...]] = var(tuple, init=False)
    # The counts of the answers to the questions at hand (facilitator.tui.results), kept current next to ``state``.
    results: var[ResultsSnapshot] = var(ResultsSnapshot, init=False)
    # The latest breakout groups as they stand, and who waits for one (facilitator.tui.groups_snapshot).
    groups: var[GroupsSnapshot] = var(GroupsSnapshot, init=False)
    # Who speaks: the tally of the current step and day, and who has the floor (facilitator.tui.speaking).
    speaking: var[SpeakingSnapshot] = var(SpeakingSnapshot, init=False)

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
        db: SessionThread | None = None,
    ) -> None:
        super().__init__(crash_beside=db_path)
        self.clock = clock or default_clock()
        self.config = config or Config()  # the defaults; see load_config
        self.actor = actor
        # The team: this process's role, and what it has shown of the team's events (facilitator.tui.team_notices).
        self.role = role
        self.location = location
        self.takeover_after = takeover_after
        self.address = address  # where this person connects from ($SSH_CONNECTION), recorded when joining
        # Heartbeats are real time, even in a rehearsal whose clock runs faster (facilitator.record.clock.ScaledClock).
        self.presence_clock = presence_clock or SystemClock()
        # The database thread, the poll of what other processes commit, and this process's presence row.
        self.live = LiveRun(
            db_path,
            actor=actor,
            clock=self.clock,
            role=role,
            location=location,
            own_location_only=own_location_only,
            poll_seconds=poll_seconds,
            db=db,
        )
        self.live.presence = lead  # claimed by the command line (or on mount)
        self.db = self.live.db
        self._first_reading: Future[Reading] | None = None  # the run as read while Textual starts (on_load)
        self._attendance_seq = -1  # the state's last_seq when the attendance shown was read
        self._results_seq = -1  # the state's last_seq when the results shown were read
        self._groups_seq = -1  # the state's last_seq when the groups shown were read
        self._speaking_seq = -1  # the state's last_seq when the tally shown was read
        self.commands_in_flight = 0
        self.store_fault: str | None = None  # the database's last refusal, shown until a command succeeds
        # What the keys do, by who does it: the driver's commands, the team's, the script's live reload.
        self.breakouts = Breakouts(self)
        self.driver_commands = Driving(self, question_picker=_question_picker, after_step=self.breakouts.after_step)
        self.team = Teamwork(self)
        self.script_watch = ScriptWatch(self, self._show_reload, self._reload_failed, every=reload_seconds)
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
        state, attendance, results, groups, speaking = reading
        if attendance is not None:  # first: whatever redraws on the state sees the new counts
            self._show_attendance(attendance, state.last_seq)
        if results is not None:
            self._show_results(results, state.last_seq)
        if groups is not None:
            self._show_groups(groups, state.last_seq)
        if speaking is not None:
            self._show_speaking(speaking, state.last_seq)
        previous = self.state
        self.state = state
        self.team.changed(previous, state)

    def _show_attendance(self, snapshot: AttendanceSnapshot, seq: int) -> None:
        self.attendance = snapshot
        self._attendance_seq = seq

    def _show_results(self, results: ResultsSnapshot, seq: int) -> None:
        self.results = results
        self._results_seq = seq

    def _show_groups(self, groups: GroupsSnapshot, seq: int) -> None:
        self.groups = groups
        self._groups_seq = seq

    def _show_speaking(self, speaking: SpeakingSnapshot, seq: int) -> None:
        self.speaking = speaking
        self._speaking_seq = seq

    def on_live_run_speaking_changed(self, message: LiveRun.SpeakingChanged) -> None:
        if message.seq >= self._speaking_seq:  # not one a command of this app has already bettered
            self._show_speaking(message.speaking, message.seq)

    def on_live_run_groups_changed(self, message: LiveRun.GroupsChanged) -> None:
        if message.seq >= self._groups_seq:  # not one a command of this app has already bettered
            self._show_groups(message.groups, message.seq)

    def on_live_run_results_changed(self, message: LiveRun.ResultsChanged) -> None:
        if message.seq >= self._results_seq:  # not one a command of this app has already bettered
            self._show_results(message.results, message.seq)

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

    def on_load(self) -> None:
        # The run is opened and read on the database thread while Textual starts (its terminal, its styles).
        self._first_reading = self.live.db.submit(self.live.read)

    async def on_mount(self) -> None:
        # Textual mounts an app inside a batch of updates, and paints nothing before the batch ends: a screen
        # pushed here would be laid out and painted for nothing, then painted again once the batch ended and the
        # screen's next update came (some 30 ms of the first frame). Pushed as the batch ends, its first paint is
        # the one the terminal gets.
        self.call_later(self._open_lead_screen)

    async def _open_lead_screen(self) -> None:
        from facilitator.tui.screens.lead import LeadScreen

        first, self._first_reading = self._first_reading, None
        reading = await (asyncio.wrap_future(first) if first is not None else self.run_db(self.live.read))
        state = reading.state
        self.team.notes_seen = state.last_seq  # notes sent before this process opened are not popped up again
        programme = state.programme
        if programme is not None:
            self.title = printable(programme.workshop.title)
            self.sub_title = printable(programme.workshop.organiser)
        self._show(reading)
        await self.push_screen(LeadScreen())
        # The rest does not change what the first frame shows, and waits until it is on the screen.
        self.call_after_refresh(self._settle_in, state)
        self.first_screen_pushed()

    def _settle_in(self, state: SessionState) -> None:
        """Once the first frame is up: record the join, follow the run, keep the calendar and the presence row.

        Joining changes nothing the first frame shows (who has joined shows in the presence panel, hidden at
        first; the driver's seat a lead takes is the one ``drives`` already gave a lead while it was empty).
        """
        gc.freeze()  # what start-up built lives as long as the app: later collections need not walk it
        heap.release()  # what opening the run read and let go of (a long run's checkpoint), back to the system
        if state.programme is not None:
            self.run_worker(self._join(), group="join")
        if state.visits:
            self._announce_resume(state)
        self.live.start(self)
        # Not awaited either: the first frame shows the run as it is; a day opened or closed follows at once.
        self.run_worker(self._keep_calendar(), group="calendar")
        from facilitator.tui.screens.requests import watch_join_requests
        from facilitator.tui.widgets.tick import AppTick

        AppTick.of(self).add(self._keep_calendar, every=CALENDAR_SECONDS)  # on the app's one clock, no timer of its own

        self.join_requests = watch_join_requests(self)
        self.run_worker(self._hold_presence_and_watch(state), group="presence")

    async def _join(self) -> None:
        """Record that this person joined (as lead, co or observer), and show the run as it then stands."""

        def join(session: Session) -> Reading:
            session.announce(address=self.address)
            return self.live.read(session)

        self._show(await self.run_db(join))

    def _announce_resume(self, state: SessionState) -> None:
        current = state.current
        where = f"{current.step.title} ({state.day:%a %d %b})" if current and state.day else "the day's agenda"
        paused = " The timer is paused, as it was left." if state.timer and state.timer.paused else ""
        self.notify(f"Session resumed at {printable(where)}.{paused}", title="Resumed", markup=False, timeout=8)

    async def on_unmount(self) -> None:
        self.script_watch.close()
        await self.live.close()

    # -- the calendar, presence and live reload ------------------------------------------------------

    async def _keep_calendar(self) -> None:
        """Days that end and the day dated today (Session.keep_calendar), at start and every few seconds."""

        def upkeep(session: Session) -> Reading | None:
            return self.live.read(session) if session.keep_calendar() else None

        try:
            result = await self.run_db(upkeep)
        except (InputError, StoreError):  # not driving after all, or a failing disk: the next round tries again
            return
        if result is not None:
            self._show(result)

    async def _hold_presence_and_watch(self, state: SessionState) -> None:
        """Hold this process's place in the team with a heartbeat, and watch the workshop's files for edits."""
        try:
            await self.live.hold_presence(
                self.role, exclusive=self.role == LEAD, location=self.location, clock=self.presence_clock
            )
        except presence.LeadActive as exc:
            self.exit(return_code=2, message="\n".join(exc.lines()))
            return
        if state.source:
            # Watching needs the YAML loader; set it up after the first frame so start-up does not wait.
            self.call_after_refresh(self.script_watch.start, Path(state.source))

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

    def _reload_failed(self, problem: str) -> None:
        self.script_problems = (problem,)

    def on_live_run_presence_changed(self, message: LiveRun.PresenceChanged) -> None:
        self.present = message.rows

    # -- actions: the driver's (facilitator.tui.driving) ----------------------------------------------

    async def action_next_step(self) -> None:
        await self.driver_commands.next_step()

    async def action_previous_step(self) -> None:
        await self.driver_commands.previous_step()

    async def action_toggle_pause(self) -> None:
        await self.driver_commands.toggle_pause()

    async def action_adjust(self, seconds: int) -> None:
        await self.driver_commands.adjust(seconds)

    def jump_to(self, day: str, exercise: str, step: str) -> None:
        self.driver_commands.jump_to(day, exercise, step)

    def open_day(self, on: date) -> None:
        self.driver_commands.open_day(on)

    def close_day(self) -> None:
        self.driver_commands.close_day()

    def action_reveal_results(self) -> None:
        self.driver_commands.reveal_results()

    def action_close_question(self) -> None:
        self.driver_commands.close_question()

    async def action_quit(self) -> None:
        self.driver_commands.quit(driving=self.driving)

    # -- actions: screens this app opens ----------------------------------------------------------

    def action_jump(self) -> None:
        from facilitator.tui.modals.pickers import JumpScreen

        self.push_screen(JumpScreen())

    def action_change_day(self) -> None:
        from facilitator.tui.modals.pickers import DayScreen

        self.push_screen(DayScreen())

    def action_log_reflection(self) -> None:
        from facilitator.tui.modals.reflection_form import ReflectionForm

        self.push_screen(ReflectionForm())

    def action_show_reflections(self) -> None:
        from facilitator.tui.modals.reflection_form import ReflectionForm
        from facilitator.tui.screens.reflections import ReflectionsScreen

        self.push_screen(ReflectionsScreen(edit_form=lambda reflection: ReflectionForm(editing=reflection)))

    def action_toggle_bell(self) -> None:
        self.config = dataclasses.replace(self.config, bell=not self.config.bell)
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

    # -- breakout groups (facilitator.tui.breakouts) -------------------------------------------------

    def action_make_groups(self) -> None:
        from facilitator.tui.modals.make_groups import MakeGroupsForm

        if not isinstance(self.screen, MakeGroupsForm) and not self.breakouts.refused("make_groups"):
            self.push_screen(MakeGroupsForm(), lambda made: self.action_groups() if made else None)

    def action_groups(self) -> None:
        from facilitator.tui.screens.groups import GroupsScreen

        if not isinstance(self.screen, GroupsScreen):
            self.push_screen(GroupsScreen(move_form=self._move_form))

    @staticmethod
    def _move_form(participant: str, name: str, group: int | None, numbers: tuple[int, ...]) -> ModalScreen[int | None]:
        from facilitator.tui.modals.move_form import MoveForm

        return MoveForm(participant, name, group, numbers)

    # -- who speaks (facilitator.speaking) -----------------------------------------------------------

    def action_pick_speaker(self) -> None:
        from facilitator.tui.modals.speaker_picker import SpeakerPicker

        if isinstance(self.screen, SpeakerPicker):
            return
        speaker = self.speaking.speaker

        def picked(participant: str | None) -> None:
            if participant is not None:
                self.run_worker(self.command(lambda session: session.start_turn(participant)), group="speaking")

        self.push_screen(SpeakerPicker(speaker.turn.participant if speaker else None), picked)

    async def action_stop_speaker(self) -> None:
        try:
            stopped = await self.attempt(lambda session: session.stop_turn())
        except InputError as exc:
            self.notify("\n".join(exc.lines()), severity="error", markup=False)
            return
        except StoreError as exc:
            self.show_store_error(exc)
            return
        if stopped is None:
            self.notify("Nobody has the floor.", markup=False, timeout=3)

    def action_speaking(self) -> None:
        from facilitator.tui.screens.speaking import SpeakingScreen

        if not isinstance(self.screen, SpeakingScreen):
            self.push_screen(SpeakingScreen())

    def action_join_requests(self) -> None:
        from facilitator.tui.screens.requests import RequestsScreen

        if not isinstance(self.screen, RequestsScreen):
            self.push_screen(RequestsScreen())

    # -- the team (facilitator.tui.teamwork) ------------------------------------------------------------

    @property
    def driving(self) -> bool:
        return self.team.driving

    @property
    def saves_files(self) -> bool:
        return self.team.saves_files

    def crash_about(self) -> str:
        return f"{type(self).__name__} ({self.role})"

    def refusal(self, action: str) -> str | None:
        return self.team.refusal(action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys this role may not use now are left out of the footer (and say why when pressed)."""
        return self.refusal(action) is None

    async def action_ask_control(self) -> None:
        await self.team.ask_control()

    def action_hand_control(self) -> None:
        from facilitator.tui.modals.control_picker import ControlPicker

        if not isinstance(self.screen, ControlPicker):
            self.push_screen(ControlPicker())

    def hand_control_to(self, name: str) -> None:
        self.team.hand_control_to(name)

    def decline_control(self, name: str) -> None:
        self.team.decline_control(name)

    def action_take_control(self) -> None:
        self.team.take_control()

    def action_send_note(self) -> None:
        from facilitator.tui.modals.note_form import NoteForm

        if not isinstance(self.screen, NoteForm):
            self.push_screen(NoteForm())

    def send_note(self, text: str) -> None:
        self.team.send_note(text)

    def action_suspend(self) -> None:
        """Ctrl+Z: back to the shell, as any terminal program; ``fg`` brings the app back as it was.

        Only where a shell with job control started it: a co-facilitator's forced SSH command, or any process
        leading its own session, has no shell to come back from, and would stay stopped.
        """
        if os.environ.get("SSH_ORIGINAL_COMMAND") is not None or os.getsid(0) == os.getpid():
            self.notify("No shell to suspend to here; ctrl+q leaves the app.", markup=False, timeout=4)
            return
        self.action_suspend_process()

    def action_toggle_team(self) -> None:
        from facilitator.tui.screens.lead import LeadScreen

        if isinstance(self.screen, LeadScreen):
            self.screen.team_panel.toggle()  # mounted or still to be: it mounts as toggled

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
                keys = readable_keys(self.keymap.get(binding.id, binding.key))
                yield SystemCommand(binding.tooltip, f"key: {keys}", partial(self.run_action, action))
        textual = super().get_system_commands(screen)
        yield from textual if self.saves_files else without_file_writes(textual)


if TYPE_CHECKING:
    _IS_LIVE_APP: type[LiveApp] = FacilitatorApp  # mypy: the app is what its screens and widgets expect
