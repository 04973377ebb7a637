"""The lead facilitator's app: the day's agenda, the current step and its timer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import ClassVar, TypeVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header

from facilitator.clock import Clock, SystemClock
from facilitator.session import Session
from facilitator.session_thread import SessionThread
from facilitator.state import SessionState
from facilitator.text import printable
from facilitator.tui.widgets import AgendaView, StepView, TimerView

T = TypeVar("T")


class FacilitatorApp(App[None]):
    CSS_PATH = "facilitator.tcss"
    TITLE = "facilitator"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n,right", "next_step", "Next", id="next"),
        Binding("p,left", "previous_step", "Previous", id="previous"),
        Binding("space", "toggle_pause", "Pause", id="pause"),
        Binding("plus", "adjust(60)", "+1 min", id="extend"),
        Binding("minus", "adjust(-60)", "-1 min", id="shorten"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    def __init__(self, *, db_path: Path, actor: str, clock: Clock | None = None) -> None:
        super().__init__()
        self.clock = clock or SystemClock()
        self.db = SessionThread(db_path, actor=actor, clock=self.clock)
        self.state = SessionState()

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="main"):
            yield AgendaView(id="agenda")
            with VerticalScroll(id="current"):
                yield TimerView(id="timer")
                yield StepView(id="step")
        yield Footer()

    async def _run(self, command: Callable[[Session], T]) -> T:
        return await asyncio.wrap_future(self.db.submit(command))

    async def on_mount(self) -> None:
        self.state = await self._run(lambda s: s.state)
        programme = self.state.programme
        if programme is not None:
            self.title = printable(programme.workshop.title)
            self.sub_title = printable(programme.workshop.organiser)
        self._show()
        self.set_interval(1.0, self._tick)

    def _show(self) -> None:
        self.query_one(AgendaView).show(self.state)
        self.query_one(StepView).show(self.state)
        self._tick()

    def _tick(self) -> None:
        self.query_one(TimerView).show(self.state.timer, self.clock.now())

    async def _command(self, command: Callable[[Session], object]) -> None:
        def run_and_read(session: Session) -> SessionState:
            command(session)
            return session.state

        self.state = await self._run(run_and_read)
        self._show()

    async def action_next_step(self) -> None:
        await self._command(Session.next_step)

    async def action_previous_step(self) -> None:
        await self._command(Session.previous_step)

    async def action_toggle_pause(self) -> None:
        await self._command(lambda s: s.resume() if s.state.timer and s.state.timer.paused else s.pause())

    async def action_adjust(self, seconds: int) -> None:
        await self._command(lambda s: s.adjust(timedelta(seconds=seconds)))

    async def on_unmount(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.db.close)
