"""The report's charts, as inline SVG: no script, no external resource, readable in print and in grey.

Every label goes through ``escape``: location names and genders come from organisers' files, questions and
options from script authors. Each chart has a ``<title>`` (and where there is more to say, a ``<desc>``),
each bar its own ``<title>`` with its figures, and the report puts a table of the same figures beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

PALETTE = ("#1f6fb2", "#e07b00", "#2a9d5c", "#b33c86", "#6a51a3", "#8c6d31", "#d6404e", "#3b9ab2", "#7f7f7f")
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _svg(width: int, height: int, title: str, body: list[str], desc: str = "") -> Markup:
    # Every piece of text in ``body`` went through escape() where it was built.
    described = f"<desc>{escape(desc)}</desc>" if desc else ""
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" {FONT}><title>{escape(title)}</title>{described}' + "".join(body) + "</svg>"
    )


def _short(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _legend(names: Sequence[str], y: int, width: int, colours: Sequence[str] | None = None) -> tuple[list[str], int]:
    """Colour keys for ``names``, wrapped onto as many rows as ``width`` needs; and the height they take."""
    out = []
    x, row = 10, 0
    for index, name in enumerate(names):
        size = 24 + 7 * len(name)
        if x > 10 and x + size > width:
            x, row = 10, row + 1
        top = y + 16 * row
        fill = colours[index] if colours is not None else colour(index)
        out.append(f'<rect x="{x}" y="{top}" width="10" height="10" fill="{fill}"/>')
        out.append(f'<text x="{x + 14}" y="{top + 9}">{escape(name)}</text>')
        x += size
    return out, 16 * (row + 1)


def attendance_chart(days: Sequence[date], locations: Sequence[str], rates: dict[tuple[date, str], float]) -> Markup:
    """Grouped bars: for each day, the share of each location's registered people who attended."""
    bar = max(6, min(18, 520 // max(1, len(days) * len(locations))))
    group = max(bar * len(locations) + 16, 80)  # room for the day's label under its bars
    width = max(360, 50 + group * len(days))
    top, plot = 10, 160
    body = []
    for pct in (0, 50, 100):
        y = top + plot - plot * pct / 100
        body.append(f'<line x1="40" x2="{width - 5}" y1="{y:.0f}" y2="{y:.0f}" stroke="#ccc"/>')
        body.append(f'<text x="36" y="{y + 4:.0f}" text-anchor="end">{pct}%</text>')
    for d, day in enumerate(days):
        x0 = 48 + d * group
        for i, location in enumerate(locations):
            rate = rates.get((day, location))
            if rate is None:
                continue
            h = plot * rate
            body.append(
                f'<rect class="bar" x="{x0 + i * bar}" y="{top + plot - h:.1f}" width="{bar - 1}" height="{h:.1f}" '
                f'fill="{colour(i)}"><title>{escape(location)}, {day:%a %d %b}: {rate:.0%}</title></rect>'
            )
        body.append(
            f'<text x="{x0 + (group - 16) / 2:.0f}" y="{top + plot + 14}" text-anchor="middle">{day:%a %d %b}</text>'
        )
    legend, height = _legend(locations, top + plot + 26, width)
    return _svg(width, top + plot + 28 + height, "Attendance by day and location", body + legend)


def gender_chart(days: Sequence[date], genders: Sequence[str], counts: dict[tuple[date, str], int]) -> Markup:
    """One 100% bar per day: who attended, by gender."""
    width, left, row = 640, 90, 24
    body = []
    for d, day in enumerate(days):
        y = 8 + d * row
        total = sum(counts.get((day, g), 0) for g in genders)
        body.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{day:%a %d %b}</text>')
        x = float(left)
        for i, gender in enumerate(genders):
            n = counts.get((day, gender), 0)
            if not total or not n:
                continue
            w = (width - left - 10) * n / total
            body.append(
                f'<rect class="bar" x="{x:.1f}" y="{y}" width="{w:.1f}" height="18" fill="{colour(i)}">'
                f"<title>{escape(gender)}: {n} ({n / total:.0%})</title></rect>"
            )
            if w > 34:
                body.append(f'<text x="{x + 4:.1f}" y="{y + 13}" fill="#fff">{n / total:.0%}</text>')
            x += w
    height = 8 + len(days) * row
    legend, extra = _legend(genders, height + 4, width)
    return _svg(width, height + 8 + extra, "Attendance by gender", body + legend)


@dataclass(frozen=True)
class Bar:
    """One step's row of a day's timeline chart: its planned and actual spans, and whether it ran over."""

    label: str
    planned: tuple[float, float] | None  # minutes from the day's reference start: (from, to)
    actual: tuple[float, float] | None
    over: bool


def timeline_chart(title: str, bars: Sequence[Bar]) -> Markup:
    """Planned (outline) against actual (filled) for each step of a day, in minutes from its start."""
    width, left, row = 680, 190, 16
    ends = [b.planned[1] for b in bars if b.planned] + [b.actual[1] for b in bars if b.actual]
    span = max([30.0, *ends])
    scale = (width - left - 10) / span
    body = []
    tick = 30 if span <= 240 else 60
    for minute in range(0, int(span) + 1, tick):
        x = left + minute * scale
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="4" y2="{8 + len(bars) * row}" stroke="#ddd"/>')
        body.append(f'<text x="{x:.1f}" y="{20 + len(bars) * row}" text-anchor="middle">{minute}′</text>')
    for i, b in enumerate(bars):
        y = 6 + i * row
        label = b.label if len(b.label) <= 30 else b.label[:29] + "…"
        body.append(f'<text x="{left - 6}" y="{y + 10}" text-anchor="end">{escape(label)}</text>')
        if b.planned:
            x, w = left + b.planned[0] * scale, (b.planned[1] - b.planned[0]) * scale
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="12" fill="none" stroke="#555" '
                f'stroke-dasharray="3 2"><title>planned {b.planned[0]:.0f}′–{b.planned[1]:.0f}′</title></rect>'
            )
        if b.actual:
            x, w = left + b.actual[0] * scale, (b.actual[1] - b.actual[0]) * scale
            fill = "#d6404e" if b.over else "#1f6fb2"
            body.append(
                f'<rect class="bar" x="{x:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" height="6" fill="{fill}">'
                f"<title>actual {b.actual[0]:.0f}′–{b.actual[1]:.0f}′</title></rect>"
            )
    height = 26 + len(bars) * row
    return _svg(width, height, title, body)


ALL_COLOUR = "#444"  # the total, beside the locations' palette colours


@dataclass(frozen=True)
class Choice:
    """One bar group of a results chart: an option (or a scale's value), and whether it is a quiz's answer."""

    label: str
    correct: bool = False


@dataclass(frozen=True)
class Series:
    """One group of respondents in a results chart: its name, how many answered, the mean (a scale's), and
    per choice (count, share); None where the group has no share (nobody answered)."""

    name: str
    colour: str
    answered: int
    values: Sequence[tuple[int, float] | None]
    mean: float | None = None

    @property
    def legend(self) -> str:
        mean = f", mean {self.mean:.2f}" if self.mean is not None else ""
        return f"{self.name} ({self.answered} answered{mean})"


def results_chart(title: str, desc: str, choices: Sequence[Choice], series: Sequence[Series]) -> Markup:
    """Horizontal bars: for each option, the share of each group's answers that chose it, with the count and
    share written at the bar's end; a quiz's right option says so in its label ("correct"), not by colour."""
    width, left, bar, gap = 680, 220, 12, 10
    plot = width - left - 90
    block = bar * len(series) + gap
    top = 6
    body = []
    bottom = top + block * len(choices)
    for pct in (0, 50, 100):
        x = left + plot * pct / 100
        body.append(f'<line x1="{x:.0f}" x2="{x:.0f}" y1="{top}" y2="{bottom - gap + 4}" stroke="#ccc"/>')
        body.append(f'<text x="{x:.0f}" y="{bottom + 8}" text-anchor="middle">{pct}%</text>')
    for c, choice in enumerate(choices):
        y0 = top + c * block
        middle = y0 + (block - gap) / 2 + 4
        if choice.correct:
            label = _short(choice.label, 26) + " (correct)"
            body.append(
                f'<text x="{left - 6}" y="{middle:.0f}" text-anchor="end" font-weight="bold">{escape(label)}</text>'
            )
        else:
            body.append(
                f'<text x="{left - 6}" y="{middle:.0f}" text-anchor="end">{escape(_short(choice.label, 34))}</text>'
            )
        for s, group in enumerate(series):
            value = group.values[c] if c < len(group.values) else None
            if value is None:
                continue
            count, share = value
            y = y0 + s * bar
            w = plot * share
            right = " (correct)" if choice.correct else ""
            what = f"{group.name}, {choice.label}{right}: {count} of {group.answered} ({share:.0%})"
            body.append(
                f'<rect class="bar" x="{left}" y="{y}" width="{max(w, 0.5):.1f}" height="{bar - 2}" '
                f'fill="{group.colour}"><title>{escape(what)}</title></rect>'
            )
            body.append(f'<text x="{left + w + 4:.1f}" y="{y + bar - 3}">{count} · {share:.0%}</text>')
    legend, height = _legend([g.legend for g in series], bottom + 18, width, [g.colour for g in series])
    return _svg(width, bottom + 20 + height, title, body + legend, desc)


@dataclass(frozen=True)
class Gain:
    """One group's mean scores before and after (None: nobody answered that phase), or why it is withheld."""

    label: str
    pre: float | None
    post: float | None
    withheld: str = ""


def gain_chart(title: str, desc: str, maximum: int, groups: Sequence[Gain]) -> Markup:
    """For each group, its mean score before (dashed outline) and after (filled), each bar labelled with its
    phase and its score in words, so that neither colour nor pattern carries the meaning alone."""
    width, left, phase, bar = 680, 170, 46, 12
    plot = width - left - phase - 90
    scale = plot / max(maximum, 1)
    block = 2 * bar + 10
    top = 6
    body = []
    bottom = top + block * len(groups)
    x0 = left + phase
    for tick in sorted({0, maximum / 2, maximum}):
        x = x0 + tick * scale
        body.append(f'<line x1="{x:.0f}" x2="{x:.0f}" y1="{top}" y2="{bottom - 6}" stroke="#ccc"/>')
        body.append(f'<text x="{x:.0f}" y="{bottom + 8}" text-anchor="middle">{tick:g}</text>')
    for g, group in enumerate(groups):
        y0 = top + g * block
        body.append(
            f'<text x="{left - 6}" y="{y0 + bar + 4}" text-anchor="end">{escape(_short(group.label, 26))}</text>'
        )
        if group.withheld:
            body.append(f'<text x="{x0}" y="{y0 + bar + 4}" font-style="italic">{escape(group.withheld)}</text>')
            continue
        for p, (name, mean) in enumerate((("before", group.pre), ("after", group.post))):
            y = y0 + p * bar
            body.append(f'<text x="{x0 - 4}" y="{y + bar - 3}" text-anchor="end">{name}</text>')
            if mean is None:
                body.append(f'<text x="{x0 + 4}" y="{y + bar - 3}" font-style="italic">no answers</text>')
                continue
            w = max(mean * scale, 0.5)
            style = 'fill="#fff" stroke="#1f6fb2" stroke-dasharray="3 2"' if name == "before" else 'fill="#1f6fb2"'
            what = f"{group.label}, {name}: mean {mean:.2f} of {maximum}"
            body.append(
                f'<rect class="bar" x="{x0}" y="{y}" width="{w:.1f}" height="{bar - 2}" {style}>'
                f"<title>{escape(what)}</title></rect>"
            )
            body.append(f'<text x="{x0 + w + 4:.1f}" y="{y + bar - 3}">{mean:.2f} of {maximum}</text>')
    return _svg(width, bottom + 14, title, body, desc)


@dataclass(frozen=True)
class Share:
    """One group's share of the people present and of the speaking time (None: no one spoke), or why it is
    withheld."""

    label: str
    present: float | None
    time: float | None
    withheld: str = ""


def speaking_chart(title: str, desc: str, groups: Sequence[Share]) -> Markup:
    """For each group, its share of the people present (dashed outline) above its share of the speaking time
    (filled), each bar named and its share written out, so that the gap reads without colour or pattern."""
    width, left, phase, bar = 680, 170, 64, 12
    plot = width - left - phase - 60
    block = 2 * bar + 10
    top = 6
    body = []
    bottom = top + block * len(groups)
    x0 = left + phase
    for pct in (0, 50, 100):
        x = x0 + plot * pct / 100
        body.append(f'<line x1="{x:.0f}" x2="{x:.0f}" y1="{top}" y2="{bottom - 6}" stroke="#ccc"/>')
        body.append(f'<text x="{x:.0f}" y="{bottom + 8}" text-anchor="middle">{pct}%</text>')
    for g, group in enumerate(groups):
        y0 = top + g * block
        body.append(
            f'<text x="{left - 6}" y="{y0 + bar + 4}" text-anchor="end">{escape(_short(group.label, 26))}</text>'
        )
        if group.withheld:
            body.append(f'<text x="{x0}" y="{y0 + bar + 4}" font-style="italic">{escape(group.withheld)}</text>')
            continue
        measures = (("present", "people present", group.present), ("speaking", "speaking time", group.time))
        for p, (name, of, share) in enumerate(measures):
            y = y0 + p * bar
            body.append(f'<text x="{x0 - 4}" y="{y + bar - 3}" text-anchor="end">{name}</text>')
            if share is None:
                body.append(f'<text x="{x0 + 4}" y="{y + bar - 3}" font-style="italic">no one spoke</text>')
                continue
            w = max(plot * share, 0.5)
            style = 'fill="#fff" stroke="#1f6fb2" stroke-dasharray="3 2"' if name == "present" else 'fill="#1f6fb2"'
            what = f"{group.label}, share of the {of}"
            body.append(
                f'<rect class="bar" x="{x0}" y="{y}" width="{w:.1f}" height="{bar - 2}" {style}>'
                f"<title>{escape(what)}: {share:.0%}</title></rect>"
            )
            body.append(f'<text x="{x0 + w + 4:.1f}" y="{y + bar - 3}">{share:.0%}</text>')
    return _svg(width, bottom + 14, title, body, desc)
