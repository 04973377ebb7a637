"""The room's answers (issue 15): every answer, results per question, knowledge gain, the course evaluation.

Answers are folded from the snapshot's ``answer.given`` events (facilitator.questions.ballots): each
respondent's latest answer to each question. Anonymised, a respondent (a participant's id, or for an
anonymous question the ballot id the phone kept) becomes this export's keyed hash, so the ballot id itself
never leaves the run; a named respondent's hash is their participant id's, so the tables still join.
Every split by location or gender goes through the small-cell rule (facilitator.exports.cells), measured,
as in every other table, by the people on the roster; then by the people who answered: a group with fewer
than k answers is withheld, and with it the next smallest of its split, so that the total less the groups
shown never gives it (question_results, knowledge_gain_summary). A comment is published (``evaluation_comments``, the
report) only when its author let the organisers quote it, as a reflection is among the quotes; ``answers``
keeps every comment, with its consent, as ``reflections`` keeps every reflection.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from facilitator.attendance.gender import NOT_STATED, category
from facilitator.attendance.roster import Participant
from facilitator.exports.cells import SUPPRESSED, Pooling, pool
from facilitator.exports.pseudonyms import WITHHELD
from facilitator.exports.record import Record
from facilitator.exports.snapshot import Snapshot
from facilitator.exports.tables import BOOL, DATE, DATETIME, INT, NUMBER, SHARE, Column, Table
from facilitator.questions.ballots import Ballots, GivenAnswer
from facilitator.questions.scoring import check_names, check_scores
from facilitator.record import events as ev
from facilitator.script.models import AskedQuestion, QuestionType

ALL = "all"
UNKNOWN = "unknown"  # an answer with no location: given by a facilitator, or by a person not on the roster
_WITH_OPTIONS = (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.QUIZ)


@dataclass(frozen=True)
class Group:
    """One row group of a split: its location and gender as published, and what was pooled or withheld."""

    location: str
    gender: str
    note: str = ""

    @property
    def withheld(self) -> bool:
        return self.note.startswith("withheld")


@dataclass(frozen=True)
class Comment:
    """A comment of the course evaluation its author let the organisers quote, as published: scrubbed of
    names when anonymised, its location pooled by the small-cell rule."""

    question: str
    question_text: str
    day: date | None
    location: str  # as the tables show it: an id, ``suppressed``, or empty
    location_name: str  # as the report shows it
    text: str


def _commented(answer: GivenAnswer) -> bool:
    return bool((answer.text or "").strip())


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _right(asked: AskedQuestion, answer: GivenAnswer) -> bool:
    # Exactly the correct options, as quiz_points scores them; not its points, which may be 0.
    return set(answer.choices) == set(asked.question.correct)


class Questions:
    """The answers on the record and the tables made of them."""

    def __init__(self, snapshot: Snapshot, record: Record) -> None:
        self.record = record
        self.ballots = Ballots.from_events(snapshot.events((ev.ANSWER_GIVEN,)))
        self.asked = record.programme.asked
        self._visits = record.state.visits
        self._entered = [visit.entered_at for visit in self._visits]
        self._roster = record.attendance.roster.by_id
        k = record.cells.k
        self._withheld = f"withheld: fewer than {k} people"
        self._pooled = f"pooled: groups of fewer than {k} people"
        self._few_answers = f"withheld: fewer than {k} answers"

    # -- what an answer is about ------------------------------------------------------------------------

    def _answers(self, asked: AskedQuestion) -> list[GivenAnswer]:
        return sorted(self.ballots.answers(asked.key).values(), key=lambda a: (a.at, a.respondent))

    def _day(self, at: datetime) -> date | None:
        """The day of the step being run when the answer came (an evaluation stays open past its step)."""
        index = bisect.bisect_right(self._entered, at) - 1
        return self._visits[index].day if index >= 0 else None

    def _person(self, answer: GivenAnswer) -> Participant | None:
        return self._roster.get(answer.participant) if answer.participant is not None else None

    def _location(self, answer: GivenAnswer) -> str | None:
        person = self._person(answer)
        return answer.location or (person.location if person is not None else None)

    def _gender(self, answer: GivenAnswer) -> str:
        person = self._person(answer)
        return category(person.gender) if person is not None else NOT_STATED

    # -- the splits ------------------------------------------------------------------------------------

    def _note(self, pooling: Pooling, label: str) -> str:
        if label != SUPPRESSED:
            return ""
        return self._withheld if pooling.withheld else self._pooled

    def _everyone(self) -> str:
        cells = self.record.cells
        return self._withheld if cells.enabled and 0 < len(self._roster) < cells.k else ""

    def _location_group(self, location: str | None) -> str:
        return self.record.cells.location(location) or UNKNOWN

    def _gender_group(self, gender: str) -> str:
        return self.record.cells.gender_group(gender)

    def _splits(
        self, members: Sequence[Any], location: Callable[[Any], str | None], gender: Callable[[Any], str] | None
    ) -> Iterator[tuple[Group, list[Any]]]:
        """The groups of ``members`` by location (in the workshop's order, the pool, then no location), all of
        them, then by gender at all locations (when ``gender`` is given)."""
        cells = self.record.cells
        order = [*self.record.locations, SUPPRESSED, UNKNOWN]
        by_location: dict[str, list[Any]] = {}
        for member in members:
            by_location.setdefault(self._location_group(location(member)), []).append(member)
        for label in sorted(by_location, key=lambda g: order.index(g) if g in order else len(order)):
            yield Group(label, ALL, self._note(cells.locations, label)), by_location[label]
        yield Group(ALL, ALL, self._everyone()), list(members)
        if gender is None:
            return
        by_gender: dict[str, list[Any]] = {}
        for member in members:
            by_gender.setdefault(self._gender_group(gender(member)), []).append(member)
        for label in sorted(by_gender, key=lambda g: (g == SUPPRESSED, g == NOT_STATED, g)):
            yield Group(ALL, label, self._note(cells.genders, label)), by_gender[label]

    def _too_few(self, splits: Sequence[tuple[Group, int]]) -> set[tuple[str, str]]:
        """The groups of a split whose figures would be about fewer than k people who answered: each group of
        fewer than k, and with them the next smallest of the same split until the withheld add up to k, so
        that no withheld figure can be worked out as the total less the groups shown. ``splits``: each group
        and how many in it answered; the total (all locations, all genders) is never withheld here."""
        cells = self.record.cells
        if not cells.enabled:
            return set()
        withheld: set[tuple[str, str]] = set()
        for by_gender in (False, True):
            sizes = {
                group.gender if by_gender else group.location: n
                for group, n in splits
                if (group.location, group.gender) != (ALL, ALL) and (group.gender != ALL) == by_gender
            }
            pooled = pool(sizes, cells.k).pooled
            withheld |= {(ALL, label) if by_gender else (label, ALL) for label in pooled}
        return withheld

    # -- answers ---------------------------------------------------------------------------------------

    def answers(self) -> Table:
        record = self.record
        names = record.pseudonyms

        def rows() -> Iterator[tuple[Any, ...]]:
            for asked in self.asked:
                question = asked.question
                texts = {option.id: option.text for option in question.options}
                for answer in self._answers(asked):
                    location = self._location(answer)
                    yield (
                        asked.key,
                        question.text,
                        str(question.type),
                        asked.exercise,
                        asked.step,
                        self._day(answer.at),
                        record.published_location(location) or "",
                        names.id(answer.respondent),
                        asked.named,
                        ";".join(answer.choices),
                        "; ".join(texts.get(choice, choice) for choice in answer.choices),
                        answer.value,
                        _right(asked, answer) if question.type is QuestionType.QUIZ else None,
                        answer.text or "",
                        answer.consent if _commented(answer) else None,
                        answer.at.astimezone(UTC),
                    )

        columns = (
            Column("question"),
            Column("question_text", untrusted=True),
            Column("type"),
            Column("exercise"),
            Column("step"),
            Column("day", DATE),
            Column("location"),
            Column("respondent"),
            Column("named", BOOL),
            Column("choices"),
            Column("choice_texts", untrusted=True),
            Column("value", INT),
            Column("correct", BOOL),
            Column("text", untrusted=True),
            Column("consent", BOOL),  # to quote the comment; empty without one
            Column("answered_at_utc", DATETIME),
        )
        return Table("answers", "Answers (each respondent's latest)", columns, rows())

    # -- results per question --------------------------------------------------------------------------

    def _result_rows(
        self, asked: AskedQuestion, group: Group, answers: list[GivenAnswer], too_few: bool
    ) -> list[tuple[Any, ...]]:
        question = asked.question
        head = (asked.key, question.text, str(question.type), group.location, group.gender)
        if group.withheld:
            return [(*head, None, "", "", None, None, None, None, None, group.note)]
        answered = len(answers)
        if too_few:
            # A group big enough on the roster may hold fewer than k who answered (or be the one whose figures
            # the total less the others would give): its row says so and shows nothing else.
            return [(*head, None, "", "", None, None, None, None, None, self._few_answers)]
        out: list[tuple[Any, ...]] = []

        def share(n: int) -> float | None:
            return n / answered if answered else None

        if question.type is QuestionType.TEXT:
            return [(*head, answered, "", "", None, None, None, None, None, group.note)]
        if question.type is QuestionType.SCALE:
            assert question.scale is not None
            scale = question.scale
            values = [a.value for a in answers if a.value is not None]
            mean = _mean(values)
            for value in range(scale.min, scale.max + 1):
                label = scale.low if value == scale.min else scale.high if value == scale.max else ""
                n = values.count(value)
                out.append((*head, answered, str(value), label, None, n, share(n), mean, None, group.note))
            return out
        quiz = question.type is QuestionType.QUIZ
        right = share(sum(1 for a in answers if _right(asked, a)))
        for option in question.options:
            n = sum(1 for a in answers if option.id in a.choices)
            correct = option.id in question.correct if quiz else None
            out.append(
                (
                    *head,
                    answered,
                    option.id,
                    option.text,
                    correct,
                    n,
                    share(n),
                    None,
                    right if quiz else None,
                    group.note,
                )
            )
        return out

    def results(self) -> Table:
        def rows() -> Iterator[tuple[Any, ...]]:
            for asked in self.asked:
                gender = self._gender if asked.named else None
                splits = list(self._splits(self._answers(asked), self._location, gender))
                too_few = self._too_few([(group, len(members)) for group, members in splits])
                for group, members in splits:
                    yield from self._result_rows(asked, group, members, (group.location, group.gender) in too_few)

        columns = (
            Column("question"),
            Column("question_text", untrusted=True),
            Column("type"),
            Column("location"),
            Column("gender", untrusted=True),
            Column("answered", INT),
            Column("option"),
            Column("option_text", untrusted=True),
            Column("correct", BOOL),
            Column("count", INT),
            Column("share", SHARE),
            Column("mean", NUMBER),
            Column("share_right", SHARE),
            Column("suppressed"),
        )
        return Table("question_results", "Results per question, location and gender", columns, rows())

    # -- knowledge gain --------------------------------------------------------------------------------

    def _scores(self) -> Iterator[tuple[str, Participant | None, str, int | None, int | None, int | None, int]]:
        """(check, the person, their id, pre, post, gain, maximum) in the export's order of people."""
        place = {p.id: n for n, p in enumerate(self.record.pseudonyms.people())}
        for name in check_names(self.record.programme):
            scores = check_scores(self.record.programme, self.ballots, name)
            for s in sorted(scores, key=lambda s: (place.get(s.participant, len(place)), s.participant)):
                person = self._roster.get(s.participant)
                yield (name, person, s.participant, s.pre, s.post, s.gain, s.maximum)

    def knowledge_gain(self) -> Table:
        record = self.record
        names = record.pseudonyms

        def rows() -> Iterator[tuple[Any, ...]]:
            for check, person, pid, pre, post, gain, maximum in self._scores():
                location = person.location if person is not None else None
                yield (
                    check,
                    names.id(pid),
                    names.name(pid) or (WITHHELD if names.enabled else pid),
                    record.published_location(location) or "",
                    record.cells.gender(person) if person is not None else "",
                    pre,
                    post,
                    gain,
                    maximum,
                )

        columns = (
            Column("check"),
            Column("participant_id"),
            Column("name", untrusted=True),
            Column("location"),
            Column("gender", untrusted=True),
            Column("pre", INT),
            Column("post", INT),
            Column("gain", INT),
            Column("maximum", INT),
        )
        return Table("knowledge_gain", "Knowledge gain per participant and check", columns, rows())

    def knowledge_gain_summary(self) -> Table:
        def location(score: tuple[Any, ...]) -> str | None:
            person = score[1]
            return person.location if person is not None else None

        def gender(score: tuple[Any, ...]) -> str:
            person = score[1]
            return category(person.gender) if person is not None else NOT_STATED

        def rows() -> Iterator[tuple[Any, ...]]:
            scores = list(self._scores())
            for check in check_names(self.record.programme):
                mine = [s for s in scores if s[0] == check]
                maximum = mine[0][6] if mine else None
                splits = list(self._splits(mine, location, gender))
                too_few = self._too_few([(group, len(members)) for group, members in splits])
                for group, members in splits:
                    head = (check, group.location, group.gender)
                    if group.withheld or (group.location, group.gender) in too_few:
                        note = group.note if group.withheld else self._few_answers
                        yield (*head, None, None, None, None, None, None, None, maximum, note)
                        continue
                    pre = [s[3] for s in members if s[3] is not None]
                    post = [s[4] for s in members if s[4] is not None]
                    gain = [s[5] for s in members if s[5] is not None]
                    yield (
                        *head,
                        len(members),
                        len(pre),
                        _mean(pre),
                        len(post),
                        _mean(post),
                        len(gain),
                        _mean(gain),
                        maximum,
                        group.note,
                    )

        columns = (
            Column("check"),
            Column("location"),
            Column("gender", untrusted=True),
            Column("people", INT),
            Column("n_pre", INT),
            Column("mean_pre", NUMBER),
            Column("n_post", INT),
            Column("mean_post", NUMBER),
            Column("n_both", INT),
            Column("mean_gain", NUMBER),
            Column("maximum", INT),
            Column("suppressed"),
        )
        return Table("knowledge_gain_summary", "Knowledge gain by location and gender", columns, rows())

    # -- the course evaluation -------------------------------------------------------------------------

    def _evaluation(self) -> Iterable[AskedQuestion]:
        return (asked for asked in self.asked if asked.evaluation)

    def evaluation_summary(self) -> Table:
        def rows() -> Iterator[tuple[Any, ...]]:
            for asked in self._evaluation():
                question = asked.question
                answers = self._answers(asked)
                mean = None
                counts: list[tuple[str, int]] = []
                if question.type is QuestionType.SCALE:
                    assert question.scale is not None
                    values = [a.value for a in answers if a.value is not None]
                    mean = _mean(values)
                    counts = [(str(v), values.count(v)) for v in range(question.scale.min, question.scale.max + 1)]
                elif question.type in _WITH_OPTIONS:
                    counts = [(o.id, sum(1 for a in answers if o.id in a.choices)) for o in question.options]
                comments = sum(1 for a in answers if _commented(a))
                quotable = sum(1 for a in answers if _commented(a) and a.consent)
                distribution = "; ".join(f"{label}: {n}" for label, n in counts)
                yield (
                    asked.key,
                    question.text,
                    str(question.type),
                    len(answers),
                    mean,
                    distribution,
                    comments,
                    quotable,
                )

        columns = (
            Column("question"),
            Column("question_text", untrusted=True),
            Column("type"),
            Column("answered", INT),
            Column("mean", NUMBER),
            Column("distribution"),
            Column("comments", INT),  # every comment, quotable or not
            Column("quotable", INT),  # the comments given with consent to quote them
        )
        return Table("evaluation_summary", "Course evaluation: means and distributions", columns, rows())

    def comments(self) -> Iterator[Comment]:
        """The evaluation's comments given with consent to quote them, in the order of the questions, then
        as they came; scrubbed of names when anonymised."""
        record = self.record
        scrub = record.pseudonyms.scrub
        for asked in self._evaluation():
            for answer in self._answers(asked):
                if _commented(answer) and answer.consent:
                    location = self._location(answer)
                    yield Comment(
                        asked.key,
                        asked.question.text,
                        self._day(answer.at),
                        record.published_location(location) or "",
                        record.published_location_name(location),
                        scrub(answer.text or ""),
                    )

    def evaluation_comments(self) -> Table:
        def rows() -> Iterator[tuple[Any, ...]]:
            for c in self.comments():
                yield (c.question, c.question_text, c.day, c.location, c.text)

        columns = (
            Column("question"),
            Column("question_text", untrusted=True),
            Column("day", DATE),
            Column("location"),
            Column("comment", untrusted=True),
        )
        return Table("evaluation_comments", "Course evaluation: comments with consent to quote", columns, rows())

    def tables(self) -> list[Table]:
        """The tables this workshop has a use for: none without questions, the knowledge gain only with a
        knowledge check, the evaluation's only with an evaluation (no file of headers only)."""
        tables: list[Table] = []
        if self.asked:
            tables += [self.answers(), self.results()]
        if check_names(self.record.programme):
            tables += [self.knowledge_gain(), self.knowledge_gain_summary()]
        if any(asked.evaluation for asked in self.asked):
            tables += [self.evaluation_summary(), self.evaluation_comments()]
        return tables
