"""A validated pydantic model made into the runtime model of the same name: a plain, frozen data class.

The script's models (:mod:`facilitator.script.models`) and the user's settings (:mod:`facilitator.config`) are
data classes, so that an app that only reads what was validated before never imports pydantic; each has a
pydantic twin of the same name and fields that validates it (:mod:`facilitator.script.validation`,
:mod:`facilitator.config_validation`). :func:`to_runtime` copies a validated model into its data class field by
field, as the data class declares them, converting each value by the field's type: a model within (optional,
in a tuple, or a dict's value) becomes its own data class, anything else is kept as it is. The converter of
each class is made once, from its fields and type hints. Nothing here imports pydantic.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")
Convert = Callable[[Any], Any]


def to_runtime(validated: object, runtime: type[T]) -> T:
    """The ``runtime`` data class holding what the validated model ``validated`` (of the same name) holds."""
    made: T = _converter(runtime)(validated)
    return made


_CONVERTERS: dict[type, Convert] = {}


def _converter(cls: type) -> Convert:
    convert = _CONVERTERS.get(cls)
    if convert is None:
        convert = _CONVERTERS[cls] = _compile(cls)
    return convert


def _compile(cls: type) -> Convert:
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a data class")
    hints = get_type_hints(cls)
    fields = tuple((field.name, _value_converter(hints[field.name])) for field in dataclasses.fields(cls))
    name = cls.__name__

    def convert(validated: Any) -> Any:
        if type(validated) is cls:
            return validated
        if type(validated).__name__ != name:
            raise TypeError(f"a {type(validated).__name__} is not a validated {name}")
        values = {}
        for field, each in fields:
            try:
                value = getattr(validated, field)
            except AttributeError:
                raise TypeError(f"a validated {name} has no field {field!r}: the twins differ") from None
            values[field] = value if each is None else each(value)
        return cls(**values)

    return convert


def _value_converter(annotation: Any) -> Convert | None:  # noqa: PLR0911 (one case per kind of type)
    """How a validated value of type ``annotation`` becomes the runtime value; None when it is kept as it is."""
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        model = annotation

        def convert_model(value: Any) -> Any:  # looked up when used: a class may name one defined after it
            return _converter(model)(value)

        return convert_model
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return _value_converter(args[0])
    if origin in (Union, types.UnionType):
        converters = [_value_converter(arg) for arg in args if arg is not type(None)]
        if all(each is None for each in converters):
            return None
        if len(converters) != 1 or len(args) != 2:
            raise TypeError(f"cannot convert {annotation}: only an optional model is known")
        inner = converters[0]
        assert inner is not None
        return lambda value: None if value is None else inner(value)
    if origin is tuple:
        converters = [_value_converter(arg) for arg in args if arg is not Ellipsis]
        if all(each is None for each in converters):
            return None
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"cannot convert {annotation}: only a tuple of any length is known")
        item = converters[0]
        assert item is not None
        return lambda value: tuple(item(each) for each in value)
    if origin is dict:
        value_converter = _value_converter(args[1])
        if value_converter is None:
            return None
        return lambda value: {key: value_converter(each) for key, each in value.items()}
    return None
