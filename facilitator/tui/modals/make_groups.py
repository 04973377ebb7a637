"""Make breakout groups (``B``): size or count, what to mix, each group's call, how long they meet.

It starts from what the current step proposes (facilitator.live.step_groups.proposed: its ``groups:``, else the
size of a ``grouping: {by: random, size: N}``, else groups of 4). Enter makes them on the database thread; the
session's one-line refusal (a size larger than the people checked in, fewer than two people, a call without
``{n}``) is shown under the form, with nothing recorded, and the field it names gets the focus. Dismisses with
the grouping's id once made, or None when cancelled.
"""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from facilitator.groups.rules import MIX
from facilitator.live.session import Session
from facilitator.live.step_groups import Proposal, proposed
from facilitator.problems import InputError, StoreError
from facilitator.script.durations import DurationError, format_duration, parse_duration
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.breakouts import sizes_text
from facilitator.tui.live import LiveApp, live_app

FIELDS = ("size", "count", "call", "duration")  # the inputs, by the field a refusal names


class MixBox(Checkbox, inherit_bindings=False):
    """A box that space ticks; enter, as everywhere in the form, makes the groups."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings.GROUPS_MIX_BOX)


class MakeGroupsForm(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings.GROUPS_FORM)

    def __init__(self) -> None:
        super().__init__()
        self._making = False

    @property
    def lead_app(self) -> LiveApp:
        return live_app(self)

    def compose(self) -> ComposeResult:
        state = self.lead_app.state
        current = state.current
        step = current.step if current is not None else None
        start = proposed(step)
        with Vertical(id="groups-form"):
            yield Static(Text("Make breakout groups", style="bold"), classes="title")
            yield Static(self._intro(start), id="groups-form-context")
            with Horizontal(classes="groups-row"):
                yield Label("Group size", markup=False)
                yield Input(
                    _number(start.size), type="integer", placeholder="people", id="groups-size", valid_empty=True
                )
                yield Label("or groups", markup=False, classes="groups-or")
                yield Input(
                    _number(start.count), type="integer", placeholder="count", id="groups-count", valid_empty=True
                )
            with Horizontal(classes="groups-row"):
                yield Label("Mix", markup=False)
                for by in MIX:
                    yield MixBox(f"{by}s", value=by in start.mix, id=f"groups-mix-{by}")
            with Horizontal(classes="groups-row"):
                yield Label("Call", markup=False)
                yield Input(
                    printable(start.call or ""),
                    placeholder="optional: https://meet.example.org/room-{n} or Room {n}",
                    id="groups-call",
                )
            with Horizontal(classes="groups-row"):
                yield Label("Duration", markup=False)
                shown = format_duration(start.duration) if start.duration is not None else ""
                yield Input(shown, placeholder="optional: 20m", id="groups-duration")
            yield Static(id="groups-form-error", markup=False)
            yield Static("enter makes them · space ticks a box · tab moves · esc cancels", classes="hint", markup=False)

    def _intro(self, start: Proposal) -> Text:
        """Who the groups are made of, and where the proposal comes from."""
        attendance = self.lead_app.attendance
        present = sum(c.present for c in attendance.counts.values()) if attendance is not None else None
        text = Text("Of the people checked in now", style="dim")
        if present is not None:
            text.append(f" ({present})", style="dim")
        current = self.lead_app.state.current
        if current is not None and current.step.groups is not None:
            text.append(f"; as “{printable(current.step.title)}” asks", style="dim")
        elif current is not None and start.size is not None and current.step.grouping is not None:
            text.append(f"; the size of “{printable(current.step.title)}”'s grouping", style="dim")
        text.append(". Each group gets its share of every location and gender ticked.", style="dim")
        return text

    def on_mount(self) -> None:
        self.query_one("#groups-form-error", Static).display = False
        by_count = self.query_one("#groups-count", Input).value != ""
        self.query_one("#groups-count" if by_count else "#groups-size").focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """A size or a count, not both: typing one clears the other."""
        other = {"groups-size": "#groups-count", "groups-count": "#groups-size"}.get(event.input.id or "")
        if other is not None and event.value:
            self.query_one(other, Input).value = ""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter in a field, once the keys typed before it have reached it (a priority binding would read the
        # fields before keys typed ahead over a slow link had: groups made without the call just typed).
        event.stop()
        self.action_submit()

    def show_error(self, message: str) -> None:
        error = self.query_one("#groups-form-error", Static)
        error.update(message)
        error.display = bool(message)
        field = message.split(":", 1)[0].strip()
        for name in FIELDS:
            self.query_one(f"#groups-{name}", Input).set_class(name == field, "-invalid")
        if field in FIELDS:
            self.query_one(f"#groups-{field}", Input).focus()
        elif field == "mix":
            self.query_one(Checkbox).focus()

    # -- actions -------------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        if not self._making:
            self.dismiss(None)

    def action_submit(self) -> None:
        if self._making:
            return
        asked = []
        for name in ("size", "count"):
            typed = self.query_one(f"#groups-{name}", Input).value.strip()
            try:
                asked.append(int(typed) if typed else None)
            except ValueError:  # a lone minus sign: the integer input lets one through
                self.show_error(f"{name}: {typed!r} is not a whole number")
                return
        mix = [by for by in MIX if self.query_one(f"#groups-mix-{by}", Checkbox).value]
        call = self.query_one("#groups-call", Input).value.strip() or None
        written = self.query_one("#groups-duration", Input).value.strip()
        duration: timedelta | None = None
        if written:
            try:
                duration = parse_duration(written)
            except DurationError as exc:
                self.show_error(f"duration: {exc}")
                return
        self._making = True
        self.run_worker(self._make((asked[0], asked[1]), mix, call, duration), group="make-groups")

    async def _make(
        self, asked: tuple[int | None, int | None], mix: list[str], call: str | None, duration: timedelta | None
    ) -> None:
        size, count = asked

        def make(s: Session) -> tuple[str, list[int]]:
            event = s.make_groups(size=size, count=count, mix=mix, call_pattern=call, duration=duration)
            grouping = s.groups.by_id(event.payload["grouping"])
            return event.payload["grouping"], [len(g.members) for g in grouping.groups] if grouping else []

        try:
            grouping, sizes = await self.lead_app.attempt(make)
        except InputError as exc:  # nothing was recorded: say why, keep what was typed
            self.show_error(" ".join(exc.lines()))
            return
        except StoreError as exc:
            self.show_error(f"Not saved: {printable(str(exc))}")
            return
        finally:
            self._making = False
        self.app.notify(f"Groups made: {sizes_text(sizes)}.", markup=False, timeout=4)
        self.dismiss(grouping)


def _number(value: int | None) -> str:
    return str(value) if value is not None else ""
