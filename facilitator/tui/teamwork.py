"""The team in one terminal: what this role may do now, control of the session, notes, and what to tell.

Who may press what (:meth:`Teamwork.refusal`: observers only look, only the driver drives, only the lead's
terminal saves files), asking for, handing over, declining and taking control, notes to the driver, and the
notices a change of the team's state calls for (facilitator.tui.team_notices). The rules of control are the
core's (facilitator.team.roles); this module runs them in the app and says what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from textual.app import App

from facilitator.live.session import Session
from facilitator.live.state import SessionState
from facilitator.problems import InputError, StoreError
from facilitator.team.roles import LEAD, OBSERVER, drives
from facilitator.text import printable
from facilitator.tui.live import LiveApp, live_app
from facilitator.tui.palette import FILE_ACTIONS
from facilitator.tui.results import at_hand

T = TypeVar("T")
# What only the driver may do (the keys n, p, space, +, -, [, ], g, d; v and x, which change what the room
# sees of its questions; B and the groups screen's keys, which make and change breakout groups; showing the
# tally of who speaks on the room view), and what else observers may not (among them keeping that tally).
QUESTION_ACTIONS = frozenset({"reveal_results", "close_question"})
GROUP_ACTIONS = frozenset({"make_groups", "change_groups"})
DRIVER_ACTIONS = (
    QUESTION_ACTIONS
    | GROUP_ACTIONS
    | {"next_step", "previous_step", "toggle_pause", "adjust", "jump", "change_day", "show_speaking"}
)
TEAM_WRITES = frozenset(
    {"log_reflection", "ask_control", "hand_control", "take_control", "send_note", "pick_speaker", "stop_speaker"}
)


class Teamwork:
    """This process's place in the team, in ``app``: its refusals, its control commands and its notices."""

    def __init__(self, app: App[Any]) -> None:
        self.app: App[Any] = app
        self.notes_seen = 0  # notes up to this seq were shown (or sent before this process opened)

    @property
    def live(self) -> LiveApp:
        return live_app(self.app)

    @property
    def driving(self) -> bool:
        live = self.live
        return drives(live.state.driver, live.actor, live.role)

    @property
    def saves_files(self) -> bool:
        """Whether this role may write files (a screenshot): the lead only, at the host's own terminal.

        Co-facilitators and observers log in, often over SSH with a forced command, to an account that is
        not theirs: what they see must not land in its files.
        """
        return self.live.role == LEAD

    def refusal(self, action: str) -> str | None:
        """Why this process's role may not run ``action`` now (the key then only says so); None if it may."""
        if action in FILE_ACTIONS and not self.saves_files:
            return "only the lead's terminal saves screenshots"
        if self.live.role == OBSERVER and action in DRIVER_ACTIONS | TEAM_WRITES:
            return "observers only look: you cannot change the session"
        driver = printable(self.live.state.driver or "the lead")
        if action in DRIVER_ACTIONS and not self.driving:
            return f"{driver} is driving: press c to ask for control"
        if action == "hand_control" and not self.driving:
            return f"only the driver hands control; {driver} is driving"
        if action in ("ask_control", "take_control", "send_note") and self.driving:
            return "you are driving" + ("" if action == "send_note" else " already")
        return question_refusal(action, self.live.state) if action in QUESTION_ACTIONS else None

    def changed(self, old: SessionState, new: SessionState) -> None:
        """Tell what a new state changed for this person: days, control, notes to them."""
        from facilitator.tui.team_notices import day_notices, team_notices

        live = self.live
        notices = team_notices(old, new, me=live.actor, role=live.role, notes_after=self.notes_seen)
        for notice in [*day_notices(old, new), *notices]:
            self.app.notify(notice.text, title=notice.title, severity=notice.severity, markup=False, timeout=8)  # type: ignore[arg-type]
        self.notes_seen = max(self.notes_seen, new.last_seq)
        team = (old.driver, old.control_requests) != (new.driver, new.control_requests)
        if team or questions_shown(old) != questions_shown(new):
            self.app.refresh_bindings()  # the footer follows the driver's seat, and the questions at hand

    async def ask_control(self) -> None:
        asked = await self.command(Session.request_control)
        if asked is not None:
            driver = printable(self.live.state.driver or "the lead")
            self.app.notify(f"Asked {driver} for control.", markup=False, timeout=4)

    def hand_control_to(self, name: str) -> None:
        self.app.run_worker(self.command(lambda s: s.hand_control(name)), group="control")

    def decline_control(self, name: str) -> None:
        async def decline() -> None:
            if await self.command(lambda s: s.decline_control(name)) is not None:
                self.app.notify(f"Declined {printable(name)}'s request for control.", markup=False, timeout=4)

        self.app.run_worker(decline(), group="control")

    def take_control(self) -> None:
        """Ask first, then take control from a driver whose process has gone."""
        from facilitator.tui.modals.choice import YES, Choice

        live = self.live

        def answered(answer: str | None) -> None:
            if answer == YES:
                command = partial(Session.take_control, after=live.takeover_after, clock=live.presence_clock)
                self.app.run_worker(self.command(command), group="control")

        who = live.state.driver or "the lead"
        text = "Only when their process has gone (no heartbeat): while they are connected, ask with c instead."
        self.app.push_screen(Choice(f"Take control from {who}?", text, "take control"), answered)

    def send_note(self, text: str) -> None:
        async def send() -> None:
            sent = await self.command(lambda s: s.send_note(text))
            if sent is not None:
                to = sent.payload.get("to") or "the driver"
                self.app.notify(f"Note sent to {printable(to)}.", markup=False, timeout=4)

        self.app.run_worker(send(), group="note")

    async def command(self, command: Callable[[Session], T]) -> T | None:
        """Run a team command; its refusal as a notification (and None)."""
        try:
            return await self.live.attempt(command)
        except InputError as exc:
            self.app.notify("\n".join(exc.lines()), severity="error", markup=False)
        except StoreError as exc:
            self.live.show_store_error(exc)
        return None


def question_refusal(action: str, state: SessionState) -> str | None:
    """Why the driver's question keys have nothing to do now (their keys then leave the footer)."""
    questions = at_hand(state)
    if not questions:
        return "no question at this step"
    if action == "close_question" and not any(state.questions[a.key].open for a in questions):
        return "no open question to close"
    return None


def questions_shown(state: SessionState) -> tuple[tuple[str, bool], ...]:
    """The questions at hand and whether each is open: what the question keys' place in the footer follows."""
    if not state.questions:  # most of a day: nothing to look up
        return ()
    return tuple((a.key, state.questions[a.key].open) for a in at_hand(state))
