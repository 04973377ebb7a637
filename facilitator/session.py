"""Commands on a live run: each checks the current state, appends one event, and folds it in.

This is what every client (the lead TUI, co-facilitators, the web page, scripts and tests) calls; none
of them writes events directly.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from facilitator import events as ev
from facilitator.events import Event
from facilitator.problems import InputError
from facilitator.script_models import Anonymity, Programme
from facilitator.state import fold
from facilitator.store import Store

MAX_REFLECTION_CHARS = 4000


class Session:
    def __init__(self, store: Store, *, actor: str) -> None:
        self.store = store
        self.actor = actor
        self.state = fold(store.events())

    @property
    def programme(self) -> Programme:
        assert self.state.programme is not None
        return self.state.programme

    def refresh(self) -> list[Event]:
        """Fold in what other processes appended since we last looked."""
        new = self.store.events(after=self.state.last_seq)
        self.state = fold(new, self.state)
        return new

    def _append(self, kind: str, payload: dict[str, Any], event_id: str | None = None) -> Event:
        self.refresh()
        event = self.store.append(kind, payload, actor=self.actor, event_id=event_id)
        self.refresh()
        return event

    # -- moving through the day ----------------------------------------------------------------------

    def open_day(self, on: date) -> Event:
        self.programme.day(on)  # KeyError for a day that is not in the workshop
        return self._append(ev.DAY_OPENED, {"day": on.isoformat()})

    def enter_step(self, exercise: str, step: str, *, on: date | None = None) -> Event:
        day = on or self.state.day or self.programme.workshop.days[0].date
        agenda = self.programme.day(day).agenda
        if exercise not in agenda:
            raise InputError(f"exercise {exercise!r} is not on the agenda of {day.isoformat()}")
        if step not in {s.id for s in self.programme.exercise_by_id[exercise].steps}:
            raise InputError(f"exercise {exercise!r} has no step {step!r}")
        return self._append(ev.STEP_ENTERED, {"day": day.isoformat(), "exercise": exercise, "step": step})

    def _move(self, offset: int) -> Event | None:
        self.refresh()
        timeline = self.state.day_timeline()
        if not timeline:
            first_day = self.programme.workshop.days[0].date
            timeline = self.programme.timeline(self.programme.day(first_day))
        keys = [(p.exercise.id, p.step.id) for p in timeline]
        here = (self.state.exercise, self.state.step)
        index = keys.index(here) + offset if here in keys else self.state.index_without_current(keys, offset)
        if not 0 <= index < len(keys) or (here in keys and index == keys.index(here)):
            return None
        target = timeline[index]
        return self.enter_step(target.exercise.id, target.step.id, on=target.start.date())

    def next_step(self) -> Event | None:
        """Enter the next step of the day (the first, if none is current); None at the day's end."""
        return self._move(+1)

    def previous_step(self) -> Event | None:
        return self._move(-1)

    def pause(self) -> Event | None:
        self.refresh()
        if self.state.timer is None or self.state.timer.paused:
            return None
        return self._append(ev.TIMER_PAUSED, {})

    def resume(self) -> Event | None:
        self.refresh()
        if self.state.timer is None or not self.state.timer.paused:
            return None
        return self._append(ev.TIMER_RESUMED, {})

    def adjust(self, delta: timedelta) -> Event | None:
        """Extend (positive) or shorten (negative) the current step."""
        self.refresh()
        if self.state.timer is None or not delta:
            return None
        return self._append(ev.TIMER_ADJUSTED, {"seconds": int(delta.total_seconds())})

    # -- reflections ---------------------------------------------------------------------------------

    def log_reflection(
        self,
        text: str,
        *,
        participant: str | None = None,
        location: str | None = None,
        consent: bool = False,
        reflection_id: str | None = None,
    ) -> Event:
        """Log a reflection against the current step and its prompt."""
        text = _clean_text(text)
        participant = _clean_name(participant)
        self.refresh()
        if location is not None and location not in {loc.id for loc in self.programme.workshop.locations}:
            raise InputError(f"location: no location {location!r} in this workshop")
        current = self.state.current
        anonymity = self.prompt_anonymity()
        if anonymity is Anonymity.ANONYMOUS and participant:
            raise InputError("participant: this prompt is anonymous; leave the name out")
        if anonymity is Anonymity.NAMED and not participant:
            raise InputError("participant: this prompt asks for the participant's name")
        reflection_id = reflection_id or uuid.uuid4().hex
        payload: dict[str, Any] = {
            "reflection": reflection_id,
            "text": text,
            "participant": participant or None,
            "location": location,
            "consent": consent,
            "day": self.state.day.isoformat() if self.state.day else None,
            "exercise": current.exercise.id if current else None,
            "step": current.step.id if current else None,
            "prompt": current.step.prompt.text if current and current.step.prompt else None,
        }
        # The reflection id doubles as the event id, so a retried submission is stored once.
        return self._append(ev.REFLECTION_LOGGED, payload, event_id=f"reflection-{reflection_id}")

    def prompt_anonymity(self) -> Anonymity:
        """The anonymity that applies now: the current step's prompt's, else the workshop's default."""
        current = self.state.current
        if current is not None and current.step.prompt is not None and current.step.prompt.anonymity is not None:
            return current.step.prompt.anonymity
        return self.programme.workshop.reflections.anonymity

    def edit_reflection(self, reflection_id: str, **changes: Any) -> Event:
        self.refresh()
        if reflection_id not in self.state.reflections:
            raise InputError(f"no reflection {reflection_id!r}")
        if "text" in changes:
            changes["text"] = _clean_text(changes["text"])
        if "participant" in changes:
            changes["participant"] = _clean_name(changes["participant"])
        return self._append(ev.REFLECTION_EDITED, {"reflection": reflection_id, **changes})

    def retract_reflection(self, reflection_id: str) -> Event:
        self.refresh()
        if reflection_id not in self.state.reflections:
            raise InputError(f"no reflection {reflection_id!r}")
        return self._append(ev.REFLECTION_RETRACTED, {"reflection": reflection_id})


def _clean_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InputError("text: a reflection cannot be empty")
    if len(text) > MAX_REFLECTION_CHARS:
        raise InputError(f"text: a reflection may be at most {MAX_REFLECTION_CHARS} characters")
    return text


MAX_NAME_CHARS = 200


def _clean_name(name: str | None) -> str | None:
    name = (name or "").strip()
    if len(name) > MAX_NAME_CHARS:
        raise InputError(f"participant: a name may be at most {MAX_NAME_CHARS} characters")
    return name or None
