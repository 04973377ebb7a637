"""The page's HTTP protocol (facilitator.participant_page.web.protocol) against slow and oversized clients.

A real uvicorn server on a real socket, in a thread, with the page's protocol (its deadline shortened, so the
tests are quick) and, for comparison, uvicorn's own: the clients are raw sockets that send half a request head
and wait, trickle it a byte at a time, or send one far too large. Each test fails with uvicorn's protocol.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from facilitator.participant_page.web.protocol import HEAD_LIMIT, GuardedProtocol
from tests.tools import free_port

pytestmark = pytest.mark.slow

DEADLINE = 0.6


class QuickGuard(GuardedProtocol):
    head_timeout = DEADLINE


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def serve(protocol: type[asyncio.Protocol]) -> Iterator[int]:
    port = free_port()
    config = uvicorn.Config(
        hello, host="127.0.0.1", port=port, http=protocol, lifespan="off", log_level="error", timeout_keep_alive=30
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def guarded() -> Iterator[int]:
    yield from serve(QuickGuard)


@pytest.fixture
def plain() -> Iterator[int]:
    yield from serve(HttpToolsProtocol)


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.settimeout(5)
    return sock


def read_until_closed(sock: socket.socket, within: float) -> tuple[bytes, float]:
    """What the server sent until it closed the connection, and when that was; (..., inf) if it stayed open."""
    start = time.monotonic()
    sock.settimeout(0.1)
    received = b""
    while time.monotonic() - start < within:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return received, time.monotonic() - start
        if not chunk:
            return received, time.monotonic() - start
        received += chunk
    return received, float("inf")


def request(sock: socket.socket, extra: bytes = b"") -> bytes:
    sock.sendall(b"GET / HTTP/1.1\r\nHost: page\r\n" + extra + b"\r\n")
    received = b""
    while not received.endswith(b"ok"):
        chunk = sock.recv(65536)
        assert chunk, received
        received += chunk
    return received


def test_a_connection_that_never_sends_a_head_is_closed_at_the_deadline(guarded: int) -> None:
    with connect(guarded) as sock:
        received, closed_after = read_until_closed(sock, within=DEADLINE * 5)
    assert received.startswith(b"HTTP/1.1 408 Request Timeout")
    assert DEADLINE * 0.8 <= closed_after <= DEADLINE * 3


def test_a_head_sent_a_byte_at_a_time_does_not_push_the_deadline_back(guarded: int) -> None:
    with connect(guarded) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: page\r\nX-Slow: ")
        start = time.monotonic()
        closed_after = float("inf")
        while time.monotonic() - start < DEADLINE * 5:
            try:
                sock.sendall(b"a")
            except OSError:
                closed_after = time.monotonic() - start
                break
            received, gone = read_until_closed(sock, within=0.1)
            if gone != float("inf") or received:
                closed_after = time.monotonic() - start
                assert received.startswith(b"HTTP/1.1 408") or not received
                break
    assert closed_after <= DEADLINE * 3


def test_the_deadline_starts_again_for_each_request_on_a_kept_alive_connection(guarded: int) -> None:
    with connect(guarded) as sock:
        for _ in range(3):  # each request well within the deadline, the three together beyond it
            time.sleep(DEADLINE * 0.6)
            assert request(sock).startswith(b"HTTP/1.1 200")
        received, closed_after = read_until_closed(sock, within=DEADLINE * 5)  # then idle: closed again
    assert received.startswith(b"HTTP/1.1 408") and closed_after <= DEADLINE * 3


def test_pipelined_requests_are_answered(guarded: int) -> None:
    with connect(guarded) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: page\r\n\r\n" * 3)
        received = b""
        while received.count(b"ok") < 3:
            chunk = sock.recv(65536)
            assert chunk, received
            received += chunk
    assert received.count(b"HTTP/1.1 200") == 3


@pytest.mark.parametrize("complete", [True, False])
def test_a_head_over_the_limit_is_refused_with_431(guarded: int, complete: bool) -> None:
    big = b"X-Big: " + b"a" * (HEAD_LIMIT + 1024) + (b"\r\n\r\n" if complete else b"")
    with connect(guarded) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: page\r\n" + big)
        received, closed_after = read_until_closed(sock, within=DEADLINE * 0.8)
    assert received.startswith(b"HTTP/1.1 431 Request Header Fields Too Large")
    assert closed_after < DEADLINE * 0.8  # at once, not at the deadline


def test_a_head_of_many_headers_over_the_limit_is_refused(guarded: int) -> None:
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(HEAD_LIMIT // 100))
    with connect(guarded) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: page\r\n" + many + b"\r\n")
        received, _ = read_until_closed(sock, within=DEADLINE * 0.8)
    assert received.startswith(b"HTTP/1.1 431")


def test_an_ordinary_head_and_body_pass(guarded: int) -> None:
    body = b"a=" + b"b" * 60_000
    with connect(guarded) as sock:
        assert request(sock, b"Cookie: fp=" + b"c" * 2000 + b"\r\n").startswith(b"HTTP/1.1 200")
        sock.sendall(b"POST / HTTP/1.1\r\nHost: page\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        received = b""
        while not received.endswith(b"ok"):
            received += sock.recv(65536)
    assert received.startswith(b"HTTP/1.1 200")


def test_uvicorns_own_protocol_keeps_them_open(plain: int) -> None:
    # What the page's protocol is for: without it, a silent connection and an 8 MB head are served.
    with connect(plain) as sock:
        _, closed_after = read_until_closed(sock, within=DEADLINE * 3)
    assert closed_after == float("inf")
    with connect(plain) as sock:
        assert request(sock, b"X-Big: " + b"a" * (HEAD_LIMIT * 4) + b"\r\n").startswith(b"HTTP/1.1 200")
