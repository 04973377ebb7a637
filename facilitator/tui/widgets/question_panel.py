"""The questions at hand on the facilitators' main screen: each one's state, live bars of its answers, and
who answered of who is present at each location. Counts only: never who answered, never a comment's text.

The questions are the current step's (open, or closed early) and any other still open, the course
evaluation (facilitator.tui.results.at_hand); each is named ``Q1``, ``Q2``... as the keys' pickers name
them. Per question: its text, whether it takes answers and whether the room sees its results; one line per
option (or per value of a scale) with a bar, the count and the share of those who answered (a quiz's right
options marked ✓, not by colour alone); a scale's mean; a text question's number of comments; and answered
/ present (checked in now) at each location where anyone is. The bars are laid out for the width they are
drawn at (:class:`QuestionBoard`), so they scale with the window; the text is built again only when the
state of the questions, their counts or the attendance changed (the app's ``state``, ``results`` and
``attendance`` reactives, which the live-run client updates within a poll of another process's commit).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from facilitator.live.state import QuestionStatus
from facilitator.script.models import AskedQuestion, QuestionType
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.keys import readable_keys
from facilitator.tui.live import LiveApp, live_app
from facilitator.tui.parts import one_line
from facilitator.tui.results import Result, ResultsSnapshot, has_options, numbered, scale_values, status_words
from facilitator.tui.snapshot import AttendanceSnapshot
from facilitator.tui.widgets.panels import pack

MARKER = "✓ "  # a quiz's right option: a mark, so it does not rest on colour alone
MIN_BAR = 3


def choice_rows(asked: AskedQuestion) -> list[tuple[str, str, bool]]:
    """(what the tally counts, its label, whether it is a right answer) for each option or scale value."""
    question = asked.question
    if has_options(asked):
        return [(option.id, option.text, option.id in question.correct) for option in question.options]
    scale = question.scale
    rows = []
    for value in scale_values(asked):
        label = str(value)
        if scale is not None and value == scale.min and scale.low:
            label += f" {scale.low}"
        elif scale is not None and value == scale.max and scale.high:
            label += f" {scale.high}"
        rows.append((str(value), label, False))
    return rows


def bar_lines(asked: AskedQuestion, result: Result, width: int) -> list[Text]:
    """One line per option (or scale value): ``✓ label ████░░░░  6  60%``, fitted to ``width`` cells."""
    rows = choice_rows(asked)
    if not rows:
        return []
    counts = [result.count(choice) for choice, _, _ in rows]
    count_width = max(len(str(count)) for count in counts)
    tail_width = 1 + count_width + 1 + 4  # " 12 100%"
    room = max(width - len(MARKER) - 1 - tail_width, MIN_BAR + 4)
    longest = max(cell_len(printable(label)) for _, label, _ in rows)
    label_width = min(longest, max(4, room * 3 // 5), room - MIN_BAR)  # the words before the bar
    bar_width = max(room - label_width, MIN_BAR)
    lines = []
    for (choice, label, correct), count in zip(rows, counts, strict=True):
        share = result.share(choice)
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append(MARKER if correct else " " * len(MARKER), style="bold green")
        shown = one_line(label, label_width, style="bold" if correct else "")
        line.append_text(shown)
        line.append(" " * (label_width - shown.cell_len + 1))
        filled = round(bar_width * min(share, 1.0))
        line.append("█" * filled, style="green" if correct else "")
        line.append("░" * (bar_width - filled), style="dim")
        line.append(f" {count:>{count_width}} {round(share * 100):>3}%")
        lines.append(line)
    return lines


def summary_line(asked: AskedQuestion, result: Result) -> Text | None:
    """What a question adds under its bars: a scale's mean, a text question's number of comments."""
    if asked.question.type is QuestionType.SCALE:
        mean = result.mean()
        scale = asked.question.scale
        span = f" (from {scale.min} to {scale.max})" if scale is not None else ""
        return Text(f"  mean {mean:.1f}{span}" if mean is not None else f"  no answer yet{span}", style="bold")
    if asked.question.type is QuestionType.TEXT:
        comments = result.comments
        return Text(f"  {comments} comment{'' if comments == 1 else 's'}", style="bold")
    return None


class QuestionBoard:
    """The questions at hand as the lead's panel draws them, laid out for the width it is drawn at."""

    def __init__(
        self,
        questions: Sequence[tuple[str, AskedQuestion, QuestionStatus | None]],
        results: ResultsSnapshot,
        attendance: AttendanceSnapshot | None,
        locations: Sequence[str],
    ) -> None:
        self.questions = questions
        self.results = results
        self.attendance = attendance
        self.locations = locations

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(options.max_width, 1)
        # One line each, cut where a window is too narrow; ends in a newline: Textual counts lines by them.
        out = Text(no_wrap=True, overflow="ellipsis")
        for index, (name, asked, status) in enumerate(self.questions):
            if index:
                out.append("\n")
            result = self.results.of(asked.key)
            lines = [self.title_line(name, asked, width), self.status_line(status, result, width)]
            lines += bar_lines(asked, result, width)
            summary = summary_line(asked, result)
            if summary is not None:
                lines.append(summary)
            where = self.location_lines(result, width)
            if where is not None:
                lines.append(where)
            out.append_text(Text("\n").join(lines))
        yield out

    @staticmethod
    def title_line(name: str, asked: AskedQuestion, width: int) -> Text:
        line = Text(f"{name} ", style="bold", no_wrap=True, overflow="ellipsis", end="")
        line.append_text(one_line(asked.question.text, max(width - len(name) - 1, 1), style="bold"))
        return line

    def status_line(self, status: QuestionStatus | None, result: Result, width: int) -> Text:
        taking, shown = status_words(status)
        line = Text("  ", no_wrap=True, overflow="ellipsis", end="")
        line.append(taking, style="bold green" if taking == "open" else "dim")
        line.append(" · ")
        line.append(shown, style="bold reverse" if status is not None and status.revealed else "")
        line.append(f" · {result.answered}")
        if self.attendance is not None:
            line.append(f" of {sum(count.present for count in self.attendance.counts.values())}")
        line.append(" answered")
        line.truncate(width, overflow="ellipsis")
        return line

    def location_lines(self, result: Result, width: int) -> Text | None:
        """``HQ 4/5  UNMISS 2/3``: answered / present now, at each location where anyone is or answered."""
        counts = self.attendance.counts if self.attendance is not None else {}
        cells = []
        for location in self.locations:
            answered = result.by_location.get(location, 0)
            count = counts.get(location)
            present = count.present if count is not None else None
            if not answered and not present:
                continue
            cell = Text(printable(location.upper()), style="bold")
            cell.append(f" {answered}/{present if present is not None else '–'}")
            cells.append(cell)
        elsewhere = result.answered - sum(result.by_location.values())
        if elsewhere > 0:
            cells.append(Text(f"no location {elsewhere}"))
        if not cells:
            return None
        head = Text("  answered/present:", style="dim")
        return pack([head, *cells], width, gap=" ")


class QuestionPanel(VerticalScroll):
    """The questions at hand; hidden while there are none. It scrolls when they are more than it may show."""

    _inputs: tuple[object, ...] | None = None  # what it showed last was built from
    _attendance: AttendanceSnapshot | None = None
    board: QuestionBoard | None = None  # what it shows; None while there is no question
    _title = ""

    @staticmethod
    def shows(app: LiveApp) -> bool:
        """Whether questions are at hand now (``numbered``, as :meth:`show` lists them; it hides the panel without
        any). The lead screen composes the panel at once only when this holds (otherwise after its first frame)."""
        return bool(numbered(app.state))

    def compose(self) -> ComposeResult:
        yield Static(id="question-board")

    def on_mount(self) -> None:
        self.display = False
        for name in ("state", "results", "attendance"):
            self.watch(self.app, name, lambda _: self.show(), init=False)
        self.show()

    def show(self) -> None:
        app = live_app(self)
        state = app.state
        inputs = (state.programme, state.questions, state.exercise, state.step, state.driver, app.results)
        attendance = app.attendance
        if (
            self._inputs is not None
            and all(a is b for a, b in zip(self._inputs, inputs, strict=True))
            and self._attendance is attendance
        ):
            return  # nothing it shows changed (a tick, a reflection, a note)
        self._inputs, self._attendance = inputs, attendance
        questions = numbered(state)
        self.display = bool(questions)
        if not questions:
            self.board = None
            return
        title = self.title_for()
        if title != self._title:
            self._title = title
            self.border_title = Text(title)  # a Text: keys such as "[" are not markup
        shown = [(name, asked, state.questions.get(asked.key)) for name, asked in questions]
        locations = [loc.id for loc in state.programme.workshop.locations] if state.programme else []
        self.board = QuestionBoard(shown, app.results, attendance, locations)
        self.query_one("#question-board", Static).update(self.board)

    def title_for(self) -> str:
        """``Questions · v results · x close``: the keys, as mapped, where this person may press them."""
        app = live_app(self)
        keys = []
        for binding in bindings.MAIN:
            if binding.action in ("reveal_results", "close_question") and app.refusal(binding.action) is None:
                key = readable_keys(app.keymap.get(binding.id or "", binding.key)).split(",")[0]
                keys.append(f"{key} {'results' if binding.action == 'reveal_results' else 'close'}")
        return " · ".join(["Questions", *keys])
