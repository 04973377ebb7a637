"""Live reload: notice edits to a run's workshop files and record each new valid script as an event.

The lead's app calls :meth:`SourceWatcher.check` about once a second, off its event loop. It costs a few
``stat`` calls until something changed; then the workshop is loaded again. A valid script whose content
differs from the run's current one is appended as a ``programme.loaded`` event by :func:`record` (on the
database thread); the run follows it from then on (see facilitator.live.state for the current step). An
invalid script changes nothing: the problems are returned, one ``FILE:LINE: field: message`` line each,
for the screen to show until the files are valid again.

A change that leaves the programme as it was (a comment, the layout of a file) records nothing: the
script's content did not change, so neither does its version.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from facilitator.live.session import Session
from facilitator.problems import InputError
from facilitator.record import events as ev
from facilitator.record.events import Event
from facilitator.script.loading import Loaded, load_workshop
from facilitator.script.stored import stored_form

YAML_SUFFIXES = (".yaml", ".yml")
MAX_WATCHED = 1000

Fingerprint = tuple[tuple[str, int, int, int], ...]


class Status(StrEnum):
    UNCHANGED = "unchanged"  # no file changed since the last check, or the script's content is the same
    LOADED = "loaded"  # a new version of the script was recorded
    INVALID = "invalid"  # the files hold problems; the run keeps its last good script
    MISSING = "missing"  # the workshop's folder or file is gone


@dataclass(frozen=True)
class Reload:
    """What one check of the workshop's files came to, once recorded: a new script (its event), the problems
    that keep the last good one, files gone, or nothing new."""

    status: Status
    problems: tuple[str, ...] = ()
    event: Event | None = None
    changed: bool = False  # whether the files changed since the previous check


@dataclass
class Checked:
    """What :meth:`SourceWatcher.check` found: nothing new, a loaded script, problems, or no source."""

    changed: bool
    missing: bool = False
    loaded: Loaded | None = None
    problems: tuple[str, ...] = ()


@dataclass
class SourceWatcher:
    """Watches a workshop folder (or file) by the size, mtime and inode of its files. Not thread-safe."""

    source: Path
    _fingerprint: Fingerprint | None = field(default=None, init=False)
    _missing: bool = field(default=False, init=False)
    _known: set[Path] = field(default_factory=set, init=False)  # the files the last valid load read, absolute

    @property
    def folder(self) -> Path:
        return self.source if self.source.is_dir() else self.source.parent

    def _paths(self) -> list[Path]:
        """The folder itself (files added or removed change its mtime), its YAML files and every file read."""
        folder = self.folder
        paths = {folder, self.source}
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.endswith(YAML_SUFFIXES):
                        paths.add(Path(entry.path))
        except OSError:
            pass
        for known in self._known:
            paths.add(known)
            paths.add(known.parent)
        return sorted(paths)[:MAX_WATCHED]

    def fingerprint(self) -> Fingerprint | None:
        """Size, mtime and inode of every watched path; None when the source itself is gone."""
        if not self.source.exists():
            return None
        found = []
        for path in self._paths():
            try:
                st = path.stat()
            except OSError:
                continue
            found.append((str(path), st.st_size, st.st_mtime_ns, st.st_ino))
        return tuple(found)

    def folders(self) -> frozenset[Path]:
        """The folders whose files the script is read from: what a file watch covers."""
        return frozenset({self.folder, *(known.parent for known in self._known)})

    def may_have_changed(self) -> bool:
        """Whether :meth:`check` could find anything: a few ``stat`` calls, cheap enough for an event loop
        once a second, so that the thread that loads is woken only when there is something to load."""
        fingerprint = self.fingerprint()
        return fingerprint != self._fingerprint or (fingerprint is None and not self._missing)

    def check(self) -> Checked:
        """Load the workshop again if its files changed since the last check (the first check always loads)."""
        fingerprint = self.fingerprint()
        if fingerprint is None:
            changed = not self._missing  # say so once, not every second
            self._missing, self._fingerprint = True, None
            return Checked(changed=changed, missing=True)
        self._missing = False
        if fingerprint == self._fingerprint:
            return Checked(changed=False)
        self._fingerprint = fingerprint
        try:
            loaded = load_workshop(self.source)
        except InputError as exc:
            return Checked(changed=True, problems=tuple(exc.lines()))
        self._known = {Path(os.path.abspath(name)) for name in loaded.sources}
        # The load may have read files the fingerprint did not cover yet (an exercise in a subfolder).
        self._fingerprint = self.fingerprint()
        return Checked(changed=True, loaded=loaded)


def record(session: Session, loaded: Loaded) -> Event | None:
    """Append ``loaded`` as the run's new script unless it is the one the run already follows."""
    session.refresh()
    state = session.state
    current = state.programme
    if state.digest == loaded.digest and current is not None:
        return None
    payload = stored_form(loaded.programme)
    if current is not None and stored_form(current) == payload:
        return None
    event = session.store.append(
        ev.PROGRAMME_LOADED,
        {"programme": payload, "digest": loaded.digest},
        actor=session.actor,
        # The same script loaded onto the same log position is one event, however often it is retried.
        event_id=f"programme-{loaded.digest[:32]}-{state.last_seq}",
    )
    session.refresh()
    return event


def apply_check(session: Session, checked: Checked) -> Reload:
    """Record what :meth:`SourceWatcher.check` found, on the database's thread."""
    if checked.missing:
        return Reload(Status.MISSING, changed=checked.changed)
    if checked.problems:
        return Reload(Status.INVALID, problems=checked.problems, changed=checked.changed)
    if checked.loaded is None:
        return Reload(Status.UNCHANGED, changed=checked.changed)
    event = record(session, checked.loaded)
    return Reload(Status.LOADED if event else Status.UNCHANGED, event=event, changed=checked.changed)


def reload_workshop(session: Session, watcher: SourceWatcher) -> Reload:
    """Check the files and record a new script in one go (for callers with no event loop to spare)."""
    return apply_check(session, watcher.check())
