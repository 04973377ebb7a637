"""The lead screen's one line on the breakout groups, while they meet: "Groups: 6 of 4–5 · 12 min left · 2
present not in a group · G shows them", so the driver knows without opening the groups screen. Hidden while no
groups meet; repainted only when its text changes (the time left turns once a minute)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from facilitator.tui.breakouts import key_for
from facilitator.tui.groups_snapshot import time_left
from facilitator.tui.live import LiveApp, live_app
from facilitator.tui.widgets.panels import Ticking


class GroupsLine(Ticking):
    @staticmethod
    def shows(app: LiveApp) -> bool:
        """Whether groups meet now. The line shows or hides itself by this, and the lead screen composes it at once
        only when this holds (otherwise it mounts it after its first frame)."""
        return app.groups.meeting

    def on_mount(self) -> None:
        self.watch(self.app, "groups", lambda _: self.tick())

    def compose_text(self, now: datetime) -> Text:
        live = live_app(self)
        shown = self.shows(live)
        self.display = shown
        if not shown:
            return Text()
        groups = live.groups
        counts = [len(g.members) for g in groups.groups]
        low, high = min(counts, default=0), max(counts, default=0)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("Groups: ", style="bold")
        text.append(f"{len(counts)} of {low}" if low == high else f"{len(counts)} of {low}–{high}")
        left = groups.left(now)
        if left is not None:
            text.append(f" · {time_left(left)}", style="" if left.total_seconds() > 0 else "bold red")
        if groups.waiting:
            text.append(f" · {len(groups.waiting)} present not in a group", style="bold yellow")
        text.append(f" · {key_for(live, 'groups')} shows them", style="dim")
        return text
