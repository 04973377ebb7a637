"""Certificate verification codes: short, typed from paper, signed with the run's secret, stored nowhere.

A code is 100 bits written as twenty characters of Crockford's base32 in five groups of four
(``7KQ2-M9XD-0RTA-4WZE-C1HB``), which a person reads off paper without confusing O and 0 or I, L and 1:

- 20 bits: the participant's number on the roster (1 for the first person ever added; people are never
  removed from a roster, so a number always names the same person);
- 15 bits: the minutes of attendance the certificate states (up to 546 hours), so that a verifier sees
  the figure the certificate was issued with, and a certificate whose hours were altered does not match;
- 65 bits: an HMAC-SHA256 of all that and the participant's id, truncated, under a key derived from the run's
  participant-page secret (``HMAC(secret, "facilitator certificate verification v1")``, so the secret itself
  signs nothing but the page's links). Guessing a valid code for someone takes about 2^64 tries.

The first 35 bits are written XORed with bits hashed from the signature (:func:`_mask`), so that the codes of
one course do not all begin ``0003-...``; that hides nothing, as anyone can undo it.

Nothing is stored per certificate: verifying recomputes the code for the person the number names and
compares in constant time. The secret lives in the run's ``participant_page`` table, never in events or
exports; a run without one has issued no certificate, so no code verifies against it.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from facilitator.attendance.roster import Participant, Roster
from facilitator.record import events as ev
from facilitator.record.events import EVENT_COLUMNS, Event
from facilitator.script.models import Programme

KEY_LABEL = b"facilitator certificate verification v1"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
_VALUE = {ch: index for index, ch in enumerate(ALPHABET)}
# Read as people copy them: O as 0, I and L as 1.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
NUMBER_BITS = 20
MINUTES_BITS = 15
MAC_BITS = 65
CODE_CHARS = (NUMBER_BITS + MINUTES_BITS + MAC_BITS) // 5  # 20
GROUP = 4
MAX_NUMBER = (1 << NUMBER_BITS) - 1
MAX_MINUTES = (1 << MINUTES_BITS) - 1


@dataclass(frozen=True)
class Claim:
    """What a well-formed code says (true or not): the roster number, the minutes, and the signature."""

    number: int
    minutes: int
    mac: int


@dataclass(frozen=True)
class Verified:
    """A genuine code: the participant it was issued to and the minutes of attendance it states."""

    participant: str
    number: int
    minutes: int


def certificate_key(secret: bytes) -> bytes:
    """The key that signs certificates, derived from the run's secret."""
    return hmac.new(secret, KEY_LABEL, hashlib.sha256).digest()


def _mac(key: bytes, participant: str, number: int, minutes: int) -> int:
    message = f"certificate\x00{participant}\x00{number}\x00{minutes}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:9], "big") >> (72 - MAC_BITS)


def format_code(code: str) -> str:
    """``7KQ2M9XD...`` as printed: groups of four joined by dashes."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def _mask(mac: int) -> int:
    """35 bits drawn from the signature, laid over the number and minutes so that codes do not all start alike
    (``0003-...``). Anyone can take it off again: it hides nothing, it only makes codes look different."""
    digest = hashlib.sha256(b"mask\x00" + mac.to_bytes((MAC_BITS + 7) // 8, "big")).digest()
    return int.from_bytes(digest[:5], "big") >> (40 - NUMBER_BITS - MINUTES_BITS)


def sign(key: bytes, participant: str, number: int, minutes: int) -> str:
    """The code of the certificate of ``participant`` (``number`` on the roster) stating ``minutes``."""
    if not 1 <= number <= MAX_NUMBER:
        raise ValueError(f"roster number {number} is out of range")
    minutes = min(max(minutes, 0), MAX_MINUTES)
    mac = _mac(key, participant, number, minutes)
    value = ((((number << MINUTES_BITS) | minutes) ^ _mask(mac)) << MAC_BITS) | mac
    chars = [ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(CODE_CHARS))]
    return format_code("".join(chars))


def normalise(typed: str) -> str | None:
    """A code as typed or scanned (any case, dashes, spaces, O for 0) in canonical form; None if it cannot be one."""
    text = "".join(ch for ch in typed.strip().upper() if ch not in "- ").translate(_LOOKALIKES)
    if len(text) != CODE_CHARS or any(ch not in _VALUE for ch in text):
        return None
    return format_code(text)


def read(typed: str) -> Claim | None:
    """What a code claims, unchecked; None when it is not shaped like a code."""
    code = normalise(typed)
    if code is None:
        return None
    value = 0
    for ch in code.replace("-", ""):
        value = (value << 5) | _VALUE[ch]
    mac = value & ((1 << MAC_BITS) - 1)
    claimed = (value >> MAC_BITS) ^ _mask(mac)
    return Claim(claimed >> MINUTES_BITS, claimed & MAX_MINUTES, mac)


def verify(key: bytes, typed: str, roster: Sequence[str]) -> Verified | None:
    """The certificate ``typed`` is the code of, or None: malformed, no such person, or not signed with ``key``.

    ``roster``: every participant id in roster order (the order they were first added). An unknown number is
    checked against a stand-in all the same, so the time taken does not say whether the number exists.
    """
    claim = read(typed)
    if claim is None:
        return None
    known = 1 <= claim.number <= len(roster)
    participant = roster[claim.number - 1] if known else "\x00nobody"
    expected = _mac(key, participant, claim.number, claim.minutes)
    width = (MAC_BITS + 7) // 8
    same = hmac.compare_digest(expected.to_bytes(width, "big"), claim.mac.to_bytes(width, "big"))
    return Verified(participant, claim.number, claim.minutes) if same and known else None


def stored_secret(conn: sqlite3.Connection) -> bytes | None:
    """The run's participant-page secret (facilitator.participant_page.tokens), without creating one."""
    try:
        row = conn.execute("SELECT value FROM participant_page WHERE name = 'secret'").fetchone()
    except sqlite3.OperationalError:  # a run from before the participant page had its table
        return None
    try:
        return bytes.fromhex(row[0]) if row else None
    except (TypeError, ValueError):
        return None


def issuer_of(programme: Programme) -> str:
    """Who issues the run's certificates: ``certificate.issuer``, else the workshop's organiser (may be empty)."""
    settings = programme.workshop.certificate
    return settings.issuer if settings is not None else programme.workshop.organiser


@dataclass(frozen=True)
class Holder:
    """Whose certificate a genuine code is, and what it states: what a verifier is told."""

    person: Participant
    number: int
    minutes: int
    course: str
    first: date
    last: date
    location: str  # the holder's location's name
    issuer: str


def holder(key: bytes, typed: str, roster: Roster, programme: Programme) -> Holder | None:
    """The holder of the certificate whose code is ``typed``, or None when it is not genuine."""
    found = verify(key, typed, list(roster.by_id))
    if found is None:
        return None
    person = roster.by_id[found.participant]
    workshop = programme.workshop
    days = sorted(day.date for day in workshop.days)
    location = next((loc.name for loc in workshop.locations if loc.id == person.location), person.location)
    issuer = issuer_of(programme)
    return Holder(person, found.number, found.minutes, workshop.title, days[0], days[-1], location, issuer)


ROSTER_KINDS = (ev.PARTICIPANT_ADDED, ev.PARTICIPANT_UPDATED)


def read_roster(conn: sqlite3.Connection) -> Roster:
    """The roster folded from the participant events alone (a run's numbers are its order of first adding)."""
    rows = conn.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE kind IN (?, ?) ORDER BY seq", ROSTER_KINDS)
    return Roster.from_events(Event.from_row(row) for row in rows)
