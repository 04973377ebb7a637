"""A script model as a run's database stores it, read back without validating it a second time.

A programme is validated once, when it is loaded from the workshop's files; the run records it as its JSON
form (``Programme.model_dump(mode="json")``, in ``run.created`` and ``programme.loaded``). Reading that form
back through pydantic's validation would build the validators of every script model first (some 25 ms, and
then they could not be left unbuilt when the models are defined: some 20 ms more), before an app's first
frame. :func:`read_stored` instead builds the same objects from that form (2 ms for the demo workshop)
with ``model_construct``, converting each value as validation would (a date from its ISO text, a duration
from ``10m``, an enumeration from its value, a list to a tuple), by the models' own field annotations
(:meth:`facilitator.script.models.Programme.from_stored`).

It trusts the rules (lengths, patterns, the cross-field checks) that were enforced when the programme was
written, not the shapes: anything that is not exactly the stored form (a key the models do not have, one
missing, a value of another type, a type this reader does not know) is handed to the model's
``model_validate``, which accepts or refuses it as it always did. So the result is always what validation
would give.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from datetime import date, time, timedelta
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel

from facilitator.script.durations import parse_duration

Reader = Callable[[Any], Any]
M = TypeVar("M", bound=BaseModel)


class _NotStored(Exception):
    """A value that is not in the form the run stores: validation decides."""


def read_stored(model: type[M], data: object) -> M:
    """The ``model`` whose stored JSON form (parsed) is ``data``: what ``model.model_validate(data)`` gives."""
    try:
        read = _model_reader(model)(data)
    except (_NotStored, ValueError, TypeError):
        return model.model_validate(data)
    assert isinstance(read, model)
    return read


_MODEL_READERS: dict[type[BaseModel], Reader] = {}


def _model_reader(cls: type[BaseModel]) -> Reader:
    """A model from a dict holding exactly its stored fields (those with a default may be missing)."""
    reader = _MODEL_READERS.get(cls)
    if reader is None:
        reader = _MODEL_READERS[cls] = _compile_model(cls)
    return reader


def _compile_model(cls: type[BaseModel]) -> Reader:
    fields = cls.model_fields
    if cls.model_config.get("extra") != "forbid" or any(
        info.alias is not None or info.validation_alias is not None for info in fields.values()
    ):
        return _refuse  # not a script model as this module knows them
    readers = {name: _reader(info.annotation) for name, info in fields.items()}
    required = frozenset(name for name, info in fields.items() if info.is_required())
    construct = cls.model_construct

    def read(value: Any) -> Any:
        if type(value) is not dict or not required <= value.keys() or not value.keys() <= readers.keys():
            raise _NotStored
        return construct(_fields_set=set(value), **{name: readers[name](item) for name, item in value.items()})

    return read


def _refuse(value: Any) -> Any:
    raise _NotStored


def _reader(annotation: Any) -> Reader:  # noqa: PLR0911 (one case per kind of annotation)
    """How a value of ``annotation`` is read from its JSON form."""
    origin = get_origin(annotation)
    if origin is Annotated:  # the constraints and validators were applied when the programme was written
        return _reader(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(options) != 1 or len(get_args(annotation)) != 2:
            return _refuse
        inner = _reader(options[0])
        return lambda value: None if value is None else inner(value)
    if origin is tuple:
        args = get_args(annotation)
        if len(args) != 2 or args[1] is not Ellipsis:
            return _refuse
        item = _reader(args[0])
        return lambda value: tuple(item(each) for each in _list(value))
    if origin is Literal:
        allowed = get_args(annotation)
        return lambda value: _check(value, type(value) is str and value in allowed)
    if origin is not None or not isinstance(annotation, type):
        return _refuse
    if issubclass(annotation, BaseModel):
        model = annotation

        def read_model(value: Any) -> Any:  # its reader looked up when used: models are compiled as they are met
            return _model_reader(model)(value)

        return read_model
    if issubclass(annotation, Enum):
        return annotation
    return _SCALARS.get(annotation, _refuse)


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise _NotStored
    return value


def _check(value: Any, ok: bool) -> Any:
    if not ok:
        raise _NotStored
    return value


def _date(value: Any) -> date:
    if type(value) is not str or len(value) != len("2022-08-22"):
        raise _NotStored
    return date.fromisoformat(value)


def _time(value: Any) -> time:
    if type(value) is not str:
        raise _NotStored
    read = time.fromisoformat(value)
    if read.tzinfo is not None:
        raise _NotStored
    return read


def _duration(value: Any) -> timedelta:
    if type(value) is not str:
        raise _NotStored
    return parse_duration(value)


def _float(value: Any) -> float:
    if type(value) not in (float, int):
        raise _NotStored
    return float(value)


_SCALARS: dict[type, Reader] = {
    str: lambda value: _check(value, type(value) is str),
    int: lambda value: _check(value, type(value) is int),
    bool: lambda value: _check(value, type(value) is bool),
    float: _float,
    date: _date,
    time: _time,
    timedelta: _duration,
}
