"""Breakout groups and who speaks, end to end (issue 17): the lead in a real terminal (tmux) makes two groups
with the make-groups form (``B``); a phone (headless Chromium on ``facilitator serve``), left open on its page,
learns its group, the others' first names and its call without a reload; a co-facilitator logged in over SSH
(a real sshd on 127.0.0.1, ``facilitator join`` pinned to the key) tallies three turns with ``s`` and stops the
clock with ``.``; the lead's screen shows the step's turns and the shares by gender and location; and
``facilitator export`` holds the groups as recorded and every turn.

The workshop is tests/test_groups.py's: the tiny one with a third location (goma). The lead stays on its first
step (intro), which asks for no groups, so the only groups are those the form makes.
"""

from __future__ import annotations

import csv
import os
import re
import shlex
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from facilitator.groups.groupings import Grouping, Groupings
from facilitator.live.session import Session
from facilitator.participant_page import tokens
from facilitator.record import events as ev
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.sshd import Sshd, sshd_fixture  # noqa: F401  (the sshd fixture)
from tests.test_groups import programme_data
from tests.test_web_browser import serving
from tests.tools import BIN, Tmux, require, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.slow

PEOPLE = [  # name, id, location, gender, personal code (the phones' people have one)
    ("Ada Lovelace", "ada", "hq", "female", "K7Q2-XY89"),
    ("Bea Nkosi", "bea", "juba", "female", "M3P8-ZR41"),
    ("Chidi Okafor", "chidi", "goma", "male", "T5W9-HN27"),
    ("Dana Scully", "dana", "hq", "female", None),
    ("Emeka Obi", "emeka", "juba", "male", None),
    ("Farah Haddad", "farah", "goma", "female", None),
    ("Gustav Berg", "gustav", "hq", "male", None),
    ("Hiro Tanaka", "hiro", "juba", "not stated", None),
]
CALL = "https://meet.example.org/room-{n}"
# What the co-facilitator types in the speaker picker, and whom it picks.
SPEAKERS = [("chid", "chidi"), ("farah", "farah"), ("gust", "gustav")]


@pytest.fixture
def terminals() -> Iterator[list[Tmux]]:
    opened: list[Tmux] = []
    yield opened
    for terminal in opened:
        terminal.kill()


def terminal(opened: list[Tmux], command: str, cwd: Path) -> Tmux:
    tmux = Tmux(f"facilitator-gs-{os.getpid()}-{uuid.uuid4().hex[:6]}", width=140, height=45)
    opened.append(tmux)
    tmux.start(command, cwd=cwd)
    return tmux


def phone_for(browser: Browser, base: str, token: str, email: str, code: str) -> Page:
    """A phone that opened the link and said who it is: checked in."""
    page = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="en-GB").new_page()
    page.goto(f"{base}/p/{token}")
    page.fill("#email", email)
    page.fill("#personal-code", code.replace("-", ""))
    page.click("form[action*='/identify'] button")
    page.wait_for_selector("#checked-in")
    return page


def styled(tmux: Tmux) -> list[str]:
    """The screen's lines with their colours, as tmux draws them (escape sequences included)."""
    argv = [tmux.tmux, "-L", tmux.socket, "capture-pane", "-e", "-p", "-t", "t"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False).stdout.splitlines()


def focused(tmux: Tmux) -> str | None:
    """Which of the make-groups form's text fields has the focus: the one whose border is drawn in the colour of
    the form's frame (Textual's focused border), as the terminal's text alone does not say. Size, count, call,
    duration, or None (none of them, or the form is not drawn)."""
    lines = styled(tmux)
    title = next((line for line in lines if "Make breakout groups" in line), None)
    frame = re.search(r"(\x1b\[38;[0-9;]+m)(?:\x1b\[[0-9;]*m)*█", title or "")
    if frame is None:
        return None
    found = []
    for line in lines:
        borders = re.findall(r"((?:\x1b\[[0-9;]*m)*)▊", line)  # the escapes each field's left border is drawn with
        for label, names in (("Group size", ("size", "count")), ("Call", ("call",)), ("Duration", ("duration",))):
            if label in line and len(borders) == len(names):
                found += [name for name, border in zip(names, borders, strict=True) if frame.group(1) in border]
    return found[0] if len(found) == 1 else None


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def recorded(db: Path) -> list[Grouping]:
    with Store.open(db) as store:
        return Groupings.from_events(e for e in store.events() if e.kind.startswith("groups.")).groupings


@pytest.mark.slow
def test_the_lead_makes_groups_a_phone_sees_its_own_a_co_tallies_turns_and_the_export_holds_both(
    tmp_path: Path, terminals: list[Tmux], sshd: Sshd
) -> None:
    from playwright.sync_api import sync_playwright

    chromium = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else require("chromium")
    db = tmp_path / "run.db"
    with Store.create(db, Programme.validate(programme_data()), actor="setup") as store:
        setup = Session(store, actor="setup")
        for name, pid, location, gender, code in PEOPLE:
            setup.add_participant(name, f"{pid}@example.org", location, participant_id=pid, gender=gender, code=code)
        links = {
            location: tokens.issue(tokens.load_settings(store), store.programme(), location, store.clock.now()).code
            for location in ("hq", "juba", "goma")
        }
    person = {pid: (name, location, gender) for name, pid, location, gender, _ in PEOPLE}

    with serving(db) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            lead = terminal(terminals, f"facilitator run --db {db} --as lead", tmp_path)
            lead.wait_for_text("Press n to start")
            lead.send("n")
            lead.wait_for_text("▶ 09:00 Intro")
            co = terminal(terminals, shlex.join(sshd.ssh_argv(sshd.authorize_join("amina", db, role="co"))), tmp_path)

            phones = {
                pid: phone_for(browser, base, links[location], f"{pid}@example.org", code)
                for _, pid, location, _, code in PEOPLE
                if code is not None
            }
            for page in phones.values():
                page.evaluate("window.neverReloaded = true")  # this very document: a reload would lose it
                assert page.locator("#group").count() == 0  # no groups yet
            with Store.open(db) as store:  # everyone else checked in by a facilitator
                desk = Session(store, actor="setup")
                for pid in person.keys() - phones.keys():
                    desk.check_in(pid)

            counts = ("New York 3/4", "Juba 3/3", "Lubumbashi 2/2")  # the lead's location strip: present/expected
            assert wait_for(lambda: all(count in lead.screen() for count in counts)), lead.screen()
            lead.send("B")  # the make-groups form; the group size (4, the proposal) has the focus
            lead.wait_for_text("Of the people checked in now (8)")
            assert wait_for(lambda: focused(lead) == "size"), styled(lead)
            lead.send("Tab")
            assert wait_for(lambda: focused(lead) == "count"), styled(lead)
            lead.send("2")  # two groups: typing a count clears the size
            lead.wait_for_text("▊  people  ▎ or groups ▊  2 ")
            lead.send("Tab", "Tab", "Tab")  # past the two mix boxes, both ticked
            assert wait_for(lambda: focused(lead) == "call"), styled(lead)
            lead.send(CALL)
            lead.wait_for_text(f"▊  {CALL} ")  # typed in full (the placeholder shows it too, after "optional:")
            lead.send("Enter")
            made = lead.wait_for_text("Group 2 · 4 people")  # the groups screen opens
            (grouping,) = recorded(db)
            assert (grouping.count, grouping.size, grouping.made_by) == (2, None, "lead")
            assert (grouping.exercise, grouping.step, grouping.mix) == ("warm-up", "intro", ("location", "gender"))
            assert sorted(m for g in grouping.groups for m in g.members) == sorted(person)
            assert [(g.number, len(g.members), g.call) for g in grouping.groups] == [
                (n, 4, CALL.format(n=n)) for n in (1, 2)
            ]
            for group in grouping.groups:  # shown as made, each with its share of every location (3, 3 and 2)
                assert f"Group {group.number} · 4 people · {CALL.format(n=group.number)}" in made
                assert all(person[m][0] in made for m in group.members)
                located = Counter(person[m][1] for m in group.members)
                assert (located["goma"], sorted((located["hq"], located["juba"]))) == (1, [1, 2]), made

            # Each phone, open all along, follows by itself (its script asks every ten seconds): its group, the
            # others by first name, the group's call as a link; the same document, never reloaded.
            for pid, page in phones.items():
                page.wait_for_selector("#group-members", timeout=30_000)
                own = grouping.group_of(pid)
                assert own is not None
                others = sorted(person[m][0].split()[0] for m in own.members if m != pid)
                listed = f"{', '.join(others[:-1])} and {others[-1]}"
                assert page.inner_text("#group-members") == f"You are in group {own.number} with {listed}."
                assert page.get_attribute("#group-call a", "href") == CALL.format(n=own.number)
                assert page.inner_text("#groups-live") == "The groups have changed."
                assert page.evaluate("window.neverReloaded") is True

            lead.send("Escape")  # back to the main screen
            lead.wait_for_text("▶ 09:00 Intro")
            co.wait_for_text("amina (co)")
            for letters, pid in SPEAKERS:
                name, location, _ = person[pid]
                co.send("s")
                co.wait_for_text("Who speaks?")
                co.send(letters)
                co.wait_for_text(f"{name} — {location}")
                co.send("Enter")
                co.wait_for_text(f"speaking: {name}")
            co.send(".")  # stop the clock
            co.wait_for_text("nobody speaking (s picks) · this step: 3 turns")

            # The lead's screen: the co-facilitator's three turns, each group's share of the speaking time
            # against its share of the people present (female 4 of 8, male 3, not stated 1; hq 3, juba 3, goma 2).
            screen = lead.wait_for_text("nobody speaking (s picks) · this step: 3 turns")
            assert re.search(r"time by gender: female \d+% of 50% · male \d+% of 38% · not stated 0% of 13%", screen)
            assert re.search(r"time by location: HQ \d+% of 38% · JUBA 0% of 38% · GOMA \d+% of 25%", screen)
            lead.send("S")  # the full tally: people present, turns and time of each
            full = lead.wait_for_text("This step: 8 present, 3 turns")
            assert "Today: 8 present, 3 turns" in full
            for row in (r"female +4 \(50%\) +1 \(33%\)", r"male +3 \(38%\) +2 \(67%\)", r"GOMA +2 \(25%\) +2 \(67%\)"):
                assert re.search(row, full), full
            lead.send("Escape")
            lead.wait_for_text("▶ 09:00 Intro")
            lead.send("C-q")  # not the day's last step: nothing to ask
            lead.wait_for_text("EXITED 0")
            co.send("C-q")
            co.wait_for_text("EXITED 0")
        finally:
            browser.close()

    with Store.open(db) as store:
        tallied = [(e.kind, e.actor) for e in store.events() if e.kind.startswith("speaking.")]
    assert tallied == [(ev.SPEAKING_STARTED, "amina")] * 3 + [(ev.SPEAKING_STOPPED, "amina")]

    out = tmp_path / "export"
    done = subprocess.run(
        [str(BIN / "facilitator"), "export", "--db", str(db), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    grouped = rows(out / "groups.csv")
    assert sorted((row["participant_id"], int(row["group"]), row["call"], row["joined"]) for row in grouped) == sorted(
        (m, g.number, g.call, "made") for g in grouping.groups for m in g.members
    )
    assert {row["grouping"] for row in grouped} == {grouping.id}
    assert {(row["exercise"], row["step"]) for row in grouped} == {("warm-up", "intro")}
    turns = rows(out / "speaking_turns.csv")
    assert [(row["participant_id"], row["name"], row["location"], row["gender"]) for row in turns] == [
        (pid, *person[pid]) for _, pid in SPEAKERS
    ]
    assert all(row["ended_utc"] and float(row["seconds"]) >= 0 for row in turns)
    summary = {
        (row["step"], row["by"], row["group"]): (row["turns"], row["present"])
        for row in rows(out / "speaking_summary.csv")
    }
    for step in ("", "intro"):  # the day, then the step
        assert summary[(step, "gender", "female")] == ("1", "4")
        assert summary[(step, "gender", "male")] == ("2", "3")
        assert summary[(step, "gender", "not stated")] == ("0", "1")
        assert summary[(step, "location", "hq")] == ("1", "3")
        assert summary[(step, "location", "juba")] == ("0", "3")
        assert summary[(step, "location", "goma")] == ("2", "2")
    assert len(summary) == 12
