"""The participant page's QR code as a widget, and a panel that keeps one location's code current.

The QR screen (q) and the room view both use :class:`LocationQr`; it asks its host for the link through a
``fetch`` callable, so it works in any app that can reach the run's database.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from facilitator.live.session import Session
from facilitator.participant_page.qr import Link, fitting_scale, link_for
from facilitator.problems import InputError, StoreError
from facilitator.record.clock import Clock
from facilitator.text import printable
from facilitator.tui.widgets.tick import AppTick

# Dark modules on light paper whatever the terminal's theme: phone decoders look for exactly that.
PAPER = Style(color="#000000", bgcolor="#ffffff")
REFRESH_SECONDS = 1.0  # how often the panel checks whether its token has rotated
# The public address and rotation live outside the events (``facilitator serve`` saves them): read them again
# this often, so a server started after the code was put on screen gets its address shown.
SETTINGS_SECONDS = 15.0
TOO_SMALL = "(a larger window shows the QR code)"


def code_text(lines: Sequence[str]) -> Text:
    """The code's lines, in black on white, as one literal text (the lines are half blocks, never markup)."""
    return Text("\n".join(lines), style=PAPER, no_wrap=True, overflow="crop", end="")


class QrCode(Static):
    """A QR code drawn in half blocks; ``lines`` come from :func:`facilitator.participant_page.qr.render`."""

    DEFAULT_CSS = """
    QrCode {
        width: auto;
        height: auto;
    }
    """

    lines: reactive[tuple[str, ...]] = reactive(tuple, layout=True)

    def __init__(self, lines: Sequence[str] = (), *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.set_reactive(QrCode.lines, tuple(lines))

    def render(self) -> Text:
        return code_text(self.lines)


Fetch = Callable[[str], Awaitable[Link]]


def link_fetcher(run_db: Callable[[Callable[[Session], Link]], Awaitable[Link]], clock: Clock) -> Fetch:
    """A ``fetch`` for :class:`LocationQr` from an app's ``run_db`` (its database thread) and its clock."""

    async def fetch(location: str) -> Link:
        return await run_db(lambda s: link_for(s.store, s.programme, location, clock.now()))

    return fetch


class LocationQr(Vertical):
    """One location's code, its short address and the code to type, re-drawn when the token rotates.

    ``fetch(location)`` returns the link for now (on the host's database thread); ``now()`` is the host's
    clock, so a test's fake clock decides when the token rotates.
    """

    DEFAULT_CSS = """
    LocationQr {
        width: 100%;
        height: auto;
    }
    LocationQr > Static {
        width: 100%;
        height: auto;
        text-align: center;
    }
    """

    link: reactive[Link | None] = reactive(None, init=False)

    def __init__(
        self,
        location: str,
        *,
        fetch: Fetch,
        now: Callable[[], datetime],
        compact: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.location = location
        self.compact = compact  # the room view's narrow column: the code to type without the sentence around it
        self._fetch = fetch
        self._now = now
        self._fetching = False
        self._fetched_at = 0.0  # time.monotonic() of the last fetch
        self._room: tuple[int, int] | None = None  # cells the host gives the panel; None: the smallest code

    def compose(self) -> ComposeResult:
        with Center():
            yield QrCode(classes="qr-code")
        yield Static(TOO_SMALL, classes="qr-too-small", markup=False)
        yield Static(classes="qr-url", markup=False)
        yield Static(classes="qr-typed", markup=False)

    def on_mount(self) -> None:
        self.query_one(".qr-too-small").display = False
        # On the app's one clock (facilitator.tui.widgets.tick), under another screen too: the code may still
        # show around a dialog, and a phone may scan it.
        AppTick.of(self.app).add(self.check_rotation, every=REFRESH_SECONDS)
        self.run_worker(self.update_link(), group="qr-link", exclusive=True)
        if self.compact:
            self.screen.screen_layout_refresh_signal.subscribe(self, self._fit_host)

    def _fit_host(self, _: object) -> None:
        """In a column sized by its content, fit the space of the first ancestor whose height is set: half
        its width beside the text, or two thirds of its height beneath it."""
        host = self.parent
        while isinstance(host, Widget) and host.styles.height is not None and host.styles.height.is_auto:
            host = host.parent
        if isinstance(host, Widget):
            size = host.content_size
            if host.styles.layout is not None and host.styles.layout.name == "vertical":
                self.fit(size.width, size.height * 2 // 3)
            else:
                self.fit(size.width // 2, size.height)

    def fit(self, width: int, height: int) -> None:
        """Draw the code as large as fits ``width`` × ``height`` cells, the text beneath it included.

        A code that would not fit even at its smallest is not drawn: a clipped code scans as nothing, and
        the address and the code to type still work. They wrap rather than being cut: a cut code to type
        reads as a wrong but plausible one.
        """
        if self._room != (width, height):
            self._room = (width, height)
            self._draw()

    @property
    def scale(self) -> int:
        link = self.link
        if link is None or self._room is None:
            return 1
        width, height = self._room
        return fitting_scale(len(link.modules), width, height - self._text_height(link, width))

    @property
    def fits(self) -> bool:
        link = self.link
        if link is None or self._room is None:
            return True
        width, height = self._room
        size = len(link.modules)
        return size <= width and -(-size // 2) <= height - self._text_height(link, width)

    def _text_height(self, link: Link, width: int) -> int:
        """Lines the address and the code to type take beneath the code, wrapped at ``width``."""
        console = self.app.console
        wrap = max(width, 1)
        return sum(len(text.wrap(console, wrap)) for text in (self._url_text(link), self._typed_text(link)))

    def _url_text(self, link: Link) -> Text:
        return Text(printable(link.url), style="bold")

    def _typed_text(self, link: Link) -> Text:
        if self.compact:
            typed = Text("or type ")
        else:
            typed = Text("No camera? Open ")
            typed.append(printable(link.home), style="bold")
            typed.append(" and type ")
        typed.append(link.token.typed, style="bold reverse")
        return typed

    def _draw(self) -> None:
        link = self.link
        if link is None or not self.is_mounted:
            return
        fits = self.fits
        lines = tuple(link.lines(self.scale)) if fits else ()
        code = self.query_one(QrCode)
        code.lines = lines
        code.display = fits
        self.query_one(".qr-too-small").display = not fits
        if self.compact:
            # In a column sized by its content: as wide as the widest of code and address, within its room
            # (the address wraps), so the text beside it keeps the rest.
            widest = max(len(lines[0]) if lines else len(TOO_SMALL), len(link.url))
            room = self._room[0] if self._room is not None else widest
            self.styles.width = max(min(widest, room), 1)

    def show_location(self, location: str) -> None:
        """Switch to another location's code."""
        if location != self.location:
            self.location = location
            self.run_worker(self.update_link(), group="qr-link", exclusive=True)

    def on_unmount(self) -> None:
        AppTick.of(self.app).discard(self.check_rotation)

    def check_rotation(self) -> Awaitable[None] | None:
        """A new link when the token has rotated or the settings are due to be read again; None (no task, no
        read) on the other ticks."""
        link = self.link
        if link is None or self._fetching:
            return None
        if self._now() >= link.token.valid_until or time.monotonic() - self._fetched_at >= SETTINGS_SECONDS:
            return self.update_link()
        return None

    async def update_link(self) -> None:
        self._fetching = True
        self._fetched_at = time.monotonic()
        try:
            link = await self._fetch(self.location)
        except InputError as exc:  # a location the script no longer has: say so rather than crash
            self.query_one(".qr-url", Static).update(Text("\n".join(exc.lines()), style="bold red"))
            return
        except StoreError as exc:  # the first code of a run on a read-only disk: its secret cannot be saved
            self.query_one(".qr-url", Static).update(Text(printable(str(exc)), style="bold red"))
            return
        finally:
            self._fetching = False
        if link.token.location == self.location:  # not a late answer for the location shown before
            self.link = link

    def watch_link(self, link: Link | None) -> None:
        if link is None:
            return
        self._draw()
        self.query_one(".qr-url", Static).update(self._url_text(link))
        self.query_one(".qr-typed", Static).update(self._typed_text(link))
