"""Who may do what in a run (facilitator.team.roles, enforced by Session), with a fake clock and one SQLite file.

Each person is a Session on their own connection, as each SSH login is its own process.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from facilitator.config import Config, load_config
from facilitator.live.session import Session
from facilitator.live.state import SessionState, fold
from facilitator.problems import InputError
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from facilitator.team import presence
from facilitator.team.identity import resolve, ssh_client
from facilitator.team.roles import CO, LEAD, OBSERVER, NotAllowed, drives

FACILITATOR = [sys.executable, "-m", "facilitator"]
T = TypeVar("T")


@pytest.fixture
def db(run_store: Store) -> Path:
    """The tiny run, with the lead joined, two people at each location and the first step entered."""
    lead = Session(run_store, actor="lead")
    lead.announce()
    for name, location in (("Ana", "hq"), ("Ben", "hq"), ("Chol", "juba"), ("Deng", "juba")):
        lead.add_participant(name, f"{name.lower()}@example.org", location, participant_id=name.lower())
    lead.next_step()
    lead.next_step()
    lead.check_in("ana")
    return run_store.path


class Team:
    """Sessions of several people on one run, each on its own connection, closed at the end."""

    def __init__(self, db: Path, clock: FakeClock) -> None:
        self.db = db
        self.clock = clock
        self.stores: list[Store] = []

    def join(self, actor: str, role: str = CO, *, announce: bool = True, **limits: object) -> Session:
        store = Store.open(self.db, clock=self.clock)
        self.stores.append(store)
        session = Session(store, actor=actor, role=role, **limits)  # type: ignore[arg-type]
        if announce:
            session.announce()
        return session

    def close(self) -> None:
        for store in self.stores:
            store.close()


@pytest.fixture
def team(db: Path, fake_clock: FakeClock) -> Iterator[Team]:
    people = Team(db, fake_clock)
    yield people
    people.close()


def saved(db: Path) -> SessionState:
    with Store.open(db) as store:
        return fold(store.events())


def online(session: Session, clock: FakeClock) -> presence.Presence:
    """Claim a presence row for ``session``'s person, as their app does on opening."""
    exclusive = session.role == LEAD
    return presence.claim(session.store, actor=session.actor, role=session.role, exclusive=exclusive, clock=clock)


# -- who may do what -------------------------------------------------------------------------------


def test_the_first_lead_to_join_drives_and_a_co_does_not(team: Team) -> None:
    lead = team.join("lead", LEAD, announce=False)
    amina = team.join("amina")
    assert lead.state.driver == "lead"
    assert lead.driving and not amina.driving
    assert drives(None, "anyone", LEAD) and not drives(None, "amina", CO) and drives("amina", "amina", CO)


@pytest.mark.parametrize(
    "command",
    [
        lambda s: s.next_step(),
        lambda s: s.previous_step(),
        lambda s: s.pause(),
        lambda s: s.adjust(timedelta(minutes=1)),
        lambda s: s.enter_step("reflect", "write"),
        lambda s: s.open_day(s.programme.workshop.days[1].date),
    ],
    ids=["next", "previous", "pause", "adjust", "enter", "open-day"],
)
def test_only_the_driver_moves_steps_and_the_timer(team: Team, command: object) -> None:
    amina = team.join("amina")
    before = amina.state.last_seq
    with pytest.raises(NotAllowed, match=r"^lead is driving: ask for control first$"):
        command(amina)  # type: ignore[operator]
    assert amina.refresh() == [] and amina.state.last_seq == before


def test_a_co_does_the_room_s_work(team: Team) -> None:
    amina = team.join("amina")
    amina.check_in("chol")
    amina.check_out("ana")
    amina.mark("ben", amina.programme.workshop.days[0].date, "late")
    amina.set_link("juba", "connected")
    amina.log_reflection("We learnt a lot")
    amina.send_note("five more minutes")
    asked = amina.request_control()
    assert asked is not None and (asked.kind, asked.actor) == (ev.CONTROL_REQUESTED, "amina")
    state = saved(team.db)
    assert state.notes[-1].text == "five more minutes" and state.control_requests == ("amina",)
    assert amina.attendance.is_in("chol", "facilitator")


@pytest.mark.parametrize(
    "command",
    [
        lambda s: s.check_in("ana"),
        lambda s: s.check_out("ana"),
        lambda s: s.everyone_present("hq"),
        lambda s: s.mark("ana", s.programme.workshop.days[0].date, "late"),
        lambda s: s.set_link("hq", "dropped"),
        lambda s: s.log_reflection("hello"),
        lambda s: s.add_participant("Eve", "eve@example.org", "hq"),
        lambda s: s.edit_participant("ana", name="Anna"),
        lambda s: s.send_note("hello"),
        lambda s: s.request_control(),
        lambda s: s.take_control(),
        lambda s: s.hand_control("lead"),
        lambda s: s.next_step(),
        lambda s: s.pause(),
    ],
)
def test_observers_only_look(team: Team, command: object) -> None:
    olu = team.join("olu", OBSERVER)
    assert olu.state.facilitators["olu"].role == OBSERVER  # joining is the one thing an observer writes
    before = olu.state.last_seq
    with pytest.raises(NotAllowed, match=r"^observers only look"):
        command(olu)  # type: ignore[operator]
    olu.refresh()
    assert olu.state.last_seq == before


def test_a_co_limited_to_their_own_location(team: Team) -> None:
    amina = team.join("amina", location="juba", own_location_only=True)
    amina.check_in("chol")
    amina.set_link("juba", "connected")
    amina.everyone_present("juba")
    for refused in (
        lambda: amina.check_in("ana"),
        lambda: amina.check_in("chol", location="hq"),
        lambda: amina.check_out("ana"),
        lambda: amina.set_link("hq", "connected"),
        lambda: amina.everyone_present("hq"),
        lambda: amina.mark("ana", amina.programme.workshop.days[0].date, "excused"),
        lambda: amina.add_participant("Eve", "eve@example.org", "hq"),
        lambda: amina.edit_participant("ana", name="Anna"),
        lambda: amina.edit_participant("chol", location="hq"),
    ):
        with pytest.raises(NotAllowed, match=r"^location: you work for juba only, not hq$"):
            refused()
    unlimited = team.join("bob", location="juba")
    checked_in = unlimited.check_in("ben")
    assert checked_in is not None and (checked_in.kind, checked_in.actor) == (ev.ATTENDANCE_CHECKED_IN, "bob")
    assert checked_in.payload["participant"] == "ben" and unlimited.attendance.is_in("ben")


def test_a_location_limit_needs_a_known_location(db: Path, fake_clock: FakeClock) -> None:
    with Store.open(db, clock=fake_clock) as store:
        with pytest.raises(InputError, match="needs that location"):
            Session(store, actor="amina", role=CO, own_location_only=True)
        with pytest.raises(
            InputError, match=r"location: no location 'jubba' in this workshop \(did you mean 'juba'\?\)"
        ):
            Session(store, actor="amina", role=CO, location="jubba")
        with pytest.raises(InputError, match="role: 'boss'"):
            Session(store, actor="amina", role="boss")


# -- control ---------------------------------------------------------------------------------------


def test_asking_twice_or_while_driving_writes_nothing(team: Team) -> None:
    lead, amina = team.join("lead", LEAD), team.join("amina")
    assert lead.request_control() is None
    asked = amina.request_control()
    assert asked is not None and (asked.kind, asked.actor) == (ev.CONTROL_REQUESTED, "amina")
    assert amina.request_control() is None
    assert amina.state.control_requests == ("amina",)


def test_the_driver_hands_control_to_a_co_who_then_drives(team: Team) -> None:
    lead, amina, bob = team.join("lead", LEAD), team.join("amina"), team.join("bob")
    amina.request_control()
    bob.request_control()
    lead.hand_control("amina")
    assert lead.state.driver == "amina" and lead.state.control_requests == ("bob",)
    stepped = amina.next_step()
    assert stepped is not None and (stepped.kind, stepped.actor) == (ev.STEP_ENTERED, "amina")
    assert (amina.state.exercise, amina.state.step) == ("reflect", "write")
    with pytest.raises(NotAllowed, match=r"^amina is driving: ask for control first$"):
        lead.next_step()
    with pytest.raises(NotAllowed, match="amina is driving"):
        lead.hand_control("bob")  # only the driver hands control on
    amina.hand_control("lead")
    stepped = lead.next_step()
    assert stepped is not None and (stepped.kind, stepped.actor) == (ev.STEP_ENTERED, "lead")
    assert (lead.state.driver, lead.state.exercise, lead.state.step) == ("lead", "reflect", "share")


def test_handing_control_to_nobody_an_observer_or_yourself_is_refused(team: Team) -> None:
    lead = team.join("lead", LEAD)
    team.join("amina")
    team.join("olu", OBSERVER)
    with pytest.raises(InputError, match=r"nobody called 'amna' has joined this run \(did you mean 'amina'\?\)"):
        lead.hand_control("amna")
    with pytest.raises(InputError, match="olu is an observer"):
        lead.hand_control("olu")
    with pytest.raises(InputError, match="lead is driving already"):
        lead.hand_control("lead")
    assert lead.state.driver == "lead"


def test_the_driver_declines_a_request(team: Team) -> None:
    lead, amina = team.join("lead", LEAD), team.join("amina")
    amina.request_control()
    with pytest.raises(NotAllowed):
        amina.decline_control("amina")
    lead.decline_control("amina")
    assert lead.state.control_requests == () and lead.state.driver == "lead"
    with pytest.raises(InputError, match="amina has not asked for control"):
        lead.decline_control("amina")
    again = amina.request_control()  # may ask again
    assert again is not None and again.kind == ev.CONTROL_REQUESTED
    assert lead.refresh() and lead.state.control_requests == ("amina",)


def test_a_handover_between_a_refresh_and_a_command_counts(team: Team) -> None:
    """Both sessions read the state before the handover; the write lock decides who drives."""
    lead, amina = team.join("lead", LEAD), team.join("amina")
    other_lead = team.join("lead", LEAD, announce=False)  # the lead's second process (or a retried command)
    lead.refresh()
    amina.refresh()
    assert lead.driving and not amina.driving  # what each last saw
    other_lead.hand_control("amina")
    with pytest.raises(NotAllowed, match="amina is driving"):
        lead.enter_step("reflect", "write")  # no refresh of its own before the write: the lock catches it
    entered = amina.enter_step("reflect", "write")  # stale too, and allowed: it drives now
    assert (entered.kind, entered.actor, entered.payload["step"]) == (ev.STEP_ENTERED, "amina", "write")
    assert saved(team.db).step == "write"


def test_take_control_is_refused_while_the_driver_is_connected(team: Team, fake_clock: FakeClock) -> None:
    lead, amina = team.join("lead", LEAD), team.join("amina")
    online(lead, fake_clock)  # this very process: alive
    fake_clock.advance(timedelta(seconds=9))
    with pytest.raises(NotAllowed, match=r"^lead is still connected \(last seen 9 s ago\); ask them for control"):
        amina.take_control(after=timedelta(seconds=10), clock=fake_clock)
    assert amina.state.driver == "lead"


def test_take_control_after_the_driver_s_heartbeat_expires(team: Team, fake_clock: FakeClock) -> None:
    lead, amina = team.join("lead", LEAD), team.join("amina")
    row = online(lead, fake_clock)
    fake_clock.advance(timedelta(seconds=8))
    presence.heartbeat(lead.store, row, clock=fake_clock)  # a heartbeat resets the wait
    fake_clock.advance(timedelta(seconds=8))
    with pytest.raises(NotAllowed):
        amina.take_control(after=timedelta(seconds=10), clock=fake_clock)
    fake_clock.advance(timedelta(seconds=2))
    event = amina.take_control(after=timedelta(seconds=10), clock=fake_clock)
    assert event.kind == ev.CONTROL_TAKEN and event.payload == {"from": "lead"}
    assert amina.driving and amina.state.control_requests == ()
    stepped = amina.next_step()
    assert stepped is not None and (stepped.kind, stepped.actor) == (ev.STEP_ENTERED, "amina")
    assert (amina.state.exercise, amina.state.step) == ("reflect", "write")
    with pytest.raises(NotAllowed, match="amina is driving"):
        lead.next_step()
    with pytest.raises(InputError, match="you are driving already"):
        amina.take_control(clock=fake_clock)


def test_a_room_view_under_the_driver_s_name_does_not_block_a_takeover(team: Team, fake_clock: FakeClock) -> None:
    team.join("lead", LEAD)
    amina = team.join("amina")
    presence.claim(amina.store, actor="lead", role="room", exclusive=False, clock=fake_clock)
    assert amina.take_control(clock=fake_clock).payload == {"from": "lead"}


def test_take_control_at_once_when_the_driver_s_process_is_dead(team: Team, fake_clock: FakeClock) -> None:
    lead, amina = team.join("lead", LEAD), team.join("amina")
    online(lead, fake_clock)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    lead.store.write(lambda c: c.execute("UPDATE presence SET pid = ? WHERE actor = 'lead'", (int(dead.stdout),)))
    assert amina.take_control(after=timedelta(minutes=10), clock=fake_clock).payload == {"from": "lead"}


def test_take_control_when_the_driver_left(team: Team, fake_clock: FakeClock) -> None:
    lead, amina = team.join("lead", LEAD), team.join("amina")
    row = online(lead, fake_clock)
    presence.leave(lead.store, row.connection)
    amina.take_control(clock=fake_clock)
    assert lead.refresh()[-1].kind == ev.CONTROL_TAKEN
    assert not lead.driving


def test_before_any_lead_joined_a_connected_lead_still_blocks_a_takeover(
    run_store: Store, fake_clock: FakeClock
) -> None:
    presence.claim(run_store, actor="lead", role=LEAD, clock=fake_clock)  # an older lead app that never announced
    with Store.open(run_store.path, clock=fake_clock) as store:
        amina = Session(store, actor="amina", role=CO)
        with pytest.raises(NotAllowed, match="lead is still connected"):
            amina.take_control(clock=fake_clock)


def test_a_takeover_that_races_a_handover_is_refused(
    team: Team, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lead hands control to bob just after amina's refresh, before her takeover is written."""
    lead, amina = team.join("lead", LEAD), team.join("amina")
    team.join("bob")
    write = amina.store.write

    def handover_first(work: Callable[[sqlite3.Connection], T]) -> T:
        monkeypatch.setattr(amina.store, "write", write)
        lead.hand_control("bob")  # another process, committing in that moment
        return write(work)

    monkeypatch.setattr(amina.store, "write", handover_first)
    with pytest.raises(NotAllowed, match=r"^control has just passed to bob$"):
        amina.take_control(clock=fake_clock)
    amina.refresh()
    assert amina.state.driver == "bob"


# -- notes -----------------------------------------------------------------------------------------


def test_a_note_goes_to_the_driver_once_cleaned(team: Team) -> None:
    lead, amina = team.join("lead", LEAD), team.join("amina")
    event = amina.send_note("  five more\nminutes  ")
    note = lead.refresh() and lead.state.notes[-1]
    assert note and note.text == "five more minutes" and note.to == "lead" and note.sender == "amina"
    assert note.seq == event.seq
    with pytest.raises(InputError, match="a note cannot be empty"):
        amina.send_note("   ")
    with pytest.raises(InputError, match="at most 280 characters"):
        amina.send_note("x" * 281)


def test_joining_records_role_location_and_where_from(team: Team) -> None:
    amina = team.join("amina", location="juba", announce=False)
    amina.announce(address="192.0.2.7")
    member = team.join("lead", LEAD).state.facilitators["amina"]
    assert (member.role, member.location, member.address) == (CO, "juba", "192.0.2.7")


# -- identity --------------------------------------------------------------------------------------


def test_identity_from_as_env_or_login_mapped_through_the_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[facilitators.amina]\nname = "Amina Diallo"\nlocation = "unmiss"\nrole = "observer"\n', encoding="utf-8"
    )
    config = load_config(path)
    env = {"USER": "amina", "SSH_CONNECTION": "192.0.2.7 50022 10.0.0.1 22"}
    me = resolve(None, config=config, environ=env)
    assert (me.name, me.login, me.role, me.location, me.address) == (
        "Amina Diallo",
        "amina",
        "observer",
        "unmiss",
        "192.0.2.7",
    )
    assert resolve(None, config=config, environ={"USER": "bob", "FACILITATOR_AS": "amina"}).name == "Amina Diallo"
    assert resolve("carol", config=config, environ=env).name == "carol"
    assert resolve(None, config=Config(), environ={"USER": "dan"}).name == "dan"
    with pytest.raises(InputError, match=r"^--as: '  ' cannot be empty$"):
        resolve("  ", environ={})
    with pytest.raises(InputError, match="contains control characters"):
        resolve("a\x1b[31m", environ={})


def test_ssh_client_address_is_read_only_when_well_formed() -> None:
    assert ssh_client({"SSH_CONNECTION": "2001:db8::1 51000 2001:db8::2 22"}) == "2001:db8::1"
    assert ssh_client({"SSH_CONNECTION": "not-an-ip 1 2 3"}) is None
    assert ssh_client({"SSH_CONNECTION": "192.0.2.7"}) is None
    assert ssh_client({}) is None


def test_a_bad_facilitators_table_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[facilitators.amina]\nrole = "lead"\nemail = "x"\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_config(path)
    lines = caught.value.lines()
    assert any("facilitators.amina.role" in line and "'co' or 'observer'" in line for line in lines)
    assert any("facilitators.amina.email" in line for line in lines)


# -- the join command --------------------------------------------------------------------------------


def join(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FACILITATOR, "join", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
        env={"PATH": "/usr/bin:/bin", "USER": "amina", "FACILITATOR_CONFIG": "/nonexistent/config.toml"},
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "lead"), "--role: 'lead' is not one of co, observer (the lead opens the run with `run`)"),
        (("--location", "jubba"), "location: no location 'jubba' in this workshop (did you mean 'juba'?)"),
        (("--own-location-only",), "location: limiting a co-facilitator to their own location needs that location"),
        (("--takeover-after", "-1"), "--takeover-after: -1 is not between 0 and 3600 seconds"),
        (("--as", " "), "--as: ' ' cannot be empty"),
        ((), "the app needs a terminal (run it in a terminal, not with its input or output redirected)"),
    ],
)
def test_join_refuses_bad_input_with_one_line(db: Path, args: tuple[str, ...], message: str) -> None:
    result = join("--db", db, *args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == message
    with Store.open(db) as store:
        assert presence.present(store) == []  # nothing left behind


def test_join_refuses_a_missing_database(tmp_path: Path) -> None:
    result = join("--db", tmp_path / "none.db")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no such run database" in result.stderr


def test_tiny_programme_has_the_locations_these_tests_use(tiny_programme: Programme) -> None:
    assert [loc.id for loc in tiny_programme.workshop.locations] == ["hq", "juba"]


def test_a_config_naming_the_old_confirmation_ids_keeps_working(tmp_path: Path) -> None:
    from facilitator.tui.bindings import binding_ids

    path = tmp_path / "config.toml"
    path.write_text('[keys]\nconfirm-takeover = "j"\ncancel-everyone = "k"\n', encoding="utf-8")
    config = load_config(path, binding_ids=binding_ids())
    assert config.keys == {"choice-yes": "j", "choice-no": "k"}
