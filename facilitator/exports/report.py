"""The report an organiser can mail: one self-contained HTML file, and the same in Markdown.

Rendered with Jinja2, autoescaping on for HTML: participant text is data and is never trusted as markup.
Every value either template shows goes through one ``finalize`` (control and bidi characters shown as
escapes, facilitator.exports.inert; anonymised, names scrubbed too), so no template can forget it.
The HTML has its CSS and charts inline and a content security policy that allows no script and no
remote resource at all, so it opens the same offline, in a mail client, or printed to PDF.

When the workshop asks questions, the report shows their results as the ``question_results``,
``knowledge_gain_summary`` and ``evaluation_summary`` tables give them (so with the same small-cell rule:
a withheld group says so and shows no figure), each chart beside a table of its figures, and the
evaluation's comments given with consent to quote them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

from markupsafe import Markup

from facilitator.attendance.gender import NOT_STATED
from facilitator.attendance.intervals import minutes
from facilitator.exports import svg
from facilitator.exports.cells import SUPPRESSED
from facilitator.exports.inert import visible
from facilitator.exports.questions import ALL, UNKNOWN, Comment, Questions
from facilitator.exports.record import Record
from facilitator.exports.reflections import Quote
from facilitator.exports.register import Attendance, gender_of
from facilitator.exports.speaking import GENDER, Published, Turns
from facilitator.exports.tables import Table
from facilitator.exports.timeline import Timeline
from facilitator.script.models import AskedQuestion, QuestionType
from facilitator.speaking.tally import UNKNOWN as UNPLACED

TEMPLATES = Path(__file__).parent / "templates"
QUOTES_PER_DAY = 2
MAX_QUOTES = 12
MAX_COMMENTS = 40  # the evaluation's quotable comments the report shows; the table holds them all
WITHHELD = "withheld"


@dataclass
class QuotePicker:
    """Keeps the first quotes of each day, up to a dozen, as the quotes table goes by."""

    chosen: list[Quote] = field(default_factory=list)
    seen: int = 0

    def __call__(self, quote: Quote) -> None:
        self.seen += 1
        same_day = sum(1 for q in self.chosen if q.day == quote.day)
        if len(self.chosen) < MAX_QUOTES and same_day < QUOTES_PER_DAY:
            self.chosen.append(quote)


@dataclass(frozen=True)
class Figure:
    """One of the report's headline figures: what it counts, and the count as shown."""

    label: str
    value: str


def _pct(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def _signed(value: timedelta) -> str:
    m = round(minutes(value))
    return f"+{m} min" if m > 0 else f"{m} min"


def build(
    attendance: Attendance,
    timeline: Timeline,
    picker: QuotePicker,
    reflections: int,
    *,
    anonymised: bool,
    questions: Questions | None = None,
    speaking: Turns | None = None,
) -> dict[str, Any]:
    """Everything the templates show, already worked out; the templates only lay it out.

    ``questions``: the room's answers, ``speaking``: the turns of who speaks, each read from the attendance's
    snapshot when not given.
    """
    record = attendance.record
    scrub = record.pseudonyms.scrub
    cells = record.cells
    workshop = record.programme.workshop
    locations = list(record.locations)
    names = [record.location_name(loc) for loc in locations]
    summary = attendance.summary_rows()
    rates: dict[tuple[date, str], float] = {}
    charted: list[str] = []  # the summary's rows but "all": anonymised, small locations are one row
    for row in summary:
        if row[1] != "all":
            if scrub(row[2]) not in charted:
                charted.append(scrub(row[2]))
            if row[10] is not None:
                rates[(row[0], scrub(row[2]))] = row[10]
    gender_rows = attendance.gender_rows()
    genders = sorted({g for _, g, *_ in gender_rows}, key=lambda g: (g == SUPPRESSED, g == NOT_STATED, g))
    gender_counts = {(row[0], row[1]): row[3] for row in gender_rows if row[3] is not None}
    certificates = attendance.certificate_list()
    eligible = sum(1 for c in certificates if c.eligible)
    person_days = len(attendance.rows)
    attended_days = sum(1 for r in attendance.rows if r.status in ("present", "late"))
    days_run = [d for d in timeline.days if d.status != "not started"]
    run_time = sum((s.actual for s in timeline.steps if s.visits), timedelta())
    figures = [
        Figure("Participants on the roster", str(len(attendance.people))),
        Figure("Locations", str(len(locations))),
        Figure("Days run", f"{len(days_run)} of {len(workshop.days)}"),
        Figure("Attendance (person-days)", f"{attended_days} of {person_days} ({_pct(attended_days, person_days)})"),
        Figure(
            "Eligible for a certificate", f"{eligible} of {len(certificates)} ({_pct(eligible, len(certificates))})"
        ),
        Figure("Reflections logged", str(reflections)),
        Figure("Quotable reflections", str(picker.seen)),
        Figure("Session time run", f"{round(minutes(run_time))} min"),
    ]
    cert_by_gender: list[tuple[str, int | None, int | None, str]] = []
    for gender in genders:
        if gender == SUPPRESSED and cells.genders.withheld:
            cert_by_gender.append((gender, None, None, "–"))
            continue
        mine = [
            c
            for c in certificates
            if cells.gender_group(gender_of(record.attendance.roster.by_id[c.participant])) == gender
        ]
        got = sum(1 for c in mine if c.eligible)
        cert_by_gender.append((gender, len(mine), got, _pct(got, len(mine))))
    day_charts = []
    for day in timeline.days:
        steps = [s for s in timeline.steps if s.day == day.day]
        reference = day.planned_start if not day.rehearsal or day.actual_start is None else day.actual_start
        bars = []
        for s in steps:
            planned = None
            if s.planned_start is not None and s.planned is not None:
                offset = minutes(s.planned_start - day.planned_start)
                planned = (offset, offset + minutes(s.planned))
            actual = None
            if s.actual_start is not None:
                end = s.actual_end or record.now
                actual = (minutes(s.actual_start - reference), minutes(end - reference))
            bars.append(svg.Bar(scrub(s.step_title), planned, actual, s.overrun > timedelta()))
        title = f"{day.day:%a %d %b}: planned against actual"
        day_charts.append(
            {
                "day": day,
                "drift": (_signed(day.drift) + (", end inferred" if day.end_inferred else ""))
                if day.drift is not None
                else "not started",
                "planned": round(minutes(day.planned)),
                "overruns": sum(1 for s in steps if s.overrun > timedelta()),
                "chart": svg.timeline_chart(title, bars) if any(b.actual for b in bars) else None,
            }
        )
    return {
        "workshop": workshop,
        "generated": record.now.astimezone(UTC),
        "anonymised": anonymised,
        "privacy": _privacy(record) if anonymised else [],
        "figures": figures,
        "days": attendance.days,
        "locations": list(zip(locations, names, strict=True)),
        "summary": summary,
        "attendance_chart": svg.attendance_chart(attendance.days, charted, rates) if attendance.days else None,
        "gender_rows": gender_rows,
        "gender_chart": svg.gender_chart(attendance.days, genders, gender_counts) if attendance.days else None,
        "cert_by_gender": cert_by_gender,
        "timeline": day_charts,
        "quotes": picker.chosen,
        "questions": _questions(questions if questions is not None else Questions(attendance.snapshot, record))
        if record.programme.asked
        else None,
        "speaking": _speaking(speaking if speaking is not None else Turns(attendance.snapshot, record)),
    }


# -- the room's answers ---------------------------------------------------------------------------------


Groups = list[tuple[tuple[str, str], list[dict[str, Any]]]]  # (location, gender) and its rows, in order


@dataclass(frozen=True)
class ResultTable:
    """A question's figures as a table: a column per group (all, each location, each gender), a row per option
    (or scale value), a first row of how many answered and, for a scale its mean, for a quiz the share right."""

    columns: list[str]
    rows: list[tuple[str, list[str]]]
    notes: list[str]  # what was pooled or withheld, group by group


@dataclass(frozen=True)
class QuestionView:
    """One question's section of the report: where it was asked, how many answered, the table of its
    figures (none for a comment question) and its chart."""

    key: str
    text: str
    kind: str  # "quiz", "scale 1–5", ...
    asked: str  # where: the exercise and step, or the evaluation
    answered: int | None  # None: withheld
    table: ResultTable | None  # None: a comment question
    chart: Markup | None
    caption: str
    comments: int | None = None  # the evaluation's: every comment, and those that may be quoted
    quotable: int | None = None


@dataclass(frozen=True)
class GainRow:
    """One group's line in a knowledge check's table of the report, as shown (a withheld one says why)."""

    group: str
    people: str
    n_pre: str
    mean_pre: str
    n_post: str
    mean_post: str
    n_both: str
    mean_gain: str
    note: str


@dataclass(frozen=True)
class GainView:
    """One knowledge check's section of the report: its mean scores before and after, by group, and their chart."""

    check: str
    maximum: int | None
    rows: list[GainRow]
    chart: Markup | None


def _dicts(table: Table) -> Iterable[dict[str, Any]]:
    header = table.header
    return (dict(zip(header, row, strict=True)) for row in table.rows)


def _group_label(record: Record, location: str, gender: str) -> str:
    if gender != ALL:
        return f"gender: {gender}"
    if location == ALL:
        return "All"
    if location == UNKNOWN:
        return "no location"
    return record.location_name(location)


def _ordered(groups: dict[tuple[str, str], list[dict[str, Any]]]) -> Groups:
    """All first, then the locations in the table's order, then the genders."""
    rank = {(ALL, ALL): 0}
    return sorted(groups.items(), key=lambda item: rank.get(item[0], 1 if item[0][1] == ALL else 2))


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _count(value: int | None) -> str:
    return "–" if value is None else str(value)


def _kind(asked: AskedQuestion) -> str:
    question = asked.question
    if question.type is QuestionType.SCALE and question.scale is not None:
        kind = f"scale {question.scale.min}–{question.scale.max}"
    else:
        kind = {
            QuestionType.SINGLE: "poll, one choice",
            QuestionType.MULTIPLE: "poll, several choices",
            QuestionType.QUIZ: "quiz",
            QuestionType.TEXT: "comment",
        }[question.type]
    if asked.check is not None:
        kind += f"; knowledge check {asked.check.name}, {'before' if asked.check.phase == 'pre' else 'after'}"
    return kind


def _where(record: Record, asked: AskedQuestion) -> str:
    evaluation = record.programme.workshop.evaluation
    if asked.evaluation and evaluation is not None:
        return evaluation.title
    exercise = record.programme.exercise_by_id.get(asked.exercise)
    if exercise is None:
        return f"{asked.exercise} › {asked.step}"
    step = next((s.title for s in exercise.steps if s.id == asked.step), asked.step)
    return f"{exercise.title} › {step}"


def _choices(asked: AskedQuestion) -> list[tuple[str, svg.Choice]]:
    """Each option (its id as the results table has it) or scale value, labelled as the report shows it."""
    question = asked.question
    if question.type is QuestionType.SCALE and question.scale is not None:
        scale = question.scale
        out = []
        for value in range(scale.min, scale.max + 1):
            end = scale.low if value == scale.min else scale.high if value == scale.max else ""
            out.append((str(value), svg.Choice(f"{value} ({end})" if end else str(value))))
        return out
    return [(o.id, svg.Choice(o.text, o.id in question.correct)) for o in question.options]


def _withheld(rows: list[dict[str, Any]]) -> bool:
    return bool(rows[0]["suppressed"].startswith(WITHHELD))


def _result_table(record: Record, asked: AskedQuestion, ordered: Groups) -> ResultTable:
    choices = _choices(asked)
    columns = [_group_label(record, *key) for key, _ in ordered]
    notes = [f"{_group_label(record, *key)}: {rows[0]['suppressed']}" for key, rows in ordered if rows[0]["suppressed"]]

    def each(figure: Callable[[dict[str, Any]], str]) -> list[str]:
        return [WITHHELD if _withheld(rows) else figure(rows[0]) for _, rows in ordered]

    def cell(rows: list[dict[str, Any]], option: str) -> str:
        if _withheld(rows):
            return WITHHELD
        row = next((row for row in rows if row["option"] == option), None)
        if row is None:
            return "–"
        return _count(row["count"]) if row["share"] is None else f"{row['count']} ({row['share']:.0%})"

    out: list[tuple[str, list[str]]] = [("Answered", each(lambda row: _count(row["answered"])))]
    for option, choice in choices:
        label = choice.label + (" (correct)" if choice.correct else "")
        out.append((label, [cell(rows, option) for _, rows in ordered]))
    if asked.question.type is QuestionType.SCALE:
        out.append(("Mean", each(lambda row: _number(row["mean"]))))
    if asked.question.type is QuestionType.QUIZ:
        out.append(
            ("Answered right", each(lambda row: "–" if row["share_right"] is None else f"{row['share_right']:.0%}"))
        )
    return ResultTable(columns, out, notes)


def _result_chart(record: Record, asked: AskedQuestion, ordered: Groups) -> tuple[Markup | None, str]:
    """The chart of all answers, and of each location's when there is more than one (genders are in the
    table only); and its caption, which says which location was not drawn because it is withheld."""
    scrub = record.pseudonyms.scrub
    choices = _choices(asked)
    locations = [(key, rows) for key, rows in ordered if key[0] != ALL]
    drawn = [(key, rows) for key, rows in ordered if key == (ALL, ALL)]
    if len(locations) > 1:
        drawn += [(key, rows) for key, rows in locations if not _withheld(rows)]
    series = []
    means = []
    for index, (key, rows) in enumerate(drawn):
        if not rows[0]["answered"]:
            continue
        found = {row["option"]: row for row in rows}
        values: list[tuple[int, float] | None] = []
        for option, _ in choices:
            row = found.get(option)
            values.append((row["count"], row["share"]) if row is not None and row["share"] is not None else None)
        label = scrub(_group_label(record, *key))
        mean = rows[0]["mean"]
        if mean is not None:
            means.append(f"{label} {mean:.2f}")
        paint = svg.ALL_COLOUR if key == (ALL, ALL) else svg.colour(index - 1)
        series.append(svg.Series(label, paint, rows[0]["answered"], values, mean))
    if not series:
        return None, ""
    where = "all respondents and each location" if len(series) > 1 else "all respondents"
    caption = f"Share of the answers that chose each {'value' if means else 'option'}, for {where}."
    if asked.question.type is QuestionType.QUIZ:
        caption += " The right answer is marked \u201ccorrect\u201d."
    if means:
        caption += f" Mean: {'; '.join(means)}."
    if len(locations) > 1:
        left_out = [
            f"{_group_label(record, *key)} ({rows[0]['suppressed']})" for key, rows in locations if _withheld(rows)
        ]
        if left_out:
            caption += f" Not drawn: {'; '.join(left_out)}."
    caption += " The table gives the same figures."
    drawn_choices = [svg.Choice(scrub(c.label), c.correct) for _, c in choices]
    return svg.results_chart(scrub(asked.question.text), scrub(caption), drawn_choices, series), caption


def _question(
    record: Record,
    asked: AskedQuestion,
    groups: dict[tuple[str, str], list[dict[str, Any]]],
    summary: dict[str, Any] | None = None,
) -> QuestionView:
    ordered = _ordered(groups)
    everyone = groups.get((ALL, ALL))
    text = asked.question.type is QuestionType.TEXT
    chart, caption = (None, "") if text else _result_chart(record, asked, ordered)
    return QuestionView(
        key=asked.key,
        text=asked.question.text,
        kind=_kind(asked),
        asked=_where(record, asked),
        answered=everyone[0]["answered"] if everyone else None,
        table=None if text else _result_table(record, asked, ordered),
        chart=chart,
        caption=caption,
        comments=summary["comments"] if summary is not None and text else None,
        quotable=summary["quotable"] if summary is not None and text else None,
    )


def _gain(record: Record, check: str, rows: list[dict[str, Any]]) -> GainView:
    scrub = record.pseudonyms.scrub
    maximum = rows[0]["maximum"] if rows else None
    ordered = _ordered({(row["location"], row["gender"]): [row] for row in rows})
    table = []
    bars = []
    for key, (row,) in ordered:
        label = _group_label(record, *key)
        withheld = row["suppressed"] if row["suppressed"].startswith(WITHHELD) else ""
        table.append(
            GainRow(
                label,
                _count(row["people"]),
                _count(row["n_pre"]),
                _number(row["mean_pre"]),
                _count(row["n_post"]),
                _number(row["mean_post"]),
                _count(row["n_both"]),
                _number(row["mean_gain"]),
                row["suppressed"],
            )
        )
        bars.append(svg.Gain(scrub(label), row["mean_pre"], row["mean_post"], withheld))
    chart = None
    if maximum is not None and any(b.pre is not None or b.post is not None or b.withheld for b in bars):
        desc = (
            f"Mean score of knowledge check {check} out of {maximum}, before (dashed) and after (filled) the course,"
            " for all, each location and each gender. The table gives the same figures."
        )
        chart = svg.gain_chart(
            scrub(f"Knowledge check {check}: mean score before and after"), scrub(desc), maximum, bars
        )
    return GainView(check, maximum, table, chart)


def _questions(questions: Questions) -> dict[str, Any]:
    """The report's sections about the room's answers, from the same tables the export writes."""
    record = questions.record
    results: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = {}
    for row in _dicts(questions.results()):
        results.setdefault(row["question"], {}).setdefault((row["location"], row["gender"]), []).append(row)
    polls = [_question(record, a, results.get(a.key, {})) for a in questions.asked if not a.evaluation]
    gains: dict[str, list[dict[str, Any]]] = {}
    for row in _dicts(questions.knowledge_gain_summary()):
        gains.setdefault(row["check"], []).append(row)
    evaluation: dict[str, Any] | None = None
    if any(a.evaluation for a in questions.asked):
        summary = {row["question"]: row for row in _dicts(questions.evaluation_summary())}
        comments: list[Comment] = list(questions.comments())
        evaluation = {
            "title": record.programme.workshop.evaluation.title if record.programme.workshop.evaluation else "",
            "questions": [
                _question(record, a, results.get(a.key, {}), summary.get(a.key))
                for a in questions.asked
                if a.evaluation
            ],
            "comments": comments[:MAX_COMMENTS],
            "quotable": len(comments),
            "all_comments": sum(row["comments"] for row in summary.values()),
        }
    return {
        "polls": polls,
        "gains": [_gain(record, check, rows) for check, rows in gains.items()],
        "evaluation": evaluation,
    }


# -- who speaks -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpeakingRow:
    """One group's line (a gender, a location) in a day's table of who speaks: the people present, turns and
    speaking time, each with its share, as shown (a withheld one says why)."""

    group: str
    present: str
    share_present: str
    turns: str
    share_turns: str
    time: str  # minutes:seconds
    share_time: str
    note: str


@dataclass(frozen=True)
class SpeakingDay:
    """One day's section of the report on who speaks: its turns and speaking time, a row per gender then
    per location, and their chart."""

    day: str
    turns: int
    time: str  # minutes:seconds
    rows: list[SpeakingRow]  # by gender, then by location
    chart: Markup | None


def _speaking_label(record: Record, published: Published) -> str:
    group = published.row.group
    if published.by == GENDER:
        return f"gender: {group}"
    return "no location" if group == UNPLACED else record.location_name(group)


def _speaking_row(label: str, published: Published) -> SpeakingRow:
    row = published.row
    if published.withheld:
        return SpeakingRow(label, WITHHELD, "–", WITHHELD, "–", WITHHELD, "–", published.note)
    pct = _share_text
    return SpeakingRow(
        label,
        str(row.present),
        pct(row.share_present),
        str(row.turns),
        pct(row.share_turns),
        _clock(row.seconds),
        pct(row.share_time),
        published.note,
    )


def _clock(seconds: float) -> str:
    """A speaking time as minutes:seconds: turns are short, and a tenth of a minute is six seconds."""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _share_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _speaking(turns: Turns) -> list[SpeakingDay] | None:
    """Per day, each gender's and location's share of the speaking time against its share of the people
    present, as ``speaking_summary`` gives them (so with its small-cell rule); None for a run with no turns."""
    if not turns.turns:
        return None
    record = turns.record
    scrub = record.pseudonyms.scrub
    out = []
    for found, by_gender, by_location in turns.days():
        day = found.window.day
        title = f"{day:%a %d %b}" if day is not None else "Before a day was opened"
        groups = [*by_gender, *by_location]
        labels = [_speaking_label(record, published) for published in groups]
        shares = [
            svg.Share(scrub(label), p.row.share_present, p.row.share_time, p.note if p.withheld else "")
            for label, p in zip(labels, groups, strict=True)
        ]
        desc = (
            f"{title}: each gender's and each location's share of the people present (dashed) and of the speaking"
            " time (filled). The table gives the same figures."
        )
        chart = svg.speaking_chart(scrub(f"Who speaks, {title}: speaking time against presence"), scrub(desc), shares)
        out.append(
            SpeakingDay(
                day=title,
                turns=found.turns,
                time=_clock(found.seconds),
                rows=[_speaking_row(label, p) for label, p in zip(labels, groups, strict=True)],
                chart=chart if shares else None,
            )
        )
    return out


def _privacy(record: Record) -> list[str]:
    """What an anonymised report says about itself, above everything else."""
    cells = record.cells
    pooled = sorted(record.location_name(loc) for loc in cells.locations.pooled)
    return [
        "Anonymised: people appear under pseudonyms and ids drawn at random for this export only; every name and"
        " e-mail they ever had is removed from all text.",
        f"Small cells suppressed: no figure is about fewer than {cells.k} people. Groups smaller than that are"
        " pooled and shown as \u201csuppressed\u201d"
        + (f" (locations pooled: {', '.join(pooled)})" if pooled else " (no location needed it)")
        + ("; some gender groups are pooled." if cells.genders.pooled else "; no gender group needed it."),
    ]


def _markdown_text(text: Any) -> str:
    """Participant text made inert in Markdown: no HTML, no links, no emphasis, one line."""
    out = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char in "\\`*_[]|#~!":
        out = out.replace(char, "\\" + char)
    return " ".join(out.split())


def _finalize(scrub: Callable[[str], str]) -> Callable[[Any], Any]:
    """What every ``{{ value }}`` of a template goes through: made inert, and scrubbed when anonymising."""

    def finalize(value: Any) -> Any:
        if isinstance(value, Markup):  # a chart: its text was escaped, and scrubbed, where it was drawn
            return Markup(visible(str(value)))  # noqa: S704
        if isinstance(value, str):
            return visible(scrub(value))
        return value

    return finalize


def _environment(*, html: bool, scrub: Callable[[str], str]) -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    # Markdown is not HTML: its participant text is made inert by the ``md`` filter instead.
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=html,  # noqa: S701
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize(scrub),
    )
    env.filters["md"] = _markdown_text
    env.filters["pct"] = lambda v: "–" if v is None else f"{v:.0%}"
    env.filters["n"] = lambda v: "–" if v is None else v  # a figure withheld (a small cell)
    return env


def render(
    data: dict[str, Any], folder: Path, formats: Sequence[str], scrub: Callable[[str], str] = lambda text: text
) -> list[Path]:
    written = []
    if "html" in formats:
        path = folder / "report.html"
        html = _environment(html=True, scrub=scrub).get_template("report.html.j2").render(data)
        path.write_text(html, encoding="utf-8")
        written.append(path)
    if "md" in formats:
        path = folder / "report.md"
        markdown = _environment(html=False, scrub=scrub).get_template("report.md.j2").render(data)
        path.write_text(markdown, encoding="utf-8")
        written.append(path)
    return written
