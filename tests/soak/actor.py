"""One member of the soak test's cast, run as a real process that the test kills with SIGKILL at random.

    python tests/soak/actor.py ROLE --db RUN --name NAME --out DIR [--location ID] [--seed N]

ROLE is ``lead`` (opens each day when the simulated clock reaches it, moves through the steps, pauses,
extends), ``co`` (checks the people of its location in and out, logs reflections, sends notes, sets the
link) or ``room`` (only follows, polling ``PRAGMA data_version`` as the room view does). The time is the
scaled clock the test puts in ``FACILITATOR_CLOCK``.

Every event a command returned, that is every committed and acknowledged action, is appended to
``DIR/NAME.acks`` at once; ``DIR/NAME.alive`` counts loops so the test can tell a hung process from a busy
one. On SIGTERM the actor folds in the log's latest events and writes what it shows to
``DIR/NAME.final.json`` with the ``seq`` it has read up to, for the test to compare with a replay.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import time
import zoneinfo
from datetime import timedelta
from pathlib import Path
from typing import Any

from facilitator.attendance.intervals import Attendance
from facilitator.live.session import Session
from facilitator.live.state import SessionState
from facilitator.problems import InputError, StoreError
from facilitator.record.events import Event
from facilitator.record.store import Store
from facilitator.script.models import Anonymity

REFLECTIONS = (
    "Gender analysis has to start before the budget is drawn up.",
    "<script>alert('x')</script> [bold]not markup[/bold]",
    "Nous devons consulter les femmes des communautés dès le départ.",
    "The WPS agenda is everyone's job, not the gender adviser's alone.",
)
NOTES = ("five more minutes", "lost audio here", "we are back", "slow down a little")


def summary(state: SessionState, attendance: Attendance) -> dict[str, Any]:
    """What a process shows: the current step and timer, the driver, reflections, notes and who is in."""
    timer = state.timer
    return {
        "day": state.day.isoformat() if state.day else None,
        "exercise": state.exercise,
        "step": state.step,
        "timer": None
        if timer is None
        else {
            "entered_at": timer.entered_at.isoformat(),
            "paused": timer.paused,
            "adjustment": timer.adjustment.total_seconds(),
            "paused_total": timer.paused_total.total_seconds(),
        },
        "driver": state.driver,
        "reflections": sorted(r.id for r in state.visible_reflections()),
        "notes": len(state.notes),
        "in": sorted(p for p in attendance.roster.by_id if attendance.is_in(p)),
        "links": {loc.id: attendance.link_status(loc.id) for loc in state.programme.workshop.locations}
        if state.programme
        else {},
    }


class Actor:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.random = random.Random(args.seed)
        self.store = Store.open(Path(args.db))
        role = {"lead": "lead", "co": "co", "room": "observer"}[args.role]
        self.session = Session(
            self.store, actor=args.name, role=role, location=args.location, own_location_only=args.role == "co"
        )
        out = Path(args.out)
        self.acks = (out / f"{args.name}.acks").open("a", encoding="utf-8")
        self.alive = out / f"{args.name}.alive"
        self.final = out / f"{args.name}.final.json"
        self.loops = 0
        self.stopping = False
        self.data_version = -1

    def ack(self, result: Event | list[Event] | None) -> None:
        events = result if isinstance(result, list) else [result] if result is not None else []
        for event in events:
            self.acks.write(event.id + "\n")
        self.acks.flush()  # the page cache survives SIGKILL; only the process dies

    def lead(self) -> None:
        session = self.session
        programme = session.programme
        today = session.store.clock.now().astimezone(zoneinfo.ZoneInfo(programme.workshop.timezone)).date()
        days = [d.date for d in programme.workshop.days if d.date <= today]
        if days and session.state.day != days[-1]:
            self.ack(session.open_day(days[-1]))
            return
        roll = self.random.random()
        if roll < 0.6:
            self.ack(session.next_step())
        elif roll < 0.7:
            self.ack(session.resume() if session.state.timer and session.state.timer.paused else session.pause())
        elif roll < 0.8:
            self.ack(session.adjust(timedelta(minutes=self.random.choice((1, 5, -1)))))
        elif roll < 0.85:
            self.ack(session.previous_step())

    def co(self) -> None:
        session = self.session
        people = session.attendance.roster.at(self.args.location)
        roll = self.random.random()
        if roll < 0.65 and people:
            person = self.random.choice(people)
            if session.attendance.is_in(person.id, "facilitator"):
                self.ack(session.check_out(person.id))
            else:
                self.ack(session.check_in(person.id))
        elif roll < 0.85 and session.state.current is not None:
            anonymity = session.prompt_anonymity()
            name = self.random.choice(people).name if people else "Someone"
            participant = None if anonymity is Anonymity.ANONYMOUS else name
            text = self.random.choice(REFLECTIONS)
            self.ack(session.log_reflection(text, participant=participant, location=self.args.location))
        elif roll < 0.9:
            self.ack(session.send_note(self.random.choice(NOTES)))
        elif roll < 0.95:
            status = self.random.choice(("connected", "dropped", "connected"))
            self.ack(session.set_link(self.args.location, status))

    def room(self) -> None:
        version = self.store.data_version()
        if version != self.data_version:
            self.data_version = version
            self.session.refresh()

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        if self.args.role != "room":
            self.ack(self.session.announce())
        act = getattr(self, self.args.role)
        pause = (0.05, 0.05) if self.args.role == "room" else (0.08, 0.3)
        while not self.stopping:
            try:
                act()
            except InputError:
                pass  # a refusal (the day's end, a step another process just moved): nothing was written
            except StoreError as exc:
                sys.stderr.write(f"{self.args.name}: {exc}\n")
            self.loops += 1
            self.alive.write_text(f"{self.loops} {time.time()}", encoding="utf-8")
            time.sleep(self.random.uniform(*pause))
        self.session.refresh()
        state, attendance = self.session.state, self.session.attendance
        shown = {"last_seq": state.last_seq, "summary": summary(state, attendance)}
        temporary = self.final.with_suffix(".tmp")
        temporary.write_text(json.dumps(shown), encoding="utf-8")
        temporary.replace(self.final)
        return 0

    def stop(self, signum: int, frame: object) -> None:
        self.stopping = True


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=("lead", "co", "room"))
    parser.add_argument("--db", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--location")
    parser.add_argument("--seed", type=int, default=0)
    return Actor(parser.parse_args()).run()


if __name__ == "__main__":
    sys.exit(main())
