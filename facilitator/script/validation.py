"""The workshop script format as pydantic validates it: the models of the workshop file and its exercise files.

Every model forbids unknown keys so that a typo such as ``duraton:`` is an error, not a silent default.
Cross-file rules (agenda references, overruns) live in :mod:`facilitator.script.loading`, which has the files.

These models are used only to validate (loading the workshop's files, ``facilitator schema``, a stored
programme not in its stored form): :func:`validate` turns a validated model into the runtime model of the
same name (:mod:`facilitator.script.models`, plain frozen data classes), so that an app that only reads the
programme its run stored never imports pydantic. Each model here has a runtime twin with the same fields, in
the same order, with the same defaults (tests/test_model_parity.py).
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Callable, Sequence
from datetime import date, time, timedelta
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from facilitator.script.conversion import to_runtime
from facilitator.script.durations import DURATION_PATTERN, format_duration, parse_duration
from facilitator.script.vocabulary import (
    DEFAULT_MIN_CODE_LENGTH,
    ID_PATTERN,
    Anonymity,
    GroupBy,
    MixBy,
    QuestionType,
    Results,
    StepKind,
    check_call_link,
    check_call_pattern,
    did_you_mean,
)


@functools.cache
def _iana_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


_NOT_ZONES = ("posixrules", "localtime", "Factory")


def _loads_as_zone(name: str) -> bool:
    """Whether ``name`` is a time zone, without listing the whole database (which costs ~70 ms)."""
    if not name or name in _NOT_ZONES or name.startswith(("posix/", "right/")):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _check_timezone(name: str) -> str:
    if not _loads_as_zone(name) and name not in _iana_zones():
        raise ValueError(f"{name!r} is not an IANA time zone{did_you_mean(name, sorted(_iana_zones()))}")
    return name


_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
CLOCK_PATTERN = r"^([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


def _clock_time(value: object) -> object:
    """A time of day as people write it: ``9:30`` as well as ``09:30``; never a bare number.

    Pydantic alone refuses ``9:30`` and reads ``900`` as 900 seconds past midnight UTC, which would
    quietly start the day at 00:15. Offsets are refused: times are in the workshop's time zone.
    """
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError(f"{value.isoformat()} has a UTC offset; write the local time in the workshop's time zone")
        return value
    if isinstance(value, str):
        match = _CLOCK.fullmatch(value.strip())
        if match:
            hour, minute, second = (int(part or 0) for part in match.groups())
            if hour < 24 and minute < 60 and second < 60:
                return time(hour, minute, second)
    raise ValueError(f"{value!r} is not a time of day; write it like 09:00 or 13:30")


def _calendar_date(value: object) -> object:
    """Refuse numbers: pydantic would read ``20220822`` or ``1661126400`` as seconds since 1970."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"{value!r} is not a date; write it like 2022-08-22")
    return value


def _fail_at(errors: Sequence[tuple[tuple[int | str, ...], str]]) -> None:
    """Raise a validation error located below the value being validated (``steps[3].id``, not ``steps``).

    Pydantic places an error raised by a validator at the validated value itself and offers no way to
    point deeper, but it does merge a :class:`ValidationError` raised inside, keeping its locations.
    """
    details = [
        InitErrorDetails(type=PydanticCustomError("script_rule", message), loc=loc, input=None)
        for loc, message in errors
    ]
    if details:
        raise ValidationError.from_exception_data("script rule", details)


def _duplicates(items: Sequence[object], key: Callable[[Any], object], field_name: str, what: str, where: str) -> None:
    """Refuse repeated keys, each reported at the repeated item rather than at the whole list."""
    first: dict[object, int] = {}
    errors: list[tuple[tuple[int | str, ...], str]] = []
    for index, item in enumerate(items):
        value = key(item)
        if value in first:
            shown = value.isoformat() if isinstance(value, date) else value
            loc: tuple[int | str, ...] = (index, field_name) if field_name else (index,)
            errors.append((loc, f"{what} {shown!r} is used twice (first at {where}[{first[value]}])"))
        else:
            first[value] = index
    _fail_at(errors)


def _share(value: object) -> object:
    """Accept ``80%`` as well as ``0.8``."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) / 100
        except ValueError:
            raise ValueError(f"{value!r} is not a percentage") from None
    return value


TimeZoneName = Annotated[
    str,
    AfterValidator(_check_timezone),
    WithJsonSchema({"type": "string", "description": "IANA time zone, e.g. Africa/Juba"}),
]
Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DURATION_PATTERN,
            "examples": ["10m", "1h30m", "90s"],
        }
    ),
]
Identifier = Annotated[
    str,
    Field(
        pattern=ID_PATTERN,
        description="lower-case letters, digits and dashes, e.g. wps-agenda",
    ),
]
ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    WithJsonSchema({"type": "string", "pattern": CLOCK_PATTERN, "examples": ["09:00", "13:30"]}),
]
CalendarDate = Annotated[date, BeforeValidator(_calendar_date)]
# The bounds go before the validator that reads "80%" so that they constrain the number (placed after
# it, pydantic wrote them into the JSON Schema as the non-standard keywords "gt" and "le").
Share = Annotated[
    float,
    Field(gt=0, le=1),
    BeforeValidator(_share),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%\s*$"},
            ],
            "examples": [0.8, "80%"],
        }
    ),
]


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def _image_path(value: str) -> str:
    """An image beside the workshop: a relative path to a PNG or JPEG file (checked to exist by the loader)."""
    text = value.strip()
    if not text or text.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", text):
        raise ValueError(f"{value!r}: write the path relative to the workshop folder, e.g. images/logo.png")
    if not text.lower().endswith(IMAGE_SUFFIXES):
        raise ValueError(f"{value!r} is not a PNG or JPEG image (.png, .jpg or .jpeg)")
    return text


CallLink = Annotated[
    str,
    Field(max_length=500),
    AfterValidator(check_call_link),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^https?://\S+$",
            "maxLength": 500,
            "description": "the video call's address, e.g. https://meet.example.org/abc-defg",
        }
    ),
]
ImagePath = Annotated[
    str,
    Field(max_length=300),
    AfterValidator(_image_path),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"\.([Pp][Nn][Gg]|[Jj][Pp][Ee]?[Gg])$",
            "maxLength": 300,
            "description": "a PNG or JPEG file, relative to the workshop folder",
        }
    ),
]


CallPattern = Annotated[
    str,
    Field(max_length=500),
    AfterValidator(check_call_pattern),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"\{n\}",
            "maxLength": 500,
            "description": "each group's call: a link or a room name with {n} for the group's number, e.g."
            " https://meet.example.org/wps-room-{n}",
        }
    ),
]


# Every model builds its validator when first used, not when defined: loading a workshop builds those of a
# Workshop and an Exercise (and what they hold), never Programme's.
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True)


class Grouping(_Strict):
    """How a breakout splits the room: ``grouping: location`` or ``{by: random, size: 5}``."""

    by: GroupBy
    size: int | None = Field(default=None, ge=2, le=100, description="people per group")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"by": value} if isinstance(value, str) else value


class BreakoutGroups(_Strict):
    """The groups a step asks for, made from the people checked in (facilitator.groups):
    ``groups: {size: 4, mix: [location, gender], duration: 20m, call: "https://meet.example.org/wps-room-{n}"}``."""

    size: int | None = Field(default=None, ge=2, le=100, description="people per group (some get one more)")
    count: int | None = Field(default=None, ge=1, le=500, description="how many groups (instead of size)")
    mix: tuple[MixBy, ...] = Field(
        default=(MixBy.LOCATION, MixBy.GENDER), description="what each group mixes as evenly as the numbers allow"
    )
    duration: Duration | None = Field(default=None, description="how long the groups meet")
    call: CallPattern | None = Field(default=None, description="each group's call, with {n} for its number")

    @field_validator("mix")
    @classmethod
    def _each_once(cls, mix: tuple[MixBy, ...]) -> tuple[MixBy, ...]:
        _duplicates(mix, lambda by: by.value, "", "mix", "mix")
        return mix

    @model_validator(mode="after")
    def _size_or_count(self) -> BreakoutGroups:
        if self.size is not None and self.count is not None:
            _fail_at([(("count",), "give size (people per group) or count (how many groups), not both")])
        if self.size is None and self.count is None:
            _fail_at([(("size",), "give size (people per group) or count (how many groups)")])
        return self


class Prompt(_Strict):
    """A reflection question put to participants during a step."""

    text: str = Field(min_length=1, max_length=1000)
    anonymity: Anonymity | None = Field(default=None, description="defaults to the workshop's reflections.anonymity")


class Option(_Strict):
    id: Identifier
    text: str = Field(min_length=1, max_length=200)


class Scale(_Strict):
    """A rating scale: ``{min: 1, max: 5, low: Not at all, high: Completely}``."""

    min: int = Field(default=1, ge=0, le=10)
    max: int = Field(default=5, ge=1, le=10)
    low: str = Field(default="", max_length=60, description="what the lowest value means")
    high: str = Field(default="", max_length=60, description="what the highest value means")

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.min >= self.max:
            _fail_at([(("max",), f"must be more than min ({self.min})")])
        return self


class Question(_Strict):
    """A question put to the room during a step (or in the course evaluation)."""

    id: Identifier
    type: QuestionType
    text: str = Field(min_length=1, max_length=500)
    options: tuple[Option, ...] = Field(default=(), max_length=12)
    correct: tuple[Identifier, ...] = Field(default=(), description="quiz: the ids of the right options")
    points: int = Field(default=1, ge=0, le=100, description="quiz: for a right answer")
    scale: Scale | None = None
    anonymous: bool | None = Field(
        default=None,
        description="no participant id is stored with an answer: the default, but in a knowledge check (named)",
    )
    results: Results | None = Field(default=None, description="live, or hidden until revealed (a quiz's default)")

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        errors: list[tuple[tuple[int | str, ...], str]] = []
        with_options = self.type in (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.QUIZ)
        if with_options and len(self.options) < 2:
            errors.append((("options",), f"a {self.type} question needs at least two options"))
        if not with_options and self.options:
            errors.append((("options",), f"a {self.type} question has no options"))
        seen: dict[str, int] = {}
        for index, option in enumerate(self.options):
            if option.id in seen:
                errors.append((("options", index, "id"), f"option {option.id!r} is used twice"))
            seen.setdefault(option.id, index)
        if self.type is QuestionType.QUIZ:
            if not self.correct:
                errors.append((("correct",), "a quiz question needs its correct option(s)"))
            for index, option_id in enumerate(self.correct):
                if option_id not in seen:
                    errors.append((("correct", index), f"{option_id!r} is not one of the options"))
        elif self.correct:
            errors.append((("correct",), "only a quiz question has correct options"))
        if (self.type is QuestionType.SCALE) != (self.scale is not None):
            errors.append((("scale",), "a scale question needs a scale, and only it has one"))
        _fail_at(errors)
        return self


class KnowledgeCheck(_Strict):
    """A step's questions as one named knowledge check, asked before (``pre``) and after (``post``)."""

    name: Identifier
    phase: Literal["pre", "post"]


class Evaluation(_Strict):
    """The end-of-course evaluation, opened at a chosen step and open until a facilitator closes it."""

    opens_at: str = Field(pattern=rf"^{ID_PATTERN[1:-1]}/{ID_PATTERN[1:-1]}$", description="EXERCISE-ID/STEP-ID")
    title: str = Field(default="Course evaluation", min_length=1, max_length=120)
    questions: tuple[Question, ...] = Field(min_length=1, max_length=30)

    @field_validator("questions")
    @classmethod
    def _unique_question_ids(cls, questions: tuple[Question, ...]) -> tuple[Question, ...]:
        _duplicates(questions, lambda question: question.id, "id", "question id", "questions")
        return questions


def _grouping_shorthand_schema(schema: dict[str, Any]) -> None:
    """Let the schema accept the shorthand ``grouping: location`` that Grouping's validator reads."""
    shorthand = {"type": "string", "enum": [by.value for by in GroupBy], "description": "shorthand for {by: ...}"}
    schema.setdefault("anyOf", []).insert(0, shorthand)


class Step(_Strict):
    id: Identifier
    title: str = Field(min_length=1, max_length=120)
    kind: StepKind
    duration: Duration
    text: str = Field(default="", max_length=5000, description="what participants see")
    notes: str = Field(default="", max_length=10000, description="private facilitator notes")
    prompt: Prompt | None = None
    grouping: Grouping | None = Field(
        default=None,
        json_schema_extra=_grouping_shorthand_schema,
    )
    materials: tuple[str, ...] = ()
    questions: tuple[Question, ...] = Field(default=(), max_length=20, description="put to the room in this step")
    check: KnowledgeCheck | None = Field(default=None, description="the step's questions as a knowledge check")
    groups: BreakoutGroups | None = Field(
        default=None, description="breakout groups made from the people checked in: size or count, mix, call"
    )

    @model_validator(mode="after")
    def _reflection_needs_prompt(self) -> Step:
        if self.kind is StepKind.REFLECTION and self.prompt is None:
            _fail_at([(("prompt",), "a reflection step needs a prompt")])
        return self

    # A field validator, not the model validator below: only errors raised here are placed under
    # ``questions`` (steps[0].questions[1].id rather than steps[0][1].id).
    @field_validator("questions")
    @classmethod
    def _unique_question_ids(cls, questions: tuple[Question, ...]) -> tuple[Question, ...]:
        _duplicates(questions, lambda question: question.id, "id", "question id", "questions")
        return questions

    @model_validator(mode="after")
    def _questions_fit(self) -> Step:
        if self.check is not None:
            if not self.questions:
                _fail_at([(("check",), "a knowledge check needs the step's questions")])
            _fail_at(
                [
                    (("questions", index, "type"), "a knowledge check's questions are quiz questions")
                    for index, question in enumerate(self.questions)
                    if question.type is not QuestionType.QUIZ
                ]
                + [
                    (
                        ("questions", index, "anonymous"),
                        "a knowledge check's questions are named: each person's gain is measured",
                    )
                    for index, question in enumerate(self.questions)
                    if question.anonymous is True
                ]
            )
        return self


class Exercise(_Strict):
    id: Identifier
    title: str = Field(min_length=1, max_length=120)
    goals: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()
    steps: tuple[Step, ...] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _unique_step_ids(cls, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        _duplicates(steps, lambda step: step.id, "id", "step id", "steps")
        return steps


class Location(_Strict):
    id: Identifier
    name: str = Field(min_length=1, max_length=80)
    timezone: TimeZoneName
    expected: int = Field(default=0, ge=0, le=100_000, description="participants expected here")
    call_link: CallLink | None = Field(default=None, description="this location's video call, if not the workshop's")


class Day(_Strict):
    date: CalendarDate
    title: str = Field(default="", max_length=120)
    start: ClockTime = Field(description="local start time in the workshop's time zone, e.g. 09:00")
    end: ClockTime | None = Field(
        default=None,
        description="planned end; an agenda that runs past it is a warning",
    )
    agenda: tuple[Identifier, ...] = Field(min_length=1, description="exercise ids in running order")

    @field_validator("agenda")
    @classmethod
    def _no_repeats(cls, agenda: tuple[str, ...]) -> tuple[str, ...]:
        _duplicates(agenda, lambda exercise_id: exercise_id, "", "exercise", "agenda")
        return agenda

    @model_validator(mode="after")
    def _ends_after_start(self) -> Day:
        if self.end is not None and self.end <= self.start:
            _fail_at([(("end",), f"the planned end {self.end:%H:%M} is not after the start {self.start:%H:%M}")])
        return self


class AttendanceRule(_Strict):
    certificate_share: Share = Field(default=0.8, description="share of planned minutes needed for a certificate")
    late_grace: Duration = Field(
        default=timedelta(minutes=10),
        description="arrivals after start plus this are late",
        # pydantic writes a timedelta default as ISO 8601 ("PT10M"), which the pattern above refuses.
        json_schema_extra={"default": "10m"},
    )


class ReflectionDefaults(_Strict):
    anonymity: Anonymity = Anonymity.PARTICIPANT_CHOOSES
    consent_to_quote: bool = Field(default=False, description="whether the consent box starts ticked")


class CertificateSettings(_Strict):
    """What the certificates of attendance say and show (``facilitator certificates``); who is eligible is
    ``attendance.certificate_share``'s rule."""

    issuer: str = Field(
        min_length=1, max_length=200, description="who issues the certificates: printed on each, named when verified"
    )
    signatory: str = Field(default="", max_length=200, description="the name and title printed under the signature")
    logo: ImagePath | None = Field(default=None, description="PNG or JPEG, relative to the workshop folder")
    signature: ImagePath | None = Field(default=None, description="PNG or JPEG, relative to the workshop folder")


class ParticipantPageRules(_Strict):
    """How the participant page tells who is who: ``participant_page: {min_code_length: 8, email_only: false}``."""

    min_code_length: int = Field(
        default=DEFAULT_MIN_CODE_LENGTH,
        ge=6,
        le=64,
        description=(
            "fewest characters of a personal code (spaces and dashes not counted): a roster import refuses shorter "
            "ones, and a code alone identifies only when at least this long"
        ),
    )
    email_only: bool = Field(
        default=False,
        description=(
            "let someone without a personal code identify with their e-mail alone; off, the page asks everyone for "
            "their code"
        ),
    )


class Workshop(_Strict):
    title: str = Field(min_length=1, max_length=200)
    organiser: str = Field(default="", max_length=200)
    timezone: TimeZoneName
    exercises: tuple[str, ...] = Field(
        default=("*.yaml",),
        description="exercise files or glob patterns, relative to this file",
    )
    locations: tuple[Location, ...] = Field(min_length=1)
    days: tuple[Day, ...] = Field(min_length=1)
    # All defaults, the same as AttendanceRule() etc. without building their validators where they are defined.
    attendance: AttendanceRule = AttendanceRule.model_construct()
    reflections: ReflectionDefaults = ReflectionDefaults.model_construct()
    participant_page: ParticipantPageRules = ParticipantPageRules.model_construct()
    evaluation: Evaluation | None = Field(default=None, description="the end-of-course evaluation")
    certificate: CertificateSettings | None = Field(default=None, description="the certificates of attendance")
    call_link: CallLink | None = Field(default=None, description="the video call, put in the invitations")

    @field_validator("locations")
    @classmethod
    def _unique_locations(cls, locations: tuple[Location, ...]) -> tuple[Location, ...]:
        _duplicates(locations, lambda location: location.id, "id", "location id", "locations")
        return locations

    @field_validator("days")
    @classmethod
    def _unique_dates(cls, days: tuple[Day, ...]) -> tuple[Day, ...]:
        _duplicates(days, lambda day: day.date, "date", "day", "days")
        return days


class Programme(BaseModel):
    """A validated workshop with its exercises: what a run is driven from, stored whole in the run's database."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    workshop: Workshop
    exercises: tuple[Exercise, ...]


MODELS: dict[str, type[BaseModel]] = {
    model.__name__: model
    for model in (
        Grouping,
        BreakoutGroups,
        Prompt,
        Option,
        Scale,
        Question,
        KnowledgeCheck,
        Evaluation,
        Step,
        Exercise,
        Location,
        Day,
        AttendanceRule,
        ReflectionDefaults,
        CertificateSettings,
        ParticipantPageRules,
        Workshop,
        Programme,
    )
}
"""Every model here, by name: each validates the runtime model of that name."""

R = TypeVar("R")


def model_for(runtime: type) -> type[BaseModel]:
    """The model that validates the runtime model ``runtime`` (:mod:`facilitator.script.models`)."""
    model = MODELS.get(runtime.__name__)
    if model is None:
        raise TypeError(f"no script model validates {runtime.__name__}")
    return model


def validate(runtime: type[R], data: object) -> R:
    """``data`` validated as a script file's ``runtime`` is (constraints, validators, error messages and all), as
    a ``runtime``: a :class:`~pydantic.ValidationError` says what is wrong."""
    return to_runtime(model_for(runtime).model_validate(data), runtime)
