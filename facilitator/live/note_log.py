"""The notes to the driver, oldest first, kept small: a week of them runs to tens of thousands.

As objects, 24,000 notes took 10 MiB and 56 ms to make again from a checkpoint (issue 14), yet a screen only
ever reads the few it has not shown (``after``). The notes that came from a checkpoint stay as their JSON rows,
each made into a :class:`Note` when read; the ones folded since are kept as they are. Immutable, as the
session state that holds it is: a screen may read one on another thread while the database thread folds.
"""

from __future__ import annotations

import bisect
import json
import sys
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, overload

from facilitator.record.clock import from_text, to_text


@dataclass(frozen=True, slots=True)
class Note:
    """A note to the driver from one of the team: ``to`` is who was driving when it was sent (None: whoever drives)."""

    id: str
    at: datetime
    sender: str
    to: str | None
    text: str
    seq: int = 0  # the event's, so a screen can show each note once


def _row(note: Note) -> str:
    return json.dumps([note.id, to_text(note.at), note.sender, note.to, note.text, note.seq], ensure_ascii=False)


def _note(row: str) -> Note:
    note_id, at, sender, to, text, seq = json.loads(row)
    return Note(note_id, from_text(at), sender, to, text, seq)


class NoteLog(Sequence[Note]):
    """Notes in the order sent: rows from a checkpoint (``rows``, one JSON array a line, with their ``seqs``),
    then the notes folded since (``tail``)."""

    __slots__ = ("_rows", "_seqs", "_starts", "_tail")

    def __init__(
        self,
        tail: Iterable[Note] = (),
        *,
        rows: str = "",
        seqs: array[int] | None = None,
        starts: array[int] | None = None,
    ) -> None:
        self._rows = rows
        self._seqs = seqs if seqs is not None else array("q")
        self._starts = starts if starts is not None else array("q", [0])  # where each row begins, and the end
        self._tail = tuple(tail)

    def extended(self, notes: Iterable[Note]) -> NoteLog:
        """This log with ``notes`` (sent after all of its own) added at the end."""
        grown = NoteLog.__new__(NoteLog)
        grown._rows, grown._seqs, grown._starts = self._rows, self._seqs, self._starts
        grown._tail = (*self._tail, *notes)
        return grown

    def __len__(self) -> int:
        return len(self._seqs) + len(self._tail)

    @overload
    def __getitem__(self, index: int) -> Note: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Note, ...]: ...
    def __getitem__(self, index: int | slice) -> Note | tuple[Note, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        kept = len(self._seqs)
        if not 0 <= index < len(self):
            raise IndexError("note index out of range")
        if index >= kept:
            return self._tail[index - kept]
        return _note(self._rows[self._starts[index] : self._starts[index + 1] - 1])

    def __iter__(self) -> Iterator[Note]:
        for index in range(len(self._seqs)):
            yield self[index]
        yield from self._tail

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"NoteLog({len(self)} notes)"

    def after(self, seq: int) -> list[Note]:
        """The notes of events after ``seq``, oldest first: what a screen that showed up to ``seq`` has not."""
        first = bisect.bisect_right(self._seqs, seq)
        kept = [self[i] for i in range(first, len(self._seqs))]
        return kept + [note for note in self._tail if note.seq > seq]

    def dump(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        """For a checkpoint: every note as a JSON row, their seqs and where each row begins in the rows' text
        (little-endian int64)."""
        added = [_row(note) + "\n" for note in self._tail]
        seqs, starts = array("q", self._seqs), array("q", self._starts)
        seqs.extend(note.seq for note in self._tail)
        for row in added:
            starts.append(starts[-1] + len(row))
        rows = self._rows + "".join(added)
        return {}, {"rows": rows.encode(), "seqs": _little(seqs).tobytes(), "starts": _little(starts).tobytes()}

    @classmethod
    def load(cls, doc: Mapping[str, Any], parts: Mapping[str, bytes]) -> NoteLog:
        seqs, starts = array("q"), array("q")
        seqs.frombytes(parts["seqs"])
        starts.frombytes(parts["starts"])
        rows = bytes(parts["rows"]).decode()
        seqs, starts = _little(seqs), _little(starts)
        if len(starts) != len(seqs) + 1 or starts[-1] != len(rows):
            raise ValueError("notes: the rows and their places do not match")
        return cls(rows=rows, seqs=seqs, starts=starts)


def _little(numbers: array[int]) -> array[int]:
    """``numbers`` in little-endian order (a checkpoint's), from or to this machine's."""
    if sys.byteorder == "big":
        numbers = array("q", numbers)
        numbers.byteswap()
    return numbers
