"""Days that end, end to end: the demo's five days on five simulated mornings, and a day left open past midnight.

Every process (the lead's app in a real terminal, ``facilitator serve`` taking check-ins from "phones" over
HTTP, ``facilitator export``) reads the same simulated time from ``FACILITATOR_CLOCK`` (a ScaledClock), so
a morning of the workshop passes in seconds. Between mornings nothing runs: the day that runs next is found
by the app itself from the calendar, and a day left open is closed on the record, at its inferred end, by
the first process that notices (here the next morning's app, which starts before any phone checks in).
Expected ends are computed here from the log, independently of ``facilitator.live.days``: the pace forecast at
the team's last action, capped at the workshop's midnight.
"""

from __future__ import annotations

import csv
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from facilitator.attendance.intervals import Attendance
from facilitator.live.register import Register
from facilitator.live.session import Session
from facilitator.live.state import fold
from facilitator.participant_page import tokens
from facilitator.record import events as ev
from facilitator.record.clock import CLOCK_ENV, FakeClock, ScaledClock, to_text
from facilitator.record.events import Event
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.script.models import PlannedStep, Programme
from tests.conftest import DEMO_FOLDER
from tests.tools import BIN, Tmux, free_port, healthy, wait_for

pytestmark = pytest.mark.slow

NY = zoneinfo.ZoneInfo("America/New_York")
# Simulated seconds per real second. Nothing here waits for simulated time to pass (a morning's late part is a
# restart on a later clock), so a lower factor costs nothing and leaves a slow machine more simulated margin.
FACTOR = 200.0
# On the demo roster (no personal codes, so the e-mail identifies): A every morning, B on days 1, 3 and 5, C never.
A = "sofia.marquez@example.org"  # hq
B = "amina.deng@example.org"  # unmiss
C = "peter.akot@example.org"  # unmiss
LOCATION = {A: "hq", B: "unmiss", C: "unmiss"}
ROUNDING = 0.05  # the CSV exports write minutes to a tenth


# -- helpers ----------------------------------------------------------------------------------------------


def ny(on: date, hhmm: str) -> datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime(on.year, on.month, on.day, hours, minutes, tzinfo=NY)


def midnight_after(moment: datetime) -> datetime:
    local = moment.astimezone(NY).date() + timedelta(days=1)
    return datetime(local.year, local.month, local.day, tzinfo=NY)


def clock_from(start: datetime, factor: float = FACTOR) -> ScaledClock:
    """Simulated time that is ``start`` now and runs ``factor`` times faster than real time."""
    return ScaledClock([(time.time(), start)], factor)


def env_with(clock: ScaledClock) -> dict[str, str]:
    return {**os.environ, CLOCK_ENV: clock.to_env()}


def facilitator(*args: str, clock: ScaledClock, cwd: Path) -> str:
    done = subprocess.run(
        [str(BIN / "facilitator"), *args],
        cwd=cwd,
        env=env_with(clock),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def lead_command(db: Path, clock: ScaledClock) -> str:
    return f"{CLOCK_ENV}={shlex.quote(clock.to_env())} facilitator run --db {db} --as lead"


def all_events(db: Path) -> list[Event]:
    with Store.open(db) as store:
        return store.events()


def the_programme(db: Path) -> Programme:
    with Store.open(db) as store:
        return store.programme()


def timeline(programme: Programme, on: date) -> tuple[PlannedStep, ...]:
    return programme.timeline(programme.day(on))


def marker(step: PlannedStep) -> str:
    """The agenda's line for ``step`` as the current one: "▶ 08:00 Check-in and recap of Day 1" (the title as
    far as it is never cut short, so the recaps of different days differ)."""
    return f"▶ {step.start.astimezone(NY):%H:%M} {step.step.title[:27]}"


def local_date(moment: datetime) -> date:
    return moment.astimezone(NY).date()


def closes(events: list[Event]) -> dict[str, list[Event]]:
    found: dict[str, list[Event]] = {}
    for event in events:
        if event.kind == ev.DAY_CLOSED:
            found.setdefault(event.payload["day"], []).append(event)
    return found


@dataclass
class Replay:
    """The driver's step as this test replays it (independently of facilitator.live.state / facilitator.live.days)."""

    day: date
    exercise: str
    step: str
    entered: datetime
    planned: timedelta
    adjustment: timedelta = timedelta()
    paused_total: timedelta = timedelta()
    paused_since: datetime | None = None

    def remaining(self, at: datetime) -> timedelta:
        paused = self.paused_total + ((at - self.paused_since) if self.paused_since is not None else timedelta())
        return self.planned + self.adjustment - (at - self.entered - paused)


def expected_inferred_end(events: list[Event], programme: Programme, day: date) -> datetime:
    """Where ``day``, left open, ends: at the team's last action on it (a step entered, a pause, a resume, an
    extension), that moment + what was left of the step + the planned minutes of the day's later steps,
    never later than the workshop's midnight after that action."""
    current: Replay | None = None
    last: tuple[datetime, Replay] | None = None
    for event in events:
        p = event.payload
        if event.kind == ev.STEP_ENTERED:
            on = date.fromisoformat(p["day"])
            planned = next(
                s for s in timeline(programme, on) if (s.exercise.id, s.step.id) == (p["exercise"], p["step"])
            )
            current = Replay(on, p["exercise"], p["step"], event.at, planned.step.duration)
        elif event.kind in (ev.DAY_OPENED, ev.DAY_CLOSED):
            current = None
        elif current is None:
            continue
        elif event.kind == ev.TIMER_ADJUSTED:
            current.adjustment += timedelta(seconds=p["seconds"])
        elif event.kind == ev.TIMER_PAUSED and current.paused_since is None:
            current.paused_since = event.at
        elif event.kind == ev.TIMER_RESUMED and current.paused_since is not None:
            current.paused_total += event.at - current.paused_since
            current.paused_since = None
        else:
            continue
        if current is not None and current.day == day:
            last = (event.at, Replay(**current.__dict__))
    assert last is not None, f"nothing was done on {day}"
    at, then = last
    steps = timeline(programme, day)
    index = next(i for i, s in enumerate(steps) if (s.exercise.id, s.step.id) == (then.exercise, then.step))
    later = sum((s.step.duration for s in steps[index + 1 :]), timedelta())
    forecast = at + max(then.remaining(at), timedelta()) + later
    return min(forecast, midnight_after(at))


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, f"no {name} field on the page:\n{html[:2000]}"
    return found.group(1)


def check_in_by_phone(db: Path, base: str, clock: ScaledClock, email: str) -> None:
    """A phone scans the code shown at the person's location, says who it is, and sees that it is checked in."""
    location = LOCATION[email]
    with Store.open(db, clock=clock) as store:
        token = tokens.issue(tokens.load_settings(store), store.programme(), location, clock.now()).code
    with httpx.Client(base_url=base, timeout=10) as phone:
        page = phone.get(f"/p/{token}")
        assert page.status_code == 200, page.text
        form = {"csrf": hidden(page.text, "csrf"), "sid": hidden(page.text, "sid"), "email": email, "code": ""}
        answer = phone.post(f"/p/{token}/identify", data=form)
        assert answer.status_code == 303, answer.text
        shown = phone.get(answer.headers["location"])
        assert "You are checked in (at " in shown.text, shown.text


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as rows:
        return list(csv.DictReader(rows))


def utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def minutes_of(span: timedelta) -> float:
    return span.total_seconds() / 60


class Server:
    """``facilitator serve`` on a free port, on the given clock."""

    def __init__(self, db: Path, clock: ScaledClock, log: Path) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.log = log.open("ab")
        command = [str(BIN / "facilitator"), "serve", "--db", str(db), "--port", str(port)]
        # Codes that last longer than a morning: this test is about days, not about rotation.
        command += ["--rotate", "4h", "--grace", "1h"]
        self.process = subprocess.Popen(command, env=env_with(clock), stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self) -> None:
        assert wait_for(lambda: healthy(self.base), timeout=30), f"serve never answered; see {self.log.name}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()


@pytest.fixture
def terminal() -> Iterator[Callable[[], Tmux]]:
    """Makes fresh 140x40 terminals, each its own tmux server, and kills them all at the end."""
    made: list[Tmux] = []

    def make() -> Tmux:
        made.append(Tmux(f"facilitator-days-{os.getpid()}-{uuid.uuid4().hex[:6]}", width=140, height=40))
        return made[-1]

    yield make
    for tmux in made:
        tmux.kill()


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


# -- five real mornings ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Morning:
    number: int
    day: date
    phones: tuple[str, ...]  # who checks in from a phone, before the first step
    early: int  # steps entered from the start of the day, one `n` each
    extend: bool = False  # then `+`: a minute more (the team's last action is then an extension)
    late: str | None = None  # the lead comes back at this time ("HH:MM") the same morning...
    ending: str = "quit"  # quit: ctrl+q mid-day, left open; leave: ctrl+q on the last step, n (left open);
    #                       close: d and the picker's "Close the day"; close-on-quit: ctrl+q on the last step, y


MORNINGS = (
    Morning(1, date(2022, 8, 22), (A, B), early=3),
    Morning(2, date(2022, 8, 23), (A,), early=2, late="11:10", ending="leave"),
    Morning(3, date(2022, 8, 24), (A, B), early=3, late="11:25", ending="close"),
    Morning(4, date(2022, 8, 25), (A,), early=4, extend=True),
    Morning(5, date(2022, 8, 26), (A, B), early=2, late="10:45", ending="close-on-quit"),
)
LEFT_OPEN = {m.day for m in MORNINGS if m.ending in ("quit", "leave")}


def play_morning(
    morning: Morning, db: Path, tmp_path: Path, terminal: Callable[[], Tmux], servers: list[Server]
) -> None:
    programme = the_programme(db)
    steps = timeline(programme, morning.day)
    title = f"Day {morning.number}, {morning.day:%a %d %b}"
    clock = clock_from(ny(morning.day, "07:55"))
    server = Server(db, clock, tmp_path / f"serve-{morning.number}.log")
    servers.append(server)
    tmux = terminal()
    tmux.start(lead_command(db, clock), cwd=tmp_path)

    # The app opens the day dated today by itself, and says so.
    tmux.wait_for_text(f"{title} is open.")
    if morning.number > 1:
        before = MORNINGS[morning.number - 2]
        end = closes(all_events(db)).get(before.day.isoformat())
        assert end, f"starting on {morning.day}, the app did not close {before.day}"
        at = datetime.fromisoformat(end[0].payload["at"]).astimezone(NY)
        if before.day in LEFT_OPEN:  # closed just now, by this app: it says so
            tmux.wait_for_text(f"Day {before.number}, {before.day:%a %d %b} closed at {at:%H:%M}")
    server.wait()
    for email in morning.phones:
        check_in_by_phone(db, server.base, clock, email)
    assert clock.now() < ny(morning.day, "08:30"), "the morning started too slowly for the plan"

    for step in steps[: morning.early]:
        tmux.send("n")
        tmux.wait_for_text(marker(step))
    if morning.extend:
        count = sum(e.kind == ev.TIMER_ADJUSTED for e in all_events(db))
        tmux.send("+")
        assert wait_for(lambda: sum(e.kind == ev.TIMER_ADJUSTED for e in all_events(db)) == count + 1)

    if morning.late is not None:
        # The lead leaves mid-morning (the day stays open and running) and comes back near its end.
        tmux.send("C-q")
        tmux.wait_for_text("EXITED 0")
        tmux.kill()
        server.stop()
        assert clock.now() < ny(morning.day, morning.late)
        clock = clock_from(ny(morning.day, morning.late))
        tmux = terminal()
        tmux.start(lead_command(db, clock), cwd=tmp_path)
        tmux.wait_for_text(marker(steps[morning.early - 1]))
        tmux.wait_for_text("resumed")
        if morning.ending in ("leave", "close-on-quit"):
            for step in steps[morning.early :]:
                tmux.send("n")
                tmux.wait_for_text(marker(step))

    if morning.ending == "quit":
        tmux.send("C-q")  # mid-day: no question, the day is left open
    elif morning.ending == "leave":
        tmux.send("C-q")
        tmux.wait_for_text("Close the day?")
        tmux.send("n")  # quit, leave it open
    elif morning.ending == "close-on-quit":
        tmux.send("C-q")
        tmux.wait_for_text("Close the day?")
        tmux.send("y")  # close the day and quit
    else:
        tmux.send("d")
        tmux.wait_for_text(f"Close the day ({morning.day:%a %d %b}) now")
        tmux.send("Home")  # the picker highlights the current day; the close option is the first
        tmux.send("Enter")
        tmux.wait_for_text(f"{title} closed at")
        tmux.send("C-q")  # a closed day has no current step: no question
    tmux.wait_for_text("EXITED 0")
    tmux.kill()
    server.stop()


def test_five_real_mornings(tmp_path: Path, terminal: Callable[[], Tmux], servers: list[Server]) -> None:
    workshop = Path(shutil.copytree(DEMO_FOLDER, tmp_path / "workshop"))
    db = tmp_path / "run.db"
    evening_before = clock_from(ny(date(2022, 8, 21), "18:00"), 1)
    facilitator("init", str(workshop), "--db", str(db), "--as", "organiser", clock=evening_before, cwd=tmp_path)
    imported = facilitator(
        "roster", "import", str(workshop / "roster.csv"), "--db", str(db), "--as", "organiser",
        clock=evening_before, cwd=tmp_path,
    )  # fmt: skip
    assert "added 60" in imported
    started = time.monotonic()

    for morning in MORNINGS:
        play_morning(morning, db, tmp_path, terminal, servers)
    played = time.monotonic() - started

    out = tmp_path / "export"
    saturday = clock_from(ny(date(2022, 8, 27), "09:00"), 1)
    facilitator("export", "--db", str(db), "--out", str(out), "--format", "csv", clock=saturday, cwd=tmp_path)

    events = all_events(db)
    programme = the_programme(db)
    assert [d.date for d in programme.workshop.days] == [m.day for m in MORNINGS]
    check_days_run_on_their_dates(events, programme)
    ends = check_one_close_per_day(events, programme)
    spans = check_timeline(read_csv(out / "timeline_days.csv"), events, ends)
    check_attendance(db, out, events, programme, spans)
    for log in tmp_path.glob("serve-*.log"):
        assert "Traceback" not in log.read_text(errors="replace"), log.name
    sys.stderr.write(
        f"five mornings played in {played:.0f} s; spans (min): {[round(minutes_of(s)) for s in spans.values()]}\n"
    )


def entered_steps(events: list[Event]) -> list[Event]:
    return [e for e in events if e.kind == ev.STEP_ENTERED]


def check_days_run_on_their_dates(events: list[Event], programme: Programme) -> None:
    """Each morning the app opened the day dated that morning, by itself, once; `n` entered that day's steps."""
    days = [m.day for m in MORNINGS]
    opened = [e for e in events if e.kind == ev.DAY_OPENED]
    assert [(e.payload["day"], e.payload.get("auto"), local_date(e.at)) for e in opened] == [
        (d.isoformat(), True, d) for d in days
    ]
    entered = entered_steps(events)
    wrong = [(e.payload["day"], e.at.isoformat()) for e in entered if e.payload["day"] != local_date(e.at).isoformat()]
    assert not wrong, f"steps entered on another date than their day's: {wrong}"
    # The old bug: on later mornings, `n` went on with Monday's steps.
    assert not [e for e in entered if e.payload["day"] == "2022-08-22" and local_date(e.at) > date(2022, 8, 22)]
    for morning in MORNINGS:
        mine = [
            (e.payload["exercise"], e.payload["step"]) for e in entered if e.payload["day"] == morning.day.isoformat()
        ]
        steps = timeline(programme, morning.day)
        run = morning.early if morning.ending in ("quit", "close") else len(steps)
        assert mine == [(s.exercise.id, s.step.id) for s in steps[:run]], morning


def check_one_close_per_day(events: list[Event], programme: Programme) -> dict[date, datetime]:
    """Exactly one close per day, on its own date and before its midnight: inferred where the day was left open
    (written by the next morning's app, at the forecast at the last action), the driver's where it was closed."""
    ends: dict[date, datetime] = {}
    by_day = closes(events)
    assert sorted(by_day) == [m.day.isoformat() for m in MORNINGS]
    for morning in MORNINGS:
        (close,) = by_day[morning.day.isoformat()]
        at = datetime.fromisoformat(close.payload["at"])
        ends[morning.day] = at
        assert local_date(at) == morning.day and at < midnight_after(ny(morning.day, "12:00"))
        assert at >= max(e.at for e in entered_steps(events) if e.payload["day"] == morning.day.isoformat())
        if morning.day in LEFT_OPEN:
            assert close.payload["inferred"] is True
            assert close.payload["at"] == to_text(expected_inferred_end(events, programme, morning.day))
            assert local_date(close.at) == morning.day + timedelta(days=1), "not written by the next morning's app"
            assert close.actor == "lead"
        else:
            assert close.payload["inferred"] is False
            # The driver's close: the moment they closed (read just before the write), late in the morning.
            assert timedelta() <= close.at - at < timedelta(minutes=1)
            assert morning.late is not None
            assert ny(morning.day, morning.late) <= at < ny(morning.day, morning.late) + timedelta(minutes=60)
    return ends


def check_timeline(
    rows: list[dict[str, str]], events: list[Event], ends: dict[date, datetime]
) -> dict[date, timedelta]:
    """Five days run, each from its first step to its end on the record; the spans (actual end - actual start)."""
    by_day = {row["day"]: row for row in rows}
    assert sorted(by_day) == [m.day.isoformat() for m in MORNINGS]
    spans: dict[date, timedelta] = {}
    for morning in MORNINGS:
        row = by_day[morning.day.isoformat()]
        first = min(e.at for e in entered_steps(events) if e.payload["day"] == morning.day.isoformat())
        assert row["status"] == "done", row
        assert abs(utc(row["actual_start_utc"]) - first) <= timedelta(seconds=1), row  # written to the second
        assert abs(utc(row["actual_end_utc"]) - ends[morning.day]) <= timedelta(seconds=1), row
        assert row["end_inferred"] == ("yes" if morning.day in LEFT_OPEN else "no"), row
        spans[morning.day] = ends[morning.day] - first
    return spans


def check_attendance(
    db: Path, out: Path, events: list[Event], programme: Programme, spans: dict[date, timedelta]
) -> None:
    """Nobody's minutes on a day exceed the day's span; A (in before the first step, never out) counts the whole
    span, B only on days 1, 3 and 5, C never. Exactly from the register, then as exported (the CSV rounds minutes
    to a tenth). A has the certificate; B and C have not."""
    days = [m.day for m in MORNINGS]
    with Store.open(db) as store:
        ids = {
            email: row[0]
            for email in (A, B, C)
            for row in store.conn.execute("SELECT id FROM participants WHERE email = ?", (email,)).fetchall()
        }
    present = {A: set(days), B: {days[0], days[2], days[4]}, C: set()}
    register = Register(fold(events), Attendance.from_events(events), ny(date(2022, 8, 27), "09:00"))
    for person in register.attendance.roster.by_id:
        attended = register.by_day(person)
        assert all(attended[day] <= spans[day] for day in days), (person, attended, spans)
    for email, there in present.items():
        assert register.by_day(ids[email]) == {day: spans[day] if day in there else timedelta() for day in days}

    by_day_rows = read_csv(out / "attendance_by_day.csv")
    assert len(by_day_rows) == 60 * len(days)
    for row in by_day_rows:
        assert float(row["minutes"]) <= minutes_of(spans[date.fromisoformat(row["day"])]) + ROUNDING, row
    for email, there in present.items():
        rows = {r["day"]: r for r in by_day_rows if r["participant_id"] == ids[email]}
        for day in days:
            row = rows[day.isoformat()]
            expected = minutes_of(spans[day]) if day in there else 0.0
            assert float(row["minutes"]) == pytest.approx(expected, abs=ROUNDING), (email, row)
            assert row["status"] == ("present" if day in there else "absent"), (email, row)

    planned = sum((programme.planned_duration(d) for d in programme.workshop.days), timedelta())
    required = minutes_of(planned) * programme.workshop.attendance.certificate_share
    assert required == 816  # 80% of 4 x 210 + 180 minutes
    certificates = {row["participant_id"]: row for row in read_csv(out / "certificates.csv")}
    assert len(certificates) == 60
    for email, there in present.items():
        row = certificates[ids[email]]
        total = sum((minutes_of(spans[d]) for d in there), 0.0)
        assert float(row["attended_minutes"]) == pytest.approx(total, abs=ROUNDING), row
        assert float(row["required_minutes"]) == pytest.approx(required), row
        assert row["eligible"] == ("yes" if email == A else "no"), (email, row, total, required)
    assert sum(minutes_of(spans[d]) for d in present[B]) < required <= sum(minutes_of(s) for s in spans.values())


# -- a day left open with the app running past midnight ----------------------------------------------------


@dataclass(frozen=True)
class Evening:
    day: date
    actions: tuple[tuple[str, str], ...]  # (HH:MM, what the driver did then through the engine)
    left_on: str  # the agenda's line for the step the day was left on
    end: datetime  # the inferred end, worked out by hand: the forecast at the last action, capped at midnight
    next_day: date | None  # the workshop day dated the new date, which the app opens


EVENINGS = {
    # An evening session: Introductions (15 min) entered at 21:40, with 170 planned minutes after it: the
    # forecast (00:45) runs past midnight, so the day ends at midnight. Tuesday is a workshop day.
    "monday-into-tuesday": Evening(
        date(2022, 8, 22),
        (("08:00", "next"), ("08:12", "next"), ("21:40", "next")),
        "▶ 08:25 Introductions",
        ny(date(2022, 8, 23), "00:00"),
        date(2022, 8, 23),
    ),
    # The last action is an extension: "What makes a good commitment" (10 min) entered 08:09, paused 08:15 to
    # 08:20, 5 minutes added at 08:25: 10 + 5 - 11 = 4 minutes left, then 160 planned minutes: 11:09. No
    # workshop day on Saturday, so only the close is written.
    "friday-into-saturday": Evening(
        date(2022, 8, 26),
        (("08:00", "next"), ("08:09", "next"), ("08:15", "pause"), ("08:20", "resume"), ("08:25", "extend")),
        "▶ 08:10 What makes a good commitment",
        ny(date(2022, 8, 26), "11:09"),
        None,
    ),
}


@pytest.mark.parametrize("name", list(EVENINGS))
def test_the_running_app_closes_a_day_left_open_when_midnight_passes(
    name: str, tmp_path: Path, terminal: Callable[[], Tmux]
) -> None:
    evening = EVENINGS[name]
    programme = load_workshop(DEMO_FOLDER).programme
    number = [d.date for d in programme.workshop.days].index(evening.day) + 1
    db = tmp_path / "run.db"
    fake = FakeClock(ny(evening.day, "07:30"))
    Store.create(db, programme, actor="organiser", clock=fake).close()
    with Store.open(db, clock=fake) as store:
        session = Session(store, actor="lead")
        fake.advance(ny(evening.day, "07:58") - fake.now())
        session.open_day(evening.day)
        for hhmm, action in evening.actions:
            fake.advance(ny(evening.day, hhmm) - fake.now())
            if action == "next":
                session.next_step()
            elif action == "pause":
                session.pause()
            elif action == "resume":
                session.resume()
            else:
                session.adjust(timedelta(minutes=5))
    midnight = midnight_after(ny(evening.day, "12:00"))
    assert expected_inferred_end(all_events(db), programme, evening.day) == evening.end

    # The lead's app runs from 23:46 through the night, a minute a second; nobody touches it.
    clock = clock_from(ny(evening.day, "23:46"), 60)
    tmux = terminal()
    tmux.start(lead_command(db, clock), cwd=tmp_path)
    tmux.wait_for_text(evening.left_on)
    assert clock.now() < midnight, "the app took too long to start for this test's plan"
    before = all_events(db)
    assert closes(before) == {}  # still running before midnight: nothing to close yet

    assert wait_for(lambda: bool(closes(all_events(db))), timeout=60), tmux.screen()
    title = f"Day {number}, {evening.day:%a %d %b}"
    tmux.wait_for_text(f"{title} closed at {evening.end.astimezone(NY):%H:%M}")
    if evening.next_day is not None:
        tmux.wait_for_text(f"Day {number + 1}, {evening.next_day:%a %d %b} is open.")

    events = all_events(db)
    (close,) = closes(events)[evening.day.isoformat()]
    assert close.payload == {"day": evening.day.isoformat(), "at": to_text(evening.end), "inferred": True}
    assert close.actor == "lead"
    assert midnight <= close.at < midnight + timedelta(minutes=15)  # by the running app, soon after midnight
    with Store.open(db) as store:
        visits = store.conn.execute(
            "SELECT step, left_at FROM step_visits WHERE day = ? ORDER BY seq", (evening.day.isoformat(),)
        ).fetchall()
    assert visits[-1][1] == to_text(evening.end)  # the step the day was left on ends with the day
    opened = [e for e in events if e.kind == ev.DAY_OPENED and e.seq > before[-1].seq]
    if evening.next_day is None:
        assert opened == []
        # `n` would reopen the closed day: the app asks first, and escape changes nothing.
        tmux.send("n")
        tmux.wait_for_text("Go back to an earlier day?")
        tmux.wait_for_text("Entering one of its steps reopens it.")
        tmux.send("Escape")
        time.sleep(1)  # a wrong answer would have been written by now
        assert all_events(db)[-1].seq == events[-1].seq
        tmux.send("C-q")  # no step is current: no question
    else:
        (auto,) = opened
        assert auto.payload == {"day": evening.next_day.isoformat(), "auto": True}
        assert auto.seq > close.seq and auto.at >= midnight
        # `n` now starts the new day, not the next step of the one left open.
        tmux.send("n")
        first = timeline(programme, evening.next_day)[0]
        tmux.wait_for_text(marker(first))
        entered = [e for e in all_events(db) if e.kind == ev.STEP_ENTERED][-1]
        assert entered.payload == {
            "day": evening.next_day.isoformat(),
            "exercise": first.exercise.id,
            "step": first.step.id,
        }
        tmux.send("C-q")
    tmux.wait_for_text("EXITED 0")
    assert len(closes(all_events(db))[evening.day.isoformat()]) == 1
