"""QR codes for the participant page, drawn with terminal characters so a phone can scan them off the screen.

Two modules share one character cell, one above the other (``▀ ▄ █`` and space), because a cell is about
twice as tall as it is wide: the code comes out square, and a version-3 code with its quiet zone fits in 37
columns and 19 rows, small enough for an 80×24 terminal with the address and typed code beneath it.

The characters draw the dark modules; the widget paints them dark on an explicit light background, since
phone decoders expect a dark code on light paper and a terminal's own theme may be either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from facilitator.participant_page.tokens import Token, issue, load_settings
from facilitator.record.store import Store
from facilitator.script.models import Programme

QUIET_ZONE = 4  # modules of light margin on every side, as the QR standard asks for
# (top dark, bottom dark) -> the character drawing them
_CELLS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}
HALF_BLOCKS = frozenset(_CELLS.values())

Matrix = Sequence[Sequence[bool]]


def matrix(data: str, *, border: int = QUIET_ZONE) -> list[list[bool]]:
    """The modules of the smallest code holding ``data``, dark ones True, with ``border`` light modules around."""
    import qrcode  # deferred: start-up does not need it
    from qrcode.constants import ERROR_CORRECT_L

    # The lowest correction level gives the smallest code; a screen is not a crumpled poster, and a smaller
    # code means bigger modules for the camera at the back of the room.
    code = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_L, border=border)
    code.add_data(data)
    code.make(fit=True)
    return [[bool(module) for module in row] for row in code.get_matrix()]


def half_blocks(modules: Matrix) -> list[str]:
    """Lines of text drawing ``modules``, two rows of modules per line; an odd last row pairs with light."""
    lines = []
    for top in range(0, len(modules), 2):
        upper = modules[top]
        lower = modules[top + 1] if top + 1 < len(modules) else [False] * len(upper)
        lines.append("".join(_CELLS[(a, b)] for a, b in zip(upper, lower, strict=True)))
    return lines


def scaled(modules: Matrix, scale: int) -> list[list[bool]]:
    """Each module as a ``scale`` × ``scale`` square of modules: a bigger code for a big screen far away."""
    return [[module for module in row for _ in range(scale)] for row in modules for _ in range(scale)]


def render(data: str, scale: int = 1) -> list[str]:
    """``data`` as a QR code in half blocks, quiet zone included, each module ``scale`` cells wide."""
    return half_blocks(scaled(matrix(data), scale))


def fitting_scale(size: int, width: int, height: int) -> int:
    """The largest scale (at least 1) at which a code of ``size`` modules fits ``width`` × ``height`` cells."""
    scale = 1
    while (scale + 1) * size <= width and -(-(scale + 1) * size // 2) <= height:
        scale += 1
    return scale


def read_half_blocks(lines: Sequence[str]) -> list[list[bool]]:
    """The modules that ``lines`` of half blocks draw (the inverse of :func:`half_blocks`), for checking.

    Any character other than the three blocks counts as light, so a screen capture reads as it looks.
    """
    width = max((len(line) for line in lines), default=0)
    modules: list[list[bool]] = []
    for line in lines:
        padded = line.ljust(width)
        modules.append([ch in "▀█" for ch in padded])
        modules.append([ch in "▄█" for ch in padded])
    return modules


@dataclass(frozen=True)
class Link:
    """What the QR screen shows for one location now: the token, the address it opens and the code's lines."""

    token: Token
    url: str
    home: str  # the page's front door, where the typed code is entered
    modules: tuple[tuple[bool, ...], ...]  # quiet zone included

    def lines(self, scale: int = 1) -> list[str]:
        return half_blocks(scaled(self.modules, scale))


def link_for(store: Store, programme: Programme, location: str, now: datetime) -> Link:
    """The participant page's link for ``location`` at ``now``, as the server will accept it.

    The settings are read each time, so a new public address or rotation period saved by ``facilitator
    serve`` shows at the next rotation.
    """
    settings = load_settings(store)
    token = issue(settings, programme, location, now)
    url = token.url(settings.public_url)  # short on purpose: {public_url}/p/{code}
    return Link(token, url, settings.public_url.rstrip("/"), tuple(tuple(row) for row in matrix(url)))
