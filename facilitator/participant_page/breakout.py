"""What a participant's page shows of the breakout groups (facilitator.groups), without the web.

A phone shows the groups meeting now (``Groupings.meeting``) if made on the day of its link, and only the person's
own group: its number, the other members by first name (the page is seen over shoulders, so never an e-mail nor
a full name unless two first names would be confused), the group's call and when the groups meet until.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from facilitator.attendance.roster import Participant
from facilitator.groups.groupings import Grouping, Groupings
from facilitator.groups.names import short_names as names_of


@dataclass(frozen=True)
class GroupNow:
    """The person's group as their page shows it."""

    number: int
    others: tuple[str | None, ...]  # the other members' short names; None for a name that is nothing but an e-mail
    call: str | None  # as the facilitator wrote it: text, never markup
    link: str | None  # the call when it is a web address a phone may open, else None (shown as text)
    until: str | None  # "14:35" in the location's time zone, when the groups were made for a while


@dataclass(frozen=True)
class GroupsNow:
    """Groups are meeting on the page's day: the person's group, or None when they are in none."""

    group: GroupNow | None


def meeting_on(groupings: Groupings, day: date, made_on: Callable[[datetime], date]) -> Grouping | None:
    """The groups meeting now if they were made on ``day``, the date of the page's link (``made_on``: a moment's
    date in the workshop's time zone): groups left meeting since yesterday are not today's. The calendar's date,
    not the run's day: a rehearsal, or a day carried over to another date, runs the script's day on another."""
    grouping = groupings.meeting
    return grouping if grouping is not None and made_on(grouping.made_at) == day else None


def groups_now(
    grouping: Grouping,
    participant_id: str,
    roster: Mapping[str, Participant],
    local: Callable[[datetime], str],
) -> GroupsNow:
    group = grouping.group_of(participant_id)
    if group is None:
        return GroupsNow(None)
    # Someone in a group but no longer on the roster (a hand-edited log) is left out: there is no name to give.
    names = [roster[m].name for m in group.members if m != participant_id and m in roster]
    until = local(grouping.made_at + timedelta(seconds=grouping.seconds)) if grouping.seconds else None
    call = group.call.strip() if group.call and group.call.strip() else None
    return GroupsNow(GroupNow(group.number, tuple(short_names(names)), call, web_address(call), until))


def short_names(names: Sequence[str]) -> list[str | None]:
    """The others' short names (facilitator.groups.names) as a phone lists them: sorted as people read a list,
    the nameless last ("with Ana and someone")."""
    return sorted(names_of(names), key=lambda shown: (shown is None, (shown or "").casefold()))


def web_address(call: str | None) -> str | None:
    """``call`` when a phone may follow it as a link: http or https, a host, one line without spaces. Anything
    else (a room name, ``javascript:``, ``data:``) is shown as text and never becomes a link."""
    if call is None or any(ch.isspace() or not ch.isprintable() for ch in call):
        return None
    try:
        parts = urlsplit(call)
        host = parts.hostname
    except ValueError:
        return None
    return call if parts.scheme.lower() in ("http", "https") and host else None


def fingerprint(grouping: Grouping | None, version: int) -> str:
    """Changes whenever the groups a page shows do (made, a person moved or added, ended); "" when none meet. The
    same for every phone of a day: it names no person, and any change refetches the pages, which is rare."""
    if grouping is None:
        return ""
    return hashlib.sha256(f"{grouping.id}:{version}".encode()).hexdigest()[:16]
