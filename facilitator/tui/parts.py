"""Small pieces several screens share: one literal line of text, a location's label, a step by its ids, a step's
groups hint, whether two texts draw the same, a widget's size as laid out, when a filter box's keys act.

Text from scripts and people is never markup here: every piece is a plain ``Text`` passed through ``printable``.
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Input

from facilitator.script.models import Location, Programme, Step
from facilitator.text import printable


def one_line(text: str, width: int, style: str = "") -> Text:
    """``text`` as one literal line of at most ``width`` cells, ending in an ellipsis when cut."""
    # Cut long texts early: a 10,000-character reflection needs no more than a line's worth of Text.
    flat = " ".join(printable(text[: max(width, 1) * 4]).split())
    line = Text(flat, style=style, no_wrap=True, overflow="ellipsis", end="")
    line.truncate(max(width, 1), overflow="ellipsis")
    return line


def same_text(a: Text, b: Text | None) -> bool:
    """Whether two texts draw the same (a widget need not repaint): Rich's ``==`` compares only the characters
    and the spans, not the base style or how the text wraps."""
    return (
        b is not None
        and a == b
        and (a.style, a.justify, a.overflow, a.no_wrap, a.end) == (b.style, b.justify, b.overflow, b.no_wrap, b.end)
    )


def location_label(location: Location) -> Text:
    return Text(printable(f"{location.id.upper()} · {location.name}"))


def step_of(programme: Programme | None, exercise: str | None, step: str | None) -> Step | None:
    if programme is None or exercise is None or step is None:
        return None
    found = programme.exercise_by_id.get(exercise)
    return next((s for s in found.steps if s.id == step), None) if found else None


def groups_hint(step: Step) -> str:
    """What a step says of its groups, under its title: the groups the app makes for it (``groups:``), else the
    facilitator's hint (``grouping:``), which may be a grouping the app does not make (by role, self-selected)."""
    if step.groups is not None:
        asked = step.groups
        return f"groups of {asked.size}" if asked.size is not None else f"{asked.count} groups"
    if step.grouping is not None:
        size = f" of {step.grouping.size}" if step.grouping.size else ""
        return f"groups by {step.grouping.by.value}{size}"
    return ""


def laid_out_size(widget: Widget, *, scrollbars: bool = False) -> Size:
    """The size of ``widget``'s content as the last layout gave it: its outer size less padding and border (and,
    with ``scrollbars``, the scrollbars' gutter).

    What ``size``, ``content_size`` and ``scrollable_content_region`` give too, but without looking the widget up
    on the screen: asked during a layout or a paint, that lookup arranges the whole screen again (some 6 ms of
    the lead's first frame, for a few widgets asking).
    """
    gutter = widget.gutter if scrollbars else widget.styles.gutter
    width, height = widget.outer_size
    return Size(max(width - gutter.width, 0), max(height - gutter.height, 0))


def filter_key_acts(action: str, focused: Widget | None, box: str) -> bool:
    """Whether a filter's key acts now (bindings.py: they are priority bindings, acted on before the next key
    is read): ``search`` ("/") unless a text box has the focus (there "/" is typed); ``leave_filter`` (Enter)
    only in the filter box, whose id is ``box`` (elsewhere Enter is the list's). Every other action acts."""
    if action == "search":
        return not isinstance(focused, Input)
    if action == "leave_filter":
        return focused is not None and focused.id == box
    return True
