"""The team on the main screen: a line saying who drives and who you are, and the presence panel (``w``).

The panel lists the live presence rows (facilitator.team.presence): one per open process, with the role and
location it joined with, where it connects from, since when and when it was last seen. The live-run client
reads them with every heartbeat (two seconds) and every poll that brought new events, and the app keeps
them in its ``present`` reactive; the panel repaints only when what it shows changed, so a row of a process
that exits or is killed goes within a few seconds and an idle panel sends nothing down a slow link.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from facilitator.live.state import SessionState
from facilitator.team import presence
from facilitator.team.presence import Presence
from facilitator.team.roles import drives
from facilitator.text import printable
from facilitator.tui.live import LiveApp, live_app

SEEN_NOW_SECONDS = 5  # a heartbeat comes every two seconds: anything this fresh is "now" (and repaints nothing)

Row = tuple[str, str, str, str, str, str]


def team_line(state: SessionState, *, me: str, role: str) -> Text | None:
    """``driving: amina · you: bob (co)`` (``driving: you`` for the driver); None for a lead who drives alone."""
    driving = drives(state.driver, me, role)
    alone = set(state.facilitators) <= {me}
    if role == "lead" and driving and alone:
        return None
    driver = "you" if driving else printable(state.driver or "the lead")
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("driving: ", style="dim")
    text.append(driver, style="bold")
    text.append(" · you: ", style="dim")
    text.append(f"{printable(me)} ({role})")
    if driving and state.control_requests:
        asking = ", ".join(printable(name) for name in state.control_requests)
        text.append(f" · asking for control: {asking} (h)", style="bold")
    elif not driving and me in state.control_requests:
        text.append(" · you asked for control", style="italic")
    elif role == "observer":
        text.append(" · observers only look", style="italic")
    return text


class TeamLine(Static):
    """Who drives, and your name and role; hidden for a lead alone in the run."""

    @staticmethod
    def line(app: LiveApp) -> Text | None:
        """The line as it reads now; None while it is hidden."""
        return team_line(app.state, me=app.actor, role=app.role)

    @classmethod
    def shows(cls, app: LiveApp) -> bool:
        """Whether the line shows now; the lead screen composes it at once only then (otherwise it mounts it after
        its first frame)."""
        return cls.line(app) is not None

    def on_mount(self) -> None:
        self.watch(self.app, "state", lambda _: self.refresh_line())

    def refresh_line(self) -> None:
        line = self.line(live_app(self))
        self.display = line is not None
        if line is not None and line.markup != self._shown:  # the same line again: no repaint
            self._shown = line.markup
            self.update(line)

    _shown: str | None = None


def presence_rows(rows: Sequence[Presence], state: SessionState, now: datetime, timezone: str) -> tuple[Row, ...]:
    """The panel's rows as text: name, role, location, from, since (workshop time) and last seen."""
    tz = zoneinfo.ZoneInfo(timezone)
    here = presence.this_host()
    out: list[Row] = []
    for row in rows:
        member = state.facilitators.get(row.actor)
        address = member.address if member and member.address else "local" if row.host == here else row.host
        silent = int((now - row.last_seen).total_seconds())
        seen = "now" if silent < SEEN_NOW_SECONDS else f"{silent} s ago"
        name = printable(row.actor) + (" ▶" if row.actor == state.driver else "")
        out.append(
            (
                name,
                row.role,
                printable(row.location or "—"),
                printable(address),
                f"{row.started_at.astimezone(tz):%H:%M}",
                seen,
            )
        )
    return tuple(out)


def presence_table(rows: tuple[Row, ...]) -> Table:
    table = Table(box=None, expand=True, padding=(0, 1), header_style="bold")
    for column in ("who", "role", "location", "from", "since", "seen"):
        table.add_column(column, no_wrap=True, overflow="ellipsis", ratio=3 if column in ("who", "from") else None)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    if not rows:
        table.add_row(Text("nobody connected", style="dim"), "", "", "", "", "")
    return table


class TeamPanel(Static):
    """Who is connected right now (w shows and hides it)."""

    rows: tuple[Row, ...] | None = None  # what is on screen

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # Hidden from the start, not from its mount: the lead screen mounts it after its first frame, and a w
        # pressed before then shows it as it mounts (toggle).
        self.display = False

    def on_mount(self) -> None:
        self.border_title = "connected (w hides)"
        # The live-run client reads the rows with every heartbeat and with every poll that brought events.
        self.watch(self.app, "present", lambda _: self.show_rows())
        self.watch(self.app, "state", lambda _: self.show_rows())

    def toggle(self) -> None:
        self.display = not self.display
        self.show_rows()

    def show_rows(self) -> None:
        if not self.display:
            return
        app = live_app(self)
        state = app.state
        timezone = state.programme.workshop.timezone if state.programme else "UTC"
        rows = presence_rows(app.present, state, app.presence_clock.now(), timezone)
        if rows != self.rows:  # nothing changed: nothing repainted
            self.rows = rows
            self.update(presence_table(rows))
