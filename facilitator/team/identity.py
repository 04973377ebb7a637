"""Who is opening the run: the name the log records, their role and location, and where they connect from.

The name is ``--as``, else ``$FACILITATOR_AS``, else the login (``$USER``, then the password database). It
is then looked up in the config file's ``[facilitators]`` table (facilitator.config), which may give the
person's full name, their location and their role; what the command line says wins over the table. Over
SSH, ``$SSH_CONNECTION`` names the client's address, which the presence panel shows.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass

from facilitator.config import Config
from facilitator.problems import InputError
from facilitator.team.roles import JOIN_ROLES
from facilitator.text import clean_name


@dataclass(frozen=True)
class Identity:
    """Who this process is in the run: the name its events record, the login it was looked up by, the role
    and location the config file gives, and the SSH client's address."""

    name: str  # the actor of every event this process writes
    login: str  # what was looked up in [facilitators]: --as, FACILITATOR_AS or the login
    role: str | None  # from [facilitators], when the command line gave none
    location: str | None
    address: str | None  # the SSH client's address, when logged in over SSH


def login_name(environ: Mapping[str, str]) -> str:
    if user := environ.get("USER") or environ.get("LOGNAME"):
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name anywhere (a container without a passwd entry)
        return "facilitator"


def ssh_client(environ: Mapping[str, str]) -> str | None:
    """The client address of ``$SSH_CONNECTION`` ("client port server port"); None when not over SSH or garbled."""
    parts = environ.get("SSH_CONNECTION", "").split()
    if len(parts) != 4:
        return None
    try:
        return str(ipaddress.ip_address(parts[0]))
    except ValueError:
        return None


def resolve(
    explicit: str | None = None, *, config: Config | None = None, environ: Mapping[str, str] | None = None
) -> Identity:
    """The identity of this process; an :class:`InputError` for a name that cannot go into the log."""
    env = os.environ if environ is None else environ
    chosen = explicit if explicit is not None else env.get("FACILITATOR_AS") or login_name(env)
    source = "--as" if explicit is not None else "FACILITATOR_AS" if env.get("FACILITATOR_AS") else "login"
    try:
        login = clean_name(chosen)
    except ValueError as exc:
        raise InputError(f"{source}: {chosen!r} {exc}") from None
    member = (config or Config()).facilitators.get(login)
    role = member.role if member else None
    if role is not None and role not in JOIN_ROLES:  # the config model allows only these; a guard for callers
        raise InputError(f"facilitators.{login}.role: {role!r} is not one of {', '.join(JOIN_ROLES)}")
    return Identity(
        name=(member.name if member and member.name else login),
        login=login,
        role=role,
        location=member.location if member else None,
        address=ssh_client(env),
    )
