"""What the turns come to for one window (a step on a day, or a whole day): turns and speaking time by gender and
by location, against each group's share of the people present.

The figure the course asks facilitators to notice is the gap between the two shares ("women 52% of the room,
31% of the speaking time"), so both are measured over the same window and the same people:

- the window is when its step (or its day's steps) ran, as the register counts it (each visit up to when it was
  left, ``now`` while it runs, never past its day's end, facilitator.live.register), together with the window's
  turns themselves (a turn tallied before the first step, or running on past the step it began in);
- present is everyone whose attendance (facilitator.attendance.intervals, every channel) overlaps that window,
  and everyone who had a turn in it (they were checked in to get one);
- a person counts at the location of their latest check-in within the window, else their roster location, and
  under their gender as normalised (facilitator.attendance.gender.category: unknown is "not stated");
- a turn counts for the step it began in; one still open counts up to ``now``, never past its day's end.

Pure: the same turns, state, attendance and ``now`` give the same tally, on a screen or in an export.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from facilitator.attendance.gender import NOT_STATED, category
from facilitator.attendance.intervals import Attendance, Interval, Span, merge_spans
from facilitator.problems import InputError
from facilitator.script.models import Programme
from facilitator.speaking.turns import Turn

STEP = "step"
DAY = "day"
WINDOWS = (STEP, DAY)
UNKNOWN = "unknown"  # the location of a speaker who is not on the roster (a hand-edited log)


@dataclass(frozen=True)
class Window:
    """The turns a tally counts: those of ``step`` of ``exercise`` on ``day`` (kind step), or all of ``day``'s."""

    kind: str
    day: date | None
    exercise: str | None = None
    step: str | None = None

    def holds(self, turn: Turn) -> bool:
        if turn.day != self.day:
            return False
        return self.kind == DAY or (turn.exercise, turn.step) == (self.exercise, self.step)


def window(kind: str, day: date | None, exercise: str | None = None, step: str | None = None) -> Window:
    """The window of ``kind``: ``step`` of ``exercise`` on ``day``, or the whole of ``day``."""
    if kind not in WINDOWS:
        raise InputError(f"window: {kind!r} is not one of {', '.join(WINDOWS)}")
    return Window(DAY, day) if kind == DAY else Window(STEP, day, exercise, step)


class Ends(Protocol):
    def clip(self, start: datetime, end: datetime) -> datetime: ...


class Measure(Protocol):
    """What a tally reads of the run as it ran: a :class:`facilitator.live.register.Register` (named, not
    imported: facilitator.live imports this package)."""

    @property
    def now(self) -> datetime: ...
    @property
    def programme(self) -> Programme: ...
    @property
    def attendance(self) -> Attendance: ...
    @property
    def ends(self) -> Ends: ...

    def stop(self, interval: Interval) -> datetime: ...
    def ran(self, day: date, exercise: str | None = None, step: str | None = None) -> list[Span]: ...
    def begun_by(self, moment: datetime) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Row:
    """One group (a gender, or a location id): its people present, turns and speaking time, and each as a
    share of the window's whole (None when the whole is nothing)."""

    group: str
    present: int
    turns: int
    seconds: float
    share_present: float | None
    share_turns: float | None
    share_time: float | None


@dataclass(frozen=True)
class Tally:
    """What the turns of one window come to: the people present, the turns and the seconds spoken, and a
    row per gender and per location."""

    window: Window
    present: int
    turns: int
    seconds: float
    rows_by_gender: tuple[Row, ...]
    rows_by_location: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Person:
    """Who counts in a tally, and as what."""

    id: str
    location: str
    gender: str


def tally(turns: Iterable[Turn], window: Window, register: Measure) -> Tally:
    """What ``turns`` come to in ``window``, on the record ``register`` measures at its ``now``."""
    mine = [turn for turn in turns if window.holds(turn)]
    stops = {turn.id: _stop(turn, register) for turn in mine}
    ran = []  # before the first step of a day (or with no day open) only the turns themselves make the window
    if window.day is not None and (window.kind == DAY or window.step is not None):
        ran = register.ran(window.day, window.exercise, window.step)
    spans = merge_spans([*ran, *((t.started, stops[t.id]) for t in mine)])
    people = present(register, spans, [turn.participant for turn in mine])
    speaking: dict[str, tuple[int, float]] = {}  # participant -> (turns, seconds)
    for turn in mine:
        n, seconds = speaking.get(turn.participant, (0, 0.0))
        speaking[turn.participant] = (n + 1, seconds + (stops[turn.id] - turn.started).total_seconds())
    order = [loc.id for loc in register.programme.workshop.locations]
    return Tally(
        window=window,
        present=len(people),
        turns=len(mine),
        seconds=sum(seconds for _, seconds in speaking.values()),
        rows_by_gender=rows(people, speaking, lambda p: p.gender, lambda g: (g == NOT_STATED, g)),
        rows_by_location=rows(
            people,
            speaking,
            lambda p: p.location,
            lambda loc: (loc == UNKNOWN, order.index(loc) if loc in order else len(order), loc),
        ),
    )


def rows(
    people: Iterable[Person],
    speaking: Mapping[str, tuple[int, float]],
    group: Callable[[Person], str],
    order: Callable[[str], tuple[object, ...]],
) -> tuple[Row, ...]:
    """One row per group of ``people`` (by ``group``), in ``order``; ``speaking``: each person's (turns, seconds)."""
    sums: dict[str, tuple[int, int, float]] = {}  # group -> (present, turns, seconds)
    for person in people:
        n, turns, seconds = sums.get(group(person), (0, 0, 0.0))
        spoke, said = speaking.get(person.id, (0, 0.0))
        sums[group(person)] = (n + 1, turns + spoke, seconds + said)
    return rows_of(sums, order)


def rows_of(sums: Mapping[str, tuple[int, int, float]], order: Callable[[str], tuple[object, ...]]) -> tuple[Row, ...]:
    """Rows from each group's (present, turns, seconds), with their shares of the groups' totals."""
    present = sum(n for n, _, _ in sums.values())
    turns = sum(t for _, t, _ in sums.values())
    seconds = sum(s for _, _, s in sums.values())
    return tuple(
        Row(name, n, t, s, _share(n, present), _share(t, turns), _share(s, seconds))
        for name, (n, t, s) in sorted(sums.items(), key=lambda item: order(item[0]))
    )


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _stop(turn: Turn, register: Measure) -> datetime:
    """Where a turn stops counting: its end; ``now`` while it runs, but never past its day's end."""
    if turn.ended is not None:
        return turn.ended
    return register.ends.clip(turn.started, turn.until(register.now))


def _meets(start: datetime, stop: datetime, spans: Iterable[Span]) -> bool:
    """Whether [start, stop] overlaps any of ``spans`` for a while (or holds an instant one)."""
    for begin, end in spans:
        if begin == end:
            if start <= begin <= stop:
                return True
        elif start < end and begin < stop:
            return True
    return False


def present(register: Measure, spans: list[Span], speakers: Iterable[str] = ()) -> list[Person]:
    """Everyone whose attendance overlaps ``spans`` (in roster order), then any of ``speakers`` not among them."""
    roster = register.attendance.roster.by_id
    found: dict[str, Person] = {}
    # Only intervals begun by the spans' end, and late enough to still count at their start, can meet them (one
    # stopped by a midnight touches an instant at that midnight: hence the microsecond before).
    since = register.begun_by(spans[0][0] - timedelta(microseconds=1)) if spans else None
    until = spans[-1][1] + timedelta(microseconds=1) if spans else None
    for pid, person in roster.items():
        where: str | None = None
        seen = False
        for interval in register.attendance.intervals(pid, since=since, until=until):  # by start: the last is latest
            if _meets(interval.start, register.stop(interval), spans):
                seen, where = True, interval.location or person.location
        if seen:
            found[pid] = Person(pid, where or person.location, category(person.gender))
    for pid in speakers:
        if pid not in found:
            known = roster.get(pid)
            found[pid] = (
                Person(pid, known.location, category(known.gender))
                if known is not None
                else Person(pid, UNKNOWN, NOT_STATED)
            )
    return list(found.values())
