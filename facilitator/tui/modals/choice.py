"""The one confirm modal: a yes/no (or yes/no/cancel) question before an act that changes the record in a way
the facilitator may not expect: y answers "yes", n "no" (or cancels when the question has no "no"), escape
cancels. Every question of the app is one: retracting a reflection, checking everyone in at a location,
taking control, closing the day, going back to an earlier day, closing a room question before its step
ends. Its answer comes back through ``dismiss()``."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from facilitator.text import printable
from facilitator.tui import bindings

YES = "yes"
NO = "no"


class Choice(ModalScreen[str | None]):
    """Dismisses with YES, NO, or None (cancelled: nothing happens). The text says in words what each key does."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings.CHOICE)

    def __init__(self, title: str, text: str, yes: str, no: str | None = None, *, cancel: str = "cancel") -> None:
        """``yes``, ``no`` and ``cancel`` say what each key does, in words: "retract", "keep", ..."""
        super().__init__()
        self.question = title
        self.text = text
        self.yes = yes
        self.no = no
        self.cancel = cancel

    def compose(self) -> ComposeResult:
        with Vertical(id="choice"):
            yield Static(Text(printable(self.question), style="bold"), classes="title")
            yield Static(Text(printable(self.text)), id="choice-text")
            keys = f"y: {self.yes}   " + (
                f"n: {self.no}   escape: {self.cancel}" if self.no else f"n or escape: {self.cancel}"
            )
            yield Static(Text(printable(keys), style="bold"), id="choice-keys")

    def action_answer(self, value: str | None = None) -> None:
        self.dismiss(NO if value == NO and self.no else YES if value == YES else None)
