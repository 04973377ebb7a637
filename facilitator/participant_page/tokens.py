"""The participant page's links: one signed token per location and day, rotating, unguessable.

A token is the first 60 bits of an HMAC-SHA256, under a secret of the run's own, of (location, date,
period): twelve characters of lowercase base32, short enough to type from the screen as
``abcd-efgh-ijkl``. The date is today's in the workshop's time zone, so a token stops working at the end of
its day and a token for another day never works. The day is cut into periods of ``rotate``; the QR code
shown in the room changes with each period, and the previous period's token is still accepted for
``grace`` after it ended, so a phone that scanned it a moment ago is not turned away.

Nothing is stored per token: the server recomputes the few tokens that may be valid now (two per location)
and compares them in constant time. The secret, the rotation and the public address live in the
``participant_page`` table, not in events, so exporting the event log never exports the key.

The same table keeps each person's identity generation (:func:`identity_generation`): an identity cookie
carries the generation it was made in, and signing out moves the person to the next one, so a copy of the
cookie taken before stops working (:func:`revoke_identities`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import sqlite3
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from facilitator.problems import InputError
from facilitator.record.store import Store
from facilitator.script.models import Programme

TOKEN_CHARS = 12
DEFAULT_ROTATE = timedelta(minutes=30)
DEFAULT_GRACE = timedelta(minutes=5)
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8765"
_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz234567")


@dataclass(frozen=True)
class PageSettings:
    """The run's participant page settings (its ``participant_page`` table): the tokens' secret, how often
    they rotate and how long the last one is still accepted, and the page's public address."""

    secret: bytes
    rotate: timedelta = DEFAULT_ROTATE
    grace: timedelta = DEFAULT_GRACE
    public_url: str = DEFAULT_PUBLIC_URL


@dataclass(frozen=True)
class Token:
    """One location's link for a day and period: the code its URL and QR code carry, and when the next takes over."""

    code: str  # what the URL carries
    location: str
    day: date
    valid_until: datetime  # when the next period's token takes over (this one is accepted ``grace`` longer)

    @property
    def typed(self) -> str:
        """The code as people type it from the screen: ``abcd-efgh-ijkl``."""
        return format_typed(self.code)

    def url(self, public_url: str) -> str:
        return f"{public_url.rstrip('/')}/p/{self.code}"


@dataclass(frozen=True)
class Grant:
    """What a valid token lets its holder do: check in and reflect at ``location`` on ``day``."""

    location: str
    day: date


def format_typed(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise(typed: str) -> str | None:
    """A code as typed (any case, dashes, spaces) in its canonical form; None when it cannot be a code."""
    code = "".join(ch for ch in typed.strip().lower() if ch not in "- ")
    if len(code) != TOKEN_CHARS or not set(code) <= _ALPHABET:
        return None
    return code


SETTINGS = ("secret", "policy", "public_url")
_GENERATION = "identity-generation:"  # + a participant id: that person's identity generation


def _read(conn: sqlite3.Connection) -> dict[str, str]:
    marks = ", ".join("?" * len(SETTINGS))
    return dict(conn.execute(f"SELECT name, value FROM participant_page WHERE name IN ({marks})", SETTINGS).fetchall())


def identity_generation(conn: sqlite3.Connection, participant: str) -> int:
    """The generation of ``participant``'s identity cookies that works now (0 until they first sign out)."""
    row = conn.execute("SELECT value FROM participant_page WHERE name = ?", (_GENERATION + participant,)).fetchone()
    try:
        return int(row[0]) if row else 0
    except (TypeError, ValueError):
        return -1  # a hand-edited value: no cookie matches it


def revoke_identities(store: Store, participant: str) -> int:
    """Sign ``participant`` out everywhere: every identity cookie made for them so far stops working."""

    def work(conn: sqlite3.Connection) -> int:
        conn.execute(
            "INSERT INTO participant_page (name, value) VALUES (?, '1') "
            "ON CONFLICT(name) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
            (_GENERATION + participant,),
        )
        return identity_generation(conn, participant)

    return store.write(work)


def load_settings(store: Store) -> PageSettings:
    """The run's settings, creating its secret on first use (in one transaction, so two processes agree)."""

    def work(conn: sqlite3.Connection) -> dict[str, str]:
        conn.execute(
            "INSERT OR IGNORE INTO participant_page (name, value) VALUES ('secret', ?)", (secrets.token_hex(32),)
        )
        return _read(conn)

    values = _read(store.conn)
    if "secret" not in values:
        values = store.write(work)
    policy = json.loads(values.get("policy", "{}"))
    return PageSettings(
        secret=bytes.fromhex(values["secret"]),
        rotate=timedelta(seconds=policy.get("rotate", DEFAULT_ROTATE.total_seconds())),
        grace=timedelta(seconds=policy.get("grace", DEFAULT_GRACE.total_seconds())),
        public_url=values.get("public_url", DEFAULT_PUBLIC_URL),
    )


def save_settings(store: Store, *, rotate: timedelta, grace: timedelta, public_url: str) -> PageSettings:
    """Record how tokens rotate and where the page is reached, so every TUI shows codes the server accepts."""
    if rotate < timedelta(minutes=1):
        raise InputError("rotate: tokens may rotate at most once a minute")
    if grace < timedelta(0) or grace > rotate:
        raise InputError("grace: must be between 0 and the rotation period")
    public_url = check_public_url(public_url)
    policy = json.dumps({"rotate": rotate.total_seconds(), "grace": grace.total_seconds()})
    store.write(
        lambda conn: conn.executemany(
            "INSERT INTO participant_page (name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            [("policy", policy), ("public_url", public_url)],
        )
    )
    return load_settings(store)


def check_public_url(url: str) -> str:
    """The address participants' phones reach the page at: ``http(s)://host[:port][/prefix]``, nothing more."""
    from urllib.parse import urlsplit

    text = (url or "").strip().rstrip("/")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InputError(f"public-url: {url!r} is not an address like https://checkin.example.org")
    if parts.username or parts.password:
        raise InputError("public-url: must not carry a user name or password")
    return text


def _day_start(programme: Programme, on: date) -> datetime:
    """Local midnight, in UTC: periods are counted in real time, so a day with a DST change is cut evenly.

    (Adding a timedelta to a datetime in a ZoneInfo zone adds wall-clock time, which is off by the
    change's hour for every period after it.)
    """
    local = datetime.combine(on, time(0), tzinfo=zoneinfo.ZoneInfo(programme.workshop.timezone))
    return local.astimezone(UTC)


def _code(settings: PageSettings, location: str, on: date, period: int) -> str:
    return _signed(settings.secret, location, on, period)


@functools.lru_cache(maxsize=4096)
def _signed(secret: bytes, location: str, on: date, period: int) -> str:
    # Cached: every request verifies its token against two periods of every location, and base32 is slow.
    message = f"{location}\x00{on.isoformat()}\x00{period}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode("ascii").lower()[:TOKEN_CHARS]  # 60 bits


def issue(settings: PageSettings, programme: Programme, location: str, now: datetime) -> Token:
    """The token to show at ``location`` now."""
    if location not in {loc.id for loc in programme.workshop.locations}:
        raise InputError(f"location: no location {location!r} in this workshop")
    on, period, start = _period(settings, programme, now)
    next_period = start + settings.rotate * (period + 1)
    day_end = _day_start(programme, on + timedelta(days=1))
    return Token(_code(settings, location, on, period), location, on, min(next_period, day_end))


def _period(settings: PageSettings, programme: Programme, now: datetime) -> tuple[date, int, datetime]:
    local = now.astimezone(zoneinfo.ZoneInfo(programme.workshop.timezone))
    on = local.date()
    start = _day_start(programme, on)
    return on, int((now - start) // settings.rotate), start


def verify(settings: PageSettings, programme: Programme, code: str, now: datetime) -> Grant | None:
    """The grant a code gives now, or None: unknown, forged, from another day, or past its grace."""
    canonical = normalise(code)
    if canonical is None:
        return None
    on, period, start = _period(settings, programme, now)
    periods = [period]
    if period > 0 and now - (start + settings.rotate * period) < settings.grace:
        periods.append(period - 1)
    found: Grant | None = None
    for location in programme.workshop.locations:
        for candidate in periods:
            # Every comparison runs, so the time taken says nothing about which part matched.
            if hmac.compare_digest(_code(settings, location.id, on, candidate), canonical):
                found = Grant(location.id, on)
    return found
