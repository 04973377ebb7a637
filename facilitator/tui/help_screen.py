"""Every binding and what it does, built from the bindings themselves so it cannot go stale."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from facilitator.config import config_path


def _keys_text(keys: str) -> str:
    names = {
        "plus": "+", "minus": "-", "equals_sign": "=", "question_mark": "?", "underscore": "_",
        "left_square_bracket": "[", "right_square_bracket": "]", "right": "→", "left": "←",
    }  # fmt: skip
    return ", ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "dismiss", "Close", id="close-help")]

    @property
    def rows(self) -> list[tuple[str, str, str]]:
        """(keys, what they do, binding id) for every binding of the app, with the user's remapping."""
        keymap = self.app._keymap
        rows = []
        for binding in self.app.BINDINGS:
            if not isinstance(binding, Binding):
                continue
            keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
            rows.append((_keys_text(keys), binding.tooltip or binding.description, binding.id or ""))
        rows.append(("ctrl+p", "Command palette: every action by name", ""))
        rows.append(("enter, click", "In the agenda: enter the highlighted step", ""))
        return rows

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", expand=True)
        table.add_column("keys", no_wrap=True)
        table.add_column("action")
        table.add_column("id", style="dim", no_wrap=True)
        for row in self.rows:
            table.add_row(*row)
        with VerticalScroll(id="help-body"):
            yield Static("Keys", classes="title")
            yield Static(table)
            yield Static(
                f'Remap any key by its id in {config_path()}, e.g.\n  [keys]\n  next = "n,right,j"\n'
                "Esc closes this screen.",
                markup=False,
                classes="hint",
            )
