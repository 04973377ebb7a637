"""Every binding and what it does, built from the bindings themselves so it cannot go stale."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
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
from facilitator.tui.widgets.too_small import TooSmall

# Below this a binding's keys and what it does no longer share a line.
MINIMUM_SIZE = (30, 8)
# The binding ids get a column of their own only if what a binding does still has this many characters.
ACTION_WIDTH = 36
COLUMN_GAPS = 4  # Rich's padding between three columns


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
        with VerticalScroll(id="help-body"):
            yield Static("Keys", classes="title")
            yield Static(KeyTable(self.rows))
            yield Static(
                f'Remap any key by its id in {config_path()}, e.g.\n  [keys]\n  next = "n,right,j"\n'
                "Esc closes this screen.",
                markup=False,
                classes="hint",
            )
        yield TooSmall(*MINIMUM_SIZE)


class KeyTable:
    """The rows as a table laid out for the width it is drawn at: what a key does takes the room there is,
    and the binding's id goes under it where a column of ids would squeeze it to a word."""

    def __init__(self, rows: Sequence[tuple[str, str, str]]) -> None:
        self.rows = rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.table(options.max_width)

    def table(self, width: int) -> Table:
        keys_width = max((cell_len(keys) for keys, _, _ in self.rows), default=0)
        ids_width = max((cell_len(binding_id) for _, _, binding_id in self.rows), default=0)
        # Rich gives the no-wrap columns their longest cell first: an id column as wide as the longest id
        # left "what it does" a few characters, while most of the ids beside it were short.
        with_ids = width - keys_width - ids_width - COLUMN_GAPS >= ACTION_WIDTH
        table = Table(box=None, show_header=True, header_style="bold", expand=True)
        table.add_column("keys", no_wrap=True)
        table.add_column("action", ratio=1)  # the room left over goes here, not to the other columns
        if with_ids:
            table.add_column("id", style="dim", no_wrap=True)
        for keys, action, binding_id in self.rows:
            if not (keys or binding_id):
                table.add_row("", Text(action, style="bold underline"), *([""] if with_ids else []))
            elif with_ids:
                table.add_row(keys, action, binding_id)
            else:
                what = Text(action)
                if binding_id:
                    what.append(f"\nid: {binding_id}", style="dim")
                table.add_row(keys, what)
        return table
