"""Load a workshop folder or file into a validated :class:`Programme`, with every problem at once.

Each file is validated by the pydantic models of :mod:`facilitator.script.validation` and converted into the
runtime models (:mod:`facilitator.script.models`), on which the rules across files are checked.
"""

from __future__ import annotations

import difflib
import glob as globlib
import hashlib
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from facilitator.problems import InputError, Problem, display_path
from facilitator.script import validation
from facilitator.script.conversion import to_runtime
from facilitator.script.models import Evaluation, Exercise, GroupBy, Programme, Question, Workshop, did_you_mean
from facilitator.script.yaml_source import Loc, SourceDoc, load_yaml

WORKSHOP_FILENAMES = ("workshop.yaml", "workshop.yml")
MAX_EXERCISE_FILES = 500
# Each file may hold up to MAX_FILE_BYTES; together they must stay small enough to check in seconds.
MAX_TOTAL_BYTES = 8 * 1024 * 1024


@dataclass
class Loaded:
    """A programme together with what loading it noticed and where it came from."""

    programme: Programme
    warnings: list[Problem] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """A fingerprint of the source files, so a run can tell whether its scripts changed."""
        h = hashlib.sha256()
        for name in sorted(self.sources):
            h.update(name.encode() + b"\0" + self.sources[name].encode() + b"\0")
        return h.hexdigest()


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model that owns the last key of ``loc``, to suggest the field a typo meant."""
    current: type[BaseModel] = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(str(part))
        if info is None:
            return None
        found = _find_model(info.annotation)
        if found is None:
            return None
        current = found
    return current


def _find_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, tuple, list, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _find_model(arg)
            if found is not None:
                return found
    return None


def validation_problems(doc: SourceDoc, model: type[BaseModel], exc: ValidationError) -> list[Problem]:
    """Pydantic's errors as ``FILE:LINE: field: message`` problems, worded for a facilitator.

    One mistake gives one line: a misspelt key (``duraton:``) is reported as unknown, with the field it
    meant, and not a second time as that field missing; a list whose items are invalid is not also
    reported as too short.
    """
    errors = exc.errors()
    problems = []
    meant: set[Loc] = set()  # the fields that misspelt keys stand for
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden":
            owner = _model_at(model, loc)
            close = difflib.get_close_matches(str(loc[-1]), list(owner.model_fields), n=1) if owner else []
            meant.update((*loc[:-1], name) for name in close)
            problems.append(
                doc.problem(loc, f"unknown field (did you mean {close[0]!r}?)" if close else "unknown field")
            )
    failed = [tuple(error["loc"]) for error in errors]
    for error in errors:
        loc = tuple(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden" or (kind == "missing" and loc in meant):
            continue
        if kind == "too_short" and any(len(other) > len(loc) and other[: len(loc)] == loc for other in failed):
            continue
        message = "is required" if kind == "missing" else error["msg"].removeprefix("Value error, ")
        problems.append(doc.problem(loc, message))
    return problems


R = TypeVar("R")


def _validate(doc: SourceDoc, runtime: type[R]) -> tuple[R | None, list[Problem]]:
    """The file's data validated by ``runtime``'s pydantic model, as a ``runtime``; or its problems."""
    model = validation.model_for(runtime)
    try:
        validated = model.model_validate(doc.data)
    except ValidationError as exc:
        return None, validation_problems(doc, model, exc)
    return to_runtime(validated, runtime), []


def find_workshop_file(path: Path) -> Path:
    if path.is_dir():
        for name in WORKSHOP_FILENAMES:
            if (path / name).exists() or (path / name).is_symlink():
                return path / name
        raise InputError(
            [
                Problem(
                    display_path(path),
                    0,
                    "",
                    "no workshop file here (expected workshop.yaml)",
                )
            ]
        )
    if not path.exists():
        reason = "is a symbolic link that loops or points nowhere" if path.is_symlink() else "does not exist"
        raise InputError([Problem(display_path(path), 0, "", reason)])
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:  # missing, or a symbolic link that loops: not the workshop file
        return False


def _exercise_patterns(doc: SourceDoc, workshop: Workshop | None) -> tuple[str, ...]:
    """The workshop's exercise files, read from the raw data when the workshop itself is invalid."""
    if workshop is not None:
        return workshop.exercises
    raw = doc.data.get("exercises", validation.Workshop.model_fields["exercises"].default)
    if isinstance(raw, str):
        raw = [raw]
    if isinstance(raw, (list, tuple)) and all(isinstance(p, str) for p in raw):
        return tuple(raw)
    return ()


def _exercise_files(doc: SourceDoc, patterns: tuple[str, ...]) -> tuple[list[Path], list[Problem]]:
    folder = doc.path.parent
    files: list[Path] = []
    problems: list[Problem] = []
    for index, pattern in enumerate(patterns):
        loc: Loc = ("exercises", index)
        if globlib.has_magic(pattern):
            try:
                found = sorted(folder.glob(pattern))
            except (NotImplementedError, ValueError, OSError):  # absolute or malformed pattern
                problems.append(doc.problem(loc, f"{pattern!r} is not a pattern relative to this file"))
                continue
            matches = [p for p in found if (p.is_file() or p.is_symlink()) and not _same_file(p, doc.path)]
            if not matches and pattern != validation.Workshop.model_fields["exercises"].default[0]:
                problems.append(doc.problem(loc, f"{pattern!r} matches no file"))
            files.extend(matches)
        else:
            candidate = folder / pattern
            if not (candidate.exists() or candidate.is_symlink()):
                problems.append(doc.problem(loc, f"file not found: {pattern}"))
            else:
                files.append(candidate)
    unique = list(dict.fromkeys(files))
    if len(unique) > MAX_EXERCISE_FILES:
        problems.append(doc.problem(("exercises",), f"{len(unique)} files; at most {MAX_EXERCISE_FILES}"))
        unique = []
    return unique, problems


@dataclass
class _ExerciseSet:
    """The exercise files of a workshop as far as they could be read."""

    exercises: list[Exercise] = field(default_factory=list)
    docs: dict[str, SourceDoc] = field(default_factory=dict)
    # Ids of exercise files that exist but are invalid: the agenda may name them without a second,
    # misleading "no exercise" problem on top of the real one.
    broken_ids: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)


def _load_exercises(doc: SourceDoc, paths: list[Path], sources: dict[str, str]) -> _ExerciseSet:
    found = _ExerciseSet()
    total = len(doc.text)
    for exercise_path in paths:
        try:
            ex_doc = load_yaml(exercise_path)
        except InputError as exc:
            found.problems.extend(exc.problems)
            continue
        total += len(ex_doc.text)
        if total > MAX_TOTAL_BYTES:
            message = (
                f"the exercise files add up to more than {MAX_TOTAL_BYTES // 1024 // 1024} MB; stopped at {ex_doc.name}"
            )
            found.problems.append(doc.problem(("exercises",), message))
            break
        exercise, ex_problems = _validate(ex_doc, Exercise)
        found.problems.extend(ex_problems)
        if exercise is None:
            raw_id = ex_doc.data.get("id")
            if isinstance(raw_id, str):
                found.broken_ids.add(raw_id.strip())
            continue
        sources[ex_doc.name] = ex_doc.text
        if exercise.id in found.docs:
            first = found.docs[exercise.id].name
            found.problems.append(ex_doc.problem(("id",), f"exercise id {exercise.id!r} is already used in {first}"))
            continue
        found.docs[exercise.id] = ex_doc
        found.exercises.append(exercise)
    return found


def _agenda_problems(doc: SourceDoc, workshop: Workshop, found: _ExerciseSet) -> tuple[list[Problem], list[Problem]]:
    """Agenda references to missing exercises (errors) and exercises on no agenda (warnings)."""
    problems: list[Problem] = []
    known = set(found.docs)
    used: set[str] = set()
    for d, day in enumerate(workshop.days):
        for a, exercise_id in enumerate(day.agenda):
            used.add(exercise_id)
            if exercise_id not in known and exercise_id not in found.broken_ids:
                hint = did_you_mean(exercise_id, sorted(known))
                problems.append(doc.problem(("days", d, "agenda", a), f"no exercise {exercise_id!r}{hint}"))
    warnings = [
        found.docs[exercise_id].problem(("id",), f"exercise {exercise_id!r} is on no day's agenda", warning=True)
        for exercise_id in sorted(known - used)
    ]
    return problems, warnings


# Where an exercise first runs: the day's date, then its place on that day's agenda.
_AgendaPlace = tuple[date, int]


def _agenda_places(workshop: Workshop) -> dict[str, _AgendaPlace]:
    places: dict[str, _AgendaPlace] = {}
    for day in sorted(workshop.days, key=lambda day: day.date):
        for index, exercise_id in enumerate(day.agenda):
            places.setdefault(exercise_id, (day.date, index))
    return places


@dataclass(frozen=True)
class _Written:
    """Something in a script file at ``loc``: a question, or a step with a knowledge check."""

    doc: SourceDoc
    loc: Loc

    @property
    def where(self) -> str:
        return f"{self.doc.name}:{self.doc.line_of(self.loc)}"

    def problem(self, below: Loc, message: str) -> Problem:
        return self.doc.problem((*self.loc, *below), message)


@dataclass(frozen=True)
class _CheckStep(_Written):
    """A step that asks a knowledge check, where its file has it: its exercise, its index there, and
    where it first runs (None: on no agenda)."""

    exercise: Exercise
    index: int
    place: tuple[date, int, int] | None  # on the agenda: date, exercise's place, step's place

    @property
    def questions(self) -> tuple[Question, ...]:
        return self.exercise.steps[self.index].questions

    @property
    def key(self) -> str:
        return f"{self.exercise.id}/{self.exercise.steps[self.index].id}"


def _differences(pre: Question, post: Question) -> list[str]:
    """What makes ``post`` another question than ``pre``; a pre and post answer must be scored alike."""
    compared = (
        ("type", pre.type == post.type),
        ("text", pre.text == post.text),
        ("options", {o.id: o.text for o in pre.options} == {o.id: o.text for o in post.options}),
        ("correct", set(pre.correct) == set(post.correct)),
        ("points", pre.points == post.points),
    )
    return [name for name, same in compared if not same]


def _post_problems(name: str, pre: _CheckStep, post: _CheckStep) -> list[Problem]:
    problems: list[Problem] = []
    if pre.place is not None and post.place is not None and post.place < pre.place:
        message = f"the post step of knowledge check {name!r} comes before its pre step {pre.key} ({pre.where})"
        problems.append(post.problem(("check",), message))
    asked_before = {question.id: (q, question) for q, question in enumerate(pre.questions)}
    post_ids = {question.id for question in post.questions}
    missing = [question_id for question_id in asked_before if question_id not in post_ids]
    renamed: set[str] = set()
    for q, question in enumerate(post.questions):
        if question.id not in asked_before:
            close = difflib.get_close_matches(question.id, missing, n=1)
            renamed.update(close)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            message = f"question {question.id!r} is not in the pre check {name!r}{hint}"
            problems.append(post.problem(("questions", q, "id"), message))
            continue
        p, before = asked_before[question.id]
        differs = _differences(before, question)
        if differs:
            where = _Written(pre.doc, (*pre.loc, "questions", p)).where
            message = f"differs from the pre check's question {question.id!r} ({where}) in: {', '.join(differs)}"
            problems.append(post.problem(("questions", q), message))
    for question_id in missing:
        if question_id not in renamed:
            where = _Written(pre.doc, (*pre.loc, "questions", asked_before[question_id][0])).where
            message = f"question {question_id!r} of the pre check ({where}) is missing"
            problems.append(post.problem(("questions",), message))
    return problems


def _check_problems(checks: dict[str, dict[str, list[_CheckStep]]]) -> list[Problem]:
    """Each knowledge check: one pre step, one post step after it, asking the same questions."""
    problems: list[Problem] = []
    for name, phases in sorted(checks.items()):
        for phase, steps in phases.items():
            for extra in steps[1:]:
                message = f"knowledge check {name!r} already has its {phase} step at {steps[0].key} ({steps[0].where})"
                problems.append(extra.problem(("check",), message))
        pres, posts = phases["pre"], phases["post"]
        for phase, absent in (("pre", "post"), ("post", "pre")):
            present = phases[phase]
            if present and not phases[absent]:
                # A misspelt name leaves one check without its post and another without its pre.
                others = [other for other, found in checks.items() if found[absent] and not found[phase]]
                hint = did_you_mean(name, sorted(others))
                problems.append(present[0].problem(("check",), f"knowledge check {name!r} has no {absent} step{hint}"))
        if pres and posts:
            problems.extend(_post_problems(name, pres[0], posts[0]))
    return problems


def _opens_at_problems(
    doc: SourceDoc, evaluation: Evaluation, found: _ExerciseSet, places: dict[str, _AgendaPlace]
) -> list[Problem]:
    exercise_id, step_id = evaluation.opens_at.split("/")
    loc: Loc = ("evaluation", "opens_at")
    if exercise_id in found.broken_ids and exercise_id not in found.docs:
        return []  # its file's own problems say why
    if exercise_id not in places:
        if exercise_id in found.docs:
            return [doc.problem(loc, f"exercise {exercise_id!r} is on no day's agenda")]
        hint = did_you_mean(exercise_id, sorted(places))
        return [doc.problem(loc, f"no exercise {exercise_id!r} on the agenda{hint}")]
    exercise = next((e for e in found.exercises if e.id == exercise_id), None)
    if exercise is None:
        return []  # the agenda's own problem names the missing exercise
    step_ids = [step.id for step in exercise.steps]
    if step_id not in step_ids:
        return [doc.problem(loc, f"exercise {exercise_id!r} has no step {step_id!r}{did_you_mean(step_id, step_ids)}")]
    return []


def _question_problems(doc: SourceDoc, workshop: Workshop, found: _ExerciseSet) -> list[Problem]:
    """Question ids unique across the workshop, knowledge checks complete and alike, the evaluation placed."""
    places = _agenda_places(workshop)
    unplaced = (date.max, 0)
    exercises = sorted(found.exercises, key=lambda exercise: places.get(exercise.id, unplaced))
    checks: dict[str, dict[str, list[_CheckStep]]] = {}
    asked: list[tuple[Question, _Written]] = []
    for exercise in exercises:
        ex_doc = found.docs[exercise.id]
        place = places.get(exercise.id)
        for s, step in enumerate(exercise.steps):
            at = _Written(ex_doc, ("steps", s))
            if step.check is None:
                asked.extend((q, _Written(ex_doc, (*at.loc, "questions", i))) for i, q in enumerate(step.questions))
                continue
            where = None if place is None else (*place, s)
            check_step = _CheckStep(ex_doc, at.loc, exercise, s, where)
            phases = checks.setdefault(step.check.name, {"pre": [], "post": []})
            phases[step.check.phase].append(check_step)
            # A post step repeats its pre step's ids, and a second pre step is reported as one mistake.
            if step.check.phase == "pre" and len(phases["pre"]) == 1:
                asked.extend((q, _Written(ex_doc, (*at.loc, "questions", i))) for i, q in enumerate(step.questions))
    problems: list[Problem] = []
    if workshop.evaluation is not None:
        evaluation = workshop.evaluation
        asked.extend((q, _Written(doc, ("evaluation", "questions", i))) for i, q in enumerate(evaluation.questions))
        problems.extend(_opens_at_problems(doc, evaluation, found, places))
    first: dict[str, _Written] = {}
    for question, written in asked:
        earlier = first.setdefault(question.id, written)
        if earlier is not written:
            message = f"question id {question.id!r} is already used at {earlier.where}"
            problems.append(written.problem(("id",), message))
    return problems + _check_problems(checks)


def _overrun_warnings(doc: SourceDoc, programme: Programme) -> list[Problem]:
    warnings = []
    for d, day in enumerate(programme.workshop.days):
        if day.end is None:
            continue
        planned_end = programme.planned_end(day)
        end_at = datetime.combine(day.date, day.end, tzinfo=planned_end.tzinfo)
        if planned_end > end_at:
            over = int((planned_end - end_at).total_seconds() // 60)
            message = f"the agenda runs to {planned_end:%H:%M}, {over} min past the planned end {day.end:%H:%M}"
            warnings.append(doc.problem(("days", d, "end"), message, warning=True))
    return warnings


def _grouping_warnings(found: _ExerciseSet) -> list[Problem]:
    """A step whose ``groups:`` (the groups the app makes as the step is entered) and older ``grouping:`` (the
    facilitator's hint) disagree: a hint of groups the app does not make (by location, role, self-selected), or
    random groups of another size. Either alone, or a random hint of the same size (or none), is fine."""
    warnings = []
    for exercise in found.exercises:
        doc = found.docs.get(exercise.id)
        for index, step in enumerate(exercise.steps):
            hint, asked = step.grouping, step.groups
            if doc is None or hint is None or asked is None:
                continue
            made = f"groups of {asked.size}" if asked.size is not None else f"{asked.count} groups"
            if hint.by is not GroupBy.RANDOM:
                mixing = " and ".join(by.value for by in asked.mix) or "nothing"
                message = (
                    f"groups by {hint.by.value}, but groups: makes {made} mixing {mixing} as the step is entered; "
                    "keep the one you mean"
                )
            elif hint.size is not None and hint.size != asked.size:
                message = f"random groups of {hint.size}, but groups: makes {made} as the step is entered; keep one"
            else:
                continue
            warnings.append(doc.problem(("steps", index, "grouping"), message, warning=True))
    return warnings


IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")  # PNG, JPEG


def _image_problems(doc: SourceDoc, workshop: Workshop) -> list[Problem]:
    """The certificate's logo and signature: files beside the workshop, PNG or JPEG by their first bytes."""
    settings = workshop.certificate
    if settings is None:
        return []
    problems = []
    for name in ("logo", "signature"):
        relative = getattr(settings, name)
        if relative is None:
            continue
        path = doc.path.parent / relative
        if not path.exists():
            problems.append(doc.problem(("certificate", name), f"file not found: {relative}"))
            continue
        if not path.is_file():  # a folder, or a pipe that would never end
            problems.append(doc.problem(("certificate", name), f"{relative} is not a file"))
            continue
        try:
            with path.open("rb") as image:
                start = image.read(8)
        except OSError as exc:
            problems.append(doc.problem(("certificate", name), f"{relative}: cannot be read ({exc.strerror or exc})"))
            continue
        if not start.startswith(IMAGE_SIGNATURES):
            problems.append(doc.problem(("certificate", name), f"{relative} is not a PNG or JPEG image"))
    return problems


def load_workshop(path: Path) -> Loaded:
    """Load and check a workshop folder or file; raise :class:`InputError` listing every problem."""
    workshop_path = find_workshop_file(path)
    doc = load_yaml(workshop_path)
    sources = {doc.name: doc.text}
    if "steps" in doc.data and "days" not in doc.data:
        raise InputError(
            [
                doc.problem(
                    (),
                    "is an exercise file; check the workshop that uses it (or its folder)",
                    field_name="",
                )
            ]
        )
    # An invalid workshop file still names its exercise files: check them too, so one run reports
    # every problem rather than one file's at a time.
    workshop, problems = _validate(doc, Workshop)
    exercise_paths, file_problems = _exercise_files(doc, _exercise_patterns(doc, workshop))
    problems.extend(file_problems)
    found = _load_exercises(doc, exercise_paths, sources)
    problems.extend(found.problems)
    if workshop is None:
        raise InputError(sorted(set(problems)))
    agenda_problems, warnings = _agenda_problems(doc, workshop, found)
    problems.extend(agenda_problems)
    problems.extend(_image_problems(doc, workshop))
    # With an exercise file unread or invalid, its questions are unknown: a check would seem to lack its pre step.
    if not found.problems:
        problems.extend(_question_problems(doc, workshop, found))
    if problems:
        raise InputError(sorted(set(problems)))
    programme = Programme(workshop=workshop, exercises=tuple(found.exercises))
    warnings.extend(_overrun_warnings(doc, programme))
    warnings.extend(_grouping_warnings(found))
    return Loaded(programme=programme, warnings=sorted(warnings), sources=sources)
