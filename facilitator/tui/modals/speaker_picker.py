"""Who has the floor: type a few letters of a name (or a location), enter counts a turn and starts their clock.

The people offered are those checked in now (the app's attendance snapshot), the one speaking first marked;
a facilitator keeping the tally during a lively discussion types two or three letters and presses enter, so
the best match is highlighted at once. Dismisses with the participant's id, or None (escape: nothing counted).
"""

from __future__ import annotations

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

from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.live import live_app

SHOWN = 200  # options drawn at most: the best matches come first, and a room is rarely larger


class SpeakerPicker(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings.PICKER)

    def __init__(self, speaking_now: str | None = None) -> None:
        super().__init__()
        self.speaking_now = speaking_now  # the participant whose clock runs, if any

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("Who speaks? (enter counts a turn)", classes="title")
            yield Input(placeholder="type a few letters of a name…", id="speaker-query")
            yield OptionList(id="speaker-results")

    def on_mount(self) -> None:
        self._refill("")

    def _candidates(self) -> list[tuple[str, str, str]]:
        """(participant id, label, name) of everyone checked in now, in roster order."""
        attendance = live_app(self).attendance
        if attendance is None:
            return []
        found = []
        for person in attendance.people.values():
            if not person.present:
                continue
            mark = "▶ " if person.id == self.speaking_now else "  "
            found.append((person.id, printable(f"{mark}{person.name} — {person.location}"), person.name))
        return found

    def _refill(self, query: str) -> None:
        results = self.query_one("#speaker-results", OptionList)
        results.clear_options()
        candidates = self._candidates()
        if query.strip():
            matcher = Matcher(query)
            # The name counts double: a location's letters alone should not outrank a person's.
            scored = [(2 * matcher.match(c[2]) + matcher.match(c[1]), c) for c in candidates]
            candidates = [c for score, c in sorted(scored, key=lambda s: -s[0]) if score > 0]
        if not candidates:
            results.add_option(Option(Text("nobody checked in matches", style="dim"), id=None, disabled=True))
            return
        results.add_options(
            [Option(Text(label, no_wrap=True, overflow="ellipsis"), id=pid) for pid, label, _ in candidates[:SHOWN]]
        )
        results.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._refill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        results = self.query_one("#speaker-results", OptionList)
        if results.highlighted is not None:
            option = results.get_option_at_index(results.highlighted)
            if not option.disabled:
                self.dismiss(option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_key(self, event: events.Key) -> None:
        # The query box keeps the focus; up and down move through the names all the same.
        results = self.query_one("#speaker-results", OptionList)
        if event.key == "down":
            results.action_cursor_down()
            event.stop()
        elif event.key == "up":
            results.action_cursor_up()
            event.stop()
