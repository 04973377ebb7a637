"""What the question panels show of the room's answers: plain data, built on the database thread.

The answers are folded beside the session state (facilitator.questions.ballots), on the database thread;
the screens get counts only, never who answered: how many answered, how many chose each option (or each
value of a scale), how many answered at each location, how many left a comment. The live-run client
(:mod:`facilitator.tui.live_run`) asks a :class:`ResultsReader` for a new :class:`ResultsSnapshot` with each
reading; the reader counts again only when the questions at hand changed or an answer to one of them came
in, and hands back a snapshot only when a count changed. The apps keep it in their ``results`` reactive.

No screen, no app: the lead's panel (facilitator.tui.widgets.question_panel), the room view and the keys
(facilitator.tui.driving, facilitator.tui.teamwork) read it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from facilitator.live.session import Session
from facilitator.live.state import QuestionStatus, SessionState
from facilitator.questions.ballots import Ballots
from facilitator.script.models import AskedQuestion, QuestionType


def at_hand(state: SessionState) -> tuple[AskedQuestion, ...]:
    """The questions on the facilitators' and the room's screens now, in the script's order: those the
    current step asked (open, or closed early), and any other still open (the course evaluation stays open
    from its step on, until it is closed)."""
    programme = state.programme
    if programme is None or not state.questions:
        return ()
    here = (state.exercise, state.step)
    found = []
    for asked in programme.asked:
        status = state.questions.get(asked.key)
        if status is not None and (status.open or (asked.exercise, asked.step) == here):
            found.append(asked)
    return tuple(found)


def numbered(state: SessionState) -> tuple[tuple[str, AskedQuestion], ...]:
    """The questions at hand with the names the screens give them: ``Q1``, ``Q2``... in the script's order."""
    return tuple((f"Q{index}", asked) for index, asked in enumerate(at_hand(state), 1))


def status_words(status: QuestionStatus | None) -> tuple[str, str]:
    """``("open", "results hidden")``: whether a question takes answers, and whether the room sees its results."""
    if status is None:
        return "not asked", "results hidden"
    return ("open" if status.open else "closed"), ("results shown" if status.revealed else "results hidden")


@dataclass(frozen=True, slots=True)
class Result:
    """The counts of one question's answers (each respondent's latest answer): never who gave them."""

    answered: int = 0  # respondents
    tally: Mapping[str, int] = field(default_factory=dict)  # option id, or a scale's value as text -> answers
    by_location: Mapping[str, int] = field(default_factory=dict)  # location id -> respondents there
    comments: int = 0  # answers with a text (a text question's comments)

    def count(self, choice: str) -> int:
        return self.tally.get(choice, 0)

    def share(self, choice: str) -> float:
        """The share of respondents who chose ``choice`` (several choices each may add up past 1)."""
        return self.count(choice) / self.answered if self.answered else 0.0

    def mean(self) -> float | None:
        """A scale's average value; None before any answer."""
        values = [(int(value), n) for value, n in self.tally.items() if value.lstrip("-").isdigit()]
        total = sum(n for _, n in values)
        return sum(value * n for value, n in values) / total if total else None


NO_ANSWERS = Result()


@dataclass(frozen=True)
class ResultsSnapshot:
    """The results of the questions at hand, by key; a question without an entry has no answers yet."""

    results: Mapping[str, Result] = field(default_factory=dict)

    def of(self, key: str) -> Result:
        return self.results.get(key, NO_ANSWERS)


def result_of(ballots: Ballots, key: str) -> Result:
    """Count the latest answers to ``key`` in one pass: choices, values, locations, comments."""
    answers = ballots.answers(key).values()
    tally: Counter[str] = Counter()
    by_location: Counter[str] = Counter()
    comments = 0
    for answer in answers:
        tally.update(answer.choices)
        if answer.value is not None:
            tally[str(answer.value)] += 1
        if answer.location is not None:
            by_location[answer.location] += 1
        if answer.text:
            comments += 1
    return Result(len(answers), dict(tally), dict(by_location), comments)


def scale_values(asked: AskedQuestion) -> range:
    scale = asked.question.scale
    return range(scale.min, scale.max + 1) if scale is not None else range(0)


def has_options(asked: AskedQuestion) -> bool:
    return asked.question.type in (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.QUIZ)


class ResultsReader:
    """On the database thread: a new snapshot when a count of the questions at hand changed, else None.

    ``revealed_only``: only the questions whose results are shown to the room (the room view's reader), so
    counts of a hidden question never reach that process's screen at all.
    """

    def __init__(self, *, revealed_only: bool = False) -> None:
        self.revealed_only = revealed_only
        self._keys: tuple[str, ...] | None = None
        self._changes: tuple[int, ...] = ()
        self._last = ResultsSnapshot()

    def keys(self, state: SessionState) -> tuple[str, ...]:
        asked = at_hand(state)
        if self.revealed_only:
            return tuple(a.key for a in asked if state.questions[a.key].revealed)
        return tuple(a.key for a in asked)

    def read(self, session: Session) -> ResultsSnapshot | None:
        state = session.state
        keys = self.keys(state)
        # Only an answer to a question on screen counts again (a check-in, a reflection, a tick: nothing).
        changes = tuple(session.ballots.changes(key) for key in keys)
        if keys == self._keys and changes == self._changes:
            return None
        self._keys, self._changes = keys, changes
        snapshot = ResultsSnapshot({key: result_of(session.ballots, key) for key in keys})
        if snapshot == self._last:
            return None
        self._last = snapshot
        return snapshot
