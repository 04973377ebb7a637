"""What the participant page does, without the web: who is this, check them in, what is the prompt, take a reflection.

The web app (facilitator.participant_page.web) is a thin client of :class:`Desk`, as the TUI is of
:class:`~facilitator.live.session.Session`. A desk is not thread-safe: the web app keeps one on one worker thread.

Identification never shows a list of names. A person gives their e-mail (any case) and the personal code from
the roster, or the code alone. The code is what proves it is them, so knowing a colleague's address does not
let anyone check them in: the e-mail alone identifies someone without a code only when the workshop turns on
``participant_page.email_only``. A code alone identifies only when it is at least the workshop's
``min_code_length`` long (a shorter one, from an older roster, needs the e-mail too, where the page limits the
tries per e-mail). Every failure gives the same answer (:data:`NO_MATCH`), whether the e-mail is unknown or its
code is wrong, so the page says nothing about who is on the roster.
"""

from __future__ import annotations

import hmac
import secrets
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from facilitator.attendance.intervals import channel
from facilitator.attendance.roster import Participant
from facilitator.attendance.roster_import import normalise_code  # one rule for codes, where made and checked
from facilitator.live.session import Session
from facilitator.participant_page import tokens
from facilitator.participant_page.languages import language_of
from facilitator.problems import InputError
from facilitator.record.events import EVENT_COLUMNS, Event
from facilitator.record.store import Store
from facilitator.script.models import Anonymity, ParticipantPageRules, Programme
from facilitator.team.roles import CO

ACTOR = "participant-page"
SOURCE = "qr"
NO_MATCH = "no-match"  # the one answer for every failed identification
_DUMMY_CODE = "\x00" * 16  # compared against when there is no code to compare, so both paths do the same work


def _same_code(expected: str, given: str) -> bool:
    """Constant-time equality of two normalised codes, whatever characters were typed.

    As bytes: hmac.compare_digest refuses a str with non-ASCII characters (a TypeError, so a 500, for a
    code typed as 'ééé'); ``surrogatepass`` because a str decoded from a form may hold lone surrogates.
    """
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class CheckIn:
    at: datetime
    local_time: str  # "09:02", in the location's time zone
    already: bool  # they were in already; nothing was written


@dataclass(frozen=True)
class CheckOut:
    at: datetime
    local_time: str  # "11:40", in the location's time zone


@dataclass(frozen=True)
class Prompt:
    """The current step's reflection prompt, as the page shows it."""

    key: str  # "exercise/step", or "" when no step is current; a form says which prompt it answered
    text: str | None  # None: nothing to reflect on right now
    anonymity: Anonymity

    @property
    def language(self) -> str | None:
        """The language the question is written in, when it is clear (facilitator.participant_page.languages)."""
        return language_of(self.text)


class Batch:
    """Where the participant page's session writes (its :class:`~facilitator.live.session.Outbox`): inside
    :meth:`batch`, the commands' events are committed together in one transaction.

    A commit waits for the disk (fsync, synchronous=FULL): a few milliseconds, most of the cost of a check-in.
    A burst of phones is many independent commands at once, so the web app runs those waiting in one batch
    and answers each only after the batch has committed: one fsync for all of them. Inside a batch the
    commands see the state from before it; :meth:`flush` commits early for one that must see its own write.
    """

    def __init__(self, store: Store, *, actor: str, committed: Callable[[], object]) -> None:
        self.store = store
        self.actor = actor
        self.committed = committed  # called after each commit, so the session folds in what was written
        self._pending: list[tuple[str, dict[str, Any], str]] | None = None

    def append(self, kind: str, payload: dict[str, Any], *, actor: str, event_id: str | None = None) -> Event:
        if self._pending is None:
            return self.store.append(kind, payload, actor=actor, event_id=event_id)
        if actor != self.actor:
            raise ValueError(f"a batch writes as {self.actor}, not {actor}")
        event_id = event_id or secrets.token_hex(16)
        self._pending.append((kind, payload, event_id))
        # Not yet in the log: seq 0 until the batch commits (its caller is answered only after that).
        return Event(0, event_id, self.store.clock.now(), actor, kind, payload)

    def __enter__(self) -> Batch:
        self._pending = []
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                self.flush()
        finally:
            self._pending = None

    def flush(self) -> list[Event]:
        """Commit what the batch holds so far (all of it, or none) and fold it in."""
        pending, self._pending = self._pending, [] if self._pending is not None else None
        if not pending:
            return []
        written = self.store.append_many(
            [(kind, payload) for kind, payload, _ in pending], actor=self.actor, event_ids=[i for *_, i in pending]
        )
        self.committed()
        return written


class Desk:
    """The participant page's one :class:`Session` (role ``co``, actor ``participant-page``) and its rules."""

    def __init__(self, store: Store, *, actor: str = ACTOR) -> None:
        self.batch = Batch(store, actor=actor, committed=self.refresh)
        self.session = Session(store, actor=actor, role=CO, outbox=self.batch)
        self.settings = tokens.load_settings(store)
        self._codes: dict[str, list[str]] = {}
        self._emails: dict[str, str] = {}
        self._indexed_seq = -1
        self._ends_noticed: datetime | None = None

    @property
    def store(self) -> Store:
        return self.session.store

    @property
    def programme(self) -> Programme:
        return self.session.programme

    def now(self) -> datetime:
        return self.store.clock.now()

    def refresh(self) -> None:
        self.session.refresh()

    # -- tokens ------------------------------------------------------------------------------------------

    def grant(self, code: str) -> tokens.Grant | None:
        """What the token in a link allows now, or None (bad, forged, expired, another day's)."""
        self.refresh()
        return tokens.verify(self.settings, self.programme, code, self.now())

    def location_name(self, location: str) -> str:
        return next((loc.name for loc in self.programme.workshop.locations if loc.id == location), location)

    # -- who is this -------------------------------------------------------------------------------------

    def _index(self) -> None:
        roster = self.session.attendance.roster
        if roster.last_seq == self._indexed_seq:
            return
        self._emails = {p.email.casefold(): p.id for p in roster.by_id.values()}
        self._codes = {}
        for person in roster.by_id.values():
            if person.code:
                self._codes.setdefault(normalise_code(person.code), []).append(person.id)
        self._indexed_seq = roster.last_seq

    def participant(self, participant_id: str) -> Participant | None:
        return self.session.attendance.roster.by_id.get(participant_id)

    @property
    def rules(self) -> ParticipantPageRules:
        """The workshop's identification rules (``participant_page:`` in the workshop file)."""
        return self.programme.workshop.participant_page

    def identify(self, email: str | None, code: str | None) -> Participant | None:
        """The roster's participant these details prove, or None; see the module's docstring for the rule."""
        self.refresh()
        self._index()
        rules = self.rules
        email_key = (email or "").strip().casefold()
        given = normalise_code(code)
        if not email_key and not given:
            return None
        roster = self.session.attendance.roster
        if email_key:
            person_id = self._emails.get(email_key)
            person = roster.by_id.get(person_id) if person_id is not None else None
            expected = normalise_code(person.code) if person is not None and person.code else None
            if expected is None:
                # No code to check (or nobody): still compare, so that the time taken tells nothing.
                _same_code(_DUMMY_CODE, given or _DUMMY_CODE)
                # Without a code, the e-mail alone proves who it is only where the workshop says it may.
                return person if person is not None and not given and rules.email_only else None
            return person if _same_code(expected, given) else None
        if len(given) < rules.min_code_length:
            return None  # a short code alone could be guessed: with the e-mail, tries are limited per e-mail
        matches = self._codes.get(given, [])
        # A code shared by two people (a spreadsheet mistake) proves neither.
        return roster.by_id[matches[0]] if len(matches) == 1 else None

    # -- identity cookies ----------------------------------------------------------------------------------

    def own_token(self, participant_id: str, location: str, day: str, generation: int | None) -> str | None:
        """Today's link for an identity cookie that still holds (on the roster, not signed out, made today), or None.

        Codes rotate, so a page left open goes stale; whoever proved who they are at a location today may be
        led back to that location's page, as they could scan the screen again. Nobody else gets a code.
        """
        if self.participant(participant_id) is None or generation != self.identity_generation(participant_id):
            return None
        try:
            token = tokens.issue(self.settings, self.programme, location, self.now())
        except InputError:  # the location is no longer in the workshop
            return None
        return token.code if token.day.isoformat() == day else None

    def identity_generation(self, participant_id: str) -> int:
        """The generation an identity cookie of ``participant_id`` must carry to work (signing out moves it on)."""
        return tokens.identity_generation(self.store.conn, participant_id)

    def sign_out(self, participant_id: str) -> int:
        """Revoke every identity cookie of ``participant_id`` made so far; the generation new ones carry."""
        return tokens.revoke_identities(self.store, participant_id)

    # -- attendance --------------------------------------------------------------------------------------

    def _local(self, location: str, moment: datetime) -> str:
        zone = next((loc.timezone for loc in self.programme.workshop.locations if loc.id == location), None)
        tz = zoneinfo.ZoneInfo(zone or self.programme.workshop.timezone)
        return moment.astimezone(tz).strftime("%H:%M")

    def _day_start(self, on: date) -> datetime:
        return datetime.combine(on, time(0), tzinfo=zoneinfo.ZoneInfo(self.programme.workshop.timezone))

    def checked_in(self, grant: tokens.Grant, participant_id: str) -> CheckIn | None:
        """When ``participant_id`` checked in on ``grant``'s day and is still in (any live source), else None."""
        self.refresh()
        start = self._day_start(grant.day)
        live = channel(SOURCE)
        for interval in reversed(self.session.attendance.intervals(participant_id)):
            if interval.end is None and channel(interval.source) == live and interval.start >= start:
                return CheckIn(interval.start, self._local(grant.location, interval.start), already=True)
        return None

    def check_in(self, grant: tokens.Grant, participant_id: str, submission: str | None = None) -> CheckIn:
        """Check the participant in at the token's location; idempotent (``already`` when they were in)."""
        found = self.checked_in(grant, participant_id)
        if found is not None:
            return found
        self.notice_day_ends()
        # Still "in" since a day that has ended: Session.check_in ends that stretch at the day's end on the record
        # (in this batch, before the check-in), or the fold would take today's check-in for a repeat.
        # Keyed by person too: a form resubmitted from the browser's history by someone else is theirs, not a retry.
        event_id = f"checkin-{participant_id}-{submission}" if submission else None
        event = self.session.check_in(participant_id, SOURCE, location=grant.location, event_id=event_id)
        at = self.now() if event is None else event.at
        return CheckIn(at, self._local(grant.location, at), already=False)

    def notice_day_ends(self) -> None:
        """Write down the end of a day left open (facilitator.live.days), as every process that has the run open
        does; at most once a minute of the run's clock, so a burst of phones does not pay for it."""
        now = self.now()
        if self._ends_noticed is not None and now - self._ends_noticed < timedelta(minutes=1):
            return
        self._ends_noticed = now
        self.session.close_overdue_days()

    def checked_out(self, grant: tokens.Grant, participant_id: str) -> CheckOut | None:
        """When ``participant_id`` last checked out on ``grant``'s day, if they are out now, else None."""
        self.refresh()
        start = self._day_start(grant.day)
        live = channel(SOURCE)
        ours = [iv for iv in self.session.attendance.intervals(participant_id) if channel(iv.source) == live]
        ends = [iv.end for iv in ours if iv.end is not None and iv.end >= start]
        if not ends or any(iv.end is None for iv in ours):
            return None
        return CheckOut(max(ends), self._local(grant.location, max(ends)))

    def check_out(self, grant: tokens.Grant, participant_id: str, submission: str | None = None) -> CheckOut | None:
        """Check the participant out ("I'm leaving"); None, writing nothing, when they were not checked in today.

        A retried submission answers as the first did, even when the participant has checked in again since.
        """
        event_id = f"checkout-{participant_id}-{submission}" if submission else None
        stored = self._stored(event_id)
        if stored is None:
            if self.checked_in(grant, participant_id) is None:
                return None
            stored = self.session.check_out(participant_id, SOURCE, event_id=event_id)
        at = self.now() if stored is None else stored.at
        return CheckOut(at, self._local(grant.location, at))

    # -- reflections -------------------------------------------------------------------------------------

    def prompt(self) -> Prompt:
        self.refresh()
        state = self.session.state
        current = state.current
        anonymity = self.session.prompt_anonymity()
        if current is None or current.step.prompt is None:
            key = f"{current.exercise.id}/{current.step.id}" if current is not None else ""
            return Prompt(key, None, anonymity)
        return Prompt(f"{current.exercise.id}/{current.step.id}", current.step.prompt.text, anonymity)

    def question_of(self, key: str) -> str | None:
        """The question of the step ``key`` ("exercise/step"), current or not: the one a kept draft was written for."""
        exercise_id, _, step_id = key.partition("/")
        exercise = self.programme.exercise_by_id.get(exercise_id)
        step = next((s for s in exercise.steps if s.id == step_id), None) if exercise is not None else None
        return step.prompt.text if step is not None and step.prompt is not None else None

    def reflect(
        self,
        grant: tokens.Grant,
        participant_id: str,
        text: str,
        *,
        answering: str,
        consent: bool = False,
        show_name: bool = False,
        submission: str | None = None,
    ) -> Event:
        """Log a reflection with the prompt's anonymity; refuse one written for a prompt no longer current.

        A named prompt takes the roster's name; an anonymous one keeps no trace of who wrote it; when the
        participant chooses, ``show_name`` decides.
        """
        person = self.participant(participant_id)
        if person is None:
            raise InputError("participant: not on the roster")
        stored = self._already_logged(submission)
        if stored is not None:  # a retried submission: it was stored the first time
            return stored
        prompt = self.prompt()
        if prompt.text is None or prompt.key != answering:
            raise PromptChanged(prompt)
        named = prompt.anonymity is Anonymity.NAMED or (prompt.anonymity is Anonymity.PARTICIPANT_CHOOSES and show_name)
        return self.session.log_reflection(
            text,
            participant=person.name if named else None,
            location=grant.location,
            consent=consent,
            reflection_id=submission,
            source=SOURCE,
            participant_id=person.id if named else None,
        )

    def _already_logged(self, submission: str | None) -> Event | None:
        return self._stored(f"reflection-{submission}" if submission else None)

    def _stored(self, event_id: str | None) -> Event | None:
        """The event with this id, when a submission that becomes it was stored already."""
        if not event_id:
            return None
        row = self.store.conn.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE id = ?", (event_id,)).fetchone()
        return Event.from_row(row) if row else None

    # -- requests to be added -----------------------------------------------------------------------------

    def request_to_join(
        self, grant: tokens.Grant, name: str, email: str, submission: str | None = None
    ) -> Event | None:
        """Record a request to be added; None, writing nothing, when one with this e-mail is waiting already.

        The page answers both alike, and whether the e-mail is on the roster plays no part: the answer says nothing.
        """
        self.refresh()
        wanted = (email or "").strip().casefold()
        if wanted and any(r.email.casefold() == wanted for r in self.session.attendance.requests.pending()):
            return None
        event = self.session.request_to_join(name, email, grant.location, request_id=submission)
        # Committed now, not with the rest of the batch: the next request with this e-mail must see it waiting.
        self.batch.flush()
        return event


class PromptChanged(InputError):
    """The facilitator moved on while the participant was writing: their text is given back, not logged."""

    def __init__(self, now: Prompt) -> None:
        super().__init__("prompt: the question has changed since the page was loaded")
        self.now = now


def day_end(programme: Programme, on: date) -> datetime:
    """Midnight after ``on`` in the workshop's time zone: when a day's identity cookie stops working."""
    return datetime.combine(on + timedelta(days=1), time(0), tzinfo=zoneinfo.ZoneInfo(programme.workshop.timezone))
