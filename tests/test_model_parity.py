"""Each runtime model (plain data classes: facilitator.script.models, facilitator.config) and the pydantic model
of the same name that validates it (facilitator.script.validation, facilitator.config_validation) are twins: the
same fields in the same order, of the same types, with the same defaults; and a validated model converts into
its runtime twin whose stored form is exactly what pydantic's JSON dump was (the form runs on disk hold)."""

from __future__ import annotations

import copy
import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from facilitator import config, config_validation
from facilitator.script import loading, models, validation
from facilitator.script.conversion import to_runtime
from facilitator.script.models import Programme
from facilitator.script.stored import stored_form
from tests.conftest import TINY_PROGRAMME
from tests.test_anonymise_property import with_questions
from tests.test_days import THREE_DAYS
from tests.test_stored_programme import everything

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"

PAIRS = [
    *((getattr(models, name), model) for name, model in validation.MODELS.items()),
    *((getattr(config, name), model) for name, model in config_validation.MODELS.items()),
]


def test_every_runtime_script_model_has_a_twin() -> None:
    runtime = {
        name
        for name, value in vars(models).items()
        if isinstance(value, type) and issubclass(value, models._Script) and value is not models._Script
    }
    assert runtime == set(validation.MODELS)
    assert {"Programme", "Workshop", "Step", "Question", "Config", "TeamMember"} <= {cls.__name__ for cls, _ in PAIRS}


@pytest.mark.parametrize(("runtime", "model"), PAIRS, ids=[cls.__name__ for cls, _ in PAIRS])
def test_the_same_fields_in_the_same_order(runtime: type, model: type[BaseModel]) -> None:
    assert dataclasses.is_dataclass(runtime)
    assert runtime.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert [field.name for field in dataclasses.fields(runtime)] == list(model.model_fields)


@pytest.mark.parametrize(("runtime", "model"), PAIRS, ids=[cls.__name__ for cls, _ in PAIRS])
def test_the_same_types(runtime: type, model: type[BaseModel]) -> None:
    hints = typing.get_type_hints(runtime)
    for name, info in model.model_fields.items():
        assert _shape(hints[name]) == _shape(info.annotation), name


def _shape(annotation: Any) -> Any:
    """A type with its constraints left out and each model named: the same for a runtime model and its twin."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _shape(args[0])
    if origin in (typing.Union, types.UnionType):
        return ("union", frozenset(_shape(arg) for arg in args))
    if origin is typing.Literal:
        return ("literal", args)
    if origin is not None:
        return (origin, tuple(_shape(arg) for arg in args))
    if isinstance(annotation, type) and (dataclasses.is_dataclass(annotation) or issubclass(annotation, BaseModel)):
        return ("model", annotation.__name__)
    return annotation


@pytest.mark.parametrize(("runtime", "model"), PAIRS, ids=[cls.__name__ for cls, _ in PAIRS])
def test_the_same_defaults(runtime: type, model: type[BaseModel]) -> None:
    hints = typing.get_type_hints(runtime)
    for field in dataclasses.fields(runtime):
        info = model.model_fields[field.name]
        if info.is_required():
            assert field.default is dataclasses.MISSING, field.name
            assert field.default_factory is dataclasses.MISSING, field.name
            continue
        if info.default_factory is not None:
            assert field.default_factory is not dataclasses.MISSING, field.name
            ours, theirs = field.default_factory(), info.default_factory()  # type: ignore[call-arg]
        else:
            assert field.default is not dataclasses.MISSING, field.name
            ours, theirs = field.default, info.default
        if isinstance(theirs, BaseModel):
            theirs = to_runtime(theirs, hints[field.name])
        assert ours == theirs, field.name
        assert type(ours) is type(theirs), field.name


def _validated(data: dict[str, Any]) -> validation.Programme:
    return validation.Programme.model_validate(copy.deepcopy(data))


def _demo(monkeypatch: pytest.MonkeyPatch) -> tuple[Programme, validation.Programme]:
    """The demo workshop as loading makes it, and the pydantic models its files were validated into."""
    seen: list[BaseModel] = []

    def keep(validated: BaseModel, runtime: type[Any]) -> Any:
        seen.append(validated)
        return to_runtime(validated, runtime)

    monkeypatch.setattr(loading, "to_runtime", keep)
    programme = loading.load_workshop(EXERCISES).programme
    workshop = next(each for each in seen if isinstance(each, validation.Workshop))
    exercises = {each.id: each for each in seen if isinstance(each, validation.Exercise)}
    validated = validation.Programme(workshop=workshop, exercises=tuple(exercises[e.id] for e in programme.exercises))
    return programme, validated


PROGRAMMES = {
    "tiny": TINY_PROGRAMME,
    "with-questions": with_questions(),
    "three-days": THREE_DAYS,
    "everything": everything(),
}


@pytest.mark.parametrize("name", ["demo", *PROGRAMMES])
def test_a_validated_programme_converts_into_its_stored_form(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if name == "demo":
        runtime, validated = _demo(monkeypatch)
        assert to_runtime(validated, Programme) == runtime
    else:
        validated = _validated(PROGRAMMES[name])
        runtime = to_runtime(validated, Programme)
        assert Programme.validate(copy.deepcopy(PROGRAMMES[name])) == runtime
    dumped = validated.model_dump(mode="json")
    form = stored_form(runtime)
    assert form == dumped
    assert json.dumps(form) == json.dumps(dumped)  # the keys in the same order too
    assert Programme.from_stored(json.loads(json.dumps(form))) == runtime
    assert Programme.validate(json.loads(json.dumps(form))) == runtime


def test_every_model_within_converts_into_its_twin() -> None:
    """Down to the last field: each converted value is of its runtime model, with each field's value converted."""
    validated = _validated(everything())

    def check(made: object, source: object, where: str) -> None:
        if isinstance(source, BaseModel):
            assert dataclasses.is_dataclass(made) and type(made).__name__ == type(source).__name__, where
            assert type(made) is getattr(models, type(source).__name__), where
            for field in dataclasses.fields(made):
                check(getattr(made, field.name), getattr(source, field.name), f"{where}.{field.name}")
        elif isinstance(source, tuple):
            assert isinstance(made, tuple) and len(made) == len(source), where
            for index, (one, other) in enumerate(zip(made, source, strict=True)):
                check(one, other, f"{where}[{index}]")
        else:
            assert made == source and type(made) is type(source), where

    check(to_runtime(validated, Programme), validated, "programme")


def test_a_config_converts_into_its_twin() -> None:
    data = {
        "bell": True,
        "keys": {"next": "n,j"},
        "facilitators": {"amina": {"name": " Amina Diallo ", "location": "juba", "role": "co"}, "bob": {}},
    }
    validated = config_validation.Config.model_validate(data)
    runtime = config_validation.validate(config.Config, data)
    assert dataclasses.asdict(runtime) == validated.model_dump()
    assert runtime.facilitators["amina"] == config.TeamMember(name="Amina Diallo", location="juba", role="co")
    assert runtime.facilitators["bob"] == config.TeamMember()
    assert config_validation.validate(config.Config, {}) == config.Config()


def test_a_model_is_converted_only_into_its_twin() -> None:
    validated = _validated(TINY_PROGRAMME)
    with pytest.raises(TypeError):
        to_runtime(validated.workshop, models.Exercise)
