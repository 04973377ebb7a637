"""Requests to be added to the roster, made from the participant page: y approves, n declines.

The facilitators hear of each new request by a notification (:func:`watch_join_requests`). Names and
e-mails come from strangers: every cell is a plain ``Text``, never markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static

from facilitator.live.pace import local_time
from facilitator.live.session import Session
from facilitator.live.state import SessionState
from facilitator.problems import InputError, StoreError
from facilitator.team.join_requests import JoinRequest
from facilitator.text import printable
from facilitator.tui import bindings
from facilitator.tui.keys import KeyBar
from facilitator.tui.live import LiveApp, live_app
from facilitator.tui.parts import one_line

if TYPE_CHECKING:
    from textual.worker import Worker

Pending = tuple[JoinRequest, ...]
COLUMNS = (("when", "When", 9), ("name", "Name", 22), ("email", "E-mail", 28), ("location", "Loc.", 8))  # 75 cells


def read_pending(session: Session) -> Pending:
    """On the database thread: the requests this process may decide, oldest first (a copy: the fold moves on)."""
    location = session.location if session.own_location_only else None
    return tuple(session.attendance.requests.pending(location))


class RequestWatch:
    """Tells the facilitator, once per request, that someone asks to be added."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.live = cast("LiveApp", app)
        self._seen: set[str] | None = None  # None until the first read: requests already waiting are announced together
        self._seq = -1
        self._reading = False

    def state_changed(self, state: SessionState) -> None:
        if state.last_seq != self._seq and not self._reading:
            self._start_check()

    def _start_check(self) -> Worker[None]:
        # The method, not a coroutine made here: an app that is closing refuses the worker, and a coroutine made
        # for it would never be awaited (a RuntimeWarning as the app quits).
        return self.app.run_worker(self.check, group="join-requests")

    async def check(self) -> None:
        self._reading = True
        try:
            seq, pending = await self.live.run_db(lambda s: (s.state.last_seq, read_pending(s)))
        except StoreError:
            return  # a failing disk: the app's poll says so; the next change of state tries again
        finally:
            self._reading = False
        self._seq = seq
        fresh = [r for r in pending if self._seen is None or r.id not in self._seen]
        self._seen = (self._seen or set()) | {r.id for r in pending}
        if fresh:
            self._announce(fresh)
        if seq != self.live.state.last_seq:  # more arrived while we read
            self.state_changed(self.live.state)

    def _announce(self, fresh: list[JoinRequest]) -> None:
        if len(fresh) == 1:
            request = fresh[0]
            where = printable(request.location.upper())
            message = f"{printable(request.name)} ({where}) asks to be added to the roster. J to decide."
        else:
            message = f"{len(fresh)} people ask to be added to the roster. J to decide."
        self.app.notify(message, title="Join request", markup=False, timeout=10)


def watch_join_requests(app: App[Any]) -> RequestWatch:
    """Start following the run's join requests (for as long as the app runs)."""
    watch = RequestWatch(app)
    app.watch(app, "state", watch.state_changed)
    return watch


class RequestsScreen(Screen[None]):
    """Pending join requests: name, e-mail, location and when; y approves (adds to the roster), n declines."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings.REQUESTS)

    def __init__(self) -> None:
        super().__init__()
        self._shown: Pending = ()
        self._deciding: set[str] = set()

    @property
    def lead_app(self) -> LiveApp:
        return live_app(self)

    def compose(self) -> ComposeResult:
        yield Static(id="requests-status")
        table: DataTable[Text] = DataTable(id="requests-table", cursor_type="row")
        yield table
        yield Static(id="requests-hint", markup=False)
        yield KeyBar([("screen", b) for b in bindings.REQUESTS], id="requests-keys")

    def on_mount(self) -> None:
        table: DataTable[Text] = self.query_one("#requests-table", DataTable)
        for key, label, width in COLUMNS:
            table.add_column(Text(label, style="bold"), width=width, key=key)
        table.focus()
        self.watch(self.app, "state", self._state_changed)

    def _state_changed(self, state: SessionState) -> None:
        self.run_worker(self.reload(), group="requests-reload", exclusive=True)

    async def reload(self) -> None:
        try:
            pending = await self.lead_app.run_db(read_pending)
        except StoreError:
            return  # a failing disk: the app's poll says so; the list stays as it was
        self.show(pending)

    def show(self, pending: Pending) -> None:
        pending = tuple(r for r in pending if r.id not in self._deciding)
        if pending == self._shown:
            return
        table: DataTable[Text] = self.query_one("#requests-table", DataTable)
        keep = self.highlighted()
        self._shown = pending
        table.clear()
        state = self.lead_app.state
        tz = state.programme.workshop.timezone if state.programme else "UTC"
        for request in pending:
            cells = (f"{local_time(request.at, tz):%a %H:%M}", request.name, request.email, request.location.upper())
            table.add_row(
                *(one_line(cell, width) for cell, (_, _, width) in zip(cells, COLUMNS, strict=True)),
                key=request.id,
                height=1,
            )
        ids = [r.id for r in pending]
        if keep is not None and keep.id in ids:
            table.move_cursor(row=ids.index(keep.id), animate=False)
        status = Text("Join requests", style="bold")
        status.append(f"  {len(pending)} waiting" if pending else "  none waiting")
        self.query_one("#requests-status", Static).update(status)
        hint = (
            "People who are not on the roster asked, from the participant page, to be added. "
            "y adds the highlighted person as a walk-in at that location; n declines."
            if pending
            else "Nobody is waiting. Requests made from the participant page appear here as they arrive."
        )
        self.query_one("#requests-hint", Static).update(hint)

    def highlighted(self) -> JoinRequest | None:
        table: DataTable[Text] = self.query_one("#requests-table", DataTable)
        row = table.cursor_row
        return self._shown[row] if table.row_count and 0 <= row < len(self._shown) else None

    def action_back(self) -> None:
        self.dismiss()

    def action_decide(self, approve: bool) -> None:
        request = self.highlighted()
        if request is None:
            return
        self._deciding.add(request.id)
        self.run_worker(self._decide(request, approve), group="requests-decide")

    async def _decide(self, request: JoinRequest, approve: bool) -> None:
        app = self.lead_app
        try:
            try:
                await app.attempt(lambda s: s.decide_request(request.id, approve))
            except InputError as exc:  # decided meanwhile by someone else, an e-mail added since, a role
                self.app.notify("\n".join(exc.lines()), severity="error", markup=False)
                return
            except StoreError as exc:  # a full or read-only disk: nothing was decided
                self.app.notify(printable(str(exc)), title="Not saved", severity="error", markup=False)
                return
            verdict = "added to the roster" if approve else "declined"
            self.app.notify(f"{printable(request.name)}: {verdict}.", markup=False, timeout=4)
        finally:
            self._deciding.discard(request.id)
            await self.reload()
