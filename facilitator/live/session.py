"""Commands on a live run: each checks the current state, appends one event, and folds it in.

This is what every client (the lead TUI, co-facilitators, the web page, scripts and tests) calls; none
of them writes events directly.
"""

from __future__ import annotations

import contextlib
import random
import re
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from facilitator.attendance.gender import category, normalise_gender
from facilitator.attendance.intervals import LINK_STATUSES, MARKS, SOURCES, Attendance
from facilitator.attendance.roster import FIELDS, OPTIONAL_FIELDS
from facilitator.groups import making, rules
from facilitator.groups.groupings import LATE, Grouping, Groupings
from facilitator.live import checkpoint, days, reentry
from facilitator.live.register import Register
from facilitator.live.state import SessionState, fold
from facilitator.problems import InputError, StoreError
from facilitator.questions import answers
from facilitator.questions.ballots import Ballots
from facilitator.record import events as ev
from facilitator.record.clock import Clock, SystemClock, from_text, to_text
from facilitator.record.events import Event
from facilitator.record.store import Store, Transaction
from facilitator.script.models import Anonymity, AskedQuestion, Programme, QuestionType, did_you_mean
from facilitator.speaking.tally import STEP, Tally, tally
from facilitator.speaking.tally import window as window_of
from facilitator.speaking.turns import Speaking
from facilitator.team import presence
from facilitator.team.roles import (
    CO,
    DEFAULT_TAKEOVER_AFTER,
    LEAD,
    MAX_NOTE_CHARS,
    OBSERVER,
    NotAllowed,
    check_role,
    drives,
)

MAX_REFLECTION_CHARS = 4000
REFLECTION_SOURCES = ("facilitator", "qr")
READ_CHUNK = 20_000  # events read and folded at a time when a session opens its run


class Outbox(Protocol):
    def append(self, kind: str, payload: dict[str, Any], *, actor: str, event_id: str | None = None) -> Event: ...


class Session:
    """One process's view of the run, acting as ``actor`` in ``role`` (facilitator.team.roles).

    A co-facilitator with ``own_location_only`` may do attendance and set the link only for ``location``.
    """

    def __init__(
        self,
        store: Store,
        *,
        actor: str,
        role: str = LEAD,
        location: str | None = None,
        own_location_only: bool = False,
        outbox: Outbox | None = None,
    ) -> None:
        self.store = store
        # Where the commands that need no decision under the write lock are written: the store itself, or a
        # batch that commits many at once (the participant page's, facilitator.participant_page.desk.Batch).
        self.outbox: Outbox = outbox or store
        self.actor = actor
        self.role = check_role(role)
        if own_location_only and location is None:
            raise InputError("location: limiting a co-facilitator to their own location needs that location")
        self.location = location
        self.own_location_only = own_location_only
        # What was folded up to the run's checkpoint, if this code folded it (facilitator.live.checkpoint): a
        # five-day run then opens by folding only the events after it.
        self.folds = checkpoint.restore(store) or checkpoint.Folds()
        self._unchecked = 0  # events folded since the checkpoint was restored or kept
        # The log is read a chunk at a time, never whole: a five-day run may hold a million events, and as
        # objects they take gigabytes, where what is folded from them takes a fraction of that.
        while self._fold_in(store.events(after=self.state.last_seq, limit=READ_CHUNK)):
            pass
        self._keep_checkpoint()
        if location is not None and self.state.programme is not None:
            self._check_location(location)

    @property
    def programme(self) -> Programme:
        assert self.state.programme is not None
        return self.state.programme

    @property
    def state(self) -> SessionState:
        return self.folds.state

    @property
    def attendance(self) -> Attendance:
        return self.folds.attendance

    @property
    def ballots(self) -> Ballots:
        return self.folds.ballots

    @property
    def groups(self) -> Groupings:
        return self.folds.groups

    @property
    def speaking(self) -> Speaking:
        return self.folds.speaking

    def refresh(self) -> list[Event]:
        """Fold in what other processes appended since we last looked."""
        new = self._fold_in(self.store.events(after=self.state.last_seq))
        self._keep_checkpoint()
        return new

    def _fold_in(self, new: list[Event]) -> list[Event]:
        self.folds.fold_in(new)
        self._unchecked += len(new)
        return new

    def _keep_checkpoint(self) -> None:
        """Keep a checkpoint once ``checkpoint.EVERY`` events have been folded since the last one.

        Only between transactions (inside a command's, the write lock would be held while it is made), and
        never at the cost of what the session was doing: a checkpoint is derived data, and a process that may
        not write (a read-only copy), a busy moment or a full disk only means the next open folds a little more.
        """
        if self._unchecked < checkpoint.EVERY or self.store.conn.in_transaction:
            return
        self._unchecked = 0
        with contextlib.suppress(StoreError, InputError, sqlite3.Error):
            checkpoint.keep(self.store, self.folds)

    def _append(
        self, kind: str, payload: dict[str, Any], event_id: str | None = None, *, driver_only: bool = False
    ) -> Event:
        if kind != ev.FACILITATOR_JOINED:
            self._not_observer()
        if not driver_only:
            self.refresh()
            event = self.outbox.append(kind, payload, actor=self.actor, event_id=event_id)
            self.refresh()
            return event
        return self._drive(lambda latest: [(kind, payload)], event_id)[-1]

    def _drive(self, items: Callable[[SessionState], list[Item]], event_id: str | None = None) -> list[Event]:
        """Write the driver's events that ``items`` makes of the latest state, in one transaction.

        Decided under the write lock, so a handover (or a day closed) committed a moment ago by another
        process counts. ``event_id`` names the last event.
        """
        self._not_observer()

        def work(tx: Transaction) -> list[Event]:
            latest = fold(tx.events(after=self.state.last_seq), self.state)
            if not self._drives(latest):
                raise NotAllowed(self._not_driving_message(latest))
            made = items(latest)
            return [
                tx.append(kind, payload, actor=self.actor, event_id=event_id if i == len(made) - 1 else None)
                for i, (kind, payload) in enumerate(made)
            ]

        written: list[Event] = self.store.transaction(work)
        self.refresh()
        self._after_closes(written)
        return written

    # -- roles and control ---------------------------------------------------------------------------

    def _drives(self, state: SessionState) -> bool:
        return drives(state.driver, self.actor, self.role)

    @property
    def driving(self) -> bool:
        """Whether this process may move steps and the timer now."""
        return self._drives(self.state)

    def _not_driving_message(self, state: SessionState) -> str:
        if self.role == OBSERVER:
            return "observers only look: they cannot change the session"
        driver = state.driver or "the lead"
        return f"{driver} is driving: ask for control first"

    def _not_observer(self) -> None:
        if self.role == OBSERVER:
            raise NotAllowed("observers only look: they cannot change the session")

    def _at_own_location(self, location: str) -> None:
        if self.own_location_only and location != self.location:
            raise NotAllowed(f"location: you work for {self.location} only, not {location}")

    def announce(self, *, address: str | None = None) -> Event:
        """Record that this process's person has joined in its role (and location, and where from)."""
        payload: dict[str, Any] = {"role": self.role, "location": self.location}
        if address:
            payload["from"] = address
        return self._append(ev.FACILITATOR_JOINED, payload)

    def request_control(self) -> Event | None:
        """Ask the driver for control; None (nothing written) when driving already or asked already."""
        self._not_observer()
        self.refresh()
        if self.driving or self.actor in self.state.control_requests:
            return None
        return self._append(ev.CONTROL_REQUESTED, {})

    def hand_control(self, to: str) -> Event:
        """The driver hands control to a facilitator who has joined (accepting a request is this too)."""
        self.refresh()
        person = self.state.facilitators.get(to)
        if person is None:
            names = list(self.state.facilitators)
            raise InputError(f"to: nobody called {to!r} has joined this run{did_you_mean(to, names)}")
        if person.role == OBSERVER:
            raise InputError(f"to: {to} is an observer and cannot drive")
        if to == self.actor:
            raise InputError(f"to: {to} is driving already")
        return self._append(ev.CONTROL_HANDED, {"to": to}, driver_only=True)

    def decline_control(self, requester: str) -> Event:
        self.refresh()
        if requester not in self.state.control_requests:
            raise InputError(f"{requester} has not asked for control")
        return self._append(ev.CONTROL_DECLINED, {"to": requester}, driver_only=True)

    def driver_last_seen(self) -> datetime | None:
        """When the driver's process was last seen by its heartbeat (None: no process of theirs is open)."""
        rows = self.store.conn.execute(*_driver_rows("last_seen", self.state.driver)).fetchall()
        return max((from_text(row[0]) for row in rows), default=None)

    def take_control(self, *, after: timedelta = DEFAULT_TAKEOVER_AFTER, clock: Clock | None = None) -> Event:
        """Take the driver's seat because the driver's process has gone silent for ``after`` (or left).

        The caller asks the person to confirm first; this refuses while the driver is still connected.
        ``clock`` is the one heartbeats are written with: real time (presence.claim's default), even
        when the run's clock is a rehearsal's sped-up one.
        """
        self._not_observer()
        self.refresh()
        if self.driving:
            raise InputError("you are driving already")
        previous = self.state.driver

        def work(tx: Transaction) -> Event:
            latest = fold(tx.events(after=self.state.last_seq), self.state)
            if latest.driver != previous:
                raise NotAllowed(f"control has just passed to {latest.driver}")
            now = (clock or SystemClock()).now()
            host = presence.this_host()
            for row in tx.query(*_driver_rows(presence.COLUMNS, previous)):
                seen = presence.Presence.from_row(row)
                gone = now - seen.last_seen >= after or (seen.host == host and not presence.pid_alive(seen.pid))
                if not gone:
                    silent = max(0, int((now - seen.last_seen).total_seconds()))
                    raise NotAllowed(
                        f"{seen.actor} is still connected (last seen {silent} s ago); ask them for control instead"
                    )
            return tx.append(ev.CONTROL_TAKEN, {"from": previous}, actor=self.actor)

        event = self.store.transaction(work)
        self.refresh()
        return event

    def send_note(self, text: str) -> Event:
        """A short note to the driver, which pops up on their screen."""
        text = " ".join((text or "").split())
        if not text:
            raise InputError("text: a note cannot be empty")
        if len(text) > MAX_NOTE_CHARS:
            raise InputError(f"text: a note may be at most {MAX_NOTE_CHARS} characters")
        self.refresh()
        payload = {"note": uuid.uuid4().hex, "text": text, "to": self.state.driver}
        return self._append(ev.NOTE_SENT, payload)

    # -- moving through the day ----------------------------------------------------------------------

    def open_day(self, on: date, *, auto: bool = False) -> Event:
        """Open ``on`` (no step current yet); a day still open is closed first, in the same transaction.

        ``auto``: opened by the driver's app because the calendar says the day runs today.
        """
        self.programme.day(on)  # KeyError for a day that is not in the workshop
        payload: dict[str, Any] = {"day": on.isoformat()}
        if auto:
            payload["auto"] = True
        now = self.store.clock.now()
        return self._drive(
            lambda latest: [*_leaving(latest, on, now), *_question_closes(latest, None), (ev.DAY_OPENED, payload)]
        )[-1]

    def open_today(self) -> Event | None:
        """Open the workshop's day dated today, if it has not been opened yet (the driver's app does this
        when it starts and when the workshop's midnight passes); None when there is nothing to open."""
        self.refresh()
        if not self.driving:
            return None
        on = days.to_open(self.state, self.store.clock.now())
        return self.open_day(on, auto=True) if on is not None else None

    def keep_calendar(self) -> bool:
        """Write down the end of any day left open and, driving, open the day dated today (every app does
        this at start and every few seconds, so the workshop's midnight is noticed); whether it wrote."""
        closed = self.close_overdue_days()
        opened = self.open_today() if self.role != OBSERVER else None
        return bool(closed) or opened is not None

    def close_day(self) -> Event:
        """The driver ends the current day now (a day already left open ends where it was inferred to)."""
        self.refresh()
        day = self.state.day
        if day is None or not days.started(self.state, day):
            raise InputError("day: no day has started yet, so there is none to close")
        if day in self.state.closed:
            raise InputError(f"day: {day:%a %d %b} is closed already")
        now = self.store.clock.now()

        def close(latest: SessionState) -> list[Item]:
            if day in latest.closed:
                raise InputError(f"day: {day:%a %d %b} has just been closed")
            return [*_question_closes(latest, None), _closing(latest, day, now)]

        return self._drive(close)[-1]

    def close_overdue_days(self) -> list[Event]:
        """Write down the end of every day left open (facilitator.live.days.overdue), once, whoever notices first.

        Not a person's act, so any process with the run open does it, an observer's too; nothing is written
        when no day is overdue.
        """
        now = self.store.clock.now()
        self.refresh()
        if self.state.programme is None or not days.overdue(self.state, now):
            return []

        def work(tx: Transaction) -> list[Event]:
            latest = fold(tx.events(after=self.state.last_seq), self.state)
            return [
                tx.append(ev.DAY_CLOSED, _close_payload(end.day, end.at, True), actor=self.actor)
                for end in days.overdue(latest, now)
            ]

        written: list[Event] = self.store.transaction(work)
        self.refresh()
        self._after_closes(written)
        return written

    def _after_closes(self, written: list[Event]) -> None:
        """A day has ended: bring the analysts' attendance tables up to date (facilitator.live.attendance_tables)."""
        if any(event.kind == ev.DAY_CLOSED for event in written):
            from facilitator.live import attendance_tables

            attendance_tables.write(self.store, self.state, self.attendance, self.store.clock.now())

    def enter_step(self, exercise: str, step: str, *, on: date | None = None, confirmed: bool = False) -> Event:
        """Enter a step. Reopening a closed day, or going on with a day first run on an earlier date, needs
        ``confirmed`` (:class:`NeedsConfirmation` says what would happen); leaving an open day closes it."""
        day = on or self.state.day or self.programme.workshop.days[0].date
        agenda = self.programme.day(day).agenda
        if exercise not in agenda:
            raise InputError(f"exercise {exercise!r} is not on the agenda of {day.isoformat()}")
        if step not in {s.id for s in self.programme.exercise_by_id[exercise].steps}:
            raise InputError(f"exercise {exercise!r} has no step {step!r}")
        payload = {"day": day.isoformat(), "exercise": exercise, "step": step}
        now = self.store.clock.now()

        def enter(latest: SessionState) -> list[Item]:
            why = days.reopening(latest, day, now)
            if why is not None and not confirmed:
                raise NeedsConfirmation(why)
            target = (exercise, step)
            return [
                *_leaving(latest, day, now),
                *_question_closes(latest, target),
                (ev.STEP_ENTERED, payload),
                *_question_opens(latest, target),
            ]

        self.refresh()
        enter(self.state)  # refuse before taking the write lock when the answer is known already
        return next(e for e in reversed(self._drive(enter)) if e.kind == ev.STEP_ENTERED)

    def _move(self, offset: int, *, confirmed: bool = False) -> Event | None:
        self.refresh()
        target = reentry.step_after(self.state, offset)
        if target is None:
            return None
        return self.enter_step(target.exercise.id, target.step.id, on=target.start.date(), confirmed=confirmed)

    def next_step(self, *, confirmed: bool = False) -> Event | None:
        """Enter the next step of the day (the first, if none is current); None at the day's end."""
        return self._move(+1, confirmed=confirmed)

    def previous_step(self, *, confirmed: bool = False) -> Event | None:
        return self._move(-1, confirmed=confirmed)

    def pause(self) -> Event | None:
        self.refresh()
        if self.state.timer is None or self.state.timer.paused:
            return None
        return self._append(ev.TIMER_PAUSED, {}, driver_only=True)

    def resume(self) -> Event | None:
        self.refresh()
        if self.state.timer is None or not self.state.timer.paused:
            return None
        return self._append(ev.TIMER_RESUMED, {}, driver_only=True)

    def adjust(self, delta: timedelta) -> Event | None:
        """Extend (positive) or shorten (negative) the current step."""
        self.refresh()
        if self.state.timer is None or not delta:
            return None
        return self._append(ev.TIMER_ADJUSTED, {"seconds": int(delta.total_seconds())}, driver_only=True)

    # -- questions (facilitator.questions) -----------------------------------------------------------

    def _asked(self, key: str) -> AskedQuestion:
        found = self.programme.asked_by_key.get(key)
        if found is None:
            raise InputError(f"question: {key!r} is not a question of this workshop")
        return found

    def _in_today(self, participant: str) -> bool:
        """Checked in, on any channel, since a time whose day has not ended (not "in" left from a day before)."""
        now = self.store.clock.now()
        ends = days.DayEnds(self.state, now)
        return any(ends.cutoff(start) > now for start in self.attendance.open_starts(participant))

    def close_question(self, key: str) -> Event:
        """A facilitator stops a question taking answers before its step ends (the evaluation: at all)."""
        self.refresh()
        self._asked(key)
        status = self.state.questions.get(key)
        if status is None or not status.open:
            raise InputError(f"question: {key!r} is not open")
        return self._append(ev.QUESTION_CLOSED, {"question": key}, driver_only=True)

    def reveal_results(self, key: str, revealed: bool = True) -> Event:
        """Show a question's results on the room view and the phones (a quiz: which answer was right), or hide them."""
        self.refresh()
        self._asked(key)
        if key not in self.state.questions:
            raise InputError(f"question: {key!r} has not been asked yet")
        return self._append(ev.QUESTION_REVEALED, {"question": key, "revealed": revealed}, driver_only=True)

    def answer(
        self,
        key: str,
        *,
        respondent: str,
        participant: str | None = None,
        location: str | None = None,
        choices: Sequence[str] = (),
        value: int | None = None,
        text: str | None = None,
        consent: bool = False,
        source: str = "qr",
    ) -> Event:
        """Record one person's answer to an open question, replacing their earlier one.

        A named question (and every knowledge check's) needs a checked-in participant, whose id becomes the
        respondent; an anonymous one stores no participant id, only the ballot id the phone keeps.
        """
        self.refresh()
        asked = self._asked(key)
        status = self.state.questions.get(key)
        if status is None or not status.open:
            raise InputError("question: it is closed; answers are no longer taken")
        if asked.question.type is QuestionType.QUIZ and status.revealed:
            # Its right answer is on the screens: an answer changed now would score what was shown, not known.
            raise InputError("question: its right answer is shown; answers are no longer taken")
        checked = answers.check(asked, choices=choices, value=value, text=text)
        if location is not None:
            self._check_location(location)
        if asked.named:
            if participant is None or not self._in_today(participant):
                raise InputError("participant: this question is answered by name; check in first")
            respondent = participant
        else:
            participant = None
            if not respondent.strip():
                raise InputError("respondent: an anonymous answer needs its ballot id")
        payload: dict[str, Any] = {
            "question": key,
            "respondent": respondent,
            "named": asked.named,
            "participant": participant,
            "location": location,
            "choices": list(checked.choices),
            "value": checked.value,
            "text": checked.text,
            "consent": bool(consent) and checked.text is not None,
            "source": source,
        }
        return self._append(ev.ANSWER_GIVEN, payload)

    # -- breakout groups (facilitator.groups) ----------------------------------------------------------

    def here_now(self) -> dict[str, str]:
        """Who is checked in now, on any channel, since a time whose day has not ended, and where: participant
        id -> their latest check-in's location, else their roster location; in roster order."""
        now = self.store.clock.now()
        ends = days.DayEnds(self.state, now)
        here: dict[str, str] = {}
        for pid, person in self.attendance.roster.by_id.items():
            latest = None
            for interval in self.attendance.intervals(pid):
                if interval.end is None and ends.cutoff(interval.start) > now:
                    latest = interval  # by start: the last one is the latest
            if latest is not None:
                here[pid] = latest.location or person.location
        return here

    def _member(self, participant: str, location: str | None = None) -> making.Member:
        person = self.attendance.roster.by_id.get(participant)
        if person is None:  # in a group on the record, not on the roster: a hand-edited log
            return making.Member(participant, location or "", category(None))
        return making.Member(participant, location or person.location, category(person.gender))

    def make_groups(
        self,
        size: int | None = None,
        count: int | None = None,
        mix: str | Sequence[str] = rules.MIX,
        call_pattern: str | None = None,
        *,
        duration: timedelta | None = None,
        seed: int | None = None,
    ) -> Event:
        """The driver splits the people checked in now into breakout groups (facilitator.groups.making): of
        ``size`` (some one more) or ``count`` groups, mixing ``mix`` (location, gender) as evenly as the numbers
        allow and avoiding pairs grouped earlier in the run; ``call_pattern``: each group's call, with ``{n}``
        for its number. Refused, with nothing recorded: see facilitator.groups.rules.
        """
        self._driving_now()
        mixed = rules.check_mix(mix)
        call = rules.check_call(call_pattern)
        if duration is not None and duration <= timedelta():
            raise InputError("duration: give a positive duration")
        here = self.here_now()
        sizes = rules.sizes(len(here), size=size, count=count)
        seed = random.SystemRandom().randrange(2**31) if seed is None else seed
        people = [self._member(pid, location) for pid, location in here.items()]
        made = making.make(people, sizes, mix=mixed, met=self.groups.met(), seed=seed)
        current = self.state.current
        payload: dict[str, Any] = {
            "grouping": uuid.uuid4().hex,
            "day": self.state.day.isoformat() if self.state.day else None,
            "exercise": current.exercise.id if current else None,
            "step": current.step.id if current else None,
            "groups": [
                {"number": number, "members": list(members), "call": link}
                for number, (members, link) in enumerate(
                    zip(made.groups, rules.calls(call, len(made.groups)), strict=True), start=1
                )
            ],
            "size": size,
            "count": count,
            "mix": list(mixed),
            "seconds": int(duration.total_seconds()) if duration is not None else None,
            "seed": seed,
            "repeats": made.repeats,
        }
        return self._append(ev.GROUPS_MADE, payload, driver_only=True)

    def _driving_now(self) -> None:
        """Refuse, before any work, a command only the driver gives (checked again under the write lock)."""
        self._not_observer()
        self.refresh()
        if not self.driving:
            raise NotAllowed(self._not_driving_message(self.state))

    def end_groups(self) -> Event:
        """The driver ends the groups meeting now: the room is back together (phones stop showing a group)."""
        self._driving_now()
        grouping = self._grouping()
        return self._append(ev.GROUPS_ENDED, {"grouping": grouping.id}, driver_only=True)

    def _grouping(self) -> Grouping:
        """The groups meeting now, for a change to them."""
        grouping = self.groups.meeting
        if grouping is None:
            ended = self.groups.current is not None
            raise InputError("groups: the groups have ended" if ended else "groups: no groups have been made yet")
        return grouping

    def _name(self, participant: str) -> str:
        return self.attendance.roster.by_id[participant].name

    def add_to_smallest(self, participant: str) -> Event:
        """The driver adds a late arrival (checked in, in no group yet) to the current grouping's smallest
        group; among equals, the one with the fewest of their location, then gender, then earlier partners."""
        self._driving_now()
        grouping = self._grouping()
        self._known_participant(participant)
        group = grouping.group_of(participant)
        if group is not None:
            raise InputError(f"participant: {self._name(participant)} is in group {group.number} already")
        here = self.here_now()
        if participant not in here:
            raise InputError(f"participant: {self._name(participant)} is not checked in")
        groups = [[self._member(m, here.get(m)) for m in g.members] for g in grouping.groups]
        chosen = making.smallest(groups, self._member(participant, here[participant]), self.groups.met())
        payload = {
            "grouping": grouping.id,
            "participant": participant,
            "to": grouping.groups[chosen].number,
            "reason": LATE,
        }
        return self._append(ev.GROUPS_CHANGED, payload, driver_only=True)

    def move_to_group(self, participant: str, number: int) -> Event:
        """The driver moves a participant to group ``number`` of the current grouping (one in no group yet
        must be checked in); a group is never left empty."""
        self._driving_now()
        grouping = self._grouping()
        self._known_participant(participant)
        numbers = [g.number for g in grouping.groups]
        if grouping.group(number) is None:
            raise InputError(f"number: there is no group {number} (groups {numbers[0]} to {numbers[-1]})")
        name = self._name(participant)
        group = grouping.group_of(participant)
        if group is not None and group.number == number:
            raise InputError(f"number: {name} is in group {number} already")
        if group is not None and len(group.members) == 1:
            raise InputError(f"number: moving {name} would leave group {group.number} empty")
        if group is None and participant not in self.here_now():
            raise InputError(f"participant: {name} is not checked in")
        payload: dict[str, Any] = {"grouping": grouping.id, "participant": participant, "to": number, "reason": "moved"}
        if group is not None:
            payload["from"] = group.number
        return self._append(ev.GROUPS_CHANGED, payload, driver_only=True)

    # -- who speaks (facilitator.speaking) -------------------------------------------------------------

    def start_turn(self, participant: str) -> Event:
        """A facilitator (the lead or a co-facilitator, driving or not) gives ``participant``, checked in now, the
        floor: a turn starts, at the step current now, and the turn running ends."""
        self._not_observer()
        self.refresh()
        self._known_participant(participant)
        if participant not in self.here_now():
            raise InputError(f"participant: {self._name(participant)} is not checked in")
        running = self.speaking.open
        if running is not None and running.participant == participant:
            # A second press on the same name would count one turn as two.
            raise InputError(f"participant: {self._name(participant)} has the floor already")
        current = self.state.current
        payload: dict[str, Any] = {
            "turn": uuid.uuid4().hex,
            "participant": participant,
            "day": self.state.day.isoformat() if self.state.day else None,
            "exercise": current.exercise.id if current else None,
            "step": current.step.id if current else None,
        }
        return self._append(ev.SPEAKING_STARTED, payload)

    def stop_turn(self) -> Event | None:
        """End the turn running now; None (nothing written) when nobody has the floor."""
        self._not_observer()
        self.refresh()
        turn = self.speaking.open
        if turn is None:
            return None
        return self._append(ev.SPEAKING_STOPPED, {"turn": turn.id})

    def show_speaking(self, shown: bool) -> Event:
        """The driver shows the tally of who speaks on the room view, or hides it."""
        self._driving_now()
        return self._append(ev.SPEAKING_SHOWN, {"shown": bool(shown)}, driver_only=True)

    def speaking_tally(self, window: str = STEP, now: datetime | None = None) -> Tally:
        """Turns and speaking time by gender and location against the people present, for the current step
        (``window`` step) or the whole day (day), at ``now`` (the run's clock by default)."""
        current = self.state.current
        exercise, step = (current.exercise.id, current.step.id) if current else (None, None)
        chosen = window_of(window, self.state.day, exercise, step)
        return tally(self.speaking.turns, chosen, Register(self.state, self.attendance, now or self.store.clock.now()))

    # -- reflections ---------------------------------------------------------------------------------

    def log_reflection(
        self,
        text: str,
        *,
        participant: str | None = None,
        location: str | None = None,
        consent: bool = False,
        reflection_id: str | None = None,
        source: str = "facilitator",
        participant_id: str | None = None,
    ) -> Event:
        """Log a reflection against the current step and its prompt.

        ``source`` is ``qr`` for the participant page, which also gives the writer's roster id; an anonymous
        prompt keeps neither the name nor the id.
        """
        text = _clean_text(text)
        participant = _clean_name(participant)
        self.refresh()
        if location is not None and location not in {loc.id for loc in self.programme.workshop.locations}:
            raise InputError(f"location: no location {location!r} in this workshop")
        current = self.state.current
        anonymity = self.prompt_anonymity()
        if anonymity is Anonymity.ANONYMOUS and participant:
            raise InputError("participant: this prompt is anonymous; leave the name out")
        if anonymity is Anonymity.NAMED and not participant:
            raise InputError("participant: this prompt asks for the participant's name")
        if source not in REFLECTION_SOURCES:
            raise InputError(f"source: {source!r} is not one of {', '.join(REFLECTION_SOURCES)}")
        reflection_id = reflection_id or uuid.uuid4().hex
        payload: dict[str, Any] = {
            "reflection": reflection_id,
            "text": text,
            "participant": participant or None,
            "location": location,
            "consent": consent,
            "day": self.state.day.isoformat() if self.state.day else None,
            "exercise": current.exercise.id if current else None,
            "step": current.step.id if current else None,
            "prompt": current.step.prompt.text if current and current.step.prompt else None,
        }
        if source != "facilitator":
            payload["source"] = source
        if participant_id is not None and participant:  # an unnamed reflection must not say whose it is
            payload["participant_id"] = participant_id
        # The reflection id doubles as the event id, so a retried submission is stored once.
        return self._append(ev.REFLECTION_LOGGED, payload, event_id=f"reflection-{reflection_id}")

    def prompt_anonymity(self) -> Anonymity:
        """The anonymity that applies now: the current step's prompt's, else the workshop's default."""
        current = self.state.current
        if current is not None and current.step.prompt is not None and current.step.prompt.anonymity is not None:
            return current.step.prompt.anonymity
        return self.programme.workshop.reflections.anonymity

    def edit_reflection(self, reflection_id: str, **changes: Any) -> Event:
        self.refresh()
        if reflection_id not in self.state.reflections:
            raise InputError(f"no reflection {reflection_id!r}")
        if "text" in changes:
            changes["text"] = _clean_text(changes["text"])
        if "participant" in changes:
            changes["participant"] = _clean_name(changes["participant"])
        return self._append(ev.REFLECTION_EDITED, {"reflection": reflection_id, **changes})

    def retract_reflection(self, reflection_id: str) -> Event:
        self.refresh()
        if reflection_id not in self.state.reflections:
            raise InputError(f"no reflection {reflection_id!r}")
        return self._append(ev.REFLECTION_RETRACTED, {"reflection": reflection_id})

    def hide_reflection(self, reflection_id: str, hidden: bool = True) -> Event | None:
        """Hide a reflection from the feed, the room view and the quotes (or show it again); None if no change."""
        self.refresh()
        reflection = self.state.reflections.get(reflection_id)
        if reflection is None:
            raise InputError(f"no reflection {reflection_id!r}")
        if reflection.hidden == hidden:
            return None
        return self._append(ev.REFLECTION_HIDDEN, {"reflection": reflection_id, "hidden": hidden})

    # -- attendance ----------------------------------------------------------------------------------

    def _known_participant(self, participant_id: str) -> None:
        if participant_id not in self.attendance.roster.by_id:
            raise InputError(f"participant: no participant {participant_id!r} on the roster")

    def _check_location(self, location: str, field: str = "location") -> None:
        ids = [loc.id for loc in self.programme.workshop.locations]
        if location not in ids:
            raise InputError(f"{field}: no location {location!r} in this workshop{did_you_mean(location, ids)}")

    def _moment(self, at: datetime | None) -> datetime:
        now = self.store.clock.now()
        if at is None:
            return now
        if at.tzinfo is None:
            raise InputError("at: a time without a time zone; give it in UTC")
        if at > now + CLOCK_SKEW:
            raise InputError(f"at: {to_text(at)} is in the future")
        return at

    def _check_source(self, source: str) -> None:
        if source not in SOURCES:
            raise InputError(f"source: {source!r} is not one of {', '.join(SOURCES)}")

    def check_in(
        self,
        participant_id: str,
        source: str = "facilitator",
        at: datetime | None = None,
        location: str | None = None,
        *,
        event_id: str | None = None,
    ) -> Event | None:
        """Check a participant in; None (nothing written) when they are already in on that source's channel.

        ``event_id`` makes a retried submission (the participant page's) land once.
        """
        self._not_observer()
        self._check_source(source)
        when = self._moment(at)
        if location is not None:
            self._check_location(location)
        self.refresh()
        self._known_participant(participant_id)
        self._at_own_location(location or self.attendance.roster.by_id[participant_id].location)
        opened = self.attendance.open_since(participant_id, source)
        if opened is not None:
            stopped = days.DayEnds(self.state, when).cutoff(opened)
            if stopped > when:
                return None
            # Left in since a day that has ended: attendance stopped counting that stretch at the day's end, so
            # say so on the record there, or this check-in would be taken for a repeat and ignored.
            self.check_out(participant_id, source, at=stopped)
        payload: dict[str, Any] = {"participant": participant_id, "at": to_text(when), "source": source}
        if location is not None:
            payload["location"] = location
        return self._append(ev.ATTENDANCE_CHECKED_IN, payload, event_id=event_id)

    def check_out(
        self,
        participant_id: str,
        source: str = "facilitator",
        at: datetime | None = None,
        *,
        event_id: str | None = None,
    ) -> Event | None:
        """Check a participant out; None (nothing written) when they are not in on that source's channel.

        ``event_id`` makes a retried submission (the participant page's) land once.
        """
        self._not_observer()
        self._check_source(source)
        when = self._moment(at)
        self.refresh()
        self._known_participant(participant_id)
        self._at_own_location(self.attendance.roster.by_id[participant_id].location)
        if not self.attendance.is_in(participant_id, source):
            return None
        return self._append(
            ev.ATTENDANCE_CHECKED_OUT,
            {"participant": participant_id, "at": to_text(when), "source": source},
            event_id=event_id,
        )

    def everyone_present(self, location: str, source: str = "facilitator") -> list[Event]:
        """Check in, in one transaction, everyone on the roster at ``location`` who is not in already."""
        self._check_source(source)
        self._check_location(location)
        self._at_own_location(location)
        self._not_observer()
        self.refresh()
        now = self.store.clock.now()
        at = to_text(now)
        ends = days.DayEnds(self.state, now)
        items: list[Item] = []
        for person in self.attendance.roster.at(location):
            opened = self.attendance.open_since(person.id, source)
            if opened is not None:
                stopped = ends.cutoff(opened)
                if stopped > now:
                    continue  # in today already
                # Still "in" from a day that has ended: not in today. End that stretch where it stopped counting.
                out = {"participant": person.id, "at": to_text(stopped), "source": source}
                items.append((ev.ATTENDANCE_CHECKED_OUT, out))
            items.append((ev.ATTENDANCE_CHECKED_IN, {"participant": person.id, "at": at, "source": source}))
        if not items:
            return []
        written = self.store.append_many(items, actor=self.actor)
        self.refresh()
        return written

    def mark(self, participant_id: str, day: date, status: str | None) -> Event:
        """Mark a participant ``late``, ``excused`` or ``absent`` for ``day``, overriding the intervals; None clears."""
        if status is not None and status not in MARKS:
            raise InputError(f"status: {status!r} is not one of {', '.join(MARKS)} (or none, to clear the mark)")
        if day not in {d.date for d in self.programme.workshop.days}:
            raise InputError(f"day: {day.isoformat()} is not a day of this workshop")
        self.refresh()
        self._known_participant(participant_id)
        self._at_own_location(self.attendance.roster.by_id[participant_id].location)
        payload = {"participant": participant_id, "day": day.isoformat(), "status": status}
        return self._append(ev.ATTENDANCE_MARKED, payload)

    def set_link(self, location: str, status: str) -> Event | None:
        """Record a location's link status; None (nothing written) when it is already that."""
        self._not_observer()
        if status not in LINK_STATUSES:
            raise InputError(f"status: {status!r} is not one of {', '.join(LINK_STATUSES)}")
        self._check_location(location)
        self._at_own_location(location)
        self.refresh()
        if self.attendance.link_status(location) == status:
            return None
        return self._append(ev.LOCATION_LINK, {"location": location, "status": status})

    # -- walk-ins ------------------------------------------------------------------------------------

    def add_participant(
        self, name: str, email: str, location: str, *, participant_id: str | None = None, **optional: str | None
    ) -> Event:
        """Add a walk-in to the roster; ``optional`` takes role, organisation, gender and code."""
        for key in optional:
            if key not in OPTIONAL_FIELDS:
                raise InputError(f"{key}: not a participant field{did_you_mean(key, FIELDS)}")
        fields: dict[str, Any] = {
            "name": _required("name", name, MAX_NAME_CHARS),
            "email": _email(email),
            "location": location.strip(),
            **{key: _optional(key, optional.get(key)) for key in OPTIONAL_FIELDS},
        }
        fields["gender"] = normalise_gender(fields["gender"])
        self._check_location(fields["location"])
        self._at_own_location(fields["location"])
        self.refresh()
        self._unique_email(fields["email"], None)
        participant_id = participant_id or uuid.uuid4().hex
        if participant_id in self.attendance.roster.by_id:
            raise InputError(f"participant: {participant_id!r} is already on the roster")
        payload = {"participant": participant_id, **fields, "source": "walk-in"}
        return self._append(ev.PARTICIPANT_ADDED, payload)

    def edit_participant(self, participant_id: str, **changes: str | None) -> Event | None:
        """Change some of a participant's fields; None (nothing written) when nothing would change."""
        self._not_observer()
        self.refresh()
        self._known_participant(participant_id)
        clean: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "name":
                clean[key] = _required("name", value, MAX_NAME_CHARS)
            elif key == "email":
                clean[key] = _email(value)
            elif key == "location":
                clean[key] = _required("location", value, MAX_NAME_CHARS)
                self._check_location(clean[key])
            elif key == "gender":
                clean[key] = normalise_gender(_optional(key, value))
            elif key in OPTIONAL_FIELDS:
                clean[key] = _optional(key, value)
            else:
                raise InputError(f"{key}: not a participant field{did_you_mean(key, FIELDS)}")
        old = self.attendance.roster.by_id[participant_id]
        self._at_own_location(old.location)
        if "location" in clean:
            self._at_own_location(clean["location"])
        clean = {k: v for k, v in clean.items() if getattr(old, k) != v}
        if "email" in clean:
            self._unique_email(clean["email"], participant_id)
        if not clean:
            return None
        return self._append(ev.PARTICIPANT_UPDATED, {"participant": participant_id, "changes": clean})

    def _unique_email(self, email: str, participant_id: str | None) -> None:
        wanted = email.casefold()
        for person in self.attendance.roster.by_id.values():
            if person.email.casefold() == wanted and person.id != participant_id:
                raise InputError(f"email: {email!r} is already on the roster")

    # -- requests to be added (from the participant page) ---------------------------------------------

    def request_to_join(self, name: str, email: str, location: str, *, request_id: str | None = None) -> Event:
        """Record that someone not on the roster asks to be added at ``location``.

        Deliberately not checked against the roster: the page's answer must not tell a stranger whether an
        e-mail is on it. A facilitator sees the request and decides (:meth:`decide_request`).
        """
        fields = {
            "name": _required("name", name, MAX_NAME_CHARS),
            "email": _email(email),
            "location": (location or "").strip(),
        }
        self._check_location(fields["location"])
        request_id = request_id or uuid.uuid4().hex
        # The request id doubles as the event id, so a retried submission is stored once.
        return self._append(ev.PARTICIPANT_REQUESTED, {"request": request_id, **fields}, f"request-{request_id}")

    def decide_request(self, request_id: str, approve: bool) -> list[Event]:
        """Approve (adding the person as a walk-in, in the same transaction) or decline a pending request."""
        self._not_observer()
        self.refresh()
        request = self.attendance.requests.by_id.get(request_id)
        if request is None:
            raise InputError(f"request: no request {request_id!r}")
        if not request.pending:
            raise InputError(f"request: already {request.decision}")
        self._at_own_location(request.location)
        decided: dict[str, Any] = {"request": request_id, "decision": "approved" if approve else "declined"}
        items: list[tuple[str, dict[str, Any]]] = []
        if approve:
            self._unique_email(request.email, None)
            participant_id = uuid.uuid4().hex
            items.append(
                (
                    ev.PARTICIPANT_ADDED,
                    {
                        "participant": participant_id,
                        "name": request.name,
                        "email": request.email,
                        "location": request.location,
                        **dict.fromkeys(OPTIONAL_FIELDS),
                        "source": "walk-in",
                    },
                )
            )
            decided["participant"] = participant_id
        else:
            decided["participant"] = None
        items.append((ev.PARTICIPANT_REQUEST_DECIDED, decided))

        def work(tx: Transaction) -> list[Event]:
            # Checked again under the write lock: two facilitators approving at once must add one person.
            taken = tx.query(
                "SELECT 1 FROM events WHERE kind = ? AND seq > ? AND json_extract(payload, '$.request') = ?",
                (ev.PARTICIPANT_REQUEST_DECIDED, self.state.last_seq, request_id),
            )
            if taken:
                raise InputError("request: already decided by another facilitator")
            return [tx.append(kind, payload, actor=self.actor) for kind, payload in items]

        written: list[Event] = self.store.transaction(work)
        self.refresh()
        return written


Item = tuple[str, dict[str, Any]]  # an event to write: its kind and payload


class NeedsConfirmation(InputError):
    """Entering the step would reopen a closed day, or run a day on a second date: the driver confirms first."""


def _close_payload(day: date, at: datetime, inferred: bool) -> dict[str, Any]:
    return {"day": day.isoformat(), "at": to_text(at), "inferred": inferred}


def _closing(state: SessionState, day: date, now: datetime) -> Item:
    """The day.closed for ``day`` as the driver ends it at ``now``: at its inferred end if it was left open."""
    end = days.day_end(state, day, now)
    if end is not None:
        return ev.DAY_CLOSED, _close_payload(day, end.at, end.inferred)
    return ev.DAY_CLOSED, _close_payload(day, now, False)


def _asked_at(state: SessionState, target: tuple[str, str] | None) -> list[str]:
    programme = state.programme
    return [a.key for a in programme.asked_in(*target)] if programme is not None and target is not None else []


def _question_closes(state: SessionState, target: tuple[str, str] | None) -> list[Item]:
    """The open questions to close as the driver moves to the step ``target`` (None: no step): those of the
    step left; the course evaluation's stay open once opened."""
    if state.programme is None:
        return []
    staying = {*_asked_at(state, target), *(a.key for a in state.programme.asked if a.evaluation)}
    return [
        (ev.QUESTION_CLOSED, {"question": key})
        for key, status in state.questions.items()
        if status.open and key not in staying
    ]


def _question_opens(state: SessionState, target: tuple[str, str]) -> list[Item]:
    """The questions the step ``target`` opens: its own, and the evaluation where it opens, unless open."""
    return [
        (ev.QUESTION_OPENED, {"question": key})
        for key in _asked_at(state, target)
        if key not in state.questions or not state.questions[key].open
    ]


def _leaving(state: SessionState, target: date, now: datetime) -> list[Item]:
    """The closes to write before the driver moves to ``target``: every day left open (at its inferred end),
    and the current day when it is another one (a day must not be left open)."""
    items = [(ev.DAY_CLOSED, _close_payload(end.day, end.at, True)) for end in days.overdue(state, now)]
    day = state.day
    overdue = {item[1]["day"] for item in items}
    if day is None or day == target or day in state.closed or not days.started(state, day):
        return items
    if day.isoformat() not in overdue:
        items.append(_closing(state, day, now))
    return items


def _driver_rows(columns: str, driver: str | None) -> tuple[str, tuple[str, ...]]:
    """The query for the driver's presence rows; before any lead has joined, every lead drives (roles.drives)."""
    # Only a process that could drive counts: the room view, opened under the lead's name, never does.
    if driver is None:
        return f"SELECT {columns} FROM presence WHERE role = ?", (LEAD,)
    return f"SELECT {columns} FROM presence WHERE actor = ? AND role IN (?, ?)", (driver, LEAD, CO)


def _clean_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InputError("text: a reflection cannot be empty")
    if len(text) > MAX_REFLECTION_CHARS:
        raise InputError(f"text: a reflection may be at most {MAX_REFLECTION_CHARS} characters")
    return text


MAX_NAME_CHARS = 200


def _clean_name(name: str | None) -> str | None:
    name = (name or "").strip()
    if len(name) > MAX_NAME_CHARS:
        raise InputError(f"participant: a name may be at most {MAX_NAME_CHARS} characters")
    return name or None


CLOCK_SKEW = timedelta(minutes=1)  # a time this far ahead of the clock is still "now" (clocks of two hosts)
MAX_EMAIL_CHARS = 254
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _required(field: str, value: str | None, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InputError(f"{field}: cannot be empty")
    if len(text) > limit:
        raise InputError(f"{field}: may be at most {limit} characters")
    if _CONTROL.search(text):
        raise InputError(f"{field}: contains control characters")
    return text


def _optional(field: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return _required(field, value, MAX_NAME_CHARS)


def _email(value: str | None) -> str:
    text = _required("email", value, MAX_EMAIL_CHARS)
    if not _EMAIL.fullmatch(text):
        raise InputError(f"email: {text!r} is not an e-mail address")
    return text
