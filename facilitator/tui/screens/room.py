"""The room view (`facilitator present`): what the lead shares into the video call, and nothing private.

It shows the current step as participants may see it: title, their text, the reflection prompt, a large
timer and the locations' clocks, with room for the participant page's QR code; and the step's questions
(and the course evaluation's while it is open): each one's text and that answers are being collected, and
its results (bars with counts and shares, a quiz's right answer marked ✓) only once a facilitator revealed
them; and while breakout groups meet, each group's number, call and its members' first names (a surname's
first letters only where two share a first name). It never shows facilitator notes, the roster (e-mails,
locations, genders, who is checked in), notes between facilitators, reflections of any kind, who answered
what, or any count of a question whose results are hidden: its live-run client does not even read those
(facilitator.tui.results.ResultsReader, ``revealed_only``; facilitator.tui.groups_snapshot.GroupsReader,
``room``). It writes no events: its session is an observer's, so a stray command would be refused by the
core. It follows whoever drives through the same live-run client as the lead's app
(:class:`~facilitator.tui.live_run.LiveRun`: a look at the log when the run is written, then a message), and
repaints only what changed (the timer once a second, on the app's one clock: facilitator.tui.widgets.tick).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar, TypeVar

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.reactive import var
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Digits, Static

from facilitator.live.pace import city, local_time
from facilitator.live.session import Session
from facilitator.live.state import SessionState
from facilitator.problems import StoreError
from facilitator.record.clock import Clock, default_clock
from facilitator.script.models import AskedQuestion
from facilitator.team.roles import OBSERVER
from facilitator.text import printable, reflow
from facilitator.tui import bindings
from facilitator.tui.crash import CrashReportingApp
from facilitator.tui.groups_snapshot import GroupsSnapshot
from facilitator.tui.live_run import POLL_SECONDS, LiveRun
from facilitator.tui.palette import FILE_ACTIONS, open_palette, without_file_writes
from facilitator.tui.parts import groups_hint
from facilitator.tui.results import Result, ResultsSnapshot, at_hand
from facilitator.tui.speaking import SpeakingSnapshot, running
from facilitator.tui.widgets.panels import AMBER_SHARE, RED_SHARE, clock_text, pack
from facilitator.tui.widgets.question_panel import bar_lines, summary_line
from facilitator.tui.widgets.room_groups import RoomGroupsBoard, board_key
from facilitator.tui.widgets.speaking_panel import room_lines
from facilitator.tui.widgets.tick import AppTick
from facilitator.tui.widgets.too_small import TooSmall

T = TypeVar("T")
WIDE = 110  # from this width the clocks name each location in full
ROOM = "room"  # the presence role of a room view, so the team's presence panel lists it
# Below this the timer's digits and the code to type no longer fit beside and under the step.
MINIMUM_SIZE = (40, 14)


class OnTheClock(Widget):
    """Mixin: :meth:`tick` every second on the app's one clock (facilitator.tui.widgets.tick), whatever is on top:
    the view goes into the video call as it is, a dialog over it included."""

    def on_mount(self) -> None:
        AppTick.of(self.app).add(self.tick)

    def on_unmount(self) -> None:
        AppTick.of(self.app).discard(self.tick)

    def tick(self) -> None:
        raise NotImplementedError


class StateText(Static):
    """A static drawn from the state, repainted only when its text changed (any other event leaves it be)."""

    _last: Text | None = None

    def refresh_from(self, state: SessionState) -> None:
        text = self.show(state)
        if text != self._last:
            self._last = text
            self.update(text)

    def show(self, state: SessionState) -> Text:
        raise NotImplementedError


class RoomTitle(StateText):
    """The workshop and the day, on one line."""

    def show(self, state: SessionState) -> Text:
        # The day first: a long workshop title is cut at the right edge, the day must not be.
        text = Text(no_wrap=True, overflow="ellipsis")
        if state.day is not None:
            text.append(f"{state.day:%A %d %B} · ")
        if state.programme is not None:
            text.append(printable(state.programme.workshop.title), style="bold")
        return text


class RoomStep(StateText):
    """The step's title and what kind of work it is."""

    def show(self, state: SessionState) -> Text:
        current = state.current
        if current is None:
            upcoming = state.next_step
            text = Text("Starting soon" if not state.visits else "Please stand by", style="bold")
            if upcoming is not None:
                text.append("\nNext: ", style="dim")
                text.append(printable(upcoming.step.title), style="dim")
            return text
        step = current.step
        text = Text(printable(step.title), style="bold")
        text.append(f"\n{step.kind.value} · {printable(current.exercise.title)}", style="dim")
        hint = groups_hint(step)
        if hint:
            text.append(f" · {hint}", style="dim")
        return text


class RoomText(StateText):
    """The participants' text of the step and its reflection prompt; never the facilitators' notes."""

    def show(self, state: SessionState) -> Text:
        current = state.current
        text = Text()
        if current is None:
            return text
        step = current.step
        if step.text:
            text.append(printable(reflow(step.text)))
        if step.prompt:
            if text:
                text.append("\n\n")
            text.append("Reflection prompt\n", style="bold")
            text.append(printable(step.prompt.text), style="italic")
        return text


class RoomQuestions(Static):
    """The questions at hand: each one's text; then its results once revealed, else that answers are being
    collected (or are closed). Never a count of a question whose results are hidden, never who answered."""

    _shown: tuple[object, ...] | None = None
    board: RoomBoard | None = None  # what it shows

    def refresh_from(self, state: SessionState, results: ResultsSnapshot) -> None:
        questions = at_hand(state)
        shown = tuple((a.key, state.questions[a.key]) for a in questions)
        revealed = {a.key: results.of(a.key) for a in questions if state.questions[a.key].revealed}
        key = (shown, revealed)
        if key == self._shown:
            return  # nothing the room sees changed (an answer to a hidden question, a tick)
        self._shown = key
        self.display = bool(questions)
        entries = []
        for asked in questions:
            status = state.questions[asked.key]
            entries.append((asked, revealed.get(asked.key), status.open))
        self.board = RoomBoard(entries)
        self.update(self.board)


class RoomGroups(OnTheClock, Static):
    """The breakout groups meeting now, as the room may see them; hidden while none meet. Checked every second
    for the time left, repainted only when a minute turns or the groups change."""

    _shown: tuple[object, ...] | None = None

    def tick(self) -> None:
        app = self.app
        assert isinstance(app, RoomApp)
        self.refresh_from(app.groups, app.clock.now())

    def refresh_from(self, groups: GroupsSnapshot, now: datetime) -> None:
        key = board_key(groups, now)
        if key == self._shown:
            return
        self._shown = key
        self.display = groups.meeting
        self.update(RoomGroupsBoard(groups, now) if groups.meeting else "")


class RoomSpeaking(OnTheClock, Static):
    """The tally of who speaks, while the driver shows it: shares of time against shares of the room, no name.
    Counted on every second while someone speaks, repainted only when a figure changed."""

    _shown: str | None = None

    def on_mount(self) -> None:
        self.display = False

    def tick(self) -> None:
        app = self.app
        assert isinstance(app, RoomApp)
        if app.speaking.speaker is not None:
            self.refresh_from(app.speaking, app.clock.now())

    def refresh_from(self, speaking: SpeakingSnapshot, now: datetime) -> None:
        tally = speaking.step
        if not speaking.shown or tally is None:
            self.display = False
            return
        lines = room_lines(running(tally, speaking.speaker, speaking.read_at, now))
        self.display = True
        if lines.markup != self._shown:
            self._shown = lines.markup
            self.update(lines)


class RoomBoard:
    """The room's questions laid out for the width they are drawn at."""

    def __init__(self, entries: list[tuple[AskedQuestion, Result | None, bool]]) -> None:
        self.entries = entries  # (question, its results if revealed, whether it takes answers)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(options.max_width, 20)
        lines: list[Text] = []
        for asked, result, taking in self.entries:
            if lines:
                lines.append(Text())
            lines.append(Text(printable(asked.question.text), style="bold"))  # wraps: the room reads it whole
            if result is None:
                lines.append(Text("Answers are being collected." if taking else "Answers are closed.", style="italic"))
                continue
            lines += bar_lines(asked, result, width)
            summary = summary_line(asked, result)
            if summary is not None:
                lines.append(summary)
            answers = f"{result.answered} answer{'' if result.answered == 1 else 's'}"
            right = " · ✓ the right answer" if asked.question.correct else ""
            lines.append(Text(f"  {answers}{right}", style="dim"))
        # One text that ends in a newline: Textual counts a renderable's lines by them.
        yield Text("\n").join(lines)


class TimerDigits(Horizontal):
    """``09:58`` in large digits, as two Digits widgets: the seconds change every second, the rest once a
    minute, and only the widget that changed is drawn again (the view goes down a video call's link)."""

    def __init__(self, value: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.value = value

    def compose(self) -> ComposeResult:
        head, tail = self._split(self.value)
        yield Digits(head, classes="head")
        yield Digits(tail, classes="tail")

    @staticmethod
    def _split(value: str) -> tuple[str, str]:
        return value[:-2], value[-2:]

    def update(self, value: str) -> None:
        if value == self.value:
            return
        (head, tail), (old_head, old_tail) = self._split(value), self._split(self.value)
        self.value = value
        if head != old_head:
            self.query_one(".head", Digits).update(head)
        if tail != old_tail:
            self.query_one(".tail", Digits).update(tail)


class RoomTimer(OnTheClock, Vertical):
    """Time left in large digits, and a line under it: paused, over time, or how long the step is."""

    def compose(self) -> ComposeResult:
        yield TimerDigits("--:--", id="room-digits")
        yield Static("", id="room-timer-label", markup=False)

    def on_mount(self) -> None:
        self._shown: tuple[str, str, str] | None = None
        self.watch(self.app, "state", lambda _: self.tick())

    def tick(self) -> None:
        app = self.app
        assert isinstance(app, RoomApp)
        shown = timer_face(app.state, app.clock.now())
        if shown == self._shown:
            return  # nothing changed: nothing goes down the wire
        digits, label, level = shown
        if self._shown is None or digits != self._shown[0]:
            self.query_one(TimerDigits).update(digits)
        if self._shown is None or label != self._shown[1]:
            self.query_one("#room-timer-label", Static).update(label)
        if self._shown is None or level != self._shown[2]:
            # Only when the level changes: taking a class off and putting it back restyles (and repaints) the
            # whole timer every second, for nothing.
            self.set_class(False, "amber", "red", "over")
            if level:
                self.add_class(level)
        self._shown = shown


def timer_face(state: SessionState, now: datetime) -> tuple[str, str, str]:
    """The digits, the line under them and the colour level ("", "amber", "red" or "over") of the timer."""
    timer = state.timer
    if timer is None:
        return "--:--", "", ""
    remaining = timer.remaining(now)
    share = remaining / timer.allowed if timer.allowed else 0.0
    over = remaining < timedelta()
    level = "over" if over else "red" if share <= RED_SHARE else "amber" if share <= AMBER_SHARE else ""
    digits = f"+{clock_text(remaining)}" if over else clock_text(remaining)
    if timer.paused:
        label = "paused"
    elif over:
        label = "over time"
    else:
        label = f"left of {round(timer.allowed.total_seconds() / 60)} min"
    return digits, label, level


class RoomClocks(OnTheClock, Static):
    """Each location's local time; checked every second, repainted only when a minute turns."""

    def on_mount(self) -> None:
        self._last: Text | None = None
        self._made_for: tuple[object, ...] | None = None
        self.watch(self.app, "state", lambda _: self.tick())

    def on_resize(self) -> None:
        self._last = None
        self._made_for = None
        self.tick()

    def tick(self) -> None:
        app = self.app
        assert isinstance(app, RoomApp)
        programme = app.state.programme
        if programme is None:
            return
        now = app.clock.now()
        wide = self.size.width >= WIDE
        # Local times to the minute (every zone's offset is whole minutes): within a minute, the same text, not
        # built again every second to find that out (a cell per location: most of an idle view's work).
        made_for = (now.replace(second=0, microsecond=0), wide, self.content_size.width, programme)
        if made_for == self._made_for:
            return
        self._made_for = made_for
        cells = []
        for location in programme.workshop.locations:
            cell = Text()
            cell.append(printable(location.name if wide else location.id.upper()), style="bold")
            cell.append(f" {local_time(now, location.timezone):%H:%M}")
            cell.append(f" {city(location.timezone)}", style="dim")
            cells.append(cell)
        text = pack(cells, max(self.content_size.width, 20), gap="   ")
        if text != self._last:
            self._last = text
            self.update(text)


class RoomApp(CrashReportingApp):
    """The room view: a separate app, reading the run as an observer and claiming a presence row as "room".

    It saves no files: its palette has no Screenshot (what it shows goes into the video call anyway).
    """

    CSS_PATH = "../facilitator.tcss"  # the one stylesheet, beside the app
    TITLE = "facilitator: room view"
    BINDINGS: ClassVar[list[BindingType]] = list(bindings.ROOM)
    # Narrow: the QR code goes under the text. Short: less padding, one line of clocks (facilitator.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-wide")]  # noqa: RUF012 (Textual's are not ClassVar)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (24, "-tall")]  # noqa: RUF012

    state: var[SessionState] = var(SessionState, init=False, always_update=True)
    # The counts of the revealed questions at hand only (facilitator.tui.results): a hidden one's never come.
    results: var[ResultsSnapshot] = var(ResultsSnapshot, init=False)
    # The breakout groups meeting now, first names only (facilitator.tui.groups_snapshot.for_room).
    groups: var[GroupsSnapshot] = var(GroupsSnapshot, init=False)
    # The tally of who speaks once the driver shows it, never a name (facilitator.tui.speaking.for_room).
    speaking: var[SpeakingSnapshot] = var(SpeakingSnapshot, init=False)

    def __init__(
        self,
        *,
        db_path: Path,
        actor: str,
        clock: Clock | None = None,
        poll_seconds: float = POLL_SECONDS,
        claim_presence: bool = True,
        location: str | None = None,
    ) -> None:
        super().__init__(crash_beside=db_path)
        self.clock = clock or default_clock()
        self.actor = actor
        # It only ever reads (an observer's session), and needs no attendance: it shows nobody's.
        # It only reads: a run on read-only media, or one this user may only read, opens from a copy.
        self.live = LiveRun(
            db_path,
            actor=actor,
            clock=self.clock,
            role=OBSERVER,
            poll_seconds=poll_seconds,
            attendance=False,
            revealed_results_only=True,
            room=True,
            read_only=True,
        )
        self.db = self.live.db
        self._claim_presence = claim_presence
        self._results_seq = -1
        self._groups_seq = -1
        self._speaking_seq = -1
        self.location = location  # the location whose participant-page QR code the view shows, if any

    def compose(self) -> ComposeResult:
        yield RoomTitle(id="room-title")
        with Horizontal(id="room-top"):
            yield RoomStep(id="room-step")
            yield RoomTimer(id="room-timer")
        with Horizontal(id="room-body"):
            with VerticalScroll(id="room-text-scroll"):
                yield RoomGroups(id="room-groups")
                yield RoomSpeaking(id="room-speaking")
                yield RoomQuestions(id="room-questions")
                yield RoomText(id="room-text")
            yield Container(id="room-qr")  # the participant page's QR code goes here
        yield RoomClocks(id="room-clocks")
        yield TooSmall(*MINIMUM_SIZE)

    async def run_db(self, command: Callable[[Session], T]) -> T:
        return await self.live.run_db(command)

    def action_command_palette(self) -> None:
        open_palette(self)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        return without_file_writes(super().get_system_commands(screen))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in FILE_ACTIONS

    async def on_mount(self) -> None:
        reading = await self.run_db(self.live.read)
        state = reading.state
        if state.programme is not None:
            self.title = printable(state.programme.workshop.title)
        if reading.results is not None:
            self.results = reading.results
            self._results_seq = state.last_seq
        if reading.groups is not None:
            self.groups = reading.groups
            self._groups_seq = state.last_seq
        if reading.speaking is not None:
            self.speaking = reading.speaking
            self._speaking_seq = state.last_seq
        self.state = state
        if self.location is not None:
            from facilitator.tui.widgets.qr import LocationQr, link_fetcher

            fetch = link_fetcher(self.run_db, self.clock)
            qr = LocationQr(self.location, fetch=fetch, now=self.clock.now, compact=True, id="room-qr-code")
            await self.query_one("#room-qr").mount(qr)
        self.live.start(self)
        if self._claim_presence:
            self.run_worker(self._hold_presence(), group="presence")

    def watch_state(self, state: SessionState) -> None:
        for widget in self.query(StateText):
            widget.refresh_from(state)
        self.query_one(RoomQuestions).refresh_from(state, self.results)

    def watch_results(self, results: ResultsSnapshot) -> None:
        self.query_one(RoomQuestions).refresh_from(self.state, results)

    def watch_groups(self, groups: GroupsSnapshot) -> None:
        self.query_one(RoomGroups).refresh_from(groups, self.clock.now())

    def watch_speaking(self, speaking: SpeakingSnapshot) -> None:
        self.query_one(RoomSpeaking).refresh_from(speaking, self.clock.now())

    def on_live_run_speaking_changed(self, message: LiveRun.SpeakingChanged) -> None:
        if message.seq >= self._speaking_seq:
            self.speaking = message.speaking
            self._speaking_seq = message.seq

    def on_live_run_groups_changed(self, message: LiveRun.GroupsChanged) -> None:
        if message.seq >= self._groups_seq:
            self.groups = message.groups
            self._groups_seq = message.seq

    def on_live_run_results_changed(self, message: LiveRun.ResultsChanged) -> None:
        if message.seq >= self._results_seq:
            self.results = message.results
            self._results_seq = message.seq

    def on_live_run_state_changed(self, message: LiveRun.StateChanged) -> None:
        if message.state.last_seq > self.state.last_seq:
            self.state = message.state

    async def _hold_presence(self) -> None:
        """A non-exclusive presence row in the role "room", kept alive by a heartbeat."""
        with contextlib.suppress(StoreError):  # busy for long: the view still works, it is just not listed
            await self.live.hold_presence(ROOM, exclusive=False)

    async def on_unmount(self) -> None:
        await self.live.close()
