"""How the participant's page words the breakout groups, in its language: what the template renders.

Names and the call are the facilitators' and participants' text: they go to the template as data, which
autoescapes them; the call becomes a link only when facilitator.participant_page.breakout found it a web address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from facilitator.participant_page.breakout import GroupsNow


@dataclass(frozen=True)
class GroupView:
    """What a person's page says of the breakout groups meeting now: their group and who is in it (or that
    the groups meet without them), its call, and until when."""

    heading: str
    sentence: str  # "You are in group 3 with Ana, Ben and Chi.", or that groups meet without them
    in_group: bool
    call: str | None = None
    link: str | None = None  # the call's address when it may be followed, else the call is shown as text
    until: str | None = None  # "The groups meet until 14:35."


def listed(names: Sequence[str], t: Mapping[str, str]) -> str:
    """``Ana, Ben and Chi``: as a sentence lists them, in the page's language."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {t['group_and']} {names[-1]}"


def group_view(shown: GroupsNow | None, t: Mapping[str, str]) -> GroupView | None:
    if shown is None:
        return None
    group = shown.group
    if group is None:
        return GroupView(t["groups_heading"], t["groups_without_you"], in_group=False)
    names = [name if name is not None else t["group_someone"] for name in group.others]
    sentence = (
        t["group_with"].format(number=group.number, names=listed(names, t))
        if names
        else t["group_alone"].format(number=group.number)
    )
    until = t["group_until"].format(time=group.until) if group.until else None
    return GroupView(t["group_heading"], sentence, True, group.call, group.link, until)
