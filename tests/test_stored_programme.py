"""The programme a run stored, read back without validating it again (facilitator.script.stored), is exactly
what validation gives: the same objects, of the same types, down to every field; anything not in the stored
form goes to validation, which accepts or refuses it as before. Reading it imports no pydantic."""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
import typing
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from facilitator.script import stored, validation
from facilitator.script.loading import load_workshop
from facilitator.script.models import (
    AttendanceRule,
    BreakoutGroups,
    Grouping,
    Programme,
    Question,
    QuestionType,
    Step,
    StepKind,
)

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"


def everything() -> dict[str, Any]:
    """A programme that sets every field of every script model at least once (and leaves out some defaults)."""
    quiz = {
        "id": "q-quiz",
        "type": "quiz",
        "text": "Which resolution?",
        "options": [{"id": "a", "text": "1325"}, {"id": "b", "text": "2250"}],
        "correct": ["a"],
        "points": 2,
        "results": "hidden",
    }
    scale = {
        "id": "q-scale",
        "type": "scale",
        "text": "How sure?",
        "scale": {"min": 1, "max": 5, "low": "Not at all", "high": "Completely"},
        "anonymous": False,
    }
    workshop = {
        "title": "  Everything workshop  ",
        "organiser": "UN",
        "timezone": "Africa/Juba",
        "exercises": ["*.yaml"],
        "locations": [
            {"id": "hq", "name": "HQ", "timezone": "America/New_York", "expected": 12},
            {"id": "juba", "name": "Juba", "timezone": "Africa/Juba", "call_link": "https://meet.example.org/juba"},
        ],
        "days": [
            {"date": "2022-08-22", "title": "One", "start": "9:00", "end": "17:30", "agenda": ["ex-one"]},
            {"date": "2022-08-23", "start": "08:30:15", "agenda": ["ex-one"]},
        ],
        "attendance": {"certificate_share": "80%", "late_grace": "15m"},
        "reflections": {"anonymity": "named", "consent_to_quote": True},
        "participant_page": {"min_code_length": 10, "email_only": True},
        "evaluation": {"opens_at": "ex-one/wrap", "title": "How was it?", "questions": [scale]},
        "certificate": {"issuer": "UN", "signatory": "A. B.", "logo": "images/logo.png", "signature": "sig.jpg"},
        "call_link": "https://meet.example.org/wps",
    }
    steps = [
        {
            "id": "intro",
            "title": "Intro",
            "kind": "presentation",
            "duration": "1h30m",
            "text": "Hello",
            "notes": "Private",
            "materials": ["slides.pdf"],
        },
        {
            "id": "split",
            "title": "Split",
            "kind": "breakout",
            "duration": "20m",
            "grouping": "location",
            "groups": {"count": 3, "mix": ["gender"], "duration": "15m", "call": "https://meet.example.org/room-{n}"},
        },
        {
            "id": "pairs",
            "title": "Pairs",
            "kind": "discussion",
            "duration": "90s",
            "grouping": {"by": "random", "size": 2},
            "groups": {"size": 4},
        },
        {
            "id": "check",
            "title": "Check",
            "kind": "individual",
            "duration": "5m",
            "questions": [quiz],
            "check": {"name": "kc", "phase": "pre"},
        },
        {
            "id": "wrap",
            "title": "Wrap",
            "kind": "reflection",
            "duration": "10m",
            "prompt": {"text": "What changed?", "anonymity": "anonymous"},
            "questions": [
                {
                    "id": "q-one",
                    "type": "single",
                    "text": "One?",
                    "options": [{"id": "y", "text": "Y"}, {"id": "n", "text": "N"}],
                },
                {
                    "id": "q-many",
                    "type": "multiple",
                    "text": "Many?",
                    "options": [{"id": "y", "text": "Y"}, {"id": "n", "text": "N"}],
                },
                {"id": "q-text", "type": "text", "text": "Say", "results": "live"},
            ],
        },
    ]
    exercise = {"id": "ex-one", "title": "One", "goals": ["Learn"], "materials": ["handout"], "steps": steps}
    return {"workshop": workshop, "exercises": [exercise]}


def stored_form(programme: Programme) -> Any:
    """What the run keeps: the JSON text of the programme's stored form, parsed again."""
    return json.loads(json.dumps(stored.stored_form(programme)))


def assert_same(read: object, validated: object, where: str = "programme") -> None:
    """Equal, of the same type, all the way down."""
    assert type(read) is type(validated), where
    if dataclasses.is_dataclass(validated):
        for field in dataclasses.fields(validated):
            assert_same(getattr(read, field.name), getattr(validated, field.name), f"{where}.{field.name}")
    elif isinstance(validated, tuple):
        assert isinstance(read, tuple)
        assert len(read) == len(validated), where
        for index, (one, other) in enumerate(zip(read, validated, strict=True)):
            assert_same(one, other, f"{where}[{index}]")
    else:
        assert read == validated, where


@pytest.mark.parametrize(
    "programme",
    [
        pytest.param(load_workshop(EXERCISES).programme, id="demo"),
        pytest.param(Programme.validate(everything()), id="everything"),
    ],
)
def test_the_stored_form_reads_back_as_validation_reads_it(programme: Programme) -> None:
    data = stored_form(programme)
    read = Programme.from_stored(copy.deepcopy(data))
    validated = Programme.validate(data)
    assert_same(read, validated)
    assert read == validated
    assert repr(read) == repr(validated)
    assert stored.stored_form(read) == data
    assert read.timeline(read.workshop.days[0]) == validated.timeline(validated.workshop.days[0])


def test_the_fast_path_is_taken_for_the_stored_form(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_validation(*args: object, **kwargs: object) -> None:
        raise AssertionError("validated again")

    forms = [stored_form(load_workshop(EXERCISES).programme), stored_form(Programme.validate(everything()))]
    monkeypatch.setattr(validation, "validate", no_validation)
    for form in forms:
        assert isinstance(Programme.from_stored(form), Programme)


# Modules that come with pydantic: none of them may be imported before something is validated.
PYDANTIC = "('pydantic', 'pydantic_core', 'annotated_types', 'typing_inspection')"


def test_the_runtime_models_and_the_stored_programme_import_no_pydantic(tmp_path: Path) -> None:
    """pydantic (some 35 ms) and its models load only to validate: not to import the models, read the programme a
    run stored, or take the default config when there is no config file."""
    program = (
        "import json, sys\n"
        f"PYDANTIC = {PYDANTIC}\n"
        "def loaded():\n"
        "    return sorted(m for m in sys.modules if m.split('.')[0] in PYDANTIC)\n"
        "import facilitator.script.models, facilitator.config, facilitator.script.stored\n"
        "print(loaded())\n"
        "from facilitator.script.models import Programme\n"
        "programme = Programme.from_stored(json.load(sys.stdin))\n"
        "assert programme.workshop.title and programme.timeline(programme.workshop.days[0])\n"
        "print(loaded())\n"
        "from pathlib import Path\n"
        "from facilitator.config import Config, load_config\n"
        "assert load_config(Path(sys.argv[1])) == Config()\n"
        "print(loaded())\n"
        "Programme.validate(facilitator.script.stored.stored_form(programme))\n"
        "print('pydantic' in loaded())\n"  # the check sees pydantic when it is there
    )
    data = json.dumps(stored_form(load_workshop(EXERCISES).programme))
    done = subprocess.run(
        [sys.executable, "-c", program, str(tmp_path / "no-config.toml")],
        input=data,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == ["[]", "[]", "[]", "True"]


def test_every_field_of_the_script_models_has_a_reader() -> None:
    """A new field of a type this reader does not know would silently send every run through validation."""
    seen: set[type] = set()
    pending: list[type] = [Programme]
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.add(model)
        hints = typing.get_type_hints(model)
        for field in dataclasses.fields(model):
            annotation = hints[field.name]
            assert stored._reader(annotation) is not stored._refuse, f"{model.__name__}.{field.name}"
            pending.extend(_models_in(annotation))
    assert {Step, Question, Grouping, BreakoutGroups, AttendanceRule} <= seen


def _models_in(annotation: Any) -> list[type]:
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


def _step(data: dict[str, Any]) -> dict[str, Any]:
    step: dict[str, Any] = data["exercises"][0]["steps"][1]
    return step


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda data: _step(data).update(grouping="location"), "a shorthand, as the script writes it"),
        (lambda data: _step(data).update(duration=1200), "a number for a duration"),
        (lambda data: data["workshop"]["days"][0].update(date="2022-8-22"), "a date not in ISO form"),
        (lambda data: data["workshop"].update(title=None), "null for text"),
        (lambda data: data["workshop"]["attendance"].update(certificate_share="80%"), "a share as a percentage"),
        (lambda data: data["workshop"]["attendance"].update(certificate_share=1), "a whole number for a share"),
        (lambda data: data["workshop"]["locations"][0].update(expected=12.0), "a float for a whole number"),
        (lambda data: data["workshop"]["days"][0].update(agenda=("ex-one",)), "a tuple, not a JSON list"),
        (lambda data: data["workshop"]["days"][0].update(start="09:00+02:00"), "a time with an offset"),
    ],
)
def test_anything_else_is_validated_as_before(change: Any, field: str) -> None:
    data = stored_form(Programme.validate(everything()))
    change(data)
    try:
        validated: Programme | None = Programme.validate(copy.deepcopy(data))
    except ValidationError:
        validated = None
    if validated is None:
        with pytest.raises(ValidationError):
            Programme.from_stored(data)
    else:
        assert_same(Programme.from_stored(data), validated)


@pytest.mark.parametrize(
    "change",
    [
        lambda data: data["workshop"].update(colour="red"),  # a key the models do not have
        lambda data: data["workshop"].pop("title"),  # a required key missing
        lambda data: _step(data).update(kind="lecture"),  # a value no enumeration has
        lambda data: data["exercises"][0].update(steps={"id": "x"}),  # an object for a list
        lambda data: data["workshop"]["days"][0].update(start="25:00"),  # no time of day
    ],
)
def test_what_validation_refuses_is_refused(change: Any) -> None:
    data = stored_form(Programme.validate(everything()))
    change(data)
    with pytest.raises(ValidationError):
        Programme.from_stored(data)


def test_missing_defaults_are_filled_in_as_validation_does() -> None:
    data = stored_form(Programme.validate(everything()))
    for key in ("attendance", "reflections", "participant_page", "evaluation", "certificate", "call_link", "organiser"):
        data["workshop"].pop(key)
    assert_same(Programme.from_stored(copy.deepcopy(data)), Programme.validate(data))


def test_values_are_of_the_models_types() -> None:
    programme = Programme.from_stored(stored_form(Programme.validate(everything())))
    day = programme.workshop.days[0]
    step = programme.exercises[0].steps[1]
    assert type(day.date) is date and type(day.start) is time and day.start == time(9, 0)
    assert type(step.duration) is timedelta and step.duration == timedelta(minutes=20)
    assert step.kind is StepKind.BREAKOUT
    assert isinstance(day.agenda, tuple)
    assert programme.exercises[0].steps[3].questions[0].type is QuestionType.QUIZ
    assert programme.workshop.attendance.certificate_share == 0.8
