"""The event catalogue: what the payload of each kind of event may hold, as pydantic models.

Every event is checked against its kind's model before it is written (facilitator.record.store); the log holds
the payload as JSON, and reading it back needs none of this (facilitator.record.events).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from facilitator.record import events as ev
from facilitator.record.clock import from_text


def _moment(text: str) -> str:
    from_text(text)  # ValueError for anything that is not a time
    return text


def _day(text: str) -> str:
    date.fromisoformat(text)
    return text


Moment = Annotated[str, AfterValidator(_moment)]  # UTC text as facilitator.record.clock.to_text writes it
DayText = Annotated[str, AfterValidator(_day)]  # a workshop day, YYYY-MM-DD
Source = Literal["facilitator", "qr", "zoom", "teams"]


class Payload(BaseModel):
    """What an event of one kind carries. Unknown fields are refused: a typo must not reach the record."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # built when first used: start-up


class RunCreated(Payload):
    """The run begins: the workshop as loaded (facilitator.script.models.Programme, as JSON), the folder it
    came from, a fingerprint of its files and the version of facilitator that created the run."""

    programme: dict[str, Any]
    digest: str = ""
    source: str | None = None
    app_version: str | None = None


class ProgrammeLoaded(Payload):
    """A new version of the script, saved while the run goes on (facilitator.live.reload); the run follows it."""

    programme: dict[str, Any]
    digest: str = ""


class DayOpened(Payload):
    """The driver opens a day: no step is current yet. ``auto``: the app opened it because it is dated today."""

    day: DayText
    auto: bool = False


class DayClosed(Payload):
    """A day ends (facilitator.live.days): by the driver at ``at``, or, left open, at its inferred end; ``at`` may be
    earlier than the event. Entering a step of a closed day later reopens it."""

    day: DayText
    at: Moment
    inferred: bool


class StepEntered(Payload):
    """The driver enters a step, known by its stable ids; its timer starts."""

    day: DayText
    exercise: str
    step: str


class TimerPaused(Payload):
    """The current step's timer stops."""


class TimerResumed(Payload):
    """The current step's timer goes on."""


class TimerAdjusted(Payload):
    """The current step is extended (positive) or shortened (negative) by ``seconds``."""

    seconds: int


class ReflectionLogged(Payload):
    """A reflection against the step current then (and its prompt). The reflection id doubles as the event id."""

    reflection: str
    text: str
    participant: str | None = None  # the name it is signed with; None: anonymous
    location: str | None = None
    consent: bool = False  # to be quoted
    day: DayText | None = None
    exercise: str | None = None
    step: str | None = None
    prompt: str | None = None
    source: Literal["facilitator", "qr"] = "facilitator"
    participant_id: str | None = None  # the roster's id, when the participant page knows the signed author


class ReflectionEdited(Payload):
    """Some fields of a reflection changed."""

    reflection: str
    text: str | None = None
    participant: str | None = None
    location: str | None = None
    consent: bool | None = None


class ReflectionRetracted(Payload):
    """A reflection withdrawn by a facilitator: kept on the record, counted nowhere."""

    reflection: str


class ReflectionHidden(Payload):
    """A moderator hides a reflection from the feed, the room view and the quotes, or shows it again."""

    reflection: str
    hidden: bool


class ParticipantAdded(Payload):
    """Someone on the roster (facilitator.attendance.roster): imported, a walk-in, or an approved request."""

    participant: str
    name: str
    email: str
    location: str
    role: str | None = None
    organisation: str | None = None
    gender: str | None = None
    code: str | None = None  # a personal code that proves who they are on the participant page
    source: Literal["roster", "walk-in"] = "roster"


class ParticipantUpdated(Payload):
    """Some fields of a participant changed: ``changes`` maps a field of participant.added to its new value."""

    participant: str
    changes: dict[str, str | None]


class ParticipantRequested(Payload):
    """Someone not on the roster asks, from the participant page, to be added at ``location``."""

    request: str
    name: str
    email: str
    location: str


class ParticipantRequestDecided(Payload):
    """A facilitator approves (``participant``: the id added with it) or declines a request."""

    request: str
    decision: Literal["approved", "declined"]
    participant: str | None = None


class AttendanceCheckedIn(Payload):
    """A participant is in, from ``at`` (earlier than the event for a video-call report imported afterwards), on
    ``source``'s channel (facilitator.attendance.intervals); ``location``: where they are, if not their roster
    location."""

    participant: str
    at: Moment
    source: Source = "facilitator"
    location: str | None = None


class AttendanceCheckedOut(Payload):
    """A participant leaves, at ``at``, on ``source``'s channel."""

    participant: str
    at: Moment
    source: Source = "facilitator"
    location: str | None = None


class AttendanceMarked(Payload):
    """A facilitator's verdict for one day, overriding the intervals; ``status`` None clears it."""

    participant: str
    day: DayText
    status: Literal["late", "excused", "absent"] | None


class LocationLink(Payload):
    """A location's video link changes; the event's time is the change's, so every outage is on the record."""

    location: str
    status: Literal["not-joined", "connected", "dropped"]


class FacilitatorJoined(Payload):
    """A process opens the run as a member of the team (the actor): its role, its location, where from. The
    first lead to join drives (facilitator.team.roles)."""

    role: Literal["lead", "co", "observer"]
    location: str | None = None
    from_: str | None = Field(default=None, alias="from")  # the SSH client's address


class ControlRequested(Payload):
    """A co-facilitator asks the driver for control."""


class ControlHanded(Payload):
    """The driver hands control to ``to`` (accepting a request is this too)."""

    to: str


class ControlDeclined(Payload):
    """The driver declines ``to``'s request for control."""

    to: str


class ControlTaken(Payload):
    """A co-facilitator takes the driver's seat after the driver's process has gone; ``from``: the driver then."""

    from_: str | None = Field(default=None, alias="from")


class NoteSent(Payload):
    """A short note from one facilitator to the driver (``to``)."""

    text: str
    note: str | None = None  # its id; None: the event's
    to: str | None = None


class QuestionOpened(Payload):
    """A question of the script (facilitator.script.models.AskedQuestion, by its ``key``) takes answers: its
    step was entered, or, for the course evaluation, the step it opens at."""

    question: str


class QuestionClosed(Payload):
    """A question takes no more answers: its step was left, or a facilitator closed it."""

    question: str


class QuestionRevealed(Payload):
    """A facilitator shows (``revealed``) or hides a question's results on the room view and the phones."""

    question: str
    revealed: bool


class AnswerGiven(Payload):
    """One person's answer to an open question; a later answer of the same ``respondent`` replaces it.

    ``respondent`` is the participant's id for a named question; for an anonymous one, a random ballot id
    the phone keeps, and no participant id is stored anywhere. ``location`` is the link's location.
    ``choices`` holds option ids (single, multiple, quiz), ``value`` a scale's number, ``text`` a comment;
    ``consent``: the person lets the organisers quote the comment in what they publish (the report).
    """

    question: str
    respondent: str
    named: bool
    participant: str | None = None
    location: str | None = None
    choices: list[str] = Field(default_factory=list)
    value: int | None = None
    text: str | None = None
    consent: bool = False
    source: Literal["qr", "facilitator"] = "qr"


class BreakoutGroup(Payload):
    """One group of a ``groups.made``: its number (from 1), its members' participant ids, its call (a link or a
    room name), if any."""

    number: int = Field(ge=1)
    members: list[str]
    call: str | None = None


class GroupsMade(Payload):
    """The driver splits the people checked in into breakout groups (facilitator.groups), at the step current
    then; ``grouping`` names them. ``groups``: each group's ``number`` (from 1), ``members`` (participant ids)
    and ``call`` (a link or a room name, if any). ``size`` or ``count``: what was asked; ``mix``: what each
    group spreads (location, gender); ``seconds``: how long they meet; ``seed``: the making's (the same people,
    earlier groups and seed make the same groups); ``repeats``: pairs grouped together before, put together
    again."""

    grouping: str
    day: DayText | None = None
    exercise: str | None = None
    step: str | None = None
    groups: list[BreakoutGroup] = Field(min_length=1)
    size: int | None = None
    count: int | None = None
    mix: list[Literal["location", "gender"]] = Field(default_factory=list)
    seconds: int | None = None
    seed: int | None = None
    repeats: int = 0


class GroupsChanged(Payload):
    """A person joins group ``to`` of the grouping ``grouping``, leaving their group there (``from``), if any:
    a late arrival added to the smallest group (``reason`` late) or a move by the driver (moved)."""

    grouping: str
    participant: str
    to: int = Field(ge=1)
    from_: int | None = Field(default=None, alias="from")
    reason: Literal["late", "moved"] = "moved"


class GroupsEnded(Payload):
    """The driver ends the breakout groups ``grouping``: the room is back together, phones stop showing a group
    and no one can be added to or moved in it any more."""

    grouping: str


class SpeakingStarted(Payload):
    """A facilitator tallies who has the floor (facilitator.speaking): ``participant`` starts the turn ``turn``, at
    the step current then (``day``, ``exercise``, ``step``). A turn still open ends at this event's time."""

    turn: str
    participant: str
    day: DayText | None = None
    exercise: str | None = None
    step: str | None = None


class SpeakingStopped(Payload):
    """The turn ``turn`` ends: nobody has the floor."""

    turn: str


class SpeakingShown(Payload):
    """The driver shows (``shown``) or hides the tally of who speaks on the room view."""

    shown: bool


CATALOGUE: dict[str, type[Payload]] = {
    ev.RUN_CREATED: RunCreated,
    ev.PROGRAMME_LOADED: ProgrammeLoaded,
    ev.DAY_OPENED: DayOpened,
    ev.DAY_CLOSED: DayClosed,
    ev.STEP_ENTERED: StepEntered,
    ev.TIMER_PAUSED: TimerPaused,
    ev.TIMER_RESUMED: TimerResumed,
    ev.TIMER_ADJUSTED: TimerAdjusted,
    ev.REFLECTION_LOGGED: ReflectionLogged,
    ev.REFLECTION_EDITED: ReflectionEdited,
    ev.REFLECTION_RETRACTED: ReflectionRetracted,
    ev.REFLECTION_HIDDEN: ReflectionHidden,
    ev.PARTICIPANT_ADDED: ParticipantAdded,
    ev.PARTICIPANT_UPDATED: ParticipantUpdated,
    ev.PARTICIPANT_REQUESTED: ParticipantRequested,
    ev.PARTICIPANT_REQUEST_DECIDED: ParticipantRequestDecided,
    ev.ATTENDANCE_CHECKED_IN: AttendanceCheckedIn,
    ev.ATTENDANCE_CHECKED_OUT: AttendanceCheckedOut,
    ev.ATTENDANCE_MARKED: AttendanceMarked,
    ev.LOCATION_LINK: LocationLink,
    ev.FACILITATOR_JOINED: FacilitatorJoined,
    ev.CONTROL_REQUESTED: ControlRequested,
    ev.CONTROL_HANDED: ControlHanded,
    ev.CONTROL_DECLINED: ControlDeclined,
    ev.CONTROL_TAKEN: ControlTaken,
    ev.NOTE_SENT: NoteSent,
    ev.QUESTION_OPENED: QuestionOpened,
    ev.QUESTION_CLOSED: QuestionClosed,
    ev.QUESTION_REVEALED: QuestionRevealed,
    ev.ANSWER_GIVEN: AnswerGiven,
    ev.GROUPS_MADE: GroupsMade,
    ev.GROUPS_CHANGED: GroupsChanged,
    ev.GROUPS_ENDED: GroupsEnded,
    ev.SPEAKING_STARTED: SpeakingStarted,
    ev.SPEAKING_STOPPED: SpeakingStopped,
    ev.SPEAKING_SHOWN: SpeakingShown,
}


class BadEvent(ValueError):
    """A payload that does not match its kind's model, or a kind the catalogue does not know: a programming
    error, refused before it reaches the log."""


def validate(kind: str, payload: dict[str, Any]) -> Payload:
    """The typed payload of an event about to be written; :class:`BadEvent` when it does not fit."""
    model = CATALOGUE.get(kind)
    if model is None:
        raise BadEvent(f"{kind!r} is not an event kind (facilitator.record.catalogue.CATALOGUE)")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise BadEvent(f"{kind}: {exc}") from None


def build_validators() -> None:
    """Build every kind's validator now (each is built when first used, which keeps them off an app's
    start-up): for a process about to write many kinds at once, the participant page's server."""
    for model in CATALOGUE.values():
        model.model_rebuild()


def typed(event: ev.Event) -> Payload | None:
    """``event``'s payload, typed by its kind's model; None for a kind this version does not know (a newer log)."""
    model = CATALOGUE.get(event.kind)
    return model.model_validate(event.payload) if model is not None else None


def schema() -> dict[str, Any]:
    """The JSON Schema of every kind's payload: ``{"kinds": {kind: schema}}``, for ``facilitator schema events``."""
    kinds = {kind: model.model_json_schema(by_alias=True) for kind, model in CATALOGUE.items()}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "facilitator events", "kinds": kinds}
