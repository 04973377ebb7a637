"""The report's charts, as inline SVG: no script, no external resource, readable in print and in grey.

Every label goes through ``escape``: location names and genders come from organisers' files.
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


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    # Every piece of text in ``body`` went through escape() where it was built.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" {FONT}><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def _legend(names: Sequence[str], y: int, width: int) -> tuple[list[str], int]:
    """Colour keys for ``names``, wrapped onto as many rows as ``width`` needs; and the height they take."""
    out = []
    x, row = 10, 0
    for index, name in enumerate(names):
        size = 24 + 7 * len(name)
        if x > 10 and x + size > width:
            x, row = 10, row + 1
        top = y + 16 * row
        out.append(f'<rect x="{x}" y="{top}" width="10" height="10" fill="{colour(index)}"/>')
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
