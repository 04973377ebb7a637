"""The command palette (ctrl+p) of every app here: Textual's, with safe page keys and, by role, no file writes.

- **Page keys.** Textual 8.2.8's option list pages by line positions that it computes only once the list
  has been laid out. A PageDown or PageUp that reaches the palette before its first layout (ctrl+p and the
  page key in one burst, as keys arrive over a slow SSH link) raised ``KeyError`` and closed the app. The
  palette here sends a page key on to its list only once the list has a size; before that it does nothing.
- **Commands that write files.** Textual's system commands include "Screenshot", which saves the screen
  (the roster, reflections) as an SVG in the account's files. Only the lead, at the host's own terminal,
  keeps it: a co-facilitator or observer logs in to an account that is not theirs, and the room view is
  shared into a video call. :func:`without_file_writes` filters those commands out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.command import CommandList, CommandPalette

from facilitator.tui import bindings

# Textual's system commands that write a file, by title: Screenshot (App.deliver_screenshot).
WRITES_FILES = frozenset({"Screenshot"})
# The actions that write a file (App.action_screenshot), refused where the palette leaves them out.
FILE_ACTIONS = frozenset({"screenshot"})


class Palette(CommandPalette):
    """Textual's command palette whose page keys wait for its list to be laid out."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings.PALETTE)

    async def action_page(self, direction: int) -> None:
        commands = self.query_one(CommandList)
        if commands.scrollable_content_region:  # laid out and shown: its lines are known
            await commands.run_action("page_down" if direction > 0 else "page_up")


def open_palette(app: App[Any]) -> None:
    """What ``App.action_command_palette`` does, with :class:`Palette`."""
    if app.use_command_palette and not CommandPalette.is_open(app):
        app.push_screen(Palette(id="--command-palette"))


def without_file_writes(commands: Iterable[SystemCommand]) -> Iterable[SystemCommand]:
    """``commands`` less those that write a file."""
    return (command for command in commands if command.title not in WRITES_FILES)
