"""The lead screen's footer: Textual's Footer, its keys drawn by one widget instead of one widget each.

Textual's Footer makes a widget for each key (fourteen on the lead screen, each with two styled parts), and
makes them all again whenever the keys change (the driver's seat, the questions at hand): some 30 ms of the
lead's start-up, the largest part of building its first screen. Here the footer is Textual's own (it decides
which keys show and how they read, scrolls sideways, follows the bindings, docks the command palette's key
on the right), but its keys are one line, drawn as Textual draws each key: the same component styles, the
same padding, dim when disabled, highlighted under the mouse; a key is clicked and explained (its tooltip)
as before. The footer is never compact here; a footer with binding groups is left as Textual makes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer

# Not exported by textual.widgets; Textual is pinned (pyproject.toml), and tests/test_startup_frame.py checks
# that the footer still draws the keys as Textual's does.
from textual.widgets._footer import FooterKey


@dataclass(frozen=True)
class Key:
    """One key as the footer shows it (what Textual's FooterKey is made from)."""

    key: str
    display: str
    description: str
    disabled: bool
    tooltip: str


class KeyLine(Widget):
    """The footer's keys, in one line: the styles are FooterKey's, the hover's is its ``:hover``."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer-key--key", "footer-key--description", "footer-key--hover"}  # noqa: RUF012
    DEFAULT_CSS = """
    KeyLine {
        width: auto;
        height: 1;
        text-wrap: nowrap;
        background: $footer-item-background;
        pointer: pointer;
        .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
            padding: 0 1;
        }
        .footer-key--description {
            padding: 0 1 0 0;
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .footer-key--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
    }
    """

    def __init__(self, keys: list[Key]) -> None:
        super().__init__()
        self.keys = keys
        self._hover: int | None = None
        self._ends: list[int] = []  # where each key's cells end, for the mouse

    def render(self) -> Text:
        key_styles = self.get_component_styles("footer-key--key")
        description_styles = self.get_component_styles("footer-key--description")
        key_style = self.get_component_rich_style("footer-key--key")
        description_style = self.get_component_rich_style("footer-key--description")
        hover = self.get_component_rich_style("footer-key--hover")
        key_padding, description_padding = key_styles.padding, description_styles.padding
        line = Text(no_wrap=True, end="")
        self._ends = []
        for index, key in enumerate(self.keys):
            own, key_part, description_part = self.rich_style, key_style, description_style
            if index == self._hover:  # as FooterKey:hover, whose parts' backgrounds lie over its own
                own = own + hover
                if key_styles.background.a == 0:
                    key_part = key_part + Style(bgcolor=hover.bgcolor)
                if description_styles.background.a == 0:
                    description_part = description_part + Style(bgcolor=hover.bgcolor)
            if key.disabled:
                own = own + Style(dim=True)
            if key.description:
                label = Text.assemble(
                    (" " * key_padding.left + key.display + " " * key_padding.right, key_part),
                    (
                        " " * description_padding.left + key.description + " " * description_padding.right,
                        description_part,
                    ),
                )
            else:
                label = Text.assemble((key.display, key_part))
            label.stylize_before(own)
            line.append_text(label)
            self._ends.append(line.cell_len)
        return line

    def _key_at(self, x: int) -> int | None:
        for index, end in enumerate(self._ends):
            if x < end:
                return index
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hovering(self._key_at(event.x))

    def on_leave(self, event: events.Leave) -> None:
        self._hovering(None)

    def _hovering(self, index: int | None) -> None:
        if index != self._hover:
            self._hover = index
            self.tooltip = self.keys[index].tooltip or None if index is not None else None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        index = self._key_at(event.x)
        if index is None:
            return
        key = self.keys[index]
        if key.disabled:
            self.app.bell()
        else:
            self.app.simulate_key(key.key)


class LeadFooter(Footer):
    def compose(self) -> ComposeResult:
        made = list(super().compose())
        keys = [w for w in made if type(w) is FooterKey and not w.has_class("-command-palette")]
        if any(not isinstance(w, FooterKey) for w in made):  # binding groups: Textual's own keys
            yield from made
            return
        if keys:
            yield KeyLine(
                [Key(k.key, k.key_display, k.description, k.has_class("-disabled"), str(k.tooltip or "")) for k in keys]
            )
        yield from (w for w in made if w not in keys)
