"""The day's agenda: one line per step, drawn with Textual's line API so a step change repaints two lines.

(An OptionList re-renders every visible line whenever one prompt changes; on a day of a hundred steps
that alone cost more than a frame.) A state change compares each step's status and time with what its line
shows, building nothing for the lines that stay; the headings and ids are built once per programme, day
and width.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import BindingType
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from facilitator.live.pace import StepProgress, day_progress
from facilitator.live.state import SessionState
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.live import LiveApp, live_app
from facilitator.tui.parts import laid_out_size
from facilitator.tui.widgets.panels import minutes_text

MARKS = {"done": "✓", "current": "▶", "upcoming": "·"}


@dataclass
class Row:
    """One line of the agenda: a step (with its ``day/exercise/step`` id) or an exercise heading (no id)."""

    id: str | None
    signature: tuple[object, ...]
    render: Callable[[], Text]
    text: Text | None = None
    strip: Strip | None = None


class AgendaView(ScrollView, can_focus=True):
    """Steps with planned start, status and, once done, the actual time against the plan.

    Up and down move a cursor; enter or a click enters the step under it.
    """

    BORDER_TITLE = "Agenda"
    COMPONENT_CLASSES: ClassVar[set[str]] = {"agenda--heading", "agenda--current", "agenda--cursor"}
    BINDINGS: ClassVar[list[BindingType]] = list(bindings.AGENDA)
    # No repaint of the whole agenda when it moves: watch_cursor repaints the two lines concerned.
    cursor: reactive[int | None] = reactive(None, repaint=False)
    # How the agenda follows the running step (_follow): the steps after it that stay in view, and the lines
    # above it once the agenda has scrolled to it.
    AHEAD = 3
    BEHIND = 2
    DRAWN_AHEAD = 3  # lines of the next jump drawn after each step's frame (_draw_ahead)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Row] = []
        # What the rows were built for (the programme, by identity, the day and the width), and the index
        # in ``rows`` of each step of the day's timeline, in order.
        self._built_for: tuple[object, ...] | None = None
        self._step_rows: list[int] = []
        # While a paint is under way: the base and cursor styles, the scroll offset (x, y) and the width.
        self._paint: tuple[Style, Style, int, int, int] | None = None
        # The running step's row and the panel's height when the agenda last followed it (_follow).
        self._followed: tuple[int, int] | None = None

    @property
    def lead_app(self) -> LiveApp:
        return live_app(self)

    def on_mount(self) -> None:
        self.watch(self.app, "state", self.show)

    def on_resize(self) -> None:
        self.show(self.lead_app.state)

    def _get_scrollable_region(self, region: Region) -> Region:
        # Asked by the layout with the agenda's size, before that size is set. Textual decides a scroll view's
        # scrollbars once it is set, so the first layout (the first frame) had no scrollbar and a second added
        # it; decided for this size here, the first frame has it.
        if region.size != self._container_size:
            self._container_size = region.size
            self._refresh_scrollbars()
        return super()._get_scrollable_region(region)

    def lines(self) -> list[str]:
        """The agenda as plain text, one string per line (for tests and screen readers)."""
        return [str(self._text(row)) for row in self.rows]

    # -- building the rows ---------------------------------------------------------------------------

    def show(self, state: SessionState) -> None:
        self._show(state, painting=False)

    def _show(self, state: SessionState, *, painting: bool) -> None:
        """The rows for ``state``; ``painting``: asked by a paint, which draws them (no repaint, no scrolling)."""
        programme = state.programme
        if programme is None:
            return
        day = state.day or programme.workshop.days[0].date
        width = max(laid_out_size(self, scrollbars=True).width, 20)
        progress = day_progress(state, day, self.lead_app.clock.now())
        built_for = self._built_for
        if (
            built_for is not None
            and built_for[0] is programme
            and built_for[1:] == (day, width)
            and len(progress) == len(self._step_rows)
        ):
            current_row = self._update(progress, width)
        else:
            current_row = self._rebuild(progress, day, width, painting=painting)
            self._built_for = (programme, day, width)
        if painting:
            return  # the resize event that follows the first paint follows the running step
        if current_row is not None and current_row != getattr(self, "_current_row", None):
            self._current_row = current_row
            self.cursor = current_row
        if current_row is not None:
            self._follow(current_row)
            self.call_after_refresh(self._draw_ahead)
        else:
            self._followed = None  # no step running: the next one entered is followed wherever it is

    def _follow(self, row: int) -> None:
        """Keep the running step in view with the next few after it, scrolling by jumps, not line by line.

        While the step and the ``AHEAD`` steps after it show, the agenda stays still: a step change repaints
        two lines. When ``n`` reaches the point where fewer would show (or the step is above the view), the
        agenda scrolls once, so that the step sits ``BEHIND`` lines from the top (the steps just done above
        it) and the rest of the panel shows what comes next; a scroll repaints the whole panel. Checked when
        the running step or the panel's height changes, so a driver who scrolled to look ahead keeps that
        view until the step changes.
        """
        height = laid_out_size(self, scrollbars=True).height
        if height <= 0 or (row, height) == self._followed:
            return  # not laid out yet (on_resize follows), or already followed
        self._followed = (row, height)
        behind = min(self.BEHIND, (height - 1) // 3)
        ahead = min(self.AHEAD, height - 1 - behind, len(self.rows) - 1 - row)
        top = self.scroll_offset.y
        if top <= row and row + ahead < top + height:
            return
        self.scroll_to(y=row - behind, animate=False, immediate=True)  # clamped to the end of the agenda

    @staticmethod
    def _signature(item: StepProgress, width: int) -> tuple[object, ...]:
        """Everything a step's line shows, so that an edited script repaints exactly the lines it changed."""
        planned = item.planned
        actual = None if item.actual is None else int(item.actual.total_seconds() // 60)
        return (planned.key, planned.step.title, planned.start, planned.step.duration, item.status, actual, width)

    def _rebuild(self, progress: list[StepProgress], day: date, width: int, *, painting: bool = False) -> int | None:
        """Every row again (another programme, day or width); lines that read the same are kept."""
        rows: list[Row] = []
        step_rows: list[int] = []
        current_exercise = None
        current_row = None
        for item in progress:
            planned = item.planned
            if planned.exercise.id != current_exercise:
                current_exercise = planned.exercise.id
                title = planned.exercise.title
                rows.append(Row(None, (title, width), partial(self._heading, title, width)))
            step_rows.append(len(rows))
            signature = self._signature(item, width)
            rows.append(Row(f"{day.isoformat()}/{planned.key}", signature, partial(self._step_line, item, width)))
            if item.status == "current":
                current_row = len(rows) - 1
        self._step_rows = step_rows
        self._apply(rows, painting=painting)
        return current_row

    def _update(self, progress: list[StepProgress], width: int) -> int | None:
        """The same rows: only the lines whose status or time changed get a new row and a repaint."""
        rows = self.rows
        current_row = None
        for item, y in zip(progress, self._step_rows, strict=True):
            row = rows[y]
            actual = None if item.actual is None else int(item.actual.total_seconds() // 60)
            if row.signature[4] != item.status or row.signature[5] != actual:
                rows[y] = Row(row.id, self._signature(item, width), partial(self._step_line, item, width))
                self.refresh_line(y)
            if item.status == "current":
                current_row = y
        return current_row

    def _apply(self, rows: list[Row], *, painting: bool = False) -> None:
        """Keep the lines whose content did not change; repaint only the others."""
        if [r.id for r in rows] == [r.id for r in self.rows]:
            for y, (old, new) in enumerate(zip(self.rows, rows, strict=True)):
                if old.signature != new.signature:
                    self.rows[y] = new
                    if not painting:
                        self.refresh_line(y)
            return
        self.rows = rows
        self.virtual_size = Size(laid_out_size(self, scrollbars=True).width, len(rows))
        self.refresh()

    def _heading(self, title: str, width: int) -> Text:
        heading = Text(printable(title), style=self.get_component_rich_style("agenda--heading", partial=True))
        heading.truncate(width, overflow="ellipsis")
        return heading

    def _step_line(self, item: StepProgress, width: int) -> Text:
        """``▶ 08:10 Title…  15m→17m``: the title gives way so that times and durations always show."""
        planned = item.planned
        prefix = Text(f"{MARKS[item.status]} {planned.start:%H:%M} ", style="bold" if item.status == "current" else "")
        suffix = Text(f" {minutes_text(planned.step.duration)}", style="dim")
        if item.actual is not None and item.status != "upcoming":
            over = item.actual > planned.step.duration + timedelta(seconds=59)
            suffix.append(f"→{minutes_text(item.actual)}", style="red" if over else "green")
        title = Text(printable(planned.step.title))
        title.truncate(max(width - prefix.cell_len - suffix.cell_len, 4), overflow="ellipsis")
        line = Text.assemble(prefix, title, suffix, no_wrap=True)
        if item.status == "current":
            line.stylize(self.get_component_rich_style("agenda--current", partial=True))
        return line

    # -- drawing -------------------------------------------------------------------------------------

    @staticmethod
    def _text(row: Row) -> Text:
        if row.text is None:
            row.text = row.render()
        return row.text

    def render_lines(self, crop: Region) -> list[Strip]:
        built = self._built_for
        width = laid_out_size(self, scrollbars=True).width
        if built is not None and width > 0 and built[2] != max(width, 20):
            # The first paint follows the layout that gave the agenda its width before its resize event: the
            # rows for that width now, so that the first frame shows them as they stay.
            self._show(self.lead_app.state, painting=True)
        # Worked out once per paint, not once per line: the styles (rich_style walks the ancestors), the
        # scroll offset and the width (each a computed property); a scroll repaints every visible line.
        scroll = self.scroll_offset
        self._paint = (
            self.rich_style,
            self.get_component_rich_style("agenda--cursor", partial=True),
            scroll.x,
            scroll.y,
            width,
        )
        try:
            return super().render_lines(crop)
        finally:
            self._paint = None

    def _draw_ahead(self) -> None:
        """Draw, after a step's frame, a few of the lines the agenda's next jump will show (_follow).

        A jump shows a panel of lines never drawn, each a Text rendered through the console (some 0.2 ms a line):
        a whole panel at once was the slowest of step changes. A few lines after each step, ahead of the jump,
        and the jump finds them drawn."""
        size = laid_out_size(self, scrollbars=True)
        if size.height <= 0 or size.width <= 0:
            return
        first = self.scroll_offset.y + size.height
        undrawn = [row for row in self.rows[first : first + size.height] if row.strip is None]
        base = self.rich_style
        for row in undrawn[: self.DRAWN_AHEAD]:
            row.strip = self._strip_of(row, size.width, base)

    def _strip_of(self, row: Row, width: int, base: Style) -> Strip:
        segments = list(self._text(row).render(self.app.console))
        return Strip(segments).crop_extend(0, width, base)

    def render_line(self, y: int) -> Strip:
        if self._paint is None:
            scroll = self.scroll_offset
            base = self.rich_style
            cursor = self.get_component_rich_style("agenda--cursor", partial=True)
            scroll_x, scroll_y, width = scroll.x, scroll.y, laid_out_size(self, scrollbars=True).width
        else:
            base, cursor, scroll_x, scroll_y, width = self._paint
        index = y + scroll_y
        if not 0 <= index < len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        if row.strip is None:
            row.strip = self._strip_of(row, width, base)
        strip = row.strip.apply_style(base)
        if index == self.cursor and self.has_focus and index != getattr(self, "_current_row", None):
            strip = Strip(Segment.apply_style(strip, post_style=cursor))
        return strip.crop(scroll_x, scroll_x + width)

    @staticmethod
    def _row_region(index: int) -> Region:
        return Region(0, index, 1, 1)

    def on_focus(self) -> None:
        if self.cursor is not None:
            self.refresh_line(self.cursor)

    on_blur = on_focus

    def watch_cursor(self, old: int | None, new: int | None) -> None:
        for index in (old, new):
            if index is not None:
                self.refresh_line(index)

    # -- keys and mouse ------------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        steps = [i for i, row in enumerate(self.rows) if row.id is not None]
        if not steps:
            return
        here = self.cursor if self.cursor is not None else steps[0]
        after = [i for i in steps if (i - here) * delta > 0]
        if after:
            self.cursor = min(after, key=lambda i: abs(i - here))
            self.scroll_to_region(self._row_region(self.cursor), animate=False)

    def action_enter_step(self) -> None:
        if self.cursor is not None:
            self._enter(self.cursor)

    def on_click(self, event: events.Click) -> None:
        self._enter(event.y + self.scroll_offset.y)

    def _enter(self, index: int) -> None:
        if 0 <= index < len(self.rows) and (row_id := self.rows[index].id):
            day, exercise, step = row_id.split("/")
            self.lead_app.jump_to(day, exercise, step)
