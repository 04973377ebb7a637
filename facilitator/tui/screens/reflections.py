"""Every reflection of the run, filtered live; edit and retract append events, nothing is deleted.

Reflection text comes from strangers: every cell is a plain ``Text`` cut to one line, never markup.

A long run has 100,000 reflections: the book picks those the filters keep from its columns
(:meth:`ReflectionBook.select`), and the table takes them a page at a time, the next page as the cursor or
the scroll comes near the end of those it has, so a refresh makes only the rows it shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Checkbox, DataTable, Input, Select, Static

from facilitator.live.pace import local_time
from facilitator.live.reflection_book import ReflectionBook, Selection
from facilitator.live.state import Reflection, SessionState
from facilitator.script.models import Programme
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.keys import KeyBar
from facilitator.tui.live import LiveApp, live_app
from facilitator.tui.modals.choice import YES, Choice
from facilitator.tui.parts import filter_key_acts, location_label, one_line, step_of

RETRACTED_STYLE = "dim strike"
HIDDEN_STYLE = "dim italic"
CELL_PADDING = 1
WIDE = 110
RETRACT_HINT = "It stays in the record and in the log; t shows retracted reflections."
PAGE = 100  # rows the table takes at a time


@dataclass(frozen=True)
class Filters:
    day: date | None = None
    exercise: str | None = None
    location: str | None = None
    search: str = ""
    show_retracted: bool = False

    def select(self, book: ReflectionBook) -> Selection:
        """The reflections of ``book`` these filters keep (as :meth:`keep`), newest first."""
        return book.select(
            day=self.day,
            exercise=self.exercise,
            location=self.location,
            search=self.search,
            left_out=self.show_retracted,
        )

    def keep(self, reflection: Reflection) -> bool:
        """Whether the screen lists ``reflection``: the rule :meth:`select` has the book follow."""
        # One switch for both: what the feed and the room view leave out stays out here until asked for.
        if (reflection.retracted or reflection.hidden) and not self.show_retracted:
            return False
        if self.day is not None and reflection.day != self.day:
            return False
        if self.exercise is not None and reflection.exercise != self.exercise:
            return False
        if self.location is not None and reflection.location != self.location:
            return False
        needle = self.search.strip().casefold()
        if needle:
            haystack = f"{reflection.text}\n{reflection.participant or ''}".casefold()
            return needle in haystack
        return True


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int


def columns_for(width: int) -> list[Column]:
    """The table's columns for a table ``width`` cells wide; the text takes what is left."""
    if width >= WIDE:
        fixed = [
            Column("when", "When", 9),
            Column("exercise", "Exercise", 16),
            Column("step", "Step", 16),
            Column("who", "Participant", 14),
            Column("location", "Loc.", 7),
            Column("consent", "✓", 1),
        ]
    else:
        fixed = [
            Column("when", "When", 9),
            Column("step", "Step", 12),
            Column("who", "Participant", 11),
            Column("location", "Loc.", 7),
            Column("consent", "✓", 1),
        ]
    used = sum(c.width + 2 * CELL_PADDING for c in fixed) + 2 * CELL_PADDING + 2  # +2: the scrollbar
    return [*fixed, Column("text", "Reflection", max(width - used, 12))]


def exercise_choices(programme: Programme) -> list[tuple[str, str]]:
    """Every exercise on the agenda, in the order the days run them."""
    seen: dict[str, str] = {}
    for day in programme.workshop.days:
        for exercise_id in day.agenda:
            if exercise_id not in seen:
                seen[exercise_id] = programme.exercise_by_id[exercise_id].title
    return list(seen.items())


class ReflectionsScreen(Screen[None]):
    """The run's reflections with filters by day, exercise, location and text; follows the log live."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings.REFLECTIONS)

    def __init__(self, edit_form: Callable[[Reflection], ModalScreen[str | None]]) -> None:
        """``edit_form(reflection)``: the form that edits a reflection (the app passes the reflection form)."""
        super().__init__()
        self.edit_form = edit_form
        self.filters = Filters()
        self._programme: Programme | None = None
        self._reflections: Mapping[str, Reflection] | None = None
        self._width = 0
        self._selection: Selection = ReflectionBook().select()
        self._shown: list[Reflection] = []  # the first of the selection, in the table
        self._filling = False

    @property
    def lead_app(self) -> LiveApp:
        return live_app(self)

    def _filter_options(self, programme: Programme | None) -> dict[str, list[tuple[Text, str]]]:
        """The choices of each filter, from the script as it is now."""
        if programme is None:
            return {"filter-day": [], "filter-exercise": [], "filter-location": []}
        workshop = programme.workshop
        return {
            "filter-day": [(Text(f"{d.date:%a %d %b}"), d.date.isoformat()) for d in workshop.days],
            "filter-exercise": [(Text(printable(title)), key) for key, title in exercise_choices(programme)],
            "filter-location": [(location_label(loc), loc.id) for loc in workshop.locations],
        }

    def compose(self) -> ComposeResult:
        self._programme = self.lead_app.state.programme
        options = self._filter_options(self._programme)
        with Horizontal(id="reflections-top"):
            yield Static(id="reflections-status")
            yield Checkbox("Show retracted, hidden", id="show-retracted", compact=True)
        with Horizontal(id="reflections-filters"):
            yield Select[str](options["filter-day"], prompt="All days", id="filter-day")
            yield Select[str](options["filter-exercise"], prompt="All exercises", id="filter-exercise")
            yield Select[str](options["filter-location"], prompt="All locations", id="filter-location")
            yield Input(placeholder="search text, name", id="filter-search")
        table: DataTable[Text] = DataTable(id="reflections-table", cursor_type="row", cell_padding=CELL_PADDING)
        yield table
        with VerticalScroll(id="reflection-detail"):
            yield Static(id="reflection-detail-text")
        yield KeyBar(self._keys(), id="reflections-keys")

    def _keys(self) -> list[tuple[str, Binding]]:
        own = [("screen", b) for b in bindings.REFLECTIONS if b.show]
        log = [("app", b) for b in bindings.MAIN if b.id == "reflect"]
        return [*own, *log]

    def on_mount(self) -> None:
        self.watch(self.app, "state", self._state_changed)
        table = self.query_one("#reflections-table", DataTable)
        self.watch(table, "scroll_y", self._scrolled, init=False)
        table.focus()

    # -- filling the table ---------------------------------------------------------------------------

    def _state_changed(self, state: SessionState) -> None:
        if state.reflections is self._reflections and state.programme is self._programme:
            return  # the timer or the step moved: nothing this screen shows
        self._reflections = state.reflections
        if state.programme is not self._programme:  # the script was reloaded
            self._programme = state.programme
            for select_id, options in self._filter_options(state.programme).items():
                select: Select[str] = self.query_one(f"#{select_id}", Select)
                value = select.value
                select.set_options(options)
                if value in {v for _, v in options}:
                    select.value = value
        self.refresh_table()

    def on_resize(self) -> None:
        self.call_after_refresh(self.refresh_table)  # once the table has its new width

    def _highlighted_id(self) -> str | None:
        table: DataTable[Text] = self.query_one("#reflections-table", DataTable)
        if not table.row_count:
            return None
        index = min(table.cursor_row, table.row_count - 1)
        return self._shown[index].id if 0 <= index < len(self._shown) else None

    def highlighted(self) -> Reflection | None:
        """The reflection under the cursor, as the state has it now."""
        reflection_id = self._highlighted_id()
        return self.lead_app.state.reflections.get(reflection_id) if reflection_id else None

    def refresh_table(self) -> None:
        """Rebuild the rows from the state and the filters, keeping the cursor on the same reflection."""
        self._filling = True  # clearing the table scrolls it home: not a scroll that wants more rows
        try:
            self._refill()
        finally:
            self._filling = False

    def _refill(self) -> None:
        state = self.lead_app.state
        table: DataTable[Text] = self.query_one("#reflections-table", DataTable)
        keep_id = self._highlighted_id()
        keep_row = table.cursor_row
        width = table.size.width or self.app.size.width
        if width != self._width:
            self._width = width
            table.clear(columns=True)
            for column in columns_for(width):
                table.add_column(Text(column.label, style="bold"), width=column.width, key=column.key)
        else:
            table.clear()
        shown = self.filters.select(state.reflections)
        self._selection, self._shown = shown, []
        if shown:
            place = shown.place(keep_id) if keep_id else None
            row = min(max(keep_row if place is None else place, 0), len(shown) - 1)
            self._show_more(state, max(PAGE, row + PAGE))
            table.move_cursor(row=row, animate=False)
        self._show_status(state, shown)
        self._show_detail()

    def _show_more(self, state: SessionState, upto: int) -> None:
        """Add to the table the rows of the selection it does not have yet, up to ``upto``."""
        table: DataTable[Text] = self.query_one("#reflections-table", DataTable)
        widths = {str(c.key.value): c.width for c in table.columns.values()}
        more = self._selection[len(self._shown) : upto]
        for reflection in more:
            cells = self._cells(state, reflection)
            style = RETRACTED_STYLE if reflection.retracted else HIDDEN_STYLE if reflection.hidden else ""
            table.add_row(
                *(one_line(cells[key], width, style) for key, width in widths.items()),
                key=reflection.id,
                height=1,
            )
        self._shown += more

    def _near(self, row: int) -> None:
        """Row ``row`` is in view: take the next page if the table's rows end less than half a page below."""
        if not self._filling and len(self._shown) < len(self._selection) and row + PAGE // 2 >= len(self._shown):
            self._show_more(self.lead_app.state, len(self._shown) + PAGE)

    def _scrolled(self, scroll_y: float) -> None:
        self._near(int(scroll_y) + self.query_one("#reflections-table", DataTable).size.height)

    def _cells(self, state: SessionState, reflection: Reflection) -> dict[str, str]:
        programme = state.programme
        tz = programme.workshop.timezone if programme else "UTC"
        exercise = programme.exercise_by_id.get(reflection.exercise) if programme and reflection.exercise else None
        step = step_of(programme, reflection.exercise, reflection.step)
        return {
            "when": f"{local_time(reflection.logged_at, tz):%a %H:%M}",
            "exercise": exercise.title if exercise else reflection.exercise or "–",
            "step": step.title if step else reflection.step or "–",
            "who": reflection.participant or "anonymous",
            "location": (reflection.location or "–").upper(),
            "consent": "✓" if reflection.consent else "",
            "text": reflection.text,
        }

    def _show_status(self, state: SessionState, shown: Selection) -> None:
        total, retracted, hidden = state.reflections.counts()
        text = Text()
        text.append("Reflections", style="bold")
        text.append(f"  {len(shown)} shown of {total}")
        left_out = [f"{retracted} retracted"] * bool(retracted) + [f"{hidden} hidden"] * bool(hidden)
        if left_out:
            how = "shown dimmed" if self.filters.show_retracted else "t shows them"
            text.append(f" · {', '.join(left_out)} ({how})", style="dim")
        self.query_one("#reflections-status", Static).update(text)

    def _show_detail(self) -> None:
        """The highlighted reflection in full, wrapped, with where and when it was logged."""
        detail = self.query_one("#reflection-detail-text", Static)
        reflection = self.highlighted()
        if reflection is None:
            detail.update(Text("No reflections match. Press r to log one.", style="dim italic"))
            return
        state = self.lead_app.state
        cells = self._cells(state, reflection)
        tz = state.programme.workshop.timezone if state.programme else "UTC"
        text = Text(style=RETRACTED_STYLE if reflection.retracted else HIDDEN_STYLE if reflection.hidden else "")
        text.append(printable(reflection.text))
        text.append("\n— ", style="dim")
        text.append(printable(cells["who"]), style="bold")
        if reflection.location:
            text.append(f", {printable(reflection.location.upper())}", style="dim")
        text.append(f" · {printable(cells['step'])} ({printable(cells['exercise'])})", style="dim")
        text.append(f" · logged {local_time(reflection.logged_at, tz):%a %d %b %H:%M}", style="dim")
        text.append(f" by {printable(reflection.logged_by)}", style="dim")
        if reflection.edited_at:
            text.append(f" · edited {local_time(reflection.edited_at, tz):%H:%M}", style="dim")
        text.append(" · may be quoted" if reflection.consent else " · not for quoting", style="dim")
        if reflection.source == "qr":
            text.append(" · from the participant page", style="dim")
        if reflection.retracted:
            text.append(" · RETRACTED", style="bold")
        if reflection.hidden:
            text.append(" · HIDDEN from the feed and the room view (h shows it)", style="bold")
        if reflection.prompt:
            text.append("\nPrompt: ", style="dim bold")
            text.append(printable(reflection.prompt), style="dim")
        detail.update(text)
        self.query_one("#reflection-detail", VerticalScroll).scroll_home(animate=False)

    # -- filters -------------------------------------------------------------------------------------

    def on_select_changed(self, event: Select.Changed) -> None:
        value = event.value if isinstance(event.value, str) else None
        if event.select.id == "filter-day":
            self._set_filters(day=date.fromisoformat(value) if value else None)
        elif event.select.id == "filter-exercise":
            self._set_filters(exercise=value)
        elif event.select.id == "filter-location":
            self._set_filters(location=value)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter-search":
            self._set_filters(search=event.value)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return filter_key_acts(action, self.focused, "filter-search")

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id == "show-retracted":
            self._set_filters(show_retracted=event.value)

    def _set_filters(self, **changes: Any) -> None:
        filters = replace(self.filters, **changes)
        if filters != self.filters:
            self.filters = filters
            self.refresh_table()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._near(event.cursor_row)  # the scroll follows the cursor, but a terminal taller than a page never scrolls
        self._show_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    # -- actions -------------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    # At once, as the attendance filter's keys (Screen.set_focus): the keys typed after them follow the focus.
    def action_search(self) -> None:
        self.set_focus(self.query_one("#filter-search", Input))

    def action_leave_filter(self) -> None:
        self.set_focus(self.query_one("#reflections-table", DataTable))

    def action_toggle_retracted(self) -> None:
        checkbox = self.query_one("#show-retracted", Checkbox)
        checkbox.value = not checkbox.value

    def action_toggle_hidden(self) -> None:
        reflection = self.highlighted()
        if reflection is None:
            return
        self.run_worker(self._hide(reflection.id, not reflection.hidden), group="hide")

    async def _hide(self, reflection_id: str, hidden: bool) -> None:
        app = self.lead_app
        await app.command(lambda s: s.hide_reflection(reflection_id, hidden))
        after = app.state.reflections.get(reflection_id)
        if after is None or after.hidden != hidden:
            return
        if hidden and not self.filters.show_retracted:
            self.notify("Reflection hidden from the feed and the room view: t lists it, h there shows it.", timeout=4)
        else:
            self.notify("Reflection hidden." if hidden else "Reflection shown again.", timeout=3)

    def action_edit(self) -> None:
        reflection = self.highlighted()
        if reflection is None:
            return
        if reflection.retracted:
            self.notify("A retracted reflection cannot be edited.", severity="warning", timeout=4)
            return
        self.app.push_screen(self.edit_form(reflection))

    def action_retract(self) -> None:
        reflection = self.highlighted()
        if reflection is None:
            return
        if reflection.retracted:
            self.notify("This reflection is already retracted.", severity="warning", timeout=4)
            return

        def answered(answer: str | None) -> None:
            if answer == YES:
                self.run_worker(self._retract(reflection.id), group="retract")

        text = f"{one_line(reflection.text, 60).plain}\n\n{RETRACT_HINT}"
        self.app.push_screen(Choice("Retract this reflection?", text, "retract", cancel="keep"), answered)

    async def _retract(self, reflection_id: str) -> None:
        app = self.lead_app
        await app.command(lambda s: s.retract_reflection(reflection_id))
        after = app.state.reflections.get(reflection_id)
        if after is not None and after.retracted:
            self.notify("Reflection retracted: t shows it again.", timeout=4)
