"""A script model as a run's database stores it: written as JSON (:func:`stored_form`), and read back without
validating it a second time (:func:`read_stored`).

A programme is validated once, when it is loaded from the workshop's files; the run records it as its JSON
form (:func:`stored_form`, in ``run.created`` and ``programme.loaded``): every field, in the models' order, a
date or time of day in ISO form, a duration as scripts write it (``1h30m``), an enumeration as its value, a
tuple as a list (the form pydantic's ``model_dump(mode="json")`` gave when the models were pydantic's, so the
runs already on disk read back unchanged). Reading it back through validation would import pydantic (some 35 ms)
and build the validators of every script model (some 25 ms) before an app's first frame. :func:`read_stored`
instead builds the runtime models (:mod:`facilitator.script.models`, plain data classes) from that form (about
1 ms for the demo workshop), converting each value as validation would (a date from its ISO text, a duration from
``10m``, an enumeration from its value, a list to a tuple), by the data classes' own fields and type hints
(:meth:`facilitator.script.models.Programme.from_stored`).

It trusts the rules (lengths, patterns, the cross-field checks) that were enforced when the programme was
written, not the shapes: anything that is not exactly the stored form (a key the models do not have, one
missing, a value of another type, a type this reader does not know) is handed to validation
(:func:`facilitator.script.validation.validate`, pydantic imported then), which accepts or refuses it as it
always did. So the result is always what validation would give.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from datetime import date, time, timedelta
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from facilitator.script.durations import format_duration, parse_duration

Reader = Callable[[Any], Any]
M = TypeVar("M")


class _NotStored(Exception):
    """A value that is not in the form the run stores: validation decides."""


def read_stored(model: type[M], data: object) -> M:
    """The ``model`` whose stored JSON form (parsed) is ``data``: what ``model.validate(data)`` gives."""
    try:
        read = _model_reader(model)(data)
    except (_NotStored, ValueError, TypeError):
        from facilitator.script.validation import validate

        return validate(model, data)
    assert isinstance(read, model)
    return read


_MODEL_READERS: dict[type, Reader] = {}


def _model_reader(cls: type) -> Reader:
    """A model from a dict holding exactly its stored fields (those with a default may be missing)."""
    reader = _MODEL_READERS.get(cls)
    if reader is None:
        reader = _MODEL_READERS[cls] = _compile_model(cls)
    return reader


def _compile_model(cls: type) -> Reader:
    if not dataclasses.is_dataclass(cls):
        return _refuse  # not a script model as this module knows them
    fields = [field for field in dataclasses.fields(cls) if field.init]
    hints = get_type_hints(cls)
    readers = {field.name: _reader(hints[field.name]) for field in fields}
    required = frozenset(
        field.name
        for field in fields
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    )

    def read(value: Any) -> Any:
        if type(value) is not dict or not required <= value.keys() or not value.keys() <= readers.keys():
            raise _NotStored
        return cls(**{name: readers[name](item) for name, item in value.items()})

    return read


def _refuse(value: Any) -> Any:
    raise _NotStored


def _reader(annotation: Any) -> Reader:  # noqa: PLR0911 (one case per kind of annotation)
    """How a value of ``annotation`` is read from its JSON form."""
    origin = get_origin(annotation)
    if origin is Annotated:
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
    if dataclasses.is_dataclass(annotation):
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


def stored_form(model: object) -> dict[str, Any]:
    """The JSON form (parsed) in which a run stores the script model ``model``, a :class:`Programme` or any
    model within one: each field in order, as :func:`read_stored` reads it back."""
    form = _written(model)
    if type(form) is not dict:
        raise TypeError(f"{type(model).__name__} is not a script model")
    return form


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_PLAIN = (str, int, float, bool, type(None))


def _written(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is tuple or kind is list:
        return [_written(each) for each in value]
    if isinstance(value, Enum):
        return value.value
    if kind is date or kind is time:
        return value.isoformat()
    if kind is timedelta:
        return format_duration(value)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        if not dataclasses.is_dataclass(value):
            raise TypeError(f"a {kind.__name__} has no stored form")
        names = _FIELD_NAMES[kind] = tuple(field.name for field in dataclasses.fields(value))
    return {name: _written(getattr(value, name)) for name in names}
