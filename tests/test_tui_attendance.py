"""The attendance screen (a), the walk-in form and the main screen's location strip.

Every test drives the real app through Pilot on a real SQLite run of the demo workshop in tmp_path with
a fake clock, and checks what was stored by reading the event log back through a fresh connection.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from facilitator.attendance.intervals import Attendance
from facilitator.live.session import Session
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.bindings import binding_ids
from facilitator.tui.modals.choice import Choice
from facilitator.tui.modals.participant_form import ParticipantForm
from facilitator.tui.screens.attendance import AttendanceScreen, reading_key, sparkline
from facilitator.tui.screens.lead import LeadScreen
from facilitator.tui.widgets.panels import LocationStrip
from facilitator.tui.widgets.roster_table import RosterTable
from tests.tools import a_settled_day, arrive_together, whole_lead_screen, with_session

# Every size issue 25 checked, the first two as before (their snapshots keep their names).
LAYOUT_SIZES = [(80, 24), (120, 40), (40, 15), (60, 20), (200, 60)]

DEMO = Path(__file__).resolve().parent.parent / "exercises"
DAY_ONE = date(2022, 8, 22)
MARKUP = "[bold]Eve[/] [@click=app.quit]q[/]"


# -- building runs -----------------------------------------------------------------------------------


def roster_rows() -> list[dict[str, str]]:
    with (DEMO / "roster.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def demo_run(tmp_path: Path, clock: FakeClock, *, people: int = 60) -> Path:
    """The demo workshop with the first ``people`` of its roster, ids p0, p1, ...; day one's first step running."""
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(DEMO).programme, actor="lead", clock=clock).close()

    def seed(s: Session) -> None:
        for n, row in enumerate(roster_rows()[:people]):
            s.add_participant(
                row["name"],
                row["email"],
                row["location"],
                participant_id=f"p{n}",
                role=row["role"],
                organisation=row["organisation"],
                gender=row["gender"],
            )
        s.next_step()

    with_session(db, clock, seed)
    return db


def stored(db: Path) -> tuple[Attendance, list[ev.Event]]:
    with Store.open(db) as store:
        events = store.events()
    return Attendance.from_events(events), events


def kinds(events: list[ev.Event], kind: str) -> list[ev.Event]:
    return [e for e in events if e.kind == kind]


def make_app(db: Path, clock: FakeClock) -> FacilitatorApp:
    return FacilitatorApp(db_path=db, actor="lead", clock=clock)


# -- driving the app ---------------------------------------------------------------------------------


async def ready(pilot: Pilot[Any]) -> None:
    for _ in range(200):
        if isinstance(pilot.app.screen, LeadScreen) and pilot.app.attendance is not None:  # type: ignore[attr-defined]
            await whole_lead_screen(pilot)
            return
        await pilot.pause(0.01)
    raise AssertionError(f"the lead screen never opened: {pilot.app.screen!r}")


async def open_screen(pilot: Pilot[Any]) -> AttendanceScreen:
    await ready(pilot)
    await pilot.press("a")
    await pilot.pause()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, AttendanceScreen), f"the attendance screen is not open: {screen!r}"
    return screen


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def table_of(app: FacilitatorApp) -> RosterTable:
    assert isinstance(app.screen, AttendanceScreen)
    return app.screen.query_one("#attendance-table", RosterTable)


def row_ids(app: FacilitatorApp) -> list[str]:
    return list(table_of(app).row_ids)


def row_text(app: FacilitatorApp, pid: str) -> str:
    table = table_of(app)
    assert pid in table.row_ids
    return " ".join(cell.plain for cell in table.row_text(pid))


async def go_to(pilot: Pilot[Any], pid: str) -> None:
    table = table_of(pilot.app)  # type: ignore[arg-type]
    assert table.move_to(pid)
    await pilot.pause()


def strip_text(app: FacilitatorApp) -> str:
    return str(app.screen.query_one(LocationStrip).render())


def static_text(app: FacilitatorApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


# -- the screen --------------------------------------------------------------------------------------


async def test_the_screen_lists_the_roster_grouped_by_location(tmp_path: Path) -> None:
    clock = FakeClock()
    db = demo_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_screen(pilot)
        ids = row_ids(app)
        assert len(ids) == 60
        assert app.attendance is not None
        locations = [app.attendance.people[pid].location for pid in ids]
        assert locations[:12] == ["hq"] * 12  # the workshop's order of locations, then by name
        assert locations == sorted(locations, key=["hq", "unmiss", "monusco", "minusma", "minusca", "unifil",
                                                   "unficyp", "unisfa", "minurso"].index)  # fmt: skip
        hq_names = [app.attendance.people[pid].name for pid in ids[:12]]
        assert hq_names == sorted(hq_names, key=reading_key)  # as people read them: "Élodie" among the Es
        assert "0/60 present" in static_text(app, "#attendance-status")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LeadScreen)


async def test_space_checks_in_and_out(tmp_path: Path) -> None:
    clock = FakeClock()
    db = demo_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_screen(pilot)
        await go_to(pilot, "p12")  # Amina Deng, UNMISS
        await pilot.press("space")
        await settle(pilot)
        assert row_text(app, "p12").startswith("●")
        assert "1/60 present" in static_text(app, "#attendance-status")
        attendance, _ = stored(db)
        assert attendance.is_in("p12", "facilitator")
        clock.advance(timedelta(minutes=5))
        await pilot.press("space")
        await settle(pilot)
        assert row_text(app, "p12").startswith("·")
    attendance, events = stored(db)
    assert not attendance.is_in("p12")
    assert len(kinds(events, ev.ATTENDANCE_CHECKED_IN)) == 1
    assert len(kinds(events, ev.ATTENDANCE_CHECKED_OUT)) == 1
    (interval,) = attendance.intervals("p12")
    assert interval.end is not None and interval.end - interval.start == timedelta(minutes=5)


async def test_o_checks_out_and_does_nothing_when_out(tmp_path: Path) -> None:
    clock = FakeClock()
    db = demo_run(tmp_path, clock)
    with_session(db, clock, lambda s: s.check_in("p0"))
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_screen(pilot)
        await go_to(pilot, "p0")
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
    attendance, events = stored(db)
    assert not attendance.is_in("p0")
    assert len(kinds(events, ev.ATTENDANCE_CHECKED_OUT)) == 1


async def test_late_excused_and_clear_marks(tmp_path: Path) -> None:
    clock = FakeClock()
    db = demo_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_screen(pilot)
        await go_to(pilot, "p1")
        await pilot.press("l")
        await settle(pilot)
        assert "late" in row_text(app, "p1")
        assert stored(db)[0].mark("p1", DAY_ONE) == "late"
        await go_to(pilot, "p2")
        await pilot.press("e")
        await settle(pilot)
        assert "excused" in row_text(app, "p2")
        await go_to(pilot, "p1")
        await pilot.press("c")
        await settle(pilot)
        assert "late" not in row_text(app, "p1")
    attendance, events = stored(db)
    assert attendance.mark("p1", DAY_ONE) is None
    assert attendance.mark("p2", DAY_ONE) == "excused"
    assert len(kinds(events, ev.ATTENDANCE_MARKED)) == 3


async def test_everyone_present_asks_first_and_cancel_does_nothing(tmp_path: Path) -> None:
    clock = FakeClock()
    db = demo_run(tmp_path, clock)
    with_session(db, clock, lambda s: s.check_in("p13"))  # one of UNMISS's six is in already
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_screen(pilot)
        await go_to(pilot, "p12")
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, Choice)
        assert app.screen.question == "Everyone at UNMISS (South Sudan) is present?"
        assert "5 people are not checked in" in static_text(app, "#choice-text")
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, AttendanceScreen)
        assert len(kinds(stored(db)[1], ev.ATTENDANCE_CHECKED_IN)) == 1
        await pilot.press("A")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, AttendanceScreen)
        assert app.attendance is not None and app.attendance.counts["unmiss"].present == 6
        assert "6/6" in static_text(app, "#attendance-counts")
    attendance, events = stored(db)
    assert all(attendance.is_in(f"p{n}") for n in range(12, 18))
    assert not any(attendance.is_in(f"p{n}") for n in (*range(12), *range(18, 60)))
    assert len(kinds(events, ev.ATTENDANCE_CHECKED_IN)) == 6


async def test_filter_narrows_rows_as_you_type(tmp_path: Path) -> None:
    clock = FakeClock()
    db = demo_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press("u", "n", "m", "i", "s", "s")  # location
        await pilot.pause()
        assert sorted(row_ids(app)) == sorted(f"p{n}" for n in range(12, 18))
        assert "6 of 60 shown" in static_text(app, "#attendance-status")
        screen.set_filter("budget officer")  # role, two terms
        await pilot.pause()
        roles = {app.attendance.people[pid].role or "" for pid in row_ids(app)}  # type: ignore[union-attr]
        assert roles and all("budget officer" in role.casefold() for role in roles)
        screen.set_filter("ELODIE.fournier@")  # e-mail, any case
        await pilot.pause()
        assert row_ids(app) == ["p9"]
        screen.set_filter("nobody-called-this")
        await pilot.pause()
        assert row_ids(app) == []
        await pilot.press("space")  # no row: nothing happens
        await pilot.press("escape")  # leaves the filter, not the screen
        await pilot.pause()
        assert isinstance(app.screen, AttendanceScreen)
        assert isinstance(app.focused, RosterTable)


async def test_keys_typed_ahead_of_the_filter_go_where_the_focus_went(tmp_path: Path) -> None:
    # Keys read together (a quick typist, a slow link): "/" and Enter move the focus before the next key is
    # taken, so the text is the filter's and the space after Enter checks someone in. Before, the text went to
    # the table and the space into the box.
    clock = FakeClock()
    db = demo_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot)
        arrive_together(app, "slash", *"unmiss", "enter", "space", "down", "space")
        await settle(pilot)
        box = screen.query_one("#attendance-search", Input)
        assert box.value == "unmiss"
        assert isinstance(app.focused, RosterTable)
        assert "6 of 60 shown" in static_text(app, "#attendance-status")
        assert app.attendance is not None and app.attendance.counts["unmiss"].present == 2
        # In the box "/" is typed (the box selects its text as it takes the focus: typing replaces it).
        arrive_together(app, "slash", *"a/b")
        await settle(pilot)
        assert box.value == "a/b" and app.focused is box
        # Escape leaves the box as Enter does, and the space after it is the table's: the first one out again.
        arrive_together(app, "escape", "slash", *"unmiss", "escape", "space")
        await settle(pilot)
        assert box.value == "unmiss"
        assert isinstance(app.screen, AttendanceScreen) and isinstance(app.focused, RosterTable)
        assert app.attendance is not None and app.attendance.counts["unmiss"].present == 1
    attendance, _ = stored(db)
    assert sum(attendance.is_in(f"p{n}") for n in range(12, 18)) == 1
    assert not any(attendance.is_in(f"p{n}") for n in (*range(12), *range(18, 60)))


async def test_enter_on_the_list_is_the_lists_own(tmp_path: Path) -> None:
    # The filter's Enter acts only in its box: on the table, Enter selects the row (opens the edit form).
    clock = FakeClock()
    db = demo_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_screen(pilot)
        await go_to(pilot, "p12")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ParticipantForm)


async def test_k_cycles_the_link_and_writes_events(tmp_path: Path) -> None:
    clock = FakeClock()
    db = demo_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_screen(pilot)
        await go_to(pilot, "p12")  # UNMISS
        for _ in range(3):
            await pilot.press("k")
            await settle(pilot)
        assert app.attendance is not None and app.attendance.links["unmiss"] == "connected"
        assert "connected" in static_text(app, "#attendance-counts")
    attendance, events = stored(db)
    links = kinds(events, ev.LOCATION_LINK)
    assert [(e.payload["location"], e.payload["status"]) for e in links] == [
        ("unmiss", "connected"),
        ("unmiss", "dropped"),
        ("unmiss", "connected"),
    ]
    assert attendance.link_status("hq") == "not-joined"


async def test_the_strip_shows_counts_and_link_symbols_live(tmp_path: Path) -> None:
    clock = FakeClock()
    db = demo_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        text = strip_text(app)
        assert "○ UNMISS" in text and "0/6" in text and "0/12" in text and "–/" not in text
        # Another facilitator checks two people in and connects UNMISS: the strip follows.
        with_session(db, clock, lambda s: (s.check_in("p12"), s.check_in("p13"), s.set_link("unmiss", "connected")))
        for _ in range(100):
            await pilot.pause(0.02)
            if "● UNMISS" in strip_text(app):
                break
        text = strip_text(app)
        assert "● UNMISS" in text and "2/6" in text
        with_session(db, clock, lambda s: s.set_link("unmiss", "dropped"))
        for _ in range(100):
            await pilot.pause(0.02)
            if "✕ UNMISS" in strip_text(app):
                break
        assert "✕ UNMISS" in strip_text(app)


async def test_checking_in_on_the_screen_shows_on_the_main_strip(tmp_path: Path) -> None:
    clock = FakeClock()
    db = demo_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_screen(pilot)
        await go_to(pilot, "p0")
        await pilot.press("space")
        await settle(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert "1/12" in strip_text(app)


# -- walk-ins ----------------------------------------------------------------------------------------


async def fill(pilot: Pilot[Any], form: ParticipantForm, **values: str) -> None:
    for key, value in values.items():
        if key == "location":
            form.query_one("#participant-location", Select).value = value
        else:
            form.query_one(f"#participant-{key}", Input).value = value
    await pilot.pause()


async def test_walk_in_add_shows_errors_inline_then_saves(tmp_path: Path) -> None:
    clock = FakeClock()
    db = demo_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_screen(pilot)
        await go_to(pilot, "p12")
        await pilot.press("w")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ParticipantForm)
        assert form.query_one("#participant-location", Select).value == "unmiss"  # the highlighted one's
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert static_text(app, "#participant-error") == "name: cannot be empty"
        assert app.focused is form.query_one("#participant-name")
        await fill(pilot, form, name=MARKUP, email="eve@")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "email: 'eve@' is not an e-mail address" in static_text(app, "#participant-error")
        assert form.query_one("#participant-email").has_class("-invalid")
        await fill(pilot, form, email="amina.deng@example.org")  # already on the roster
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "already on the roster" in static_text(app, "#participant-error")
        assert len(kinds(stored(db)[1], ev.PARTICIPANT_ADDED)) == 60
        await fill(pilot, form, email="eve@example.org", role="Observer")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AttendanceScreen)
        assert len(row_ids(app)) == 61
        pid = form.participant_id
        assert app.screen.highlighted_id() == pid
        assert "[bold]Eve[/] [@click=" in row_text(app, pid)  # literal, not markup
    attendance, _ = stored(db)
    person = attendance.roster.by_id[pid]
    assert (person.name, person.email, person.location, person.role, person.source) == (
        MARKUP,
        "eve@example.org",
        "unmiss",
        "Observer",
        "walk-in",
    )


async def test_walk_in_cancel_stores_nothing(tmp_path: Path) -> None:
    clock = FakeClock()
    db = demo_run(tmp_path, clock, people=3)
    app = make_app(db, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_screen(pilot)
        await pilot.press("w")
        await pilot.pause()
        await fill(pilot, app.screen, name="Somebody", email="some@example.org", location="hq")  # type: ignore[arg-type]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AttendanceScreen)
    assert len(kinds(stored(db)[1], ev.PARTICIPANT_ADDED)) == 3


async def test_edit_changes_only_what_changed(tmp_path: Path) -> None:
    clock = FakeClock()
    db = demo_run(tmp_path, clock, people=20)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_screen(pilot)
        await go_to(pilot, "p12")
        await pilot.press("enter")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ParticipantForm)
        assert form.query_one("#participant-name", Input).value == "Amina Deng"
        await fill(pilot, form, location="monusco", role="Planning Officer")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AttendanceScreen)
        assert "MONUSCO" in row_text(app, "p12")
    attendance, events = stored(db)
    (update,) = kinds(events, ev.PARTICIPANT_UPDATED)
    assert update.payload["changes"] == {"location": "monusco", "role": "Planning Officer"}
    assert attendance.roster.by_id["p12"].location == "monusco"


# -- pieces ------------------------------------------------------------------------------------------


def test_every_attendance_binding_has_an_id_and_a_tooltip() -> None:
    from textual.binding import Binding

    for owner in (AttendanceScreen, Choice, ParticipantForm):
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding) and binding.id and binding.tooltip, binding
    assert {"attendance", "attendance-toggle", "attendance-everyone", "attendance-walk-in"} <= binding_ids()


def test_sparkline_is_cumulative() -> None:
    clock = FakeClock()
    start = clock.now()
    times = tuple(start + timedelta(minutes=m) for m in (0, 1, 2, 50))
    line = sparkline(times, start, start + timedelta(minutes=100), width=10)
    assert len(line) == 10
    assert line[0] != " " and line == "".join(sorted(line, key=" ▁▂▃▄▅▆▇█".index))
    assert line[-1] == "█"
    assert sparkline((), None, start) == " " * 10


# -- snapshots -----------------------------------------------------------------------------------------


def snapshot_run(tmp_path: Path) -> tuple[Path, FakeClock]:
    clock = FakeClock()
    db = demo_run(tmp_path, clock)

    def seed(s: Session) -> None:
        s.set_link("hq", "connected")
        s.set_link("unmiss", "connected")
        s.set_link("minusma", "dropped")
        for n in range(0, 9):
            clock.advance(timedelta(minutes=2))
            s.check_in(f"p{n}")
        s.check_in("p12")
        s.mark("p13", DAY_ONE, "excused")
        s.add_participant(MARKUP, "eve@example.org", "unmiss", participant_id="walkin")

    with_session(db, clock, seed)
    clock.advance(timedelta(minutes=30))
    return db, clock


async def quiet(pilot: Pilot[Any]) -> None:
    await ready(pilot)
    for _ in range(200):
        if pilot.app._notifications:
            break
        await pilot.pause(0.01)
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", LAYOUT_SIZES)
def test_attendance_screen_snapshot(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    db, clock = snapshot_run(tmp_path)

    async def open_it(pilot: Pilot[Any]) -> None:
        await quiet(pilot)
        await pilot.press("a")
        await pilot.pause()
        await pilot.pause()
        for widget in pilot.app.screen.query(Input):
            widget.cursor_blink = False
        await pilot.press("down", "down")
        await pilot.pause()

    app = make_app(db, clock)
    assert snap_compare(app, terminal_size=size, run_before=open_it)


async def test_a_long_run_shows_its_first_frame_before_everyone_s_share_and_then_the_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facilitator.tui import snapshot

    clock = FakeClock()
    db = demo_run(tmp_path, clock, people=6)
    with_session(db, clock, lambda s: [s.check_in(f"p{n}") for n in range(6)])
    monkeypatch.setattr(snapshot, "COMPLETE_AT_ONCE", 3)  # six intervals: a long run, here
    shown: list[bool] = []
    app = make_app(db, clock)
    original = app._show_attendance

    def show(snap: snapshot.AttendanceSnapshot, seq: int) -> None:
        shown.append(snap.complete)
        original(snap, seq)

    monkeypatch.setattr(app, "_show_attendance", show)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        for _ in range(200):
            if app.attendance is not None and app.attendance.complete:
                break
            await pilot.pause(0.01)
        assert shown[:2] == [False, True]  # the first frame's, then the complete one, without any change
        assert all(row.attended_share is not None for row in app.attendance.people.values())
        screen = await open_screen(pilot)
        assert screen is app.screen and "…" not in row_text(app, "p0")


def test_the_first_snapshot_of_a_short_run_is_complete(tmp_path: Path) -> None:
    from facilitator.tui.snapshot import AttendanceReader

    clock = FakeClock()
    db = demo_run(tmp_path, clock, people=6)
    with Store.open(db, clock=clock) as store:
        reader = AttendanceReader()
        first = reader.read(Session(store, actor="lead"), clock.now())
        assert first is not None and first.complete and not reader.owed


def test_the_reader_counts_again_a_settled_day_that_a_late_report_changes(
    run_store: Store, fake_clock: FakeClock
) -> None:
    """It keeps the settled days between snapshots and learns from the fold whose check-ins came since."""
    from facilitator.tui.snapshot import AttendanceReader

    s = Session(run_store, actor="lead")
    pid = s.add_participant("Amina", "amina@example.org", "juba").payload["participant"]
    other = s.add_participant("Bola", "bola@example.org", "juba").payload["participant"]
    a_settled_day(s, fake_clock, pid)
    reader = AttendanceReader()
    before = reader.read(s, fake_clock.now())
    assert before is not None and reader.read(s, fake_clock.now()) is None  # nothing new: no snapshot
    s.pause()
    assert reader.read(s, fake_clock.now()) is None  # a change attendance does not show
    s.check_in(other)
    assert reader.read(s, fake_clock.now()) is not None  # someone else arrived: a new snapshot
    s.check_in(pid, source="zoom", at=fake_clock.now() - timedelta(hours=18))  # a report of day 1
    s.check_out(pid, source="zoom", at=fake_clock.now() - timedelta(hours=17, minutes=35))
    after = reader.read(s, fake_clock.now())
    fresh = AttendanceReader().read(s, fake_clock.now())
    assert after is not None and fresh is not None
    assert after.people[pid].attended_share == fresh.people[pid].attended_share
    assert after.people[pid].attended_share != before.people[pid].attended_share
