"""The participant page's QR code, full screen, for one location at a time (q; ← and → change location).

Shown on the shared screen or a projector, so it carries nothing private: the code, the address it opens
and the code to type for people who cannot scan.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import Static

from facilitator.live.pace import local_time
from facilitator.participant_page.qr import Link
from facilitator.script.models import Location
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.keys import KeyBar
from facilitator.tui.live import LiveApp, live_app
from facilitator.tui.widgets.qr import LocationQr, link_fetcher
from facilitator.tui.widgets.too_small import TooSmall

# Below this the address and the code to type, wrapped, no longer fit between the title and the keys.
MINIMUM_SIZE = (30, 10)


class QrScreen(Screen[str]):
    """One location's code; dismissed with the location shown last, which ``q`` opens with next time."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings.QR)

    def __init__(self, location: str | None = None) -> None:
        super().__init__()
        self._wanted = location

    @property
    def lead_app(self) -> LiveApp:
        return live_app(self)

    @property
    def locations(self) -> list[Location]:
        programme = self.lead_app.state.programme
        return list(programme.workshop.locations) if programme else []

    @property
    def location(self) -> str:
        return self.query_one(LocationQr).location

    def _first_location(self) -> str:
        ids = [loc.id for loc in self.locations]
        # The one asked for (shown last time), else this facilitator's own location, else the first.
        for candidate in (self._wanted, self.lead_app.location):
            if candidate is not None and candidate in ids:
                return candidate
        return ids[0] if ids else ""

    def compose(self) -> ComposeResult:
        app = self.lead_app
        yield Static(id="qr-title")
        fetch = link_fetcher(app.run_db, app.clock)
        yield LocationQr(self._first_location(), fetch=fetch, now=app.clock.now, id="qr-panel")
        yield KeyBar([("screen", b) for b in bindings.QR], id="qr-keys")
        yield TooSmall(*MINIMUM_SIZE)

    def on_mount(self) -> None:
        self.watch(self.query_one(LocationQr), "link", self._show_title)

    def on_resize(self) -> None:
        # Bigger where the screen allows: the code is read from the back of a room. Title and keys take a line each.
        self.query_one(LocationQr).fit(self.size.width, self.size.height - 2)

    def _show_title(self, link: Link | None) -> None:
        locations = self.locations
        ids = [loc.id for loc in locations]
        location = self.location
        place = next((loc for loc in locations if loc.id == location), None)
        text = Text()
        text.append("Check in and reflect", style="bold")
        if place is not None:
            text.append(" · ")
            text.append(printable(place.name), style="bold")
            text.append(f" · {ids.index(location) + 1}/{len(ids)}", style="dim")
        if link is not None and place is not None:
            text.append(f" · new code at {local_time(link.token.valid_until, place.timezone):%H:%M}", style="dim")
        self.query_one("#qr-title", Static).update(text)

    def action_cycle(self, step: int) -> None:
        ids = [loc.id for loc in self.locations]
        if not ids:
            return
        here = ids.index(self.location) if self.location in ids else 0
        self.query_one(LocationQr).show_location(ids[(here + step) % len(ids)])

    def action_back(self) -> None:
        self.dismiss(self.location)
