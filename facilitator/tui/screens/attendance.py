"""The attendance screen (``a``): the roster by location, filtered as you type, checked in with one key.

Everything it shows comes from the app's :class:`~facilitator.tui.snapshot.AttendanceSnapshot`, computed on the
database thread; the event loop only filters a list in memory and draws the visible lines (a
:class:`~facilitator.tui.widgets.roster_table.RosterTable`), so it stays instant with thousands of people. Names
and the rest come from spreadsheets and the door: every cell is a plain ``Text`` passed through
``printable``, never markup.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.geometry import Size
from textual.reactive import Reactive
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from facilitator.attendance.intervals import LINK_STATUSES
from facilitator.live.pace import local_time
from facilitator.live.session import Session
from facilitator.script.models import Location
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.keys import KeyBar
from facilitator.tui.live import LiveApp, live_app
from facilitator.tui.modals.choice import YES, Choice
from facilitator.tui.parts import filter_key_acts, same_text
from facilitator.tui.widgets.roster_table import RosterTable
from facilitator.tui.widgets.too_small import TooSmall

if TYPE_CHECKING:
    from facilitator.tui.snapshot import AttendanceSnapshot, PersonRow

    # The form that adds a walk-in (editing None, at a location) or edits someone: dismissed with their id once saved.
    ParticipantFormFactory = Callable[[PersonRow | None, str | None], ModalScreen[str | None]]

WIDE = 110
# Below this the table has no room for a name beside the check-in mark and the location.
MINIMUM_SIZE = (36, 8)
SPARK = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 10
LINK_SYMBOLS = {"not-joined": ("○", "dim"), "connected": ("●", "bold green"), "dropped": ("✕", "bold red")}
LINK_NAMES = {"not-joined": "not joined", "connected": "connected", "dropped": "dropped"}
STATUS_STYLES = {"present": "green", "late": "yellow", "excused": "cyan", "absent": "dim", "": "dim"}
# The link cycles with k: a dropped link comes back as connected (never "not joined" again).
NEXT_LINK = {"not-joined": "connected", "connected": "dropped", "dropped": "connected"}
RECENT_FILTERS = 32  # the rows of this many filters are kept, for backspace to go back to them at once
assert set(NEXT_LINK) == set(LINK_STATUSES)


def cut(text: str | None, width: int, style: str = "") -> Text:
    """``text`` as one literal line of at most ``width`` cells (an ellipsis when cut)."""
    flat = " ".join(printable((text or "")[: max(width, 1) * 4]).split())
    line = Text(flat, style=style, no_wrap=True, overflow="ellipsis", end="")
    line.truncate(max(width, 1), overflow="ellipsis")
    return line


def sparkline(times: tuple[datetime, ...], since: datetime | None, now: datetime, width: int = SPARK_WIDTH) -> str:
    """Cumulative arrivals from the first arrival (not before ``since``) to ``now``, as ``width`` block characters."""
    if not times:
        return " " * width
    start = max(times[0], since) if since is not None else times[0]
    end = max(now, times[-1])
    span = (end - start).total_seconds() or 1.0
    buckets = [0] * width
    for moment in times:
        index = min(max(int((moment - start).total_seconds() / span * width), 0), width - 1)
        buckets[index] += 1
    total = len(times)
    out = []
    running = 0
    for count in buckets:
        running += count
        out.append(SPARK[min(round(running / total * (len(SPARK) - 1)), len(SPARK) - 1)] if running else " ")
    return "".join(out)


def certificate_cell(row: PersonRow) -> Text:
    """``62%`` of the planned minutes attended, ``✓`` once that earns the certificate; ``…`` until known."""
    if row.attended_share is None:
        return Text("   … ", style="dim", end="")
    cell = Text(f"{round(row.attended_share * 100):>3}%", style="" if row.attended_share else "dim", end="")
    cell.append("✓" if row.eligible else " ", style="bold green")
    return cell


def reading_key(name: str) -> tuple[str, str]:
    """Sorts names as people read them, whatever the locale: accents folded, case ignored ("Élodie" before
    "Tomasz", not after "Zainab" as code points would), the exact spelling only breaking ties."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return folded.casefold(), name.casefold()


def haystack(row: PersonRow) -> str:
    return f"{row.name}\n{row.email}\n{row.location}\n{row.role or ''}".casefold()


class SearchBox(Input):
    """The filter box. Input declares its virtual size (the value's width, to scroll a long value) a layout
    change, and it changes with every keystroke: a layout pass of the whole screen per key (and, after it, a
    repaint of the table's scrollbar a frame later) for a box whose size never changes. Here it repaints."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0))


class AttendanceScreen(Screen[None]):
    """The roster grouped by location, with today's status, check-ins, marks, walk-ins and links."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings.ATTENDANCE)
    # Cramped: the counts by location give their column to the names (the status line keeps the total).
    HORIZONTAL_BREAKPOINTS = [(0, "-cramped"), (64, "-narrow"), (WIDE, "-wide")]  # noqa: RUF012 (Textual's are not ClassVar)

    def __init__(self, participant_form: ParticipantFormFactory) -> None:
        """``participant_form(editing, location)``: the form that adds a walk-in (editing None, at ``location``)
        or edits someone on the roster, dismissed with their id once saved (the app passes the participant form).
        """
        super().__init__()
        self.participant_form = participant_form
        self._snapshot: AttendanceSnapshot | None = None
        self._terms: list[str] = []
        self._order: list[str] = []  # every participant id, grouped by location, by name
        self._hay: dict[str, str] = {}
        self._cells: dict[str, tuple[Text, ...]] = {}
        self._shown: list[str] = []
        self._width = 0
        self._busy = False
        self._counts_key: tuple[object, ...] | None = None
        self._status: Text | None = None
        # The rows of the last few filters (by their terms) on this snapshot, most recent last.
        self._recent: dict[tuple[str, ...], list[str]] = {}

    @property
    def lead_app(self) -> LiveApp:
        return live_app(self)

    # -- building ------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="attendance-top"):
            yield Static(id="attendance-status")
            yield SearchBox(placeholder="filter: name, e-mail, location, role", id="attendance-search")
        with Horizontal(id="attendance-body"):
            yield RosterTable(self._cells_by_id, id="attendance-table")
            yield Static(id="attendance-counts")
        yield KeyBar([("screen", b) for b in bindings.ATTENDANCE if b.show], id="attendance-keys")
        yield TooSmall(*MINIMUM_SIZE)

    def on_mount(self) -> None:
        self.watch(self.app, "attendance", self._snapshot_changed, init=False)
        # The filter runs inside the keystroke's own message, as the box's value changes (a watcher is called
        # at once), not on the Input.Changed message that follows: one frame then carries both the key's echo
        # and the rows. After a frame, Textual draws the next one only at its next tick (60 a second), so the
        # rows a frame later waited up to a frame's time more, and the echo alone cost a frame's work.
        search = self.query_one("#attendance-search", Input)
        self.watch(search, "value", self._search_changed, init=False)
        self.set_interval(30.0, lambda: self._show_counts(force=True))  # local times and the sparklines' "now" move on
        self.table.focus()
        self.call_after_refresh(self._snapshot_changed, self.lead_app.attendance)

    def _columns(self, width: int) -> list[tuple[str, str, int]]:
        if width >= 90:
            fixed = [
                ("in", "In", 2),
                ("location", "Loc.", 8),
                ("status", "Today", 7),
                ("certificate", "Cert.", 5),
                ("role", "Role", 20),
            ]
            rest = width - sum(w + 2 for _, _, w in fixed) - 4
            name = max(rest * 3 // 5, 12)
            return [*fixed[:2], ("name", "Name", name), ("email", "E-mail", max(rest - name - 2, 10)), *fixed[2:]]
        fixed = [("in", "In", 2), ("location", "Loc.", 7), ("status", "Today", 7)]
        if width - sum(w + 2 for _, _, w in fixed) - 4 >= 12 + 2 + 6 + 2 + 5 + 2:  # the certificate only if it fits
            fixed.append(("certificate", "Cert.", 5))
        rest = width - sum(w + 2 for _, _, w in fixed) - 4
        name = max(rest * 3 // 5, 12)
        if rest - name - 2 < 6:  # no room for a role worth reading: the name takes it all
            return [*fixed[:2], ("name", "Name", max(rest, 12)), *fixed[2:]]
        return [*fixed[:2], ("name", "Name", name), *fixed[2:], ("role", "Role", rest - name - 2)]

    @property
    def table(self) -> RosterTable:
        return self.query_one("#attendance-table", RosterTable)

    def _row_cells(self, row: PersonRow) -> tuple[Text, ...]:
        out = []
        for key, _, width in self.table.columns:
            if key == "in":
                out.append(Text("●", style="bold green") if row.present else Text("·", style="dim"))
            elif key == "status":
                out.append(cut(row.status or "–", width, STATUS_STYLES.get(row.status, "")))
            elif key == "certificate":
                out.append(certificate_cell(row))
            elif key == "location":
                out.append(cut(row.location.upper(), width, "bold"))
            else:
                out.append(cut(getattr(row, key), width))
        return tuple(out)

    # -- following the snapshot ----------------------------------------------------------------------

    def _snapshot_changed(self, snapshot: AttendanceSnapshot | None) -> None:
        old, self._snapshot = self._snapshot, snapshot
        self._recent.clear()  # the rows of earlier filters were kept from the snapshot before
        if snapshot is None:
            return
        table = self.table
        width = table.size.width or max(self.app.size.width - 32, 40)
        if width != self._width:
            self._width = width
            table.set_columns(self._columns(width))
            old = None
            self._cells = {}
        before = old.people if old is not None else {}
        changed = [pid for pid, row in snapshot.people.items() if before.get(pid) != row]
        for pid in changed:
            self._hay[pid] = haystack(snapshot.people[pid])
            self._cells.pop(pid, None)
            table.update_row(pid)  # drops its drawn line; repaints it if it shows
        reorder = old is None or snapshot.people.keys() != before.keys()
        if not reorder:
            reorder = any(
                (before[pid].name, before[pid].location) != (snapshot.people[pid].name, snapshot.people[pid].location)
                for pid in changed
            )
        if reorder:
            rank = {loc.id: n for n, loc in enumerate(self._locations())}
            people = snapshot.people
            self._order = sorted(
                people, key=lambda pid: (rank.get(people[pid].location, len(rank)), reading_key(people[pid].name))
            )
            for pid in [p for p in self._hay if p not in people]:
                del self._hay[pid]
            self._refilter()
        else:
            shown = self._filtered()
            if shown != self._shown:
                self._refilter(shown)
        self._show_counts()

    def _filtered(self, within: list[str] | None = None) -> list[str]:
        """The ids the filter keeps, in order: a plain loop over 5,000 strings is about a millisecond per term.

        ``within``: the ids shown for terms that the new ones only narrow (in roster order), to look through
        those alone; by default everyone.
        """
        hay = self._hay
        kept = self._order if within is None else within
        if not self._terms:
            return list(kept)
        # One pass per term, the longest (the most telling) first: each pass looks only at what the one
        # before kept.
        for term in sorted(self._terms, key=len, reverse=True):
            kept = [pid for pid in kept if term in hay[pid]]
        return kept

    def _locations(self) -> list[Location]:
        programme = self.lead_app.state.programme
        return list(programme.workshop.locations) if programme else []

    def _cells_by_id(self, pid: str) -> tuple[Text, ...]:
        assert self._snapshot is not None
        return self._cells_of(pid, self._snapshot.people)

    def _cells_of(self, pid: str, people: Mapping[str, PersonRow]) -> tuple[Text, ...]:
        cells = self._cells.get(pid)
        if cells is None:
            cells = self._cells[pid] = self._row_cells(people[pid])
        return cells

    def _refilter(self, shown: list[str] | None = None) -> None:
        """Show the rows the filter keeps, keeping the cursor on the same person (only visible lines are drawn)."""
        if self._snapshot is None:
            return
        if shown is None:
            shown = self._filtered()
        self._shown = shown
        recent = self._recent
        recent.pop(tuple(self._terms), None)
        recent[tuple(self._terms)] = shown
        if len(recent) > RECENT_FILTERS:
            del recent[next(iter(recent))]  # the oldest
        self.table.set_rows(shown)
        self._show_status()

    def _show_status(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        present = sum(c.present for c in snapshot.counts.values())
        expected = sum(c.expected for c in snapshot.counts.values())
        text = Text("Attendance", style="bold")
        if snapshot.day is not None:
            text.append(f" {snapshot.day:%a %d %b}")
        text.append(f"  {present}/{expected} present")
        total = len(snapshot.people)
        if len(self._shown) != total:
            text.append(f" · {len(self._shown)} of {total} shown", style="dim")
        if not same_text(text, self._status):  # shown twice for a keystroke (the rows, then the counts): drawn once
            self._status = text
            self.query_one("#attendance-status", Static).update(text, layout=False)  # its size is fixed

    def _show_counts(self, force: bool = False) -> None:
        snapshot = self._snapshot
        programme = self.lead_app.state.programme
        if snapshot is None or programme is None:
            return
        now = self.lead_app.clock.now()
        current = self.highlighted()
        panel = self.query_one("#attendance-counts", Static)
        with_time = self.app.size.width >= WIDE
        used = 2 + 8 + (6 if with_time else 0) + 8
        spark_width = max(min((panel.content_size.width or 30) - used, 16), 4)
        # The panel depends on the highlighted person only through their location: moving the cursor or
        # filtering within one location redraws nothing here (the sparklines cost ms with thousands of people).
        key = (id(snapshot), id(programme), current.location if current else None, with_time, spark_width)
        if not force and key == self._counts_key:
            self._show_status()
            return
        self._counts_key = key
        text = Text()
        for index, location in enumerate(programme.workshop.locations):
            if index:
                text.append("\n")
            count = snapshot.counts.get(location.id)
            symbol, style = LINK_SYMBOLS.get(snapshot.links.get(location.id, "not-joined"), LINK_SYMBOLS["not-joined"])
            here = current is not None and current.location == location.id
            text.append(f"{symbol} ", style=style)
            text.append(f"{printable(location.id.upper()):<8}", style="bold reverse" if here else "bold")
            if with_time:
                text.append(f"{local_time(now, location.timezone):%H:%M} ", style="dim")
            if count is not None:
                full = count.expected > 0 and count.present >= count.expected
                text.append(f"{count.present:>3}/{count.expected:<3} ", style="bold green" if full else "")
            times = snapshot.arrivals.get(location.id, ())
            text.append(sparkline(times, snapshot.since, now, spark_width), style="cyan")
        if current is not None:
            link = snapshot.links.get(current.location, "not-joined")
            text.append("\n\nLink of ", style="dim")
            text.append(printable(current.location.upper()), style="dim bold")
            text.append(f": {LINK_NAMES.get(link, link)} (k)", style="dim")
        panel.update(text, layout=False)  # its size is fixed: no layout of the whole screen per keystroke
        self._show_status()

    def on_resize(self) -> None:
        self.call_after_refresh(self._resized)

    def _resized(self) -> None:
        self._width = 0  # new columns for the new width
        snapshot, self._snapshot = self._snapshot, None
        self._snapshot_changed(snapshot)

    # -- reading the cursor --------------------------------------------------------------------------

    def highlighted_id(self) -> str | None:
        return self.table.highlighted_id

    def highlighted(self) -> PersonRow | None:
        pid = self.highlighted_id()
        snapshot = self._snapshot
        return snapshot.people.get(pid) if snapshot is not None and pid is not None else None

    def on_roster_table_row_highlighted(self, event: RosterTable.RowHighlighted) -> None:
        if not isinstance(event, RosterTable.RowSelected):
            self._show_counts()

    def on_roster_table_row_selected(self, event: RosterTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    # -- the filter ----------------------------------------------------------------------------------

    def set_filter(self, value: str) -> None:
        terms = value.casefold().split()
        if terms != self._terms:
            # Backspace goes back to a filter just shown: its rows are kept (for the same snapshot). A keystroke
            # that only narrows the filter (every old term is within a new one) keeps a subset of the rows
            # shown: look through those, not the whole roster.
            shown = self._recent.get(tuple(terms))
            narrows = self._snapshot is not None and all(any(old in new for new in terms) for old in self._terms)
            self._terms = terms
            if shown is None and narrows:
                shown = self._filtered(within=self._shown)
            self._refilter(shown)
            self._show_counts()

    def _search_changed(self, value: str) -> None:
        self.set_filter(value)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "attendance-search":
            event.stop()
            self.set_filter(event.value)  # filtered already, as the value changed (on_mount): a no-op

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return filter_key_acts(action, self.focused, "attendance-search")

    # -- actions -------------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    # The filter's keys move the focus at once (Screen.set_focus), not at the next turn of the loop (Widget.focus):
    # the keys after them, already read, are handed to whatever has the focus when each is taken.
    def action_search(self) -> None:
        self.set_focus(self.query_one("#attendance-search", Input))

    def action_leave_filter(self) -> None:
        self.set_focus(self.table)

    def _run(self, work: object) -> None:
        self.run_worker(work, group="attendance")  # type: ignore[arg-type]

    def action_toggle_present(self) -> None:
        pid = self.highlighted_id()
        if pid is None:
            return

        def toggle(s: Session) -> object:
            return s.check_out(pid) if s.attendance.is_in(pid, "facilitator") else s.check_in(pid)

        self._run(self.lead_app.command(toggle))

    def action_check_out(self) -> None:
        pid = self.highlighted_id()
        if pid is not None:
            self._run(self.lead_app.command(lambda s: s.check_out(pid)))

    def action_mark(self, status: str) -> None:
        pid = self.highlighted_id()
        day = self._snapshot.day if self._snapshot else None
        if pid is None or day is None:
            return
        self._run(self.lead_app.command(lambda s: s.mark(pid, day, status or None)))

    def action_cycle_link(self) -> None:
        person = self.highlighted()
        if person is None:
            return
        location = person.location

        def cycle(s: Session) -> object:
            return s.set_link(location, NEXT_LINK.get(s.attendance.link_status(location), "connected"))

        self._run(self.lead_app.command(cycle))

    def action_everyone(self) -> None:
        person = self.highlighted()
        snapshot = self._snapshot
        if person is None or snapshot is None:
            return
        location = person.location
        missing = sum(1 for p in snapshot.people.values() if p.location == location and not p.present)
        if not missing:
            self.notify(f"Everyone at {printable(location.upper())} is checked in already.", markup=False, timeout=4)
            return
        programme = self.lead_app.state.programme
        names = {loc.id: loc.name for loc in programme.workshop.locations} if programme else {}

        def answered(answer: str | None) -> None:
            if answer == YES:
                self._run(self.lead_app.command(lambda s: s.everyone_present(location)))

        people = "person is" if missing == 1 else "people are"
        question = Choice(
            f"Everyone at {names.get(location, location)} is present?",
            f"{missing} {people} not checked in there yet; each gets a check-in now.",
            "check them all in",
        )
        self.app.push_screen(question, answered)

    def action_walk_in(self) -> None:
        person = self.highlighted()
        self.app.push_screen(self.participant_form(None, person.location if person else None), self._saved)

    def action_edit(self) -> None:
        person = self.highlighted()
        if person is not None:
            self.app.push_screen(self.participant_form(person, None), self._saved)

    def _saved(self, pid: str | None) -> None:
        """After the form: put the cursor on the person added or edited, if the filter shows them."""
        if pid is None:
            return
        self.table.move_to(pid)
