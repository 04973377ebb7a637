"""Who speaks, in full (``S``): for the current step and for the day, turns and speaking time by gender and
by location, each against that group's share of the people present; who has the floor now. The driver can
show the tally on the room view (``v`` here); names are never shown there, nor in this screen's tables.

Its figures are the app's ``speaking`` reactive (facilitator.tui.speaking), with the running turn counted to
the second here, once a second while someone speaks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Static

from facilitator.speaking.tally import Row, Tally
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.live import live_app
from facilitator.tui.speaking import SpeakingSnapshot, running
from facilitator.tui.widgets.speaking_panel import clock, percent, place


def tally_table(title: str, what: str, rows: Sequence[Row], name: Callable[[str], str] = printable) -> Table:
    """One split of a tally: a row per group with present, turns and time, each with its share."""
    table = Table(title=title, title_justify="left", expand=False, box=None, padding=(0, 1), show_edge=False)
    table.add_column(what, no_wrap=True, overflow="ellipsis", max_width=24)
    for column in ("present", "turns", "time"):
        table.add_column(column, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            name(row.group),
            f"{row.present} ({percent(row.share_present)})",
            f"{row.turns} ({percent(row.share_turns)})",
            f"{clock(row.seconds)} ({percent(row.share_time)})",
        )
    if not rows:
        table.add_row(Text("nobody present", style="dim"), "", "", "")
    return table


def tally_view(label: str, tally: Tally | None) -> Group:
    if tally is None:
        return Group(Text(f"{label}: no day open", style="dim"))
    turns = tally.turns
    head = Text(f"{label}: {tally.present} present, {turns} turn{'' if turns == 1 else 's'}, ", style="bold")
    head.append(f"{clock(tally.seconds)} of speaking")
    return Group(
        head,
        tally_table("by gender", "gender", tally.rows_by_gender),
        Text(""),
        tally_table("by location", "location", tally.rows_by_location, place),
        Text(""),
    )


def speaking_view(snapshot: SpeakingSnapshot, step: Tally | None, day: Tally | None, seconds: float | None) -> Group:
    speaker = snapshot.speaker
    if speaker is not None:
        now = Text("Speaking now: ", style="bold")
        now.append(f"{printable(speaker.name)} ({place(speaker.location)}) {clock(seconds or 0)}")
    else:
        now = Text("Nobody is speaking. s: count a turn", style="dim")
    room = "shown on the room view (v hides it)" if snapshot.shown else "not shown on the room view (v shows it)"
    return Group(now, Text(f"The tally is {room}; no name is ever shown there.", style="dim"), Text(""),
                 tally_view("This step", step), tally_view("Today", day))  # fmt: skip


class SpeakingScreen(ModalScreen[None]):
    """The full tally; follows the app's ``speaking`` reactive."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings.SPEAKING)
    _ticker: Timer | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="speaking-body"):
            yield Static("Who speaks", classes="title")
            yield Static(id="speaking-tally")

    def on_mount(self) -> None:
        self.watch(self.app, "speaking", lambda _: self.refresh_tally())

    def refresh_tally(self) -> None:
        app = live_app(self)
        snapshot = app.speaking
        if snapshot.speaker is not None and self._ticker is None:
            self._ticker = self.set_interval(1, self.refresh_tally)
        elif snapshot.speaker is None and self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        now = app.clock.now()
        step = running(snapshot.step, snapshot.speaker, snapshot.read_at, now) if snapshot.step else None
        day = running(snapshot.day, snapshot.speaker, snapshot.read_at, now) if snapshot.day else None
        seconds = snapshot.speaker.turn.length(now).total_seconds() if snapshot.speaker else None
        self.query_one("#speaking-tally", Static).update(speaking_view(snapshot, step, day, seconds))

    def action_toggle_room(self) -> None:
        app = live_app(self)
        refusal = app.refusal("show_speaking")
        if refusal is not None:
            self.app.notify(refusal, severity="warning", markup=False, timeout=4)
            return
        shown = not app.speaking.shown
        self.run_worker(app.command(lambda session: session.show_speaking(shown)), exclusive=True)
