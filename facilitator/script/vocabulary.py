"""The script's vocabulary: its enumerations and the plain rules that both the runtime models
(:mod:`facilitator.script.models`) and their validation (:mod:`facilitator.script.validation`) use.

No pydantic here: the models an app runs with are plain data classes, and pydantic loads only to validate.
"""

from __future__ import annotations

import difflib
from enum import StrEnum

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
DEFAULT_MIN_CODE_LENGTH = 8


def did_you_mean(word: str, choices: object) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or nothing when none is close."""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)  # type: ignore[attr-defined]
    return f" (did you mean {close[0]!r}?)" if close else ""


class StepKind(StrEnum):
    PRESENTATION = "presentation"
    DISCUSSION = "discussion"
    BREAKOUT = "breakout"
    INDIVIDUAL = "individual"
    REFLECTION = "reflection"
    REPORT_BACK = "report-back"
    BREAK = "break"


class Anonymity(StrEnum):
    ANONYMOUS = "anonymous"
    NAMED = "named"
    PARTICIPANT_CHOOSES = "participant-chooses"


class GroupBy(StrEnum):
    LOCATION = "location"
    ROLE = "role"
    RANDOM = "random"
    SELF_SELECTED = "self-selected"


class MixBy(StrEnum):
    """What breakout groups spread as evenly as the numbers allow."""

    LOCATION = "location"
    GENDER = "gender"


class QuestionType(StrEnum):
    SINGLE = "single"  # one option
    MULTIPLE = "multiple"  # any options
    SCALE = "scale"  # a number from scale.min to scale.max
    QUIZ = "quiz"  # options, the correct ones marked, points for a right answer
    TEXT = "text"  # a comment (the course evaluation's open questions)


class Results(StrEnum):
    LIVE = "live"  # the room view shows the results as they come
    HIDDEN = "hidden"  # until a facilitator reveals them


def check_call_link(value: str) -> str:
    """A video call's address as people paste it: ``https://...`` (or ``http://``), one line, no spaces."""
    from urllib.parse import urlsplit

    text = value.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(ch.isspace() or not ch.isprintable() for ch in text)
    ):
        raise ValueError(f"{value!r} is not a web address like https://meet.example.org/abc-defg")
    return text


GROUP_NUMBER = "{n}"  # in a breakout call's pattern: the group's number


def call_for(pattern: str, number: int) -> str:
    """The call of group ``number`` from a breakout's ``call`` pattern: ``room-{n}`` gives ``room-3``."""
    return pattern.replace(GROUP_NUMBER, str(number))


def check_call_pattern(value: str) -> str:
    """A breakout call's name or link with ``{n}`` for the group's number, as people write it: one line, and a
    link (``https://meet.example.org/wps-room-{n}``) a web address once the number is in; else a room name
    (``WPS room {n}``). ``ValueError`` says what is wrong."""
    text = value.strip()
    if GROUP_NUMBER not in text:
        raise ValueError(
            f"{value!r} has no {GROUP_NUMBER} for the group's number; write it like https://meet.example.org/room-{GROUP_NUMBER}"
        )
    if "{" in text.replace(GROUP_NUMBER, "") or "}" in text.replace(GROUP_NUMBER, ""):
        raise ValueError(f"{value!r}: only {GROUP_NUMBER}, the group's number, may be written in braces")
    if any(not ch.isprintable() for ch in text):
        raise ValueError(f"{value!r} is not one line of printable text")
    if "://" in text or text.lower().startswith(("http:", "https:", "www.")):
        try:
            check_call_link(call_for(text, 1))  # a link: a web address once the number is in
        except ValueError:
            raise ValueError(
                f"{value!r} is not a web address like https://meet.example.org/room-{GROUP_NUMBER}"
            ) from None
    return text
