"""The banner at the top of the lead screen: why the script on screen is not the one in the files.

It shows the problems of a script that failed to reload (one ``FILE:LINE: field: message`` line each;
the last good script stays on screen) and, after a reload took the current step out of the script,
where the day goes on. It takes no room while there is nothing to say.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from facilitator.live.state import SessionState
from facilitator.text import printable
from facilitator.tui.live import LiveApp, live_app

MAX_PROBLEM_LINES = 4


class Banner(Static):
    """Script problems and removed-step notices; hidden when there are none."""

    @staticmethod
    def shows(app: LiveApp) -> bool:
        """Whether the banner has anything to say now. It shows or hides itself by this, and the lead screen
        composes it at once only when this holds (otherwise it mounts it after its first frame)."""
        return bool(banner_text(app.script_problems, app.state))

    def on_mount(self) -> None:
        self.watch(self.app, "script_problems", lambda _: self.refresh_banner())
        self.watch(self.app, "state", lambda _: self.refresh_banner())

    def refresh_banner(self) -> None:
        app = live_app(self)
        self.set_class(bool(app.script_problems), "-problems")
        shown = self.shows(app)
        self.display = shown
        if shown:  # seldom: the text is made a second time only while there is something to say
            self.update(banner_text(app.script_problems, app.state))


def banner_text(problems: tuple[str, ...], state: SessionState) -> Text:
    """What the banner says: every line literal, never markup (file names and messages quote user text)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    lines: list[Text] = []
    if problems:
        lines.append(Text("Script not reloaded, showing the last good one. Fix and save:", style="bold"))
        shown = problems if len(problems) <= MAX_PROBLEM_LINES + 1 else problems[:MAX_PROBLEM_LINES]
        lines.extend(Text(printable(line)) for line in shown)
        if len(shown) < len(problems):
            more = len(problems) - len(shown)
            lines.append(Text(f"… and {more} more (facilitator check shows them all)", style="italic"))
    removed = state.removed
    if removed is not None:
        upcoming = state.next_step
        goes_on = f"n goes on to “{printable(upcoming.step.title)}”" if upcoming else "n: that was the day's end"
        notice = Text(f"“{printable(removed.title)}” was removed from the script; {goes_on}; g jumps anywhere.")
        lines.append(notice)
    for index, line in enumerate(lines):
        if index:
            text.append("\n")
        text.append_text(line)
    return text
