"""A table of rows keyed by id, drawn with Textual's line API: only the visible lines are ever rendered.

(A DataTable costs about 85 µs per row added, so refilling it with thousands of rows on every filter
keystroke took hundreds of milliseconds; here refilling is replacing a list of ids.) A fixed header line,
a row cursor that stays on the same id when the rows change, one cached Strip per row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text
from textual import events
from textual.binding import BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from facilitator.tui import bindings

Cells = Callable[[str], tuple[Text, ...]]


class RosterTable(ScrollView, can_focus=True):
    """Columns of fixed width (``(key, label, width)``), one line per row id, a row cursor.

    Cells are plain ``Text`` from a callback, asked only for the rows drawn; the caller passes untrusted
    text through ``printable`` first.
    """

    DEFAULT_CSS = """
    RosterTable { background: $surface; }
    RosterTable > .roster--header { text-style: bold; background: $panel; }
    RosterTable > .roster--cursor { background: $block-cursor-blurred-background; }
    RosterTable:focus > .roster--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"roster--header", "roster--cursor"}
    BINDINGS: ClassVar[list[BindingType]] = list(bindings.ROSTER_TABLE)
    PADDING = 1  # cells either side of every column

    cursor_row: reactive[int] = reactive(0, always_update=False)

    class RowHighlighted(Message):
        def __init__(self, table: RosterTable, row_key: str | None, cursor_row: int) -> None:
            super().__init__()
            self.table = table
            self.row_key = row_key
            self.cursor_row = cursor_row

        @property
        def control(self) -> RosterTable:
            return self.table

    class RowSelected(RowHighlighted):
        pass

    def __init__(self, cells: Cells, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cells = cells
        self.columns: list[tuple[str, str, int]] = []
        self.row_ids: list[str] = []
        self._index_of: dict[str, int] | None = None  # row_ids' positions, built when first asked for
        self._strips: dict[str, Strip] = {}
        self._header: Strip | None = None
        self._posted: str | None = None
        self._styles: tuple[Style, Style, Style] | None = None

    # -- content -------------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.row_ids)

    @property
    def highlighted_id(self) -> str | None:
        return self.row_ids[self.cursor_row] if 0 <= self.cursor_row < len(self.row_ids) else None

    def set_columns(self, columns: Sequence[tuple[str, str, int]]) -> None:
        self.columns = list(columns)
        self._header = None
        self._strips.clear()
        self._resize()
        self.refresh()

    @property
    def _index(self) -> dict[str, int]:
        if self._index_of is None:
            self._index_of = {pid: n for n, pid in enumerate(self.row_ids)}
        return self._index_of

    def set_rows(self, row_ids: list[str]) -> None:
        """Show ``row_ids``; the cursor stays on the same id when it is still shown, else goes to the top."""
        keep = self.highlighted_id
        self.row_ids = row_ids
        self._index_of = None  # a filter keystroke need not index thousands of rows it will not look up
        self._resize()
        target = 0
        if keep is not None:
            with contextlib.suppress(ValueError):
                target = row_ids.index(keep)
        self.set_reactive(RosterTable.cursor_row, target)
        self._scroll_to_cursor()
        self.refresh()
        self._post_highlighted()

    def update_row(self, pid: str) -> None:
        """The cells of ``pid`` changed: drop its line and repaint it if it shows."""
        self._strips.pop(pid, None)
        index = self._index.get(pid)
        if index is not None:
            self._refresh_row(index)

    def forget(self) -> None:
        """Every row's cells changed."""
        self._strips.clear()
        self.refresh()

    def row_text(self, pid: str) -> tuple[Text, ...]:
        return self._cells(pid)

    def move_to(self, pid: str) -> bool:
        index = self._index.get(pid)
        if index is None:
            return False
        self.cursor_row = index
        return True

    def _resize(self) -> None:
        """A new virtual size; a layout of the screen (tens of ms) only when a scrollbar comes or goes."""
        size = Size(sum(w + 2 * self.PADDING for _, _, w in self.columns), len(self.row_ids) + 1)
        if size == self.virtual_size:
            return
        if not self.is_mounted or not self.size:
            self.virtual_size = size
            return
        bars = (self.show_vertical_scrollbar, self.show_horizontal_scrollbar)
        self.set_reactive(ScrollView.virtual_size, size)
        self._scroll_update(size)
        if (self.show_vertical_scrollbar, self.show_horizontal_scrollbar) != bars:
            self.refresh(layout=True)

    # -- drawing -------------------------------------------------------------------------------------

    def _line(self, cells: Sequence[Text]) -> Strip:
        """The cells side by side, each padded to its column: the text and spans that appending each cell to
        one Text would give, put together directly (a filter keystroke draws a page of rows never drawn yet)."""
        pad = " " * self.PADDING
        parts: list[str] = []
        spans: list[Span] = []
        offset = 0
        cells_wide = 0  # of the whole line
        for (_, _, width), cell in zip(self.columns, cells, strict=False):
            piece = cell
            plain = piece.plain
            wide = cell_len(plain)
            if wide > width:
                piece = cell.copy()
                piece.truncate(width, overflow="ellipsis")
                plain = piece.plain
                wide = cell_len(plain)
            start = offset + len(pad)
            if piece.style:
                spans.append(Span(start, start + len(plain), piece.style))
            spans.extend(Span(span.start + start, span.end + start, span.style) for span in piece.spans)
            fill = " " * (width - wide) + pad
            parts += (pad, plain, fill)
            offset = start + len(plain) + len(fill)
            cells_wide += len(pad) + max(wide, width) + len(pad)
        line = Text("".join(parts), no_wrap=True, end="", spans=spans)
        return Strip(list(line.render(self.app.console)), cells_wide)

    def render_lines(self, crop: Region) -> list[Strip]:
        # Styles worked out once per paint, not once per line (rich_style walks the ancestors).
        self._styles = (
            self.rich_style,
            self.get_component_rich_style("roster--header"),
            self.get_component_rich_style("roster--cursor"),
        )
        try:
            return super().render_lines(crop)
        finally:
            self._styles = None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base, header, cursor = self._styles or (
            self.rich_style,
            self.get_component_rich_style("roster--header"),
            self.get_component_rich_style("roster--cursor"),
        )
        scroll_x = self.scroll_offset.x
        if y == 0:
            if self._header is None:
                self._header = self._line([Text(label) for _, label, _ in self.columns])
            strip = self._header.crop_extend(0, max(width + scroll_x, self._header.cell_length), header)
            return strip.apply_style(base + header).crop(scroll_x, scroll_x + width)
        index = y - 1 + self.scroll_offset.y
        if not 0 <= index < len(self.row_ids):
            return Strip.blank(width, base)
        pid = self.row_ids[index]
        cached = self._strips.get(pid)
        if cached is None or cached.cell_length < width + scroll_x:
            line = self._line(self._cells(pid))
            cached = line.crop_extend(0, max(width + scroll_x, line.cell_length), base).apply_style(base)
            self._strips[pid] = cached
        strip = cached
        if index == self.cursor_row:
            strip = Strip(Segment.apply_style(strip, post_style=cursor))
        return strip if scroll_x == 0 and strip.cell_length == width else strip.crop(scroll_x, scroll_x + width)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # they carry the widget's style
        self._header = None

    def _refresh_row(self, index: int) -> None:
        self.refresh_line(index + 1)  # the header is line 0

    # -- the cursor ----------------------------------------------------------------------------------

    def _page_rows(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_offset.y)
        rows = self._page_rows()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + rows:
            self.scroll_to(y=self.cursor_row - rows + 1, animate=False, immediate=True)

    def validate_cursor_row(self, row: int) -> int:
        return min(max(row, 0), max(len(self.row_ids) - 1, 0))

    def watch_cursor_row(self, old: int, new: int) -> None:
        top = self.scroll_offset.y
        self._scroll_to_cursor()
        if self.scroll_offset.y == top:
            self._refresh_row(old)
            self._refresh_row(new)
        else:
            self.refresh()
        self._post_highlighted()

    def _post_highlighted(self) -> None:
        if self.highlighted_id != self._posted:  # once per person, not once per keystroke
            self._posted = self.highlighted_id
            self.post_message(self.RowHighlighted(self, self.highlighted_id, self.cursor_row))

    def on_focus(self) -> None:
        self._refresh_row(self.cursor_row)

    on_blur = on_focus

    def action_move(self, delta: int) -> None:
        self.cursor_row += delta

    def action_page(self, delta: int) -> None:
        self.cursor_row += delta * self._page_rows()

    def action_go(self, where: int) -> None:
        self.cursor_row = len(self.row_ids) - 1 if where < 0 else 0

    def action_select_cursor(self) -> None:
        if self.highlighted_id is not None:
            self.post_message(self.RowSelected(self, self.highlighted_id, self.cursor_row))

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        index = event.y - 1 + round(self.scroll_offset.y)
        if 0 <= index < len(self.row_ids):
            event.stop()
            self.cursor_row = index
            self.action_select_cursor()
