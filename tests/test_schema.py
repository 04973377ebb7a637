"""``facilitator schema``: valid JSON Schema that accepts the demo files and refuses what the loader refuses.

``jsonschema`` is not a dependency, so the schema is checked with a small validator of the keywords
it uses (and ``jsonschema`` as well when it happens to be installed). The small validator refuses any
keyword it does not know, so a non-standard keyword in the schema (as pydantic once wrote ``gt``)
fails the test instead of being silently ignored by editors.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from facilitator.script.yaml_source import load_yaml

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "exercises"
FACILITATOR = Path(sys.executable).parent / "facilitator"

ANNOTATIONS = {"title", "description", "default", "examples", "format", "$schema", "$defs"}
TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def _bounds(keyword: str, rule: Any, value: Any) -> bool:
    """Whether ``value`` keeps the size or number bound ``keyword: rule`` (other types pass)."""
    if keyword in ("minLength", "maxLength") and isinstance(value, str):
        size: Any = len(value)
    elif keyword in ("minItems", "maxItems") and isinstance(value, list):
        size = len(value)
    elif keyword in NUMBER_BOUNDS and isinstance(value, (int, float)) and not isinstance(value, bool):
        size = value
    else:
        return True
    if keyword.startswith("exclusive"):
        return bool(size > rule if keyword.endswith("Minimum") else size < rule)
    return bool(size >= rule if keyword.startswith("min") else size <= rule)


NUMBER_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
BOUNDS = ("minLength", "maxLength", "minItems", "maxItems", *NUMBER_BOUNDS)


def _matches_type(rule: str, value: Any) -> bool:
    return isinstance(value, TYPES[rule]) and not (rule in ("integer", "number") and isinstance(value, bool))


def _object_errors(schema: dict[str, Any], value: Any, root: dict[str, Any], where: str) -> list[str]:
    if not isinstance(value, dict):
        return []
    known = schema.get("properties", {})
    found = [f"{where}.{name}: required" for name in schema.get("required", []) if name not in value]
    for name, sub in known.items():
        if name in value:
            found += errors(sub, value[name], root, f"{where}.{name}")
    if "additionalProperties" in schema:
        assert schema["additionalProperties"] is False, "only additionalProperties: false is expected"
        found += [f"{where}.{name}: not allowed" for name in value if name not in known]
    return found


def errors(schema: dict[str, Any], value: Any, root: dict[str, Any], where: str = "") -> list[str]:
    """Why ``value`` does not match ``schema``: the subset of JSON Schema 2020-12 the models produce."""
    unknown = (
        set(schema) - ANNOTATIONS - OBJECT_KEYWORDS - {"$ref", "anyOf", "type", "enum", "pattern", "items", *BOUNDS}
    )
    assert not unknown, f"unexpected keyword {unknown} at {where or 'the root'}"
    found = _object_errors(schema, value, root, where)
    if "$ref" in schema:
        assert schema["$ref"].startswith("#/$defs/"), schema["$ref"]
        found += errors(root["$defs"][schema["$ref"].removeprefix("#/$defs/")], value, root, where)
    if "anyOf" in schema and all(errors(option, value, root, where) for option in schema["anyOf"]):
        found.append(f"{where}: matches none of {len(schema['anyOf'])} options")
    if "type" in schema and not _matches_type(schema["type"], value):
        found.append(f"{where}: not {schema['type']}")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not in {schema['enum']}")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        found.append(f"{where}: {value!r} does not match {schema['pattern']}")
    found += [
        f"{where}: {value!r} against {k} {schema[k]}"
        for k in BOUNDS
        if k in schema and not _bounds(k, schema[k], value)
    ]
    if "items" in schema and isinstance(value, list):
        for index, item in enumerate(value):
            found += errors(schema["items"], item, root, f"{where}[{index}]")
    return found


OBJECT_KEYWORDS = {"properties", "required", "additionalProperties"}


def schema_of(kind: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(FACILITATOR), "schema", "--kind", kind], capture_output=True, text=True, timeout=20, check=False
    )
    assert done.returncode == 0, done.stderr
    schema: dict[str, Any] = json.loads(done.stdout)
    return schema


def as_json(path: Path) -> Any:
    """A script file as an editor's YAML plug-in sees it: plain JSON values (dates as text)."""
    data = load_yaml(path).data
    return json.loads(json.dumps(data, default=lambda v: v.isoformat() if isinstance(v, date) else str(v)))


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict[str, Any]]:
    return {kind: schema_of(kind) for kind in ("both", "workshop", "exercise")}


WORKSHOP_FILE = DEMO / "workshop.yaml"
EXERCISE_FILES = sorted(p for p in DEMO.glob("*.yaml") if p.name != "workshop.yaml")


def test_schema_describes_both_kinds(schemas: dict[str, dict[str, Any]]) -> None:
    both = schemas["both"]
    assert both["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"Workshop", "Exercise", "Step"} <= set(both["$defs"])
    assert both["anyOf"] == [{"$ref": "#/$defs/Workshop"}, {"$ref": "#/$defs/Exercise"}]
    for name in ("Workshop", "Exercise", "Step", "Day", "Location", "Prompt", "Question", "Option", "Scale"):
        assert both["$defs"][name]["additionalProperties"] is False, name  # typos are errors in the editor too
    step = both["$defs"]["Step"]
    assert set(step["required"]) == {"id", "title", "kind", "duration"}
    assert step["properties"]["duration"]["type"] == "string"


@pytest.mark.parametrize("kind", ["both", "workshop"])
def test_the_demo_workshop_validates(schemas: dict[str, dict[str, Any]], kind: str) -> None:
    schema = schemas[kind]
    assert errors(schema, as_json(WORKSHOP_FILE), schema) == []


@pytest.mark.parametrize("kind", ["both", "exercise"])
def test_the_demo_exercises_validate(schemas: dict[str, dict[str, Any]], kind: str) -> None:
    schema = schemas[kind]
    for path in EXERCISE_FILES:
        assert errors(schema, as_json(path), schema) == [], path.name


def test_the_schema_refuses_what_the_loader_refuses(schemas: dict[str, dict[str, Any]]) -> None:
    exercise, workshop = schemas["exercise"], schemas["workshop"]
    data = as_json(EXERCISE_FILES[0])
    data["steps"][1]["duraton"] = data["steps"][1].pop("duration")
    assert sorted(errors(exercise, data, exercise)) == [
        ".steps[1].duration: required",
        ".steps[1].duraton: not allowed",
    ]
    data = as_json(EXERCISE_FILES[0])
    data["steps"][0]["duration"] = "10"
    assert len(errors(exercise, data, exercise)) == 1
    data = as_json(WORKSHOP_FILE)
    data["days"][0]["start"] = "9:30"  # what people write, and what the loader reads
    data["attendance"]["certificate_share"] = 0.75
    assert errors(workshop, data, workshop) == []
    data["days"][0]["start"] = "25:00"
    data["attendance"]["certificate_share"] = "eighty"
    assert len(errors(workshop, data, workshop)) == 2


def test_the_schema_knows_questions_checks_and_the_evaluation(schemas: dict[str, dict[str, Any]]) -> None:
    exercise, workshop = schemas["exercise"], schemas["workshop"]
    data = as_json(EXERCISE_FILES[0])
    asking = next(step for step in data["steps"] if "check" in step)  # the demo's pre check
    assert errors(exercise, data, exercise) == []
    asking["check"]["phase"] = "after"
    asking["questions"][0]["type"] = "ranking"
    asking["questions"][0]["options"][0]["label"] = "A"
    assert sorted(errors(exercise, data, exercise)) == [
        ".steps[3].check: matches none of 2 options",  # a check or null: 'after' fits neither
        ".steps[3].questions[0].options[0].label: not allowed",
        ".steps[3].questions[0].type: 'ranking' not in ['single', 'multiple', 'scale', 'quiz', 'text']",
    ]
    assert errors(workshop, as_json(WORKSHOP_FILE), workshop) == []
    for where, bad in (("opens_at", "closing"), ("scale", {"min": 1, "max": 11})):
        data = as_json(WORKSHOP_FILE)
        if where == "opens_at":
            data["evaluation"]["opens_at"] = bad
        else:
            data["evaluation"]["questions"][0]["scale"] = bad
        assert errors(workshop, data, workshop) == [".evaluation: matches none of 2 options"], where


def test_defaults_in_the_schema_are_valid_values(schemas: dict[str, dict[str, Any]]) -> None:
    # A timedelta default was once written as ISO 8601 ("PT10M"), which the duration pattern refuses.
    both = schemas["both"]
    for name, definition in both["$defs"].items():
        for field, sub in definition.get("properties", {}).items():
            if "default" in sub:
                assert errors(sub, sub["default"], both) == [], f"{name}.{field}"


def test_jsonschema_agrees(schemas: dict[str, dict[str, Any]]) -> None:
    import jsonschema

    for kind, files in (("workshop", [WORKSHOP_FILE]), ("exercise", EXERCISE_FILES), ("both", [WORKSHOP_FILE])):
        jsonschema.Draft202012Validator.check_schema(schemas[kind])
        validator = jsonschema.Draft202012Validator(schemas[kind])
        for path in files:
            assert list(validator.iter_errors(as_json(path))) == [], path.name
