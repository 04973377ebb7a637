"""The TUI side of the participant page: the QR screen (q), join requests (J), hiding reflections (h).

The real app runs under Pilot on a real SQLite run with a fake clock; other processes (the web page) are
played by a second connection writing through its own Session, as ``facilitator serve`` does.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from facilitator.attendance.intervals import Attendance
from facilitator.live.session import Session
from facilitator.live.state import SessionState, fold
from facilitator.participant_page.qr import render
from facilitator.participant_page.tokens import issue, load_settings, save_settings, verify
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.script.models import Programme
from facilitator.tui.app import FacilitatorApp
from facilitator.tui.screens.attendance import AttendanceScreen
from facilitator.tui.screens.lead import LeadScreen
from facilitator.tui.screens.qr import QrScreen
from facilitator.tui.screens.reflections import ReflectionsScreen
from facilitator.tui.screens.requests import RequestsScreen
from facilitator.tui.screens.room import RoomApp
from facilitator.tui.widgets import qr as qr_widget
from facilitator.tui.widgets.panels import ReflectionsFeed
from facilitator.tui.widgets.qr import LocationQr, QrCode
from tests.conftest import DEMO_FOLDER, TINY_PROGRAMME
from tests.tools import with_session

# Every size issue 25 checked, the first two as before (their snapshots keep their names).
LAYOUT_SIZES = [(80, 24), (120, 40), (40, 15), (60, 20), (200, 60)]

PUBLIC_URL = "https://wps-training.example.org"
SECRET = "5e" * 32  # a fixed secret, so snapshots show the same code every run


def make_run(tmp_path: Path, clock: FakeClock, programme: Programme | None = None) -> Path:
    """A run with a known secret and public address, its first step entered."""
    programme = programme or Programme.validate(TINY_PROGRAMME)
    db = tmp_path / "run.db"
    with Store.create(db, programme, actor="lead", clock=clock) as store:
        store.write(lambda c: c.execute("INSERT INTO participant_page (name, value) VALUES ('secret', ?)", (SECRET,)))
        save_settings(store, rotate=timedelta(minutes=30), grace=timedelta(minutes=5), public_url=PUBLIC_URL)
        Session(store, actor="lead").next_step()
    return db


def stored(db: Path) -> tuple[SessionState, Attendance, list[ev.Event]]:
    with Store.open(db) as store:
        events = store.events()
    return fold(events), Attendance.from_events(events), events


def expected_url(db: Path, location: str, clock: FakeClock) -> str:
    with Store.open(db) as store:
        settings = load_settings(store)
        programme = fold(store.events()).programme
    assert programme is not None
    return issue(settings, programme, location, clock.now()).url(settings.public_url)


async def until(pilot: Pilot[Any], condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Let the app run until ``condition`` holds (the poll and the QR's rotation check run on timers)."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    assert condition(), "the screen never caught up"


async def ready(pilot: Pilot[Any]) -> None:
    await until(pilot, lambda: isinstance(pilot.app.screen, LeadScreen))
    await pilot.pause()


def notifications(app: FacilitatorApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


# -- the QR screen -----------------------------------------------------------------------------------


def qr_panel(app: FacilitatorApp) -> LocationQr:
    assert isinstance(app.screen, QrScreen), f"the QR screen is not open: {app.screen!r}"
    return app.screen.query_one(LocationQr)


def shown_url(app: FacilitatorApp) -> str | None:
    link = qr_panel(app).link
    return link.url if link is not None else None


def static_text(app: FacilitatorApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def assert_dark_on_light(code: QrCode) -> None:
    """Every cell of the code, quiet zone included, is black on white, whatever the terminal's theme."""
    for y in range(code.size.height):
        for segment in code.render_line(y):
            assert segment.style is not None and segment.style.bgcolor is not None, segment
            assert segment.style.bgcolor.get_truecolor() == (255, 255, 255), segment
            if segment.text.strip():
                assert segment.style.color is not None and segment.style.color.get_truecolor() == (0, 0, 0), segment


async def test_q_shows_the_code_of_a_location_and_arrows_change_location(tmp_path: Path) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock)
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("q")
        hq = expected_url(db, "hq", clock)
        await until(pilot, lambda: shown_url(app) == hq)
        assert hq.startswith(f"{PUBLIC_URL}/p/")
        assert app.screen.query_one(QrCode).lines == tuple(render(hq))
        assert_dark_on_light(app.screen.query_one(QrCode))
        assert hq in static_text(app, "#qr-panel .qr-url")
        code = hq.rsplit("/", 1)[1]
        typed = static_text(app, "#qr-panel .qr-typed")
        assert f"{code[:4]}-{code[4:8]}-{code[8:]}" in typed and PUBLIC_URL in typed
        assert "Headquarters" in static_text(app, "#qr-title")

        await pilot.press("right")
        juba = expected_url(db, "juba", clock)
        await until(pilot, lambda: shown_url(app) == juba)
        assert app.screen.query_one(QrCode).lines == tuple(render(juba))
        assert "Juba" in static_text(app, "#qr-title")
        with Store.open(db) as store:
            settings, programme = load_settings(store), fold(store.events()).programme
        assert programme is not None
        grant = verify(settings, programme, juba.rsplit("/", 1)[1], clock.now())
        assert grant is not None and grant.location == "juba"

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LeadScreen)
        await pilot.press("q")  # opens on the location shown last
        await until(pilot, lambda: shown_url(app) == juba)
        await pilot.press("left")
        await until(pilot, lambda: shown_url(app) == hq)


async def test_a_co_facilitator_sees_their_own_location_first(tmp_path: Path) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock)
    app = FacilitatorApp(db_path=db, actor="amina", clock=clock, role="co", location="juba")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("q")
        await until(pilot, lambda: shown_url(app) == expected_url(db, "juba", clock))


async def test_the_code_is_redrawn_when_the_token_rotates(tmp_path: Path) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock)
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("q")
        before = expected_url(db, "hq", clock)
        await until(pilot, lambda: shown_url(app) == before)
        link = qr_panel(app).link
        assert link is not None
        lines_before = app.screen.query_one(QrCode).lines

        clock.advance(link.token.valid_until - clock.now() - timedelta(seconds=5))
        await pilot.pause(1.5)  # the panel checks once a second; its token is still the current one
        assert shown_url(app) == before

        clock.advance(timedelta(seconds=6))
        after = expected_url(db, "hq", clock)
        assert after != before
        await until(pilot, lambda: shown_url(app) == after)
        assert app.screen.query_one(QrCode).lines == tuple(render(after)) != lines_before
        assert after in static_text(app, "#qr-panel .qr-url")


async def test_a_new_public_address_saved_by_the_server_reaches_the_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qr_widget, "SETTINGS_SECONDS", 0.2)
    clock = FakeClock()
    db = make_run(tmp_path, clock)
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("q")
        await until(pilot, lambda: shown_url(app) == expected_url(db, "hq", clock))
        with Store.open(db, clock=clock) as store:  # facilitator serve --public-url, started afterwards
            save_settings(store, rotate=timedelta(minutes=30), grace=timedelta(minutes=5), public_url="https://x.org")
        await until(pilot, lambda: (shown_url(app) or "").startswith("https://x.org/p/"))
        assert shown_url(app) == expected_url(db, "hq", clock)


async def test_a_large_screen_draws_the_code_larger(tmp_path: Path) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock)
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(pilot)
        await pilot.press("q")
        hq = expected_url(db, "hq", clock)
        await until(pilot, lambda: shown_url(app) == hq)
        await pilot.pause()
        assert app.screen.query_one(QrCode).lines == tuple(render(hq, scale=2))  # 74 × 37 of 160 × 46 left
        await pilot.resize_terminal(100, 30)
        await until(pilot, lambda: app.screen.query_one(QrCode).lines == tuple(render(hq)))


@pytest.mark.parametrize(("size", "drawn"), [((120, 40), True), ((80, 24), False)])
async def test_the_room_view_shows_its_location_code_where_it_fits(
    tmp_path: Path, size: tuple[int, int], drawn: bool
) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock, load_workshop(DEMO_FOLDER).programme)
    url = expected_url(db, "unmiss", clock)
    app = RoomApp(db_path=db, actor="room", clock=clock, location="unmiss", claim_presence=False)
    async with app.run_test(size=size) as pilot:
        panel = app.query_one(LocationQr)
        await until(pilot, lambda: panel.link is not None and panel.link.url == url)
        await pilot.pause()
        code = app.query_one(QrCode)
        assert code.display is drawn
        assert code.lines == (tuple(render(url)) if drawn else ())
        hint = app.query_one(".qr-too-small", Static)
        assert hint.display is not drawn  # a clipped code scans as nothing: say so instead
        code_text = url.rsplit("/", 1)[1]
        assert f"{code_text[:4]}-{code_text[4:8]}-{code_text[8:]}" in str(app.query_one(".qr-typed", Static).render())


# -- join requests -----------------------------------------------------------------------------------


def ask(db: Path, clock: FakeClock, name: str, email: str, location: str, *, request_id: str) -> None:
    """The participant page records a request, from its own process."""
    with_session(db, clock, lambda s: s.request_to_join(name, email, location, request_id=request_id), "page")


def request_rows(app: FacilitatorApp) -> list[str]:
    assert isinstance(app.screen, RequestsScreen), f"the requests screen is not open: {app.screen!r}"
    table = app.screen.query_one("#requests-table", DataTable)
    return [str(row.key.value) for row in table.ordered_rows]


async def test_a_request_is_announced_and_approving_adds_the_person_to_the_roster(tmp_path: Path) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock)
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        ask(db, clock, "Zainab Okafor", "zainab@example.org", "juba", request_id="r1")
        await until(pilot, lambda: any("Zainab Okafor (JUBA) asks" in n for n in notifications(app)))
        await pilot.press("J")
        await until(pilot, lambda: request_rows(app) == ["r1"])
        await pilot.press("y")
        await until(pilot, lambda: request_rows(app) == [])
        await app.workers.wait_for_complete()
    _, attendance, events = stored(db)
    added = [p for p in attendance.roster.by_id.values() if p.email == "zainab@example.org"]
    assert len(added) == 1
    assert (added[0].name, added[0].location) == ("Zainab Okafor", "juba")
    decided = attendance.requests.by_id["r1"]
    assert decided.decision == "approved" and decided.participant == added[0].id
    assert len([e for e in events if e.kind == ev.PARTICIPANT_REQUEST_DECIDED]) == 1


async def test_declining_a_request_leaves_the_roster_as_it_was(tmp_path: Path) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock)
    ask(db, clock, "Ben Mensah", "ben@example.org", "hq", request_id="r1")
    clock.advance(60)
    ask(db, clock, "[bold]Eve[/] <b>", "eve@example.org", "juba", request_id="r2")
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        # Requests made while no TUI was open are announced once, together.
        await until(pilot, lambda: any("2 people ask" in n for n in notifications(app)))
        await pilot.press("J")
        await until(pilot, lambda: request_rows(app) == ["r1", "r2"])
        table = app.screen.query_one("#requests-table", DataTable)
        assert "[bold]Eve[/] <b>" in table.render_line(2).text  # markup stays literal
        await pilot.press("down", "n")
        await until(pilot, lambda: request_rows(app) == ["r1"])
        await app.workers.wait_for_complete()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LeadScreen)
    _, attendance, _ = stored(db)
    assert attendance.requests.by_id["r2"].decision == "declined"
    assert attendance.requests.by_id["r1"].pending
    assert not attendance.roster.by_id  # nobody was added


async def test_j_opens_the_requests_from_the_attendance_screen_and_escape_goes_back(tmp_path: Path) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock)
    ask(db, clock, "Ben Mensah", "ben@example.org", "hq", request_id="r1")
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AttendanceScreen))
        await pilot.press("J")
        await until(pilot, lambda: isinstance(app.screen, RequestsScreen) and request_rows(app) == ["r1"])
        await pilot.press("y")
        await until(pilot, lambda: request_rows(app) == [])
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AttendanceScreen)
    _, attendance, _ = stored(db)
    assert [p.name for p in attendance.roster.by_id.values()] == ["Ben Mensah"]


async def test_a_co_facilitator_for_one_location_sees_only_its_requests(tmp_path: Path) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock)
    ask(db, clock, "Ben Mensah", "ben@example.org", "hq", request_id="r1")
    ask(db, clock, "Zainab Okafor", "zainab@example.org", "juba", request_id="r2")
    app = FacilitatorApp(db_path=db, actor="amina", clock=clock, role="co", location="juba", own_location_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await until(pilot, lambda: any("Zainab Okafor (JUBA) asks" in n for n in notifications(app)))
        assert not any("Ben Mensah" in n for n in notifications(app))
        await pilot.press("J")
        await until(pilot, lambda: request_rows(app) == ["r2"])


# -- hiding reflections and the live feed --------------------------------------------------------------


def feed_text(app: FacilitatorApp) -> str:
    screen = next(s for s in app.screen_stack if isinstance(s, LeadScreen))
    return str(screen.query_one(ReflectionsFeed).render())


async def test_hiding_a_reflection_takes_it_out_of_the_feed_and_h_shows_it_again(tmp_path: Path) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock)

    def seed(s: Session) -> None:
        s.log_reflection("Budgets show priorities", reflection_id="a")
        clock.advance(60)
        s.log_reflection("Buy my product at example.com", reflection_id="spam", source="qr")

    with_session(db, clock, seed)
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert "Buy my product" in feed_text(app)
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ReflectionsScreen)
        assert "from the participant page" in static_text(app, "#reflection-detail-text")
        await pilot.press("h")  # the newest, highlighted first
        await until(pilot, lambda: app.state.reflections["spam"].hidden)
        table = app.screen.query_one("#reflections-table", DataTable)
        assert [str(r.key.value) for r in table.ordered_rows] == ["a"]
        assert "1 hidden" in static_text(app, "#reflections-status")

        await pilot.press("t")  # hidden ones are listed with the retracted ones, marked
        await pilot.pause()
        assert [str(r.key.value) for r in table.ordered_rows] == ["spam", "a"]
        assert "italic" in str(table.get_row("spam")[-1].style)
        await pilot.press("up")  # the cursor stayed on "a"
        await pilot.pause()
        assert "HIDDEN" in static_text(app, "#reflection-detail-text")
        await pilot.press("escape")
        await pilot.pause()
        assert "Buy my product" not in feed_text(app)
        assert "Budgets show priorities" in feed_text(app)
    state, _, events = stored(db)
    assert state.reflections["spam"].hidden
    assert [e.payload for e in events if e.kind == ev.REFLECTION_HIDDEN] == [{"reflection": "spam", "hidden": True}]

    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert "Buy my product" not in feed_text(app)
        await pilot.press("R")
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("up", "h")  # the hidden one, shown again
        await until(pilot, lambda: not app.state.reflections["spam"].hidden)
        await pilot.press("escape")
        await until(pilot, lambda: "Buy my product" in feed_text(app))


async def test_a_reflection_sent_from_a_phone_appears_in_the_feed(tmp_path: Path) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock)
    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert "No reflections yet" in feed_text(app)

        def from_the_page(s: Session) -> None:
            s.log_reflection("Ask who is missing from the room", location="juba", source="qr", reflection_id="p1")

        with_session(db, clock, from_the_page, "participant-page")
        await until(pilot, lambda: "Ask who is missing from the room" in feed_text(app))
        assert app.state.reflections["p1"].source == "qr"


# -- snapshots ---------------------------------------------------------------------------------------


async def quiet(pilot: Pilot[Any]) -> None:
    """No toasts: they would cover the screen and time out at their own pace."""
    await ready(pilot)
    await pilot.pause(0.2)
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", LAYOUT_SIZES)
def test_qr_screen_snapshot(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock, load_workshop(DEMO_FOLDER).programme)
    url = expected_url(db, "unmiss", clock)

    async def open_unmiss(pilot: Pilot[Any]) -> None:
        await quiet(pilot)
        await pilot.press("q", "right")
        await until(pilot, lambda: shown_url(pilot.app) == url)  # type: ignore[arg-type]
        await pilot.pause()

    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    assert snap_compare(app, terminal_size=size, run_before=open_unmiss)


@pytest.mark.parametrize("size", LAYOUT_SIZES)
def test_room_view_with_its_code_snapshot(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock, load_workshop(DEMO_FOLDER).programme)
    url = expected_url(db, "unmiss", clock)

    async def shown(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: (link := pilot.app.query_one(LocationQr).link) is not None and link.url == url)
        await pilot.pause()

    app = RoomApp(db_path=db, actor="room", clock=clock, location="unmiss", claim_presence=False)
    assert snap_compare(app, terminal_size=size, run_before=shown)


def test_requests_screen_snapshot(snap_compare: Any, tmp_path: Path) -> None:
    clock = FakeClock()
    db = make_run(tmp_path, clock, load_workshop(DEMO_FOLDER).programme)
    ask(db, clock, "Zainab Okafor", "zainab.okafor@example.org", "unmiss", request_id="r1")
    clock.advance(timedelta(minutes=3))
    ask(db, clock, "Jean-Pierre Habimana", "jp.habimana@example.org", "monusco", request_id="r2")

    async def open_requests(pilot: Pilot[Any]) -> None:
        await quiet(pilot)
        await pilot.press("J")
        await until(pilot, lambda: request_rows(pilot.app) == ["r1", "r2"])  # type: ignore[arg-type]
        await pilot.pause()

    app = FacilitatorApp(db_path=db, actor="lead", clock=clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_requests)


def test_the_requests_watch_hands_its_worker_a_method_not_a_coroutine() -> None:
    """A state that arrives as the app quits: Textual refuses the worker, and a coroutine made for it beforehand
    would never be awaited (a RuntimeWarning at the app's end). The worker is given the method to call."""
    from facilitator.live.state import SessionState
    from facilitator.tui.screens.requests import RequestWatch

    given: list[object] = []

    class Closing:
        def run_worker(self, work: object, **_: object) -> None:
            given.append(work)  # refused: never run

    watch = RequestWatch(Closing())  # type: ignore[arg-type]
    watch.state_changed(SessionState(last_seq=1))
    assert len(given) == 1
    assert callable(given[0]) and not inspect.iscoroutine(given[0])
