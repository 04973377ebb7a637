"""Every key is declared once, in facilitator.tui.bindings, with an id a user can remap."""

from __future__ import annotations

import importlib
import pkgutil

from textual.binding import Binding
from textual.dom import DOMNode

import facilitator.tui
from facilitator.tui import bindings


def _classes_with_bindings() -> list[type[DOMNode]]:
    for module in pkgutil.walk_packages(facilitator.tui.__path__, "facilitator.tui."):
        importlib.import_module(module.name)
    found = []
    pending: list[type[DOMNode]] = [DOMNode]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("facilitator.tui.") and "BINDINGS" in cls.__dict__:
            found.append(cls)
    return found


def _declared() -> dict[int, str]:
    return {
        id(binding): name
        for name, value in vars(bindings).items()
        if name.isupper() and isinstance(value, tuple)
        for binding in value
        if isinstance(binding, Binding)
    }


def test_every_class_takes_its_keys_from_the_one_module() -> None:
    classes = _classes_with_bindings()
    assert len(classes) >= 15  # the app, the room view, every screen, modal and widget with keys
    declared = _declared()
    for cls in classes:
        for binding in cls.__dict__["BINDINGS"]:
            assert id(binding) in declared, f"{cls.__qualname__}: {binding!r} is not declared in tui/bindings.py"


def test_every_key_has_an_id_unique_in_its_group() -> None:
    for name, value in vars(bindings).items():
        if name.isupper() and isinstance(value, tuple) and value and isinstance(value[0], Binding):
            ids = [b.id for b in value]
            assert None not in ids, f"{name}: a binding without an id"
            assert len(ids) == len(set(ids)), f"{name}: an id twice"


def test_help_lists_every_group_a_user_meets() -> None:
    listed = {id(group.bindings) for group in bindings.HELP_GROUPS}
    # The room view has a quit key only; the table's and the palette's keys are the usual cursor keys.
    unlisted = {"ROOM", "ROSTER_TABLE", "PALETTE", "HELP_GROUPS"}
    for name, value in vars(bindings).items():
        if name.isupper() and isinstance(value, tuple) and name not in unlisted:
            assert id(value) in listed, f"{name} is missing from the help screen"
