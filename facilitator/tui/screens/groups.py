"""The breakout groups screen (``G``): every group with its number, call and members (name, location, gender; a
mark for those added late, moved or gone), the time left if the groups have a duration, and who is checked in
but in no group.

Everything it shows is the app's :class:`~facilitator.tui.groups_snapshot.GroupsSnapshot`, read on the
database thread and kept current by the live-run client, so it follows groups made or changed by any process.
The driver's keys change them (``m`` moves the highlighted person, ``l`` adds everyone waiting to the smallest
groups, ``e`` ends them after a y/n question, the app's ``B`` makes a new round); anyone else sees the same
screen and is told who drives. Names come from spreadsheets and the door: every line is a plain ``Text``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import ModalScreen, Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from facilitator.live.pace import local_time
from facilitator.live.session import Session
from facilitator.problems import InputError, StoreError
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.breakouts import key_for, sizes_text
from facilitator.tui.groups_snapshot import GroupsSnapshot, Member, time_left
from facilitator.tui.keys import KeyBar
from facilitator.tui.live import LiveApp, live_app
from facilitator.tui.modals.choice import YES, Choice
from facilitator.tui.parts import one_line, step_of
from facilitator.tui.widgets.too_small import TooSmall

# Asks which group to move someone to, and moves them: (participant, name, their group, the groups there are).
MoveFormFactory = Callable[[str, str, int | None, tuple[int, ...]], ModalScreen[int | None]]

MINIMUM_SIZE = (40, 10)
LOCATION_WIDTH = 9
GENDER_WIDTH = 11
MARKS = {"late": ("late", "yellow"), "moved": ("moved", "cyan")}
WAITING = "waiting"  # the option id of the "not in a group" heading


class GroupsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings.GROUPS)

    def __init__(self, move_form: MoveFormFactory) -> None:
        super().__init__()
        self.move_form = move_form
        self._shown: tuple[GroupsSnapshot, int] | None = None  # what the list was built from, and at what width
        self._status: Text | None = None
        self._hint: str | None = None

    @property
    def lead_app(self) -> LiveApp:
        return live_app(self)

    def compose(self) -> ComposeResult:
        yield Static(id="groups-status")
        yield OptionList(id="groups-list")
        yield Static(id="groups-hint", markup=False)
        make = next(b for b in bindings.MAIN if b.id == "make-groups")
        yield KeyBar([*(("screen", b) for b in bindings.GROUPS), ("app", make)], id="groups-keys")
        yield TooSmall(*MINIMUM_SIZE)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.watch(self.app, "groups", lambda _: self.show())
        self.watch(self.app, "state", lambda _: self.show_status(), init=False)  # who drives, the workshop's time
        self.set_interval(1.0, self.show_status)  # the time left

    def on_resize(self) -> None:
        self.show()

    # -- showing -------------------------------------------------------------------------------------

    def show(self) -> None:
        groups = self.lead_app.groups
        width = self.size.width or self.app.size.width
        if self._shown != (groups, width):
            self._shown = (groups, width)
            self._fill(groups, width)
        self.show_status()

    def _fill(self, groups: GroupsSnapshot, width: int) -> None:
        listing = self.query_one(OptionList)
        kept = self.highlighted()
        name_width = max(min(width - LOCATION_WIDTH - GENDER_WIDTH - 18, 40), 10)
        options: list[Option] = []
        for group in groups.groups:
            heading = Text(f"Group {group.number}", style="bold")
            size = len(group.members)
            heading.append(f" · {size} {'person' if size == 1 else 'people'}", style="dim")
            if group.call:
                heading.append(" · ")
                heading.append(printable(group.call))
            options.append(Option(heading, id=f"group-{group.number}", disabled=True))
            options += [Option(_row(m, name_width), id=m.id) for m in group.members]
        if groups.waiting:
            heading = Text("Not in a group", style="bold")
            heading.append(f" · {len(groups.waiting)} checked in now", style="dim")
            options.append(Option(heading, id=WAITING, disabled=True))
            options += [Option(_row(m, name_width), id=m.id) for m in groups.waiting]
        listing.set_options(options)
        ids = [option.id for option in options]
        if kept is not None and kept.id in ids:
            listing.highlighted = ids.index(kept.id)
        else:
            listing.action_first()

    def show_status(self) -> None:
        live = self.lead_app
        groups = live.groups
        status = self._status_text(groups, live.clock.now())
        if status != self._status:
            self._status = status
            self.query_one("#groups-status", Static).update(status)
        hint = self._hint_text(groups)
        if hint != self._hint:
            self._hint = hint
            self.query_one("#groups-hint", Static).update(hint)

    def _status_text(self, groups: GroupsSnapshot, now: datetime) -> Text:
        text = Text("Breakout groups", style="bold")
        state = self.lead_app.state
        if groups.grouping is None or groups.made_at is None or state.programme is None:
            return text.append("  none yet", style="dim")
        tz = state.programme.workshop.timezone
        text.append(f"  {sizes_text([len(g.members) for g in groups.groups])}")
        step = step_of(state.programme, groups.exercise, groups.step)
        made = f" · made {local_time(groups.made_at, tz):%H:%M}"
        text.append(made + (f" at “{printable(step.title)}”" if step is not None else ""), style="dim")
        text.append(f" · mixing {' and '.join(groups.mix)}" if groups.mix else " · mixing nothing", style="dim")
        if groups.ended_at is not None:
            text.append(f" · ended {local_time(groups.ended_at, tz):%H:%M}", style="bold")
        left = groups.left(now)
        if left is not None:
            text.append(f" · {time_left(left)}", style="bold" if left.total_seconds() > 0 else "bold red")
        return text

    def _hint_text(self, groups: GroupsSnapshot) -> str:
        live = self.lead_app
        make = key_for(live, "make-groups")
        refusal = live.refusal("change_groups")
        if refusal is not None:
            return f"Only the driver changes the groups: {refusal}."
        if groups.grouping is None:
            return f"No breakout groups yet: {make} makes them from the people checked in."
        if not groups.meeting:
            return f"These groups have ended: {make} makes a new round (it avoids the pairs of every round before)."
        waiting = f"; l adds the {len(groups.waiting)} in no group to the smallest groups" if groups.waiting else ""
        return f"m moves the highlighted person{waiting}; e ends the groups; {make} makes a new round."

    def highlighted(self) -> Member | None:
        listing = self.query_one(OptionList)
        index = listing.highlighted
        if index is None or not 0 <= index < listing.option_count:
            return None
        pid = listing.get_option_at_index(index).id
        groups = self.lead_app.groups
        everyone = [*(m for g in groups.groups for m in g.members), *groups.waiting]
        return next((m for m in everyone if m.id == pid), None)

    # -- the driver's keys ---------------------------------------------------------------------------

    def _refused(self) -> bool:
        live = self.lead_app
        refusal = live.refusal("change_groups")
        if refusal is None and not live.groups.meeting:
            refusal = "the groups have ended" if live.groups.grouping else "no groups have been made yet"
        if refusal is not None:
            self.app.notify(refusal, severity="warning", markup=False, timeout=4)
        return refusal is not None

    def action_back(self) -> None:
        self.dismiss()

    def action_move(self) -> None:
        if self._refused():
            return
        member = self.highlighted()
        if member is None:
            self.app.notify("Highlight a person first (↑ ↓).", markup=False, timeout=3)
            return
        groups = self.lead_app.groups
        now_in = next((g.number for g in groups.groups if member in g.members), None)
        numbers = tuple(g.number for g in groups.groups)
        self.app.push_screen(self.move_form(member.id, member.name, now_in, numbers))

    def action_add_waiting(self) -> None:
        if self._refused():
            return
        waiting = self.lead_app.groups.waiting
        if not waiting:
            self.app.notify("Everyone checked in is in a group.", markup=False, timeout=3)
            return
        self.run_worker(self._add(waiting), group="groups-add")

    async def _add(self, waiting: tuple[Member, ...]) -> None:
        def add_each(s: Session) -> tuple[list[tuple[str, int]], list[str]]:
            """One add_to_smallest each: a refusal (someone who left meanwhile) does not stop the others."""
            added, refused = [], []
            for member in waiting:
                try:
                    event = s.add_to_smallest(member.id)
                except InputError as exc:
                    if s.groups.meeting is None or not s.driving:  # nothing more can be added
                        raise
                    refused.append(" ".join(exc.lines()))
                    continue
                added.append((member.name, int(event.payload["to"])))
            return added, refused

        try:
            added, refused = await self.lead_app.attempt(add_each)
        except InputError as exc:
            self.app.notify("\n".join(exc.lines()), severity="error", markup=False)
            return
        except StoreError as exc:
            self.lead_app.show_store_error(exc)
            return
        if added:
            where = ", ".join(f"{printable(name)} to group {number}" for name, number in added)
            self.app.notify(f"Added {where}.", markup=False, timeout=6)
        for line in refused:
            self.app.notify(line, severity="warning", markup=False, timeout=6)

    def action_end(self) -> None:
        if self._refused():
            return
        groups = self.lead_app.groups
        text = (
            f"The {sizes_text([len(g.members) for g in groups.groups])} end now: the room is back together, the "
            "phones and the room view stop showing them, and no one can be added or moved. Making groups again "
            "starts a new round."
        )

        def answered(answer: str | None) -> None:
            if answer == YES:
                self.run_worker(self._end(), group="groups-end")

        self.app.push_screen(Choice("End the breakout groups?", text, "end them", cancel="keep them"), answered)

    async def _end(self) -> None:
        try:
            await self.lead_app.attempt(Session.end_groups)
        except InputError as exc:
            self.app.notify("\n".join(exc.lines()), severity="error", markup=False)
            return
        except StoreError as exc:
            self.lead_app.show_store_error(exc)
            return
        self.app.notify("Groups ended: the room is back together.", markup=False, timeout=4)


def _row(member: Member, name_width: int) -> Text:
    """One person: name, location, gender, and how they joined (late, moved) or that they are gone."""
    row = Text("  ")
    name = one_line(member.name, name_width, "" if member.here else "dim")
    row.append_text(name)
    row.append(" " * (name_width - name.cell_len + 1))
    location = one_line(member.location.upper(), LOCATION_WIDTH, "bold")
    row.append_text(location)
    row.append(" " * (LOCATION_WIDTH - location.cell_len + 1))
    gender = one_line(member.gender, GENDER_WIDTH, "dim")
    row.append_text(gender)
    row.append(" " * (GENDER_WIDTH - gender.cell_len + 1))
    if not member.here:
        row.append("gone", style="dim italic")
    elif member.joined in MARKS:
        mark, style = MARKS[member.joined]
        row.append(mark, style=style)
    return row
