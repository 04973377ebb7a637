"""Every binding and what it does, built from the bindings themselves so it cannot go stale."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from facilitator.config import config_path
from facilitator.tui import bindings
from facilitator.tui.bindings import KeyGroup
from facilitator.tui.keys import readable_keys
from facilitator.tui.live import live_app


class HelpScreen(ModalScreen[None]):
    """Every key of ``groups`` (by default all the app's, :data:`facilitator.tui.bindings.HELP_GROUPS`), group
    by group, with the user's remapping."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings.HELP)

    def __init__(self, groups: Sequence[KeyGroup] = bindings.HELP_GROUPS) -> None:
        super().__init__()
        self.groups = groups

    @property
    def rows(self) -> list[tuple[str, str, str]]:
        """(keys, what they do, binding id) for every binding, screen by screen, with the user's remapping."""
        keymap = live_app(self).keymap
        rows: list[tuple[str, str, str]] = []
        for group in self.groups:
            rows.append(("", group.title, ""))
            for binding in group.bindings:
                if binding.id:
                    keys = keymap.get(binding.id, binding.key)
                    rows.append((readable_keys(keys), binding.tooltip or binding.description, binding.id))
            rows.extend((keys, what, "") for keys, what in group.textual_keys)
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
