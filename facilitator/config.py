"""The user's own settings: key remapping, the timer bell and who the team are, read from a small TOML file.

# ~/.config/facilitator/config.toml
bell = true
[keys]
next = "n,right,j"
previous = "p,left,k"
[facilitators.amina]          # a login (or --as / FACILITATOR_AS) and who it is (facilitator.team.identity)
name = "Amina Diallo"
location = "unmiss"
role = "co"
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from facilitator.problems import InputError, Problem, display_path, field_path
from facilitator.script.vocabulary import did_you_mean

KEY_LIST = re.compile(r"^[a-z0-9_+\-]+(,[a-z0-9_+\-]+)*$")


# The settings as an app runs with them: plain data classes, validated (when a config file exists) by the pydantic
# models of the same names and fields in facilitator.config_validation, imported only then.
@dataclass(frozen=True, kw_only=True)
class TeamMember:
    """One login of the facilitation team: the name the log shows, and the defaults of `facilitator join`."""

    name: str | None = None  # the name recorded in the log (default: the login)
    location: str | None = None  # the location id they work for
    role: Literal["co", "observer"] | None = None  # their role when joining


@dataclass(frozen=True, kw_only=True)
class Config:
    """The user's settings: whether the bell rings, the keys they remapped, and who the team are."""

    bell: bool = False  # ring the terminal bell when a step's time runs out
    keys: dict[str, str] = field(default_factory=dict)  # binding id to comma-separated keys
    facilitators: dict[str, TeamMember] = field(default_factory=dict)  # login to team member


# Binding ids of the three confirmation dialogs that became one question (facilitator.tui.modals.choice): a config
# file written for them keeps working, and remaps the question's key.
RENAMED_BINDINGS = {
    "confirm-everyone": "choice-yes",
    "confirm-retract": "choice-yes",
    "confirm-takeover": "choice-yes",
    "cancel-everyone": "choice-no",
    "keep-reflection": "choice-no",
    "cancel-takeover": "choice-no",
}


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
        return Config()  # the defaults: neither TOML nor pydantic imported (start-up)
    import tomllib

    from pydantic import ValidationError

    from facilitator.config_validation import validate

    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(name, 0, "", f"cannot be read: {exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(exc))) else 0
        raise InputError([Problem(name, line, "", f"TOML syntax error: {exc}")]) from None
    try:
        config = validate(Config, data)
    except ValidationError as exc:
        problems = [
            Problem(name, 0, field_path(tuple(e["loc"])), e["msg"].removeprefix("Value error, ")) for e in exc.errors()
        ]
        raise InputError(problems) from None
    if any(old in config.keys for old in RENAMED_BINDINGS):
        renamed = {RENAMED_BINDINGS.get(binding_id, binding_id): keys for binding_id, keys in config.keys.items()}
        config = replace(config, keys=renamed)
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
