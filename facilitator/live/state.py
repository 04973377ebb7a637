"""Session state as a pure fold of the event log: the same events always give the same state.

Time is never ticked: a step's remaining time is computed from when it was entered, its pauses and its
adjustments, against whatever clock the caller passes in.

The script can change during the run (``programme.loaded``, see facilitator.live.reload). Steps are known by
their stable ids, exercise id and step id, so the fold applies a new script like this:

- The current step is kept when its exercise is still on the current day's agenda and still has a step
  with its id, wherever they moved to; its timer keeps running, against the step's new duration.
- Otherwise the current step was removed: no step is current any more (``current`` is None, the timer
  stops showing) and ``removed`` remembers its title and where the day goes on. The room is still where
  it was, so its visit stays open until the next step is entered. ``n`` then enters the first step that
  followed the removed one in the old script and is still in the new one; if none is left, the step
  after the last surviving one that preceded it; if none of those either, the day's first step. ``p``
  enters the step before that place. Entering any step or opening a day forgets ``removed``.
- A current day that is no longer in the workshop (its date was changed or it was taken out) is replaced
  by the day now at its place in the list of days (the last day if there are fewer), and the current
  step is looked for there, by the same rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from facilitator.live.note_log import Note as Note  # noqa: PLC0414 (where it lived: others import it from here)
from facilitator.live.note_log import NoteLog
from facilitator.live.reflection_book import Reflection as Reflection  # noqa: PLC0414  (re-exported: long defined here)
from facilitator.live.reflection_book import ReflectionBook
from facilitator.record import events as ev
from facilitator.record.clock import from_text
from facilitator.record.events import Event
from facilitator.script.models import PlannedStep, Programme

StepKey = tuple[str, str]  # (exercise id, step id): how a step is known across versions of the script


@dataclass(frozen=True)
class Timer:
    """The current step's clock: when it was entered, its planned time, the driver's adjustments and its
    pauses; what is left is worked out against whatever ``now`` is passed."""

    entered_at: datetime
    planned: timedelta
    adjustment: timedelta = timedelta()
    paused_total: timedelta = timedelta()
    paused_since: datetime | None = None

    @property
    def paused(self) -> bool:
        return self.paused_since is not None

    @property
    def allowed(self) -> timedelta:
        return max(self.planned + self.adjustment, timedelta())

    def elapsed(self, now: datetime) -> timedelta:
        until = self.paused_since or now
        return max(until - self.entered_at - self.paused_total, timedelta())

    def remaining(self, now: datetime) -> timedelta:
        """Time left; negative once the step runs over."""
        return self.allowed - self.elapsed(now)


@dataclass(frozen=True)
class Visit:
    """The room's stay on one step: from when it was entered until it was left (``left_at`` None: still there)."""

    day: date
    exercise: str
    step: str
    entered_at: datetime
    left_at: datetime | None = None


@dataclass(frozen=True)
class RemovedStep:
    """The current step, taken out of the script by a reload; where the day goes on from it."""

    exercise: str
    step: str
    title: str
    resume_at: StepKey | None  # the step ``n`` enters next; None: the removed step was the day's last


@dataclass(frozen=True)
class DayClose:
    """A day's end on the record (``day.closed``): by the driver, or inferred for a day left open."""

    at: datetime
    inferred: bool
    by: str


@dataclass(frozen=True)
class LastAction:
    """The team's last recorded action on a day (a step entered, a pause, a resume, an extension).

    A day left open is closed at the end its pace forecast gave at this moment (facilitator.live.days).
    """

    at: datetime
    exercise: str
    step: str
    timer: Timer


@dataclass(frozen=True)
class Facilitator:
    """A member of the facilitation team, as they last joined the run."""

    name: str
    role: str  # "lead" | "co" | "observer" (facilitator.team.roles)
    location: str | None
    joined_at: datetime
    address: str | None = None  # where they connect from (the SSH client's address), if known


@dataclass(frozen=True, slots=True)
class QuestionStatus:
    """Whether a question of the script (by its key, facilitator.script.models.AskedQuestion) takes answers,
    since when, and whether its results are shown."""

    opened_at: datetime
    closed_at: datetime | None = None
    revealed: bool = False

    @property
    def open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class SessionState:
    """The run as its log has it up to ``last_seq`` (folded by :func:`fold`): the script, the day and step the
    room is on and its timer, the days, the reflections, the team and its notes, the questions opened."""

    programme: Programme | None = None
    source: str | None = None  # the workshop folder or file the run was created from, if recorded
    digest: str = ""  # fingerprint of the source files of the current programme
    removed: RemovedStep | None = None
    day: date | None = None
    exercise: str | None = None
    step: str | None = None
    timer: Timer | None = None
    visits: tuple[Visit, ...] = ()
    # The days: which have been opened or entered, the team's last action on each, and those closed on the record.
    opened: frozenset[date] = frozenset()
    last_actions: Mapping[date, LastAction] = field(default_factory=lambda: MappingProxyType({}))
    closed: Mapping[date, DayClose] = field(default_factory=lambda: MappingProxyType({}))
    reflections: ReflectionBook = field(default_factory=ReflectionBook)
    # The facilitation team: who drives, who has joined, who asked for control, the notes to the driver.
    driver: str | None = None
    facilitators: Mapping[str, Facilitator] = field(default_factory=lambda: MappingProxyType({}))
    control_requests: tuple[str, ...] = ()  # waiting for the driver's answer, oldest first
    notes: NoteLog = field(default_factory=NoteLog)
    # The script's questions that were ever opened, by key; answers are folded apart (facilitator.questions).
    questions: Mapping[str, QuestionStatus] = field(default_factory=lambda: MappingProxyType({}))
    last_seq: int = 0

    @property
    def current(self) -> PlannedStep | None:
        """The current step on its day's timeline."""
        if self.programme is None or self.day is None or self.step is None:
            return None
        for planned in self.day_timeline():
            if planned.exercise.id == self.exercise and planned.step.id == self.step:
                return planned
        return None

    @property
    def next_step(self) -> PlannedStep | None:
        """The step after the current one on its day, or the day's first step when none is current."""
        timeline = self.day_timeline()
        if self.step is None and self.removed is not None:
            resume_at = self.removed.resume_at
            return next((p for p in timeline if (p.exercise.id, p.step.id) == resume_at), None)
        if self.step is None:
            return timeline[0] if timeline else None
        keys = [(p.exercise.id, p.step.id) for p in timeline]
        here = (self.exercise, self.step)
        if here not in keys or keys.index(here) + 1 >= len(keys):
            return None
        return timeline[keys.index(here) + 1]

    def index_without_current(self, keys: list[StepKey], offset: int) -> int:
        """Where ``n`` (offset +1) or ``p`` (-1) goes in the day's ``keys`` when no step is current.

        After a reload removed the current step, that is the place the day goes on from (see the module's
        docstring); otherwise the day's first step. An index outside ``keys`` means there is nowhere to go.
        """
        if self.removed is None:
            return 0
        resume_at = self.removed.resume_at
        at = keys.index(resume_at) if resume_at in keys else len(keys)
        return at if offset > 0 else at - 1

    def day_timeline(self) -> tuple[PlannedStep, ...]:
        if self.programme is None or self.day is None:
            return ()
        return self.programme.timeline(self.programme.day(self.day))

    def visible_reflections(self) -> list[Reflection]:
        """Reflections neither retracted by their author's facilitator nor hidden by a moderator."""
        return self.reflections.visible()


def _reflection_from(event: Event) -> Reflection:
    return Reflection(*_logged_fields(event))


def _gather_reflection(
    event: Event,
    earlier: ReflectionBook | None,
    changed: dict[str, Reflection],
    logged: list[tuple[Any, ...]],
    places: dict[str, int],
) -> None:
    """Fold a reflection ``event`` into those of the book before (``earlier``) ``changed`` so far, or into those
    ``logged`` so far, new ones kept as their fields (:meth:`Reflection.as_tuple`) at their ``places`` by id."""
    p = event.payload
    rid = p["reflection"]
    new = places.get(rid)
    if new is not None:  # one logged by these events: changed in place
        after = _reflection_after(Reflection(*logged[new]), event, p)
        if after is not None:
            logged[new] = after.as_tuple()
        return
    known = changed.get(rid)
    if known is None and earlier is not None:
        known = earlier.get(rid)
    if known is None and event.kind == ev.REFLECTION_LOGGED:
        places[rid] = len(logged)
        logged.append(_logged_fields(event))
        return
    after = _reflection_after(known, event, p)
    if after is not None:
        changed[after.id] = after


def _logged_fields(event: Event) -> tuple[Any, ...]:
    """The reflection a reflection.logged ``event`` logs, as :meth:`Reflection.as_tuple` gives it."""
    p = event.payload
    day = p.get("day")
    return (
        p["reflection"],  # id
        p["text"],
        date.fromisoformat(day) if day else None,
        p.get("exercise"),
        p.get("step"),
        p.get("prompt"),
        p.get("participant"),
        p.get("location"),
        bool(p.get("consent")),
        event.at,  # logged_at
        event.actor,  # logged_by
        None,  # edited_at
        False,  # retracted
        False,  # hidden
        p.get("source") or "facilitator",
        p.get("participant_id"),
    )


def _with_reflection(state: SessionState, reflection: Reflection) -> SessionState:
    return replace(state, reflections=state.reflections.with_changes({reflection.id: reflection}))


def _close_last_visit(visits: tuple[Visit, ...], at: datetime) -> tuple[Visit, ...]:
    if visits and visits[-1].left_at is None:
        return (*visits[:-1], replace(visits[-1], left_at=at))
    return visits


def _enter(state: SessionState, event: Event, payload: Mapping[str, Any]) -> SessionState:
    assert state.programme is not None
    day = date.fromisoformat(payload["day"])
    exercise = state.programme.exercise_by_id[payload["exercise"]]
    step = next(s for s in exercise.steps if s.id == payload["step"])
    visits = (
        *_close_last_visit(state.visits, event.at),
        Visit(day=day, exercise=exercise.id, step=step.id, entered_at=event.at),
    )
    timer = Timer(entered_at=event.at, planned=step.duration)
    entered = replace(state, day=day, exercise=exercise.id, step=step.id, timer=timer, visits=visits)
    closed = state.closed
    if day in closed:  # entering a step of a closed day reopens it (the driver confirmed that)
        closed = MappingProxyType({d: c for d, c in closed.items() if d != day})
    return _acted(replace(entered, opened=state.opened | {day}, closed=closed), event.at)


def _acted(state: SessionState, at: datetime) -> SessionState:
    """Remember the team's action at ``at`` on the current step as its day's last one."""
    if state.day is None or state.exercise is None or state.step is None or state.timer is None:
        return state
    actions = dict(state.last_actions)
    actions[state.day] = LastAction(at, state.exercise, state.step, state.timer)
    return replace(state, last_actions=MappingProxyType(actions))


def _close_day(state: SessionState, event: Event, p: Mapping[str, Any]) -> SessionState:
    """End ``p["day"]`` at ``p["at"]``: no visit of it runs later, and it has no current step any more."""
    day = date.fromisoformat(p["day"])
    at = from_text(p["at"]) if isinstance(p.get("at"), str) else event.at
    visits = tuple(
        replace(v, left_at=max(at, v.entered_at)) if v.day == day and (v.left_at is None or v.left_at > at) else v
        for v in state.visits
    )
    closed = dict(state.closed)
    closed[day] = DayClose(at=at, inferred=bool(p.get("inferred")), by=event.actor)
    state = replace(state, visits=visits, closed=MappingProxyType(closed))
    if state.day == day:
        state = replace(state, exercise=None, step=None, timer=None, removed=None)
    return state


def _keys(programme: Programme, on: date) -> list[StepKey]:
    try:
        day = programme.day(on)
    except KeyError:
        return []
    return [(p.exercise.id, p.step.id) for p in programme.timeline(day)]


def _same_day(old: Programme, new: Programme, on: date) -> date:
    """``on`` if the new script still has that day, else the day now at its place in the list of days."""
    new_dates = [d.date for d in new.workshop.days]
    if on in new_dates or not new_dates:
        return on
    old_dates = [d.date for d in old.workshop.days]
    index = old_dates.index(on) if on in old_dates else 0
    return new_dates[min(index, len(new_dates) - 1)]


def _resume_at(old_keys: list[StepKey], index: int | None, new_keys: list[StepKey]) -> StepKey | None:
    """The step the day goes on with when the step at ``old_keys[index]`` is gone (see the module docstring).

    ``index`` itself is tried first (it is the removed step's first follower when re-anchoring).
    """
    if index is None or not new_keys:
        return new_keys[0] if new_keys else None
    for key in old_keys[index:]:
        if key in new_keys:
            return key
    for key in reversed(old_keys[:index]):
        if key in new_keys:
            after = new_keys.index(key) + 1
            return new_keys[after] if after < len(new_keys) else None
    return new_keys[0]


def _load_programme(state: SessionState, programme: Programme, digest: str) -> SessionState:
    """Follow a new version of the script, keeping the current step by its ids where it still exists."""
    old = state.programme
    loaded = replace(state, programme=programme, digest=digest)
    if old is None or state.day is None:
        return loaded
    day = _same_day(old, programme, state.day)
    loaded = replace(loaded, day=day)
    old_keys = _keys(old, state.day)
    new_keys = _keys(programme, day)
    if state.exercise is not None and state.step is not None:
        here = (state.exercise, state.step)
        if here in new_keys:
            step = next(s for s in programme.exercise_by_id[here[0]].steps if s.id == here[1])
            timer = replace(state.timer, planned=step.duration) if state.timer is not None else None
            return replace(loaded, timer=timer)
        old_step = state.current
        title = old_step.step.title if old_step is not None else state.step
        index = old_keys.index(here) + 1 if here in old_keys else None
        removed = RemovedStep(here[0], here[1], title, _resume_at(old_keys, index, new_keys))
        return replace(loaded, exercise=None, step=None, timer=None, removed=removed)
    if state.removed is not None:
        resume_at = state.removed.resume_at
        if resume_at is not None and resume_at not in new_keys:
            index = old_keys.index(resume_at) if resume_at in old_keys else None
            loaded = replace(loaded, removed=replace(state.removed, resume_at=_resume_at(old_keys, index, new_keys)))
    return loaded


def apply(state: SessionState, event: Event) -> SessionState:
    """The state after ``event``. Unknown kinds change nothing, so older code can read newer logs."""
    return replace(_applied(state, event), last_seq=event.seq)


def _applied(state: SessionState, event: Event) -> SessionState:
    """:func:`apply` but for ``last_seq``, which :func:`fold` sets once at the end (a copy of the state less per
    event)."""
    p = event.payload
    timer = state.timer
    if event.kind == ev.RUN_CREATED:
        state = replace(
            state,
            programme=Programme.from_stored(p["programme"]),
            source=p.get("source"),
            digest=p.get("digest", ""),
        )
    elif event.kind == ev.PROGRAMME_LOADED:
        state = _load_programme(state, Programme.from_stored(p["programme"]), p.get("digest", ""))
    elif event.kind == ev.DAY_OPENED:
        day = date.fromisoformat(p["day"])
        state = replace(
            state,
            day=day,
            exercise=None,
            step=None,
            timer=None,
            visits=_close_last_visit(state.visits, event.at),
            removed=None,
            opened=state.opened | {day},
        )
    elif event.kind == ev.DAY_CLOSED:
        state = _close_day(state, event, p)
    elif event.kind == ev.STEP_ENTERED:
        state = replace(_enter(state, event, p), removed=None)
    elif event.kind == ev.TIMER_PAUSED and timer is not None and not timer.paused:
        state = _acted(replace(state, timer=replace(timer, paused_since=event.at)), event.at)
    elif event.kind == ev.TIMER_RESUMED and timer is not None and timer.paused_since is not None:
        paused_for = event.at - timer.paused_since
        resumed = replace(timer, paused_since=None, paused_total=timer.paused_total + paused_for)
        state = _acted(replace(state, timer=resumed), event.at)
    elif event.kind == ev.TIMER_ADJUSTED and timer is not None:
        adjusted = replace(timer, adjustment=timer.adjustment + timedelta(seconds=p["seconds"]))
        state = _acted(replace(state, timer=adjusted), event.at)
    elif event.kind in _REFLECTION_KINDS:
        state = _reflection_event(state, event, p)
    elif event.kind in _TEAM_KINDS:
        state = _TEAM_KINDS[event.kind](state, event, p)
    elif event.kind in _QUESTION_KINDS:
        state = _question_event(state, event, p)
    return state


_QUESTION_KINDS = frozenset({ev.QUESTION_OPENED, ev.QUESTION_CLOSED, ev.QUESTION_REVEALED})


def _question_event(state: SessionState, event: Event, p: Mapping[str, Any]) -> SessionState:
    key = p["question"]
    known = state.questions.get(key)
    if event.kind == ev.QUESTION_OPENED:
        # Opened again (its step entered again): answers given before still count; revealed stays as it was.
        # Opened first: a question whose results are live shows them from the start, as the script says.
        asked = state.programme.asked_by_key.get(key) if state.programme is not None else None
        live = asked is not None and not asked.question.hidden_until_revealed
        status = QuestionStatus(opened_at=event.at, revealed=known.revealed if known else live)
    elif known is None:
        return state
    elif event.kind == ev.QUESTION_CLOSED:
        if not known.open:
            return state
        status = replace(known, closed_at=event.at)
    else:
        status = replace(known, revealed=bool(p["revealed"]))
    return replace(state, questions=MappingProxyType({**state.questions, key: status}))


_REFLECTION_KINDS = frozenset(
    {ev.REFLECTION_LOGGED, ev.REFLECTION_EDITED, ev.REFLECTION_RETRACTED, ev.REFLECTION_HIDDEN}
)


def _reflection_after(known: Reflection | None, event: Event, p: Mapping[str, Any]) -> Reflection | None:
    """The reflection ``event`` is about, as it is after it; None when the event changes nothing."""
    if event.kind == ev.REFLECTION_LOGGED:
        return None if known else _reflection_from(event)
    if known is None:
        return None
    if event.kind == ev.REFLECTION_EDITED:
        changes: dict[str, Any] = {k: p[k] for k in ("text", "participant", "location") if k in p}
        if "consent" in p:
            changes["consent"] = bool(p["consent"])
        return replace(known, edited_at=event.at, **changes)
    if event.kind == ev.REFLECTION_RETRACTED:
        return replace(known, retracted=True)
    return replace(known, hidden=bool(p["hidden"]))


def _reflection_event(state: SessionState, event: Event, p: Mapping[str, Any]) -> SessionState:
    after = _reflection_after(state.reflections.get(p["reflection"]), event, p)
    return state if after is None else _with_reflection(state, after)


# The facilitation team's events: joins, the driver's seat changing hands, notes to the driver.


def _joined(state: SessionState, event: Event, p: Mapping[str, Any]) -> SessionState:
    facilitators = dict(state.facilitators)
    facilitators[event.actor] = Facilitator(event.actor, p["role"], p.get("location"), event.at, p.get("from"))
    # The lead drives at first; after that the seat moves only by handover or takeover.
    driver = event.actor if state.driver is None and p["role"] == "lead" else state.driver
    return replace(state, facilitators=MappingProxyType(facilitators), driver=driver)


def _without_request(state: SessionState, who: str) -> tuple[str, ...]:
    return tuple(r for r in state.control_requests if r != who)


def _requested(state: SessionState, event: Event, p: Mapping[str, Any]) -> SessionState:
    if event.actor == state.driver or event.actor in state.control_requests:
        return state
    return replace(state, control_requests=(*state.control_requests, event.actor))


def _handed(state: SessionState, event: Event, p: Mapping[str, Any]) -> SessionState:
    return replace(state, driver=p["to"], control_requests=_without_request(state, p["to"]))


def _declined(state: SessionState, event: Event, p: Mapping[str, Any]) -> SessionState:
    return replace(state, control_requests=_without_request(state, p["to"]))


def _taken(state: SessionState, event: Event, p: Mapping[str, Any]) -> SessionState:
    return replace(state, driver=event.actor, control_requests=_without_request(state, event.actor))


def _note_from(event: Event, p: Mapping[str, Any]) -> Note:
    return Note(
        id=p.get("note") or event.id, at=event.at, sender=event.actor, to=p.get("to"), text=p["text"], seq=event.seq
    )


def _noted(state: SessionState, event: Event, p: Mapping[str, Any]) -> SessionState:
    return replace(state, notes=state.notes.extended([_note_from(event, p)]))


_TEAM_KINDS: Mapping[str, Callable[[SessionState, Event, Mapping[str, Any]], SessionState]] = MappingProxyType(
    {
        ev.FACILITATOR_JOINED: _joined,
        ev.CONTROL_REQUESTED: _requested,
        ev.CONTROL_HANDED: _handed,
        ev.CONTROL_DECLINED: _declined,
        ev.CONTROL_TAKEN: _taken,
        ev.NOTE_SENT: _noted,
    }
)


# The kinds that change the state beyond its last_seq: every other kind (attendance, answers, participants...)
# is folded elsewhere, and fold passes over it.
# The kinds that make the day's schedule as it ran: the programme, days, steps and their timers.
SCHEDULE_KINDS = (
    ev.RUN_CREATED,
    ev.PROGRAMME_LOADED,
    ev.DAY_OPENED,
    ev.DAY_CLOSED,
    ev.STEP_ENTERED,
    ev.TIMER_PAUSED,
    ev.TIMER_RESUMED,
    ev.TIMER_ADJUSTED,
)
_STATE_KINDS = frozenset({*SCHEDULE_KINDS, *_REFLECTION_KINDS, *_TEAM_KINDS, *_QUESTION_KINDS})


def fold(events: Iterable[Event], state: SessionState | None = None) -> SessionState:
    """The state after ``events``, as :func:`apply` one by one gives it, in time linear in the events.

    The state is immutable, so adding a reflection or a note through :func:`apply` copies all the earlier
    ones: folding a long run that way is quadratic (a run with 100,000 reflections took hours to open). Here
    reflections and notes gather in a dict and a list, set on the state once at the end; only the reflection
    and note events read them, so nothing in between sees them stale.
    """
    state = state if state is not None else SessionState()
    reflections: dict[str, Reflection] = {}  # those of the book changed by the events, set on it at the end
    logged: list[tuple[Any, ...]] = []  # those new, as their fields: no object for each (Reflection.as_tuple)
    places: dict[str, int] = {}  # their places in logged, by id
    earlier = state.reflections or None  # to look up only when there are any
    notes: list[Note] | None = None
    last_seq = state.last_seq
    for event in events:
        last_seq = event.seq
        kind = event.kind
        if kind in _REFLECTION_KINDS:
            _gather_reflection(event, earlier, reflections, logged, places)
        elif kind == ev.NOTE_SENT:
            if notes is None:
                notes = []
            notes.append(_note_from(event, event.payload))
        elif kind in _STATE_KINDS:
            state = _applied(state, event)
    changes: dict[str, Any] = {}
    if reflections or logged:
        changes["reflections"] = state.reflections.with_changes(reflections, logged)
    if notes is not None:
        changes["notes"] = state.notes.extended(notes)
    if last_seq != state.last_seq:
        changes["last_seq"] = last_seq
    return replace(state, **changes) if changes else state
