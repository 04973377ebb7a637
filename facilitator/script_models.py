"""The workshop script format: pydantic models for the workshop file and its exercise files.

Every model forbids unknown keys so that a typo such as ``duraton:`` is an error, not a silent default.
Cross-file rules (agenda references, overruns) live in :mod:`facilitator.scripts`, which has the files.
"""

from __future__ import annotations

import difflib
import functools
import zoneinfo
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from facilitator.durations import DURATION_PATTERN, format_duration, parse_duration

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"


@functools.cache
def _iana_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def did_you_mean(word: str, choices: object) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or nothing when none is close."""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)  # type: ignore[attr-defined]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_timezone(name: str) -> str:
    if name not in _iana_zones():
        raise ValueError(
            f"{name!r} is not an IANA time zone{did_you_mean(name, sorted(_iana_zones()))}"
        )
    return name


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
    WithJsonSchema(
        {"type": "string", "description": "IANA time zone, e.g. Africa/Juba"}
    ),
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
Share = Annotated[float, BeforeValidator(_share), Field(gt=0, le=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class StepKind(StrEnum):
    PRESENTATION = "presentation"
    DISCUSSION = "discussion"
    BREAKOUT = "breakout"
    INDIVIDUAL = "individual"
    REFLECTION = "reflection"
    REPORT_BACK = "report-back"
    BREAK = "break"


class Anonymity(StrEnum):
    ANONYMOUS = "anonymous"
    NAMED = "named"
    PARTICIPANT_CHOOSES = "participant-chooses"


class GroupBy(StrEnum):
    LOCATION = "location"
    ROLE = "role"
    RANDOM = "random"
    SELF_SELECTED = "self-selected"


class Grouping(_Strict):
    """How a breakout splits the room: ``grouping: location`` or ``{by: random, size: 5}``."""

    by: GroupBy
    size: int | None = Field(default=None, ge=2, le=100, description="people per group")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"by": value} if isinstance(value, str) else value


class Prompt(_Strict):
    """A reflection question put to participants during a step."""

    text: str = Field(min_length=1, max_length=1000)
    anonymity: Anonymity | None = Field(
        default=None, description="defaults to the workshop's reflections.anonymity"
    )


class Step(_Strict):
    id: Identifier
    title: str = Field(min_length=1, max_length=120)
    kind: StepKind
    duration: Duration
    text: str = Field(default="", max_length=5000, description="what participants see")
    notes: str = Field(
        default="", max_length=10000, description="private facilitator notes"
    )
    prompt: Prompt | None = None
    grouping: Grouping | None = None
    materials: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _reflection_needs_prompt(self) -> Step:
        if self.kind is StepKind.REFLECTION and self.prompt is None:
            raise ValueError("a reflection step needs a prompt")
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
        seen: set[str] = set()
        for step in steps:
            if step.id in seen:
                raise ValueError(f"step id {step.id!r} is used twice")
            seen.add(step.id)
        return steps

    @property
    def duration(self) -> timedelta:
        return sum((s.duration for s in self.steps), timedelta())


class Location(_Strict):
    id: Identifier
    name: str = Field(min_length=1, max_length=80)
    timezone: TimeZoneName
    expected: int = Field(
        default=0, ge=0, le=100_000, description="participants expected here"
    )


class Day(_Strict):
    date: date
    title: str = Field(default="", max_length=120)
    start: time = Field(
        description="local start time in the workshop's time zone, e.g. 09:00"
    )
    end: time | None = Field(
        default=None,
        description="planned end; an agenda that runs past it is a warning",
    )
    agenda: tuple[Identifier, ...] = Field(
        min_length=1, description="exercise ids in running order"
    )

    @field_validator("agenda")
    @classmethod
    def _no_repeats(cls, agenda: tuple[str, ...]) -> tuple[str, ...]:
        for exercise_id in agenda:
            if agenda.count(exercise_id) > 1:
                raise ValueError(f"exercise {exercise_id!r} appears twice on this day")
        return agenda


class AttendanceRule(_Strict):
    certificate_share: Share = Field(
        default=0.8, description="share of planned minutes needed for a certificate"
    )
    late_grace: Duration = Field(
        default=timedelta(minutes=10),
        description="arrivals after start plus this are late",
    )


class ReflectionDefaults(_Strict):
    anonymity: Anonymity = Anonymity.PARTICIPANT_CHOOSES
    consent_to_quote: bool = Field(
        default=False, description="whether the consent box starts ticked"
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
    attendance: AttendanceRule = AttendanceRule()
    reflections: ReflectionDefaults = ReflectionDefaults()

    @field_validator("locations")
    @classmethod
    def _unique_locations(cls, locations: tuple[Location, ...]) -> tuple[Location, ...]:
        ids = [loc.id for loc in locations]
        for loc_id in ids:
            if ids.count(loc_id) > 1:
                raise ValueError(f"location id {loc_id!r} is used twice")
        return locations

    @field_validator("days")
    @classmethod
    def _unique_dates(cls, days: tuple[Day, ...]) -> tuple[Day, ...]:
        dates = [d.date for d in days]
        for day in dates:
            if dates.count(day) > 1:
                raise ValueError(f"day {day.isoformat()} is listed twice")
        return days


class PlannedStep(BaseModel):
    """A step placed on a day's timeline, with its planned local start."""

    model_config = ConfigDict(frozen=True)

    exercise: Exercise
    step: Step
    start: datetime

    @property
    def key(self) -> str:
        return f"{self.exercise.id}/{self.step.id}"

    @property
    def end(self) -> datetime:
        return self.start + self.step.duration


class Programme(BaseModel):
    """A validated workshop with its exercises: what a run is driven from, stored whole in the run's database."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workshop: Workshop
    exercises: tuple[Exercise, ...]

    @functools.cached_property
    def exercise_by_id(self) -> dict[str, Exercise]:
        return {e.id: e for e in self.exercises}

    def day(self, on: date) -> Day:
        for day in self.workshop.days:
            if day.date == on:
                return day
        raise KeyError(on.isoformat())

    def timeline(self, day: Day) -> list[PlannedStep]:
        """Every step of the day in order, with planned starts in the workshop's time zone."""
        tz = zoneinfo.ZoneInfo(self.workshop.timezone)
        at = datetime.combine(day.date, day.start, tzinfo=tz)
        planned: list[PlannedStep] = []
        for exercise_id in day.agenda:
            exercise = self.exercise_by_id[exercise_id]
            for step in exercise.steps:
                planned.append(PlannedStep(exercise=exercise, step=step, start=at))
                at += step.duration
        return planned

    def planned_duration(self, day: Day) -> timedelta:
        return sum((self.exercise_by_id[e].duration for e in day.agenda), timedelta())

    def planned_end(self, day: Day) -> datetime:
        tz = zoneinfo.ZoneInfo(self.workshop.timezone)
        return datetime.combine(day.date, day.start, tzinfo=tz) + self.planned_duration(
            day
        )
