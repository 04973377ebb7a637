"""Add a walk-in, or edit a participant, from the attendance screen.

The session checks every field (required name, a real e-mail, a known location, no duplicates); its
one-line error is shown under the form, and the field it names gets the focus. Dismisses with the
participant's id once saved, or None when cancelled.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from facilitator.live.session import Session
from facilitator.problems import InputError
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.live import LiveApp, live_app
from facilitator.tui.parts import location_label

if TYPE_CHECKING:
    from facilitator.tui.snapshot import PersonRow

TEXT_FIELDS = (
    ("name", "Name", "full name"),
    ("email", "E-mail", "name@example.org"),
    ("role", "Role", "optional"),
    ("organisation", "Organisation", "optional"),
    ("gender", "Gender", "optional"),
)


class ParticipantForm(ModalScreen[str | None]):
    """Name, e-mail, location, role, organisation and gender of a walk-in, or of someone on the roster."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings.PARTICIPANT_FORM)

    def __init__(self, *, editing: PersonRow | None = None, location: str | None = None) -> None:
        super().__init__()
        self.editing = editing
        self.participant_id = editing.id if editing is not None else uuid.uuid4().hex
        self.location = editing.location if editing is not None else location
        self._saving = False

    @property
    def lead_app(self) -> LiveApp:
        return live_app(self)

    def compose(self) -> ComposeResult:
        programme = self.lead_app.state.programme
        locations = programme.workshop.locations if programme else ()
        known = {loc.id for loc in locations}
        with Vertical(id="participant-form"):
            title = "Edit a participant" if self.editing else "Add a walk-in"
            yield Static(Text.assemble((title, "bold"), ("  ctrl+s save · esc cancel", "dim")), id="participant-title")
            for key, label, placeholder in TEXT_FIELDS[:2]:
                yield from self._field(key, label, placeholder)
            with Horizontal(classes="participant-row"):
                yield Label("Location", markup=False)
                yield Select[str](
                    [(location_label(loc), loc.id) for loc in locations],
                    prompt="Choose a location",
                    value=self.location if self.location in known else Select.NULL,
                    id="participant-location",
                )
            for key, label, placeholder in TEXT_FIELDS[2:]:
                yield from self._field(key, label, placeholder)
            yield Static(id="participant-error", markup=False)
            with Horizontal(id="participant-actions"):
                yield Static(classes="spacer")
                yield Button("Save", variant="primary", id="participant-save")
                yield Button("Cancel", id="participant-cancel")

    def _field(self, key: str, label: str, placeholder: str) -> ComposeResult:
        value = getattr(self.editing, key) if self.editing is not None else None
        with Horizontal(classes="participant-row"):
            yield Label(label, markup=False)
            yield Input(printable(value or ""), placeholder=placeholder, id=f"participant-{key}")

    def on_mount(self) -> None:
        self.query_one("#participant-error", Static).display = False
        self.query_one("#participant-name", Input).focus()

    def _values(self) -> dict[str, str | None]:
        values: dict[str, str | None] = {
            key: self.query_one(f"#participant-{key}", Input).value for key, _, _ in TEXT_FIELDS
        }
        location = self.query_one("#participant-location", Select).value
        values["location"] = location if isinstance(location, str) else ""
        return values

    def show_error(self, message: str) -> None:
        error = self.query_one("#participant-error", Static)
        error.update(message)
        error.display = bool(message)
        field = message.split(":", 1)[0].strip() if message else ""
        for widget in self.query(".participant-row Input, .participant-row Select"):
            widget.set_class(widget.id == f"participant-{field}", "-invalid")
        if field in {key for key, _, _ in TEXT_FIELDS} or field == "location":
            self.query_one(f"#participant-{field}").focus()

    # -- actions -------------------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "participant-save":
            self.action_save()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        if not self._saving:
            self.dismiss(None)

    def action_save(self) -> None:
        if self._saving:
            return
        values = self._values()
        if not values["location"]:
            self.show_error("location: choose where this person is")
            return
        self._saving = True
        self.run_worker(self._save(values), group="save-participant")

    async def _save(self, values: dict[str, str | None]) -> None:
        pid = self.participant_id
        editing = self.editing
        try:
            if editing is None:
                name, email, location = values.pop("name") or "", values.pop("email") or "", values.pop("location")

                def add(s: Session) -> object:
                    return s.add_participant(name, email, location or "", participant_id=pid, **values)

                await self.lead_app.attempt(add)
                message = "Walk-in added"
            else:
                shown = {key: printable(getattr(editing, key) or "") for key, _, _ in TEXT_FIELDS}
                shown["location"] = editing.location
                changes = {k: v for k, v in values.items() if (v or "") != shown.get(k, "")}
                if not changes:
                    self.dismiss(pid)
                    return
                await self.lead_app.attempt(lambda s: s.edit_participant(pid, **changes))
                message = "Participant updated"
        except InputError as exc:
            self.show_error(" ".join(exc.lines()))
            return
        except Exception as exc:  # keep what was typed on screen
            self.show_error(f"Not saved: {printable(str(exc))}")
            return
        finally:
            self._saving = False
        self.app.notify(message, timeout=3)
        self.dismiss(pid)
