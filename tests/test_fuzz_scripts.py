"""Fuzzing the workshop script loader: any file a person might hand it ends in a result or one InputError.

Every example writes files into a fresh folder and runs ``load_workshop`` on a worker thread with a time
limit: no exception other than InputError, no hang, and the files (and the folder) exactly as they were.
"""

from __future__ import annotations

import hashlib
import tempfile
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitator.problems import InputError
from facilitator.script.loading import Loaded, load_workshop

TIME_LIMIT_S = 20.0
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORKSHOP = """\
title: Fuzz workshop
timezone: Africa/Juba
locations:
  - {id: hq, name: HQ, timezone: America/New_York, expected: 4}
  - {id: juba, name: Juba, timezone: Africa/Juba}
days:
  - {date: 2022-08-22, start: '09:00', agenda: [warm-up]}
"""
EXERCISE = """\
id: warm-up
title: Warm-up
goals: [Meet]
steps:
  - id: intro
    title: Introduction
    kind: presentation
    duration: 10m
    text: |
      Say hello.
  - {id: pairs, title: Pairs, kind: discussion, duration: 15m, prompt: {text: What?}}
"""
# Pieces that have broken YAML loaders before: tags, anchors and aliases, merge keys, odd scalars, deep nesting.
TOKENS = [
    "!!python/object/apply:os.system ['true']",
    "!!binary aGVsbG8=",
    "&a [*a]",
    "*a",
    "<<: {x: 1}",
    "? [a]\n: b",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "|\n  text",
    ">-\n  folded",
    "'unterminated",
    '"\\x00\\uD800"',
    "9:30",
    "no",
    "0o17",
    "1e400",
    ".nan",
    "~",
    "null",
    "2022-02-30",
    "-",
    "- - - -",
    "{",
    "[",
    "}",
    "]",
    ":",
    "#",
    "\t",
    "\ufeff",
    "\x00",
    "\u2028",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "{a: " * 60,
    "id: x",
    "steps: []",
    "duration: 99999999999d",
    "duration: -5m",
    "kind: secret",
    "timezone: Mars/Olympus",
    "agenda: [warm-up, warm-up]",
    "exercises: ['/etc/*']",
    "exercises: ['../*']",
    "date: 9999-99-99",
]


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def load_within_limit(files: dict[str, bytes]) -> Loaded | InputError:
    """Write ``files`` into a fresh folder and load it; whatever escapes other than InputError fails the test."""
    with tempfile.TemporaryDirectory(prefix="fuzz-scripts-") as scratch:
        folder = Path(scratch)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        before = _digests(folder)
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(load_workshop, folder)
            try:
                result: Loaded | InputError = future.result(timeout=TIME_LIMIT_S)
            except InputError as exc:
                result = exc
            except FutureTimeout:
                raise AssertionError(f"load_workshop hung on {files!r}"[:2000]) from None
        assert _digests(folder) == before, "the loader changed or added files"
        if isinstance(result, InputError):
            assert result.lines(), "an InputError with nothing to say"
            assert all(line.strip() and "\n" not in line for line in result.lines())
            assert "Traceback" not in str(result)
        return result


def mutate(text: str, data: st.DataObject) -> str:
    """``text`` with a few of its slices replaced by tokens or random text."""
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        start = data.draw(st.integers(0, len(text)), label="start")
        end = data.draw(st.integers(start, min(len(text), start + 40)), label="end")
        piece = data.draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=20)), label="piece")
        text = text[:start] + piece + text[end:]
    return text


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes_as_the_workshop_file(data: bytes) -> None:
    load_within_limit({"workshop.yaml": data})


@FUZZ
@given(st.text(max_size=1000))
def test_any_text_as_the_workshop_file(text: str) -> None:
    load_within_limit({"workshop.yaml": text.encode("utf-8", "surrogatepass")})


@FUZZ
@given(st.data())
def test_a_workshop_file_with_a_few_edits(data: st.DataObject) -> None:
    text = mutate(WORKSHOP, data)
    load_within_limit({"workshop.yaml": text.encode("utf-8", "surrogatepass"), "warm-up.yaml": EXERCISE.encode()})


@FUZZ
@given(st.data())
def test_an_exercise_file_with_a_few_edits(data: st.DataObject) -> None:
    text = mutate(EXERCISE, data)
    load_within_limit({"workshop.yaml": WORKSHOP.encode(), "warm-up.yaml": text.encode("utf-8", "surrogatepass")})


YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30) | st.sampled_from(TOKENS),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30,
)
KEYS = ["title", "timezone", "locations", "days", "exercises", "organiser", "attendance", "reflections", "id", "steps"]


@FUZZ
@given(st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), YAML_VALUES, max_size=8))
def test_well_formed_yaml_of_the_wrong_shape(document: dict[str, object]) -> None:
    text = yaml.safe_dump(document, allow_unicode=True)
    load_within_limit({"workshop.yaml": text.encode("utf-8", "surrogatepass"), "warm-up.yaml": EXERCISE.encode()})


def test_the_unedited_files_load() -> None:
    """The base the edits start from is valid, so the edits above test refusals and not a broken base."""
    result = load_within_limit({"workshop.yaml": WORKSHOP.encode(), "warm-up.yaml": EXERCISE.encode()})
    assert isinstance(result, Loaded)
