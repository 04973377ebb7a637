"""Load a workshop folder or file into a validated :class:`Programme`, with every problem at once."""

from __future__ import annotations

import glob as globlib
import hashlib
import types
import typing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from facilitator.problems import InputError, Problem, display_path
from facilitator.script_models import Exercise, Programme, Workshop, did_you_mean
from facilitator.yaml_source import Loc, SourceDoc, load_yaml

WORKSHOP_FILENAMES = ("workshop.yaml", "workshop.yml")
MAX_EXERCISE_FILES = 500


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


def validation_problems(
    doc: SourceDoc, model: type[BaseModel], exc: ValidationError
) -> list[Problem]:
    """Pydantic's errors as ``FILE:LINE: field: message`` problems, worded for a facilitator."""
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            owner = _model_at(model, loc)
            hint = did_you_mean(str(loc[-1]), owner.model_fields) if owner else ""
            message = f"unknown field{hint}"
        elif kind == "missing":
            message = "is required"
        else:
            message = error["msg"].removeprefix("Value error, ")
        problems.append(doc.problem(loc, message))
    return problems


def _validate(doc: SourceDoc, model: type[BaseModel]) -> tuple[Any, list[Problem]]:
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, validation_problems(doc, model, exc)


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
        reason = (
            "is a symbolic link that loops or points nowhere"
            if path.is_symlink()
            else "does not exist"
        )
        raise InputError([Problem(display_path(path), 0, "", reason)])
    return path


def _exercise_files(
    doc: SourceDoc, workshop: Workshop
) -> tuple[list[Path], list[Problem]]:
    folder = doc.path.parent
    files: list[Path] = []
    problems: list[Problem] = []
    for index, pattern in enumerate(workshop.exercises):
        loc: Loc = ("exercises", index)
        if globlib.has_magic(pattern):
            matches = [
                p
                for p in sorted(folder.glob(pattern))
                if (p.is_file() or p.is_symlink())
                and p.resolve(strict=False) != doc.path.resolve()
            ]
            if not matches and pattern != Workshop.model_fields["exercises"].default[0]:
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
        problems.append(
            doc.problem(
                ("exercises",), f"{len(unique)} files; at most {MAX_EXERCISE_FILES}"
            )
        )
        unique = []
    return unique, problems


def load_workshop(path: Path) -> Loaded:
    """Load and check a workshop folder or file; raise :class:`InputError` listing every problem."""
    workshop_path = find_workshop_file(path)
    doc = load_yaml(workshop_path)
    sources = {doc.name: workshop_path.read_text(encoding="utf-8-sig")}
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
    workshop, problems = _validate(doc, Workshop)
    if workshop is None:
        raise InputError(problems)
    exercise_paths, problems = _exercise_files(doc, workshop)
    exercises: list[Exercise] = []
    first_file: dict[str, str] = {}
    exercise_docs: dict[str, SourceDoc] = {}
    for exercise_path in exercise_paths:
        try:
            ex_doc = load_yaml(exercise_path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        exercise, ex_problems = _validate(ex_doc, Exercise)
        problems.extend(ex_problems)
        if exercise is None:
            continue
        sources[ex_doc.name] = exercise_path.read_text(encoding="utf-8-sig")
        if exercise.id in first_file:
            problems.append(
                ex_doc.problem(
                    ("id",),
                    f"exercise id {exercise.id!r} is already used in {first_file[exercise.id]}",
                )
            )
            continue
        first_file[exercise.id] = ex_doc.name
        exercise_docs[exercise.id] = ex_doc
        exercises.append(exercise)
    warnings: list[Problem] = []
    known = {e.id for e in exercises}
    used: set[str] = set()
    for d, day in enumerate(workshop.days):
        for a, exercise_id in enumerate(day.agenda):
            used.add(exercise_id)
            if exercise_id not in known:
                problems.append(
                    doc.problem(
                        ("days", d, "agenda", a),
                        f"no exercise {exercise_id!r}{did_you_mean(exercise_id, sorted(known))}",
                    )
                )
    for exercise_id in sorted(known - used):
        ex_doc = exercise_docs[exercise_id]
        warnings.append(
            ex_doc.problem(
                ("id",), f"exercise {exercise_id!r} is on no day's agenda", warning=True
            )
        )
    if problems:
        raise InputError(sorted(set(problems)))
    programme = Programme(workshop=workshop, exercises=tuple(exercises))
    for d, day in enumerate(programme.workshop.days):
        if day.end is None:
            continue
        planned_end = programme.planned_end(day)
        end_at = datetime.combine(day.date, day.end, tzinfo=planned_end.tzinfo)
        if planned_end > end_at:
            over = int((planned_end - end_at).total_seconds() // 60)
            message = f"the agenda runs to {planned_end:%H:%M}, {over} min past the planned end {day.end:%H:%M}"
            warnings.append(doc.problem(("days", d, "end"), message, warning=True))
    return Loaded(programme=programme, warnings=sorted(warnings), sources=sources)
