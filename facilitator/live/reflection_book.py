"""The run's reflections, kept compact: a few arrays and blobs in place of 100,000 objects (issue 14).

A five-day run logs about 100,000 reflections. Kept as a dict of :class:`Reflection` objects they took
~100 MiB of the lead's memory and had to be rebuilt on every open; a :class:`ReflectionBook` holds them in
columns (the texts in UTF-8, compressed a block of rows at a time; times as microseconds; the fields that
repeat, days, steps, names, as small codes into a list of their values) and makes a :class:`Reflection` when
one is read.

The texts were most of what a long run's book held (11 of its 17.6 MB on a five-day run, an eighth of the
lead's memory: issue 14), and are read a screenful at a time, so they are kept as zlib blocks of
:data:`_BLOCK` rows, some 2.5 times smaller for prose, each unpacked when a row of it is read (about 0.1 ms
for prose) and the last few kept unpacked. A search needs every text: it unpacks them all (40 to 50 ms for
100,000 texts of prose) and keeps them, with what it found, for as long as a selection it made is held (the
screen showing it), so the next key typed or the next change of the book does not unpack them again; and a
longer needle (the next key) looks only through the blocks where the shorter one found rows.

The book is immutable, as the session state that holds it, which a screen reads on the main thread while
the database thread folds new events. A changed book (:meth:`ReflectionBook.with_changes`) shares the
columns of the book it came from and keeps the reflections added or replaced since in a small overlay; once
the overlay holds more than a 32nd of the columns' rows (and more than 256) it is folded into new columns, so
applying events one by one stays cheap and a fold of a whole log stays linear. A screen that shows a few
reflections asks for them (:meth:`ReflectionBook.latest_visible`); reading them all (``values()``) makes
every one, a few microseconds each.

Reflections are known by id. Ids made by facilitator are 32 lowercase hex digits (``uuid4().hex``), kept as
16 bytes; a book with any other id keeps its ids as text. To find an id, a book keeps the ids' 16-byte keys
(the bytes themselves, or a BLAKE2b digest of the text) sorted, as two arrays of 64-bit halves searched
with :mod:`bisect`, and where each sits in the book's order.

:meth:`ReflectionBook.dump` gives a JSON document and a few binary parts (the arrays as they are in memory,
in the byte order the document names), the same for the same reflections whatever their history, and
:meth:`ReflectionBook.load` reads them back without a Python object per reflection: the checkpoint of a run
(facilitator.live.checkpoint) opens in milliseconds. Bump :data:`FORMAT` whenever that layout changes.
"""

from __future__ import annotations

import functools
import hashlib
import mmap
import re
import sys
import weakref
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate, chain, compress, pairwise, repeat
from operator import attrgetter, itemgetter, lshift, or_
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple, TypeAlias, cast, overload

FORMAT: Final = 2  # the layout of dump(); bump on any change


@dataclass(frozen=True, slots=True)
class Reflection:
    """A reflection as it now stands on the record: its text and the step it answered, who signed it
    (``participant``; None: anonymous), their consent to be quoted, and any edit, retraction or hiding."""

    id: str
    text: str
    day: date | None
    exercise: str | None
    step: str | None
    prompt: str | None
    participant: str | None
    location: str | None
    consent: bool
    logged_at: datetime
    logged_by: str
    edited_at: datetime | None = None
    retracted: bool = False
    hidden: bool = False  # by a facilitator: kept on the record, left out of the feed, room view and quotes
    source: str = "facilitator"  # "facilitator" (typed in a TUI) or "qr" (the participant page)
    participant_id: str | None = None  # the roster's id, when the participant page knows who wrote it

    def as_tuple(self) -> tuple[Any, ...]:
        """Its fields, in order: ``Reflection(*r.as_tuple()) == r``. How a fold gathers new ones (no object each)."""
        return _AS_TUPLE(self)


# The fields whose values repeat across reflections, kept as codes into a list of their values.
_CODED: Final = (
    "day",
    "exercise",
    "step",
    "prompt",
    "participant",
    "location",
    "logged_by",
    "source",
    "participant_id",
)
_DAY: Final = 0  # places in _CODED
_EXERCISE: Final = 1
_PARTICIPANT: Final = 4
_LOCATION: Final = 5
_FLAGGED: Final = ("consent", "retracted", "hidden")  # kept as the flags' bits, in this order
_CONSENT, _RETRACTED, _HIDDEN = 1, 2, 4
_ID: Final = attrgetter("id")
_FIELDS: Final = tuple(f.name for f in fields(Reflection))
_AS_TUPLE: Final = attrgetter(*_FIELDS)
_FIELD_GETTERS: Final = {name: itemgetter(place) for place, name in enumerate(_FIELDS)}  # of a tuple of them
_LEFT_OUT: Final = _RETRACTED | _HIDDEN
_NO_TIME: Final = -(2**63)  # edited_at of a reflection never edited
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO: Final = timedelta(microseconds=1)
_LOW: Final = (1 << 64) - 1
_MIN_OVERLAY: Final = 256  # the overlay is folded into new columns past this, or a 32nd of the rows
_ENCODING: Final = ("utf-8", "surrogatepass")  # a lone surrogate from JSON survives the round trip
_NOT_ASCII: Final = re.compile(rb"[\x80-\xff]")
_BLOCK: Final = 256  # rows whose texts are packed together: some 35 KB of prose, 14 packed; 128 packs 10% worse
_LEVEL: Final = 6  # zlib's: level 1 packs prose 14% bigger, for time saved only when a block is packed
_RECENT: Final = 4  # blocks kept unpacked: a screen reads rows logged close together
_SEARCHES: Final = 4  # searches whose results are kept with the unpacked texts: the last few keys typed
_DENSE: Final = 2  # a block where the needle is found more than once in this many rows: each text looked at
_SHOWN_FLAGS: Final = bytes(not flags & _LEFT_OUT for flags in range(256))  # translates flags to 1 if shown

_TypeCode = Literal["B", "H", "I", "Q", "q"]  # of the arrays in a dump
_TYPECODES: Final = ("B", "H", "I", "Q", "q")
if TYPE_CHECKING:
    Ints: TypeAlias = array[int] | memoryview  # numbers: built (array) or loaded from a dump (memoryview)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICRO


def _moment(micros: int) -> datetime:
    return _EPOCH + timedelta(0, 0, micros)


def _flags(r: Reflection) -> int:
    return (_CONSENT if r.consent else 0) | (_RETRACTED if r.retracted else 0) | (_HIDDEN if r.hidden else 0)


def _code_type(values: int) -> str:
    return "B" if values <= 1 << 8 else "H" if values <= 1 << 16 else "I"


def _offset_type(total: int) -> str:
    return "I" if total < 1 << 32 else "Q"


def _digest(rid: str) -> bytes:
    return hashlib.blake2b(rid.encode(*_ENCODING), digest_size=16).digest()


def _hex_key(rid: str) -> bytes | None:
    """The 16 bytes of an id of 32 lowercase hex digits; None for any other id."""
    if len(rid) != 32:
        return None
    try:
        key = bytes.fromhex(rid)
    except ValueError:
        return None
    return key if key.hex() == rid else None  # not "AB..." nor digits spaced out: those are other ids


def _halves(keys: bytes) -> tuple[array[int], array[int]]:
    """The big-endian 64-bit halves of the 16-byte ``keys``: their numeric order is the keys' byte order."""
    numbers = array("Q")
    numbers.frombytes(keys)
    if sys.byteorder == "little":
        numbers.byteswap()
    return numbers[0::2], numbers[1::2]


def _split(key: bytes) -> tuple[int, int]:
    number = int.from_bytes(key, "big")
    return number >> 64, number & _LOW


def _bytes_of(numbers: Ints) -> memoryview:
    return memoryview(numbers).cast("B")


def _copy(numbers: Ints, typecode: str) -> array[int]:
    """A mutable copy of ``numbers`` as ``typecode`` (wider than theirs, or the same)."""
    if isinstance(numbers, array) and numbers.typecode == typecode:
        return array(typecode, numbers)
    if memoryview(numbers).format == typecode:
        copied = array(typecode)
        copied.frombytes(_bytes_of(numbers))
        return copied
    return array(typecode, numbers)


class _Columns:
    """Reflections in columns, in the order they were first logged. Never changed once made."""

    __slots__ = (
        "by_day",
        "canonical",
        "codes",
        "day_starts",
        "edited_at",
        "flags",
        "hex_ids",
        "id_offsets",
        "ids",
        "key_hi",
        "key_lo",
        "key_pos",
        "logged_at",
        "memo",
        "n",
        "packed",
        "recent",
        "text_blocks",
        "text_offsets",
        "values",
    )

    n: int
    hex_ids: bool  # ids: n keys of 16 bytes; else n UTF-8 texts, the i-th at id_offsets[i]:id_offsets[i+1]
    ids: memoryview
    id_offsets: Ints
    key_hi: Ints  # the ids' keys, sorted: first and second halves, and the row of each
    key_lo: Ints
    key_pos: Ints
    # The texts in UTF-8, the i-th at text_offsets[i]:text_offsets[i+1] of them all one after the other; packed
    # by zlib, _BLOCK rows at a time, the k-th block at text_blocks[k]:text_blocks[k+1] of ``packed``.
    text_offsets: Ints
    packed: memoryview
    text_blocks: Ints
    recent: tuple[tuple[int, bytes], ...]  # (block, its texts unpacked), the last read first; not dumped
    values: tuple[tuple[Any, ...], ...]  # per coded field, its values; codes: per row, the value's place
    codes: tuple[Ints, ...]
    canonical: bool  # each field's values in the order of their first row, every one used (for dump)
    logged_at: Ints  # microseconds since the epoch, UTC
    edited_at: Ints  # the same, _NO_TIME if never edited
    flags: bytes | memoryview  # per row: _CONSENT | _RETRACTED | _HIDDEN
    by_day: Ints  # the rows by day (the day's code), in order within a day
    day_starts: tuple[int, ...]  # where each day's rows start in by_day, and the end
    memo: dict[str, Any]  # what the methods below work out from the columns when first asked; unset till then

    def find(self, rid: str) -> int | None:
        """The row of the reflection ``rid``, None if it is not here."""
        n = self.n
        if not n:
            return None
        key = _hex_key(rid) if self.hex_ids else _digest(rid)
        if key is None:
            return None
        hi, lo = _split(key)
        key_hi = self.key_hi
        at = bisect_left(key_hi, hi)
        if at == n or key_hi[at] != hi:
            return None
        end = bisect_right(key_hi, hi, at)
        if end - at > 1:
            at = bisect_left(self.key_lo, lo, at, end)
            if at == end:
                return None
        if self.key_lo[at] != lo:
            return None
        row = self.key_pos[at]
        return row if self.hex_ids or self.id_at(row) == rid else None  # a digest's twin: not this id

    def id_at(self, row: int) -> str:
        if self.hex_ids:
            return self.ids[16 * row : 16 * row + 16].hex()
        offsets = self.id_offsets
        return str(self.ids[offsets[row] : offsets[row + 1]], *_ENCODING)

    def all_ids(self) -> list[str]:
        if self.hex_ids:
            digits = self.ids.hex()
            return [digits[i : i + 32] for i in range(0, 32 * self.n, 32)]
        ids, offsets = self.ids, self.id_offsets
        return [str(ids[offsets[i] : offsets[i + 1]], *_ENCODING) for i in range(self.n)]

    def day_code(self, day: date | None) -> int | None:
        values = self.values[_DAY]
        return values.index(day) if day in values else None

    def blocks(self) -> int:
        return -(-self.n // _BLOCK)

    def unpacked(self, block: int) -> bytes:
        """The texts of the rows of ``block``, one after the other."""
        recent = self.recent
        for at, texts in recent:
            if at == block:
                return texts
        ends = self.text_blocks
        texts = zlib.decompress(self.packed[ends[block] : ends[block + 1]])
        # A new tuple, not a changed one: another thread reading meanwhile sees the old one or this one.
        self.recent = ((block, texts), *recent[: _RECENT - 1])
        return texts

    def text_bytes(self, row: int) -> bytes:
        offsets = self.text_offsets
        unpacked = self._memo().get("unpacked")
        kept: _Unpacked | None = None if unpacked is None else unpacked()
        if kept is not None:  # a search is on: the screen reads the rows it found, all over the blocks
            return kept.texts[offsets[row] : offsets[row + 1]]
        block = row // _BLOCK
        base = offsets[block * _BLOCK]
        return self.unpacked(block)[offsets[row] - base : offsets[row + 1] - base]

    def unpacked_all(self) -> _Unpacked:
        """Every text unpacked, for searching: the same one as long as anyone holds it (a searched selection)."""
        memo = self._memo()
        unpacked = memo.get("unpacked")
        kept: _Unpacked | None = None if unpacked is None else unpacked()
        if kept is None:
            kept = _Unpacked(self)
            memo["unpacked"] = weakref.ref(kept)
        return kept

    def row(self, row: int, rid: str | None = None) -> Reflection:
        values, codes = self.values, self.codes
        flags = self.flags[row]
        edited = self.edited_at[row]
        return Reflection(
            self.id_at(row) if rid is None else rid,
            str(self.text_bytes(row), *_ENCODING),
            values[0][codes[0][row]],
            values[1][codes[1][row]],
            values[2][codes[2][row]],
            values[3][codes[3][row]],
            values[4][codes[4][row]],
            values[5][codes[5][row]],
            bool(flags & _CONSENT),
            _moment(self.logged_at[row]),
            values[6][codes[6][row]],
            None if edited == _NO_TIME else _moment(edited),
            bool(flags & _RETRACTED),
            bool(flags & _HIDDEN),
            values[7][codes[7][row]],
            values[8][codes[8][row]],
        )

    def rows(self) -> Iterator[Reflection]:
        """Every row, in order: as :meth:`row` for each, with the lookups hoisted out of the loop."""
        ids = self.all_ids()
        packed, ends, offsets, flags, logged_at, edited_at = (
            self.packed,
            self.text_blocks,
            self.text_offsets,
            self.flags,
            self.logged_at,
            self.edited_at,
        )
        (v0, v1, v2, v3, v4, v5, v6, v7, v8), (c0, c1, c2, c3, c4, c5, c6, c7, c8) = self.values, self.codes
        texts, base, next_block = b"", 0, 0
        for i in range(self.n):
            if i == next_block:  # unpacked here, not kept: reading every row would push out what a screen reads
                block = i // _BLOCK
                texts, base, next_block = zlib.decompress(packed[ends[block] : ends[block + 1]]), offsets[i], i + _BLOCK
            f = flags[i]
            edited = edited_at[i]
            yield Reflection(
                ids[i],
                str(texts[offsets[i] - base : offsets[i + 1] - base], *_ENCODING),
                v0[c0[i]],
                v1[c1[i]],
                v2[c2[i]],
                v3[c3[i]],
                v4[c4[i]],
                v5[c5[i]],
                bool(f & _CONSENT),
                _EPOCH + timedelta(0, 0, logged_at[i]),
                v6[c6[i]],
                None if edited == _NO_TIME else _EPOCH + timedelta(0, 0, edited),
                bool(f & _RETRACTED),
                bool(f & _HIDDEN),
                v7[c7[i]],
                v8[c8[i]],
            )

    # -- worked out once, when first asked for, for the screens that read every row (see ReflectionBook) --

    def _memo(self) -> dict[str, Any]:
        try:
            return self.memo
        except AttributeError:  # a race with another thread only works the same thing out twice
            self.memo = {}
            return self.memo

    def newest(self) -> array[int]:
        """The rows from the last logged to the first; rows logged at the same time stay in their order."""
        memo = self._memo()
        if "newest" not in memo:  # sorted(reverse=True) is stable, as sorting the reflections by time is
            memo["newest"] = array("I", sorted(range(self.n), key=self.logged_at.__getitem__, reverse=True))
        return cast("array[int]", memo["newest"])

    def ranked(self, field: int | None) -> bytes | array[int]:
        """The flags (``field`` None), or the codes of a coded field, in the order of :meth:`newest`."""
        memo = self._memo()
        name = f"ranked.{field}"
        if name not in memo:
            column = self.flags if field is None else self.codes[field]
            typecode = memoryview(column).format
            picked = map(column.__getitem__, self.newest())
            memo[name] = bytes(picked) if typecode == "B" else array(typecode, picked)
        return cast("bytes | array[int]", memo[name])

    def first_uses(self) -> list[tuple[int, int]]:
        """(place in :meth:`newest`, code) of each participant code's first row there, in that order."""
        memo = self._memo()
        if "first_uses" not in memo:
            firsts = dict(zip(reversed(self.ranked(_PARTICIPANT)), range(self.n - 1, -1, -1), strict=True))
            memo["first_uses"] = sorted((place, code) for code, place in firsts.items())
        return cast("list[tuple[int, int]]", memo["first_uses"])

    def flag_counts(self) -> list[int]:
        """How many rows have each value of the flags, 0 to 7."""
        memo = self._memo()
        if "flag_counts" not in memo:
            flags = bytes(self.flags)
            memo["flag_counts"] = [flags.count(value) for value in range(8)]
        return cast("list[int]", memo["flag_counts"])


def _empty() -> _Columns:
    empty = object.__new__(_Columns)
    empty.n = 0
    empty.hex_ids = True
    empty.ids = memoryview(b"")
    empty.id_offsets = array("I", [0])
    empty.key_hi, empty.key_lo, empty.key_pos = array("Q"), array("Q"), array("I")
    empty.text_offsets = array("I", [0])
    empty.packed = memoryview(b"")
    empty.text_blocks = array("I", [0])
    empty.recent = ()
    empty.values = tuple(() for _ in _CODED)
    empty.codes = tuple(array("B") for _ in _CODED)
    empty.canonical = True
    empty.logged_at, empty.edited_at = array("q"), array("q")
    empty.flags = b""
    empty.by_day, empty.day_starts = array("I"), (0,)
    return empty


_EMPTY: Final = _empty()


def _merge_keys(base: _Columns, keys: bytes, rows: Ints) -> tuple[Ints, Ints, Ints]:
    """The sorted keys of ``base`` with ``keys`` (sorted, 16 bytes each, none in ``base``) of ``rows`` added."""
    new_hi, new_lo = _halves(keys)
    old_hi, old_lo, old_pos = base.key_hi, base.key_lo, base.key_pos
    if not len(old_hi):
        return new_hi, new_lo, rows
    old = [(_bytes_of(column), column) for column in (old_hi, old_lo, old_pos)]
    out = (array("Q"), array("Q"), array("I"))
    start = 0
    for new in zip(new_hi, new_lo, rows, strict=True):
        hi, lo, _ = new
        at = bisect_left(old_hi, hi, start)
        at = bisect_left(old_lo, lo, at, bisect_right(old_hi, hi, at))
        for into, (view, column), value in zip(out, old, new, strict=True):
            into.frombytes(view[start * column.itemsize : at * column.itemsize])
            into.append(value)
        start = at
    for into, (view, column) in zip(out, old, strict=True):
        into.frombytes(view[start * column.itemsize :])
    return out


def _ends(start: int, lengths: Iterable[int]) -> Iterator[int]:
    """Where each of pieces of ``lengths`` ends, laid one after the other from ``start``."""
    return map(start.__add__, accumulate(lengths))


class _New:
    """New rows, each as :meth:`Reflection.as_tuple` gives it, read a field at a time: ``_New(rows)["text"]``."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.n = len(rows)
        self._rows = rows

    def __getitem__(self, field: str) -> list[Any]:
        return list(map(_FIELD_GETTERS[field], self._rows))  # not zip(*rows): its 16 big tuples wake the collector


def _with_ids(base: _Columns, out: _Columns, added: _New) -> None:
    """The ids of ``out`` and their sorted keys: those of ``base``, then those of ``added``."""
    n = base.n
    new_ids = added["id"]
    digits = "".join(new_ids)
    raw = b""
    hex_ids = base.hex_ids and set(map(len, new_ids)) <= {32}
    if hex_ids:
        try:
            raw = bytes.fromhex(digits)
        except ValueError:
            hex_ids = False
        hex_ids = hex_ids and raw.hex() == digits  # not "AB..." nor digits spaced out: those are other ids
    out.hex_ids = hex_ids
    if hex_ids:
        out.ids = memoryview(b"".join([base.ids, raw]))
        out.id_offsets = _EMPTY.id_offsets
        order = sorted(range(len(new_ids)), key=new_ids.__getitem__)  # as their bytes: lowercase hex digits
        keys = bytes.fromhex("".join(map(new_ids.__getitem__, order)))
        out.key_hi, out.key_lo, out.key_pos = _merge_keys(base, keys, array("I", map(n.__add__, order)))
        return
    encoded = [rid.encode(*_ENCODING) for rid in new_ids]
    digests: list[bytes] = []
    index_base, first = base, n
    if base.hex_ids:  # from now on the ids are texts and their keys digests: every key is made again
        old: bytes | memoryview = base.ids.hex().encode()
        old_offsets: Ints = array(_offset_type(len(old)), range(0, len(old) + 1, 32))
        digests = [_digest(rid) for rid in base.all_ids()]
        index_base, first = _EMPTY, 0
    else:
        old, old_offsets = base.ids, base.id_offsets
    lengths = list(map(len, encoded))
    offsets = _copy(old_offsets, _offset_type(len(old) + sum(lengths)))
    offsets.extend(_ends(len(old), lengths))
    out.ids = memoryview(b"".join([old, *encoded]))
    out.id_offsets = offsets
    digests += [hashlib.blake2b(e, digest_size=16).digest() for e in encoded]
    order = sorted(range(len(digests)), key=digests.__getitem__)
    keys = b"".join(map(digests.__getitem__, order))
    out.key_hi, out.key_lo, out.key_pos = _merge_keys(index_base, keys, array("I", map(first.__add__, order)))


def _encoded(texts: list[str]) -> tuple[bytes, list[int]]:
    """``texts`` in UTF-8, one after the other, and the length of each."""
    joined = "".join(texts).encode(*_ENCODING)
    lengths = list(map(len, texts))
    if len(joined) != sum(lengths):  # not all ASCII, one byte a character
        lengths = [len(text.encode(*_ENCODING)) for text in texts]
    return joined, lengths


def _with_texts(base: _Columns, out: _Columns, replaced: Mapping[int, Reflection], added: _New) -> None:
    """The texts of ``out``: those of ``base``, some ``replaced``, then those of ``added``; in order, no gaps.

    Only the blocks that change are packed again: those with an edited text, and the last, when new rows join it.
    """
    n, old_offsets = base.n, base.text_offsets
    edits = {}
    for row in sorted(replaced):  # in order: the rows of one block one after the other, it unpacked once
        text = replaced[row].text.encode(*_ENCODING)
        if base.text_bytes(row) != text:
            edits[row] = text
    joined, new_lengths = _encoded(added["text"])
    if edits:  # the texts after the first edited one move
        lengths = list(map(int.__sub__, old_offsets[1 : n + 1], old_offsets[:n]))
        for row, text in edits.items():
            lengths[row] = len(text)
        total = sum(lengths)
        offsets = array(_offset_type(total + len(joined)), accumulate(lengths, initial=0))
    else:
        total = old_offsets[n]
        offsets = _copy(old_offsets, _offset_type(total + len(joined)))
    offsets.extend(_ends(total, new_lengths))

    edited: dict[int, list[int]] = {}  # the edited rows of each block, in order
    for row in edits:
        edited.setdefault(row // _BLOCK, []).append(row)

    def texts_of(block: int) -> bytes:
        """The texts of ``base``'s rows in ``block``, edited."""
        pieces, at, end = [], block * _BLOCK, min(block * _BLOCK + _BLOCK, n)
        for row in edited.get(block, ()):
            pieces += [_texts_between(base, at, row), edits[row]]
            at = row + 1
        pieces.append(_texts_between(base, at, end))
        return b"".join(pieces)

    packed: list[bytes | memoryview] = []
    old_packed, old_ends = base.packed, base.text_blocks
    unchanged = n // _BLOCK if added.n else base.blocks()  # the base's blocks that take no new row
    for block in range(unchanged):
        if block in edited:
            packed.append(zlib.compress(texts_of(block), _LEVEL))
        else:
            packed.append(old_packed[old_ends[block] : old_ends[block + 1]])
    first = unchanged * _BLOCK
    if first < out.n:  # the base's last block, if new rows join it, then the new rows
        rest, start = (texts_of(unchanged) if first < n else b"") + joined, offsets[first]
        for row in range(first, out.n, _BLOCK):
            end = offsets[min(row + _BLOCK, out.n)]
            packed.append(zlib.compress(rest[offsets[row] - start : end - start], _LEVEL))
    out.text_offsets = offsets
    out.packed = memoryview(b"".join(packed))
    out.text_blocks = array("I", accumulate(map(len, packed), initial=0))
    out.recent = ()


def _texts_between(columns: _Columns, first: int, end: int) -> bytes:
    """The texts of ``columns``'s rows ``first`` to ``end`` (not included), one after the other."""
    if first >= end:
        return b""
    offsets, pieces = columns.text_offsets, []
    for block in range(first // _BLOCK, -(-end // _BLOCK)):
        base = offsets[block * _BLOCK]
        texts = columns.unpacked(block)
        pieces.append(
            texts[offsets[max(first, block * _BLOCK)] - base : offsets[min(end, (block + 1) * _BLOCK)] - base]
        )
    return b"".join(pieces)


def _with_codes(base: _Columns, out: _Columns, replaced: Mapping[int, Reflection], added: _New) -> None:
    """The coded fields of ``out``: each field's values, those of ``base`` and then any new one, and the codes."""
    all_values, all_codes = [], []
    canonical = base.canonical
    for field, old_values, old_codes in zip(_CODED, base.values, base.codes, strict=True):
        values = list(old_values)
        index = {value: code for code, value in enumerate(values)}
        get = attrgetter(field)
        patches = {}
        for row, r in replaced.items():
            value = get(r)
            code = index.get(value)
            if code is None:
                code = index[value] = len(values)
                values.append(value)
            if code != old_codes[row]:
                patches[row] = code
                canonical = False  # a value's first row may have changed, or a value be left unused
        new = added[field]
        distinct = dict.fromkeys(new)
        for value in distinct:
            if value not in index:
                index[value] = len(values)
                values.append(value)
        typecode = _code_type(len(values))
        codes = _copy(old_codes, typecode)
        for row, code in patches.items():
            codes[row] = code
        if len(distinct) == 1:  # the same value on every new row: by, source, a day...
            codes.extend(array(typecode, [index[new[0]]]) * len(new))
        elif typecode == "B":
            codes.frombytes(bytes(map(index.__getitem__, new)))
        else:
            codes.extend(array(typecode, map(index.__getitem__, new)))
        all_values.append(tuple(values))
        all_codes.append(codes)
    out.values, out.codes, out.canonical = tuple(all_values), tuple(all_codes), canonical


def _with_rest(base: _Columns, out: _Columns, replaced: Mapping[int, Reflection], added: _New) -> None:
    """The times and flags of ``out``."""
    logged_at, edited_at = _copy(base.logged_at, "q"), _copy(base.edited_at, "q")
    flags = bytearray(base.flags)
    for row, r in replaced.items():
        logged_at[row] = _micros(r.logged_at)
        edited_at[row] = _NO_TIME if r.edited_at is None else _micros(r.edited_at)
        flags[row] = _flags(r)
    logged_at.extend(array("q", [(moment - _EPOCH) // _MICRO for moment in added["logged_at"]]))
    edited_at.extend(array("q", [_NO_TIME if moment is None else _micros(moment) for moment in added["edited_at"]]))
    consent, retracted, hidden = (map(bool, added[name]) for name in _FLAGGED)
    flags += bytes(map(or_, map(or_, consent, map(lshift, retracted, repeat(1))), map(lshift, hidden, repeat(2))))
    out.logged_at, out.edited_at, out.flags = logged_at, edited_at, bytes(flags)


def _with_days(out: _Columns) -> None:
    """The rows of ``out`` by day: in the order of the day's code, and in order within a day."""
    days = out.codes[_DAY]
    by_day = sorted(range(out.n), key=days.__getitem__)  # stable
    out.by_day = array("I", by_day)
    out.day_starts = tuple(bisect_left(by_day, code, key=days.__getitem__) for code in range(len(out.values[_DAY])))
    out.day_starts += (out.n,)


def _compacted(base: _Columns, replaced: Mapping[int, Reflection], rows: list[tuple[Any, ...]]) -> _Columns:
    """New columns: the rows of ``base``, those in ``replaced`` (by row) replaced, then the ``rows`` (each as
    :meth:`Reflection.as_tuple` gives it)."""
    added = _New(rows)
    out = object.__new__(_Columns)
    out.n = base.n + added.n
    _with_ids(base, out, added)
    _with_texts(base, out, replaced, added)
    _with_codes(base, out, replaced, added)
    _with_rest(base, out, replaced, added)
    _with_days(out)
    return out


def _canonical(columns: _Columns) -> _Columns:
    """``columns`` with each field's values in the order of their first row, and none unused."""
    if columns.canonical:
        return columns
    out = object.__new__(_Columns)
    for name in _Columns.__slots__:
        if name != "memo":  # worked out from the codes, which change here
            setattr(out, name, getattr(columns, name))
    all_values, all_codes = [], []
    for values, codes in zip(columns.values, columns.codes, strict=True):
        used = list(dict.fromkeys(codes))
        renumber = [0] * len(values)
        for new, old in enumerate(used):
            renumber[old] = new
        all_values.append(tuple(values[old] for old in used))
        all_codes.append(array(_code_type(len(used)), map(renumber.__getitem__, codes)))
    out.values, out.codes, out.canonical = tuple(all_values), tuple(all_codes), True
    _with_days(out)
    return out


class Counts(NamedTuple):
    total: int
    retracted: int
    hidden: int  # and not retracted


class Selection(Sequence[Reflection]):
    """Reflections chosen by :meth:`ReflectionBook.select`, in its order; each one made when it is read."""

    __slots__ = ("_columns", "_kept", "_overlay", "_picks")

    def __init__(
        self, columns: _Columns, picks: array[int], overlay: list[Reflection], kept: _Unpacked | None = None
    ) -> None:
        self._columns = columns
        self._picks = picks  # rows of the columns; from columns.n on, overlay[pick - columns.n]
        self._overlay = overlay
        self._kept = kept  # the texts unpacked for the search that chose these, while this selection is read

    def __len__(self) -> int:
        return len(self._picks)

    @overload
    def __getitem__(self, index: int) -> Reflection: ...

    @overload
    def __getitem__(self, index: slice) -> list[Reflection]: ...

    def __getitem__(self, index: int | slice) -> Reflection | list[Reflection]:
        if isinstance(index, slice):
            return [self._made(pick) for pick in self._picks[index]]
        return self._made(self._picks[index])

    def _made(self, pick: int) -> Reflection:
        n = self._columns.n
        return self._columns.row(pick) if pick < n else self._overlay[pick - n]

    def place(self, rid: str) -> int | None:
        """Where the reflection ``rid`` is in the selection; None if it is not there."""
        n = self._columns.n
        pick = next((extra for extra, r in enumerate(self._overlay, n) if r.id == rid), None)
        if pick is None:
            pick = self._columns.find(rid)  # not one replaced since: those in the overlay are all above
        try:
            return None if pick is None else self._picks.index(pick)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class _Choice:
    """What :meth:`ReflectionBook.select` was asked for (``needle``: ``search`` stripped and folded)."""

    day: date | None
    exercise: str | None
    location: str | None
    needle: str
    left_out: bool

    def keeps(self, r: Reflection) -> bool:
        if (r.retracted or r.hidden) and not self.left_out:
            return False
        if self.day is not None and r.day != self.day:
            return False
        if self.exercise is not None and r.exercise != self.exercise:
            return False
        if self.location is not None and r.location != self.location:
            return False
        return not self.needle or self.needle in f"{r.text}\n{r.participant or ''}".casefold()


def _equal(ranked: bytes | array[int], code: int) -> bytes:
    """1 where ``ranked`` holds ``code``, 0 elsewhere."""
    if isinstance(ranked, bytes):
        return ranked.translate(bytes(code == value for value in range(256)))
    return bytes(map(code.__eq__, ranked))


class _Unpacked:
    """The texts of some columns, all of them unpacked, and what searches found in them.

    A search reads every text, and the screen searches again at every key typed and every change of the book:
    unpacking every block each time would take 50 ms for 100,000 texts of prose. A selection searched with
    these holds them, and so does the screen showing it; once no one does, they go, with the 11 MB they take.
    They are mapped memory of their own, not the C heap's: glibc would take the next search's from its heap
    (it raises its threshold for mapping once a mapped block is freed) and keep it after that search is done.
    """

    __slots__ = ("__weakref__", "others", "searched", "texts")

    def __init__(self, columns: _Columns) -> None:
        n, offsets, ends, packed = columns.n, columns.text_offsets, columns.text_blocks, columns.packed
        # Filled a block at a time: never the blocks and their copy at once. Sliced, it gives bytes.
        self.texts: mmap.mmap | bytes = b""
        if offsets[n]:  # an empty mapping is refused
            self.texts = texts = mmap.mmap(-1, offsets[n])
            for block in range(columns.blocks()):
                first = block * _BLOCK
                texts[offsets[first] : offsets[min(first + _BLOCK, n)]] = zlib.decompress(
                    packed[ends[block] : ends[block + 1]]
                )
        self.others: list[array[int] | None] = [None] * columns.blocks()  # per block, its rows not all ASCII
        self.searched: tuple[tuple[str, bytes], ...] = ()  # (needle, what it found), the last first


def _searched(columns: _Columns, needle: str, kept: _Unpacked) -> bytes:
    """Per row: 1 if ``needle`` (folded, not blank) is in the text or the name of the row, as :meth:`_Choice.keeps`.

    Kept with the texts for the next few searches: the screen searches again on every change of the book, and a
    needle that holds an earlier one is found only in the rows that one was found in.
    """
    earlier = kept.searched
    for known, found in earlier:
        if known == needle:
            return found
    within = min((found for known, found in earlier if known in needle), key=lambda found: found.count(1), default=None)
    found = _search(columns, needle, kept, within)
    kept.searched = ((needle, found), *earlier[: _SEARCHES - 1])
    return found


def _search(columns: _Columns, needle: str, kept: _Unpacked, within: bytes | None) -> bytes:
    """:func:`_searched`, looking only through the blocks with a row in ``within`` (None: all of them)."""
    n = columns.n
    found = bytearray(n)
    across = "\n" in needle  # it may run from the text into the name
    key = needle.encode() if needle.isascii() else None
    others = kept.others
    for block in range(columns.blocks()):
        rows = _Rows(columns, kept, block)
        if within is not None and within.find(1, rows.first, rows.end) < 0:
            continue
        if key is None and not across and others[block] is not None and not others[block]:
            continue  # folded, a text all ASCII stays all ASCII: it cannot hold another character
        if across:
            rows.search_across(needle, found)
            continue
        if key is not None:
            rows.search_ascii(key, found)
        if others[block] is None:
            others[block] = rows.others()
        for row in others[block] or ():
            if not found[row] and needle in rows.text(row).casefold():  # it may fold otherwise ("Straße": "strasse")
                found[row] = 1
    named = set()
    if not across:
        participants = columns.values[_PARTICIPANT]
        named = {code for code, name in enumerate(participants) if name is not None and needle in name.casefold()}
    if not named:
        return bytes(found)
    codes = columns.codes[_PARTICIPANT]
    if memoryview(codes).format == "B":
        by_name = bytes(codes).translate(bytes(value in named for value in range(256)))
    else:
        by_name = bytes(map(named.__contains__, codes))
    return (int.from_bytes(found, "little") | int.from_bytes(by_name, "little")).to_bytes(n, "little")


class _Rows:
    """The rows of one block, as :func:`_search` looks through their texts: it marks in ``found`` those where it
    finds the needle (folded, not blank)."""

    def __init__(self, columns: _Columns, kept: _Unpacked, block: int) -> None:
        self.columns, self.kept = columns, kept
        self.first, self.end = block * _BLOCK, min(block * _BLOCK + _BLOCK, columns.n)
        self.offsets, self.base = columns.text_offsets, columns.text_offsets[self.first]

    @functools.cached_property
    def texts(self) -> bytes:
        return self.kept.texts[self.base : self.offsets[self.end]]

    def text(self, row: int) -> str:
        return str(self.texts[self.offsets[row] - self.base : self.offsets[row + 1] - self.base], *_ENCODING)

    def search_across(self, needle: str, found: bytearray) -> None:
        """Each text with its name after it."""
        names, codes = self.columns.values[_PARTICIPANT], self.columns.codes[_PARTICIPANT]
        for row in range(self.first, self.end):
            found[row] = needle in f"{self.text(row)}\n{names[codes[row]] or ''}".casefold()

    def search_ascii(self, key: bytes, found: bytearray) -> None:
        """The texts' bytes, lowered: in an ASCII text, folding is lowering A-Z; ``key``: the needle's bytes."""
        offsets, base, first, end = self.offsets, self.base, self.first, self.end
        lowered = self.texts.lower()
        hits = lowered.count(key)
        if hits * _DENSE > end - first:  # found in many: each text looked at, not each place found
            ends = [offsets[row] - base for row in range(first, end + 1)]
            found[first:end] = bytes(key in lowered[a:b] for a, b in pairwise(ends))
            return
        at = lowered.find(key) if hits else -1
        while at >= 0:
            row = bisect_right(offsets, base + at, first, end) - 1
            row_end = offsets[row + 1] - base
            if at + len(key) <= row_end:  # not one running into the next text
                found[row] = 1
                at = lowered.find(key, row_end)
            else:
                at = lowered.find(key, at + 1)

    def others(self) -> array[int]:
        """The rows whose texts have other characters than ASCII."""
        rows, offsets, base = array("I"), self.offsets, self.base
        if self.texts.isascii():  # the regular expression reads 50 times slower
            return rows
        other = _NOT_ASCII.search(self.texts)
        while other:
            rows.append(bisect_right(offsets, base + other.start(), self.first, self.end) - 1)
            other = _NOT_ASCII.search(self.texts, offsets[rows[-1] + 1] - base)
        return rows


def _selected_rows(
    columns: _Columns, replaced: Mapping[int, Reflection], choice: _Choice, kept: _Unpacked | None
) -> array[int]:
    """The rows of ``columns`` :meth:`ReflectionBook.select` chooses, but those ``replaced``, newest first; ``kept``:
    the texts unpacked, for a search."""
    n, order = columns.n, columns.newest()
    wanted = []  # (field, code) of the day, exercise and location asked for
    for field, value in ((_DAY, choice.day), (_EXERCISE, choice.exercise), (_LOCATION, choice.location)):
        if value is not None:
            values = columns.values[field]
            if value not in values:
                return array("I")
            wanted.append((field, values.index(value)))
    masks = []  # per place in order: 1 if chosen
    if choice.needle:
        found = _searched(columns, choice.needle, kept or columns.unpacked_all())
        if found.count(1) < n >> 4:  # a few: each row checked, then sorted
            flags, logged_at, codes = columns.flags, columns.logged_at, columns.codes
            rows = [
                row
                for row in compress(range(n), found)
                if row not in replaced
                and (choice.left_out or not flags[row] & _LEFT_OUT)
                and all(codes[field][row] == code for field, code in wanted)
            ]
            rows.sort(key=lambda row: (-logged_at[row], row))
            return array("I", rows)
        masks.append(bytes(map(found.__getitem__, order)))
    if not choice.left_out:
        masks.append(cast(bytes, columns.ranked(None)).translate(_SHOWN_FLAGS))
    masks += [_equal(columns.ranked(field), code) for field, code in wanted]
    if not masks and not replaced:
        return order
    chosen = int.from_bytes(b"\x01" * n, "little")
    for mask in masks:
        chosen &= int.from_bytes(mask, "little")
    chosen_bytes = bytearray(chosen.to_bytes(n, "little"))
    logged_at = columns.logged_at
    for row in replaced:  # in the overlay, as they are now
        chosen_bytes[bisect_left(order, (-logged_at[row], row), key=lambda r: (-logged_at[r], r))] = 0
    return array("I", compress(order, chosen_bytes))


class ReflectionBook(Mapping[str, Reflection]):
    """The run's reflections by id, in the order they were first logged; immutable (see the module's doc).

    ``ReflectionBook()`` is empty; ``ReflectionBook(reflections)`` holds those of a mapping, in its order.
    """

    __slots__ = ("_added", "_columns", "_replaced")

    _columns: _Columns
    _replaced: dict[int, Reflection]  # rows of the columns as they are now, by row; never changed once set
    _added: dict[str, Reflection]  # reflections after the columns' rows, in order; never changed once set

    def __init__(self, reflections: Mapping[str, Reflection] | None = None) -> None:
        self._columns, self._replaced, self._added = _EMPTY, {}, {}
        if isinstance(reflections, ReflectionBook):
            self._columns, self._replaced, self._added = reflections._columns, reflections._replaced, reflections._added
        elif reflections:
            built = self.with_changes(dict(reflections))
            self._columns, self._replaced, self._added = built._columns, built._replaced, built._added

    @classmethod
    def _of(cls, columns: _Columns, replaced: dict[int, Reflection], added: dict[str, Reflection]) -> ReflectionBook:
        book = object.__new__(cls)
        book._columns, book._replaced, book._added = columns, replaced, added
        return book

    # -- reading ------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._columns.n + len(self._added)

    def __iter__(self) -> Iterator[str]:
        yield from self._columns.all_ids()
        yield from self._added

    def __contains__(self, rid: object) -> bool:
        return isinstance(rid, str) and (rid in self._added or self._columns.find(rid) is not None)

    def __getitem__(self, rid: str) -> Reflection:
        found: Reflection | None = self.get(rid)
        if found is None:
            raise KeyError(rid)
        return found

    def get(self, rid: str, default: Any = None) -> Any:  # Mapping's overloads: Reflection | None, or default
        """The reflection ``rid``, or ``default``."""
        if not isinstance(rid, str):
            return default
        added = self._added.get(rid)
        if added is not None:
            return added
        row = self._columns.find(rid)
        if row is None:
            return default
        replaced = self._replaced.get(row)
        return replaced if replaced is not None else self._columns.row(row, rid)

    def values(self) -> ValuesView[Reflection]:
        return _Values(self)

    def items(self) -> ItemsView[str, Reflection]:
        return _Items(self)

    def _reflections(self) -> Iterator[Reflection]:
        replaced = self._replaced
        if replaced:
            for row, reflection in enumerate(self._columns.rows()):
                yield replaced.get(row, reflection)
        else:
            yield from self._columns.rows()
        yield from self._added.values()

    def visible(self) -> list[Reflection]:
        """The reflections neither retracted nor hidden, in order."""
        return [r for r in self._reflections() if not r.retracted and not r.hidden]

    def latest_visible(self, day: date | None, n: int) -> list[Reflection]:
        """The last ``n`` visible reflections of ``day`` (None: those logged with no day open), in order.

        Reads only the day's last rows, as many as it takes to find ``n`` visible ones.
        """
        latest: list[Reflection] = []
        if n <= 0:
            return latest
        for new in reversed(self._added.values()):
            if new.day == day and not new.retracted and not new.hidden:
                latest.append(new)
                if len(latest) == n:
                    return latest[::-1]
        columns, replaced = self._columns, self._replaced
        code = columns.day_code(day)
        if code is not None:
            flags, by_day, first = columns.flags, columns.by_day, columns.day_starts[code]
            for at in range(columns.day_starts[code + 1] - 1, first - 1, -1):
                row = by_day[at]
                r = replaced.get(row)
                if r is None and not flags[row] & _LEFT_OUT:
                    latest.append(columns.row(row))
                elif r is not None and not r.retracted and not r.hidden:
                    latest.append(r)
                if len(latest) == n:
                    break
        return latest[::-1]

    def names_used(self) -> list[str]:
        """The participants' names, each once as given, the most recently used first (as sorting the reflections
        by ``logged_at``, newest first, would meet them; retracted and hidden ones count, no name does not).

        Reads a row per name, not one per reflection.
        """
        columns, replaced, n = self._columns, self._replaced, self._columns.n
        order, logged_at, names = columns.newest(), columns.logged_at, columns.values[_PARTICIPANT]
        ranked = columns.ranked(_PARTICIPANT)
        first: dict[str, tuple[int, int]] = {}  # name: (-logged_at, place in the book) of its latest use
        for at, code in columns.first_uses() if n else ():
            name, place = names[code], at
            if name is None:
                continue
            try:
                while order[place] in replaced:  # as it is now, in the overlay: the name's next row
                    place = ranked.index(code, place + 1)
            except ValueError:  # none
                continue
            first[name] = (-logged_at[order[place]], order[place])
        for row, r in chain(replaced.items(), enumerate(self._added.values(), n)):
            name = r.participant
            if name is not None:
                key, known = (-_micros(r.logged_at), row), first.get(name)
                if known is None or key < known:
                    first[name] = key
        return sorted(first, key=first.__getitem__)

    def counts(self) -> Counts:
        """How many reflections there are, how many retracted, and how many hidden but not retracted."""
        per_flags = list(self._columns.flag_counts())
        for row, r in self._replaced.items():
            per_flags[self._columns.flags[row]] -= 1
            per_flags[_flags(r)] += 1
        for r in self._added.values():
            per_flags[_flags(r)] += 1
        retracted = sum(count for flags, count in enumerate(per_flags) if flags & _RETRACTED)
        hidden = sum(count for flags, count in enumerate(per_flags) if flags & _LEFT_OUT == _HIDDEN)
        return Counts(len(self), retracted, hidden)

    def select(
        self,
        *,
        day: date | None = None,
        exercise: str | None = None,
        location: str | None = None,
        search: str = "",
        left_out: bool = False,
    ) -> Selection:
        """The reflections of ``day``, ``exercise`` and ``location`` (None: of any), those retracted or hidden
        only if ``left_out``, and with ``search`` (stripped; ignoring case, as :meth:`str.casefold`) in their
        text or name, if it is not blank; newest first (by ``logged_at``, those logged at the same time in the
        book's order), as the reflections screen lists them.

        Works from the columns: a reflection is made only when the selection is read at its place.
        """
        choice = _Choice(day, exercise, location, search.strip().casefold(), left_out)
        columns, replaced, n = self._columns, self._replaced, self._columns.n
        kept = columns.unpacked_all() if choice.needle and n else None
        rows = _selected_rows(columns, replaced, choice, kept) if n else array("I")
        overlay = sorted(
            ((-_micros(r.logged_at), place), r)
            for place, r in chain(replaced.items(), enumerate(self._added.values(), n))
            if choice.keeps(r)
        )
        if not overlay:
            return Selection(columns, rows, [], kept)
        logged_at = columns.logged_at
        picks, start = array("I"), 0
        for extra, (key, _) in enumerate(overlay, n):
            at = bisect_left(rows, key, start, key=lambda row: (-logged_at[row], row))
            picks += rows[start:at]
            picks.append(extra)
            start = at
        picks += rows[start:]
        return Selection(columns, picks, [r for _, r in overlay], kept)

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if isinstance(other, ReflectionBook):
            if len(other) != len(self):
                return False
            if other._columns is self._columns and other._replaced == self._replaced and other._added == self._added:
                return True  # one derived from the other, or both from a third: no need to read every row
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # a mapping: compared by what it holds

    def __repr__(self) -> str:
        return f"<ReflectionBook of {len(self)} reflections>"

    # -- changing -----------------------------------------------------------------------------------------

    def with_changes(self, changed: Mapping[str, Reflection], logged: Sequence[tuple[Any, ...]] = ()) -> ReflectionBook:
        """A book with the reflections ``changed`` (by id) added, or replacing those with their ids in place.

        New ids come after the others, in the order of ``changed``, then those ``logged``: reflections with ids
        neither in the book nor in ``changed`` nor repeated, each as :meth:`Reflection.as_tuple` gives it (as a
        fold of the log gathers them: many new ones go straight into new columns, no object made for each).
        This book does not change: the new one shares its storage, until its changes are many enough to be
        folded into new columns.
        """
        if not changed and not logged:
            return self
        columns = self._columns
        if not all(map(str.__eq__, changed, map(_ID, changed.values()))):
            wrong = next(rid for rid, r in changed.items() if r.id != rid)
            raise ValueError(f"reflection {changed[wrong].id!r} given as {wrong!r}")
        replaced, added = dict(self._replaced), dict(self._added)
        compact = False
        if not columns.n:  # all new, or changing new ones
            added.update(changed)
            changed = {}
        for rid, reflection in changed.items():
            if rid in added:
                added[rid] = reflection
                continue
            row = columns.find(rid)
            if row is None:
                added[rid] = reflection
                continue
            replaced[row] = reflection
            # by_day knows each row's day: one that moved to another is found again only in new columns
            compact = compact or reflection.day != columns.values[_DAY][columns.codes[_DAY][row]]
        if compact or len(replaced) + len(added) + len(logged) > max(_MIN_OVERLAY, columns.n >> 5):
            rows = [*map(_AS_TUPLE, added.values()), *logged]
            return self._of(_compacted(columns, replaced, rows), {}, {})
        added.update((row[0], Reflection(*row)) for row in logged)
        return self._of(columns, replaced, added)

    def _compact(self) -> _Columns:
        if not self._replaced and not self._added:
            return self._columns
        return _compacted(self._columns, self._replaced, list(map(_AS_TUPLE, self._added.values())))

    # -- to and from a checkpoint -------------------------------------------------------------------------

    def dump(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        """A JSON document and named binary parts that :meth:`load` reads back: the same for the same book."""
        columns = _canonical(self._compact())
        values = [
            [d.isoformat() if isinstance(d, date) else d for d in columns.values[_DAY]],
            *(list(v) for v in columns.values[1:]),
        ]
        doc: dict[str, Any] = {
            "format": FORMAT,
            "count": columns.n,
            "byteorder": sys.byteorder,
            "ids": "hex" if columns.hex_ids else "text",
            "values": dict(zip(_CODED, values, strict=True)),
            "types": {
                "codes": [memoryview(c).format for c in columns.codes],
                "text_offsets": memoryview(columns.text_offsets).format,
                "text_blocks": memoryview(columns.text_blocks).format,
                "id_offsets": memoryview(columns.id_offsets).format,
            },
            "block": _BLOCK,
            "day_starts": list(columns.day_starts),
        }
        parts = {
            "ids": columns.ids.tobytes(),
            "id_offsets": memoryview(columns.id_offsets).tobytes(),
            "key_hi": memoryview(columns.key_hi).tobytes(),
            "key_lo": memoryview(columns.key_lo).tobytes(),
            "key_pos": memoryview(columns.key_pos).tobytes(),
            "texts": columns.packed.tobytes(),
            "text_offsets": memoryview(columns.text_offsets).tobytes(),
            "text_blocks": memoryview(columns.text_blocks).tobytes(),
            "logged_at": memoryview(columns.logged_at).tobytes(),
            "edited_at": memoryview(columns.edited_at).tobytes(),
            "flags": bytes(columns.flags),
            "by_day": memoryview(columns.by_day).tobytes(),
        }
        for field, codes in zip(_CODED, columns.codes, strict=True):
            parts[f"codes.{field}"] = memoryview(codes).tobytes()
        return doc, parts

    @classmethod
    def load(cls, doc: Mapping[str, Any], parts: Mapping[str, bytes]) -> ReflectionBook:
        """The book :meth:`dump` gave ``doc`` and ``parts`` for; ValueError if they are not such a dump."""
        if doc.get("format") != FORMAT:
            raise ValueError(f"reflections: format {doc.get('format')!r}, not {FORMAT}")
        try:
            return cls._of(_loaded(doc, parts), {}, {})
        except (KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"reflections: not a dump of format {FORMAT} ({exc!r})") from None


def _loaded(doc: Mapping[str, Any], parts: Mapping[str, bytes]) -> _Columns:
    n = doc["count"]
    swap = doc["byteorder"] != sys.byteorder
    types = doc["types"]

    def blob(name: str, size: int | None = None) -> memoryview:
        data = parts[name]
        view = memoryview(data if isinstance(data, bytes) else bytes(data))  # a bytearray could change under us
        if size is not None and len(view) != size:
            raise ValueError(f"reflections: {name} holds {len(view)} bytes, not {size}")
        return view

    def numbers(name: str, typecode: str, count: int) -> Ints:
        if typecode not in _TYPECODES:
            raise ValueError(f"reflections: {name} of type {typecode!r}")
        view = blob(name, count * array(typecode).itemsize)
        if not swap:
            return view.cast(cast(_TypeCode, typecode))
        swapped = array(typecode)
        swapped.frombytes(view)
        swapped.byteswap()
        return swapped

    out = object.__new__(_Columns)
    out.n = n
    out.hex_ids = doc["ids"] == "hex"
    if out.hex_ids:
        out.ids = blob("ids", 16 * n)
        out.id_offsets = _EMPTY.id_offsets
    else:
        out.id_offsets = numbers("id_offsets", types["id_offsets"], n + 1)
        out.ids = blob("ids", out.id_offsets[n])
    out.key_hi, out.key_lo, out.key_pos = (
        numbers(f"key_{x}", t, n) for x, t in (("hi", "Q"), ("lo", "Q"), ("pos", "I"))
    )
    out.text_offsets = numbers("text_offsets", types["text_offsets"], n + 1)
    if doc["block"] != _BLOCK:
        raise ValueError(f"reflections: texts packed {doc['block']!r} rows at a time, not {_BLOCK}")
    out.text_blocks = numbers("text_blocks", types["text_blocks"], out.blocks() + 1)
    ends = out.text_blocks
    if ends[0] != 0 or any(map(int.__gt__, ends[:-1], ends[1:])):
        raise ValueError("reflections: text_blocks out of order")
    out.packed = blob("texts", ends[-1])
    out.recent = ()
    values = [doc["values"][field] for field in _CODED]
    values[_DAY] = [None if d is None else date.fromisoformat(d) for d in values[_DAY]]
    out.values = tuple(tuple(v) for v in values)
    out.codes = tuple(
        numbers(f"codes.{field}", typecode, n) for field, typecode in zip(_CODED, types["codes"], strict=True)
    )
    out.canonical = True
    out.logged_at, out.edited_at = numbers("logged_at", "q", n), numbers("edited_at", "q", n)
    out.flags = blob("flags", n)
    out.by_day = numbers("by_day", "I", n)
    out.day_starts = tuple(doc["day_starts"])
    if len(out.day_starts) != len(out.values[_DAY]) + 1:
        raise ValueError("reflections: day_starts does not match the days")
    return out


class _Values(ValuesView[Reflection]):
    _mapping: ReflectionBook

    def __iter__(self) -> Iterator[Reflection]:
        return self._mapping._reflections()


class _Items(ItemsView[str, Reflection]):
    _mapping: ReflectionBook

    def __iter__(self) -> Iterator[tuple[str, Reflection]]:
        return ((r.id, r) for r in self._mapping._reflections())
