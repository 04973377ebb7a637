"""Loading workshop scripts in-process: YAML traps, reader limits, the models' rules, problem wording.

``tests/test_check_cli.py`` drives the same cases through the real command; these tests pin down the
details that are quicker and clearer to check without a subprocess.
"""

from __future__ import annotations

import pathlib
import shutil
import signal
import time
from collections.abc import Iterator
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

import pytest
import yaml

from facilitator.problems import InputError, Problem, display_path, field_path
from facilitator.script import loading as scripts
from facilitator.script import yaml_source
from facilitator.script.loading import load_workshop
from facilitator.script.models import Day, Programme, Step
from facilitator.script.stored import stored_form
from facilitator.script.yaml_source import SourceDoc, load_yaml, parse_yaml

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "exercises"

WORKSHOP = """\
title: Traps
timezone: Africa/Juba
locations:
  - id: juba
    name: Juba
    timezone: Africa/Juba
days:
  - date: 2022-08-22
    start: 9:30
    end: 10:15
    agenda: [yes-no]
"""
EXERCISE = """\
id: yes-no
title: no
goals: [yes, no, on, off, y, n, 0777]
steps:
  - id: intro
    title: yes
    kind: presentation
    duration: 10m
    text: no
    notes: off
"""


def write_workshop(folder: Path, workshop: str = WORKSHOP, exercise: str = EXERCISE) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "workshop.yaml").write_text(workshop)
    (folder / "yes-no.yaml").write_text(exercise)
    return folder


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_workshop(path)
    return [str(p) for p in caught.value.problems]


def parse(text: str, loader: type[yaml.SafeLoader] | None = None) -> SourceDoc:
    doc = SourceDoc(path=Path("x.yaml"), data=None)
    doc.data = parse_yaml(text, doc, loader)
    return doc


def parse_problem(text: str, loader: type[yaml.SafeLoader] | None = None) -> str:
    with pytest.raises(InputError) as caught:
        parse(text, loader)
    assert len(caught.value.problems) == 1
    return str(caught.value.problems[0])


# --- YAML 1.1 traps ---------------------------------------------------------------------------------


def test_clock_times_and_yes_no_stay_what_people_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    loaded = load_workshop(write_workshop(tmp_path / "w"))
    day = loaded.programme.workshop.days[0]
    assert (day.start, day.end) == (clock(9, 30), clock(10, 15))  # not 570 and 615 (base-60 integers)
    exercise = loaded.programme.exercises[0]
    assert exercise.title == "no"  # not False
    assert exercise.goals == ("yes", "no", "on", "off", "y", "n", "0777")
    step = exercise.steps[0]
    assert (step.title, step.text, step.notes) == ("yes", "no", "off")


@pytest.mark.parametrize("value", ["900", "9", "9.5", "'9h30'", "'25:00'", "'09:30+02:00'", "'9:5'"])
def test_a_start_that_is_not_a_clock_time_is_refused(tmp_path: Path, value: str) -> None:
    # Pydantic alone reads 900 as 00:15 UTC: the day would silently start at a quarter past midnight.
    folder = write_workshop(tmp_path / "w", WORKSHOP.replace("start: 9:30", f"start: {value}"))
    [problem] = problems_of(folder)
    assert problem.endswith("is not a time of day; write it like 09:00 or 13:30")
    assert ":9: days[0].start: " in problem


def test_a_date_must_be_a_real_calendar_date(tmp_path: Path) -> None:
    folder = write_workshop(tmp_path / "w", WORKSHOP.replace("2022-08-22", "2022-08-32"))
    [problem] = problems_of(folder)
    assert problem.endswith(":8: days[0].date: '2022-08-32' is not a valid date (day is out of range for month)")
    folder = write_workshop(tmp_path / "v", WORKSHOP.replace("2022-08-22", "20220822"))
    [problem] = problems_of(folder)
    assert problem.endswith(":8: days[0].date: 20220822 is not a date; write it like 2022-08-22")


def test_the_planned_end_must_follow_the_start(tmp_path: Path) -> None:
    folder = write_workshop(tmp_path / "w", WORKSHOP.replace("end: 10:15", "end: 9:00"))
    [problem] = problems_of(folder)
    assert problem.endswith(":10: days[0].end: the planned end 09:00 is not after the start 09:30")


def test_repeats_are_reported_at_the_repeat(tmp_path: Path) -> None:
    two_days = WORKSHOP + "  - date: 2022-08-22\n    start: '10:00'\n    agenda: [yes-no, yes-no]\n"
    found = problems_of(write_workshop(tmp_path / "w", two_days))
    assert found == [
        f"{display_path(tmp_path / 'w' / 'workshop.yaml')}:14: days[1].agenda[1]: "
        "exercise 'yes-no' is used twice (first at agenda[0])"
    ]
    two_days = WORKSHOP + "  - date: 2022-08-22\n    start: '10:00'\n    agenda: [yes-no]\n"
    [problem] = problems_of(write_workshop(tmp_path / "v", two_days))
    assert problem.endswith(":12: days[1].date: day '2022-08-22' is used twice (first at days[0])")


# --- the participant page's identification rules ------------------------------------------------------


def test_the_participant_page_rules_default_to_codes_of_eight_and_no_email_only(tmp_path: Path) -> None:
    rules = load_workshop(write_workshop(tmp_path / "w")).programme.workshop.participant_page
    assert (rules.min_code_length, rules.email_only) == (8, False)
    text = WORKSHOP + "participant_page:\n  min_code_length: 12\n  email_only: true\n"
    rules = load_workshop(write_workshop(tmp_path / "v", text)).programme.workshop.participant_page
    assert (rules.min_code_length, rules.email_only) == (12, True)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("  min_code_length: 4", ":13: participant_page.min_code_length: Input should be greater than or equal to 6"),
        ("  min_code_length: 200", ":13: participant_page.min_code_length: Input should be less than or equal to 64"),
        ("  min_code_length: eight", ":13: participant_page.min_code_length: Input should be a valid integer"),
        ("  email_only: perhaps", ":13: participant_page.email_only: Input should be a valid boolean"),
        ("  email_ony: true", ":13: participant_page.email_ony: unknown field"),
    ],
)
def test_bad_participant_page_rules_are_refused_at_their_line(tmp_path: Path, setting: str, message: str) -> None:
    folder = write_workshop(tmp_path / "w", WORKSHOP + f"participant_page:\n{setting}\n")
    [problem] = problems_of(folder)
    assert problem.startswith(display_path(folder / "workshop.yaml") + message), problem


# --- the reader's limits ------------------------------------------------------------------------------


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail a test that runs past 20 s (a broken limit would otherwise hang the whole suite)."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError("still running after 20 s: a limit does not hold")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, 20)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.usefixtures("deadline")
def test_a_twenty_megabyte_file_is_refused_without_being_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(20_000_000)
    opened: list[Path] = []
    real_open = pathlib.Path.open

    def spy(self: Path, *args: object, **kwargs: object) -> object:
        opened.append(self)
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(pathlib.Path, "open", spy)
    monkeypatch.setattr(pathlib.Path, "read_bytes", lambda self: pytest.fail("read the whole file"))
    started = time.perf_counter()
    with pytest.raises(InputError) as caught:
        load_yaml(huge)
    assert time.perf_counter() - started < 0.5
    assert huge not in opened
    [problem] = caught.value.problems
    assert (problem.line, problem.message) == (0, "is 20.0 MB; a script may be at most 1024 KB")


@pytest.mark.usefixtures("deadline")
def test_an_alias_bomb_stops_quickly() -> None:
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 12)]  # 10**12 values
    started = time.perf_counter()
    problem = parse_problem("\n".join(levels))
    assert time.perf_counter() - started < 3
    assert "more than 100000 values" in problem


@pytest.mark.usefixtures("deadline")
def test_a_self_referencing_anchor_is_refused() -> None:
    assert parse_problem("a: &loop [*loop]").endswith("nested more than 50 levels deep")


@pytest.mark.parametrize(
    ("depth", "ok"),
    [(yaml_source.MAX_DEPTH - 1, True), (yaml_source.MAX_DEPTH, False), (100_000, False)],
)
@pytest.mark.usefixtures("deadline")
def test_nesting_is_limited_without_recursion_errors(depth: int, ok: bool) -> None:
    text = "a: " + "[" * depth + "]" * depth
    if ok:
        parse(text)
    else:
        assert "nest" in parse_problem(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: !!binary aGVsbG8=", "x.yaml:1: title: the YAML tag !!binary is not allowed in a script"),
        ("items: !!set {a, b}", "x.yaml:1: items: the YAML tag !!set is not allowed in a script"),
        ("x: !!python/name:os.system", "x.yaml:1: x: the YAML tag !!python/name:os.system is not allowed in a script"),
        ("x: !custom 1", "x.yaml:1: x: the YAML tag !custom is not allowed in a script"),
        ("base: &b {a: 1}\nother:\n  <<: *b\n", "x.yaml:3: merge keys (<<) are not supported"),
        ("a: 1\na: 2\n", "x.yaml:2: key 'a' appears twice"),
        ("a: 1\nb: x\x07y\n", "x.yaml:2: holds the control character U+0007, which YAML does not allow"),
        ("n: " + "1" * 5000, "x.yaml:1: n: '1111111111111111111111111111111111111...' is too long a number"),
        ("---\n", "x.yaml:1: is empty"),
        ("a: *nowhere", "x.yaml:1: YAML syntax error: found undefined alias 'nowhere'"),
    ],
)
def test_what_a_script_may_not_hold(text: str, expected: str) -> None:
    assert parse_problem(text) == expected


def test_python_tags_are_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = f'title: !!python/object/apply:os.system ["touch {marker}"]\n'
    assert "is not allowed" in parse_problem(text)
    assert "is not allowed" in parse_problem(text, yaml_source._ScriptLoader)
    assert not marker.exists()


# libyaml (fast) and PyYAML's own parser (used when PyYAML lacks libyaml) must agree.
PARITY_CASES = [
    "id: x\ntitle: y\nsteps:\n  - id: a\n   title: b\n",
    'id: x\ntitle: "abc\nsteps: 1\n',
    "id: x\ntitle: [a, b\nsteps: 1\n",
    "id: x\n---\nid: y\n",
    "- a\n- b\n",
    "a: " + "[" * 60 + "]" * 60,
    "".join(f"{'  ' * n}k{n}:\n" for n in range(60)) + "  " * 60 + "v\n",
]


@pytest.mark.parametrize("text", PARITY_CASES)
def test_both_parsers_report_the_same_line(text: str) -> None:
    fast, pure = parse_problem(text), parse_problem(text, yaml_source._ScriptLoader)
    assert fast.split(":")[:2] == pure.split(":")[:2]


def test_both_parsers_read_the_demo_alike() -> None:
    texts = [path.read_text() for path in sorted(DEMO.glob("*.yaml"))] + [WORKSHOP, EXERCISE]
    for text in texts:
        fast, pure = parse(text), parse(text, yaml_source._ScriptLoader)
        assert fast.data == pure.data, text[:40]
        assert fast.lines == pure.lines, text[:40]


def test_windows_line_endings_read_alike(tmp_path: Path) -> None:
    source = DEMO / "01-opening.yaml"
    crlf = tmp_path / "crlf.yaml"
    crlf.write_bytes(source.read_bytes().replace(b"\n", b"\r\n"))
    plain, windows = load_yaml(source), load_yaml(crlf)
    assert (windows.data, windows.lines, windows.text) == (plain.data, plain.lines, plain.text)


def test_lines_point_at_keys_and_items() -> None:
    doc = parse("title: T\nsteps:\n  - id: a\n    kind: x\n  - id: b\n")
    assert doc.line_of(("steps", 1, "id")) == 5
    assert doc.line_of(("steps", 0, "duration")) == 3  # a missing key: its parent's line
    assert doc.line_of(("nowhere",)) == 1


# --- folders and files ----------------------------------------------------------------------------------


def test_the_total_size_of_exercise_files_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "demo"
    shutil.copytree(DEMO, folder)
    monkeypatch.setattr(scripts, "MAX_TOTAL_BYTES", 20_000)
    found = problems_of(folder)
    assert any("exercises: the exercise files add up to more than" in p for p in found), found


def test_display_path_survives_symlink_loops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "link.yaml").symlink_to(DEMO / "workshop.yaml")
    assert display_path(tmp_path / "loop") == "loop"
    assert display_path(tmp_path / "link.yaml") == "link.yaml"  # the name given, not its target's


def test_an_exercise_file_given_as_path_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert problems_of(DEMO / "01-opening.yaml") == [
        "exercises/01-opening.yaml:1: is an exercise file; check the workshop that uses it (or its folder)"
    ]


# --- the models ----------------------------------------------------------------------------------------


def test_the_demo_survives_a_round_trip_through_json() -> None:
    # The store keeps the stored form (facilitator.script.stored), which validates again as the same programme.
    programme = load_workshop(DEMO).programme
    again = Programme.validate(stored_form(programme))
    assert again == programme
    assert again.workshop.days[0].start == clock(8, 0)


def test_a_step_needs_its_fields() -> None:
    step = Step.validate({"id": "a", "title": "A", "kind": "break", "duration": "1h30m"})
    assert step.duration == timedelta(minutes=90)
    assert Day.validate({"date": date(2022, 8, 22), "start": "08:00", "agenda": ["a"]}).end is None


def test_problems_read_as_file_line_field_message() -> None:
    assert str(Problem("a.yaml", 3, "steps[0].id", "bad")) == "a.yaml:3: steps[0].id: bad"
    assert str(Problem("a.yaml", 0, "", "is empty")) == "a.yaml: is empty"
    assert str(Problem("a.yaml", 3, "days[0].end", "late", warning=True)) == "a.yaml:3: days[0].end: warning: late"
    assert field_path(("days", 0, "agenda", 2)) == "days[0].agenda[2]"
    assert sorted([Problem("b", 1, "", ""), Problem("a", 9, "", ""), Problem("a", 2, "", "")]) == [
        Problem("a", 2, "", ""),
        Problem("a", 9, "", ""),
        Problem("b", 1, "", ""),
    ]
