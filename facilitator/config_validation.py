"""The config file's pydantic models, which validate a config file that exists (:func:`facilitator.config.load_config`).

The settings an app runs with are :mod:`facilitator.config`'s plain data classes of the same names and fields
(tests/test_model_parity.py): with no config file, pydantic is not imported at all.
"""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from facilitator.script.conversion import to_runtime
from facilitator.text import clean_name


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


MODELS: dict[str, type[BaseModel]] = {"TeamMember": TeamMember, "Config": Config}
R = TypeVar("R")


def validate(runtime: type[R], data: object) -> R:
    """``data`` (a config file's TOML, parsed) validated by the model of ``runtime``'s name, as a ``runtime``: a
    :class:`~pydantic.ValidationError` says what is wrong."""
    return to_runtime(MODELS[runtime.__name__].model_validate(data), runtime)
