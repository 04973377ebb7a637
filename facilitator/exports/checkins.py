"""Where each participant was, for the register's tables: their check-ins as SQLite groups them, read in bulk.

A long run gives every participant hundreds of check-ins (each rejoin on a bad link is one). Folding them one
event at a time (facilitator.attendance.intervals) costs microseconds of Python per check-in; here SQLite
does the reading instead, on a thread of its own (facilitator.exports.background): it reads the ``checkins``
table (facilitator.record.projections: each check-in's participant, time and source, as the payload gave them,
stored by participant) and groups them by participant in the order the table holds them, a few participants per
statement (or, where that table lags behind the log, takes them out of the events' payloads, as it did before
the table). Each participant's check-ins then arrive as a few long strings, turned into lists by
C-level string and list operations, and what the tables need (the merged spans, the sources, who is still
in) is worked out from them with bisection, never a loop over every check-in.

The rules are those of the fold and of :class:`facilitator.live.register.Register`; this module applies them
in bulk where a person's record lets it be done exactly:

- on each channel (facilitator.attendance.intervals.channel), a check-in while in and a check-out while out
  change nothing; once those are left out, when the times that remain never go back (no back-dated check-in
  or check-out, the usual case), every check-in opens an interval and the next check-out closes it, so the
  intervals are the remaining times taken two by two;
- an interval stops counting at its day's end (:meth:`facilitator.live.days.DayEnds.clip`): in a day's run of
  intervals, sorted and disjoint, only the last that began before that day's end, and the last of the day,
  can reach past it;
- spans are the intervals merged within each local date (:meth:`Register.spans`).

Anything else goes through the fold itself, as before, one participant at a time
(facilitator.exports.register): times that go back, a time not written in UTC, or one the fold would not
read (it then takes the event's own), a source this version does not know, a day whose midnight a change of
clocks skips or repeats. Every time here is in UTC, so that equal means the same instant (Python never finds
two times of different zones equal in a repeated hour).
"""

from __future__ import annotations

import json
import sqlite3
import zoneinfo
from bisect import bisect_left, bisect_right
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate, compress, repeat
from operator import le, ne, sub
from typing import Any

from facilitator.attendance.intervals import Span
from facilitator.exports.background import Rows
from facilitator.exports.snapshot import Snapshot
from facilitator.live.days import DayEnds
from facilitator.record import events as ev
from facilitator.record.events import Event

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the time of a check-in event the fold never reads
CHECKS = (ev.ATTENDANCE_CHECKED_IN, ev.ATTENDANCE_CHECKED_OUT)
SOURCE_OF = {"f": "facilitator", "q": "qr", "z": "zoom", "t": "teams"}  # as the fold names them
_LIVE = frozenset("fq")  # the codes of the live channel's sources; every other source is a channel of its own
_SEP = "\x1f"  # between the check-in times of one person: a time that holds it is not a time
_KINDS = str.maketrans("FQZTfqzt", "11110000")  # a source's letter to check-in (1) or check-out (0)
# A source as one letter, capital for a check-in; "?" is one this version does not know. The table holds the
# source as the fold reads it (none or empty: facilitator).
_LETTERS = {source: code for code, source in SOURCE_OF.items()}
_CODE = "CASE WHEN kind = 'in' THEN CASE source {} ELSE '?' END ELSE CASE source {} ELSE '?' END END".format(
    *(" ".join(f"WHEN '{name}' THEN '{case(code)}'" for name, code in _LETTERS.items()) for case in (str.upper, str))
)


# A participant's check-ins in three strings: their seqs, their times (as the payloads give them) and their sources as
# letters (capital for a check-in), in the order of seq. From the ``checkins`` table (facilitator.record.projections),
# stored by participant and then by seq: SQLite reads it in that order and groups each participant's rows as they
# come, with no JSON to read and nothing to sort. (The seqs say the order all the same: sorted if it is not.)
_PERSON = (
    "SELECT participant AS pid, group_concat(seq) AS seqs, group_concat(coalesce(at, ''), char(31)) AS ats,"
    f" group_concat({_CODE}, '') AS codes FROM checkins WHERE seq <= ? {{}} GROUP BY participant ORDER BY participant"
)
# Up to a batch of participants in one row, those after a given one: SQLite puts them together in one step, so
# the thread that reads them waits for the interpreter once per batch, not once per participant
# (facilitator.exports.background).
_BATCH = (
    "SELECT count(*), json_group_array(pid), group_concat(seqs, char(30)), group_concat(ats, char(30)),"
    " group_concat(codes, char(30)) FROM ({} LIMIT ?)"
)
_PEOPLE = "\x1e"  # char(30), between the participants of a batch: a time that holds it has the batch read again
BATCH = 8  # participants per statement: a few hundred kilobytes, at a thousand check-ins each


def query(last_seq: int, people: str | None = None) -> tuple[str, tuple[Any, ...]]:
    """Every participant's check-ins up to ``last_seq`` (of ``people`` only, a JSON array, if given), one row each:
    the participant, their seqs, times and sources as letters (see ``_PERSON``)."""
    if people is None:
        return _PERSON.format(""), (last_seq,)
    return _PERSON.format("AND participant IN (SELECT value FROM json_each(?))"), (last_seq, people)


def batches(conn: sqlite3.Connection, last_seq: int, size: int = BATCH) -> Generator[list[tuple[Any, ...]], None, None]:
    """:func:`query`'s rows, a batch of up to ``size`` participants at a time, each batch read in one statement."""
    first = _BATCH.format(_PERSON.format(""))
    after = _BATCH.format(_PERSON.format("AND participant > ?"))
    last: str | None = None
    while True:
        if last is None:
            count, people, seqs, ats, codes = conn.execute(first, (last_seq, size)).fetchone()
        else:
            count, people, seqs, ats, codes = conn.execute(after, (last_seq, last, size)).fetchone()
        if not count:
            return
        pids = json.loads(people)
        parts = seqs.split(_PEOPLE), ats.split(_PEOPLE), codes.split(_PEOPLE)
        if all(len(part) == count for part in parts):
            yield list(zip(pids, *parts, strict=True))
        else:  # a time holds the separator: the batch again, a row per participant
            yield conn.execute(*query(last_seq, people)).fetchall()
        if count < size:
            return
        last = pids[-1]


# The same rows from the events themselves, for a run whose ``checkins`` table lags behind its log (an older
# facilitator, still running when this one added the table, appends check-ins without it): each payload's JSON
# read, the rows sorted by participant. A source as one letter: missing, empty or "facilitator" is the fold's
# default; "?" is one it does not know.
_EVENT_CODE = (
    "CASE coalesce(json_extract(payload, '$.source'), '') WHEN 'facilitator' THEN 'f' WHEN '' THEN 'f'"
    " WHEN 'qr' THEN 'q' WHEN 'zoom' THEN 'z' WHEN 'teams' THEN 't' ELSE '?' END"
)


def from_events(conn: sqlite3.Connection, last_seq: int, events: int) -> tuple[str, tuple[Any, ...]]:
    """:func:`query`'s rows, read from the events' payloads (as the export did before the ``checkins`` table).

    The concatenations come in the order SQLite read the rows, which is the order of ``seq`` when the table is
    scanned in order (as it is when check-ins are most of the ``events`` of the log): the seqs say, and are
    sorted if not.
    """
    checks = int(
        conn.execute("SELECT COUNT(*) FROM events WHERE kind IN (?, ?) AND seq <= ?", (*CHECKS, last_seq)).fetchone()[0]
    )
    scan = "NOT INDEXED " if checks * 3 > events else ""  # most of the log: read it in order
    sql = (
        "SELECT pid, group_concat(seq), group_concat(at, char(31)), group_concat(code, '') FROM ("
        " SELECT json_extract(payload, '$.participant') AS pid, seq, coalesce(json_extract(payload, '$.at'), '') AS at,"
        f" CASE WHEN kind = ? THEN upper({_EVENT_CODE}) ELSE {_EVENT_CODE} END AS code"
        f" FROM events {scan}WHERE kind IN (?, ?) AND seq <= ?"
        ") GROUP BY pid"
    )
    return sql, (ev.ATTENDANCE_CHECKED_IN, *CHECKS, last_seq)


def current(conn: sqlite3.Connection) -> bool:
    """Whether the ``checkins`` table holds every check-in and check-out of the log: as many rows as there are such
    events, counted in one statement (so at one moment, which may be later than the snapshot's: the rows of the
    snapshot's check-ins are never changed after, only more added). A twentieth of a second for a million events,
    on the reading thread; a table that lags behind has the check-ins read from the events."""
    (same,) = conn.execute(
        "SELECT (SELECT count(*) FROM events WHERE kind IN (?, ?)) = (SELECT count(*) FROM checkins)", CHECKS
    ).fetchone()
    return bool(same)


class Reading:
    """The check-ins of ``snapshot`` as :func:`query`'s rows, read on a thread of its own from now on, a batch at a
    time; iterate once. From the ``checkins`` table when it is :func:`current`, else from the events, and then
    :attr:`from_table` is False (set before the first row)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.from_table = True
        self._last_seq, self._events = snapshot.last_seq, snapshot.event_count
        self._rows = Rows(snapshot.sibling(), batches=self._batches, depth=2)

    def _batches(self, conn: sqlite3.Connection) -> Generator[list[tuple[Any, ...]], None, None]:
        if current(conn):
            yield from batches(conn, self._last_seq, BATCH)
            return
        self.from_table = False
        cursor = conn.execute(*from_events(conn, self._last_seq, self._events))
        try:
            while rows := cursor.fetchmany(BATCH):
                yield rows
        finally:
            cursor.close()

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)

    def close(self) -> None:
        self._rows.close()


def read(snapshot: Snapshot) -> Reading:
    """The check-ins of ``snapshot``, read on a thread of its own from now on (:class:`Reading`)."""
    return Reading(snapshot)


class Days:
    """Local dates of the workshop's time zone: where each ends, and where an interval begun on it stops
    counting (:meth:`DayEnds.cutoff`), worked out once per date. Every instant here is in UTC."""

    def __init__(self, tz: zoneinfo.ZoneInfo, ends: DayEnds) -> None:
        self.tz = tz
        self.ends = ends
        self._known: dict[date, tuple[int, datetime, datetime | None] | None] = {}

    def _clean(self, day: date) -> bool:
        """Whether ``day``'s midnight happens once: not skipped nor repeated by a change of clocks."""
        midnight = datetime.combine(day, time(), tzinfo=self.tz)
        return midnight.utcoffset() == midnight.replace(fold=1).utcoffset()

    def bounds(self, moment: datetime) -> tuple[int, datetime, datetime | None] | None:
        """For the local date of ``moment``: its ordinal, the next midnight, and the end of the days run on it
        when an interval begun at or before that end stops there (else at midnight). None when a midnight
        around the date is not clean: then an instant's date cannot be told by comparing it with midnights."""
        day = moment.astimezone(self.tz).date()
        if day not in self._known:
            found: tuple[int, datetime, datetime | None] | None = None
            if self._clean(day) and self._clean(day + timedelta(days=1)):
                midnight = datetime.combine(day, time(), tzinfo=self.tz)
                after = datetime.combine(day + timedelta(days=1), time(), tzinfo=self.tz).astimezone(UTC)
                # cutoff(s): min(end, midnight) while s <= the end of the days run on the date, else midnight
                cut = self.ends.cutoff(midnight).astimezone(UTC)
                found = (day.toordinal(), after, cut if cut < after else None)
            self._known[day] = found
        return self._known[day]


_SOURCE_ORDER = {"facilitator": 0, "qr": 1, "zoom": 2, "teams": 3}
_NOTHING = timedelta()


@dataclass(frozen=True, slots=True)
class Found:
    """What one participant's check-ins come to: the spans (merged, of some length, sorted), the total length
    of the spans before each, every source's intervals (their starts, and the running maximum of where they
    stop counting), and the intervals still open (start, where it stops counting). All in UTC."""

    starts: list[datetime]
    ends: list[datetime]
    before: list[timedelta]
    sources: list[tuple[str, list[datetime], list[datetime]]]
    opens: list[tuple[datetime, datetime]]

    def attended(self, segments: Sequence[Span]) -> timedelta:
        """Time in the spans within ``segments`` (sorted, disjoint), as :func:`overlap` counts it."""
        return sum((self._covered(end) - self._covered(start) for start, end in segments), _NOTHING)

    def _covered(self, at: datetime) -> timedelta:
        i = bisect_right(self.starts, at) - 1
        if i < 0:
            return _NOTHING
        end = self.ends[i]
        return self.before[i] + ((at if at < end else end) - self.starts[i])

    def window(self, segments: Sequence[Span], now: datetime) -> tuple[datetime | None, datetime | None, str]:
        """First in and last out among the spans that overlap ``segments`` for more than an instant (last out
        None: never checked out and counting still), and the sources of the intervals in their stretch."""
        starts, ends = self.starts, self.ends
        first = None
        for a, b in segments:
            if a < b:
                i = bisect_right(ends, a)
                if i < len(starts) and starts[i] < b:
                    first = starts[i]
                    break
        if first is None:
            return None, None, ""
        last = first
        for a, b in reversed(segments):
            if a < b:
                j = bisect_left(starts, b) - 1
                if j >= 0 and ends[j] > a:
                    last = ends[j]
                    break
        begin, end = segments[0][0], segments[-1][1]
        found = []
        for source, begun, reach in self.sources:
            j = bisect_left(begun, end) - 1
            if j >= 0 and reach[j] > begin:
                # the source's first interval in the stretch: for sources the order does not know
                found.append((_SOURCE_ORDER.get(source, 9), begun[bisect_right(reach, begin)], source))
        found.sort()
        out: datetime | None = last
        for start, stop in self.opens:
            if start < end and stop > begin and stop >= last and stop >= now:
                out = None
        return first, out, "+".join(source for _, _, source in found)


NOBODY = Found([], [], [_NOTHING], [], [])


@dataclass(frozen=True)
class Row:
    """One participant's row of :func:`query` as lists, in the order of ``seq``. ``times``: the times read as
    the fold reads them, None when one is not a time (the fold would take its event's own: read the log);
    ``utc``: every one of them written in UTC (``...Z``), as the app writes them."""

    pid: str
    seqs: list[int]
    kinds: str
    texts: list[str]
    times: list[datetime] | None
    codes: str
    utc: bool

    @classmethod
    def parse(cls, row: tuple[Any, ...]) -> Row | None:
        """None when the row cannot be taken as it is: a time that holds the separator, a source not known."""
        pid, seqs_text, ats, letters = row
        seqs = json.loads(f"[{seqs_text}]")  # SQLite's integers, read in C without a string each: twice as fast
        texts = ats.split(_SEP)
        if not (len(seqs) == len(texts) == len(letters)) or "?" in letters:
            return None
        kinds = letters.translate(_KINDS)
        codes = letters.lower()
        times: list[datetime] | None
        try:
            times = list(map(datetime.fromisoformat, texts))
        except ValueError:
            times = None
        utc = ats.endswith("Z") and ats.count("Z" + _SEP) == len(texts) - 1  # each ends with Z: aware, in UTC
        if all(map(le, seqs, seqs[1:])):
            return cls(pid, seqs, kinds, texts, times, codes, utc)
        order = sorted(range(len(seqs)), key=seqs.__getitem__)
        return cls(
            pid,
            [seqs[i] for i in order],
            "".join(kinds[i] for i in order),
            [texts[i] for i in order],
            [times[i] for i in order] if times is not None else None,
            "".join(codes[i] for i in order),
            utc,
        )

    def events(self) -> Iterator[Event]:
        """The check-ins as events the fold takes: the time as the payload gave it, no location (no figure of
        the register depends on it)."""
        for seq, kind, text, code in zip(self.seqs, self.kinds, self.texts, self.codes, strict=True):
            payload = {"participant": self.pid, "at": text, "source": SOURCE_OF[code], "location": None}
            yield Event(seq, "", EPOCH, "", CHECKS[0] if kind == "1" else CHECKS[1], payload)


# One channel's intervals: starts, where each stops counting, the source letter of each, the local date of
# each run of them (its ordinal, and the index after its last), and whether the last is still open.
_Intervals = tuple[list[datetime], list[datetime], str, list[tuple[int, int]], bool]


def found(row: Row, days: Days, now: datetime) -> Found | None:
    """``row`` in bulk, when its record lets it be done exactly (see the module's docstring); else None.
    ``now`` in UTC."""
    times, kinds, codes = row.times, row.kinds, row.codes
    if times is None or not row.utc:
        return None
    present = set(codes)
    if present <= _LIVE or len(present) == 1:
        channels = [(times, kinds, codes)]
    else:
        channels = []
        for letters in ("fq", "z", "t"):
            mask = [code in letters for code in codes]
            if any(mask):
                channels.append(
                    (list(compress(times, mask)), "".join(compress(kinds, mask)), "".join(compress(codes, mask)))
                )
    intervals: list[_Intervals] = []
    for given, ins, sources in channels:
        keep = list(map(ne, ins, "0" + ins[:-1]))  # in after in, or out after out: no change
        moments, letters = given, sources
        if not all(keep):
            moments = list(compress(given, keep))
            letters = "".join(compress(sources, keep))
        if not all(map(le, moments, moments[1:])):
            return None  # a time goes back: the fold decides
        starts, closes = moments[0::2], moments[1::2]
        clipped = _stops(starts, closes, days, now)
        if clipped is None:
            return None
        stops, dates = clipped
        intervals.append((starts, stops, letters[0::2], dates, len(closes) < len(starts)))
    return _found(intervals)


def _stops(
    starts: list[datetime], closes: list[datetime], days: Days, now: datetime
) -> tuple[list[datetime], list[tuple[int, int]]] | None:
    """Where each interval stops counting (:meth:`Register.stop`), and each local date's run of intervals
    (the date's ordinal, the index after its last); None when a date's midnight is not clean."""
    stops = list(closes)
    if len(stops) < len(starts):  # the last is open: it counts until now
        stops.append(max(now, starts[-1]))
    dates = []
    lo, count = 0, len(starts)
    while lo < count:
        bounds = days.bounds(starts[lo])
        if bounds is None:
            return None
        ordinal, midnight, ended = bounds
        hi = bisect_left(starts, midnight, lo)
        # Sorted, and each stopping before the next begins: only two of a date's run can pass its cutoff, the
        # last begun by the end of the days run on the date, and the date's last.
        k = bisect_right(starts, ended, lo, hi) if ended is not None else lo
        if k > lo and ended is not None:
            stops[k - 1] = max(starts[k - 1], min(stops[k - 1], ended))
        if hi - 1 >= k:
            stops[hi - 1] = max(starts[hi - 1], min(stops[hi - 1], midnight))
        dates.append((ordinal, hi))
        lo = hi
    return stops, dates


def _found(intervals: list[_Intervals]) -> Found:
    simple = False
    if len(intervals) == 1:
        starts, stops = intervals[0][0], intervals[0][1]
        # none of no length, none touching the next: the intervals are the spans already
        simple = not any(map(le, stops, starts)) and all(map(ne, starts[1:], stops[:-1]))
    span_starts, span_ends = (starts, stops) if simple else _merged(intervals)
    sources: list[tuple[str, list[datetime], list[datetime]]] = []
    opens = []
    for starts, stops, letters, _, is_open in intervals:
        codes = sorted(set(letters))
        if len(codes) == 1:  # one source's intervals, sorted and disjoint: where they stop only grows
            sources.append((SOURCE_OF[codes[0]], starts, stops))
        else:
            for code in codes:
                mask = [letter == code for letter in letters]
                sources.append((SOURCE_OF[code], list(compress(starts, mask)), list(compress(stops, mask))))
        if is_open:
            opens.append((starts[-1], stops[-1]))
    before = list(accumulate(map(sub, span_ends, span_starts), initial=_NOTHING))
    return Found(span_starts, span_ends, before, sources, opens)


def _merged(intervals: list[_Intervals]) -> tuple[list[datetime], list[datetime]]:
    """The spans: every channel's intervals merged within each local date (touching ones joined), as
    :meth:`Register.spans` merges them; then those of no length left out, which no figure here tells from none."""
    keyed: list[tuple[int, datetime, datetime]] = []
    for starts, stops, _, dates, _ in intervals:
        lo = 0
        for ordinal, hi in dates:
            keyed.extend(zip(repeat(ordinal, hi - lo), starts[lo:hi], stops[lo:hi], strict=True))
            lo = hi
    keyed.sort()
    span_starts: list[datetime] = []
    span_ends: list[datetime] = []
    current = None
    for ordinal, start, stop in keyed:
        if ordinal == current and start <= span_ends[-1]:
            span_ends[-1] = max(span_ends[-1], stop)
        else:
            span_starts.append(start)
            span_ends.append(stop)
            current = ordinal
    kept = list(map(ne, span_starts, span_ends))
    if all(kept):
        return span_starts, span_ends
    return list(compress(span_starts, kept)), list(compress(span_ends, kept))
