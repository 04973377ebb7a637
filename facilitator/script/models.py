"""The workshop script as an app runs it: plain, frozen data classes for the workshop and its exercises.

They hold what was validated, and validate nothing themselves: the script's files are validated by the
pydantic models of the same names in :mod:`facilitator.script.validation` (every constraint, validator and
error message), which :mod:`facilitator.script.loading` uses and then converts into these. Each of these
classes has the same fields as its twin there, in the same order, with the same defaults
(tests/test_model_parity.py). So an app that only reads the programme its run stored
(:meth:`Programme.from_stored`) never imports pydantic; each model's ``validate`` (``Programme.validate(data)``)
validates a dict when that is wanted, importing pydantic then.

Constructing one directly checks nothing: build them from data with ``validate`` unless the values are known
to be valid. ``dataclasses.replace`` makes a changed copy.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Literal, Self

from facilitator.script.vocabulary import (
    DEFAULT_MIN_CODE_LENGTH,
    GROUP_NUMBER,
    ID_PATTERN,
    Anonymity,
    GroupBy,
    MixBy,
    QuestionType,
    Results,
    StepKind,
    call_for,
    check_call_link,
    check_call_pattern,
    did_you_mean,
)

__all__ = [
    "DEFAULT_MIN_CODE_LENGTH",
    "GROUP_NUMBER",
    "ID_PATTERN",
    "Anonymity",
    "AskedQuestion",
    "AttendanceRule",
    "BreakoutGroups",
    "CertificateSettings",
    "Day",
    "Evaluation",
    "Exercise",
    "GroupBy",
    "Grouping",
    "KnowledgeCheck",
    "Location",
    "MixBy",
    "Option",
    "ParticipantPageRules",
    "PlannedStep",
    "Programme",
    "Prompt",
    "Question",
    "QuestionType",
    "ReflectionDefaults",
    "Results",
    "Scale",
    "Step",
    "StepKind",
    "Workshop",
    "call_for",
    "check_call_link",
    "check_call_pattern",
    "did_you_mean",
]


class _Script:
    """What every script model can do besides holding its fields: be validated from its files' form."""

    __slots__ = ()

    @classmethod
    def validate(cls, data: object) -> Self:
        """``data`` (a script file's form, or the stored JSON form) validated as the script's files are, as this
        model: a :class:`pydantic.ValidationError` says what is wrong. Imports pydantic (and builds its models'
        validators) on first use."""
        from facilitator.script.validation import validate

        return validate(cls, data)


# Frozen and slotted; keyword-only, as pydantic's models are (so a field without a default may follow one with
# a default: what is required in the files is required here too).
_model = dataclass(frozen=True, slots=True, kw_only=True)


@_model
class Grouping(_Script):
    """How a breakout splits the room: ``grouping: location`` or ``{by: random, size: 5}``."""

    by: GroupBy
    size: int | None = None  # people per group


@_model
class BreakoutGroups(_Script):
    """The groups a step asks for, made from the people checked in (facilitator.groups):
    ``groups: {size: 4, mix: [location, gender], duration: 20m, call: "https://meet.example.org/wps-room-{n}"}``."""

    size: int | None = None  # people per group (some get one more)
    count: int | None = None  # how many groups (instead of size)
    mix: tuple[MixBy, ...] = (MixBy.LOCATION, MixBy.GENDER)  # what each group mixes as evenly as the numbers allow
    duration: timedelta | None = None  # how long the groups meet
    call: str | None = None  # each group's call, with {n} for its number


@_model
class Prompt(_Script):
    """A reflection question put to participants during a step."""

    text: str
    anonymity: Anonymity | None = None  # defaults to the workshop's reflections.anonymity


@_model
class Option(_Script):
    """One of a question's options: its id (what an answer records) and the text shown."""

    id: str
    text: str


@_model
class Scale(_Script):
    """A rating scale: ``{min: 1, max: 5, low: Not at all, high: Completely}``."""

    min: int = 1
    max: int = 5
    low: str = ""  # what the lowest value means
    high: str = ""  # what the highest value means


@_model
class Question(_Script):
    """A question put to the room during a step (or in the course evaluation)."""

    id: str
    type: QuestionType
    text: str
    options: tuple[Option, ...] = ()
    correct: tuple[str, ...] = ()  # quiz: the ids of the right options
    points: int = 1  # quiz: for a right answer
    scale: Scale | None = None
    anonymous: bool | None = None  # no participant id stored with an answer: the default, but in a knowledge check
    results: Results | None = None  # live, or hidden until revealed (a quiz's default)

    @property
    def hidden_until_revealed(self) -> bool:
        return (self.results or (Results.HIDDEN if self.type is QuestionType.QUIZ else Results.LIVE)) is Results.HIDDEN

    @property
    def several(self) -> bool:
        """Whether an answer may hold more than one option (a multiple choice, a quiz with several right)."""
        return self.type is QuestionType.MULTIPLE or (self.type is QuestionType.QUIZ and len(self.correct) > 1)


@_model
class KnowledgeCheck(_Script):
    """A step's questions as one named knowledge check, asked before (``pre``) and after (``post``)."""

    name: str
    phase: Literal["pre", "post"]


@_model
class Evaluation(_Script):
    """The end-of-course evaluation, opened at a chosen step and open until a facilitator closes it."""

    opens_at: str  # EXERCISE-ID/STEP-ID
    title: str = "Course evaluation"
    questions: tuple[Question, ...]


@_model
class Step(_Script):
    """One timed part of an exercise: what participants see, the facilitator's notes, and what it puts to
    the room (a reflection prompt, questions, breakout groups)."""

    id: str
    title: str
    kind: StepKind
    duration: timedelta
    text: str = ""  # what participants see
    notes: str = ""  # private facilitator notes
    prompt: Prompt | None = None
    grouping: Grouping | None = None
    materials: tuple[str, ...] = ()
    questions: tuple[Question, ...] = ()  # put to the room in this step
    check: KnowledgeCheck | None = None  # the step's questions as a knowledge check
    groups: BreakoutGroups | None = None  # breakout groups made from the people checked in


@_model
class Exercise(_Script):
    """An exercise, from its own file: its goals and materials, and its steps in running order."""

    id: str
    title: str
    goals: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()
    steps: tuple[Step, ...]

    @property
    def duration(self) -> timedelta:
        return sum((s.duration for s in self.steps), timedelta())


@_model
class Location(_Script):
    """One of the places the workshop is run from (a mission, headquarters): its time zone, how many are
    expected there, and its own video call if it has one."""

    id: str
    name: str
    timezone: str  # IANA time zone, e.g. Africa/Juba
    expected: int = 0  # participants expected here
    call_link: str | None = None  # this location's video call, if not the workshop's


@_model
class Day(_Script):
    """One day of the workshop: when it starts (and is planned to end), and the exercises on its agenda, in order."""

    date: date
    title: str = ""
    start: time  # local start time in the workshop's time zone
    end: time | None = None  # planned end; an agenda that runs past it is a warning
    agenda: tuple[str, ...]  # exercise ids in running order


@_model
class AttendanceRule(_Script):
    """What attendance counts for: the share of planned time a certificate needs, and when an arrival is late."""

    certificate_share: float = 0.8  # share of planned minutes needed for a certificate
    late_grace: timedelta = timedelta(minutes=10)  # arrivals after start plus this are late


@_model
class ReflectionDefaults(_Script):
    """How reflections are taken unless a prompt says otherwise: their anonymity, and whether the
    consent to quote starts ticked."""

    anonymity: Anonymity = Anonymity.PARTICIPANT_CHOOSES
    consent_to_quote: bool = False  # whether the consent box starts ticked


@_model
class CertificateSettings(_Script):
    """What the certificates of attendance say and show (``facilitator certificates``); who is eligible is
    ``attendance.certificate_share``'s rule."""

    issuer: str  # who issues the certificates: printed on each, named when verified
    signatory: str = ""  # the name and title printed under the signature
    logo: str | None = None  # PNG or JPEG, relative to the workshop folder
    signature: str | None = None  # PNG or JPEG, relative to the workshop folder


@_model
class ParticipantPageRules(_Script):
    """How the participant page tells who is who: ``participant_page: {min_code_length: 8, email_only: false}``."""

    # fewest characters of a personal code (spaces and dashes not counted): a roster import refuses shorter ones,
    # and a code alone identifies only when at least this long
    min_code_length: int = DEFAULT_MIN_CODE_LENGTH
    # let someone without a personal code identify with their e-mail alone; off, the page asks everyone for it
    email_only: bool = False


@_model
class Workshop(_Script):
    """The workshop file (``workshop.yaml``): its title, time zone, locations and days, and what holds for the
    whole run (attendance, reflections, the participant page, the evaluation, the certificates)."""

    title: str
    organiser: str = ""
    timezone: str  # IANA time zone, e.g. Africa/Juba
    exercises: tuple[str, ...] = ("*.yaml",)  # exercise files or glob patterns, relative to the workshop file
    locations: tuple[Location, ...]
    days: tuple[Day, ...]
    attendance: AttendanceRule = AttendanceRule()
    reflections: ReflectionDefaults = ReflectionDefaults()
    participant_page: ParticipantPageRules = ParticipantPageRules()
    evaluation: Evaluation | None = None  # the end-of-course evaluation
    certificate: CertificateSettings | None = None  # the certificates of attendance
    call_link: str | None = None  # the video call, put in the invitations


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """A step placed on a day's timeline, with its planned local start."""

    exercise: Exercise
    step: Step
    start: datetime

    @property
    def key(self) -> str:
        return f"{self.exercise.id}/{self.step.id}"

    @property
    def end(self) -> datetime:
        return self.start + self.step.duration


def _question_key(question: Question, check: KnowledgeCheck | None) -> str:
    return question.id if check is None else f"{check.name}/{check.phase}/{question.id}"


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    """A question where the workshop asks it. ``key`` names it in the record: its id, ``CHECK/PHASE/ID`` in a
    knowledge check (the same question is asked twice), ``evaluation/ID`` in the course evaluation."""

    key: str
    question: Question
    exercise: str
    step: str
    check: KnowledgeCheck | None
    evaluation: bool

    @property
    def named(self) -> bool:
        """Whether answers carry the participant's id: a named question, and every knowledge check's."""
        return self.check is not None or self.question.anonymous is False


# Not slotted: its cached properties keep what they work out in the instance's __dict__.
@dataclass(frozen=True, kw_only=True)
class Programme(_Script):
    """A validated workshop with its exercises: what a run is driven from, stored whole in the run's database."""

    workshop: Workshop
    exercises: tuple[Exercise, ...]

    @classmethod
    def from_stored(cls, data: object) -> Programme:
        """The programme a run recorded (its JSON form, parsed), read without validating it a second time, as
        validation would read it: see :mod:`facilitator.script.stored`."""
        from facilitator.script.stored import read_stored

        return read_stored(cls, data)

    @functools.cached_property
    def exercise_by_id(self) -> dict[str, Exercise]:
        return {e.id: e for e in self.exercises}

    def day(self, on: date) -> Day:
        for day in self.workshop.days:
            if day.date == on:
                return day
        raise KeyError(on.isoformat())

    @functools.cached_property
    def _timelines(self) -> dict[date, tuple[PlannedStep, ...]]:
        # Screens ask for a day's timeline many times a second; the programme never changes, so build once.
        return {}

    def timeline(self, day: Day) -> tuple[PlannedStep, ...]:
        """Every step of the day in order, with planned starts in the workshop's time zone."""
        cached = self._timelines.get(day.date)
        if cached is not None:
            return cached
        tz = zoneinfo.ZoneInfo(self.workshop.timezone)
        at = datetime.combine(day.date, day.start, tzinfo=tz)
        planned: list[PlannedStep] = []
        for exercise_id in day.agenda:
            exercise = self.exercise_by_id[exercise_id]
            for step in exercise.steps:
                planned.append(PlannedStep(exercise=exercise, step=step, start=at))
                at += step.duration
        self._timelines[day.date] = timeline = tuple(planned)
        return timeline

    @functools.cached_property
    def asked(self) -> tuple[AskedQuestion, ...]:
        """Every question of the workshop as asked: the steps' in agenda order, then the evaluation's."""
        on_agenda = dict.fromkeys(e for day in self.workshop.days for e in day.agenda)  # in order, each once
        exercises = [self.exercise_by_id[e] for e in on_agenda if e in self.exercise_by_id]
        exercises += [e for e in self.exercises if e.id not in on_agenda]  # defined, never run: still listed
        found = [
            AskedQuestion(_question_key(question, step.check), question, exercise.id, step.id, step.check, False)
            for exercise in exercises
            for step in exercise.steps
            for question in step.questions
        ]
        evaluation = self.workshop.evaluation
        if evaluation is not None:
            exercise_id, step_id = evaluation.opens_at.split("/")
            found += [
                AskedQuestion(f"evaluation/{question.id}", question, exercise_id, step_id, None, True)
                for question in evaluation.questions
            ]
        return tuple(found)

    @functools.cached_property
    def asked_by_key(self) -> Mapping[str, AskedQuestion]:
        """The questions as asked, by key."""
        return MappingProxyType({asked.key: asked for asked in self.asked})

    def asked_in(self, exercise: str, step: str) -> tuple[AskedQuestion, ...]:
        """The questions a step opens (its own, and the evaluation where it opens)."""
        return tuple(a for a in self.asked if (a.exercise, a.step) == (exercise, step))

    def planned_duration(self, day: Day) -> timedelta:
        return sum((self.exercise_by_id[e].duration for e in day.agenda), timedelta())

    def planned_end(self, day: Day) -> datetime:
        tz = zoneinfo.ZoneInfo(self.workshop.timezone)
        return datetime.combine(day.date, day.start, tzinfo=tz) + self.planned_duration(day)
