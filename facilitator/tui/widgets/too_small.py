"""The message a screen shows instead of itself in a window smaller than it can be used in.

Below that size text would be cut where people cannot tell it was (a code to type, a name, a time): better
to say so, with the size needed. The message covers the screen on a layer of its own, so the screen keeps
its state and comes back as it was once the window is large enough again.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class TooSmall(Static):
    """Covers its screen while the window is smaller than ``width`` × ``height``; the screen must list the
    ``too-small`` layer (the stylesheet does, for the screens that yield this widget)."""

    DEFAULT_CSS = """
    TooSmall {
        layer: too-small;
        dock: top;
        width: 100%;
        height: 100%;
        padding: 0 1;
        content-align: center middle;
        text-align: center;
        background: $background;
        visibility: hidden;
    }
    TooSmall.-shown {
        visibility: visible;
    }
    """

    def __init__(self, width: int, height: int, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.minimum = (width, height)

    def shows(self, size: tuple[int, int]) -> bool:
        """Whether it covers a screen of ``size``. It shows or hides itself by this, and the lead screen composes
        it at once only when this holds (otherwise it mounts it after its first frame)."""
        width, height = size
        return width < self.minimum[0] or height < self.minimum[1]

    def on_mount(self) -> None:
        # Hidden, it is out of the layout and hears no resize of its own: follow the screen's layouts instead.
        self.screen.screen_layout_refresh_signal.subscribe(self, self._check)
        self._check(None)

    def _check(self, _: object) -> None:
        size = self.screen.size
        small = self.shows(size)
        self.set_class(small, "-shown")
        if small:
            self.update(too_small_text(self.minimum, size))


def too_small_text(minimum: tuple[int, int], size: tuple[int, int]) -> Text:
    (need_width, need_height), (width, height) = minimum, size
    narrow, short = width < need_width, height < need_height
    ask = "Enlarge the window" if narrow and short else "Widen the window" if narrow else "Make the window taller"
    text = Text(ask, style="bold")
    text.append(f"\nthis screen needs {need_width}×{need_height}, it has {width}×{height}")
    return text
