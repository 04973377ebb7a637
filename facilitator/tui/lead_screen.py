"""The main screen: agenda on the left; timer, pace and the current step on the right; locations and feed below."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header

from facilitator.tui.agenda import AgendaView
from facilitator.tui.banner import Banner
from facilitator.tui.team_panel import TeamLine, TeamPanel
from facilitator.tui.widgets import LocationStrip, PaceView, ReflectionsFeed, StepView, TimerView

if TYPE_CHECKING:
    from facilitator.tui.app import FacilitatorApp


class LeadScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Banner(id="banner")
        yield TeamLine(id="team-line")
        with Horizontal(id="main"):
            yield AgendaView(id="agenda")
            with Vertical(id="right"):
                yield TimerView(id="timer")
                yield PaceView(id="pace")
                with VerticalScroll(id="step-scroll"):
                    yield StepView(id="step")
        yield TeamPanel(id="team-panel")
        yield LocationStrip(id="locations")
        yield ReflectionsFeed(id="feed")
        yield Footer()

    def on_key(self, event: events.Key) -> None:
        """A key of the app's that this role may not use now says why, once, instead of doing nothing."""
        app = cast("FacilitatorApp", self.app)
        for namespace, bindings in self._modal_binding_chain:
            if namespace is not app:
                continue
            for binding in bindings.key_to_bindings.get(event.key, ()):
                refusal = app.refusal(binding.action.partition("(")[0])
                if refusal is not None:
                    event.stop()
                    event.prevent_default()
                    app.notify(refusal, severity="warning", markup=False, timeout=4)
                    return
