"""The user's own settings: key remapping and the timer bell, read from a small TOML file.

# ~/.config/facilitator/config.toml
bell = true
[keys]
next = "n,right,j"
previous = "p,left,k"
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from facilitator.problems import InputError, Problem, display_path, field_path
from facilitator.script_models import did_you_mean

KEY_LIST = re.compile(r"^[a-z0-9_+\-]+(,[a-z0-9_+\-]+)*$")


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    bell: bool = Field(default=False, description="ring the terminal bell when a step's time runs out")
    keys: dict[str, str] = Field(default_factory=dict, description="binding id to comma-separated keys")


def config_path() -> Path:
    if explicit := os.environ.get("FACILITATOR_CONFIG"):
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "facilitator" / "config.toml"


def load_config(path: Path | None = None, *, binding_ids: frozenset[str] = frozenset()) -> Config:
    """Read the config file if there is one; every mistake is an :class:`InputError` naming file and line."""
    path = path or config_path()
    name = display_path(path)
    if not path.exists():
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(name, 0, "", f"cannot be read: {exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(exc))) else 0
        raise InputError([Problem(name, line, "", f"TOML syntax error: {exc}")]) from None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(name, 0, field_path(tuple(e["loc"])), e["msg"].removeprefix("Value error, ")) for e in exc.errors()
        ]
        raise InputError(problems) from None
    problems = []
    for binding_id, keys in config.keys.items():
        if binding_ids and binding_id not in binding_ids:
            hint = did_you_mean(binding_id, sorted(binding_ids))
            problems.append(Problem(name, 0, f"keys.{binding_id}", f"no such action{hint}"))
        elif not KEY_LIST.match(keys.replace(" ", "")):
            problems.append(Problem(name, 0, f"keys.{binding_id}", f"{keys!r} is not a comma-separated list of keys"))
    if problems:
        raise InputError(problems)
    return config
