"""The driver's commands: stepping through the day, the timer, jumping, opening and closing days, quitting.

What the keys n, p, space, +, -, g and d and the day and jump pickers end in. Each runs a session command
through the app (:meth:`~facilitator.tui.live.LiveApp.command`), and asks first (a
:class:`~facilitator.tui.modals.choice.Choice`) where the engine says a step needs confirming
(:class:`~facilitator.live.session.NeedsConfirmation`: an earlier day reopened or carried over) or where
quitting would leave the day's last step open.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from textual.app import App

from facilitator.live import days, reentry
from facilitator.live.session import NeedsConfirmation, Session
from facilitator.problems import InputError, StoreError
from facilitator.tui.live import LiveApp, live_app

CONFIRM_BEYOND_SECONDS = 60  # a timer change larger than this, in one key, is asked first
QUIT_TEXT = (
    "This is the day's last step. Close the day now, so its record ends here? Left open, it is closed "
    "later at the end its pace forecast gave at your last action."
)


class Driving:
    """The driver's commands, run in ``app``."""

    def __init__(self, app: App[Any]) -> None:
        self.app: App[Any] = app

    @property
    def live(self) -> LiveApp:
        return live_app(self.app)

    async def next_step(self) -> None:
        await self.move(+1)

    async def previous_step(self) -> None:
        await self.move(-1)

    async def move(self, offset: int) -> None:
        """``n`` or ``p``: asks first where the step it enters already ran today (facilitator.live.reentry)."""
        target = reentry.step_after(self.live.state, offset)
        if target is None:
            return
        await self.enter(target.start.date(), target.exercise.id, target.step.id)

    async def enter(self, on: date, exercise: str, step: str) -> None:
        """Enter a step; a restart or a second run of it needs a yes first, as a day reopened does."""

        def make(confirmed: bool) -> Callable[[Session], object]:
            return lambda s: s.enter_step(exercise, step, on=on, confirmed=confirmed)

        state = self.live.state
        why = reentry.why_confirm(state, on, exercise, step)
        if why is None or days.reopening(state, on, self.live.clock.now()) is not None:  # one question: the day's
            await self.stepping(make)
            return
        from facilitator.tui.modals.choice import YES, Choice

        def answered(answer: str | None) -> None:
            if answer == YES:
                self.app.run_worker(self.stepping(make), exclusive=True, group="step")

        self.app.push_screen(Choice("Enter this step again?", why, "enter it again"), answered)

    async def stepping(self, make: Callable[[bool], Callable[[Session], object]]) -> None:
        """Run a command that enters a step; when that would reopen a closed day or carry a day over to
        another date, ask the driver first (facilitator.live.days.reopening) and run it again if they say yes."""
        from facilitator.tui.modals.choice import YES, Choice

        try:
            await self.live.attempt(make(False))
        except NeedsConfirmation as exc:

            def answered(answer: str | None) -> None:
                if answer == YES:
                    self.app.run_worker(self.live.command(make(True)), exclusive=True, group="step")

            self.app.push_screen(Choice("Go back to an earlier day?", str(exc), "enter the step"), answered)
        except InputError as exc:
            self.app.notify("\n".join(exc.lines()), severity="error", markup=False)
        except StoreError as exc:
            self.live.show_store_error(exc)

    async def toggle_pause(self) -> None:
        await self.live.command(lambda s: s.resume() if s.state.timer and s.state.timer.paused else s.pause())

    async def adjust(self, seconds: int) -> None:
        """Change the step's time; more than a minute at once (``[`` and ``]``) is asked first."""

        async def change() -> None:
            await self.live.command(lambda s: s.adjust(timedelta(seconds=seconds)))

        if abs(seconds) <= CONFIRM_BEYOND_SECONDS or self.live.state.timer is None:
            await change()
            return
        from facilitator.tui.modals.choice import YES, Choice

        minutes = abs(seconds) // 60
        title = f"{'Add' if seconds > 0 else 'Take off'} {minutes} minutes?"
        more = "more" if seconds > 0 else "less"
        text = f"The current step gets {minutes} minutes {more}; the day's forecast moves with it."

        def answered(answer: str | None) -> None:
            if answer == YES:
                self.app.run_worker(change(), group="adjust")

        self.app.push_screen(Choice(title, text, "change the time"), answered)

    def jump_to(self, day: str, exercise: str, step: str) -> None:
        self.app.run_worker(self.enter(date.fromisoformat(day), exercise, step), exclusive=True, group="jump")

    def open_day(self, on: date) -> None:
        self.app.run_worker(self.live.command(lambda s: s.open_day(on)), exclusive=True, group="day")

    def close_day(self) -> None:
        self.app.run_worker(self.live.command(Session.close_day), exclusive=True, group="day")

    def quit(self, *, driving: bool) -> None:
        """Leave the app; the driver leaving after the day's last step is offered to close the day first."""
        state = self.live.state
        timeline = state.day_timeline()
        last = bool(timeline) and state.current is not None and state.current == timeline[-1]
        if not (driving and last and state.day not in state.closed):
            self.app.exit()
            return
        from facilitator.tui.modals.choice import NO, YES, Choice

        async def close_and_quit() -> None:
            await self.live.command(Session.close_day)
            self.app.exit()

        def answered(answer: str | None) -> None:
            if answer == YES:
                self.app.run_worker(close_and_quit(), exclusive=True, group="day")
            elif answer == NO:
                self.app.exit()

        choice = Choice("Close the day?", QUIT_TEXT, "close the day and quit", "quit, leave it open")
        self.app.push_screen(choice, answered)
