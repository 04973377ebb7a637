"""Small pickers: jump to any step by fuzzy search, change the day, and which of the questions at hand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from facilitator.live.days import workshop_tz
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.live import LiveApp, live_app


class _Picker(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings.PICKER)

    @property
    def lead_app(self) -> LiveApp:
        return live_app(self)


class JumpScreen(_Picker):
    """Type part of a step's or exercise's title; enter jumps there, on whichever day it is."""

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("Jump to a step", classes="title")
            yield Input(placeholder="type to filter steps…", id="jump-query")
            yield OptionList(id="jump-results")

    def on_mount(self) -> None:
        self._refill("")

    def _candidates(self) -> list[tuple[str, str, str]]:
        state = self.lead_app.state
        programme = state.programme
        if programme is None:
            return []
        days = sorted(programme.workshop.days, key=lambda d: d.date != state.day)
        found = []
        for day in days:
            for planned in programme.timeline(day):
                label = f"{day.date:%a} {planned.start:%H:%M}  {planned.step.title} — {planned.exercise.title}"
                found.append((f"{day.date.isoformat()}/{planned.key}", printable(label), planned.step.title))
        return found

    def _refill(self, query: str) -> None:
        results = self.query_one("#jump-results", OptionList)
        results.clear_options()
        candidates = self._candidates()
        if query.strip():
            matcher = Matcher(query)
            # A match in the step's own title counts double: people remember steps by their names.
            scored = [
                (2 * matcher.match(title) + matcher.match(label), (key, label, title))
                for key, label, title in candidates
            ]
            candidates = [candidate for score, candidate in sorted(scored, key=lambda s: -s[0]) if score > 0]
        results.add_options(
            [Option(Text(label, no_wrap=True, overflow="ellipsis"), id=key) for key, label, _ in candidates[:200]]
        )
        if candidates:
            results.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._refill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        results = self.query_one("#jump-results", OptionList)
        if results.highlighted is not None:
            self._choose(results.get_option_at_index(results.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def on_key(self, event: events.Key) -> None:
        # The query box keeps the focus; up and down move through the results all the same.
        results = self.query_one("#jump-results", OptionList)
        if event.key == "down":
            results.action_cursor_down()
            event.stop()
        elif event.key == "up":
            results.action_cursor_up()
            event.stop()

    def _choose(self, key: str | None) -> None:
        if key:
            day, exercise, step = key.split("/")
            self.lead_app.jump_to(day, exercise, step)
        self.dismiss()


class DayScreen(_Picker):
    """The workshop's days; enter opens one."""

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("Change day", classes="title")
            yield OptionList(id="days")

    def on_mount(self) -> None:
        state = self.lead_app.state
        programme = state.programme
        days = self.query_one("#days", OptionList)
        if programme is None:
            return
        offset = 0
        if state.day is not None and state.day not in state.closed and any(v.day == state.day for v in state.visits):
            # The driver's end of the day, on the record: first, as it is what the end of a day calls for.
            label = f"■ Close the day ({state.day:%a %d %b}) now: its record ends here"
            days.add_option(Option(Text(label, style="bold"), id=CLOSE_DAY))
            offset = 1
        tz = workshop_tz(programme)
        for day in programme.workshop.days:
            minutes = int(programme.planned_duration(day).total_seconds() // 60)
            visited = any(v.day == day.date for v in state.visits)
            mark = "▶" if day.date == state.day else "✓" if visited else "·"
            close = state.closed.get(day.date)
            ended = f"  closed {close.at.astimezone(tz):%H:%M}" if close is not None else ""
            label = (
                f"{mark} {day.date:%a %d %b}  {day.title}  ({len(programme.timeline(day))} steps, {minutes} min){ended}"
            )
            days.add_option(Option(Text(printable(label), no_wrap=True, overflow="ellipsis"), id=day.date.isoformat()))
        current = [d.date for d in programme.workshop.days].index(state.day) if state.day else 0
        days.highlighted = current + offset
        days.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        from datetime import date

        if event.option.id == CLOSE_DAY:
            self.lead_app.close_day()
        elif event.option.id:
            self.lead_app.open_day(date.fromisoformat(event.option.id))
        self.dismiss()


CLOSE_DAY = "close-day"


class QuestionPicker(ModalScreen[str | None]):
    """Which of several questions a key (v, x) acts on: dismisses with its key, or None (escape)."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings.PICKER)

    def __init__(self, title: str, questions: Sequence[tuple[str, str]]) -> None:
        """``questions``: (key, the line that shows it), in the order the question panel lists them."""
        super().__init__()
        self.title_text = title
        self.questions = questions

    def compose(self) -> ComposeResult:
        lines = self.questions
        with Vertical(id="question-picker"):
            yield Static(Text(printable(self.title_text)), classes="title")
            options = [Option(Text(printable(text), no_wrap=True, overflow="ellipsis"), id=key) for key, text in lines]
            yield OptionList(*options, id="question-choices")

    def on_mount(self) -> None:
        choices = self.query_one("#question-choices", OptionList)
        choices.highlighted = 0
        choices.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
