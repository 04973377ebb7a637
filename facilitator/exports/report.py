"""The report an organiser can mail: one self-contained HTML file, and the same in Markdown.

Rendered with Jinja2, autoescaping on for HTML: participant text is data and is never trusted as markup.
Every value either template shows goes through one ``finalize`` (control and bidi characters shown as
escapes, facilitator.exports.inert; anonymised, names scrubbed too), so no template can forget it.
The HTML has its CSS and charts inline and a content security policy that allows no script and no
remote resource at all, so it opens the same offline, in a mail client, or printed to PDF.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
from facilitator.exports.record import Record
from facilitator.exports.reflections import Quote
from facilitator.exports.register import Attendance, gender_of
from facilitator.exports.timeline import Timeline

TEMPLATES = Path(__file__).parent / "templates"
QUOTES_PER_DAY = 2
MAX_QUOTES = 12


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
) -> dict[str, Any]:
    """Everything the templates show, already worked out; the templates only lay it out."""
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
    }


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
