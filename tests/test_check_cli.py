"""``facilitator check`` through the installed console script, on the demo and on every kind of bad input.

Each bad input must give exit code 2 and one ``FILE:LINE: field.path: message`` line per problem on
stderr: never a traceback, never a hang. Every case is a real subprocess; they all run at once (in
threads, each under its own timeout) in one module-scoped fixture, so the whole set costs a few seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from facilitator.script.loading import load_workshop

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "exercises"
FACILITATOR = Path(sys.executable).parent / "facilitator"
TIMEOUT_S = 20
# A problem line: FILE, then :LINE unless the problem is about the whole file, then the rest.
PROBLEM_LINE = re.compile(r"[^\s:][^:]*(:\d+)?: \S.*")

TINY_WORKSHOP = """\
title: Tiny workshop
timezone: Africa/Juba
locations:
  - id: hq
    name: Headquarters
    timezone: America/New_York
days:
  - date: 2022-08-22
    start: 9:30
    end: "10:00"
    agenda: [warm-up]
"""
TINY_EXERCISE = """\
id: warm-up
title: Warm-up
steps:
  - id: intro
    title: Introduction
    kind: presentation
    duration: 10m
  - id: reflect
    title: Reflect
    kind: reflection
    duration: 5m
    prompt:
      text: What will you take away?
"""
BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def copy_demo(folder: Path) -> Path:
    shutil.copytree(DEMO, folder)
    return folder


def tiny(folder: Path) -> Path:
    """A minimal valid workshop: workshop.yaml and warm-up.yaml (the second step is a reflection)."""
    folder.mkdir()
    (folder / "workshop.yaml").write_text(TINY_WORKSHOP)
    (folder / "warm-up.yaml").write_text(TINY_EXERCISE)
    return folder


def edit(path: Path, old: str, new: str, nth: int = 1) -> int:
    """Replace the ``nth`` occurrence of ``old`` in the file; return the 1-based line where it was."""
    text = path.read_text()
    at = -1
    for _ in range(nth):
        at = text.index(old, at + 1)
    path.write_text(text[:at] + new + text[at + len(old) :])
    return text.count("\n", 0, at) + 1


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` line of the file that contains ``needle``."""
    hits = [n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    return hits[nth - 1]


def exact(line: str) -> str:
    return re.escape(line)


@dataclass
class Case:
    arg: str
    expect: list[str]  # regular expressions, each matching one whole line of stderr
    forbid: list[str] = field(default_factory=list)  # substrings no stderr line may hold
    returncode: int = 2


CASES: dict[str, Callable[[Path], Case]] = {}


def case(build: Callable[[Path], Case]) -> Callable[[Path], Case]:
    CASES[build.__name__.removeprefix("case_")] = build
    return build


# --- the demo as edited by a careless hand ---------------------------------------------------------


@case
def case_unknown_field(root: Path) -> Case:
    ex = copy_demo(root / "unknown_field") / "01-opening.yaml"
    line = edit(ex, "    duration: 15m", "    duraton: 15m")  # the second step
    return Case(
        "unknown_field",
        [
            exact(f"unknown_field/01-opening.yaml:{line}: steps[1].duraton: unknown field (did you mean 'duration'?)"),
        ],
        # One typo, one line: not also "duration: is required". And the exercise exists, it is only
        # invalid: the agenda naming it is not a second problem.
        forbid=["is required", "no exercise 'opening'"],
    )


@case
def case_missing_step_field(root: Path) -> Case:
    ex = copy_demo(root / "missing_step_field") / "01-opening.yaml"
    edit(ex, "    kind: presentation\n", "")
    # A missing key has no line of its own: the line is its step's.
    return Case(
        "missing_step_field",
        [exact(f"missing_step_field/01-opening.yaml:{line_of(ex, '- id: welcome')}: steps[0].kind: is required")],
    )


@case
def case_missing_workshop_field(root: Path) -> Case:
    ws = copy_demo(root / "missing_workshop_field") / "workshop.yaml"
    edit(ws, "timezone: America/New_York\n", "")
    return Case(
        "missing_workshop_field",
        [exact(f"missing_workshop_field/workshop.yaml:{line_of(ws, 'title:')}: timezone: is required")],
    )


BAD_DURATIONS = {
    "10": "10 has no unit; write 10m for minutes or 10s for seconds",
    "0m": "a duration must be longer than zero",
    "abc": "'abc' is not a duration; write it like 10m, 1h30m or 90s",
    "-5m": "'-5m' is not a duration; write it like 10m, 1h30m or 90s",
}


def _bad_duration(value: str, message: str) -> Callable[[Path], Case]:
    def build(root: Path) -> Case:
        name = f"duration_{value}"
        ex = copy_demo(root / name) / "01-opening.yaml"
        line = edit(ex, "    duration: 10m", f"    duration: {value}")
        return Case(name, [exact(f"{name}/01-opening.yaml:{line}: steps[0].duration: {message}")])

    return build


for _value, _message in BAD_DURATIONS.items():
    CASES[f"duration_{_value}"] = _bad_duration(_value, _message)


@case
def case_bad_timezone(root: Path) -> Case:
    ws = copy_demo(root / "bad_timezone") / "workshop.yaml"
    line = edit(ws, "timezone: Africa/Juba", "timezone: Africa/Jubba")
    message = "'Africa/Jubba' is not an IANA time zone (did you mean 'Africa/Juba'?)"
    return Case("bad_timezone", [exact(f"bad_timezone/workshop.yaml:{line}: locations[1].timezone: {message}")])


@case
def case_agenda_names_missing_exercise(root: Path) -> Case:
    ws = copy_demo(root / "agenda") / "workshop.yaml"
    line = edit(ws, "      - wps-agenda", "      - wps-agendas")
    message = "no exercise 'wps-agendas' (did you mean 'wps-agenda'?)"
    return Case("agenda", [exact(f"agenda/workshop.yaml:{line}: days[0].agenda[1]: {message}")])


@case
def case_duplicate_exercise_ids(root: Path) -> Case:
    folder = copy_demo(root / "dup_exercise")
    edit(folder / "15-closing.yaml", "id: closing\n", "id: partnerships\n")
    message = "exercise id 'partnerships' is already used in dup_exercise/09-partnerships.yaml"
    return Case("dup_exercise", [exact(f"dup_exercise/15-closing.yaml:1: id: {message}")])


@case
def case_overrun_is_a_warning(root: Path) -> Case:
    ws = copy_demo(root / "overrun") / "workshop.yaml"
    line = edit(ws, 'end: "11:30"', 'end: "11:00"')  # day 1 plans 210 min from 08:00
    message = "the agenda runs to 11:30, 30 min past the planned end 11:00"
    return Case("overrun", [exact(f"overrun/workshop.yaml:{line}: days[0].end: warning: {message}")], returncode=0)


@case
def case_demo(root: Path) -> Case:
    copy_demo(root / "demo")
    return Case("demo", [], returncode=0)


# --- small workshops written for the purpose -------------------------------------------------------


@case
def case_tiny_is_valid(root: Path) -> Case:
    tiny(root / "tiny")
    return Case("tiny", [], returncode=0)


@case
def case_duplicate_step_ids(root: Path) -> Case:
    ex = tiny(root / "dup_step") / "warm-up.yaml"
    line = edit(ex, "  - id: reflect", "  - id: intro")
    message = "step id 'intro' is used twice (first at steps[0])"
    return Case("dup_step", [exact(f"dup_step/warm-up.yaml:{line}: steps[1].id: {message}")])


@case
def case_duplicate_location_ids(root: Path) -> Case:
    ws = tiny(root / "dup_location") / "workshop.yaml"
    edit(ws, "days:", "  - id: hq\n    name: Juba\n    timezone: Africa/Juba\ndays:")
    line = line_of(ws, "- id: hq", 2)
    message = "location id 'hq' is used twice (first at locations[0])"
    return Case("dup_location", [exact(f"dup_location/workshop.yaml:{line}: locations[1].id: {message}")])


@case
def case_reflection_without_prompt(root: Path) -> Case:
    ex = tiny(root / "no_prompt") / "warm-up.yaml"
    edit(ex, "    prompt:\n      text: What will you take away?\n", "")
    line = line_of(ex, "- id: reflect")
    return Case(
        "no_prompt", [exact(f"no_prompt/warm-up.yaml:{line}: steps[1].prompt: a reflection step needs a prompt")]
    )


@case
def case_empty_file(root: Path) -> Case:
    (tiny(root / "empty") / "notes.yaml").write_text("")
    return Case("empty", [exact("empty/notes.yaml:1: is empty")])


@case
def case_only_comments(root: Path) -> Case:
    (tiny(root / "comments") / "notes.yaml").write_text("# nothing yet\n\n# still nothing\n")
    return Case("comments", [exact("comments/notes.yaml:1: is empty")])


@case
def case_invalid_utf8(root: Path) -> Case:
    (tiny(root / "utf8") / "notes.yaml").write_bytes(b"id: notes\ntitle: Notes\ntext: caf\xe9 au lait\n")
    return Case("utf8", [exact("utf8/notes.yaml:3: is not valid UTF-8 text (save it as UTF-8)")])


@case
def case_yaml_syntax_error(root: Path) -> Case:
    (tiny(root / "syntax") / "notes.yaml").write_text("id: notes\ntitle: Notes\nsteps:\n  - id: a\n   title: b\n")
    return Case("syntax", [r"syntax/notes\.yaml:5: YAML syntax error: .+"])


@case
def case_unclosed_quote(root: Path) -> Case:
    (tiny(root / "quote") / "notes.yaml").write_text('id: notes\ntitle: "Notes\nsteps: []\n')
    # Found at the end of the file, shown where the quote opened.
    return Case("quote", [r"quote/notes\.yaml:2: YAML syntax error: .*quoted scalar.*"])


@case
def case_png_file(root: Path) -> Case:
    (tiny(root / "png") / "logo.yaml").write_bytes(PNG_BYTES)
    return Case("png", [exact("png/logo.yaml:1: is a binary file, not YAML text (save it as UTF-8)")])


@case
def case_nul_bytes(root: Path) -> Case:
    (tiny(root / "nul") / "notes.yaml").write_bytes(b"id: notes\n\x00\x00\x00\n")
    return Case("nul", [exact("nul/notes.yaml:1: is a binary file, not YAML text (save it as UTF-8)")])


@case
def case_twenty_megabytes(root: Path) -> Case:
    (tiny(root / "huge") / "huge.yaml").write_bytes(b"key: value\n" * 1_818_182)  # 20.0 MB
    return Case("huge", [exact("huge/huge.yaml: is 20.0 MB; a script may be at most 1024 KB")])


@case
def case_billion_laughs(root: Path) -> Case:
    (tiny(root / "bomb") / "bomb.yaml").write_text(BILLION_LAUGHS)
    return Case("bomb", [r"bomb/bomb\.yaml:[1-9]: more than 100000 values \(do aliases expand too far\?\)"])


@case
def case_deep_block_nesting(root: Path) -> Case:
    text = "".join(f"{'  ' * level}k{level}:\n" for level in range(80)) + "  " * 80 + "end\n"
    (tiny(root / "deep_block") / "deep.yaml").write_text(text)
    return Case("deep_block", [exact("deep_block/deep.yaml:50: nested more than 50 levels deep")])


@case
def case_deep_flow_nesting(root: Path) -> Case:
    (tiny(root / "deep_flow") / "deep.yaml").write_text("id: x\nsteps: " + "[" * 100_000 + "]" * 100_000 + "\n")
    return Case("deep_flow", [r"deep_flow/deep\.yaml:2: .*nest.*depth.*"])


@case
def case_no_workshop_file(root: Path) -> Case:
    (root / "no_workshop").mkdir()
    (root / "no_workshop" / "warm-up.yaml").write_text(TINY_EXERCISE)
    return Case("no_workshop", [exact("no_workshop: no workshop file here (expected workshop.yaml)")])


@case
def case_missing_referenced_file(root: Path) -> Case:
    ws = tiny(root / "missing_file") / "workshop.yaml"
    edit(ws, "locations:", "exercises: [missing.yaml]\nlocations:")
    line = line_of(ws, "missing.yaml")
    message = "file not found: missing.yaml"
    return Case("missing_file", [exact(f"missing_file/workshop.yaml:{line}: exercises[0]: {message}")])


@case
def case_glob_matches_nothing(root: Path) -> Case:
    ws = tiny(root / "glob") / "workshop.yaml"
    edit(ws, "locations:", 'exercises: ["sessions/*.yaml"]\nlocations:')
    line = line_of(ws, "sessions/")
    return Case("glob", [exact(f"glob/workshop.yaml:{line}: exercises[0]: 'sessions/*.yaml' matches no file")])


@case
def case_absolute_glob(root: Path) -> Case:
    ws = tiny(root / "abs_glob") / "workshop.yaml"
    edit(ws, "locations:", 'exercises: ["/etc/*.yaml"]\nlocations:')
    line = line_of(ws, "/etc/")
    message = "'/etc/*.yaml' is not a pattern relative to this file"
    return Case("abs_glob", [exact(f"abs_glob/workshop.yaml:{line}: exercises[0]: {message}")])


@case
def case_symlink_loop_as_exercise(root: Path) -> Case:
    folder = copy_demo(root / "loop_file")
    (folder / "loop.yaml").symlink_to("loop.yaml")
    return Case("loop_file", [r"loop_file/loop\.yaml: cannot be read: .+"])


@case
def case_symlink_loop_as_path(root: Path) -> Case:
    (root / "loop_path").symlink_to("loop_path")
    return Case("loop_path", [exact("loop_path: is a symbolic link that loops or points nowhere")])


@case
def case_symlink_loop_of_two(root: Path) -> Case:
    (root / "loop_a").symlink_to("loop_b")
    (root / "loop_b").symlink_to("loop_a")
    return Case("loop_a", [exact("loop_a: is a symbolic link that loops or points nowhere")])


@case
def case_fifo_as_exercise(root: Path) -> Case:
    folder = tiny(root / "fifo")
    os.mkfifo(folder / "pipe.yaml")  # opening it to read would block for ever
    (folder / "zero.yaml").symlink_to("/dev/zero")  # reading it would never end
    edit(folder / "workshop.yaml", "locations:", "exercises: [warm-up.yaml, pipe.yaml, zero.yaml]\nlocations:")
    return Case(
        "fifo", [exact("fifo/pipe.yaml: is not a regular file"), exact("fifo/zero.yaml: is not a regular file")]
    )


@case
def case_nonexistent_path(root: Path) -> Case:
    return Case("nowhere", [exact("nowhere: does not exist")])


@case
def case_several_documents(root: Path) -> Case:
    (tiny(root / "documents") / "notes.yaml").write_text("id: notes\ntitle: Notes\n---\nid: more\n")
    return Case("documents", [exact("documents/notes.yaml:3: holds more than one YAML document")])


@case
def case_top_level_list(root: Path) -> Case:
    (tiny(root / "list") / "notes.yaml").write_text("# a list\n- id: notes\n- id: more\n")
    return Case("list", [exact("list/notes.yaml:2: must be a mapping of keys to values")])


@case
def case_python_object_tag(root: Path) -> Case:
    ws = tiny(root / "python_tag") / "workshop.yaml"
    marker = root / "python_tag_ran"
    edit(ws, "title: Tiny workshop", f'title: !!python/object/apply:os.system ["touch {marker}"]')
    message = "the YAML tag !!python/object/apply:os.system is not allowed in a script"
    return Case("python_tag", [exact(f"python_tag/workshop.yaml:1: title: {message}")])


@case
def case_several_problems(root: Path) -> Case:
    folder = tiny(root / "several")
    ws_line = edit(folder / "workshop.yaml", "timezone: Africa/Juba", "timezone: Africa/Jubba")
    ex_line = edit(folder / "warm-up.yaml", "    duration: 10m", "    duraton: 10m")
    (folder / "b-extra.yaml").write_text("id: extra\ntitle: Extra\nsteps:\n  - id: a\n    title: A\n")
    (folder / "a-empty.yaml").write_text("")
    return Case(
        "several",
        [
            exact("several/a-empty.yaml:1: is empty"),
            exact("several/b-extra.yaml:4: steps[0].kind: is required"),
            exact("several/b-extra.yaml:4: steps[0].duration: is required"),
            exact(f"several/warm-up.yaml:{ex_line}: steps[0].duraton: unknown field (did you mean 'duration'?)"),
            exact(
                f"several/workshop.yaml:{ws_line}: timezone: 'Africa/Jubba' is not an IANA time zone"
                " (did you mean 'Africa/Juba'?)"
            ),
        ],
        # Items that fail are not also a list that is too short.
        forbid=["at least 1 item"],
    )


@dataclass
class Outcome:
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float


def _run(root: Path, arg: str) -> Outcome:
    started = time.monotonic()
    try:
        done = subprocess.run(
            [str(FACILITATOR), "check", arg],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else str(exc.stderr)
        return Outcome(None, "", stderr, time.monotonic() - started)
    return Outcome(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Case], dict[str, Outcome]]:
    root = tmp_path_factory.mktemp("check")
    built = {name: build(root) for name, build in CASES.items()}
    with ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 2)) as pool:
        futures = {name: pool.submit(_run, root, c.arg) for name, c in built.items()}
        outcomes = {name: future.result() for name, future in futures.items()}
    return root, built, outcomes


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_check_reports_each_problem_precisely(
    cases: tuple[Path, dict[str, Case], dict[str, Outcome]], name: str
) -> None:
    _, built, outcomes = cases
    expected, outcome = built[name], outcomes[name]
    assert outcome.returncode is not None, f"no answer within {TIMEOUT_S} s"
    assert "Traceback" not in outcome.stderr
    assert outcome.returncode == expected.returncode, outcome.stderr
    lines = outcome.stderr.splitlines()
    for pattern in expected.expect:
        assert any(re.fullmatch(pattern, line) for line in lines), f"no line matches {pattern!r} in:\n{outcome.stderr}"
    for text in expected.forbid:
        assert text not in outcome.stderr
    if expected.returncode == 2:
        assert outcome.stdout == ""
        assert lines, "a failure must say why"
        for line in lines:
            assert PROBLEM_LINE.fullmatch(line), f"not FILE:LINE: field: message: {line!r}"
    else:
        assert all("warning" in line for line in lines), outcome.stderr


@pytest.mark.slow
def test_demo_summary_has_one_line_per_day(cases: tuple[Path, dict[str, Case], dict[str, Outcome]]) -> None:
    _, _, outcomes = cases
    outcome = outcomes["demo"]
    assert outcome.returncode == 0
    assert outcome.stderr == "", "the demo must check without warnings"
    programme = load_workshop(DEMO).programme
    days = [line for line in outcome.stdout.splitlines() if line.startswith("  ")]
    assert len(days) == len(programme.workshop.days) == 5
    summary = re.compile(
        r"  \w{3} \d{2} \w{3} \d{4}: (\d+) exercises, (\d+) steps, (\d+) min, "
        r"(\d\d:\d\d)–(\d\d:\d\d) \(planned end (\d\d:\d\d)\)"
    )
    for line, day in zip(days, programme.workshop.days, strict=True):
        match = summary.fullmatch(line)
        assert match, line
        exercises, steps, minutes, start, end, planned_end = match.groups()
        assert int(exercises) == len(day.agenda)
        assert int(steps) == len(programme.timeline(day))
        assert int(minutes) == programme.planned_duration(day).total_seconds() // 60
        assert (start, end) == (f"{day.start:%H:%M}", f"{programme.planned_end(day):%H:%M}")
        assert day.end is not None
        assert planned_end == f"{day.end:%H:%M}"


@pytest.mark.slow
def test_several_problems_come_in_one_run_sorted_by_file_and_line(
    cases: tuple[Path, dict[str, Case], dict[str, Outcome]],
) -> None:
    _, _, outcomes = cases
    lines = outcomes["several_problems"].stderr.splitlines()
    assert len(lines) == 5, lines
    places = []
    for line in lines:
        file, number = re.match(r"([^:]+):(\d+):", line).groups()  # type: ignore[union-attr]
        places.append((file, int(number)))
    assert places == sorted(places)


@pytest.mark.slow
def test_python_tags_do_not_run(cases: tuple[Path, dict[str, Case], dict[str, Outcome]]) -> None:
    root, _, outcomes = cases
    assert outcomes["python_object_tag"].returncode == 2
    assert not (root / "python_tag_ran").exists()


@pytest.mark.slow
def test_huge_file_is_refused_quickly(cases: tuple[Path, dict[str, Case], dict[str, Outcome]]) -> None:
    _, _, outcomes = cases
    # The size is known from stat(): a huge file costs no more than a small one. (Runs alongside the
    # other cases, so allow for a busy machine.)
    assert outcomes["twenty_megabytes"].seconds < 10
