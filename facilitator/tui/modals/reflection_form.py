"""The reflection form: log a reflection against the current step, or edit one already logged.

What a person types is stored as they typed it and shown back literally; the form never renders it as
markup. A new reflection gets its id when the form opens, so submitting twice stores it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from facilitator.live.session import MAX_REFLECTION_CHARS
from facilitator.live.state import Reflection, SessionState
from facilitator.script.models import Anonymity, Programme, Step
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.live import LiveApp, live_app
from facilitator.tui.parts import location_label, step_of

ANONYMITY_HINTS = {
    Anonymity.ANONYMOUS: "not asked: anonymous prompt",
    Anonymity.NAMED: "required",
    Anonymity.PARTICIPANT_CHOOSES: "optional",
}


def participant_names(state: SessionState, extra: Iterable[str] = ()) -> list[str]:
    """Names to offer as type-ahead, most recently used first, each once (ignoring case).

    Today these are the names already used in this run's reflections; the roster, when the run has
    one, is passed as ``extra`` and offered after them.
    """
    seen: set[str] = set()
    names: list[str] = []
    for name in (*state.reflections.names_used(), *extra):  # from the book's columns: a row a name, not each
        if name and name.strip() and name.strip().casefold() not in seen:
            seen.add(name.strip().casefold())
            names.append(printable(name.strip()))
    return names


def anonymity_for(programme: Programme | None, step: Step | None) -> Anonymity:
    """The prompt's own rule, else the workshop's default for reflections."""
    if step is not None and step.prompt is not None and step.prompt.anonymity is not None:
        return step.prompt.anonymity
    if programme is None:
        return Anonymity.PARTICIPANT_CHOOSES
    return programme.workshop.reflections.anonymity


@dataclass(frozen=True)
class _Link:
    """What a reflection is (or will be) linked to."""

    day: str | None
    exercise_title: str | None
    step_title: str | None
    step_key: tuple[str | None, str | None]
    prompt: str | None
    anonymity: Anonymity


@dataclass(frozen=True)
class _Values:
    text: str
    participant: str | None
    location: str | None
    consent: bool


class ReflectionForm(ModalScreen[str | None]):
    """Log a reflection (``ReflectionForm()``) or edit one (``ReflectionForm(editing=reflection)``).

    Dismisses with the reflection's id once it is saved, or with None when cancelled.
    """

    BINDINGS: ClassVar[list[BindingType]] = list(bindings.REFLECTION_FORM)

    def __init__(self, editing: Reflection | None = None) -> None:
        super().__init__()
        self.editing = editing
        self.reflection_id = editing.id if editing is not None else uuid.uuid4().hex
        self._saving = False
        self._opened_on: tuple[str | None, str | None] | None = None

    @property
    def lead_app(self) -> LiveApp:
        return live_app(self)

    # -- building ------------------------------------------------------------------------------------

    def _link(self) -> _Link:
        state = self.lead_app.state
        programme = state.programme
        if self.editing is not None:
            r = self.editing
            step = step_of(programme, r.exercise, r.step)
            exercise = programme.exercise_by_id.get(r.exercise) if programme and r.exercise else None
            return _Link(
                day=f"{r.day:%a %d %b}" if r.day else None,
                exercise_title=exercise.title if exercise else r.exercise,
                step_title=step.title if step else r.step,
                step_key=(r.exercise, r.step),
                prompt=r.prompt,
                anonymity=anonymity_for(programme, step),
            )
        current = state.current
        return _Link(
            day=f"{state.day:%a %d %b}" if state.day else None,
            exercise_title=current.exercise.title if current else None,
            step_title=current.step.title if current else None,
            step_key=(current.exercise.id, current.step.id) if current else (None, None),
            prompt=current.step.prompt.text if current and current.step.prompt else None,
            anonymity=anonymity_for(programme, current.step if current else None),
        )

    def compose(self) -> ComposeResult:
        state = self.lead_app.state
        programme = state.programme
        editing = self.editing
        locations = programme.workshop.locations if programme else ()
        consent = programme.workshop.reflections.consent_to_quote if programme else False
        location = editing.location if editing and editing.location in {loc.id for loc in locations} else None
        with Vertical(id="reflection-form"):
            title = "Edit a reflection" if editing else "Log a reflection"
            yield Static(Text.assemble((title, "bold"), ("  ctrl+s submit · esc cancel", "dim")), id="reflection-title")
            yield Static(id="reflection-context")
            area = TextArea(
                printable(editing.text) if editing else "",
                soft_wrap=True,
                tab_behavior="focus",
                id="reflection-text",
            )
            area.border_title = "Reflection"
            yield area
            with Horizontal(id="reflection-fields"):
                with Vertical(id="participant-field"):
                    yield Label(id="participant-label", markup=False)
                    yield Input(
                        printable(editing.participant or "") if editing else "",
                        placeholder="name (empty: anonymous)",
                        suggester=SuggestFromList(participant_names(state), case_sensitive=False),
                        id="reflection-participant",
                    )
                with Vertical(id="location-field"):
                    yield Label("Location", markup=False)
                    yield Select[str](
                        [(location_label(loc), loc.id) for loc in locations],
                        prompt="No location",
                        value=location or Select.NULL,
                        id="reflection-location",
                    )
            yield Static(id="reflection-error", markup=False)
            with Horizontal(id="reflection-actions"):
                yield Checkbox("Consent to quote", editing.consent if editing else consent, id="reflection-consent")
                yield Static(classes="spacer")
                yield Button("Submit", variant="primary", id="reflection-submit")
                yield Button("Cancel", id="reflection-cancel")

    def on_mount(self) -> None:
        self._opened_on = self._link().step_key
        self.watch(self.app, "state", lambda _: self._show_context())
        self._count()
        self.query_one("#reflection-text", TextArea).focus()

    def _show_context(self) -> None:
        link = self._link()
        text = Text(no_wrap=False)
        if link.step_title is None:
            text.append("No step is running: ", style="bold")
            text.append("the reflection is linked to the day only.", style="italic")
        else:
            text.append("Step: ", style="bold")
            text.append(printable(link.step_title))
            text.append(f" · {printable(link.exercise_title or '')}", style="dim")
        if link.day:
            text.append(f" · {link.day}", style="dim")
        if link.prompt:
            text.append("\nPrompt: ", style="bold")
            text.append(printable(link.prompt))
        if self.editing is None and self._opened_on is not None and link.step_key != self._opened_on:
            text.append("\nThe step changed since this form opened: the reflection goes to this one.", style="bold")
        self.query_one("#reflection-context", Static).update(text)
        anonymous = link.anonymity is Anonymity.ANONYMOUS
        label = Text("Participant ")
        label.append(f"({ANONYMITY_HINTS[link.anonymity]})", style="dim")
        self.query_one("#participant-label", Label).update(label)
        participant = self.query_one("#reflection-participant", Input)
        participant.disabled = anonymous
        if anonymous and not participant.value:
            participant.placeholder = "anonymous"

    # -- input ---------------------------------------------------------------------------------------

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._count()

    def _count(self) -> None:
        area = self.query_one("#reflection-text", TextArea)
        length = len(area.text.strip())
        area.border_subtitle = f"{length}/{MAX_REFLECTION_CHARS}"
        area.set_class(length > MAX_REFLECTION_CHARS, "-over")

    def _error(self, message: str, field: str | None = None) -> None:
        error = self.query_one("#reflection-error", Static)
        error.update(message)
        error.display = bool(message)
        for widget_id in ("#reflection-text", "#reflection-participant"):
            self.query_one(widget_id).set_class(widget_id == field, "-invalid")
        if field is not None:
            self.query_one(field).focus()

    def _read(self) -> _Values | None:
        """The form's values, or None after showing why they cannot be saved."""
        link = self._link()
        text = self.query_one("#reflection-text", TextArea).text.strip()
        participant = self.query_one("#reflection-participant", Input).value.strip() or None
        location = self.query_one("#reflection-location", Select).value
        consent = self.query_one("#reflection-consent", Checkbox).value
        if not text:
            self._error("Write the reflection first: the text is empty.", "#reflection-text")
            return None
        if len(text) > MAX_REFLECTION_CHARS:
            self._error(
                f"The text has {len(text)} characters; a reflection may have at most {MAX_REFLECTION_CHARS}.",
                "#reflection-text",
            )
            return None
        if link.anonymity is Anonymity.NAMED and participant is None:
            self._error("This prompt is named: enter the participant's name.", "#reflection-participant")
            return None
        if link.anonymity is Anonymity.ANONYMOUS and self.editing is None:
            participant = None
        self._error("")
        return _Values(
            text=text,
            participant=participant,
            location=location if isinstance(location, str) else None,
            consent=bool(consent),
        )

    # -- actions -------------------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "reflection-submit":
            self.action_submit()
        elif event.button.id == "reflection-cancel":
            self.action_cancel()

    def action_cancel(self) -> None:
        if not self._saving:
            self.dismiss(None)

    def action_submit(self) -> None:
        """Check the form and save it in the background; a second submit while saving does nothing."""
        if self._saving:
            return
        values = self._read()
        if values is None:
            return
        self._saving = True
        self.query_one("#reflection-submit", Button).disabled = True
        self.run_worker(self._submit(values), group="submit-reflection")

    async def _submit(self, values: _Values) -> None:
        try:
            saved, message = await self.save(values)
        except Exception as exc:  # keep the form, and what was typed, on screen
            saved, message = False, f"Not saved: {printable(str(exc))}"
        finally:
            self._saving = False
            self.query_one("#reflection-submit", Button).disabled = False
        if saved:
            self.app.notify(message, timeout=3)
            self.dismiss(self.reflection_id)
        elif message:
            self._error(message)

    async def save(self, values: _Values) -> tuple[bool, str]:
        """Store ``values``; (whether they are now stored, what to tell the user)."""
        app = self.lead_app
        reflection_id = self.reflection_id
        if self.editing is None:
            await app.command(
                lambda s: s.log_reflection(
                    values.text,
                    participant=values.participant,
                    location=values.location,
                    consent=values.consent,
                    reflection_id=reflection_id,
                )
            )
            if reflection_id in app.state.reflections:
                return True, "Reflection saved"
            return False, "Not saved: see the message."
        changes = self._changes(values)
        if not changes:
            return True, "Nothing changed"
        await app.command(lambda s: s.edit_reflection(reflection_id, **changes))
        after = app.state.reflections.get(reflection_id)
        if after is not None and all(getattr(after, key) == value for key, value in changes.items()):
            return True, "Reflection updated"
        return False, "Not saved: see the message."

    def _changes(self, values: _Values) -> dict[str, Any]:
        """Only the fields that differ from the reflection being edited."""
        old = self.editing
        assert old is not None
        changes: dict[str, Any] = {}
        if values.text != printable(old.text).strip():
            changes["text"] = values.text
        shown_participant = printable(old.participant).strip() if old.participant else ""
        if values.participant != (shown_participant or None):
            changes["participant"] = values.participant
        programme = self.lead_app.state.programme
        known = {loc.id for loc in programme.workshop.locations} if programme else set()
        # A location the script no longer has cannot be shown in the list; leaving it blank keeps it.
        if values.location != old.location and not (values.location is None and old.location not in known):
            changes["location"] = values.location
        if values.consent != old.consent:
            changes["consent"] = values.consent
        return changes
