"""Move a person to another breakout group (``m`` on the groups screen): asks the group's number.

Enter moves them on the database thread; the session's one-line refusal (no such group, the group they are in,
a group that would be left empty, someone no longer checked in) is shown under the number, with nothing
recorded. Dismisses with the group's number once moved, or None when cancelled.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from facilitator.problems import InputError, StoreError
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.live import LiveApp, live_app


class MoveForm(ModalScreen[int | None]):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings.GROUPS_FORM)

    def __init__(self, participant: str, name: str, group: int | None, numbers: tuple[int, ...]) -> None:
        """``group``: the one they are in now (None: in none yet); ``numbers``: the groups there are."""
        super().__init__()
        self.participant = participant
        self.name_shown = printable(name)
        self.group = group
        self.numbers = numbers
        self._moving = False

    @property
    def lead_app(self) -> LiveApp:
        return live_app(self)

    def compose(self) -> ComposeResult:
        now = f"in group {self.group} now" if self.group is not None else "in no group yet"
        there = f"groups {self.numbers[0]} to {self.numbers[-1]}" if self.numbers else "no groups"
        with Vertical(id="move-form"):
            yield Static(Text(f"Move {self.name_shown}", style="bold"), classes="title")
            yield Static(Text(f"{now}; {there}", style="dim"))
            yield Input(type="integer", placeholder="to group number", id="move-number")
            yield Static(id="move-error", markup=False)
            yield Static("enter moves · esc cancels", classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#move-error", Static).display = False
        self.query_one("#move-number", Input).focus()

    def show_error(self, message: str) -> None:
        error = self.query_one("#move-error", Static)
        error.update(message)
        error.display = bool(message)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter in the field, once the digits typed before it have reached it (see make_groups.py).
        event.stop()
        self.action_submit()

    def action_cancel(self) -> None:
        if not self._moving:
            self.dismiss(None)

    def action_submit(self) -> None:
        if self._moving:
            return
        typed = self.query_one("#move-number", Input).value.strip()
        try:
            number = int(typed)
        except ValueError:
            self.show_error("number: type the number of the group to move them to")
            return
        self._moving = True
        self.run_worker(self._move(number), group="move-to-group")

    async def _move(self, number: int) -> None:
        participant = self.participant
        try:
            await self.lead_app.attempt(lambda s: s.move_to_group(participant, number))
        except InputError as exc:
            self.show_error(" ".join(exc.lines()))
            return
        except StoreError as exc:
            self.show_error(f"Not saved: {printable(str(exc))}")
            return
        finally:
            self._moving = False
        self.app.notify(f"{self.name_shown} moved to group {number}.", markup=False, timeout=4)
        self.dismiss(number)
