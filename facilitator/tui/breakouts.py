"""Breakout groups in the driver's terminal, around the keys: the groups a step asks for, made as the driver
enters it (facilitator.live.step_groups), and what the driver is told of them.

The driver's step keys end in :meth:`Breakouts.after_step` (facilitator.tui.driving): a step with ``groups:``
gets its groups, or a notice says why not ("fewer than two present"); leaving the step whose groups still meet
says so, so that nobody forgets to end them. Notices name the keys as the user mapped them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import App
from textual.binding import Binding

from facilitator.live import step_groups
from facilitator.problems import InputError, StoreError
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.keys import readable_keys
from facilitator.tui.live import LiveApp, live_app
from facilitator.tui.parts import step_of


def sizes_text(counts: Sequence[int]) -> str:
    """``6 groups of 4–5``: how many groups, and the smallest and biggest."""
    if not counts:
        return "no groups"
    low, high = min(counts), max(counts)
    of = str(low) if low == high else f"{low}–{high}"
    return f"{len(counts)} group{'' if len(counts) == 1 else 's'} of {of}"


def key_for(live: LiveApp, binding_id: str) -> str:
    """The first key of one of the app's bindings, as the user mapped it (``G``)."""
    binding: Binding = next(b for b in bindings.MAIN if b.id == binding_id)
    return readable_keys(live.keymap.get(binding_id, binding.key).split(",")[0])


class Breakouts:
    """The breakout groups' part of the driver's commands, in ``app``."""

    def __init__(self, app: App[Any]) -> None:
        self.app: App[Any] = app

    @property
    def live(self) -> LiveApp:
        return live_app(self.app)

    def refused(self, action: str) -> bool:
        """Say why this role may not run ``action`` now (the palette runs actions whatever the keys)."""
        refusal = self.live.refusal(action)
        if refusal is not None:
            self.app.notify(refusal, severity="warning", markup=False, timeout=4)
        return refusal is not None

    async def after_step(self) -> None:
        """The driver entered a step: make the groups it asks for, or say why none were made."""
        current = self.live.state.current
        if current is None or current.step.groups is None:  # most steps: no trip to the database thread
            self._still_meeting(key_for(self.live, "groups"))
            return
        try:
            outcome = await self.live.attempt(step_groups.on_entering)
        except InputError as exc:  # not driving after all: the step key said so already
            self.app.notify("\n".join(exc.lines()), severity="error", markup=False)
            return
        except StoreError as exc:
            self.live.show_store_error(exc)
            return
        see = key_for(self.live, "groups")
        if outcome is None:
            self._still_meeting(see)
        elif outcome.made is not None:
            made = sizes_text([len(g.members) for g in outcome.made.groups])
            self.app.notify(f"Groups made: {made} ({see} to see them)", title="Breakout groups", markup=False)
        elif outcome.earlier is not None:
            self.app.notify(
                f"This step's groups were made already ({see} shows them); {key_for(self.live, 'make-groups')} "
                "makes a new round.",
                title="Breakout groups",
                markup=False,
                timeout=6,
            )
        else:
            make = key_for(self.live, "make-groups")
            why = printable(outcome.why_not or "")
            self.app.notify(
                f"This step asks for groups; none were made: {why}. {make} makes them when the room is ready.",
                title="Breakout groups",
                severity="warning",
                markup=False,
                timeout=10,
            )

    def _still_meeting(self, see: str) -> None:
        """Leaving the step the groups were made at while they still meet: say so, once per step entered."""
        groups = self.live.groups
        state = self.live.state
        if not groups.meeting or (groups.exercise, groups.step) == (state.exercise, state.step):
            return
        step = step_of(state.programme, groups.exercise, groups.step)
        made_at = f"made at “{printable(step.title)}”" if step is not None else "made earlier"
        self.app.notify(
            f"The breakout groups {made_at} still meet: {see} shows them, and ends them there.",
            title="Breakout groups",
            markup=False,
            timeout=6,
        )
