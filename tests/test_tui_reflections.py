"""Reflections logged by the facilitator: the form (r), the reflections screen (R), and untrusted text.

Every test drives the real app through Pilot on a real SQLite run in tmp_path with a fake clock, and
checks what was stored by reading the event log back through a fresh connection.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, Select, Static, TextArea

from facilitator.live.session import Session
from facilitator.live.state import SessionState, fold
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.script.models import Programme
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.modals.choice import Choice
from facilitator.tui.modals.reflection_form import ReflectionForm, participant_names
from facilitator.tui.screens.lead import LeadScreen
from facilitator.tui.screens.reflections import PAGE, Filters, ReflectionsScreen
from tests.conftest import TINY_PROGRAMME
from tests.tools import arrive_together, with_session

DEMO = Path(__file__).resolve().parent.parent / "exercises"
DAY_ONE = date(2022, 8, 22)
DAY_TWO = date(2022, 8, 23)
MARKUP = "[bold]x[/] and [@click=app.quit]q[/]"
ESCAPE = "\x1b[31mred\x1b[0m"
RTL = "النساء يصنعن السلام · שלום לכולם · 🕊️🌍"


# -- building runs -----------------------------------------------------------------------------------


def tiny_run(tmp_path: Path, clock: FakeClock, *, anonymity: str | None = None, consent: bool = False) -> Path:
    """The tiny programme, its prompt set to ``anonymity``, with the prompted step (reflect/write) running."""
    data: dict[str, Any] = copy.deepcopy(TINY_PROGRAMME)
    if anonymity is not None:
        data["exercises"][1]["steps"][0]["prompt"]["anonymity"] = anonymity
    data["workshop"]["reflections"] = {"consent_to_quote": consent}
    db = tmp_path / "run.db"
    Store.create(db, Programme.validate(data), actor="lead", clock=clock).close()
    with_session(db, clock, lambda s: s.enter_step("reflect", "write", on=DAY_ONE))
    return db


def stored(db: Path) -> tuple[SessionState, list[ev.Event]]:
    with Store.open(db) as store:
        events = store.events()
    return fold(events), events


def kinds(events: list[ev.Event], kind: str) -> list[ev.Event]:
    return [e for e in events if e.kind == kind]


def seeded_run(tmp_path: Path, clock: FakeClock) -> Path:
    """Reflections on two days, two exercises and both locations, one of them retracted."""
    db = tiny_run(tmp_path, clock)

    def seed(s: Session) -> None:
        s.log_reflection("Budgets show priorities", participant="Amina", location="juba", reflection_id="a")
        clock.advance(60)
        s.log_reflection("Ask who is missing from the room", location="hq", consent=True, reflection_id="b")
        clock.advance(60)
        s.enter_step("warm-up", "pairs", on=DAY_ONE)
        s.log_reflection("Pairs across missions worked well", participant="Ben", location="hq", reflection_id="c")
        clock.advance(60)
        s.log_reflection("Wrong box, sorry", reflection_id="gone")
        s.retract_reflection("gone")
        clock.advance(timedelta(days=1))
        s.enter_step("reflect", "write", on=DAY_TWO)
        s.log_reflection("Day two: indicators need baselines", participant="amina", reflection_id="d")

    with_session(db, clock, seed)
    return db


def make_app(db: Path, clock: FakeClock) -> FacilitatorApp:
    return FacilitatorApp(db_path=db, actor="lead", clock=clock)


# -- reading the screen ------------------------------------------------------------------------------


def form_of(app: FacilitatorApp) -> ReflectionForm:
    assert isinstance(app.screen, ReflectionForm), f"the form is not open: {app.screen!r}"
    return app.screen


def table_of(app: FacilitatorApp) -> DataTable[Text]:
    assert isinstance(app.screen, ReflectionsScreen), f"the reflections screen is not open: {app.screen!r}"
    return app.screen.query_one("#reflections-table", DataTable)


def row_ids(app: FacilitatorApp) -> list[str]:
    table = table_of(app)
    return [str(row.key.value) for row in table.ordered_rows]


def row_texts(app: FacilitatorApp) -> list[str]:
    """Each row of the table as the terminal shows it, one string per row."""
    table = table_of(app)
    return [table.render_line(y + 1).text for y in range(table.row_count)]  # y=0 is the header


def static_text(app: FacilitatorApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Key presses, one per character (about 0.1 s each under Pilot: keep these texts short)."""
    await pilot.press(*("space" if char == " " else char for char in text))


async def write(pilot: Pilot[Any], text: str) -> None:
    """Put ``text`` in the focused text area or input at once, as a paste would."""
    focused = pilot.app.focused
    if isinstance(focused, TextArea):
        focused.insert(text)
    elif isinstance(focused, Input):
        focused.insert_text_at_cursor(text)
    else:
        raise AssertionError(f"cannot write into {focused!r}")
    await pilot.pause()


async def ready(pilot: Pilot[Any]) -> None:
    """Wait until the app has mounted its lead screen (it reads the run from the database first)."""
    for _ in range(200):
        if isinstance(pilot.app.screen, LeadScreen):
            return
        await pilot.pause(0.01)
    raise AssertionError(f"the lead screen never opened: {pilot.app.screen!r}")


async def open_form(pilot: Pilot[Any], app: FacilitatorApp) -> ReflectionForm:
    if not isinstance(app.screen, ReflectionsScreen):
        await ready(pilot)
    await pilot.press("r")
    await pilot.pause()
    return form_of(app)


async def submit(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+s")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


# -- the form ----------------------------------------------------------------------------------------


async def test_logging_stores_one_reflection_linked_to_the_step_and_prompt(tmp_path: Path) -> None:
    clock = FakeClock()
    db = tiny_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        assert "Write a reflection" in static_text(app, "#reflection-context")
        assert "What will you take away?" in static_text(app, "#reflection-context")
        opened_with = form.reflection_id
        await type_text(pilot, "Listen")
        await pilot.press("enter")
        await write(pilot, "then plan")
        await pilot.press("tab")
        await type_text(pilot, "Amina")
        await write(pilot, " Diallo")
        form.query_one("#reflection-location", Select).value = "juba"
        form.query_one("#reflection-consent", Checkbox).focus()
        await pilot.press("space")
        await submit(pilot)
        assert isinstance(app.screen, LeadScreen)
        assert any(n.message == "Reflection saved" for n in app._notifications)
    state, events = stored(db)
    assert len(kinds(events, ev.REFLECTION_LOGGED)) == 1
    (reflection,) = state.reflections.values()
    assert reflection.id == opened_with
    assert reflection.text == "Listen\nthen plan"
    assert (reflection.day, reflection.exercise, reflection.step) == (DAY_ONE, "reflect", "write")
    assert reflection.prompt == "What will you take away?"
    assert (reflection.participant, reflection.location, reflection.consent) == ("Amina Diallo", "juba", True)
    assert reflection.logged_by == "lead"


async def test_consent_starts_from_the_workshop_default(tmp_path: Path) -> None:
    clock = FakeClock()
    db = tiny_run(tmp_path, clock, consent=True)
    app = make_app(db, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        assert form.query_one("#reflection-consent", Checkbox).value is True
        await write(pilot, "Quote me")
        await submit(pilot)
    state, _ = stored(db)
    assert [r.consent for r in state.reflections.values()] == [True]


async def test_cancel_stores_nothing(tmp_path: Path) -> None:
    clock = FakeClock()
    db = tiny_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_form(pilot, app)
        await type_text(pilot, "No")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LeadScreen)
        await open_form(pilot, app)
        await write(pilot, "Not this either")
        await pilot.click("#reflection-cancel")
        await pilot.pause()
        assert isinstance(app.screen, LeadScreen)
    _, events = stored(db)
    assert kinds(events, ev.REFLECTION_LOGGED) == []


async def test_empty_text_is_refused_inline(tmp_path: Path) -> None:
    clock = FakeClock()
    db = tiny_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        await type_text(pilot, "   ")
        await submit(pilot)
        assert form_of(app) is form
        assert "empty" in static_text(app, "#reflection-error")
        assert form.query_one("#reflection-error").display
        assert form.query_one("#reflection-text", TextArea).has_class("-invalid")
        await write(pilot, "Now with words")
        await submit(pilot)
        assert isinstance(app.screen, LeadScreen)
    state, events = stored(db)
    assert len(kinds(events, ev.REFLECTION_LOGGED)) == 1
    assert [r.text for r in state.reflections.values()] == ["Now with words"]


async def test_a_named_prompt_requires_a_name(tmp_path: Path) -> None:
    clock = FakeClock()
    db = tiny_run(tmp_path, clock, anonymity="named")
    app = make_app(db, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        assert "required" in str(form.query_one("#participant-label", Static).render())
        await write(pilot, "Signed words")
        await submit(pilot)
        assert form_of(app) is form
        assert "name" in static_text(app, "#reflection-error")
        participant = form.query_one("#reflection-participant", Input)
        assert participant.has_class("-invalid")
        assert participant.has_focus
        _, events = stored(db)
        assert kinds(events, ev.REFLECTION_LOGGED) == []
        await write(pilot, "Chen Wei")
        await submit(pilot)
        assert isinstance(app.screen, LeadScreen)
    state, _ = stored(db)
    assert [r.participant for r in state.reflections.values()] == ["Chen Wei"]


async def test_an_anonymous_prompt_stores_no_name(tmp_path: Path) -> None:
    clock = FakeClock()
    db = tiny_run(tmp_path, clock, anonymity="anonymous")
    app = make_app(db, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        participant = form.query_one("#reflection-participant", Input)
        assert participant.disabled
        participant.value = "Someone"  # even a name that got in some other way is not stored
        await write(pilot, "Nobody knows it was me")
        await submit(pilot)
        assert isinstance(app.screen, LeadScreen)
    state, events = stored(db)
    assert len(kinds(events, ev.REFLECTION_LOGGED)) == 1
    assert [r.participant for r in state.reflections.values()] == [None]


async def test_a_double_submit_stores_once(tmp_path: Path) -> None:
    clock = FakeClock()
    db = tiny_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        await write(pilot, "Once only")
        form.action_submit()
        form.action_submit()  # while the first is still on its way to the database
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, LeadScreen)
    _, events = stored(db)
    assert len(kinds(events, ev.REFLECTION_LOGGED)) == 1


async def test_a_retried_save_reuses_the_reflection_id(tmp_path: Path) -> None:
    """A save repeated after its acknowledgement was lost (same form, same id) is stored once."""
    clock = FakeClock()
    db = tiny_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        await write(pilot, "Retried")
        values = form._read()
        assert values is not None
        assert await form.save(values) == (True, "Reflection saved")
        assert await form.save(values) == (True, "Reflection saved")
    _, events = stored(db)
    assert len(kinds(events, ev.REFLECTION_LOGGED)) == 1


async def test_participant_names_come_from_earlier_reflections(tmp_path: Path) -> None:
    clock = FakeClock()
    db = seeded_run(tmp_path, clock)
    state, _ = stored(db)
    assert participant_names(state) == ["amina", "Ben"]
    assert participant_names(state, extra=["Ben", "Chen"]) == ["amina", "Ben", "Chen"]
    app = make_app(db, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_form(pilot, app)
        await pilot.press("tab")
        await pilot.press("B")
        await pilot.pause()
        await pilot.press("right")  # accept the suggestion
        assert form_of(app).query_one("#reflection-participant", Input).value == "Ben"


# -- the reflections screen ----------------------------------------------------------------------------


async def open_reflections(pilot: Pilot[Any], app: FacilitatorApp) -> ReflectionsScreen:
    await ready(pilot)
    await pilot.press("R")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ReflectionsScreen)
    return screen


async def test_the_screen_lists_reflections_newest_first_without_retracted(tmp_path: Path) -> None:
    clock = FakeClock()
    db = seeded_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_reflections(pilot, app)
        assert row_ids(app) == ["d", "c", "b", "a"]
        rows = row_texts(app)
        # Juba time (UTC+2): the fake clock starts at 12:00 UTC.
        assert rows[3].strip().startswith("Mon 14:00")
        assert "Amina" in rows[3]
        assert "JUBA" in rows[3]
        assert "anonymous" in rows[2]
        assert "✓" in rows[2]
        assert "✓" not in rows[3]
        assert "Pairs" in rows[1]
        assert "Warm-up" in rows[1]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LeadScreen)


async def test_filters_narrow_the_table(tmp_path: Path) -> None:
    clock = FakeClock()
    db = seeded_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reflections(pilot, app)
        day = screen.query_one("#filter-day", Select)
        exercise = screen.query_one("#filter-exercise", Select)
        location = screen.query_one("#filter-location", Select)

        day.value = DAY_TWO.isoformat()
        await pilot.pause()
        assert row_ids(app) == ["d"]
        day.value = DAY_ONE.isoformat()
        await pilot.pause()
        assert row_ids(app) == ["c", "b", "a"]
        exercise.value = "reflect"
        await pilot.pause()
        assert row_ids(app) == ["b", "a"]
        location.value = "hq"
        await pilot.pause()
        assert row_ids(app) == ["b"]
        day.clear()
        exercise.clear()
        location.clear()
        await pilot.pause()
        assert row_ids(app) == ["d", "c", "b", "a"]

        await pilot.press("slash")
        await type_text(pilot, "AMINA")  # case-insensitive, over the participant too
        await pilot.pause()
        assert row_ids(app) == ["d", "a"]
        screen.query_one("#filter-search", Input).value = ""
        await type_text(pilot, "who")
        await write(pilot, " is MISSING")  # over the text
        await pilot.pause()
        assert row_ids(app) == ["b"]
        assert "1 shown of 5" in static_text(app, "#reflections-status")
        await pilot.press("enter")  # back to the table, where e/x/t are keys again
        assert table_of(app).has_focus


async def test_keys_typed_ahead_of_the_search_go_where_the_focus_went(tmp_path: Path) -> None:
    # Read together (a quick typist, a slow link): "/" and Enter move the focus before the next key is taken, so
    # the text is the search's and "down" after Enter moves the table's cursor. On the table, Enter is its own.
    clock = FakeClock()
    db = seeded_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reflections(pilot, app)
        arrive_together(app, "slash", *"AMINA", "enter", "down")
        await pilot.pause()
        await pilot.pause()
        assert screen.query_one("#filter-search", Input).value == "AMINA"
        assert row_ids(app) == ["d", "a"]
        assert table_of(app).has_focus and table_of(app).cursor_row == 1
        arrive_together(app, "enter")  # the row's edit form, not the search's Enter
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ReflectionForm)


async def test_the_day_filter_can_be_chosen_with_keys(tmp_path: Path) -> None:
    clock = FakeClock()
    db = seeded_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reflections(pilot, app)
        screen.query_one("#filter-day", Select).focus()
        await pilot.press("enter", "down", "down", "enter")  # blank, day one, day two
        await pilot.pause()
        assert row_ids(app) == ["d"]


async def test_edit_appends_an_edited_event_and_the_table_shows_the_new_text(tmp_path: Path) -> None:
    clock = FakeClock()
    db = seeded_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_reflections(pilot, app)
        await pilot.press("down", "down")  # b
        await pilot.press("e")
        await pilot.pause()
        form = form_of(app)
        assert form.editing is not None
        assert form.editing.id == "b"
        area = form.query_one("#reflection-text", TextArea)
        assert area.text == "Ask who is missing from the room"
        area.select_all()
        await type_text(pilot, "Ask")
        await write(pilot, " who is not in the room")
        await submit(pilot)
        assert isinstance(app.screen, ReflectionsScreen)
        assert "Ask who is not in the room" in row_texts(app)[2]
        assert row_ids(app)[table_of(app).cursor_row] == "b"
        # enter on a row edits it as well; submitting unchanged stores nothing
        await pilot.press("enter")
        await pilot.pause()
        assert form_of(app).editing is not None
        await submit(pilot)
    state, events = stored(db)
    edits = kinds(events, ev.REFLECTION_EDITED)
    assert [e.payload for e in edits] == [{"reflection": "b", "text": "Ask who is not in the room"}]
    assert state.reflections["b"].text == "Ask who is not in the room"
    assert state.reflections["b"].edited_at is not None
    assert len(kinds(events, ev.REFLECTION_LOGGED)) == 5  # the original is still in the log


async def test_retract_asks_first_hides_the_row_and_t_shows_it_again(tmp_path: Path) -> None:
    clock = FakeClock()
    db = seeded_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_reflections(pilot, app)
        await pilot.press("down")  # c
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, Choice)
        assert app.screen.question == "Retract this reflection?"
        await pilot.press("n")
        await pilot.pause()
        assert row_ids(app) == ["d", "c", "b", "a"]
        _, events = stored(db)
        assert len(kinds(events, ev.REFLECTION_RETRACTED)) == 1  # only the seeded one

        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert row_ids(app) == ["d", "b", "a"]
        assert row_ids(app)[table_of(app).cursor_row] == "b"  # the cursor stays where it was

        await pilot.press("t")
        await pilot.pause()
        assert row_ids(app) == ["d", "gone", "c", "b", "a"]
        cell = table_of(app).get_row("c")[-1]
        assert "strike" in str(cell.style)
        assert "2 retracted (shown dimmed)" in static_text(app, "#reflections-status")
        await pilot.press("t")
        await pilot.pause()
        assert row_ids(app) == ["d", "b", "a"]
    state, events = stored(db)
    assert state.reflections["c"].retracted
    assert len(kinds(events, ev.REFLECTION_RETRACTED)) == 2
    assert len(kinds(events, ev.REFLECTION_LOGGED)) == 5  # nothing deleted


async def test_the_table_follows_other_clients_and_keeps_the_cursor(tmp_path: Path) -> None:
    clock = FakeClock()
    db = seeded_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_reflections(pilot, app)
        await pilot.press("down", "down")  # b
        clock.advance(60)
        with_session(db, clock, lambda s: s.log_reflection("From Juba", location="juba", reflection_id="e"), "co")
        for _ in range(50):
            await pilot.pause(0.02)
            if "e" in row_ids(app):
                break
        assert row_ids(app) == ["e", "d", "c", "b", "a"]
        assert row_ids(app)[table_of(app).cursor_row] == "b"


async def test_a_long_run_is_listed_a_page_at_a_time_as_the_cursor_goes_down(tmp_path: Path) -> None:
    """A long run has 100,000 reflections: the table takes a page, the next as the cursor nears the end."""
    clock = FakeClock()
    db = tiny_run(tmp_path, clock)
    many = 2 * PAGE + 70  # more than the book keeps out of its columns

    def seed(s: Session) -> None:
        for i in range(many):
            s.log_reflection(f"Reflection {i}", participant=f"P{i % 7}", reflection_id=f"r{i}")
            clock.advance(i % 3)  # some at the same time: newest first, those in the order they were logged
        s.hide_reflection("r5", True)

    with_session(db, clock, seed)
    state, _ = stored(db)
    assert len(state.reflections._columns.all_ids()) > many - 3
    newest = sorted(state.reflections.values(), key=lambda r: r.logged_at, reverse=True)
    shown = [r.id for r in newest if not r.hidden]
    assert (
        participant_names(state)
        == list(dict.fromkeys(str(r.participant) for r in newest))
        != [f"P{i}" for i in range(7)]
    )
    app = make_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reflections(pilot, app)
        assert row_ids(app) == shown[:PAGE]
        assert f"{many - 1} shown of {many} · 1 hidden" in static_text(app, "#reflections-status")
        table_of(app).scroll_end(animate=False)  # as a mouse wheel would: the next page comes
        await pilot.pause()
        assert row_ids(app) == shown[: 2 * PAGE] and table_of(app).cursor_row == 0
        await pilot.press("ctrl+end")  # the cursor on the last row it has: the next page comes
        await pilot.pause()
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert row_ids(app) == shown and row_ids(app)[table_of(app).cursor_row] == shown[-1]

        table_of(app).move_cursor(row=PAGE + 20)
        clock.advance(60)
        with_session(db, clock, lambda s: s.log_reflection("From Juba", reflection_id="new"), "co")
        for _ in range(50):
            await pilot.pause(0.02)
            if "new" in row_ids(app):
                break
        assert row_ids(app)[:2] == ["new", shown[0]] and len(row_ids(app)) == 2 * PAGE + 21
        assert row_ids(app)[table_of(app).cursor_row] == shown[PAGE + 20], "the cursor stays on its reflection"

        screen.query_one("#filter-search", Input).value = "reflection 1"
        await pilot.pause()
        filters = Filters(search="reflection 1")
        found = [r.id for r in newest if filters.keep(r)]  # r1, r10 to r19, r100 to r199
        assert len(found) == 111 and f"111 shown of {many + 1}" in static_text(app, "#reflections-status")
        assert row_ids(app) == found and found[table_of(app).cursor_row] == shown[PAGE + 20] == "r149"


# -- untrusted text ------------------------------------------------------------------------------------


def hostile_run(tmp_path: Path, clock: FakeClock) -> Path:
    db = tiny_run(tmp_path, clock)

    def seed(s: Session) -> None:
        s.log_reflection(MARKUP, participant="[b]Eve[/b]", reflection_id="markup")
        clock.advance(60)
        s.log_reflection(ESCAPE, participant="\x1b[2J", reflection_id="escape")
        clock.advance(60)
        s.log_reflection(RTL, participant="ليلى", location="juba", reflection_id="rtl")
        clock.advance(60)
        # Longer than a session accepts from a form, as another client might still have stored it.
        payload = {"reflection": "long", "text": "long " * 2000, "day": DAY_ONE.isoformat(), "step": "write"}
        s.store.append(ev.REFLECTION_LOGGED, payload, actor="web")

    with_session(db, clock, seed)
    return db


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_untrusted_text_is_shown_literally_one_line_per_row(tmp_path: Path, size: tuple[int, int]) -> None:
    clock = FakeClock()
    db = hostile_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=size) as pilot:
        await open_reflections(pilot, app)
        table = table_of(app)
        assert row_ids(app) == ["long", "rtl", "escape", "markup"]
        rows = row_texts(app)
        assert all(row.count("\n") == 0 for row in rows)
        assert all(table.render_line(y + 1).cell_length == table.size.width for y in range(4))
        assert "[b]Eve[/b]" in rows[3]
        assert "[bold]x[/]" in rows[3]
        assert "\\x1b[31mred" in rows[2]
        assert "\\x1b[2J" in rows[2]
        assert "ليلى" in rows[1]
        assert rows[0].rstrip().endswith("…")
        assert not any("\x1b" in row for row in rows)
        assert all(row.height == 1 for row in table.ordered_rows)

        await pilot.press("ctrl+end")  # the markup row: its detail shows the whole text, literally
        await pilot.pause()
        detail = static_text(app, "#reflection-detail-text")
        assert MARKUP in detail
        assert "[b]Eve[/b]" in detail
        await pilot.press("ctrl+home")
        await pilot.pause()
        assert static_text(app, "#reflection-detail-text").count("long") == 2000

        await pilot.press("ctrl+end", "e")  # the edit form shows it literally too
        await pilot.pause()
        form = form_of(app)
        assert form.query_one("#reflection-text", TextArea).text == MARKUP
        assert form.query_one("#reflection-participant", Input).value == "[b]Eve[/b]"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.click("#reflections-table", offset=(60, 4))  # where a link would be, were it one
        await pilot.pause()
        assert app.is_running


async def test_hostile_text_typed_into_the_form_is_stored_as_typed(tmp_path: Path) -> None:
    clock = FakeClock()
    db = tiny_run(tmp_path, clock)
    app = make_app(db, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#reflection-text", TextArea).load_text(MARKUP + "\n" + RTL)
        await submit(pilot)
        assert app.is_running
    state, _ = stored(db)
    assert [r.text for r in state.reflections.values()] == [MARKUP + "\n" + RTL]


# -- snapshots -----------------------------------------------------------------------------------------


def demo_run(tmp_path: Path) -> tuple[Path, FakeClock]:
    """The demo workshop at its day-one reflection, with four reflections, one retracted, one markup."""
    clock = FakeClock()
    db = tmp_path / "run.db"
    Store.create(db, load_workshop(DEMO).programme, actor="lead", clock=clock).close()

    def seed(s: Session) -> None:
        s.enter_step("gender-analysis", "day-one-reflection", on=DAY_ONE)
        clock.advance(timedelta(minutes=3))
        s.log_reflection(
            "Budget lines tell you who a mission thinks it serves.",
            participant="Amina Diallo",
            location="minusma",
            consent=True,
            reflection_id="r1",
        )
        clock.advance(timedelta(minutes=2))
        s.log_reflection(MARKUP + " " + ESCAPE, participant="[b]Eve[/b]", location="hq", reflection_id="r2")
        clock.advance(timedelta(minutes=1))
        s.log_reflection("Typed into the wrong box, please ignore.", location="unmiss", reflection_id="r3")
        s.retract_reflection("r3")
        clock.advance(timedelta(minutes=1))
        s.log_reflection(RTL + " peace", participant="Layla", location="unifil", consent=True, reflection_id="r4")

    with_session(db, clock, seed)
    return db, clock


async def quiet(pilot: Pilot[Any]) -> None:
    """No "session resumed" toast: it would cover the screen and time out at its own pace."""
    await ready(pilot)
    for _ in range(200):
        if pilot.app._notifications:  # announced right after the lead screen opens
            break
        await pilot.pause(0.01)
    pilot.app.clear_notifications()
    await pilot.pause()


def steady(app: FacilitatorApp) -> None:
    """No blinking cursors: a snapshot must not depend on when in the blink it was taken."""
    for widget in app.screen.query("TextArea, Input"):
        widget.cursor_blink = False  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_reflection_form_snapshot(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    db, clock = demo_run(tmp_path)

    async def fill_the_form(pilot: Pilot[Any]) -> None:
        await quiet(pilot)
        await pilot.press("r")
        await pilot.pause()
        steady(pilot.app)  # type: ignore[arg-type]
        await type_text(pilot, "I will")
        await write(pilot, " ask for sex-disaggregated data")
        await pilot.press("tab")
        await type_text(pilot, "Am")  # the suggestion shows: "Amina Diallo"
        await pilot.pause()

    app = make_app(db, clock)
    assert snap_compare(app, terminal_size=size, run_before=fill_the_form)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_reflections_screen_snapshot(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    db, clock = demo_run(tmp_path)

    async def show_all(pilot: Pilot[Any]) -> None:
        await quiet(pilot)
        await pilot.press("R")
        await pilot.pause()
        steady(pilot.app)  # type: ignore[arg-type]
        await pilot.press("t", "down", "down")  # retracted shown, struck through; the markup one highlighted
        await pilot.pause()

    app = make_app(db, clock)
    assert snap_compare(app, terminal_size=size, run_before=show_all)
