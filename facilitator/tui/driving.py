"""The driver's commands: stepping through the day, the timer, jumping, opening and closing days, the room's
questions, quitting.

What the keys n, p, space, +, -, g, d, v and x and the day, jump and question pickers end in. Each runs a
session command through the app (:meth:`~facilitator.tui.live.LiveApp.command`), and asks first (a
:class:`~facilitator.tui.modals.choice.Choice`) where the engine says a step needs confirming
(:class:`~facilitator.live.session.NeedsConfirmation`: an earlier day reopened or carried over), where
quitting would leave the day's last step open, or before a question is closed (it takes no more answers).
With several questions at hand, ``v`` and ``x`` first ask which one
(:class:`~facilitator.tui.modals.pickers.QuestionPicker`, which the app passes in). Once a step is entered,
``after_step`` (the app passes it: facilitator.tui.breakouts) makes the groups the step asks for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from typing import Any

from textual.app import App
from textual.screen import Screen

from facilitator.live import days, reentry
from facilitator.live.session import NeedsConfirmation, Session
from facilitator.problems import InputError, StoreError
from facilitator.script.models import AskedQuestion
from facilitator.tui.live import LiveApp, live_app
from facilitator.tui.parts import one_line
from facilitator.tui.results import numbered, status_words

CONFIRM_BEYOND_SECONDS = 60  # a timer change larger than this, in one key, is asked first
QUIT_TEXT = (
    "This is the day's last step. Close the day now, so its record ends here? Left open, it is closed "
    "later at the end its pace forecast gave at your last action."
)


# Makes the screen that asks which of several questions: its title and (question key, line) choices.
QuestionPickerFactory = Callable[[str, list[tuple[str, str]]], Screen[str | None]]


class Driving:
    """The driver's commands, run in ``app``."""

    def __init__(
        self,
        app: App[Any],
        question_picker: QuestionPickerFactory,
        after_step: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.app: App[Any] = app
        # The screen that asks which question (the app passes it: a screen opens another only through the app).
        self.question_picker = question_picker
        self.after_step = after_step  # what follows a step entered: the groups it asks for

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

            async def confirmed() -> None:
                if await self.run(make(True)):
                    await self.entered()

            def answered(answer: str | None) -> None:
                if answer == YES:
                    self.app.run_worker(confirmed(), exclusive=True, group="step")

            self.app.push_screen(Choice("Go back to an earlier day?", str(exc), "enter the step"), answered)
        except InputError as exc:
            self.app.notify("\n".join(exc.lines()), severity="error", markup=False)
        except StoreError as exc:
            self.live.show_store_error(exc)
        else:
            await self.entered()

    async def entered(self) -> None:
        if self.after_step is not None:
            await self.after_step()

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

    # -- the room's questions (facilitator.tui.results) -----------------------------------------------

    def reveal_results(self) -> None:
        """``v``: show a question's results to the room (the room view, the phones), or hide them again."""
        if self._refused("reveal_results"):
            return
        questions = numbered(self.live.state)
        self.pick_question("Show or hide the results of which question?", questions, self._toggle_results)

    def _toggle_results(self, name: str, asked: AskedQuestion) -> None:
        status = self.live.state.questions.get(asked.key)
        revealed = not (status is not None and status.revealed)

        async def toggle() -> None:
            if await self.run(lambda s: s.reveal_results(asked.key, revealed)):
                what = "shown to the room" if revealed else "hidden from the room"
                self.app.notify(f"{name}: results {what}.", markup=False, timeout=4)

        self.app.run_worker(toggle(), group="question")

    def close_question(self) -> None:
        """``x``: close an open question before its step ends (the course evaluation: at all); asks first."""
        if self._refused("close_question"):
            return
        state = self.live.state
        questions = [(name, a) for name, a in numbered(state) if state.questions[a.key].open]
        self.pick_question("Close which question?", questions, self._confirm_close)

    def _confirm_close(self, name: str, asked: AskedQuestion) -> None:
        from facilitator.tui.modals.choice import YES, Choice

        answered = self.live.results.of(asked.key).answered
        attendance = self.live.attendance
        present = sum(count.present for count in attendance.counts.values()) if attendance is not None else None
        people = "nobody" if not answered else "1 person" if answered == 1 else f"{answered} people"
        of = f" of the {present} present" if present else ""
        text = (
            f"“{one_line(asked.question.text, 120).plain}”\n\n{people}{of} answered. A closed question takes no "
            "more answers: only entering its step again opens it again."
        )

        async def close() -> None:
            if await self.run(lambda s: s.close_question(asked.key)):
                self.app.notify(f"{name} closed: {people} answered.", markup=False, timeout=4)

        def chosen(answer: str | None) -> None:
            if answer == YES:
                self.app.run_worker(close(), group="question")

        self.app.push_screen(Choice(f"Close {name}?", text, "close it", cancel="keep it open"), chosen)

    def pick_question(
        self,
        title: str,
        questions: Sequence[tuple[str, AskedQuestion]],
        then: Callable[[str, AskedQuestion], None],
    ) -> None:
        """Go on with the one question, or ask which of several (its name and a line of it, by its state)."""
        if len(questions) == 1:
            then(*questions[0])
            return
        if not questions:
            return
        state = self.live.state
        lines = []
        for name, asked in questions:
            taking, shown = status_words(state.questions.get(asked.key))
            text = " ".join(asked.question.text.split())  # one line, however the script wrapped it
            lines.append((asked.key, f"{name} · {taking} · {shown} · {text}"))
        by_key = {asked.key: (name, asked) for name, asked in questions}

        def picked(key: str | None) -> None:
            if key in by_key:
                then(*by_key[key])

        self.app.push_screen(self.question_picker(title, lines), picked)

    def _refused(self, action: str) -> bool:
        """Say why this role may not run ``action`` now (the command palette runs actions whatever the keys)."""
        refusal = self.live.refusal(action)
        if refusal is not None:
            self.app.notify(refusal, severity="warning", markup=False, timeout=4)
        return refusal is not None

    async def run(self, command: Callable[[Session], object]) -> bool:
        """Run a session command; its refusal or the database's as a notification. Whether it was written."""
        try:
            await self.live.attempt(command)
        except InputError as exc:
            self.app.notify("\n".join(exc.lines()), severity="error", markup=False)
            return False
        except StoreError as exc:
            self.live.show_store_error(exc)
            return False
        return True

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
