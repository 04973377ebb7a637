"""Keys as the user has mapped them: the keymap in Textual's long form, and a one-line bar of a screen's keys.

Built on Textual's public binding API only (``Binding.make_bindings``, ``BindingsMap.apply_keymap``):
the app keeps the keymap it gave :meth:`textual.app.App.set_keymap`, and everything that shows or looks
up keys reads it from there (:attr:`facilitator.tui.live.LiveApp.keymap`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding, BindingsMap, BindingType
from textual.content import Content
from textual.widgets import Static

from facilitator.tui.live import live_app

KEY_NAMES = {"escape": "esc", "slash": "/", "enter": "⏎", "question_mark": "?", "right": "→", "left": "←"}


def normalize_keymap(keymap: Mapping[str, str]) -> dict[str, str]:
    """``{"help": "?,f1"}`` -> ``{"help": "question_mark,f1"}``: keys as Textual names them, as it applies them."""
    return {
        binding_id: ",".join(b.key for b in Binding.make_bindings([Binding(keys, "")]))
        for binding_id, keys in keymap.items()
    }


def keys_to_bindings(bindings: Iterable[BindingType], keymap: Mapping[str, str]) -> Mapping[str, list[Binding]]:
    """Key -> the bindings among ``bindings`` that it triggers once ``keymap`` (long form) is applied."""
    found = BindingsMap(bindings)
    if keymap:
        found.apply_keymap(dict(keymap))
    return found.key_to_bindings


def readable_keys(keys: str) -> str:
    """``plus,equals_sign`` -> ``+, =``: keys as the help screen and the command palette show them."""
    names = {
        "plus": "+", "minus": "-", "equals_sign": "=", "question_mark": "?", "underscore": "_",
        "left_square_bracket": "[", "right_square_bracket": "]", "right": "→", "left": "←",
        "escape": "esc", "slash": "/", "up": "↑", "down": "↓", "ctrl+backslash": "ctrl+\\",
        "full_stop": ".",
    }  # fmt: skip
    return ", ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


class KeyBar(Static):
    """Keys in one clickable line, as the user has mapped them.

    Textual's Footer would list every app binding too, and building it costs about half a second on a
    slow machine each time this screen opens.
    """

    def __init__(self, bindings: list[tuple[str, Binding]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.bindings = bindings

    def on_mount(self) -> None:
        keymap = live_app(self).keymap
        parts: list[str | tuple[str, str]] = []
        for namespace, binding in self.bindings:
            keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
            first = keys.split(",")[0].strip()
            parts.append((f" {KEY_NAMES.get(first, first)} ", f"bold $accent @click={namespace}.{binding.action}"))
            parts.append(f"{binding.description} ")
        self.update(Content.assemble(*parts))
