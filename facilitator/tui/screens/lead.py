"""The main screen: agenda on the left; timer, pace, the breakout groups while they meet, the step's questions
and the current step on the right; locations and feed below."""

from __future__ import annotations

from collections.abc import Mapping

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
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

    def compose(self) -> ComposeResult:
        # The breakpoint classes the first resize would give the screen (-narrow, -short...), set before its
        # widgets are styled: that resize then changes no class, and does not style them all a second time.
        self.add_class(*self._breakpoint_classes(), update=False)
        yield Header(show_clock=False)
        yield Banner(id="banner")
        yield TeamLine(id="team-line")
        with Horizontal(id="main"):
            yield AgendaView(id="agenda")
            with Vertical(id="right"):
                yield TimerView(id="timer")
                yield PaceView(id="pace")
                yield GroupsLine(id="groups-line")
                yield SpeakingLine(id="speaking-line")
                yield QuestionPanel(id="questions")
                yield StepView(id="step")  # scrolls its own lines: a new step needs no layout pass
        yield TeamPanel(id="team-panel")
        yield LocationStrip(id="locations")
        yield ReflectionsFeed(id="feed")
        yield LeadFooter()
        yield TooSmall(*MINIMUM_SIZE)

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
