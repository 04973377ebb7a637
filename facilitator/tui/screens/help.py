"""Every binding and what it does, built from the bindings themselves so it cannot go stale."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Static

from facilitator.config import config_path
from facilitator.tui.live import live_app


def _keys_text(keys: str) -> str:
    names = {
        "plus": "+", "minus": "-", "equals_sign": "=", "question_mark": "?", "underscore": "_",
        "left_square_bracket": "[", "right_square_bracket": "]", "right": "→", "left": "←",
        "escape": "esc", "slash": "/", "up": "↑", "down": "↓",
    }  # fmt: skip
    return ", ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    """Every key of ``owners``, section by section: (where the keys work, the class that binds them).

    The app passes its list (:func:`facilitator.tui.app.binding_owners`); this screen imports no other screen.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "dismiss", "Close", id="close-help")]

    def __init__(self, owners: Sequence[tuple[str, type[DOMNode]]]) -> None:
        super().__init__()
        self.owners = owners

    @property
    def rows(self) -> list[tuple[str, str, str]]:
        """(keys, what they do, binding id) for every binding, screen by screen, with the user's remapping."""
        keymap = live_app(self).keymap
        rows: list[tuple[str, str, str]] = []
        for section, owner in self.owners:
            rows.append(("", section, ""))
            for binding in owner.BINDINGS:
                if isinstance(binding, Binding) and binding.id:
                    keys = keymap.get(binding.id, binding.key)
                    rows.append((_keys_text(keys), binding.tooltip or binding.description, binding.id))
            if owner is type(self.app):
                rows.append(("ctrl+p", "Command palette: every action by name", ""))
        return rows

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", expand=True)
        table.add_column("keys", no_wrap=True)
        table.add_column("action")
        table.add_column("id", style="dim", no_wrap=True)
        for keys, action, binding_id in self.rows:
            if keys or binding_id:
                table.add_row(keys, action, binding_id)
            else:
                table.add_row("", Text(action, style="bold underline"), "")
        with VerticalScroll(id="help-body"):
            yield Static("Keys", classes="title")
            yield Static(table)
            yield Static(
                f'Remap any key by its id in {config_path()}, e.g.\n  [keys]\n  next = "n,right,j"\n'
                "Esc closes this screen.",
                markup=False,
                classes="hint",
            )
