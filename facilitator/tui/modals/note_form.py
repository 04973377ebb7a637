"""A short note to the driver (``m``): one line; enter sends it, escape cancels."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from facilitator.team.roles import MAX_NOTE_CHARS
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.live import LiveApp, live_app


class NoteForm(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings.NOTE_FORM)

    @property
    def lead_app(self) -> LiveApp:
        return live_app(self)

    def compose(self) -> ComposeResult:
        driver = self.lead_app.state.driver
        with Vertical(id="note-form"):
            yield Static(
                Text(f"Note to {printable(driver) if driver else 'the driver'}", style="bold"), classes="title"
            )
            yield Input(placeholder="five more minutes", max_length=MAX_NOTE_CHARS, id="note-text")
            yield Static("enter sends · esc cancels", markup=False, classes="hint")

    def on_mount(self) -> None:
        self.query_one("#note-text", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value
        if not text.strip():
            self.notify("Type the note first (esc cancels).", timeout=3)
            return
        self.dismiss()
        self.lead_app.send_note(text)
