"""The room's questions on the team's screens and in the room view (issue 15), driven through Pilot: live bars
of the answers another process writes, the driver's keys to show or hide results (v) and to close a
question (x), a co-facilitator refused without control, and a room view that shows results only once
revealed. Counts only, everywhere: never who answered, never a comment's text."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console, RenderableType

from facilitator.live.session import Session
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.tui import results
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.bindings import binding_ids
from facilitator.tui.modals.choice import Choice
from facilitator.tui.modals.pickers import QuestionPicker
from facilitator.tui.results import ResultsReader
from facilitator.tui.screens.lead import LeadScreen
from facilitator.tui.screens.room import RoomApp, RoomQuestions
from facilitator.tui.widgets.question_panel import QuestionPanel
from tests.test_questions import with_questions
from tests.test_tui_team import co_app, lead_app, messages, ready, saved, settle, until
from tests.tools import with_session

# The tiny workshop with questions (tests/test_questions.py): its first step, intro, asks "mood" (a scale
# from 1 to 5) and "where" (a named single choice: HQ or a mission); pairs asks the quiz "wps/pre/q1"
# (a knowledge check, answered by name; "a" is right); the course evaluation opens at reflect/write.
PEOPLE = [  # name, id, location
    ("Ada Lovelace", "ada", "hq"),
    ("Bea Nkosi", "bea", "juba"),
    ("Chidi Okafor", "chidi", "juba"),
    ("Dara Singh", "dara", "hq"),
]
NAMES = [name for name, _, _ in PEOPLE] + [pid for _, pid, _ in PEOPLE] + [f"{pid}@example.org" for _, pid, _ in PEOPLE]
COMMENT = "The budgeting part was the most useful"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def hidden_results(data: dict[str, Any]) -> dict[str, Any]:
    """The workshop with every question's results hidden until revealed (most tests here are about revealing)."""
    for exercise in data["exercises"]:
        for step in exercise["steps"]:
            for question in step.get("questions") or ():
                question.setdefault("results", "hidden")
    for question in data["workshop"]["evaluation"]["questions"]:
        question.setdefault("results", "hidden")
    return data


def run_on(tmp_path: Path, clock: FakeClock, steps: int, *, live: bool = False) -> Path:
    """A run of the workshop with questions, ``steps`` steps in, everyone checked in at their location;
    results hidden until revealed unless ``live`` (then as the script says: live but for the quiz)."""
    db = tmp_path / "run.db"
    data = with_questions() if live else hidden_results(with_questions())
    Store.create(db, Programme.validate(data), actor="lead", clock=clock).close()
    with Store.open(db, clock=clock) as store:
        lead = Session(store, actor="lead")
        lead.announce()
        for name, pid, location in PEOPLE:
            lead.add_participant(name, f"{pid}@example.org", location, participant_id=pid)
        for _ in range(steps):
            lead.next_step()
        for _, pid, _ in PEOPLE:
            lead.check_in(pid)
    return db


def answer(db: Path, clock: FakeClock, key: str, *given: tuple[str, dict[str, Any]]) -> None:
    """Answers written by another process (the participant page's Session, a co-facilitator's role)."""

    def work(session: Session) -> None:
        for pid, sent in given:
            location = session.attendance.roster.by_id[pid].location
            session.answer(key, respondent=f"ballot-{pid}", participant=pid, location=location, **sent)

    with_session(db, clock, work, actor="page")


def plain(renderable: RenderableType | None, width: int = 60) -> str:
    """What a board draws at ``width``, as plain text."""
    assert renderable is not None, "nothing is shown"
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def panel(app: FacilitatorApp, width: int = 60) -> str:
    return plain(app.screen.query_one(QuestionPanel).board, width)


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def question_events(db: Path, kind: str) -> list[dict[str, Any]]:
    with Store.open(db) as store:
        return [dict(e.payload) for e in store.events() if e.kind == kind]


def row(text: str, label: str) -> str:
    """The line of the board for the option or value ``label`` (after the two cells of the ✓ mark)."""
    return next(line for line in text.splitlines() if line[2:].startswith(label))


# -- the lead's panel ---------------------------------------------------------------------------------


async def test_bars_count_the_answers_another_process_writes_as_they_come(tmp_path: Path, clock: FakeClock) -> None:
    db = run_on(tmp_path, clock, steps=1)
    app = lead_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        shown = panel(app)
        assert "Q1 How do you arrive?" in shown and "Q2 Where do you work?" in shown
        assert "open · results hidden · 0 of 4 answered" in shown
        assert row(shown, "1 ").rstrip().endswith("0   0%")

        answer(db, clock, "mood", ("ada", {"value": 4}), ("bea", {"value": 4}), ("chidi", {"value": 2}))
        started = time.monotonic()
        await until(pilot, lambda: "3 of 4 answered" in panel(app))
        seen_after = time.monotonic() - started
        shown = panel(app)
        assert row(shown, "4 ").rstrip().endswith("2  67%"), shown
        assert row(shown, "2 ").rstrip().endswith("1  33%"), shown
        assert "█" in row(shown, "4 ")
        assert "mean 3.3 (from 1 to 5)" in shown
        assert "answered/present: HQ 1/2 JUBA 2/2" in shown  # present = checked in there now
        assert "How do you arrive?" in screen_text(app)  # on the screen itself, not only in the panel's text
        print(f"an answer reached the lead's panel {seen_after * 1000:.0f} ms after its commit")  # noqa: T201 (-s)

        # A later answer of the same person replaces the earlier one: still three, the bars move.
        answer(db, clock, "mood", ("chidi", {"value": 4}))
        await until(pilot, lambda: row(panel(app), "4 ").rstrip().endswith("3 100%"))
        assert "3 of 4 answered" in panel(app)


async def test_the_panel_counts_again_only_when_an_answer_or_a_question_changed(
    tmp_path: Path, clock: FakeClock
) -> None:
    db = run_on(tmp_path, clock, steps=1)
    app = lead_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        results, board = app.results, app.screen.query_one(QuestionPanel).board
        seq = app.state.last_seq
        with_session(db, clock, lambda s: s.log_reflection("Not a question"))
        await until(pilot, lambda: app.state.last_seq > seq)
        await settle(pilot)
        assert app.results is results  # nothing counted again, nothing sent
        assert app.screen.query_one(QuestionPanel).board is board  # nothing drawn again


async def test_a_quiz_marks_its_right_option_and_a_comment_is_only_counted(tmp_path: Path, clock: FakeClock) -> None:
    db = run_on(tmp_path, clock, steps=3)  # reflect/write: the evaluation is open from here on
    with_session(db, clock, lambda s: s.enter_step("warm-up", "pairs"))  # and the pre check is on screen
    answer(db, clock, "wps/pre/q1", ("ada", {"choices": ["a"]}), ("bea", {"choices": ["b"]}))
    answer(db, clock, "evaluation/useful", ("ada", {"text": COMMENT, "consent": True}), ("bea", {"text": "Pairs"}))
    app = lead_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        shown = panel(app)
        assert row(shown, "1325").startswith("✓ 1325")  # the right option, marked: not by colour alone
        assert row(shown, "2242").startswith("  2242")
        assert "Q2 What was most useful?" in shown  # the evaluation stays open, step after step
        assert "  2 comments" in shown
        for private in (COMMENT, "Pairs\n", *NAMES):
            assert private not in shown, private
            assert private not in screen_text(app), private


def test_the_reader_counts_again_only_for_an_answer_to_a_question_on_screen(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = run_on(tmp_path, clock, steps=1)
    counted: list[str] = []
    count = results.result_of
    monkeypatch.setattr(results, "result_of", lambda ballots, key: counted.append(key) or count(ballots, key))
    lead_reader, room_reader = ResultsReader(), ResultsReader(revealed_only=True)
    with Store.open(db, clock=clock) as store:
        session = Session(store, actor="lead")
        first = lead_reader.read(session)
        assert first is not None and set(first.results) == {"mood", "where"}
        assert room_reader.read(session) is None  # nothing revealed: nothing counted for the room
        assert counted == ["mood", "where"]
        session.log_reflection("Not a question")
        session.check_in("ada")
        assert lead_reader.read(session) is None and room_reader.read(session) is None
        assert lead_reader.read(session) is None  # and nothing new at all
        assert counted == ["mood", "where"]
        session.answer("mood", respondent="ballot-1", value=5)
        after = lead_reader.read(session)
        assert after is not None and after.of("mood").answered == 1 and after.of("mood").count("5") == 1
        assert counted == ["mood", "where"] * 2
        session.reveal_results("where")
        revealed = room_reader.read(session)
        assert revealed is not None and set(revealed.results) == {"where"}  # never mood's counts


# -- the keys ----------------------------------------------------------------------------------------


async def test_v_shows_and_hides_the_results_and_says_so_on_the_record(tmp_path: Path, clock: FakeClock) -> None:
    db = run_on(tmp_path, clock, steps=2)  # pairs: one question, so v asks nothing
    app = lead_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert question_events(db, ev.QUESTION_REVEALED) == [{"question": "wps/pre/q1", "revealed": True}]
        assert "open · results shown" in panel(app)
        assert "Q1: results shown to the room." in messages(app)
        await pilot.press("v")
        await settle(pilot)
        assert question_events(db, ev.QUESTION_REVEALED)[-1] == {"question": "wps/pre/q1", "revealed": False}
        assert "open · results hidden" in panel(app)
        assert saved(db).questions["wps/pre/q1"].open  # showing results closes nothing


async def test_with_several_questions_v_asks_which_one(tmp_path: Path, clock: FakeClock) -> None:
    db = run_on(tmp_path, clock, steps=1)  # intro: mood and where
    app = lead_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, QuestionPicker)
        assert "Q2 · open · results hidden · Where do you work?" in screen_text(app)
        await pilot.press("escape")  # changes nothing
        await settle(pilot)
        assert isinstance(app.screen, LeadScreen) and question_events(db, ev.QUESTION_REVEALED) == []
        await pilot.press("v", "down", "enter")
        await settle(pilot)
        assert question_events(db, ev.QUESTION_REVEALED) == [{"question": "where", "revealed": True}]
        assert not saved(db).questions["mood"].revealed


async def test_x_asks_first_with_how_many_answered_then_closes(tmp_path: Path, clock: FakeClock) -> None:
    db = run_on(tmp_path, clock, steps=2)
    answer(db, clock, "wps/pre/q1", ("ada", {"choices": ["a"]}), ("bea", {"choices": ["a"]}))
    app = lead_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, Choice)
        assert app.screen.question == "Close Q1?"
        assert "2 people of the 4 present answered" in app.screen.text
        assert "takes no more answers" in app.screen.text
        closes = len(question_events(db, ev.QUESTION_CLOSED))  # intro's two, closed as the step was left
        await pilot.press("n")  # keep it open
        await settle(pilot)
        assert len(question_events(db, ev.QUESTION_CLOSED)) == closes and saved(db).questions["wps/pre/q1"].open
        await pilot.press("x", "y")
        await settle(pilot)
        assert question_events(db, ev.QUESTION_CLOSED)[closes:] == [{"question": "wps/pre/q1"}]
        assert not saved(db).questions["wps/pre/q1"].open
        assert "closed · results hidden · 2 of 4 answered" in panel(app)
        assert "Q1 closed: 2 people answered." in messages(app)
        # Nothing left to close: the key leaves the footer and says why.
        footer = {binding.binding.action for binding in app.screen.active_bindings.values()}
        assert "close_question" not in footer and "reveal_results" in footer
        app.clear_notifications()
        await pilot.press("x")
        await settle(pilot)
        assert messages(app) == ["no open question to close"]


async def test_the_question_keys_leave_the_footer_where_no_question_is_asked(tmp_path: Path, clock: FakeClock) -> None:
    db = run_on(tmp_path, clock, steps=0)
    app = lead_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert not app.screen.query_one(QuestionPanel).display
        footer = {binding.binding.action for binding in app.screen.active_bindings.values()}
        assert footer.isdisjoint({"reveal_results", "close_question"})
        await pilot.press("v")
        await settle(pilot)
        assert messages(app)[-1] == "no question at this step"
        await pilot.press("n")  # intro asks two: the panel and the keys come
        await settle(pilot)
        assert app.screen.query_one(QuestionPanel).display
        footer = {binding.binding.action for binding in app.screen.active_bindings.values()}
        assert {"reveal_results", "close_question"} <= footer
        assert app.screen.query_one(QuestionPanel).border_title == "Questions · v results · x close"


async def test_the_keys_have_ids_a_help_line_and_a_palette_entry(tmp_path: Path, clock: FakeClock) -> None:
    assert {"reveal-results", "close-question"} <= binding_ids()
    db = run_on(tmp_path, clock, steps=1)
    app = lead_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert "Show a question's results to the room (room view and phones), or hide them again" in titles
        assert any(title.startswith("Close a question now") for title in titles)
        await pilot.press("question_mark")
        await settle(pilot)
        assert "reveal-results" in screen_text(app) and "close-question" in screen_text(app)


# -- co-facilitators ----------------------------------------------------------------------------------


async def test_a_co_sees_the_same_panel_live_and_without_control_is_refused(tmp_path: Path, clock: FakeClock) -> None:
    db = run_on(tmp_path, clock, steps=2)
    app = co_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert "Q1 Which resolution came first?" in panel(app)
        assert app.screen.query_one(QuestionPanel).border_title == "Questions"  # no keys to offer
        answer(db, clock, "wps/pre/q1", ("ada", {"choices": ["b"]}))
        await until(pilot, lambda: "1 of 4 answered" in panel(app))
        assert row(panel(app), "2242").rstrip().endswith("1 100%")
        before = saved(db).last_seq
        for key in ("v", "x"):
            app.clear_notifications()
            await pilot.press(key)
            await settle(pilot)
            assert messages(app) == ["lead is driving: press c to ask for control"], key
            assert isinstance(app.screen, LeadScreen), key  # no picker, no question asked
        # The command palette runs actions by name: Textual's check (the refusal) leaves them undone, and the
        # actions themselves refuse too.
        await app.run_action("reveal_results")
        await app.run_action("close_question")
        app.clear_notifications()
        app.action_reveal_results()
        app.action_close_question()
        await settle(pilot)
        assert messages(app) == ["lead is driving: press c to ask for control"] * 2
        assert saved(db).last_seq == before
        footer = {binding.binding.action for binding in app.screen.active_bindings.values()}
        assert footer.isdisjoint({"reveal_results", "close_question"})


async def test_a_co_who_drives_may_show_the_results(tmp_path: Path, clock: FakeClock) -> None:
    db = run_on(tmp_path, clock, steps=2)

    def hand_over(session: Session) -> None:
        Session(session.store, actor="amina", role="co").announce()
        session.hand_control("amina")

    with_session(db, clock, hand_over)
    app = co_app(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("v")
        await settle(pilot)
        with Store.open(db) as store:
            revealed = [e for e in store.events() if e.kind == ev.QUESTION_REVEALED]
        assert [(e.actor, e.payload["revealed"]) for e in revealed] == [("amina", True)]


async def test_an_observer_only_looks_at_the_questions(tmp_path: Path, clock: FakeClock) -> None:
    db = run_on(tmp_path, clock, steps=2)
    app = co_app(db, clock, actor="olu", role="observer")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert "Q1 Which resolution came first?" in panel(app)
        before = saved(db).last_seq
        for key in ("v", "x"):
            app.clear_notifications()
            await pilot.press(key)
            await settle(pilot)
            assert messages(app) == ["observers only look: you cannot change the session"], key
        assert saved(db).last_seq == before


# -- the room view -----------------------------------------------------------------------------------


def room(db: Path, clock: FakeClock) -> RoomApp:
    return RoomApp(db_path=db, actor="room", clock=clock, claim_presence=False, poll_seconds=0.02)


def room_board(app: RoomApp) -> str:
    return plain(app.query_one(RoomQuestions).board)


async def test_the_room_view_shows_results_only_once_revealed(tmp_path: Path, clock: FakeClock) -> None:
    db = run_on(tmp_path, clock, steps=2)
    answer(
        db, clock, "wps/pre/q1", ("ada", {"choices": ["a"]}), ("bea", {"choices": ["b"]}), ("chidi", {"choices": ["a"]})
    )
    app = room(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.programme is not None)
        await pilot.pause()
        before = screen_text(app)
        assert "Which resolution came first?" in before
        assert "Answers are being collected." in before
        for counted in ("█", "░", "%", "answers", "1325", "✓", " 2 ", "3"):
            assert counted not in room_board(app), counted
        assert app.results.results == {}  # a hidden question's counts never even reach this process

        with_session(db, clock, lambda s: s.reveal_results("wps/pre/q1"))
        await until(pilot, lambda: "3 answers" in screen_text(app))
        after = screen_text(app)
        assert "Answers are being collected." not in after
        board = room_board(app)
        assert row(board, "1325").startswith("✓ 1325") and row(board, "1325").rstrip().endswith("2  67%")
        assert row(board, "2242").startswith("  2242") and row(board, "2242").rstrip().endswith("1  33%")
        assert "3 answers · ✓ the right answer" in board
        for private in NAMES:
            assert private not in after, private

        with_session(db, clock, lambda s: s.reveal_results("wps/pre/q1", revealed=False))
        await until(pilot, lambda: "Answers are being collected." in screen_text(app))
        assert "%" not in room_board(app) and "3 answers" not in screen_text(app)


async def test_the_room_view_says_when_answers_are_closed_and_never_shows_a_comment(
    tmp_path: Path, clock: FakeClock
) -> None:
    db = run_on(tmp_path, clock, steps=3)
    answer(db, clock, "evaluation/useful", ("ada", {"text": COMMENT, "consent": True}))
    app = room(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "What was most useful?" in screen_text(app))
        with_session(db, clock, lambda s: s.close_question("evaluation/useful"))
        await until(pilot, lambda: "Answers are closed." in screen_text(app))
        with_session(db, clock, lambda s: s.reveal_results("evaluation/useful"))
        await until(pilot, lambda: "1 comment" in screen_text(app))
        assert COMMENT not in screen_text(app) and "Ada" not in screen_text(app)


async def test_the_room_view_follows_the_questions_of_each_step(tmp_path: Path, clock: FakeClock) -> None:
    db = run_on(tmp_path, clock, steps=0)
    app = room(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.programme is not None)
        await pilot.pause()
        assert not app.query_one(RoomQuestions).display  # no step, no question
        with_session(db, clock, Session.next_step)
        await until(pilot, lambda: "How do you arrive?" in screen_text(app))
        assert "Where do you work?" in screen_text(app)
        with_session(db, clock, Session.next_step)
        await until(pilot, lambda: "Which resolution came first?" in screen_text(app))
        assert "How do you arrive?" not in screen_text(app)  # intro's questions went with their step


async def test_a_question_with_live_results_shows_them_in_the_room_without_a_key(
    tmp_path: Path, clock: FakeClock
) -> None:
    db = run_on(tmp_path, clock, steps=1, live=True)  # intro: the scale and the poll, live by default
    answer(db, clock, "mood", ("ada", {"value": 4}), ("bea", {"value": 5}))
    app = room(db, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "2 answers" in screen_text(app))
        assert "Answers are being collected." not in screen_text(app)
        assert question_events(db, ev.QUESTION_REVEALED) == []  # as the script says, not by a key
        with_session(db, clock, Session.next_step)  # pairs: the quiz, hidden until revealed
        await until(pilot, lambda: "Which resolution came first?" in screen_text(app))
        assert "Answers are being collected." in screen_text(app) and "%" not in room_board(app)
