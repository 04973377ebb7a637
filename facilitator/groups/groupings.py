"""The breakout groups on the record, folded: every grouping as it stands now, the current one, and who has
been grouped with whom (so that the next groups can avoid repeats).

Kept beside the session state as the answers are (facilitator.questions.ballots). A grouping and its groups
are immutable: a change replaces them, so a reader (a screen on another thread) holding one sees it whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from facilitator.record import events as ev
from facilitator.record.clock import from_text, to_text
from facilitator.record.events import Event

MADE = "made"  # how a person came into their group: when the groups were made,
LATE = "late"  # added to the smallest group after,
MOVED = "moved"  # or moved there by the driver


@dataclass(frozen=True, slots=True)
class Group:
    """One breakout group of a grouping: its number, its members, and its call if it has one."""

    number: int  # from 1
    members: tuple[str, ...]  # participant ids
    call: str | None = None  # the group's call: a link or a room name


@dataclass(frozen=True)
class Grouping:
    """One ``groups.made`` and the changes since."""

    id: str
    day: date | None
    exercise: str | None
    step: str | None
    made_at: datetime
    made_by: str
    groups: tuple[Group, ...]
    size: int | None = None
    count: int | None = None
    mix: tuple[str, ...] = ()
    seconds: int | None = None
    repeats: int = 0  # earlier pairings repeated, as made
    joined: Mapping[str, str] = field(default_factory=dict)  # participant -> MADE, LATE or MOVED
    ended_at: datetime | None = None  # when the driver ended the groups: the room is back together

    def group_of(self, participant: str) -> Group | None:
        return next((g for g in self.groups if participant in g.members), None)

    def group(self, number: int) -> Group | None:
        return next((g for g in self.groups if g.number == number), None)

    @property
    def people(self) -> int:
        return sum(len(g.members) for g in self.groups)


class Groupings:
    """Every grouping of the run, in the order made; kept current by :meth:`apply`."""

    def __init__(self) -> None:
        self.groupings: list[Grouping] = []
        self._index: dict[str, int] = {}
        self.version = 0  # counts the groupings and changes folded in: a reader that kept it knows if any came
        self._met: dict[str, dict[str, int]] = {}

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> Groupings:
        groupings = cls()
        for event in events:
            groupings.apply(event)
        return groupings

    def dump(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        """Every grouping as it stands, as JSON, for a checkpoint (facilitator.live.checkpoint); who met whom
        follows from them, so :meth:`load` counts it again."""
        rows = [
            {
                "id": g.id,
                "day": g.day.isoformat() if g.day else None,
                "exercise": g.exercise,
                "step": g.step,
                "made_at": to_text(g.made_at),
                "made_by": g.made_by,
                "groups": [[group.number, list(group.members), group.call] for group in g.groups],
                "size": g.size,
                "count": g.count,
                "mix": list(g.mix),
                "seconds": g.seconds,
                "repeats": g.repeats,
                "joined": dict(g.joined),
                "ended_at": to_text(g.ended_at) if g.ended_at else None,
            }
            for g in self.groupings
        ]
        return {"groupings": rows, "version": self.version}, {}

    @classmethod
    def load(cls, doc: Mapping[str, Any], parts: Mapping[str, bytes]) -> Groupings:
        groupings = cls()
        for row in doc["groupings"]:
            groups = tuple(Group(number, tuple(members), call) for number, members, call in row["groups"])
            grouping = Grouping(
                id=row["id"],
                day=date.fromisoformat(row["day"]) if row["day"] else None,
                exercise=row["exercise"],
                step=row["step"],
                made_at=from_text(row["made_at"]),
                made_by=row["made_by"],
                groups=groups,
                size=row["size"],
                count=row["count"],
                mix=tuple(row["mix"]),
                seconds=row["seconds"],
                repeats=row["repeats"],
                joined=dict(row["joined"]),
                ended_at=from_text(row["ended_at"]) if row["ended_at"] else None,
            )
            groupings._index[grouping.id] = len(groupings.groupings)
            groupings.groupings.append(grouping)
            for group in groups:
                for index, person in enumerate(group.members):
                    groupings._meet(person, group.members[index + 1 :], +1)
        groupings.version = doc["version"]
        return groupings

    def apply(self, event: Event) -> None:
        if event.kind == ev.GROUPS_MADE:
            self._made(event)
        elif event.kind == ev.GROUPS_CHANGED:
            self._changed(event)
        elif event.kind == ev.GROUPS_ENDED:
            self._ended(event)

    def _made(self, event: Event) -> None:
        p = event.payload
        if p.get("grouping") in self._index:
            return
        groups = tuple(
            Group(int(g["number"]), tuple(dict.fromkeys(g.get("members") or ())), g.get("call"))
            for g in p.get("groups") or ()
        )
        grouping = Grouping(
            id=p["grouping"],
            day=date.fromisoformat(p["day"]) if p.get("day") else None,
            exercise=p.get("exercise"),
            step=p.get("step"),
            made_at=event.at,
            made_by=event.actor,
            groups=groups,
            size=p.get("size"),
            count=p.get("count"),
            mix=tuple(p.get("mix") or ()),
            seconds=p.get("seconds"),
            repeats=int(p.get("repeats") or 0),
            joined={member: MADE for g in groups for member in g.members},
        )
        self._index[grouping.id] = len(self.groupings)
        self.groupings.append(grouping)
        for group in groups:
            for index, person in enumerate(group.members):
                self._meet(person, group.members[index + 1 :], +1)
        self.version += 1

    def _changed(self, event: Event) -> None:
        p = event.payload
        index = self._index.get(p.get("grouping", ""))
        if index is None:
            return
        grouping = self.groupings[index]
        person, to = p["participant"], p["to"]
        target = grouping.group(to)
        if target is None:
            return  # a group that does not exist: a hand-edited log, ignored
        left = grouping.group_of(person)
        if left is not None and left.number == to:
            return
        if left is not None:
            self._meet(person, left.members, -1)
        self._meet(person, target.members, +1)
        groups = tuple(
            replace(
                g,
                members=(*(m for m in g.members if m != person), *((person,) if g.number == to else ())),
            )
            for g in grouping.groups
        )
        how = LATE if p.get("reason") == LATE else MOVED
        self.groupings[index] = replace(grouping, groups=groups, joined={**grouping.joined, person: how})
        self.version += 1

    def _ended(self, event: Event) -> None:
        index = self._index.get(event.payload.get("grouping", ""))
        if index is None or self.groupings[index].ended_at is not None:
            return
        self.groupings[index] = replace(self.groupings[index], ended_at=event.at)
        self.version += 1

    # -- reading ---------------------------------------------------------------------------------------

    @property
    def current(self) -> Grouping | None:
        """The latest grouping made: the groups the room is in, or was last in."""
        return self.groupings[-1] if self.groupings else None

    @property
    def meeting(self) -> Grouping | None:
        """The latest grouping if the driver has not ended it: the groups the room is in now."""
        current = self.current
        return current if current is not None and current.ended_at is None else None

    def by_id(self, grouping: str) -> Grouping | None:
        index = self._index.get(grouping)
        return self.groupings[index] if index is not None else None

    def met(self) -> Mapping[str, Mapping[str, int]]:
        """How many times each pair has been in one group, over every grouping as it stands (both ways). Kept
        up to date as events are folded in: read it, do not keep it."""
        return self._met

    def _meet(self, person: str, others: Iterable[str], sign: int) -> None:
        """Count ``person`` with each of ``others`` (but themselves) once more (+1), or once less (-1)."""
        mine = self._met.setdefault(person, {})
        for other in others:
            if other == person:
                continue
            theirs = self._met.setdefault(other, {})
            for row, key in ((mine, other), (theirs, person)):
                times = row.get(key, 0) + sign
                if times > 0:
                    row[key] = times
                else:
                    row.pop(key, None)
