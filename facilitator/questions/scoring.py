"""Quiz scores and knowledge gain: the same check asked before (``pre``) and after (``post``) the course.

A quiz answer scores the question's points when it chose exactly the right options, else nothing. A
person's check score is the sum over the check's questions they answered in that phase; their gain is the
post score minus the pre score, for people who answered both. The maximum is the sum of the points, so a
score reads as "7 of 9".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from facilitator.questions.ballots import Ballots, GivenAnswer
from facilitator.script.models import AskedQuestion, Programme, QuestionType


def quiz_points(asked: AskedQuestion, answer: GivenAnswer) -> int:
    question = asked.question
    if question.type is not QuestionType.QUIZ:
        return 0
    return question.points if set(answer.choices) == set(question.correct) else 0


@dataclass(frozen=True)
class CheckScore:
    """One participant's scores in a knowledge check, before and after the course, out of its maximum."""

    participant: str
    pre: int | None  # None: did not answer that phase
    post: int | None
    maximum: int

    @property
    def gain(self) -> int | None:
        return None if self.pre is None or self.post is None else self.post - self.pre


def check_names(programme: Programme) -> list[str]:
    """The workshop's knowledge checks, in the order they are first asked."""
    return list(dict.fromkeys(a.check.name for a in programme.asked if a.check is not None))


def phase_scores(programme: Programme, ballots: Ballots, name: str, phase: str) -> Mapping[str, int]:
    """Each participant's score in one phase of the check ``name``: only who answered at least one question."""
    scores: dict[str, int] = {}
    for asked in programme.asked:
        if asked.check is None or asked.check.name != name or asked.check.phase != phase:
            continue
        for answer in ballots.answers(asked.key).values():
            if answer.participant is not None:
                scores[answer.participant] = scores.get(answer.participant, 0) + quiz_points(asked, answer)
    return scores


def check_scores(programme: Programme, ballots: Ballots, name: str) -> list[CheckScore]:
    """Everyone who answered the check ``name``, pre or post, with their scores and gain."""
    maximum = sum(
        a.question.points
        for a in programme.asked
        if a.check is not None and (a.check.name, a.check.phase) == (name, "pre")
    )
    pre = phase_scores(programme, ballots, name, "pre")
    post = phase_scores(programme, ballots, name, "post")
    people = sorted({*pre, *post})
    return [CheckScore(person, pre.get(person), post.get(person), maximum) for person in people]
