"""Who speaks, in three lines on the facilitators' main screen: who has the floor and for how long, then the
share of speaking time by gender and by location against their share of the people present, for the current
step. Hidden until the first turn of the day is tallied (``s``), so a run that keeps no tally shows nothing.

The room's composition is the comparison the course asks for ("women 52% of the room, 31% of the speaking
time"), so each group reads ``time% of present%``. The figures come from the app's ``speaking`` reactive
(facilitator.tui.speaking), read on the database thread when a turn or the step changed; between readings the
running turn is counted here, on the screen's one-second tick (facilitator.tui.widgets.panels), repainted only
when a figure changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime

from rich.text import Text

from facilitator.speaking.tally import Row, Tally
from facilitator.text import printable
from facilitator.tui.live import LiveApp, live_app
from facilitator.tui.speaking import SpeakingSnapshot, running
from facilitator.tui.widgets.panels import Ticking


def clock(seconds: float) -> str:
    """``4:05`` (minutes and seconds), ``1:02:05`` past an hour."""
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def percent(share: float | None) -> str:
    """``13%`` for 1 of 8: halves up, as people round (Python's round() takes 12.5 to 12 but 37.5 to 38)."""
    return "–" if share is None else f"{math.floor(share * 100 + 0.5)}%"


def place(location: str) -> str:
    """A location as every screen of the app names it: its id in capitals."""
    return printable(location.upper())


def shares(label: str, rows: Sequence[Row], name: Callable[[str], str] = printable) -> Text:
    """``time by gender: female 31% of 52% · male 69% of 48%`` (time's share of present's share)."""
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append(f"{label}: ", style="dim")
    for index, row in enumerate(rows):
        if index:
            line.append(" · ", style="dim")
        line.append(name(row.group))
        line.append(f" {percent(row.share_time)}", style="bold")
        line.append(f" of {percent(row.share_present)}", style="dim")
    if not rows:
        line.append("nobody present", style="dim")
    return line


def speaking_lines(snapshot: SpeakingSnapshot, now_tally: Tally | None, now_seconds: float | None) -> Text:
    """The panel's three lines (``now_tally``: the step's tally with the running turn counted to now)."""
    out = Text(no_wrap=True, overflow="ellipsis")
    speaker = snapshot.speaker
    if speaker is not None:
        out.append("speaking: ", style="dim")
        out.append(printable(speaker.name), style="bold")
        out.append(f" ({place(speaker.location)}) {clock(now_seconds or 0)}")
    else:
        out.append("nobody speaking (s picks)", style="dim")
    if now_tally is not None:
        turns = now_tally.turns
        out.append(f" · this step: {turns} turn{'' if turns == 1 else 's'}, {clock(now_tally.seconds)}", style="dim")
        out.append("\n")
        out.append_text(shares("time by gender", now_tally.rows_by_gender))
        out.append("\n")
        out.append_text(shares("time by location", now_tally.rows_by_location, place))
    return out


class SpeakingLine(Ticking):
    """The who-speaks summary of the current step; hidden while no turn of the day has been tallied. On the
    app's one clock, so the speaker's clock runs on with no reading, and only while the screen is on top."""

    @staticmethod
    def shows(app: LiveApp) -> bool:
        """Whether a turn of the day was tallied. The lines show or hide themselves by this, and the lead screen
        composes them at once only when this holds (otherwise it mounts them after its first frame)."""
        return not app.speaking.empty

    def on_mount(self) -> None:
        self.display = False
        self.watch(self.app, "speaking", lambda _: self.tick())

    def compose_text(self, now: datetime) -> Text:
        live = live_app(self)
        shown = self.shows(live)
        self.display = shown
        if not shown:
            return Text()
        snapshot = live.speaking
        step = running(snapshot.step, snapshot.speaker, snapshot.read_at, now) if snapshot.step else None
        seconds = snapshot.speaker.turn.length(now).total_seconds() if snapshot.speaker else None
        return speaking_lines(snapshot, step, seconds)


def room_lines(tally: Tally) -> Text:
    """What the room view shows of the tally, when the driver shows it: the step's speaking time by gender and
    by location against the room's composition. Never a name."""
    out = Text()
    out.append("Who speaks (this step)", style="bold")
    turns = tally.turns
    out.append(f" · {turns} turn{'' if turns == 1 else 's'}, {clock(tally.seconds)}\n")
    out.append_text(shares("time by gender", tally.rows_by_gender))
    out.append("\n")
    out.append_text(shares("time by location", tally.rows_by_location, place))
    return out
