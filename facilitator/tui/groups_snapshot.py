"""What the screens show of the breakout groups (issue 17): plain data, built on the database thread.

The groupings are folded beside the session state (facilitator.groups.groupings). The live-run client
(:mod:`facilitator.tui.live_run`) asks a :class:`GroupsReader` for a new :class:`GroupsSnapshot` with each
reading: it builds one again only when a grouping changed (``Groupings.version``) or, while groups meet, when
anything was folded (a check-in changes who is waiting, an edit a name), and hands it back only when it differs.
The apps keep it in their ``groups`` reactive.

The room view's reader (``room``) keeps only what the room may see of the groups meeting now: each group's
number, call and first names (with a surname's first letters where two share a first name); no id, e-mail,
location or gender ever reaches that process's screen, and nothing of groups that have ended.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from facilitator.attendance.gender import category
from facilitator.groups.groupings import MADE, Grouping
from facilitator.groups.names import short_names
from facilitator.live.session import Session


@dataclass(frozen=True, slots=True)
class Member:
    """One person as the groups screens show them (raw text: screens pass it through ``printable``)."""

    id: str
    name: str
    location: str = ""  # where they checked in, else their roster location
    gender: str = ""  # as groups mix it (facilitator.attendance.gender.category)
    joined: str = MADE  # made, late (added to the smallest group) or moved
    here: bool = True  # checked in now: someone who left stays in their group, shown as gone


@dataclass(frozen=True, slots=True)
class GroupView:
    number: int
    call: str | None
    members: tuple[Member, ...]  # by name


@dataclass(frozen=True)
class GroupsSnapshot:
    """The latest grouping as it stands; empty (``grouping`` None) before any, and in the room after it ended."""

    grouping: str | None = None
    made_at: datetime | None = None
    ended_at: datetime | None = None
    seconds: int | None = None  # how long the groups meet, if the driver said
    exercise: str | None = None  # the step current when they were made
    step: str | None = None
    mix: tuple[str, ...] = ()
    groups: tuple[GroupView, ...] = ()
    waiting: tuple[Member, ...] = ()  # checked in now and in no group, while the groups meet (not the room's)

    @property
    def meeting(self) -> bool:
        return self.grouping is not None and self.ended_at is None

    @property
    def people(self) -> int:
        return sum(len(g.members) for g in self.groups)

    def sizes(self) -> str:
        """``4–5``: the smallest and the biggest group, or one figure when they are all alike."""
        counts = [len(g.members) for g in self.groups]
        if not counts:
            return "0"
        low, high = min(counts), max(counts)
        return str(low) if low == high else f"{low}–{high}"

    def left(self, now: datetime) -> timedelta | None:
        """How long the groups still meet (negative: over time); None without a duration, or once ended."""
        if self.made_at is None or self.seconds is None or not self.meeting:
            return None
        return self.made_at + timedelta(seconds=self.seconds) - now


def time_left(left: timedelta) -> str:
    """``12 min left``, ``time is up``, ``3 min over``: minutes, rounded up while time is left."""
    seconds = left.total_seconds()
    if seconds > 0:
        return f"{math.ceil(seconds / 60)} min left"
    over = int(-seconds // 60)
    return f"{over} min over" if over else "time is up"


def snapshot(session: Session, grouping: Grouping | None) -> GroupsSnapshot:
    """``grouping`` as the facilitators see it: names, where each is, gender, how they joined, who is gone; and
    while it meets, who is checked in but in no group."""
    if grouping is None:
        return GroupsSnapshot()
    roster = session.attendance.roster.by_id
    here = session.here_now()

    def member(pid: str) -> Member:
        person = roster.get(pid)
        name = person.name if person is not None else pid  # a hand-edited log's stranger: their id
        where = here.get(pid) or (person.location if person is not None else "")
        gender = category(person.gender if person is not None else None)
        return Member(pid, name, where, gender, grouping.joined.get(pid, MADE), pid in here)

    groups = tuple(
        GroupView(g.number, g.call, tuple(sorted((member(pid) for pid in g.members), key=_by_name)))
        for g in grouping.groups
    )
    waiting: tuple[Member, ...] = ()
    if grouping.ended_at is None:
        grouped = {pid for g in grouping.groups for pid in g.members}
        waiting = tuple(sorted((member(pid) for pid in here if pid not in grouped), key=_by_name))
    return GroupsSnapshot(
        grouping=grouping.id,
        made_at=grouping.made_at,
        ended_at=grouping.ended_at,
        seconds=grouping.seconds,
        exercise=grouping.exercise,
        step=grouping.step,
        mix=grouping.mix,
        groups=groups,
        waiting=waiting,
    )


def for_room(full: GroupsSnapshot) -> GroupsSnapshot:
    """What the room sees: the groups meeting now, each member a short name only; nothing once they ended."""
    if not full.meeting:
        return GroupsSnapshot()
    everyone = [m.name for g in full.groups for m in g.members]
    short = iter(short_names(everyone))
    groups = tuple(
        GroupView(g.number, g.call, tuple(Member(id="", name=next(short) or "someone") for _ in g.members))
        for g in full.groups
    )
    return replace(full, groups=groups, waiting=(), mix=(), exercise=None, step=None)


def _by_name(member: Member) -> tuple[str, str]:
    return member.name.casefold(), member.id


class GroupsReader:
    """On the database thread: a new snapshot when what it shows changed since the last one, else None.

    ``room``: only what the room view may show (:func:`for_room`).
    """

    def __init__(self, *, room: bool = False) -> None:
        self.room = room
        self._key: tuple[object, ...] | None = None
        self._last = GroupsSnapshot()

    def read(self, session: Session) -> GroupsSnapshot | None:
        groupings = session.groups
        current = groupings.current
        meeting = current is not None and current.ended_at is None
        # Groups that have ended change only by an event of their own; groups meeting also by who checks in.
        key = (groupings.version, session.state.last_seq if meeting else None)
        if key == self._key:
            return None
        self._key = key
        built = snapshot(session, current) if meeting or not self.room else GroupsSnapshot()
        shown = for_room(built) if self.room else built
        if shown == self._last:
            return None
        self._last = shown
        return shown
