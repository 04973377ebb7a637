"""The main screen: agenda on the left; timer, pace and the current step on the right; locations and feed below."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header

from facilitator.tui.agenda import AgendaView
from facilitator.tui.banner import Banner
from facilitator.tui.widgets import LocationStrip, PaceView, ReflectionsFeed, StepView, TimerView


class LeadScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Banner(id="banner")
        with Horizontal(id="main"):
            yield AgendaView(id="agenda")
            with Vertical(id="right"):
                yield TimerView(id="timer")
                yield PaceView(id="pace")
                with VerticalScroll(id="step-scroll"):
                    yield StepView(id="step")
        yield LocationStrip(id="locations")
        yield ReflectionsFeed(id="feed")
        yield Footer()
