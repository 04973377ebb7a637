"""Breakout groups in the terminals (issue 17): the driver makes them with a key (a form; a refusal shown in it,
nothing recorded) or by entering a step that asks for them; moves a person, adds late arrivals, ends them after
a y/n question; co-facilitators see the same groups, read-only, following the lead's changes; the room view
shows numbers, calls and first names only. Snapshots of the groups screen and the room view with groups."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, OptionList, Static

from facilitator.live.session import Session
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.tui.modals.choice import Choice
from facilitator.tui.modals.make_groups import MakeGroupsForm
from facilitator.tui.modals.move_form import MoveForm
from facilitator.tui.screens.groups import GroupsScreen
from facilitator.tui.screens.room import RoomApp, RoomGroups
from facilitator.tui.widgets.groups_line import GroupsLine
from tests.test_groups import programme_data
from tests.test_tui_team import App, messages, ready, settle, until
from tests.tools import arrive_together, run_with_people, with_session

FAST = 0.02
SIZES = [(80, 24), (120, 40)]
PEOPLE = [  # id, name, location, gender; all but Kim checked in
    ("ada", "Ada Lovelace", "hq", "F"),
    ("ben", "Ben Okafor", "hq", "M"),
    ("cai", "Cai Deng", "hq", "female"),
    ("dan", "Dan Wani", "hq", "male"),
    ("eve", "Grace Akello", "juba", "F"),
    ("fay", "Grace Lado", "juba", "F"),
    ("gus", "Gus Nyok", "juba", "M"),
    ("hal", "Hal Garang", "goma", "M"),
    ("ivy", "Ivy Mbuyi", "goma", "F"),
    ("jon", "Jon Kabila", "goma", None),
    ("kim", "Kim Ajak", "juba", "F"),
]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # 2022-08-22 12:00 UTC: 14:00 in Juba, the run's first day


@pytest.fixture
def run(tmp_path: Path, clock: FakeClock) -> Iterator[Path]:
    """The tiny workshop whose second step (warm-up/pairs) asks for groups of 3 meeting 20 minutes, each with a
    call; ten people checked in, Kim not yet."""
    yield run_with_people(tmp_path / "run.db", clock, programme_data(), PEOPLE)


def lead_app(db: Path, clock: FakeClock) -> App:
    return App(db_path=db, actor="lead", clock=clock, presence_clock=clock, poll_seconds=FAST)


def co_app(db: Path, clock: FakeClock) -> App:
    return App(db_path=db, actor="amina", clock=clock, presence_clock=clock, poll_seconds=FAST, role="co")


def recorded(db: Path, kind: str) -> list[ev.Event]:
    with Store.open(db) as store:
        return [e for e in store.events() if e.kind == kind]


def listed(app: App) -> list[str]:
    """The groups screen's list, line by line, as shown."""
    listing = app.screen.query_one(OptionList)
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


def shown(app: App, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def type_into(pilot: Pilot[None], field: Input, text: str) -> None:
    field.focus()
    await pilot.pause()
    field.value = ""
    await pilot.press(*text)


# -- making -------------------------------------------------------------------------------------------------------


async def test_the_driver_makes_groups_with_the_form_a_refusal_stays_in_it(run: Path, clock: FakeClock) -> None:
    app = lead_app(run, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("n")  # the introduction: no groups asked, none proposed but the default
        await settle(pilot)
        await pilot.press("B")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, MakeGroupsForm)
        assert form.query_one("#groups-size", Input).value == "4"
        assert all(box.value for box in form.query(Checkbox))  # locations and genders mixed by default
        await type_into(pilot, form.query_one("#groups-size", Input), "20")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form  # refused: the form stays, with the session's one line
        error = shown(app, "#groups-form-error")
        assert error == "size: groups of 20 need at least 20 people; 10 people are checked in"
        assert form.query_one("#groups-size", Input).has_class("-invalid")
        assert recorded(run, ev.GROUPS_MADE) == []
        await type_into(pilot, form.query_one("#groups-count", Input), "3")  # a count clears the size
        assert form.query_one("#groups-size", Input).value == ""
        await type_into(pilot, form.query_one("#groups-call", Input), "Room {n}")
        await type_into(pilot, form.query_one("#groups-duration", Input), "15m")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)  # made: the groups screen opens on them
        [made] = recorded(run, ev.GROUPS_MADE)
        p = made.payload
        assert (p["size"], p["count"], p["mix"], p["seconds"]) == (None, 3, ["location", "gender"], 900)
        assert [g["call"] for g in p["groups"]] == ["Room 1", "Room 2", "Room 3"]
        assert "Groups made: 3 groups of 3–4." in messages(app)
        lines = listed(app)
        assert [line for line in lines if line.startswith("Group")] == [
            "Group 1 · 4 people · Room 1",
            "Group 2 · 3 people · Room 2",
            "Group 3 · 3 people · Room 3",
        ]
        assert any(line.strip().startswith("Ada Lovelace") and "HQ" in line and "female" in line for line in lines)
        assert "15 min left" in shown(app, "#groups-status")
        await pilot.press("B")  # a new round, from the groups screen: the form proposes what the step does
        await settle(pilot)
        assert isinstance(app.screen, MakeGroupsForm)
        assert app.screen.query_one("#groups-size", Input).value == "4"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        assert sum(isinstance(screen, GroupsScreen) for screen in app.screen_stack) == 1  # the same screen
        assert len(recorded(run, ev.GROUPS_MADE)) == 2
        await until(pilot, lambda: listed(app)[0].startswith("Group 1 · 5 people"))  # two of 5 from ten people
        await pilot.press("escape")
        await settle(pilot)
        assert "Groups: 2 of 5 · G shows them" in str(app.screen.query_one(GroupsLine).render())


async def test_entering_a_step_that_asks_for_groups_makes_them(run: Path, clock: FakeClock) -> None:
    app = lead_app(run, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        line = app.screen.query_one(GroupsLine)
        assert not line.display  # no groups meet: no line
        await pilot.press("n", "n")  # warm-up/pairs asks for groups of 3, 20 minutes, with calls
        await settle(pilot)
        await until(pilot, lambda: app.groups.meeting)
        [made] = recorded(run, ev.GROUPS_MADE)
        assert (made.payload["step"], made.payload["size"], made.payload["seconds"]) == ("pairs", 3, 1200)
        assert "Groups made: 3 groups of 3–4 (G to see them)" in messages(app)
        assert line.display
        assert str(line.render()).startswith("Groups: 3 of 3–4 · 20 min left")
        assert "groups of 3" in str(app.screen.query_one("StepView").render())  # the step's hint stays
        await pilot.press("n")  # the groups still meet at the next step: the driver is told
        await settle(pilot)
        assert any("still meet: G shows them, and ends them there" in m for m in messages(app))
        await pilot.press("p", "y")  # back to the pairs: its groups are kept, none made again
        await settle(pilot)
        assert len(recorded(run, ev.GROUPS_MADE)) == 1
        assert any(m.startswith("This step's groups were made already") for m in messages(app))


async def test_a_step_with_fewer_than_two_present_makes_none_and_says_why(run: Path, clock: FakeClock) -> None:
    def leave(session: Session) -> None:
        for pid, *_ in PEOPLE[1:]:
            if pid != "kim":
                session.check_out(pid)

    with_session(run, clock, leave)
    app = lead_app(run, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("n", "n")
        await settle(pilot)
        assert recorded(run, ev.GROUPS_MADE) == []
        assert any(
            "none were made: groups: 1 person is checked in; groups need at least 2 people. B makes them" in m
            for m in messages(app)
        )


# -- changing them -------------------------------------------------------------------------------------------------


def make_groups(db: Path, clock: FakeClock, seed: int = 3) -> None:
    """The lead's other terminal enters the pairs step and makes its groups (seeded: the same groups each run)."""

    def make(session: Session) -> None:
        session.next_step()
        session.next_step()
        session.make_groups(size=3, call_pattern="https://meet.example.org/wps-room-{n}", duration=None, seed=seed)

    with_session(db, clock, make)


async def highlight(pilot: Pilot[None], app: App, pid: str) -> None:
    listing = app.screen.query_one(OptionList)
    listing.highlighted = listing.get_option_index(pid)
    await pilot.pause()


async def test_the_driver_moves_a_person_to_another_group(run: Path, clock: FakeClock) -> None:
    make_groups(run, clock)
    app = lead_app(run, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("G")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GroupsScreen)
        await highlight(pilot, app, "ada")
        [before] = [g["number"] for g in recorded(run, ev.GROUPS_MADE)[0].payload["groups"] if "ada" in g["members"]]
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, MoveForm)
        await pilot.press("9", "enter")
        await settle(pilot)
        assert shown(app, "#move-error") == "number: there is no group 9 (groups 1 to 3)"
        assert recorded(run, ev.GROUPS_CHANGED) == []
        target = 1 if before != 1 else 2
        await type_into(pilot, app.screen.query_one(Input), str(target))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        [moved] = recorded(run, ev.GROUPS_CHANGED)
        assert moved.payload == {
            "grouping": moved.payload["grouping"],
            "participant": "ada",
            "to": target,
            "reason": "moved",
            "from": before,
        }
        assert f"Ada Lovelace moved to group {target}." in messages(app)
        lines = listed(app)
        ada = next(line for line in lines if "Ada Lovelace" in line)
        assert ada.rstrip().endswith("moved")
        heading = f"Group {target} ·"
        assert lines.index(ada) > lines.index(next(line for line in lines if line.startswith(heading)))
        listing = app.screen.query_one(OptionList)
        assert listing.get_option_at_index(listing.highlighted or 0).id == "ada"  # the cursor stays on who moved


async def test_late_arrivals_are_added_to_the_smallest_groups(run: Path, clock: FakeClock) -> None:
    make_groups(run, clock)  # 4, 3, 3
    app = lead_app(run, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("G")
        await settle(pilot)
        assert not any(line.startswith("Not in a group") for line in listed(app))
        with_session(run, clock, lambda s: s.check_in("kim"))  # Kim arrives, checked in at another terminal
        await until(pilot, lambda: bool(app.groups.waiting))
        await settle(pilot)
        assert "Not in a group · 1 checked in now" in listed(app)
        assert "l adds the 1 in no group" in shown(app, "#groups-hint")
        await pilot.press("escape")
        await settle(pilot)
        assert "1 present not in a group" in str(app.screen.query_one(GroupsLine).render())
        await pilot.press("G")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        [late] = recorded(run, ev.GROUPS_CHANGED)
        assert (late.payload["participant"], late.payload["reason"]) == ("kim", "late")
        assert late.payload["to"] in (2, 3)  # one of the smallest
        assert f"Added Kim Ajak to group {late.payload['to']}." in messages(app)
        await until(pilot, lambda: not app.groups.waiting)
        kim = next(line for line in listed(app) if "Kim Ajak" in line)
        assert kim.rstrip().endswith("late")
        await pilot.press("l")
        await settle(pilot)
        assert "Everyone checked in is in a group." in messages(app)


async def test_ending_the_groups_asks_first(run: Path, clock: FakeClock) -> None:
    make_groups(run, clock)
    app = lead_app(run, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("G")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, Choice)
        assert "3 groups of 3–4 end now" in app.screen.text
        await pilot.press("n")  # no "no" answer: n cancels, as escape does
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        assert recorded(run, ev.GROUPS_ENDED) == []
        await pilot.press("e", "y")
        await settle(pilot)
        assert len(recorded(run, ev.GROUPS_ENDED)) == 1
        await until(pilot, lambda: not app.groups.meeting)
        assert "ended 14:00" in shown(app, "#groups-status")
        assert "These groups have ended" in shown(app, "#groups-hint")
        await pilot.press("m")
        await settle(pilot)
        assert "the groups have ended" in messages(app)
        await pilot.press("escape")
        await settle(pilot)
        assert not app.screen.query_one(GroupsLine).display


# -- the team ------------------------------------------------------------------------------------------------------


async def test_a_co_facilitator_follows_the_lead_s_groups_and_may_not_change_them(run: Path, clock: FakeClock) -> None:
    app = co_app(run, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("B")  # not the driver: told so, no form
        await settle(pilot)
        assert not isinstance(app.screen, MakeGroupsForm)
        assert "lead is driving: press c to ask for control" in messages(app)
        await pilot.press("G")  # everyone may look
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        assert "none yet" in shown(app, "#groups-status")
        assert shown(app, "#groups-hint").startswith("Only the driver changes the groups: lead is driving")
        make_groups(run, clock)  # the lead, in another process
        await until(pilot, lambda: any(line.startswith("Group 3 ·") for line in listed(app)))
        assert "https://meet.example.org/wps-room-1" in listed(app)[0]
        with_session(run, clock, move_ada)
        await until(pilot, lambda: any("Ada" in line and line.rstrip().endswith("moved") for line in listed(app)))
        app.clear_notifications()
        for key in ("m", "l", "e"):
            await pilot.press(key)
            await settle(pilot)
        assert messages(app) == ["lead is driving: press c to ask for control"] * 3
        assert not isinstance(app.screen, (MoveForm, Choice))
    assert len(recorded(run, ev.GROUPS_CHANGED)) == 1 and recorded(run, ev.GROUPS_ENDED) == []


def move_ada(session: Session) -> None:
    """The lead moves Ada to another group (the first, unless she is in it)."""
    grouping = session.groups.meeting
    assert grouping is not None
    ada = grouping.group_of("ada")
    session.move_to_group("ada", 1 if ada is None or ada.number != 1 else 2)


# -- the room view -------------------------------------------------------------------------------------------------


def screen_text(app: RoomApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_the_room_view_shows_numbers_calls_and_first_names_only(run: Path, clock: FakeClock) -> None:
    app = RoomApp(db_path=run, actor="room", clock=clock, claim_presence=False, poll_seconds=FAST)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.programme is not None)
        assert not app.query_one(RoomGroups).display
        make_groups(run, clock)
        await until(pilot, lambda: "Group 3" in screen_text(app))
        text = screen_text(app)
        assert "Breakout groups" in text and "https://meet.example.org/wps-room-2" in text
        for first in ("Ada", "Ben", "Cai", "Dan", "Gus", "Hal", "Ivy", "Jon", "Grace A.", "Grace L."):
            assert first in text, first
        for private in ("Lovelace", "Okafor", "Akello", "Lado", "Kabila", "@example.org", "HQ", "JUBA", "female"):
            assert private not in text, private
        assert "Kim" not in text  # not checked in, in no group
        # Nothing private reaches the room's process at all, not only its screen.
        members = [m for g in app.groups.groups for m in g.members]
        assert {(m.id, m.location, m.gender) for m in members} == {("", "", "")} and app.groups.waiting == ()
        with_session(run, clock, Session.end_groups)
        await until(pilot, lambda: "Group 1" not in screen_text(app))
        assert not app.query_one(RoomGroups).display


# -- snapshots -----------------------------------------------------------------------------------------------------


@pytest.fixture
def changed_groups(run: Path, clock: FakeClock) -> Path:
    """Groups made at the pairs step (seeded), meeting 20 minutes: Ada moved, Kim added late, then a latecomer
    waiting in no group, and Jon gone; five minutes in."""

    def change(session: Session) -> None:
        session.next_step()
        session.next_step()
        session.make_groups(
            size=3, call_pattern="https://meet.example.org/wps-room-{n}", duration=timedelta(minutes=20), seed=3
        )
        move_ada(session)
        session.check_in("kim")
        session.add_to_smallest("kim")
        session.add_participant("Lia Late", "lia@example.org", "goma", participant_id="lia", gender="F")
        session.check_in("lia")
        session.check_out("jon")

    with_session(run, clock, change)
    clock.advance(timedelta(minutes=5))
    return run


def _groups_screen_ready() -> Callable[[Pilot[None]], object]:
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, App)
        await ready(pilot)
        app.clear_notifications()  # "Session resumed"
        await pilot.press("G")
        await settle(pilot)
        await until(pilot, lambda: isinstance(app.screen, GroupsScreen) and bool(listed(app)))
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_groups_screen_snapshot(
    snap_compare: object, changed_groups: Path, clock: FakeClock, size: tuple[int, int]
) -> None:
    app = lead_app(changed_groups, clock)
    assert snap_compare(app, terminal_size=size, run_before=_groups_screen_ready())  # type: ignore[operator]


@pytest.mark.parametrize("size", SIZES)
def test_room_view_with_groups_snapshot(
    snap_compare: object, changed_groups: Path, clock: FakeClock, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, RoomApp)
        await until(pilot, lambda: app.groups.meeting and app.query_one(RoomGroups).display)
        for widget in app.query("RoomTimer, RoomClocks, RoomGroups"):
            widget.tick()  # type: ignore[attr-defined]
        await pilot.pause()

    app = RoomApp(db_path=changed_groups, actor="room", clock=clock, claim_presence=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)  # type: ignore[operator]


async def test_keys_typed_ahead_of_enter_all_reach_the_form(run: Path, clock: FakeClock) -> None:
    # Over a slow link a whole line and its enter arrive in one read: the groups use what was typed.
    app = lead_app(run, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("B")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, MakeGroupsForm)
        call = form.query_one("#groups-call", Input)
        call.focus()
        await pilot.pause()
        arrive_together(app, *"Room {n} of the Juba office", "enter")
        await settle(pilot)
        await until(pilot, lambda: bool(recorded(run, ev.GROUPS_MADE)))
        [made] = recorded(run, ev.GROUPS_MADE)
        assert [g["call"] for g in made.payload["groups"]][:2] == [
            "Room 1 of the Juba office",
            "Room 2 of the Juba office",
        ]
