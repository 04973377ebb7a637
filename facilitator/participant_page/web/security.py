"""The participant page's defences, as plain ASGI middleware and small helpers.

- Every response carries a strict Content-Security-Policy and its companions (:class:`SecurityHeaders`).
- A request body larger than a few kilobytes is refused before it is parsed (:class:`BodyLimit`).
- A request body that takes longer than :data:`BODY_TIMEOUT` to arrive is refused (408), so a slow sender
  cannot hold a request open (the server's protocol, facilitator.participant_page.web.server, does the same
  for the request's head).
- Each client address has a token bucket; an empty bucket answers 429 with Retry-After (:class:`RateLimit`).
- The client address is the connection's peer, unless that peer is a proxy the page was told to trust
  (``--trusted-proxy``): then it is the address that proxy puts in X-Forwarded-For (:class:`TrustedProxies`).
  Anyone else's X-Forwarded-For is ignored, so changing it on every request buys nothing.
- Who a participant is and their form token live in one signed cookie (:class:`CookieJar`): HttpOnly,
  SameSite=Strict, never in a URL. Every form carries a CSRF token derived from the cookie's nonce. An identity
  holds for one location's links, one day, and one generation of the person's identity (signing out moves
  it on, so a copied cookie stops working).
- An anonymous question's answers are filed under a ballot id the phone keeps in a cookie of its own
  (:data:`BALLOT_COOKIE`): random, signed, HttpOnly, SameSite=Lax, never derived from who the person is.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import ipaddress
import json
import logging
import math
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from starlette.responses import Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
BODY_LIMIT = 16 * 1024  # a reflection of 4,000 characters, form-encoded, with room for accents
BODY_TIMEOUT = 20.0  # seconds for a whole body of at most 16 KB to arrive, even over a poor mission link
COOKIE = "fp"
BALLOT_COOKIE = "fb"
# A phone's ballot lasts the course (the evaluation may stay open for days); a new run's page, with its own
# secret, does not accept it, so nothing links the answers of one workshop to another's.
BALLOT_MAX_AGE = 90 * 24 * 3600
LOG = logging.getLogger("facilitator.participant_page")


async def _plain(send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Read at most ``limit`` bytes of a request body, within ``timeout`` seconds; more is a 413, slower a 408."""

    def __init__(self, app: ASGIApp, limit: int = BODY_LIMIT, timeout: float = BODY_TIMEOUT) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _plain(send, 413, "Request body too large")
            return
        try:
            async with asyncio.timeout(self.timeout):
                chunks = await self._read(receive)
        except TimeoutError:
            await _plain(send, 408, "Request body too slow", [(b"connection", b"close")])
            return
        if chunks is None:  # the client went away
            return
        if isinstance(chunks, int):
            await _plain(send, 413, "Request body too large")
            return
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> list[bytes] | int | None:
        """The body's chunks; its size so far once it is over the limit; None when the client disconnected."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return size
            chunks.append(chunk)
            if not message.get("more_body"):
                return chunks


@dataclass
class _Bucket:
    """One client's token bucket: the tokens it holds, as of ``updated`` (the clock's seconds)."""

    tokens: float
    updated: float


class Buckets:
    """A token bucket per client address: ``burst`` at once, refilled at ``rate`` per second."""

    MAX_CLIENTS = 10_000

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.buckets: dict[str, _Bucket] = {}

    def take(self, client: str) -> float:
        """Take a token for ``client``: 0 when allowed, else the seconds until one is available."""
        now = self.clock()
        bucket = self.buckets.get(client)
        if bucket is None:
            if len(self.buckets) >= self.MAX_CLIENTS:
                self._forget_full(now)
            bucket = self.buckets[client] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def wait(self, client: str) -> float:
        """Seconds until ``client`` has a token again (0: it has one now), without taking any."""
        bucket = self.buckets.get(client)
        if bucket is None:
            return 0.0
        tokens = min(self.burst, bucket.tokens + (self.clock() - bucket.updated) * self.rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop the clients whose buckets have refilled: they are indistinguishable from new ones."""
        refill = self.burst / self.rate
        self.buckets = {k: b for k, b in self.buckets.items() if now - b.updated < refill}


def retry_after(wait: float) -> str:
    return str(max(1, math.ceil(wait)))


class RateLimit:
    """Every request takes a token from its client address's bucket; an empty bucket answers 429.

    A whole room behind one NAT address shares a bucket, so the defaults are generous. Guessing e-mails
    or codes is held back harder by the identify route's own bucket of failures (facilitator.participant_page.web.app).
    Static files and the health check are not counted.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        rate: float = 20.0,
        burst: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        exempt: tuple[str, ...] = ("/static/", "/healthz"),
        refusal: Callable[[Scope, float], str] | None = None,
    ) -> None:
        self.app = app
        self.rate = rate
        self.buckets = Buckets(rate, burst, clock) if rate > 0 else None
        self.exempt = exempt
        self.refusal = refusal  # the page that says so (HTML), for a request and the seconds to wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.buckets is None or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.buckets.take(client[0] if client else "?")
        if wait:
            await self._refuse(scope, send, wait)
            return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, send: Send, wait: float) -> None:
        headers = [(b"retry-after", retry_after(wait).encode())]
        if self.refusal is None:
            await _plain(send, 429, "Too many requests", headers)
            return
        body = self.refusal(scope, wait).encode()
        headers += [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_proxies(values: Iterable[str]) -> tuple[Network, ...]:
    """The ``--trusted-proxy`` values as networks (an address is a network of one); ValueError names a bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network, like 127.0.0.1 or 10.0.0.0/8") from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    bare = text.strip().strip("[]")
    # Remembered: each request names its peer and its forwarded client, and a room's are the same few dozen.
    # (Anything longer than any address is parsed, and refused, without being remembered.)
    return _parsed_address(bare) if len(bare) <= 64 else _parse_address(bare)


def _parse_address(bare: str) -> Address | None:
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 from a dual-stack socket is 127.0.0.1
    return address


_parsed_address = functools.lru_cache(maxsize=4096)(_parse_address)


class TrustedProxies:
    """The client address is the socket's peer, unless the peer is a trusted proxy: then the one it forwarded.

    From a trusted peer, X-Forwarded-For is read from the right (the address the nearest proxy saw), skipping
    the trusted proxies themselves; the first other address is the client. X-Forwarded-Proto from a trusted peer
    says whether the phone used https (so the cookie is marked Secure). From any other peer both headers are
    ignored: a phone cannot choose its own address for the rate limits.
    """

    def __init__(self, app: ASGIApp, trusted: Iterable[Network] = ()) -> None:
        self.app = app
        self.trusted = tuple(trusted)
        self._warned = False

    def is_trusted(self, address: Address | None) -> bool:
        return address is not None and any(address in network for network in self.trusted)

    def client_of(self, forwarded: list[str]) -> str | None:
        """The client address in an X-Forwarded-For chain from a trusted proxy, or None when it has none."""
        addresses = [_address(entry) for entry in forwarded]
        for address in reversed(addresses):
            if address is None:
                return None  # garbage where a proxy writes: trust nothing of it
            if not self.is_trusted(address):
                return str(address)
        return str(addresses[0]) if addresses else None  # proxies all the way: the furthest one

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        peer = _address(client[0]) if client else None
        headers = scope.get("headers", [])
        forwarded = [value for name, value in headers if name == b"x-forwarded-for"]
        proto = [value for name, value in headers if name == b"x-forwarded-proto"]
        if not forwarded and not proto:
            await self.app(scope, receive, send)
            return
        if not self.is_trusted(peer):
            if forwarded and peer is not None and peer.is_loopback and not self._warned:
                self._warned = True
                LOG.warning(
                    "warning: ignoring X-Forwarded-For from %s; if a reverse proxy runs there, start the page with "
                    "--trusted-proxy %s so that each phone has its own rate limit",
                    peer,
                    peer,
                )
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        if forwarded:
            address = self.client_of(b",".join(forwarded).decode("latin-1").split(","))
            if address is not None:
                scope["client"] = (address, 0)
        if proto:
            scheme = proto[-1].decode("latin-1").split(",")[-1].strip().lower()
            if scheme in ("http", "https"):
                scope["scheme"] = scheme
        await self.app(scope, receive, send)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def same_secret(expected: str, given: str) -> bool:
    """Whether ``given`` is ``expected``, in constant time, whatever characters a forged request put in it.

    Compared as bytes: hmac.compare_digest refuses a str with non-ASCII characters (a TypeError, so a 500).
    ``surrogatepass``: a str decoded from a request may hold lone surrogates, which plain UTF-8 refuses.
    """
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class Visitor:
    """What the cookie says: the form nonce, and (if identified) who the participant is, for which day and
    location's links, in which generation of their identity (facilitator.participant_page.tokens)."""

    nonce: str
    participant: str | None = None
    day: str | None = None
    location: str | None = None
    generation: int | None = None


class CookieJar:
    """Signs and reads the one cookie, with a key derived from the run's secret (never the secret itself)."""

    def __init__(self, secret: bytes) -> None:
        self.key = hmac.new(secret, b"participant-page cookie", hashlib.sha256).digest()
        self.csrf_key = hmac.new(secret, b"participant-page csrf", hashlib.sha256).digest()
        self.ballot_key = hmac.new(secret, b"participant-page ballot", hashlib.sha256).digest()

    def sign(self, visitor: Visitor) -> str:
        fields: dict[str, str | int | None] = {"n": visitor.nonce, "p": visitor.participant, "d": visitor.day}
        if visitor.participant is not None:
            fields |= {"l": visitor.location, "g": visitor.generation}
        body = _b64(json.dumps(fields).encode())
        mac = _b64(hmac.new(self.key, body.encode(), hashlib.sha256).digest())
        return f"{body}.{mac}"

    def read(self, value: str | None) -> Visitor | None:
        # A cookie we signed is base64 and a dot: anything else (non-ASCII included) is nobody's.
        if not value or not value.isascii() or value.count(".") != 1 or len(value) > 1024:
            return None
        body, mac = value.split(".")
        expected = _b64(hmac.new(self.key, body.encode(), hashlib.sha256).digest())
        if not same_secret(expected, mac):
            return None
        try:
            data = json.loads(_unb64(body))
            generation = data.get("g")
            return Visitor(
                str(data["n"]),
                _text(data.get("p")),
                _text(data.get("d")),
                _text(data.get("l")),
                generation if isinstance(generation, int) and not isinstance(generation, bool) else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def sign_ballot(self, ballot: str) -> str:
        """The ballot cookie's value: the ballot id and its signature, so a phone cannot choose its own."""
        mac = _b64(hmac.new(self.ballot_key, ballot.encode(), hashlib.sha256).digest())
        return f"{ballot}.{mac}"

    def read_ballot(self, value: str | None) -> str | None:
        """The ballot id of a cookie this page signed, or None (missing, forged, from another run)."""
        if not value or not value.isascii() or value.count(".") != 1 or len(value) > 128:
            return None
        ballot, mac = value.split(".")
        expected = _b64(hmac.new(self.ballot_key, ballot.encode(), hashlib.sha256).digest())
        return ballot if is_submission_id(ballot) and same_secret(expected, mac) else None

    def csrf(self, visitor: Visitor) -> str:
        return hmac.new(self.csrf_key, visitor.nonce.encode(), hashlib.sha256).hexdigest()[:32]

    def csrf_ok(self, visitor: Visitor | None, token: object) -> bool:
        if visitor is None or not isinstance(token, str):
            return False
        return same_secret(self.csrf(visitor), token)


_PLAIN = re.compile(r"[A-Za-z0-9_.-]+")  # what the jar signs (base64url, hex and a dot): nothing to quote


def set_cookie(
    response: Response, name: str, value: str, *, max_age: int | None, samesite: Literal["strict", "lax"], secure: bool
) -> None:
    """Set an HttpOnly cookie for the whole site: the header Starlette's Response.set_cookie writes, word for word
    (tested), without building an http.cookies.SimpleCookie to write it."""
    if not _PLAIN.fullmatch(value):  # not one of the jar's: Starlette quotes it as it must
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite=samesite, secure=secure)
        return
    age = f"; Max-Age={max_age}" if max_age is not None else ""
    header = f"{name}={value}; HttpOnly{age}; Path=/; SameSite={samesite}" + ("; Secure" if secure else "")
    response.raw_headers.append((b"set-cookie", header.encode("latin-1")))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def new_nonce() -> str:
    return secrets.token_hex(16)


def new_submission_id() -> str:
    """A form's idempotency key: the event id its submission becomes, so a retried POST is stored once."""
    return secrets.token_hex(16)


def new_ballot() -> str:
    """A phone's ballot id for anonymous questions: random, and nothing else (never who answers)."""
    return secrets.token_hex(16)


def is_submission_id(value: object) -> bool:
    return isinstance(value, str) and len(value) == 32 and all(ch in "0123456789abcdef" for ch in value)
