"""Widgets of the lead screen. Each watches the app's state; text from scripts and people is never markup."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widgets import Static

from facilitator.live.pace import city, day_pace, local_time
from facilitator.live.state import SessionState
from facilitator.text import printable, reflow
from facilitator.tui.live import LiveApp, live_app
from facilitator.tui.parts import groups_hint, laid_out_size, same_text
from facilitator.tui.widgets.tick import AppTick

AMBER_SHARE = 0.2
RED_SHARE = 0.05


def clock_text(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def minutes_text(delta: timedelta) -> str:
    return f"{round(delta.total_seconds() / 60)}m"


class StateView:
    """Mixin: call :meth:`show` whenever the app's session state changes."""

    @property
    def lead_app(self) -> LiveApp:
        return live_app(self)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self.watch(self.app, "state", self.show)  # type: ignore[attr-defined]

    def show(self, state: SessionState) -> None:
        raise NotImplementedError


class Ticking(Static):
    """A static that re-renders once a second, and repaints only when its text actually changed.

    A text that depends on the widget's width (``by_width``: a bar, cells packed into lines) is composed for
    the width the layout gives it, as the layout gives it (:meth:`get_content_height`, or :meth:`render` for a
    panel of fixed height), so that the first frame already shows it as it stays: waiting for the widget's
    resize event to compose it again cost a second layout and frame before the screen was complete.
    """

    _last: Text | None = None
    # Whether a change of text may change the widget's height; if not, repainting skips the layout pass.
    resizes = True
    # Whether the text depends on the width (compose_text reads text_width).
    by_width = False
    _width = 0  # the content width the text was composed for

    @property
    def text_width(self) -> int:
        """The content width to compose the text for: the layout's, once it has given one."""
        return self._width or laid_out_size(self).width

    def on_mount(self) -> None:
        # Textual calls this as well as a subclass's own on_mount (each class's handler in the MRO): a subclass
        # must not call it again, or it ticks twice a second. On the app's one clock (facilitator.tui.widgets.tick),
        # only while this screen is on top.
        AppTick.of(self.app).add(self.tick, screen=self.screen)
        self.watch(self.app, "state", lambda _: self.tick())

    def on_unmount(self) -> None:
        AppTick.of(self.app).discard(self.tick)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self.by_width and width and width != self._width:
            self._compose_for(width)
        return super().get_content_height(container, viewport, width)

    def on_resize(self) -> None:
        # Composed for this width already by the layout, unless the widget changed width without changing height.
        width = laid_out_size(self).width
        if self.by_width and width and width != self._width:
            self._compose_for(width)
            self.refresh()

    def render(self) -> Text:
        width = laid_out_size(self).width
        if self.by_width and width and width != self._width:  # a fixed height: the layout asked no height
            self._compose_for(width)
        return self._last if self._last is not None else Text()

    def _compose_for(self, width: int) -> None:
        self._width = width
        self._last = self.compose_text(live_app(self).clock.now())

    def tick(self) -> None:
        text = self.compose_text(live_app(self).clock.now())
        if text == self._last:
            return
        before, self._last = self._last, text
        span = None if self.resizes or before is None else changed_columns(before, text)
        if span is None:
            # A new layout only when the text's height changed: a layout pass repaints the neighbours too
            # (the agenda's scrollbar, at every minute turn of the location strip's clocks).
            taller = before is None or before.plain.count("\n") != text.plain.count("\n")
            self.refresh(layout=self.resizes and taller)
        elif span:
            # One line whose size cannot change: only the cells that differ go down the wire (a slow SSH
            # link pays for every byte of every second's repaint).
            start, end = span[0], min(span[1], self.content_size.width)
            if start < end:  # a change past the right edge shows nothing new
                self.refresh(Region(start, 0, end - start, 1))

    def compose_text(self, now: datetime) -> Text:
        raise NotImplementedError


def styled_cells(text: Text) -> list[tuple[str, str]]:
    """Each character of ``text`` with the styles that apply to it, to compare two texts cell by cell."""
    styles = [str(text.style)] * len(text.plain)
    for span in text.spans:
        for index in range(span.start, min(span.end, len(styles))):
            styles[index] += f";{span.style}"
    return list(zip(text.plain, styles, strict=True))


def changed_columns(before: Text, after: Text) -> tuple[int, int] | tuple[()] | None:
    """The columns ``[start, end)`` where two one-line texts differ, ``()`` if none.

    None when a column cannot be told from a character index: a line break, or a character two cells wide.
    """
    plain = before.plain + after.plain
    if "\n" in plain or cell_len(plain) != len(plain):
        return None
    old, new = styled_cells(before), styled_cells(after)
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    if start == len(old) == len(new):
        return ()
    tail = 0
    if len(old) == len(new):
        while old[-1 - tail] == new[-1 - tail]:
            tail += 1
    return start, max(len(old), len(new)) - tail


class StepView(StateView, ScrollView):
    """What participants see, the reflection prompt, the private notes and the next step's title.

    A panel of fixed height (the rest of the right column) that scrolls its own lines: a new step wraps its
    text once and repaints the panel, with no layout pass of the screen (the text's height changes only the
    panel's virtual size), unless its scrollbar comes or goes. The lines are drawn as a Static would draw the
    same text (Textual's Visual rendering), so the screen is the same; :meth:`render` is the text shown.
    """

    DEFAULT_CSS = """
    StepView { overflow-x: hidden; overflow-y: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()
        self._visual: Visual | None = None
        self._lines: list[Strip] | None = None  # the text wrapped at the panel's width
        self._wrapped_at = Size(0, 0)  # the panel's size when it was

    def render(self) -> Text:
        """The text the panel shows (all of it, not only the lines scrolled into view)."""
        return self._text

    def show(self, state: SessionState) -> None:
        text = self.text_for(state)
        if same_text(text, self._text):
            return  # the same step, the same text: nothing to wrap, nothing to repaint
        self._text = text
        self._visual = None
        self._lay_out()

    def text_for(self, state: SessionState) -> Text:
        current = state.current
        text = Text()
        if current is None:
            upcoming = state.next_step
            if state.removed is not None:
                after = f"n goes on to “{printable(upcoming.step.title)}”." if upcoming else "n has nowhere to go on."
                message = f"“{printable(state.removed.title)}” was removed from the script; {after}"
            elif any(v.day == state.day for v in state.visits):
                message = "No step is running. Press n to go on, or g to jump to a step."
            else:
                message = "Press n to start the first step of the day."
            return Text(message, style="italic")
        step = current.step
        text.append(printable(step.title) + "\n", style="bold")
        text.append(f"{step.kind.value} · {printable(current.exercise.title)}", style="dim")
        hint = groups_hint(step)
        if hint:
            text.append(f" · {hint}", style="dim")
        text.append("\n\n")
        if step.text:
            text.append(printable(reflow(step.text)) + "\n\n")
        if step.prompt:
            text.append("Reflection prompt: ", style="bold")
            text.append(printable(step.prompt.text) + "\n\n")
        if step.notes:
            text.append("Notes (facilitators only)\n", style="bold")
            text.append(printable(reflow(step.notes)) + "\n\n", style="italic")
        materials = (*step.materials, *current.exercise.materials)
        if materials:
            text.append("Materials: ", style="bold")
            text.append(printable("; ".join(materials)) + "\n\n")
        upcoming = state.next_step
        text.append("Next: ", style="bold")
        text.append(printable(upcoming.step.title) if upcoming else "end of the day", style="")
        return text

    # -- wrapping and drawing ------------------------------------------------------------------------

    def _wrap(self, width: int) -> list[Strip]:
        if self._visual is None:
            self._visual = visualize(self, self._text)  # what a Static showing the text would draw
        return Visual.to_strips(self, self._visual, width, None, self.visual_style)

    def _lay_out(self, *, painting: bool = False) -> None:
        """Wrap the text at the width the panel gives it, as the old Static in a scrolling container was: at
        the full width, or, when that overflows the panel's height, beside the scrollbar.

        ``painting``: called by the first paint (the panel has had its size since the layout, before its resize
        event), which draws the lines it wraps: no repaint to ask for.
        """
        size = laid_out_size(self)  # inside the padding, the scrollbar's column included
        width, height = size
        if not self.is_mounted or width <= 0 or height <= 0:
            self._lines = None  # wrapped once the panel has a size (its first paint)
            return
        lines = self._wrap(width)
        if len(lines) > height and self.styles.scrollbar_size_vertical:
            lines = self._wrap(max(width - self.styles.scrollbar_size_vertical, 1))
        before, self._lines = self._lines, lines
        self._wrapped_at = size
        self._set_virtual_size(Size(width, len(lines)))
        if before is None:
            if not painting:
                self.refresh()
            return
        # Only the lines that read differently: a new step of the same shape repaints its few lines of text,
        # not the blank rest of the panel.
        for y in range(max(len(before), len(lines))):
            if y >= len(before) or y >= len(lines) or before[y] != lines[y]:
                self.refresh_line(y)

    def _set_virtual_size(self, size: Size) -> None:
        """A new virtual size without a layout of the screen, unless a scrollbar comes or goes (as RosterTable)."""
        if size == self.virtual_size:
            return
        bars = (self.show_vertical_scrollbar, self.show_horizontal_scrollbar)
        self.set_reactive(ScrollView.virtual_size, size)
        self._scroll_update(size)
        if (self.show_vertical_scrollbar, self.show_horizontal_scrollbar) != bars:
            self.refresh(layout=True)

    def on_resize(self) -> None:
        if self._lines is None or laid_out_size(self) != self._wrapped_at:  # the first paint wrapped it at this size
            self._lay_out()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lay_out()  # the lines carry the panel's style

    def selection_updated(self, selection: Selection | None) -> None:
        self._lay_out()  # the lines carry the selection's highlight

    def render_line(self, y: int) -> Strip:
        lines = self._lines
        if lines is None and laid_out_size(self):
            self._lay_out(painting=True)
            lines = self._lines
        index = y + self.scroll_offset.y
        if lines is None or not 0 <= index < len(lines):
            # Empty: Textual pads it with the panel's background, as it drew the space below the old Static.
            return Strip([], 0)
        return lines[index]


class TimerView(Ticking):
    """Time left with a bar; amber at 20% left, red at 5%, and the overrun counted up in red."""

    resizes = False  # one line in a box of fixed height: every second's repaint is the cells that changed
    by_width = True  # the bar fills the line

    def compose_text(self, now: datetime) -> Text:
        state = live_app(self).state
        timer = state.timer
        if timer is None:
            self.show_level("")
            return Text("--:--  no step running", style="dim", no_wrap=True, overflow="ellipsis")
        remaining = timer.remaining(now)
        share = remaining / timer.allowed if timer.allowed else 0.0
        level = (
            "over"
            if remaining < timedelta()
            else "red"
            if share <= RED_SHARE
            else "amber"
            if share <= AMBER_SHARE
            else ""
        )
        self.show_level(level)
        label = f"+{clock_text(remaining)} over" if remaining < timedelta() else clock_text(remaining)
        text = Text(f"{label} ", no_wrap=True, overflow="ellipsis")
        suffix = f" of {minutes_text(timer.allowed)}"
        width = max(self.text_width - len(label) - len(suffix) - 14, 5)
        filled = 0 if remaining < timedelta() else round(width * max(min(share, 1.0), 0.0))
        text.append("█" * filled + "░" * (width - filled))
        text.append(suffix)
        if timer.adjustment:
            sign = "+" if timer.adjustment > timedelta() else "-"
            text.append(f" ({sign}{minutes_text(abs(timer.adjustment))})", style="dim")
        if timer.paused:
            text.append("  PAUSED", style="bold reverse")
        return text

    def show_level(self, level: str) -> None:
        # One atomic change, a no-op when the level stays: removing and re-adding a class would restyle,
        # and so repaint, the whole box every second.
        self.update_classes({name: name == level for name in ("amber", "red", "over")})

    def tick(self) -> None:
        before = self._remaining_positive()
        super().tick()
        after = self._remaining_positive()
        if before and after is False and live_app(self).config.bell:
            self.app.bell()

    def _remaining_positive(self) -> bool | None:
        app = live_app(self)
        timer = app.state.timer
        if timer is None or timer.paused:
            return None
        positive = timer.remaining(app.clock.now()) > timedelta()
        previous = getattr(self, "_was_positive", None)
        self._was_positive = positive
        return previous if previous is not None else positive


class PaceView(Ticking):
    """How far the day runs ahead of or behind plan, and when it will end."""

    def compose_text(self, now: datetime) -> Text:
        state = live_app(self).state
        if state.programme is None:
            return Text()
        day = state.day or state.programme.workshop.days[0].date
        close = state.closed.get(day)
        if close is not None:
            self.set_class(False, "warning")
            tz = state.programme.workshop.timezone
            how = " (inferred: left open)" if close.inferred else ""
            text = Text(f"Day closed at {local_time(close.at, tz):%H:%M}{how}", style="bold")
            return text.append(" · d opens another day", style="dim")
        pace = day_pace(state, day, now)
        # Set once, a no-op when unchanged: toggling it off and on again would repaint the lines every second.
        self.set_class(pace is not None and pace.overruns, "warning")
        if pace is None:
            return Text()
        tz = state.programme.workshop.timezone
        drift_minutes = round(pace.drift.total_seconds() / 60)
        if drift_minutes > 0:
            text = Text(f"{drift_minutes} min behind", style="bold red")
        elif drift_minutes < 0:
            text = Text(f"{-drift_minutes} min ahead", style="bold green")
        else:
            text = Text("on time", style="bold green")
        text.append(f" · forecast end {local_time(pace.forecast_end, tz):%H:%M}")
        planned = f"planned end {local_time(pace.planned_end, tz):%H:%M} {city(tz)}"
        # The warning before anything else that may not fit: the panel has two lines, and an 80-column
        # screen cut it after "runs past the" when it came last.
        if pace.overruns:
            text.append(f"  ⚠ runs past the {planned}", style="bold")
        else:
            text.append(f" · {planned}", style="dim")
        if pace.rehearsal:
            text.append(" · rehearsal times", style="dim")
        return text


class LocationStrip(Ticking):
    """Every location: its link, its local time, who is present against who is expected."""

    WIDE = 110
    by_width = True  # the cells are packed into lines
    LINKS: ClassVar[dict[str, tuple[str, str]]] = {
        "not-joined": ("○", "dim"),
        "connected": ("●", "bold green"),
        "dropped": ("✕", "bold red"),
    }

    def on_mount(self) -> None:
        self.watch(self.app, "attendance", lambda _: self.tick(), init=False)

    _composed_for: tuple[object, ...] | None = None

    def compose_text(self, now: datetime) -> Text:
        app = live_app(self)
        state = app.state
        if state.programme is None:
            return Text()
        snapshot = app.attendance
        wide = self.app.size.width >= self.WIDE
        # Local times to the minute: within a minute, with the same counts, the same text (an idle terminal
        # would otherwise build nine cells every second to find nothing changed).
        inputs = (now.replace(second=0, microsecond=0), self.text_width, wide, state.programme, snapshot)
        composed = self._composed_for
        if (
            self._last is not None
            and composed is not None
            and composed[:3] == inputs[:3]
            and all(a is b for a, b in zip(composed[3:], inputs[3:], strict=True))  # the same objects
        ):
            return self._last
        self._composed_for = inputs
        cells = []
        for location in state.programme.workshop.locations:
            link = snapshot.links.get(location.id, "not-joined") if snapshot else "not-joined"
            symbol, style = self.LINKS.get(link, self.LINKS["not-joined"])
            cell = Text()
            cell.append(f"{symbol} ", style=style)
            cell.append(printable(location.id.upper()), style="bold")
            cell.append(f" {local_time(now, location.timezone):%H:%M}")
            if wide:
                cell.append(f" {city(location.timezone)}")
            count = snapshot.counts.get(location.id) if snapshot else None
            if count is None:
                cell.append(f" –/{location.expected}", style="dim")
            else:
                full = count.expected > 0 and count.present >= count.expected
                cell.append(f" {count.present}/{count.expected}", style="bold green" if full else "")
            cells.append(cell)
        return pack(cells, max(self.text_width, 20))


def pack(cells: list[Text], width: int, gap: str = "  ") -> Text:
    """Lay cells out left to right, starting a new line rather than splitting a cell."""
    out = Text()
    used = 0
    for cell in cells:
        if used and used + len(gap) + cell.cell_len > width:
            out.append("\n")
            used = 0
        elif used:
            out.append(gap)
            used += len(gap)
        out.append_text(cell)
        used += cell.cell_len
    return out


class ReflectionsFeed(StateView, Static):
    """The latest reflections of the day, newest first."""

    BORDER_TITLE = "Reflections"
    LIMIT = 5

    _shown: Text | None = None

    def show(self, state: SessionState) -> None:
        text = self.text_for(state)
        if not same_text(text, self._shown):  # most state changes leave the feed as it is: no repaint, no layout
            self._shown = text
            self.update(text)

    def text_for(self, state: SessionState) -> Text:
        day = state.day
        latest = state.reflections.latest_visible(day, self.LIMIT)
        tz = state.programme.workshop.timezone if state.programme else "UTC"
        if not latest:
            return Text("No reflections yet today. Press r to log one.", style="dim italic")
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, reflection in enumerate(reversed(latest)):
            if index:
                text.append("\n")
            who = printable(reflection.participant or "anonymous")
            where = f", {reflection.location.upper()}" if reflection.location else ""
            text.append(f"{local_time(reflection.logged_at, tz):%H:%M} ", style="dim")
            text.append("“" + printable(reflection.text.replace("\n", " ")) + "”")
            text.append(f" — {who}{where}", style="dim")
        return text
