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
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from facilitator.problems import InputError, Problem, display_path, field_path
from facilitator.script.models import did_you_mean

KEY_LIST = re.compile(r"^[a-z0-9_+\-]+(,[a-z0-9_+\-]+)*$")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_NAME_CHARS = 80


def clean_name(value: str) -> str:
    """A facilitator's name as the log records it: trimmed, one line, not empty, not too long."""
    text = value.strip()
    if not text:
        raise ValueError("cannot be empty")
    if len(text) > MAX_NAME_CHARS:
        raise ValueError(f"may be at most {MAX_NAME_CHARS} characters")
    if _CONTROL.search(text):
        raise ValueError("contains control characters")
    return text


class TeamMember(BaseModel):
    """One login of the facilitation team: the name the log shows, and the defaults of `facilitator join`."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # built when a file is read

    name: str | None = Field(default=None, description="the name recorded in the log (default: the login)")
    location: str | None = Field(default=None, description="the location id they work for")
    role: Literal["co", "observer"] | None = Field(default=None, description="their role when joining")

    @field_validator("name", "location")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        return None if value is None else clean_name(value)


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # built when a file is read

    bell: bool = Field(default=False, description="ring the terminal bell when a step's time runs out")
    keys: dict[str, str] = Field(default_factory=dict, description="binding id to comma-separated keys")
    facilitators: dict[str, TeamMember] = Field(default_factory=dict, description="login to team member")


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
        return Config.model_construct()  # the defaults, as Config(), without building its validator (start-up)
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
    if any(old in config.keys for old in RENAMED_BINDINGS):
        renamed = {RENAMED_BINDINGS.get(binding_id, binding_id): keys for binding_id, keys in config.keys.items()}
        config = config.model_copy(update={"keys": renamed})
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
