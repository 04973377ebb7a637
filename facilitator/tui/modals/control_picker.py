"""Handing control over (``h``, the driver): who may take the seat, those who asked first.

(Taking control when the driver's process has gone, ``T``, is a question: a Choice the app asks.)"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from facilitator.live.state import SessionState
from facilitator.team.presence import Presence
from facilitator.team.roles import CO, LEAD, OBSERVER
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.live import LiveApp, live_app


def candidates(state: SessionState, me: str) -> list[tuple[str, bool]]:
    """(name, asked for control) of everyone who may take the seat: those who asked first, oldest first."""
    asked = [name for name in state.control_requests if name != me]
    others = sorted(name for name, member in state.facilitators.items() if member.role != OBSERVER and name != me)
    return [(name, True) for name in asked] + [(name, False) for name in others if name not in asked]


class ControlPicker(ModalScreen[None]):
    """The joined lead and co-facilitators; enter hands control to the highlighted one, x declines a request."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings.CONTROL_PICKER)

    @property
    def lead_app(self) -> LiveApp:
        return live_app(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="control-picker"):
            yield Static("Hand control to", classes="title")
            yield OptionList(id="control-people")
            yield Static("enter hands over · x declines a request · esc closes", classes="hint", markup=False)

    connected: frozenset[str] | None = None  # who has a live process (None until read)

    def on_mount(self) -> None:
        self.watch(self.app, "present", self._present_changed)
        self.watch(self.app, "state", lambda _: self.refill())

    def _present_changed(self, rows: tuple[Presence, ...]) -> None:
        """Mark who is not connected: handing control to them would leave nobody driving."""
        # No rows at all: not read yet (this process's own row is always among them once it is).
        self.connected = frozenset(row.actor for row in rows if row.role in (LEAD, CO)) if rows else None
        self.refill()

    def refill(self) -> None:
        people = self.query_one("#control-people", OptionList)
        highlighted = people.highlighted_option.id if people.highlighted_option is not None else None
        found = candidates(self.lead_app.state, self.lead_app.actor)
        people.clear_options()
        for name, asked in found:
            member = self.lead_app.state.facilitators.get(name)
            label = Text(printable(name))
            if member is not None:
                label.append(f"  {member.role}", style="dim")
                if member.location:
                    label.append(f" · {printable(member.location)}", style="dim")
            if asked:
                label.append("  asks for control", style="bold")
            if self.connected is not None and name not in self.connected:
                label.append("  not connected", style="italic dim")
            people.add_option(Option(label, id=name))
        if not found:
            people.add_option(Option(Text("nobody else has joined yet", style="dim"), disabled=True))
        ids = [name for name, _ in found]
        people.highlighted = ids.index(highlighted) if highlighted in ids else (0 if ids else None)
        people.focus()

    def _highlighted(self) -> str | None:
        option = self.query_one("#control-people", OptionList).highlighted_option
        return option.id if option is not None else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_hand_over()

    def action_hand_over(self) -> None:
        name = self._highlighted()
        if name is None:
            return
        self.dismiss()
        self.lead_app.hand_control_to(name)

    def action_decline(self) -> None:
        name = self._highlighted()
        if name is None:
            return
        if name not in self.lead_app.state.control_requests:
            self.notify(f"{printable(name)} has not asked for control.", markup=False, timeout=3)
            return
        self.lead_app.decline_control(name)
