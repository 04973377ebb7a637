"""Attendance: who was in the room (or on the call) when, folded from check-in events, and what it adds up to.

The record is intervals per participant. Each interval knows its source: ``facilitator`` (checked in by
hand), ``qr`` (the participant's own check-in page), ``zoom`` or ``teams`` (a video-call report imported
afterwards). Sources are followed on separate *channels* so that they cannot close each other's
intervals: the two live sources, ``facilitator`` and ``qr``, share the ``live`` channel (a person scans the
code, the facilitator checks them out when they leave); each report source has its own. On a channel:

- a check-in while already in is ignored, and so is a check-in at a time an earlier interval already
  covers (re-importing the same report changes nothing);
- a check-out while out is ignored; a check-out dated before its check-in closes the interval at once;
- dropping out and returning makes a second interval of the same person.

Intervals of different channels may overlap (the room and the call both saw the person); they are merged
before anything is counted, so no minute is counted twice.

A five-day run holds hundreds of thousands of intervals (issue 14), so they are kept compact: per person and
channel, arrays of start and end (microseconds since the epoch) and a small code per interval into one table
of what the intervals share (source, location, time zones). :class:`Interval` objects are made only when
asked for. A link's history is kept the same way. :meth:`Attendance.dump` and :meth:`Attendance.load` write
and read the whole fold for the run's checkpoint (facilitator.live.checkpoint).

What the intervals add up to, measured against the session as it actually ran, is
:class:`facilitator.live.register.Register`.
"""

from __future__ import annotations

import bisect
import contextlib
import sys
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any, Literal, cast, overload
from zoneinfo import ZoneInfo

from facilitator.attendance.roster import Roster
from facilitator.record import events as ev
from facilitator.record.checkpoints import Share
from facilitator.record.clock import from_text, zone
from facilitator.record.events import Event
from facilitator.team.join_requests import JoinRequests

FORMAT = 1  # the layout of :meth:`Attendance.dump`; bumped whenever it changes, so an older checkpoint is rebuilt

SOURCES = ("facilitator", "qr", "zoom", "teams")
LIVE_SOURCES = ("facilitator", "qr")
MARKS = ("late", "excused", "absent")
STATUSES = ("present", "late", "excused", "absent")
LINK_STATUSES = ("not-joined", "connected", "dropped")
NOT_JOINED = "not-joined"

Span = tuple[datetime, datetime]  # a closed stretch of time, start <= end


def channel(source: str) -> str:
    """The channel a source's check-ins and check-outs act on: ``live`` for the room, else the source."""
    return "live" if source in LIVE_SOURCES else source


@dataclass(frozen=True, slots=True)
class Interval:
    """One stretch a participant was in, from a check-in to its check-out on one source (``end`` None: still in)."""

    start: datetime
    end: datetime | None  # None: still in
    source: str
    location: str | None = None  # where the check-in said the person was; None: their roster location

    def until(self, now: datetime) -> datetime:
        return self.end if self.end is not None else max(now, self.start)


@dataclass(frozen=True, slots=True)
class LinkChange:
    """One change of a location's video link (connected, dropped): when, and who recorded it."""

    at: datetime
    status: str
    actor: str


# -- compact times ----------------------------------------------------------------------------------------
#
# A moment is kept as microseconds since the epoch and its tzinfo (in a code table, never per moment). The
# record's times are UTC (facilitator.record.clock.from_text gives datetime.UTC for its "Z"); a hand-made log
# may hold other offsets, or naive times (read as if UTC): both come back as they were given. (Two tzinfos
# that compare equal, such as one offset under two names, share a row: the first one seen is kept.)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MICRO = timedelta(microseconds=1)
_NARROW, _WIDE = "B", "I"  # array types of codes: one byte while a table has at most 256 rows, else four
_LITTLE = sys.byteorder == "little"  # dumps are little-endian whatever the machine
_Format = Literal["B", "I", "q"]  # of the arrays in a dump
if TYPE_CHECKING:
    from typing import TypeAlias

    Values: TypeAlias = array[int] | memoryview  # a track's numbers: its own, or a view of a checkpoint's part


def _micros(moment: datetime) -> int:
    try:
        return (moment - _EPOCH) // _MICRO
    except TypeError:  # naive
        return (moment - _NAIVE_EPOCH) // _MICRO


def _moment(micros: int, tz: tzinfo | None) -> datetime:
    """The moment :func:`_micros` gave ``micros`` for, equal to it and with its tzinfo ``tz``."""
    if tz is UTC:
        return _EPOCH + _MICRO * micros
    if tz is None:
        return _NAIVE_EPOCH + _MICRO * micros
    return (_EPOCH + _MICRO * micros).astimezone(tz)


def _zone_doc(tz: tzinfo | None) -> Any:
    """``tz`` as JSON: None (naive), an offset in microseconds (with its name if not the usual one) or a zone."""
    if tz is None:
        return None
    if isinstance(tz, timezone):
        offset = tz.utcoffset(None) // _MICRO
        name = tz.tzname(None)
        return offset if timezone(offset * _MICRO).tzname(None) == name else [offset, name]
    if isinstance(tz, ZoneInfo) and tz.key:
        return tz.key
    raise TypeError(f"a time zone the checkpoint cannot keep: {tz!r}")


def _zone_of(doc: Any) -> tzinfo | None:
    if doc is None:
        return None
    if isinstance(doc, int):
        return timezone(doc * _MICRO)  # datetime.UTC itself for 0
    if isinstance(doc, list):
        return timezone(doc[0] * _MICRO, doc[1])
    return zone(doc)


class _Codes:
    """Rows of a small table, each known by its code (its index): the first time a row is asked for it is added."""

    __slots__ = ("index", "rows")

    def __init__(self, rows: Iterable[tuple[Any, ...]] = ()) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.index: dict[tuple[Any, ...], int] = {}
        for row in rows:
            self.rows.append(row)
            with contextlib.suppress(TypeError):  # found the slow way (:meth:`code`)
                self.index.setdefault(row, len(self.rows) - 1)

    def code(self, row: tuple[Any, ...]) -> int:
        try:
            found = self.index.get(row)
        except TypeError:  # a list or a dict where text belongs (a hand-edited log): found the slow way
            found = next((n for n, known in enumerate(self.rows) if known == row), None)
        return found if found is not None else self._add(row)

    def _add(self, row: tuple[Any, ...]) -> int:
        code = len(self.rows)
        self.rows.append(row)
        with contextlib.suppress(TypeError):
            self.index[row] = code
        return code


def _push(codes: array[int], code: int) -> array[int]:
    """``codes`` with ``code`` appended: the same array, or a wider copy when it does not fit one byte."""
    try:
        codes.append(code)
    except OverflowError:
        codes = array(_WIDE, codes)
        codes.append(code)
    return codes


def _blob(values: array[int]) -> bytes:
    if not _LITTLE:
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


class _Unblob:
    """A dumped array read back a piece at a time, each piece copied once (never the whole array first)."""

    __slots__ = ("offset", "typecode", "values", "view")

    def __init__(self, typecode: str, blob: bytes) -> None:
        self.typecode = typecode
        self.view = memoryview(blob)
        self.offset = 0
        # The part as values where the machine's byte order is the dump's; None where it is not (each piece is
        # copied and swapped) or the part is not a whole number of values (take says so).
        size = array(typecode).itemsize
        self.values = self.view.cast(cast(_Format, typecode)) if _LITTLE and len(blob) % size == 0 else None

    def piece(self, count: int) -> Values:
        """The next ``count`` values, without a copy where they can be read in place: a read-only view of the part
        (a track copies its own when it first changes: _Track.own). Opening a long run made some 3,000 arrays
        here, on the database thread, while the app's modules import on the main one (issue 14)."""
        values = self.values
        if values is None:
            return self.take(count)
        start = self.offset // values.itemsize
        if start + count > len(values):
            raise ValueError("a checkpoint's part is shorter than its document says")
        self.offset += count * values.itemsize
        return values[start : start + count]

    def take(self, count: int) -> array[int]:
        values = array(self.typecode)
        stop = self.offset + count * values.itemsize
        if stop > len(self.view):
            raise ValueError("a checkpoint's part is shorter than its document says")
        values.frombytes(self.view[self.offset : stop])
        self.offset = stop
        if not _LITTLE:
            values.byteswap()
        return values

    def done(self) -> None:
        if self.offset != len(self.view):
            raise ValueError("a checkpoint's part is longer than its document says")


def _concat(typecode: str, parts: Iterable[Values]) -> array[int]:
    whole = array(typecode)
    for part in parts:
        if isinstance(part, memoryview) and part.format == typecode:
            whole.frombytes(part.cast("B"))
        elif isinstance(part, array) and part.typecode == typecode:
            whole.extend(part)
        else:
            whole.fromlist(part.tolist())
    return whole


def _copy(values: Values) -> array[int]:
    """``values`` as an array of its own, of the same type."""
    if isinstance(values, array):
        return values
    return _concat(values.format, (values,))


def _codes_type(rows: int) -> str:
    return _NARROW if rows <= 256 else _WIDE


# An Interval made by setting its slots: its own __init__ (a frozen dataclass's) costs as much as all the rest of
# making one from the arrays, and a reader may ask for every interval of a five-day run.
_NEW = object.__new__
_SETTERS = tuple(Interval.__dict__[name].__set__ for name in ("start", "end", "source", "location"))


class _Track:
    """One person's intervals on one channel: closed ones sorted and disjoint, and at most one open.

    The closed ones are three arrays, an interval at each index: its start and end in microseconds and the
    code of its row (source, location, start's tzinfo, end's tzinfo) in the attendance's table. The open one
    is its start, as given, with its source and location.
    """

    __slots__ = ("codes", "ends", "open", "open_location", "open_source", "open_us", "starts")

    def __init__(self, starts: Values | None = None, ends: Values | None = None, codes: Values | None = None):
        # Arrays, or read-only views of a checkpoint's parts until the track first changes (own).
        self.starts: Values = starts if starts is not None else array("q")
        self.ends: Values = ends if ends is not None else array("q")
        self.codes: Values = codes if codes is not None else array(_NARROW)
        self.open: datetime | None = None  # when the open interval began; None: out
        self.open_us = 0
        self.open_source = ""
        self.open_location: str | None = None

    def check_in(self, at: datetime, at_us: int, source: str, location: str | None) -> None:
        if self.open is not None:
            return
        ends = self.ends
        if ends and at_us < ends[-1]:  # not the usual case (after every closed stretch): already in then?
            index = bisect.bisect_right(self.starts, at_us)
            if index and at_us < ends[index - 1]:
                return
        self.open, self.open_us, self.open_source, self.open_location = at, at_us, source, location

    def check_out(self, at: datetime, at_us: int, table: _Codes) -> None:
        start = self.open
        if start is None:
            return
        self.open = None
        start_us = self.open_us
        end, end_us = (at, at_us) if at_us >= start_us else (start, start_us)
        ends = self.ends
        if not ends or start_us >= ends[-1]:  # the usual case: after every closed stretch, nothing to merge
            row = (self.open_source, self.open_location, start.tzinfo, end.tzinfo)
            try:
                code = table.index[row]
            except (KeyError, TypeError):
                code = table.code(row)
            own_starts, own_ends, own_codes = self.own()
            own_starts.append(start_us)
            own_ends.append(end_us)
            try:
                own_codes.append(code)
            except OverflowError:
                self.codes = _push(own_codes, code)
            return
        start_tz, end_tz = start.tzinfo, end.tzinfo
        starts: list[int] = []
        kept_ends: list[int] = []
        codes: list[int] = []
        for s, e, code in zip(self.starts, ends, self.codes, strict=True):
            if s < end_us and start_us < e:  # overlaps: a back-dated stretch joins it
                row = table.rows[code]
                if s <= start_us:  # as min() and max() would pick between datetimes: the first of equals
                    start_us, start_tz = s, row[2]
                if e >= end_us:
                    end_us, end_tz = e, row[3]
            else:
                starts.append(s)
                kept_ends.append(e)
                codes.append(code)
        index = bisect.bisect_right(starts, start_us)
        starts.insert(index, start_us)
        kept_ends.insert(index, end_us)
        codes.insert(index, table.code((self.open_source, self.open_location, start_tz, end_tz)))
        self.starts, self.ends = array("q", starts), array("q", kept_ends)
        self.codes = array(_codes_type(max(codes) + 1), codes)

    def own(self) -> tuple[array[int], array[int], array[int]]:
        """Its arrays, to change: copies of the views it was loaded with, the first time."""
        starts, ends, codes = self.starts, self.ends, self.codes
        if isinstance(starts, array) and isinstance(ends, array) and isinstance(codes, array):
            return starts, ends, codes
        self.starts, self.ends, self.codes = owned = (_copy(starts), _copy(ends), _copy(codes))
        return owned

    def any_begun(self, low: int, high: int) -> bool:
        """Whether :meth:`intervals` would find one begun at ``low`` or later and before ``high``."""
        starts = self.starts
        if bisect.bisect_left(starts, low) < bisect.bisect_left(starts, high):
            return True
        return self.open is not None and low <= self.open_us < high

    def intervals(self, rows: Sequence[tuple[Any, ...]], low: int | None, high: int | None) -> list[Interval]:
        """The intervals begun at ``low`` or later and before ``high`` (microseconds; None: no bound), by start."""
        starts, ends, codes = self.starts, self.ends, self.codes
        first = bisect.bisect_left(starts, low) if low is not None else 0
        last = bisect.bisect_left(starts, high) if high is not None else len(starts)
        if first or last < len(starts):
            starts, ends, codes = starts[first:last], ends[first:last], codes[first:last]
        epoch, micro = _EPOCH, _MICRO
        new, set_start, set_end, set_source, set_location = _NEW, *_SETTERS
        found = []
        for s, e, code in zip(starts, ends, codes, strict=True):
            source, location, start_tz, end_tz = rows[code]
            interval = new(Interval)
            set_start(interval, epoch + micro * s if start_tz is UTC else _moment(s, start_tz))
            set_end(interval, epoch + micro * e if end_tz is UTC else _moment(e, end_tz))
            set_source(interval, source)
            set_location(interval, location)
            found.append(interval)
        opened = self.open
        if opened is not None and (low is None or self.open_us >= low) and (high is None or self.open_us < high):
            found.append(Interval(opened, None, self.open_source, self.open_location))
        return found


class LinkHistory(Sequence[LinkChange]):
    """A location's link changes, oldest first: a time and a code (status, actor, tzinfo) per change."""

    __slots__ = ("_at", "_codes", "_table")

    def __init__(self, at: array[int] | None = None, codes: array[int] | None = None, table: _Codes | None = None):
        self._at = at if at is not None else array("q")
        self._codes = codes if codes is not None else array(_NARROW)
        self._table = table if table is not None else _Codes()

    def add(self, at: datetime, status: str, actor: str) -> None:
        self._at.append(_micros(at))
        self._codes = _push(self._codes, self._table.code((status, actor, at.tzinfo)))

    def status(self) -> str:
        """The latest change's status (there is one: a history begins with its first change)."""
        return str(self._table.rows[self._codes[-1]][0])

    def __len__(self) -> int:
        return len(self._at)

    @overload
    def __getitem__(self, index: int) -> LinkChange: ...

    @overload
    def __getitem__(self, index: slice) -> list[LinkChange]: ...

    def __getitem__(self, index: int | slice) -> LinkChange | list[LinkChange]:
        if isinstance(index, slice):
            return [self[n] for n in range(*index.indices(len(self)))]
        status, actor, tz = self._table.rows[self._codes[index]]
        return LinkChange(_moment(self._at[index], tz), status, actor)

    def __iter__(self) -> Iterator[LinkChange]:
        rows = self._table.rows
        for micros, code in zip(self._at, self._codes, strict=True):
            status, actor, tz = rows[code]
            yield LinkChange(_moment(micros, tz), status, actor)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LinkHistory | list):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LinkHistory({list(self)!r})"

    def outages(self, now: datetime) -> list[Span]:
        spans: list[Span] = []
        rows = self._table.rows
        down_since: datetime | None = None
        for micros, code in zip(self._at, self._codes, strict=True):
            status, _, tz = rows[code]
            if status == "dropped" and down_since is None:
                down_since = _moment(micros, tz)
            elif status != "dropped" and down_since is not None:
                spans.append((down_since, _moment(micros, tz)))
                down_since = None
        if down_since is not None:
            spans.append((down_since, max(now, down_since)))
        return spans

    def dump(self) -> tuple[list[Any], array[int], array[int]]:
        rows = [[status, actor, _zone_doc(tz)] for status, actor, tz in self._table.rows]
        return [len(self._at), rows], self._at, self._codes

    @classmethod
    def load(cls, rows: list[list[Any]], at: array[int], codes: array[int]) -> LinkHistory:
        return cls(at, codes, _Codes((status, actor, _zone_of(tz)) for status, actor, tz in rows))


class Attendance:
    """Intervals per participant, day marks and link status per location, kept current by :meth:`apply`.

    Updated in place like :class:`~facilitator.attendance.roster.Roster` (which it holds as ``roster`` and
    folds from the same events) and a pure function of the events it was given. Times of check-ins come
    from their payloads, so a report imported afterwards is placed where it happened.
    """

    def __init__(self) -> None:
        self.roster = Roster()
        self.requests = JoinRequests()  # people asking, from the participant page, to be added
        self._tracks: dict[str, dict[str, _Track]] = {}
        self._rows = _Codes()  # of closed intervals: (source, location, start's tzinfo, end's tzinfo)
        self.marks: dict[tuple[str, date], str] = {}
        self.links: dict[str, LinkHistory] = {}
        self.last_seq = 0
        # What a screen that shows attendance asks after each fold (facilitator.tui.snapshot.AttendanceReader),
        # so it need not read the events again: the last event that changed anything here, and whose
        # check-ins changed when (a participant's last check-in or check-out folded). Not in a checkpoint:
        # a reader starts from the state as it finds it, and counts changes from its first read on.
        self.changed_seq = 0
        self.checked_seq: dict[str, int] = {}
        # any_begun's last window and its bounds in microseconds (a register asks it of everyone in turn)
        self._bounds: tuple[datetime | None, datetime | None, int, int] = (None, None, 0, 0)

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> Attendance:
        attendance = cls()
        for event in events:
            attendance.apply(event)
        return attendance

    def apply(self, event: Event) -> None:
        p = event.payload
        kind = event.kind
        if kind == ev.ATTENDANCE_CHECKED_IN:
            source = p.get("source") or "facilitator"
            track = self._track(p["participant"], source)
            if track.open is None:
                at = _when(event)
                try:
                    at_us = (at - _EPOCH) // _MICRO  # _micros(at), without the call: once per check-in
                except TypeError:
                    at_us = _micros(at)
                track.check_in(at, at_us, source, p.get("location"))
            self.checked_seq[p["participant"]] = self.changed_seq = event.seq
        elif kind == ev.ATTENDANCE_CHECKED_OUT:
            track = self._track(p["participant"], p.get("source") or "facilitator")
            if track.open is not None:
                at = _when(event)
                try:
                    at_us = (at - _EPOCH) // _MICRO
                except TypeError:
                    at_us = _micros(at)
                track.check_out(at, at_us, self._rows)
            self.checked_seq[p["participant"]] = self.changed_seq = event.seq
        elif kind in (ev.PARTICIPANT_ADDED, ev.PARTICIPANT_UPDATED):
            self.roster.apply(event)
            self.changed_seq = event.seq
        elif kind in (ev.PARTICIPANT_REQUESTED, ev.PARTICIPANT_REQUEST_DECIDED):
            self.requests.apply(event)
        elif kind in (ev.ATTENDANCE_MARKED, ev.LOCATION_LINK):
            self._mark_or_link(event)
            self.changed_seq = event.seq
        self.last_seq = max(self.last_seq, event.seq)

    def checked_since(self, seq: int) -> list[str]:
        """Who had a check-in or a check-out folded after ``seq`` (since this fold was made or loaded)."""
        return [participant for participant, at in self.checked_seq.items() if at > seq]

    def _mark_or_link(self, event: Event) -> None:
        p = event.payload
        if event.kind == ev.ATTENDANCE_MARKED:
            key = (p["participant"], date.fromisoformat(p["day"]))
            if p.get("status") in MARKS:
                self.marks[key] = p["status"]
            else:
                self.marks.pop(key, None)
        elif p.get("status") in LINK_STATUSES:
            history = self.links.get(p["location"])
            if history is None:
                history = self.links[p["location"]] = LinkHistory()
            history.add(event.at, p["status"], event.actor)

    def _track(self, participant: str, source: str) -> _Track:
        tracks = self._tracks.get(participant)
        if tracks is None:
            tracks = self._tracks[participant] = {}
        name = "live" if source in LIVE_SOURCES else source  # channel(source), without the call: once per event
        track = tracks.get(name)
        if track is None:
            track = tracks[name] = _Track()
        return track

    # -- reading ---------------------------------------------------------------------------------------

    def size(self) -> int:
        """How many intervals there are, of everyone on every channel: what reading them all would cost."""
        return sum(len(t.starts) + (t.open is not None) for tracks in self._tracks.values() for t in tracks.values())

    def participants(self) -> list[str]:
        """Everyone with at least one interval (a report may name people the roster does not have yet)."""
        return list(self._tracks)

    def any_begun(self, participant: str, since: datetime, until: datetime) -> bool:
        """Whether ``participant`` has an interval begun at ``since`` or later and before ``until``: what
        :meth:`intervals` would find, without making them (most people have none begun today when a run is
        opened outside its hours, and asking it of each of a thousand is the first snapshot of a long run)."""
        tracks = self._tracks.get(participant)
        if not tracks:
            return False
        bounds = self._bounds
        if bounds[0] is not since or bounds[1] is not until:  # asked of everyone in turn with the same window
            bounds = self._bounds = (since, until, _micros(since), _micros(until))
        low, high = bounds[2], bounds[3]
        return any(track.any_begun(low, high) for track in tracks.values())

    def intervals(
        self, participant: str, since: datetime | None = None, until: datetime | None = None
    ) -> list[Interval]:
        """Every interval of ``participant`` over all channels, by start; different channels may overlap.

        Only those begun at ``since`` or later and before ``until``, when given: found by bisection, so that
        a question about one day of a long run makes only that day's intervals.
        """
        rows = self._rows.rows
        low = _micros(since) if since is not None else None
        high = _micros(until) if until is not None else None
        tracks = self._tracks.get(participant, {}).values()
        found = [iv for track in tracks for iv in track.intervals(rows, low, high)]
        found.sort(key=_by_start)
        return found

    def is_in(self, participant: str, source: str | None = None) -> bool:
        """Whether ``participant`` has an open interval: on ``source``'s channel, or on any when None."""
        tracks = self._tracks.get(participant, {})
        if source is not None:
            track = tracks.get(channel(source))
            return track is not None and track.open is not None
        return any(track.open is not None for track in tracks.values())

    def open_starts(self, participant: str) -> list[datetime]:
        """When each of ``participant``'s open intervals began, one per channel they are in on."""
        return [track.open for track in self._tracks.get(participant, {}).values() if track.open is not None]

    def open_since(self, participant: str, source: str) -> datetime | None:
        """When ``participant``'s open interval on ``source``'s channel began; None when they are out."""
        track = self._tracks.get(participant, {}).get(channel(source))
        return track.open if track is not None else None

    def mark(self, participant: str, day: date) -> str | None:
        return self.marks.get((participant, day))

    def link_status(self, location: str) -> str:
        history = self.links.get(location)
        return history.status() if history else NOT_JOINED

    def link_history(self, location: str) -> list[LinkChange]:
        return list(self.links.get(location, ()))

    def outages(self, location: str, now: datetime) -> list[Span]:
        """The stretches during which ``location``'s link was down (dropped), the last one up to ``now``."""
        history = self.links.get(location)
        return history.outages(now) if history is not None else []

    # -- the checkpoint --------------------------------------------------------------------------------

    def dump(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        """The whole fold, for :meth:`load`: a JSON document and binary parts (little-endian arrays).

        The same fold gives the same dump, so two folds can be compared by their dumps.
        """
        tracks = [track for by_channel in self._tracks.values() for track in by_channel.values()]
        codes_type = _codes_type(len(self._rows.rows))
        links = {location: history.dump() for location, history in self.links.items()}
        link_codes_type = _codes_type(max((len(history._table.rows) for history in self.links.values()), default=0))
        roster, roster_parts = self.roster.dump()
        requests, requests_parts = self.requests.dump()
        doc = {
            "format": FORMAT,
            "last_seq": self.last_seq,
            "roster": roster,
            "requests": requests,
            "rows": [[source, location, _zone_doc(s), _zone_doc(e)] for source, location, s, e in self._rows.rows],
            "codes": codes_type,
            "tracks": [
                [participant, [[name, len(track.starts), _open_doc(track)] for name, track in by_channel.items()]]
                for participant, by_channel in self._tracks.items()
            ],
            "marks": [[participant, day.isoformat(), status] for (participant, day), status in self.marks.items()],
            "links": [[location, *head] for location, (head, _, _) in links.items()],
            "link_codes": link_codes_type,
        }
        parts = {
            "starts": _blob(_concat("q", (track.starts for track in tracks))),
            "ends": _blob(_concat("q", (track.ends for track in tracks))),
            "codes": _blob(_concat(codes_type, (track.codes for track in tracks))),
            "link_at": _blob(_concat("q", (at for _, at, _ in links.values()))),
            "link_codes": _blob(_concat(link_codes_type, (codes for _, _, codes in links.values()))),
        }
        parts.update({f"roster/{name}": part for name, part in roster_parts.items()})
        parts.update({f"requests/{name}": part for name, part in requests_parts.items()})
        return doc, parts

    @classmethod
    def load(cls, doc: Mapping[str, Any], parts: Mapping[str, bytes]) -> Attendance:
        """The fold :meth:`dump` gave ``doc`` and ``parts`` for, to read and to fold further."""
        if doc["format"] != FORMAT:
            raise ValueError(f"an attendance checkpoint of format {doc['format']}, not {FORMAT}")
        attendance = cls()
        attendance.last_seq = doc["last_seq"]
        attendance.roster = Roster.load(doc["roster"], Share(parts, "roster"))
        attendance.requests = JoinRequests.load(doc["requests"], Share(parts, "requests"))
        attendance._rows = _Codes(
            (source, location, _zone_of(s), _zone_of(e)) for source, location, s, e in doc["rows"]
        )
        starts, ends = _Unblob("q", parts["starts"]), _Unblob("q", parts["ends"])
        codes = _Unblob(doc["codes"], parts["codes"])
        for participant, channels in doc["tracks"]:
            by_channel = attendance._tracks[participant] = {}
            for name, count, opened in channels:
                track = by_channel[name] = _Track(starts.piece(count), ends.piece(count), codes.piece(count))
                if opened is not None:
                    track.open_us, tz, track.open_source, track.open_location = opened
                    track.open = _moment(track.open_us, _zone_of(tz))
        attendance.marks = {(participant, date.fromisoformat(day)): status for participant, day, status in doc["marks"]}
        link_at, link_codes = _Unblob("q", parts["link_at"]), _Unblob(doc["link_codes"], parts["link_codes"])
        for location, count, rows in doc["links"]:
            attendance.links[location] = LinkHistory.load(rows, link_at.take(count), link_codes.take(count))
        for part in (starts, ends, codes, link_at, link_codes):
            part.done()
        return attendance


def _by_start(interval: Interval) -> tuple[datetime, str]:
    return interval.start, interval.source


def _open_doc(track: _Track) -> list[Any] | None:
    if track.open is None:
        return None
    return [track.open_us, _zone_doc(track.open.tzinfo), track.open_source, track.open_location]


def _when(event: Event) -> datetime:
    text = event.payload.get("at")
    if isinstance(text, str):
        try:
            return from_text(text)
        except ValueError:
            pass
    return event.at


# -- time arithmetic --------------------------------------------------------------------------------------


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """The union of ``spans`` as sorted, disjoint spans (touching ones joined); the order given does not matter."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def overlap(a: Sequence[Span], b: Sequence[Span]) -> timedelta:
    """Total time covered by both ``a`` and ``b``, each sorted and disjoint (as :func:`merge_spans` gives)."""
    total = timedelta()
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if end > start:
            total += end - start
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def minutes(duration: timedelta) -> float:
    return duration.total_seconds() / 60
