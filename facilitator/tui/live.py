"""What screens and widgets use of the app they run in, as a typing protocol: none of them imports the app.

:class:`~facilitator.tui.app.FacilitatorApp` is the one implementation (mypy checks it in app.py). A screen
reads the run through it (``state``, ``attendance``, the clocks, who this process is) and changes it
through the app's commands; a screen's own answer goes back by ``dismiss()``. Widgets follow changes by
watching the app's reactives ``state``, ``attendance``, ``results``, ``groups``, ``speaking``, ``present`` and
``script_problems``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from facilitator.config import Config
    from facilitator.live.session import Session
    from facilitator.live.state import SessionState
    from facilitator.problems import StoreError
    from facilitator.record.clock import Clock
    from facilitator.team.presence import Presence
    from facilitator.tui.groups_snapshot import GroupsSnapshot
    from facilitator.tui.results import ResultsSnapshot
    from facilitator.tui.snapshot import AttendanceSnapshot
    from facilitator.tui.speaking import SpeakingSnapshot

T = TypeVar("T")


class LiveApp(Protocol):
    """The lead's (or a co-facilitator's, or an observer's) app, as its screens and widgets see it."""

    # -- what the run is now (reactives of the app: watch them to follow changes) ---------------------

    @property
    def state(self) -> SessionState:
        """The folded session state, as last committed or polled."""

    @property
    def attendance(self) -> AttendanceSnapshot | None:
        """Who is present where; None before the first read or without a programme."""

    @property
    def results(self) -> ResultsSnapshot:
        """The counts of the answers to the questions at hand (never who answered); empty before any."""

    @property
    def groups(self) -> GroupsSnapshot:
        """The latest breakout groups as they stand, and who waits for one; empty before any were made."""

    @property
    def speaking(self) -> SpeakingSnapshot:
        """The tally of who speaks, for the current step and day, and who has the floor; empty before any turn."""

    @property
    def present(self) -> tuple[Presence, ...]:
        """The team's live presence rows (one per open process), oldest first; empty before the first read."""

    @property
    def script_problems(self) -> tuple[str, ...]:
        """Problems of a script that failed to reload, one line each; empty while the files are valid."""

    # -- who and when --------------------------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        """The run's clock (a rehearsal may run it faster)."""

    @property
    def takeover_after(self) -> timedelta:
        """How long the driver's process must have been gone before control may be taken."""

    @property
    def presence_clock(self) -> Clock:
        """Real time, for heartbeats and who is connected."""

    @property
    def config(self) -> Config:
        """The user's settings (the bell)."""

    @property
    def keymap(self) -> Mapping[str, str]:
        """Binding id -> keys, as the user remapped them (keys in Textual's long form: ``question_mark``)."""

    @property
    def actor(self) -> str:
        """This process's facilitator."""

    @property
    def role(self) -> str:
        """lead, co or observer."""

    @property
    def location(self) -> str | None:
        """The location this facilitator works for, if any."""

    # -- commands ------------------------------------------------------------------------------------

    async def run_db(self, command: Callable[[Session], T]) -> T:
        """Run ``command`` on the database thread (a read, usually) without blocking the screen."""

    async def attempt(self, command: Callable[[Session], T]) -> T:
        """Run a session command and show the state it committed; its InputError goes to the caller."""

    async def command(self, command: Callable[[Session], object]) -> None:
        """Run a session command; show the state it committed, or its error as a notification."""

    def show_store_error(self, exc: StoreError) -> None:
        """Say plainly that the database refused (a full or read-only disk); the screen keeps what it showed."""

    def refusal(self, action: str) -> str | None:
        """Why this process's role may not run the app's ``action`` now; None if it may."""

    def jump_to(self, day: str, exercise: str, step: str) -> None:
        """Enter a step of any day (asks first where that would reopen a day)."""

    def open_day(self, on: date) -> None:
        """Open another day of the workshop."""

    def close_day(self) -> None:
        """Close the current day on the record."""

    def hand_control_to(self, name: str) -> None:
        """Hand the driver's seat to another facilitator."""

    def decline_control(self, name: str) -> None:
        """Decline ``name``'s request for control."""

    def send_note(self, text: str) -> None:
        """Send a short note to the driver."""


def live_app(node: MessagePump) -> LiveApp:
    """The app ``node`` runs in, as a :class:`LiveApp`."""
    return cast("LiveApp", node.app)
