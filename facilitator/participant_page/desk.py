"""What the participant page does, without the web: who is this, check them in, what is the prompt, take a reflection.

The web app (facilitator.participant_page.web) is a thin client of :class:`Desk`, as the TUI is of
:class:`~facilitator.live.session.Session`. A desk is not thread-safe: the web app keeps one on one worker thread.

The room's questions (facilitator.questions) are shown and answered here too: :meth:`Desk.questions` says what the
person's page shows now (the current step's questions, and the course evaluation while it is open), with their
own answer and, once revealed, the room's results; :meth:`Desk.answer` records a form's answers, all of them or,
when any is refused, none. :meth:`Desk.groups` says what it shows of the breakout groups meeting (breakout.py).

Identification never shows a list of names. A person gives their e-mail (any case) and the personal code from
the roster, or the code alone. The code is what proves it is them, so knowing a colleague's address does not
let anyone check them in: the e-mail alone identifies someone without a code only when the workshop turns on
``participant_page.email_only``. A code alone identifies only when it is at least the workshop's
``min_code_length`` long (a shorter one, from an older roster, needs the e-mail too, where the page limits the
tries per e-mail). Every failure gives the same answer (:data:`NO_MATCH`), whether the e-mail is unknown or its
code is wrong, so the page says nothing about who is on the roster.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from facilitator.attendance.intervals import channel
from facilitator.attendance.roster import Participant
from facilitator.attendance.roster_import import normalise_code  # one rule for codes, where made and checked
from facilitator.groups.groupings import Grouping
from facilitator.live.session import Session
from facilitator.live.state import QuestionStatus
from facilitator.participant_page import breakout, tokens
from facilitator.participant_page.languages import language_of
from facilitator.problems import InputError
from facilitator.questions import answers
from facilitator.questions.ballots import GivenAnswer
from facilitator.record.events import EVENT_COLUMNS, Event
from facilitator.record.store import Store
from facilitator.script.models import Anonymity, AskedQuestion, ParticipantPageRules, Programme, QuestionType
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
    """A check-in as the participant's page confirms it: when, also as the clock time at the link's location."""

    at: datetime
    local_time: str  # "09:02", in the location's time zone
    already: bool  # they were in already; nothing was written


@dataclass(frozen=True)
class CheckOut:
    """A check-out as the participant's page confirms it: when, also as the clock time at the link's location."""

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


# Why an answer was refused (Desk.answer): the page says each in its own words, at the question concerned.
UNKNOWN_QUESTION = "unknown"  # no such question in the workshop (a page from before the script changed)
CLOSED = "closed"  # the question takes no answers now
REVEALED = "revealed"  # a quiz whose right answer has been shown takes no more answers
NEEDS_CHECK_IN = "check-in"  # a named question, and the person is not checked in here today
NOT_AN_OPTION = "not-an-option"  # a choice that is not among the question's options
ONE_ONLY = "one-only"  # several choices where one is asked for
OUT_OF_RANGE = "value"  # not a whole number within the scale
TOO_LONG = "too-long"  # a comment over facilitator.questions.answers.MAX_TEXT
CANNOT_WITHDRAW = "withdraw"  # an answer given before, sent back empty: the record keeps answers, never removes them
NOTHING = "nothing"  # the form was sent with no answer at all
REFUSED = "refused"  # anything else the core refuses
WHOLE = re.compile(r"-?[0-9]{1,3}")  # a scale's value as typed (0 to 10): plain digits, as int() takes others too


@dataclass(frozen=True)
class SentAnswer:
    """What a form sent for one question, as typed: option ids, a scale's number, a comment and its consent."""

    choices: tuple[str, ...] = ()
    value: str = ""
    text: str = ""
    consent: bool = False

    def empty_for(self, asked: AskedQuestion) -> bool:
        """Whether nothing was given in the question's own field (a field of another type counts for nothing)."""
        kind = asked.question.type
        if kind is QuestionType.SCALE:
            return not self.value.strip()
        if kind is QuestionType.TEXT:
            return not self.text.strip()
        return not self.choices


@dataclass(frozen=True)
class Results:
    """The room's answers to a question, once revealed: everyone's, from every location."""

    answered: int
    counts: Mapping[str, int]  # by option id, or by a scale's value as text
    mean: float | None  # a scale's


@dataclass(frozen=True)
class ShownQuestion:
    """One question as the person's page shows it now."""

    asked: AskedQuestion
    status: QuestionStatus
    mine: GivenAnswer | None  # this person's (or, anonymous, this phone's ballot's) latest answer
    checked_in: bool  # checked in here today: what a named question needs
    results: Results | None  # None until a facilitator reveals them

    @property
    def key(self) -> str:
        return self.asked.key

    @property
    def revealed(self) -> bool:
        return self.status.revealed

    @property
    def takes_answers(self) -> bool:
        """Open, and not a quiz whose right answer is shown (an answer changed after that would score)."""
        return self.status.open and not (self.revealed and self.asked.question.type is QuestionType.QUIZ)

    @property
    def needs_check_in(self) -> bool:
        return self.takes_answers and self.asked.named and not self.checked_in

    @property
    def answerable(self) -> bool:
        return self.takes_answers and not self.needs_check_in

    @property
    def right(self) -> bool | None:
        """For a quiz this person answered, whether they chose exactly the right options; else None."""
        question = self.asked.question
        if question.type is not QuestionType.QUIZ or self.mine is None:
            return None
        return set(self.mine.choices) == set(question.correct)


@dataclass(frozen=True)
class Answered:
    """What :meth:`Desk.answer` did: the questions whose answer it recorded, or why it recorded none."""

    recorded: tuple[str, ...] = ()
    problems: Mapping[str, str] = field(default_factory=dict)  # by question key; empty when recorded


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
        self.opened = 0  # how many batches have begun (the desk reads the log once in each)

    @property
    def open(self) -> bool:
        """Whether a batch is under way: its commands' events wait for its commit."""
        return self._pending is not None

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
        self.opened += 1
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                self.flush()
        finally:
            self._pending = None

    def savepoint(self) -> int | None:
        """Where the batch stands now, for :meth:`rollback` (None outside a batch: writes are committed at once)."""
        return len(self._pending) if self._pending is not None else None

    def rollback(self, savepoint: int | None) -> None:
        """Drop what was appended since ``savepoint``: a command of several writes that failed half-way."""
        if savepoint is not None and self._pending is not None:
            del self._pending[savepoint:]

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
        self._read_in: int | None = None  # the batch (Batch.opened) whose commands' state is read already

    @property
    def store(self) -> Store:
        return self.session.store

    @property
    def programme(self) -> Programme:
        return self.session.programme

    def now(self) -> datetime:
        return self.store.clock.now()

    def refresh(self) -> None:
        """Fold in what was appended since the state was last read (other processes' writes, a batch's commit)."""
        self.session.refresh()
        self._read_in = self.batch.opened if self.batch.open else None

    def _current(self) -> None:
        """Bring the state up to date before answering from it: at each call outside a batch; inside one, once, as
        its commands see the state from before it (:class:`Batch`). A check-in looks at the state three times and
        a page a dozen: each look read the log (a query, and the database thread giving up the GIL and waiting to
        get it back from the web's), for nothing new within one batch."""
        if not (self.batch.open and self._read_in == self.batch.opened):
            self.refresh()

    # -- tokens ------------------------------------------------------------------------------------------

    def grant(self, code: str) -> tokens.Grant | None:
        """What the token in a link allows now, or None (bad, forged, expired, another day's)."""
        self._current()
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
        self._current()
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
        self._current()
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
        self._current()
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
        self._current()
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

    # -- questions ----------------------------------------------------------------------------------------

    def _shown(self) -> list[tuple[AskedQuestion, QuestionStatus]]:
        """The questions a page shows now: the current step's, open or closed (never opened: not shown), then
        the course evaluation's while it is open, wherever the run is; each in the script's order."""
        state = self.session.state
        current = state.current
        here = self.programme.asked_in(current.exercise.id, current.step.id) if current is not None else ()
        shown = [asked for asked in here if asked.key in state.questions]
        keys = {asked.key for asked in shown}
        for asked in self.programme.asked:
            status = state.questions.get(asked.key)
            if asked.evaluation and asked.key not in keys and status is not None and status.open:
                shown.append(asked)
        shown.sort(key=lambda asked: asked.evaluation)  # stable: the step's first, then the evaluation's
        return [(asked, state.questions[asked.key]) for asked in shown]

    def _mine(self, asked: AskedQuestion, participant_id: str, ballot: str | None) -> GivenAnswer | None:
        """This person's answer: by their id for a named question, by the phone's ballot for an anonymous one."""
        respondent = participant_id if asked.named else ballot
        return self.session.ballots.answers(asked.key).get(respondent) if respondent else None

    def _results(self, asked: AskedQuestion) -> Results:
        given = self.session.ballots.answers(asked.key).values()
        values = [answer.value for answer in given if answer.value is not None]
        mean = sum(values) / len(values) if values and asked.question.type is QuestionType.SCALE else None
        return Results(len(given), dict(self.session.ballots.tally(asked.key)), mean)

    def questions(self, grant: tokens.Grant, participant_id: str, ballot: str | None) -> tuple[ShownQuestion, ...]:
        """What the person's page shows of the room's questions now, with their own answers and revealed results."""
        self._current()
        checked_in = self.checked_in(grant, participant_id) is not None
        return tuple(
            ShownQuestion(
                asked,
                status,
                self._mine(asked, participant_id, ballot),
                checked_in,
                self._results(asked) if status.revealed else None,
            )
            for asked, status in self._shown()
        )

    def questions_version(self) -> str:
        """A fingerprint of what every page's questions are (which, open or closed, revealed or not), so that the
        page's script knows when to fetch them again; "" when there are none. The answers coming in do not
        change it: a room of phones fetches its page again when a facilitator acts, not at every answer."""
        self._current()
        parts = [f"{asked.key}:{status.open:d}:{status.revealed:d}" for asked, status in self._shown()]
        return _fingerprint(parts)

    def results_version(self) -> str:
        """A fingerprint of the results the pages show (the revealed questions' counts): it changes as answers come
        in, and the page's script fetches them again now and then, not at every answer; "" when none are shown."""
        self._current()
        ballots = self.session.ballots
        parts = [
            f"{asked.key}:{ballots.count(asked.key)}:{sorted(ballots.tally(asked.key).items())}"
            for asked, status in self._shown()
            if status.revealed
        ]
        return _fingerprint(parts)

    def answer(
        self, grant: tokens.Grant, participant_id: str, ballot: str | None, sent: Mapping[str, SentAnswer]
    ) -> Answered:
        """Record one form's answers: every question's whose answer changed, or none when any is refused.

        A named question (every knowledge check's) takes the participant's id and needs them checked in here
        today; an anonymous one takes the phone's ballot id and stores no participant id. An answer sent again
        unchanged is not written again; an empty field leaves a question unanswered, but cannot take back an
        answer given before. Why each refused answer was refused is in ``problems`` (this module's constants).
        """
        self._current()
        by_key = self.programme.asked_by_key
        checked_in = self.checked_in(grant, participant_id) is not None
        problems: dict[str, str] = {}
        changes: list[tuple[AskedQuestion, str, answers.Answer, bool]] = []
        for key, given in sent.items():
            asked = by_key.get(key)
            if asked is None:
                problems[key] = UNKNOWN_QUESTION
                continue
            respondent = participant_id if asked.named else ballot
            status = self.session.state.questions.get(key)
            mine = self._mine(asked, participant_id, ballot)
            shown = ShownQuestion(asked, status, mine, checked_in, None) if status is not None else None
            problem, checked = _check(asked, given, shown, mine)
            if problem is not None:
                problems[key] = problem
            elif checked is not None and respondent:
                changes.append((asked, respondent, checked, given.consent))
            elif checked is not None:
                problems[key] = REFUSED  # an anonymous answer without a ballot: the page always gives one
        if not problems and sent and all(sent[key].empty_for(by_key[key]) for key in sent):
            problems[next(iter(sent))] = NOTHING
        if problems:
            return Answered(problems=problems)
        savepoint = self.batch.savepoint()
        for asked, respondent, checked, consent in changes:
            try:
                self.session.answer(
                    asked.key,
                    respondent=respondent,
                    participant=participant_id if asked.named else None,
                    location=grant.location,
                    choices=checked.choices,
                    value=checked.value,
                    text=checked.text,
                    consent=consent,
                    source=SOURCE,
                )
            except InputError:
                # Another process closed the question (or checked the person out) a moment ago: none of the form.
                self.batch.rollback(savepoint)
                status = self.session.state.questions.get(asked.key)
                return Answered(problems={asked.key: CLOSED if status is None or not status.open else REFUSED})
        return Answered(recorded=tuple(asked.key for asked, *_ in changes))

    # -- breakout groups ---------------------------------------------------------------------------------

    def _meeting(self, grant: tokens.Grant) -> Grouping | None:
        zone = zoneinfo.ZoneInfo(self.programme.workshop.timezone)
        return breakout.meeting_on(self.session.groups, grant.day, lambda moment: moment.astimezone(zone).date())

    def groups(self, grant: tokens.Grant, participant_id: str) -> breakout.GroupsNow | None:
        """What the person's page shows of the groups meeting on the link's day: their group; or, checked in here
        today but in no group (a late arrival), that groups are meeting without them; None: nothing to show."""
        self._current()
        grouping = self._meeting(grant)
        if grouping is None:
            return None
        roster = self.session.attendance.roster.by_id
        shown = breakout.groups_now(grouping, participant_id, roster, lambda at: self._local(grant.location, at))
        if shown.group is None and self.checked_in(grant, participant_id) is None:
            return None  # not here (or gone): being told to ask for a group would only confuse
        return shown

    def groups_version(self, grant: tokens.Grant) -> str:
        """A fingerprint of the groups meeting on the link's day, for the page's script (breakout.fingerprint)."""
        self._current()
        return breakout.fingerprint(self._meeting(grant), self.session.groups.version)

    # -- requests to be added -----------------------------------------------------------------------------

    def request_to_join(
        self, grant: tokens.Grant, name: str, email: str, submission: str | None = None
    ) -> Event | None:
        """Record a request to be added; None, writing nothing, when one with this e-mail is waiting already.

        The page answers both alike, and whether the e-mail is on the roster plays no part: the answer says nothing.
        """
        self._current()
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


def _fingerprint(parts: list[str]) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16] if parts else ""


def _whole(typed: str) -> int | None:
    """A scale's value as typed: a whole number in plain digits (int() would also take "1_0" or "٣"), or None."""
    typed = typed.strip()
    return int(typed) if WHOLE.fullmatch(typed) else None


def same_answer(asked: AskedQuestion, given: SentAnswer, mine: GivenAnswer) -> bool:
    """Whether ``given`` is the answer recorded already (sent again from a page that showed it chosen)."""
    kind = asked.question.type
    if kind is QuestionType.SCALE:
        return _whole(given.value) == mine.value
    if kind is QuestionType.TEXT:
        return given.text.strip() == (mine.text or "") and given.consent == mine.consent
    return set(given.choices) == set(mine.choices)


def _check(
    asked: AskedQuestion, given: SentAnswer, shown: ShownQuestion | None, mine: GivenAnswer | None
) -> tuple[str | None, answers.Answer | None]:
    """Why ``given`` cannot be recorded (a problem of this module), or the answer to write (None: nothing to write)."""
    if given.empty_for(asked):
        # Left empty: unanswered, unless it was answered before, as the record never takes an answer back.
        taken_back = mine is not None and shown is not None and shown.answerable
        return (CANNOT_WITHDRAW if taken_back else None), None
    if mine is not None and same_answer(asked, given, mine):
        return None, None
    if shown is None or not shown.status.open:
        problem: str | None = CLOSED
    elif not shown.takes_answers:
        problem = REVEALED
    elif shown.needs_check_in:
        problem = NEEDS_CHECK_IN
    else:
        problem = _content_problem(asked, given)
    if problem is not None:
        return problem, None
    try:
        return None, answers.check(asked, choices=given.choices, value=_whole(given.value), text=given.text)
    except InputError:
        return REFUSED, None


def _content_problem(asked: AskedQuestion, given: SentAnswer) -> str | None:
    """What is wrong with the answer itself: a choice that is no option, too many, a number off the scale, a
    comment too long; None when nothing is (facilitator.questions.answers.check has the last word)."""
    question = asked.question
    if question.type is QuestionType.SCALE:
        value = _whole(given.value)
        assert question.scale is not None  # the script's rule: a scale question has its scale
        return None if value is not None and question.scale.min <= value <= question.scale.max else OUT_OF_RANGE
    if question.type is QuestionType.TEXT:
        return TOO_LONG if len(given.text.strip()) > answers.MAX_TEXT else None
    if not set(given.choices) <= {option.id for option in question.options}:
        return NOT_AN_OPTION
    return ONE_ONLY if len(set(given.choices)) > 1 and not question.several else None


def day_end(programme: Programme, on: date) -> datetime:
    """Midnight after ``on`` in the workshop's time zone: when a day's identity cookie stops working."""
    return datetime.combine(on + timedelta(days=1), time(0), tzinfo=zoneinfo.ZoneInfo(programme.workshop.timezone))
