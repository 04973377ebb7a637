"""What a request for breakout groups may ask: a size or a count the people checked in can fill, known mixes,
a call pattern with the group's number. Each refusal is one :class:`InputError` line naming the field."""

from __future__ import annotations

from collections.abc import Iterable

from facilitator.problems import InputError
from facilitator.script.models import GROUP_NUMBER, MixBy, call_for, check_call_pattern, did_you_mean

MIX: tuple[str, ...] = tuple(by.value for by in MixBy)  # location, gender
MIN_PEOPLE = 2  # in a group, and checked in for there to be any group


def check_mix(mix: str | Iterable[str]) -> tuple[str, ...]:
    """The mix asked, in the canonical order: ``"location,gender"`` or ``["gender"]``; ``"none"`` or nothing
    mixes nothing (groups at random, still avoiding repeats)."""
    names = mix.split(",") if isinstance(mix, str) else list(mix)
    wanted = {str(name).strip().lower() for name in names} - {"", "none"}
    for name in sorted(wanted):
        if name not in MIX:
            raise InputError(f"mix: {name!r} is not one of {', '.join(MIX)}{did_you_mean(name, MIX)}")
    return tuple(name for name in MIX if name in wanted)


def check_call(pattern: str | None) -> str | None:
    """A call pattern (a link or a room name with ``{n}``), cleaned; None for none."""
    if pattern is None or not pattern.strip():
        return None
    try:
        return check_call_pattern(pattern)
    except ValueError as exc:
        raise InputError(f"call: {exc}") from None


def calls(pattern: str | None, count: int) -> list[str | None]:
    """Each group's call, group 1 first."""
    return [call_for(pattern, number) if pattern is not None else None for number in range(1, count + 1)]


def _people(n: int) -> str:
    return "nobody is" if n == 0 else "1 person is" if n == 1 else f"{n} people are"


def sizes(present: int, *, size: int | None = None, count: int | None = None) -> list[int]:
    """How many people each group gets, the bigger groups first; sizes differ by at most one.

    ``size``: groups of ``size``, some of one more, so that nobody is left over (22 people in groups of 4 make
    5 groups: 5, 5, 4, 4, 4); only when that cannot be (7 in groups of 4), some of one fewer (4, 3).
    ``count``: that many groups, as even as can be. Refused: both or neither, a size below two or above the
    people checked in, a count that would leave a group with fewer than two, fewer than two people checked in.
    """
    if size is not None and count is not None:
        raise InputError("size: give a group size or a number of groups (count), not both")
    if size is None and count is None:
        raise InputError("size: give a group size, or a number of groups (count)")
    if size is not None and size < MIN_PEOPLE:
        raise InputError(f"size: a group needs at least {MIN_PEOPLE} people, not {size}")
    if count is not None and count < 1:
        raise InputError(f"count: give at least one group, not {count}")
    if present < MIN_PEOPLE:
        raise InputError(f"groups: {_people(present)} checked in; groups need at least {MIN_PEOPLE} people")
    if size is not None:
        if size > present:
            raise InputError(f"size: groups of {size} need at least {size} people; {_people(present)} checked in")
        groups = present // size
        if groups * (size + 1) < present:  # the remainder cannot be spread one each: some groups one smaller
            groups += 1
    else:
        assert count is not None
        if count * MIN_PEOPLE > present:
            raise InputError(
                f"count: {count} groups need at least {count * MIN_PEOPLE} people (two in each); "
                f"{_people(present)} checked in"
            )
        groups = count
    small, extra = divmod(present, groups)
    return [small + 1] * extra + [small] * (groups - extra)


__all__ = ["GROUP_NUMBER", "MIX", "calls", "check_call", "check_mix", "sizes"]
