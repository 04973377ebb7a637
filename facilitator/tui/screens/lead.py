"""The main screen: agenda on the left; timer, pace, the breakout groups while they meet, the step's questions
and the current step on the right; locations and feed below."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header

from facilitator.tui import bindings
from facilitator.tui.keys import keys_to_bindings
from facilitator.tui.live import live_app
from facilitator.tui.widgets.agenda import AgendaView
from facilitator.tui.widgets.banner import Banner
from facilitator.tui.widgets.footer import LeadFooter
from facilitator.tui.widgets.groups_line import GroupsLine
from facilitator.tui.widgets.panels import LocationStrip, PaceView, ReflectionsFeed, StepView, TimerView
from facilitator.tui.widgets.question_panel import QuestionPanel
from facilitator.tui.widgets.speaking_panel import SpeakingLine
from facilitator.tui.widgets.team_panel import TeamLine, TeamPanel
from facilitator.tui.widgets.too_small import TooSmall

# Below this the agenda and the timer squeeze their text past reading.
MINIMUM_SIZE = (40, 12)


class LeadScreen(Screen[None]):
    _keys: tuple[Mapping[str, str], Mapping[str, list[Binding]]] | None = None  # the app's keys, as mapped
    _resumed = False

    def __init__(self) -> None:
        super().__init__()
        # Panels left out of compose, to mount once the first frame is up: runs of them, each with where it goes.
        self._late: list[tuple[str | Widget, list[Widget]]] = []
        # Made here, not in compose: w may toggle it from the moment the screen is pushed, mounted or not.
        self.team_panel = TeamPanel(id="team-panel")

    def compose(self) -> ComposeResult:
        # The breakpoint classes the first resize would give the screen (-narrow, -short...), set before its
        # widgets are styled: that resize then changes no class, and does not style them all a second time.
        self.add_class(*self._breakpoint_classes(), update=False)
        app = live_app(self)
        later = self._now_or_later
        yield Header(show_clock=False)
        yield from later(
            "Header", (Banner(id="banner"), Banner.shows(app)), (TeamLine(id="team-line"), TeamLine.shows(app))
        )
        with Horizontal(id="main"):
            yield AgendaView(id="agenda")
            with Vertical(id="right"):
                yield TimerView(id="timer")
                yield PaceView(id="pace")
                yield from later(
                    "#pace",
                    (GroupsLine(id="groups-line"), GroupsLine.shows(app)),
                    (SpeakingLine(id="speaking-line"), SpeakingLine.shows(app)),
                    (QuestionPanel(id="questions"), QuestionPanel.shows(app)),
                )
                yield StepView(id="step")  # scrolls its own lines: a new step needs no layout pass
        yield from later("#main", (self.team_panel, False))  # hidden until w shows it
        yield LocationStrip(id="locations")
        yield ReflectionsFeed(id="feed")
        yield LeadFooter()
        too_small = TooSmall(*MINIMUM_SIZE)
        yield from later("LeadFooter", (too_small, too_small.shows(self.app.size)))

    def _now_or_later(self, after: str, *panels: tuple[Widget, bool]) -> Iterator[Widget]:
        """The panels that show now (each one's ``shows``), to compose; the others are kept to be mounted in the
        same places once the first frame is up (``after``: the widget the first panel follows in compose).

        Hidden, they would only delay that frame (each composed, styled, mounted and watching the app), and it
        is the same frame without them. Mounted in compose's order, the screen's widgets stand as compose would
        have left them, and the stylesheet styles them as it would have.
        """
        where: str | Widget = after
        run: list[Widget] = []
        for panel, shows in panels:
            if not shows:
                run.append(panel)
                continue
            if run:
                self._late.append((where, run))
                run = []
            where = panel
            yield panel
        if run:
            self._late.append((where, run))

    def on_mount(self) -> None:
        if self._late:
            self.call_after_refresh(self._mount_late)

    def _mount_late(self) -> None:
        late, self._late = self._late, []
        if not self.is_attached:  # the app is ending, or the screen went: nothing to mount them in
            return
        for after, panels in late:
            self.mount(*panels, after=after)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Textual's own handler (each class's, the subclass's first): the first time, every widget
        # was styled as it mounted, a moment ago, and styling the whole screen again would only delay the
        # first frame. A later resume (a dialog closed, another screen left) restyles as Textual does.
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_resize(self, event: events.Resize) -> None:
        # Runs before Textual's own handler. The terminal reports its size once the app has started, the size
        # the screen was laid out at: laying every widget out again for it would only delay the first frame.
        if event.size == self.outer_size:
            event.prevent_default()

    def _breakpoint_classes(self) -> list[str]:
        """As Textual's Screen picks them on a resize: per axis, the class of the largest threshold not above the
        app's size (the screen's own breakpoints, else the app's)."""
        app = self.app
        width, height = app.size
        horizontal = app.HORIZONTAL_BREAKPOINTS if self.HORIZONTAL_BREAKPOINTS is None else self.HORIZONTAL_BREAKPOINTS
        vertical = app.VERTICAL_BREAKPOINTS if self.VERTICAL_BREAKPOINTS is None else self.VERTICAL_BREAKPOINTS
        found = []
        for breakpoints, size in ((horizontal or [], width), (vertical or [], height)):
            for threshold, name in sorted(breakpoints, reverse=True):
                if size >= threshold:
                    found.append(name)
                    break
        return found

    def on_key(self, event: events.Key) -> None:
        """A key of the app's that this role may not use now says why, once, instead of doing nothing.

        The key is looked up among the app's own bindings, with the keymap the app applied (public API only).
        """
        app = live_app(self)
        if self._keys is None or self._keys[0] is not app.keymap:  # built once per keymap
            self._keys = (app.keymap, keys_to_bindings(bindings.MAIN, app.keymap))
        for binding in self._keys[1].get(event.key, ()):
            refusal = app.refusal(binding.action.partition("(")[0])
            if refusal is not None:
                event.stop()
                event.prevent_default()
                self.app.notify(refusal, severity="warning", markup=False, timeout=4)
                return
