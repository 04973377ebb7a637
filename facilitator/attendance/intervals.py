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

What the intervals add up to, measured against the session as it actually ran, is
:class:`facilitator.live.register.Register`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from facilitator.attendance.roster import Roster
from facilitator.record import events as ev
from facilitator.record.clock import from_text
from facilitator.record.events import Event
from facilitator.team.join_requests import JoinRequests

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
    start: datetime
    end: datetime | None  # None: still in
    source: str
    location: str | None = None  # where the check-in said the person was; None: their roster location

    def until(self, now: datetime) -> datetime:
        return self.end if self.end is not None else max(now, self.start)


@dataclass(frozen=True, slots=True)
class LinkChange:
    at: datetime
    status: str
    actor: str


class _Track:
    """One person's intervals on one channel: closed ones sorted and disjoint, and at most one open."""

    __slots__ = ("closed", "open")

    def __init__(self) -> None:
        self.closed: list[Interval] = []
        self.open: Interval | None = None

    def check_in(self, at: datetime, source: str, location: str | None) -> None:
        if self.open is not None:
            return
        if not self.closed or at >= (self.closed[-1].end or at):
            self.open = Interval(at, None, source, location)  # the usual case: after every closed stretch
            return
        index = bisect.bisect_right([iv.start for iv in self.closed], at)
        if index and at < (self.closed[index - 1].end or at):
            return  # already in at that time
        self.open = Interval(at, None, source, location)

    def check_out(self, at: datetime) -> None:
        if self.open is None:
            return
        opened, self.open = self.open, None
        new = Interval(opened.start, max(at, opened.start), opened.source, opened.location)
        if not self.closed or new.start >= (self.closed[-1].end or new.start):
            self.closed.append(new)  # the usual case: after every closed stretch, nothing to merge
            return
        kept: list[Interval] = []
        for iv in self.closed:
            assert iv.end is not None and new.end is not None
            if iv.start < new.end and new.start < iv.end:  # overlaps: a back-dated stretch joins it
                new = Interval(min(iv.start, new.start), max(iv.end, new.end), new.source, new.location)
            else:
                kept.append(iv)
        bisect.insort(kept, new, key=lambda iv: iv.start)
        self.closed = kept

    def intervals(self) -> list[Interval]:
        return [*self.closed, self.open] if self.open is not None else list(self.closed)


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
        self.marks: dict[tuple[str, date], str] = {}
        self.links: dict[str, list[LinkChange]] = {}
        self.last_seq = 0

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> Attendance:
        attendance = cls()
        for event in events:
            attendance.apply(event)
        return attendance

    def apply(self, event: Event) -> None:
        p = event.payload
        kind = event.kind
        if kind in (ev.PARTICIPANT_ADDED, ev.PARTICIPANT_UPDATED):
            self.roster.apply(event)
        elif kind in (ev.PARTICIPANT_REQUESTED, ev.PARTICIPANT_REQUEST_DECIDED):
            self.requests.apply(event)
        elif kind == ev.ATTENDANCE_CHECKED_IN:
            source = p.get("source") or "facilitator"
            track = self._track(p["participant"], source)
            track.check_in(_when(event), source, p.get("location"))
        elif kind == ev.ATTENDANCE_CHECKED_OUT:
            self._track(p["participant"], p.get("source") or "facilitator").check_out(_when(event))
        elif kind == ev.ATTENDANCE_MARKED:
            key = (p["participant"], date.fromisoformat(p["day"]))
            if p.get("status") in MARKS:
                self.marks[key] = p["status"]
            else:
                self.marks.pop(key, None)
        elif kind == ev.LOCATION_LINK and p.get("status") in LINK_STATUSES:
            self.links.setdefault(p["location"], []).append(LinkChange(event.at, p["status"], event.actor))
        self.last_seq = max(self.last_seq, event.seq)

    def _track(self, participant: str, source: str) -> _Track:
        tracks = self._tracks.setdefault(participant, {})
        name = channel(source)
        if name not in tracks:
            tracks[name] = _Track()
        return tracks[name]

    # -- reading ---------------------------------------------------------------------------------------

    def participants(self) -> list[str]:
        """Everyone with at least one interval (a report may name people the roster does not have yet)."""
        return list(self._tracks)

    def intervals(self, participant: str) -> list[Interval]:
        """Every interval of ``participant`` over all channels, by start; different channels may overlap."""
        found = [iv for track in self._tracks.get(participant, {}).values() for iv in track.intervals()]
        return sorted(found, key=lambda iv: (iv.start, iv.source))

    def is_in(self, participant: str, source: str | None = None) -> bool:
        """Whether ``participant`` has an open interval: on ``source``'s channel, or on any when None."""
        tracks = self._tracks.get(participant, {})
        if source is not None:
            track = tracks.get(channel(source))
            return track is not None and track.open is not None
        return any(track.open is not None for track in tracks.values())

    def open_starts(self, participant: str) -> list[datetime]:
        """When each of ``participant``'s open intervals began, one per channel they are in on."""
        return [track.open.start for track in self._tracks.get(participant, {}).values() if track.open is not None]

    def open_since(self, participant: str, source: str) -> datetime | None:
        """When ``participant``'s open interval on ``source``'s channel began; None when they are out."""
        track = self._tracks.get(participant, {}).get(channel(source))
        return track.open.start if track is not None and track.open is not None else None

    def mark(self, participant: str, day: date) -> str | None:
        return self.marks.get((participant, day))

    def link_status(self, location: str) -> str:
        history = self.links.get(location)
        return history[-1].status if history else NOT_JOINED

    def link_history(self, location: str) -> list[LinkChange]:
        return list(self.links.get(location, ()))

    def outages(self, location: str, now: datetime) -> list[Span]:
        """The stretches during which ``location``'s link was down (dropped), the last one up to ``now``."""
        spans: list[Span] = []
        down_since: datetime | None = None
        for change in self.links.get(location, ()):
            if change.status == "dropped" and down_since is None:
                down_since = change.at
            elif change.status != "dropped" and down_since is not None:
                spans.append((down_since, change.at))
                down_since = None
        if down_since is not None:
            spans.append((down_since, max(now, down_since)))
        return spans


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
