"""How the participant's page shows the room's questions, in its language: what the templates render.

Each question the desk shows (facilitator.participant_page.desk.ShownQuestion) becomes a :class:`QuestionView`:
its controls (radios for one answer, checkboxes for several, the scale's numbers as radios with its end labels,
a comment box with its consent to quote), chosen as the person's recorded answer or as a refused form sent
them, the problem with it, and once revealed the room's results as words and figures (never colour alone).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from facilitator.participant_page import desk
from facilitator.participant_page.desk import SentAnswer, ShownQuestion
from facilitator.participant_page.languages import language_of
from facilitator.participant_page.web import catalogue
from facilitator.questions.answers import MAX_TEXT
from facilitator.questions.ballots import GivenAnswer
from facilitator.script.models import Question, QuestionType

PROBLEMS = {
    desk.UNKNOWN_QUESTION: "answer_unknown",
    desk.CLOSED: "answer_closed",
    desk.REVEALED: "answer_revealed",
    desk.NEEDS_CHECK_IN: "answer_check_in",
    desk.NOT_AN_OPTION: "answer_not_an_option",
    desk.ONE_ONLY: "answer_one_only",
    desk.CANNOT_WITHDRAW: "answer_withdraw",
    desk.NOTHING: "answer_nothing",
}


def dom_id(key: str) -> str:
    """The id of a question's block: ``q-`` and its key, the slashes of a check's or the evaluation's key made
    underscores (which no id of the script has, so two keys never give one id)."""
    return "q-" + key.replace("/", "_")


@dataclass(frozen=True)
class Choice:
    """One radio or checkbox: an option, or a number of a scale."""

    id: str
    value: str
    label: str
    checked: bool
    language: str | None = None


@dataclass(frozen=True)
class ResultRow:
    """One line of a question's results on the page: an option (or a scale's value), its count and share,
    and whether it is right and this person's choice."""

    label: str
    figures: str  # "8 (67%)": the count, then the share of the people who answered
    share: int  # the share in steps of 5, for the bar's width (a class: the page allows no inline style)
    right: bool  # a quiz's right option
    mine: bool  # this person's choice
    language: str | None = None


@dataclass(frozen=True)
class ResultsView:
    """A question's results once revealed, as the page shows them: how many answered, a row per option,
    and for a quiz whether this person was right."""

    answered: str  # "Answers: 12"
    rows: tuple[ResultRow, ...]
    notes: tuple[str, ...]  # several answers allowed; a scale's average; comments are not shown here
    verdict: str | None = None  # a quiz: whether this person's answer was right
    correct: str | None = None  # a quiz: which option(s) were


@dataclass(frozen=True)
class QuestionView:
    """One question as a person's page shows it: its text and controls, their answer or why it takes
    none now, a problem with the form they sent, and the results once revealed."""

    key: str
    id: str  # the block's id, and the prefix of its controls' ids
    field: str  # the id of its first control: where the problem summary's link leads
    text: str
    language: str | None
    kind: str  # "choices", "scale" or "text"
    input_type: str  # "radio" or "checkbox"
    hint: str
    anonymity: str
    form: bool  # takes an answer from this person now: its controls are shown
    state: str | None  # why not: closed, its answers shown, check in first
    recorded: str | None  # the answer it shows chosen is the one recorded, changeable until it closes
    mine: str | None  # without a form: the answer this person gave
    error: str | None
    choices: tuple[Choice, ...]
    text_value: str
    consent: bool
    consent_label: str
    max_chars: int
    results: ResultsView | None

    @property
    def hints(self) -> str:
        """The ids of what describes the question's group (or comment box), but its problem."""
        ids = [f"{self.id}-hint", f"{self.id}-anonymity"]
        if self.recorded:
            ids.append(f"{self.id}-recorded")
        return " ".join(ids)

    @property
    def described(self) -> str:
        """The ids that describe the question's group: its problem first, then its hints."""
        return f"{self.id}-error {self.hints}" if self.error else self.hints


@dataclass(frozen=True)
class Group:
    """The questions under one heading: the step's, or the course evaluation's (under its title)."""

    heading: str
    language: str | None
    questions: tuple[QuestionView, ...]


def percent(share: float, t: Mapping[str, str]) -> str:
    return t["percent"].format(value=int(share * 100 + 0.5))


def decimal(value: float, lang: str) -> str:
    """One decimal, as each language writes it: 3.8 in English, 3,8 in French."""
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "fr" else text


def problem_text(question: Question, code: str, t: Mapping[str, str], lang: str) -> str:
    """What the page says about a refused answer (a problem of facilitator.participant_page.desk)."""
    if code == desk.OUT_OF_RANGE and question.scale is not None:
        return t["answer_value"].format(min=question.scale.min, max=question.scale.max)
    if code == desk.TOO_LONG:
        return t["answer_too_long"].format(limit=catalogue.number(MAX_TEXT, lang))
    return t[PROBLEMS.get(code, "answer_refused")]


def _scale_label(question: Question, value: int, t: Mapping[str, str]) -> str:
    scale = question.scale
    assert scale is not None
    meaning = scale.low if value == scale.min else scale.high if value == scale.max else ""
    return t["scale_end"].format(value=value, meaning=meaning) if meaning else str(value)


def _answer_text(question: Question, mine: GivenAnswer, t: Mapping[str, str]) -> str:
    """The answer given, in words: the options' texts, the scale's number and meaning, or the comment."""
    if question.type is QuestionType.SCALE and mine.value is not None:
        return _scale_label(question, mine.value, t)
    if question.type is QuestionType.TEXT:
        return mine.text or ""
    return t["list_separator"].join(option.text for option in question.options if option.id in mine.choices)


def _choices(shown: ShownQuestion, sent: SentAnswer | None, block: str, t: Mapping[str, str]) -> tuple[Choice, ...]:
    question, mine = shown.asked.question, shown.mine
    if question.type is QuestionType.SCALE:
        assert question.scale is not None
        wanted = sent.value.strip() if sent is not None else str(mine.value) if mine and mine.value is not None else ""
        return tuple(
            Choice(f"{block}-{value}", str(value), _scale_label(question, value, t), str(value) == wanted)
            for value in range(question.scale.min, question.scale.max + 1)
        )
    chosen = set(sent.choices if sent is not None else mine.choices if mine is not None else ())
    return tuple(
        Choice(f"{block}-{option.id}", option.id, option.text, option.id in chosen, language_of(option.text))
        for option in question.options
    )


def _results(shown: ShownQuestion, t: Mapping[str, str], lang: str) -> ResultsView | None:
    results = shown.results
    if results is None:
        return None
    question, mine = shown.asked.question, shown.mine
    answered = results.answered
    rows: list[ResultRow] = []
    items: list[tuple[str, str, str | None]] = []  # (counted as, label, language)
    if question.type is QuestionType.SCALE:
        assert question.scale is not None
        items = [
            (str(v), _scale_label(question, v, t), None) for v in range(question.scale.min, question.scale.max + 1)
        ]
    elif question.type is not QuestionType.TEXT:
        items = [(option.id, option.text, language_of(option.text)) for option in question.options]
    for counted, label, language in items:
        count = results.counts.get(counted, 0)
        share = count / answered if answered else 0.0
        figures = t["result_figures"].format(count=catalogue.number(count, lang), share=percent(share, t))
        given = mine is not None and (
            counted in mine.choices or (mine.value is not None and f"{mine.value}" == counted)
        )
        right = question.type is QuestionType.QUIZ and counted in question.correct
        rows.append(ResultRow(label, figures, int(share * 20 + 0.5) * 5, right, given, language))
    notes: list[str] = []
    if question.several:
        notes.append(t["results_several"])
    if results.mean is not None:
        notes.append(t["results_mean"].format(mean=decimal(results.mean, lang)))
    if question.type is QuestionType.TEXT:
        notes.append(t["results_text_note"])
    verdict = correct = None
    if question.type is QuestionType.QUIZ:
        verdict = t["quiz_unanswered"] if shown.right is None else t["quiz_right" if shown.right else "quiz_wrong"]
        texts = [option.text for option in question.options if option.id in question.correct]
        key = "quiz_correct_many" if len(texts) > 1 else "quiz_correct_one"
        correct = t[key].format(answers=t["list_separator"].join(texts))
    heading = t["results_answered"].format(count=catalogue.number(answered, lang)) if answered else t["results_none"]
    return ResultsView(heading, tuple(rows), tuple(notes), verdict, correct)


def view(
    shown: ShownQuestion, sent: SentAnswer | None, problem: str | None, t: Mapping[str, str], lang: str
) -> QuestionView:
    """One question as the page shows it: ``sent`` is what a refused form gave for it, ``problem`` why."""
    asked, question, mine = shown.asked, shown.asked.question, shown.mine
    block = dom_id(asked.key)
    if question.type is QuestionType.SCALE:
        assert question.scale is not None
        kind, input_type = "scale", "radio"
        hint = t["hint_scale"].format(min=question.scale.min, max=question.scale.max)
    elif question.type is QuestionType.TEXT:
        kind, input_type = "text", "radio"
        hint = t["hint_text"].format(limit=catalogue.number(MAX_TEXT, lang))
    else:
        kind, input_type = "choices", "checkbox" if question.several else "radio"
        hint = t["hint_many" if question.several else "hint_one"]
    choices = () if kind == "text" else _choices(shown, sent, block, t)
    field = f"{block}-text" if kind == "text" else choices[0].id
    state = None
    if not shown.status.open:
        state = t["question_closed"]
    elif not shown.takes_answers:
        state = t["question_revealed_closed"]
    elif shown.needs_check_in:
        state = t["needs_check_in_question"]
    form = shown.answerable
    unchanged = sent is None or (mine is not None and desk.same_answer(asked, sent, mine))
    recorded = t["answer_recorded"] if form and mine is not None and unchanged and problem is None else None
    given = t["your_answer"].format(answer=_answer_text(question, mine, t)) if mine and not form else None
    if sent is not None:
        text_value, consent = sent.text, sent.consent
    else:
        text_value, consent = (mine.text or "", mine.consent) if mine is not None else ("", False)
    return QuestionView(
        key=asked.key,
        id=block,
        field=field if form else block,
        text=question.text,
        language=language_of(question.text),
        kind=kind,
        input_type=input_type,
        hint=hint,
        anonymity=t["named_note" if asked.named else "anonymous_note"],
        form=form,
        state=state,
        recorded=recorded,
        mine=given,
        error=problem_text(question, problem, t, lang) if problem else None,
        choices=choices,
        text_value=text_value,
        consent=consent,
        consent_label=t["comment_consent_named" if asked.named else "comment_consent_anonymous"],
        max_chars=MAX_TEXT,
        results=_results(shown, t, lang),
    )


def groups(
    shown: Sequence[ShownQuestion],
    sent: Mapping[str, SentAnswer],
    problems: Mapping[str, str],
    evaluation_title: str | None,
    lang: str,
) -> tuple[Group, ...]:
    """The questions under their headings: the step's first, then the evaluation's."""
    t = catalogue.CATALOGUES[lang]
    step = tuple(view(q, sent.get(q.key), problems.get(q.key), t, lang) for q in shown if not q.asked.evaluation)
    evaluation = tuple(view(q, sent.get(q.key), problems.get(q.key), t, lang) for q in shown if q.asked.evaluation)
    found = []
    if step:
        found.append(Group(t["questions_heading"], None, step))
    if evaluation:
        title = evaluation_title or t["questions_heading"]
        found.append(Group(title, language_of(title), evaluation))
    return tuple(found)


def summary_items(
    found: Sequence[Group], problems: Mapping[str, str], t: Mapping[str, str]
) -> tuple[tuple[str, str], ...]:
    """The problem summary's lines, each with the id it leads to: a question's first control, or its block."""
    items = []
    for group in found:
        for question in group.questions:
            if question.error:
                line = t["answer_problem"].format(question=question.text, problem=question.error)
                items.append((line, question.field))
    shown = {question.key for group in found for question in group.questions}
    if any(key not in shown for key in problems):
        items.append((t["answer_unknown"], ""))
    return tuple(items)
