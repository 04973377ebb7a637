"""Who may do what in a run: the driver, co-facilitators and observers.

One person drives at a time (moves steps and the timer): the lead at first, then whoever the driver hands
control to, or a co-facilitator who takes it after the driver's process has gone. Co-facilitators do the
rest of the room's work (attendance, reflections, link status, notes to the driver), optionally only for
their own location. Observers only look. :class:`facilitator.live.session.Session` enforces these rules; the
TUI only hides the keys that would be refused.
"""

from __future__ import annotations

from datetime import timedelta

from facilitator.problems import InputError

LEAD = "lead"
CO = "co"
OBSERVER = "observer"
ROLES = (LEAD, CO, OBSERVER)
JOIN_ROLES = (CO, OBSERVER)  # what `facilitator join --role` accepts; the lead opens the run with `run`

# How long the driver's process must have been silent before a co-facilitator may take control.
DEFAULT_TAKEOVER_AFTER = timedelta(seconds=10)
MAX_NOTE_CHARS = 280


class NotAllowed(InputError):
    """A command this process's role may not give."""


def drives(driver: str | None, actor: str, role: str) -> bool:
    """Whether ``actor`` (in ``role``) holds the driver's seat; before any lead has joined, every lead does."""
    return driver == actor or (driver is None and role == LEAD)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    return role
