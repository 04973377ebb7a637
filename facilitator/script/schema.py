"""JSON Schema of the script files, generated from the models that validate them so it can never drift from them."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from facilitator.script.validation import Exercise, Workshop

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def script_schema(kind: str = "both") -> dict[str, Any]:
    """The schema of a workshop file, an exercise file, or (``both``) either one."""
    if kind == "workshop":
        schema = Workshop.model_json_schema()
    elif kind == "exercise":
        schema = Exercise.model_json_schema()
    else:
        refs, schema = models_json_schema([(Workshop, "validation"), (Exercise, "validation")])
        schema["anyOf"] = [refs[(Workshop, "validation")], refs[(Exercise, "validation")]]
        schema["title"] = "facilitator workshop or exercise file"
    return {"$schema": SCHEMA_DIALECT, **schema}
