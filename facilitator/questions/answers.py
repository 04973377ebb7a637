"""What an answer to a question may be: checked against the question before anything is recorded.

A choice must be among the question's options (one for a single choice or a quiz with one right option,
one or more for a multiple choice or a quiz with several right), a scale's value within its bounds, a
comment some words of at most MAX_TEXT characters. Whatever a phone sends, only a valid answer reaches the
record; anything else is refused with one line that names the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from facilitator.problems import InputError
from facilitator.script.models import AskedQuestion, QuestionType
from facilitator.text import printable

MAX_TEXT = 2000


@dataclass(frozen=True)
class Answer:
    """A checked answer: option ids in the question's order, a scale value, or a comment."""

    choices: tuple[str, ...] = ()
    value: int | None = None
    text: str | None = None


def check(
    asked: AskedQuestion, *, choices: Sequence[str] = (), value: int | None = None, text: str | None = None
) -> Answer:
    """The answer to ``asked`` made of what was sent; :class:`InputError` naming the field when it cannot be."""
    question = asked.question
    kind = question.type
    if kind is QuestionType.SCALE:
        scale = question.scale
        assert scale is not None  # the script's rules: a scale question has one
        if value is None or isinstance(value, bool):
            raise InputError(f"value: choose a number from {scale.min} to {scale.max}")
        if not scale.min <= value <= scale.max:
            raise InputError(f"value: {value} is not from {scale.min} to {scale.max}")
        return Answer(value=value)
    if kind is QuestionType.TEXT:
        cleaned = (text or "").strip()
        if not cleaned:
            raise InputError("text: write something, or leave the question")
        if len(cleaned) > MAX_TEXT:
            raise InputError(f"text: {len(cleaned):,} characters is more than {MAX_TEXT:,}")
        return Answer(text=cleaned)
    ids = [option.id for option in question.options]
    chosen = set(choices)
    unknown = sorted(chosen - set(ids))
    if unknown:
        raise InputError(f"choices: {printable(unknown[0])!r} is not an option of this question")
    if not chosen:
        raise InputError("choices: choose an option")
    if len(chosen) > 1 and not question.several:
        raise InputError("choices: choose one option")
    return Answer(choices=tuple(option for option in ids if option in chosen))
