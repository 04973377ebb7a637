"""The participant page's HTTP protocol: uvicorn's (httptools), with a deadline and a size limit for every head.

uvicorn bounds an idle keep-alive connection (``timeout_keep_alive``) but not the time a client may take to send
a request's head: a connection opened and left silent, or one that sends a header a byte at a time, stays open
as long as the client likes, and a few hundred of them hold the server's file descriptors. Its size limit for a
head (``h11_max_incomplete_event_size``) applies to the h11 parser only, not to httptools, which the page uses.
So this protocol adds both, at the connection, before anything reaches the ASGI app:

- a head must be complete within :data:`HEAD_TIMEOUT` seconds of the connection opening, or of the previous
  response on it, however slowly its bytes trickle in; otherwise 408 and the connection is closed;
- a head of more than :data:`HEAD_LIMIT` bytes is refused with 431 and the connection closed.

Bodies have their own deadline in the app (facilitator.participant_page.web.security.BodyLimit).
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEAD_TIMEOUT = 10.0  # seconds: a phone's head is one packet; ten seconds allows for a retransmission or three
HEAD_LIMIT = 16 * 1024  # bytes: the page's own heads are well under 2 KB (the cookie is ~200 bytes)
REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


class HeadTooLarge(Exception):
    """A request's head is over :data:`HEAD_LIMIT` bytes."""


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with :data:`HEAD_TIMEOUT` and :data:`HEAD_LIMIT` on every request's head."""

    head_timeout = HEAD_TIMEOUT
    head_limit = HEAD_LIMIT

    _awaiting_head = False
    _head_bytes = 0  # bytes received since the head began: catches one long line the parser is still buffering
    _head_size = 0  # the parsed head's URL and headers: catches a long head that arrived complete at once
    _too_large = False
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._awaiting_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._awaiting_head and self._head_bytes > self.head_limit:
            self._refuse(431)

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._head_size += size
        if self._head_size > self.head_limit:
            self._too_large = True
            raise HeadTooLarge  # the parser stops; uvicorn answers the error with send_400_response, below

    def send_400_response(self, msg: str) -> None:
        if self._too_large:
            self._refuse(431)
        else:
            super().send_400_response(msg)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._awaiting_head:  # the head of a pipelined request, begun while the previous one is answered
            self._expect_head()

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        self._head_bytes = self._head_size = 0
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        idle = not self.pipeline  # with nothing queued, the connection now waits for a new request's head
        super().on_response_complete()
        if idle and not self.transport.is_closing():
            if self._awaiting_head:  # part of the next head came already: its deadline starts now, once
                self._arm()
            else:
                self._expect_head()

    def _expect_head(self) -> None:
        self._awaiting_head = True
        self._head_bytes = self._head_size = 0
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.head_timeout, self._head_overdue)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_overdue(self) -> None:
        self._deadline = None
        if self._awaiting_head:
            self._refuse(408)

    def _refuse(self, status: int) -> None:
        """Answer ``status`` and close; a response under way (pipelining) finishes first, then the connection closes."""
        self._awaiting_head = False
        self._disarm()
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False
            self.flow.pause_reading()
            return
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-length: 0\r\nconnection: close\r\n\r\n" % (status, REASONS[status])
        )
        self.transport.close()
