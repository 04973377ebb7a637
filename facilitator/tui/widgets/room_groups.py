"""The breakout groups as the room sees them (``facilitator present``), while they meet: each group's number,
its members' first names (the room view's snapshot holds nothing else: facilitator.tui.groups_snapshot.for_room)
and its call, under a heading with the time left. Laid out for the width it is drawn at: names wrap beside
their group's number, never under it."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from facilitator.text import printable
from facilitator.tui.groups_snapshot import GroupsSnapshot, time_left


class RoomGroupsBoard:
    def __init__(self, groups: GroupsSnapshot, now: datetime) -> None:
        self.groups = groups
        self.heading = Text("Breakout groups", style="bold")
        left = groups.left(now)
        if left is not None:
            self.heading.append(f" · {time_left(left)}", style="bold" if left.total_seconds() > 0 else "bold red")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = Table(box=None, show_header=False, expand=True, padding=(0, 1, 0, 0))
        table.add_column("group", no_wrap=True, style="bold")
        table.add_column("names", ratio=1)
        for group in self.groups.groups:
            names = Text(" · ".join(printable(m.name) for m in group.members))
            table.add_row(f"Group {group.number}", names)
            if group.call:
                table.add_row("", Text(printable(group.call), style="dim"))
        yield self.heading
        yield table


def board_key(groups: GroupsSnapshot, now: datetime) -> tuple[object, ...]:
    """What the board shows, to repaint only when it changed: the groups, and the time left to the minute."""
    left = groups.left(now)
    return groups, time_left(left) if left is not None else None
