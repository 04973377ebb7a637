"""One way for every benchmark to report a figure, so that bench/run can gather them into BENCHMARKS.md.

A benchmark prints its own readable report and, for each figure, one line ``FIGURE {json}``: the figure's
name, its value and unit, the baseline measured in the same run (with its own value), the ratio between
them where one makes sense, the goal as text, and whether it was met (None: no goal was set, the figure is
reported for reference). ``parse`` reads such a line back.
"""

from __future__ import annotations

import json
from typing import Any

PREFIX = "FIGURE "


def emit(
    name: str,
    *,
    value: float,
    unit: str,
    goal: str,
    met: bool | None,
    baseline: str | None = None,
    baseline_value: float | None = None,
    ratio: float | None = None,
    issue: int | None = None,
) -> None:
    """Print one figure in the form bench/run reads (and a person can too)."""
    record: dict[str, Any] = {
        "name": name,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_value": baseline_value,
        "ratio": ratio,
        "goal": goal,
        "met": met,
        "issue": issue,
    }
    print(PREFIX + json.dumps(record, ensure_ascii=False), flush=True)


def parse(line: str) -> dict[str, Any] | None:
    """The figure on a line ``emit`` printed, or None for any other line (a readable report, a bad record)."""
    if not line.startswith(PREFIX):
        return None
    try:
        record = json.loads(line[len(PREFIX) :])
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("name"), str):
        return None
    return record
