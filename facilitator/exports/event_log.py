"""The raw event log as JSON Lines, for audit: one event per line, oldest first, exactly as recorded.

SQLite writes each line itself (``json_object``, and the payload as stored), thousands of lines in one string
(``group_concat``), on a thread of its own while the tables are written (facilitator.exports.background), so a
million events cost little more than reading them. Control and bidi characters are written as JSON escapes
(facilitator.exports.inert): the same text to a JSON reader, inert on a screen. The participant page's
signing secret is not an event, so it is never in here.

Anonymised, each event is rewritten by the rule for its kind (:data:`RULES`, one for every kind of the
catalogue; an unknown kind, from a newer version, keeps no payload at all), and then every string left in it
is scrubbed of people's names, e-mails and codes, whatever field it is in:

- every id (the event's own, participants', reflections', join requests', notes') becomes this export's
  pseudonymous id; ``seq`` is the line's number;
- ``participant.added`` and ``participant.updated`` carry the pseudonym and its e-mail, the location and
  gender as the tables publish them (small cells suppressed), and no code, role or organisation; a gender
  is given once, in ``participant.added``, as the person's now. A batch of people added at the same instant
  (a roster import) is written in a shuffled order, so that the log's order is not the roster's;
- turns of who speaks keep their speaker and their turn id only as this export's pseudonymous ids;
- answers keep their respondent (a participant's id, or an anonymous question's ballot id) only as this
  export's pseudonymous id, and their location as the tables publish it;
- join requests keep no name or e-mail; reflections keep no signed name nor ``participant_id``;
- ``facilitator.joined`` keeps no SSH client address, ``run.created`` no path of the workshop folder.

Facilitators' names (the actor, ``to``, ``from`` of a control change) stay: they are the team, not the
people the export is about.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from facilitator.exports.background import Task
from facilitator.exports.cells import SUPPRESSED
from facilitator.exports.groups import anonymised_made
from facilitator.exports.inert import json_inert
from facilitator.exports.progress import Progress
from facilitator.exports.pseudonyms import WITHHELD
from facilitator.exports.record import Record
from facilitator.exports.snapshot import Snapshot
from facilitator.record import events as ev

FILE = "events.jsonl"
LINES = 1000  # per write: a line can be long (a whole script), and memory must stay flat
SEQS = 2000  # events per string SQLite builds: half a megabyte; longer ones leave the memory fragmented
# An event's line, as the log defines it.
_LINE = "json_object('seq', seq, 'id', id, 'at', at, 'actor', actor, 'kind', kind, 'payload', json(payload))"
# The same line as it is written, with the payload as stored: every payload was written by the app as compact
# JSON (facilitator.record.store: json.dumps with the separators "," and ":", since the first version), which
# the table holds to strict JSON (CHECK json_valid), and json() gives such text back unchanged: it only drops
# whitespace between tokens. Reading every payload's JSON again took a fifth of the log's time. The rest is
# json_object's, for the escaping of the other fields, less its closing "null}": the payload and a "}" follow.
_HEAD = "rtrim(json_object('seq', seq, 'id', id, 'at', at, 'actor', actor, 'kind', kind, 'payload', NULL), 'lnu}')"
# Each line's closing "}" comes with the separator, one string fewer made per event; the last line's is written
# after the string (which SQLite would copy to add it).
_JOINED = "group_concat(line, '}' || char(10))"
# The first byte of every character json_inert escapes, as UTF-8, but the controls below U+0020, which JSON
# text cannot hold raw: json_object escapes them, and a payload is strict JSON (the table checks it), which
# cannot hold them raw inside a string.
_UNSAFE_LEADS = (b"\x7f", b"\xc2", b"\xd8", b"\xe2")
_PERSON_KINDS = frozenset({ev.PARTICIPANT_ADDED, ev.PARTICIPANT_UPDATED})
_PRIVATE_FIELDS = ("code", "role", "organisation")

Rule = Callable[[dict[str, Any], Record], dict[str, Any]]


def _same(payload: dict[str, Any], record: Record) -> dict[str, Any]:
    return payload


def _ids(*keys: str) -> Rule:
    def rule(payload: dict[str, Any], record: Record) -> dict[str, Any]:
        for key in keys:
            if isinstance(payload.get(key), str):
                payload[key] = record.pseudonyms.id(payload[key])
        return payload

    return rule


def _located(rule: Rule) -> Rule:
    def located(payload: dict[str, Any], record: Record) -> dict[str, Any]:
        payload = rule(payload, record)
        if isinstance(payload.get("location"), str):
            payload["location"] = record.published_location(payload["location"])
        return payload

    return located


def _without(*keys: str) -> Rule:
    def rule(payload: dict[str, Any], record: Record) -> dict[str, Any]:
        for key in keys:
            payload.pop(key, None)
        return payload

    return rule


def _reflection(payload: dict[str, Any], record: Record) -> dict[str, Any]:
    payload["reflection"] = record.pseudonyms.id(str(payload.get("reflection", "")))
    if payload.get("participant"):
        payload["participant"] = WITHHELD
    payload.pop("participant_id", None)  # no author link, ever
    return payload


def _added(payload: dict[str, Any], record: Record) -> dict[str, Any]:
    pid = str(payload.get("participant", ""))
    names = record.pseudonyms
    person = record.attendance.roster.by_id.get(pid)
    payload.update(participant=names.id(pid), name=names.name(pid), email=names.email(pid))
    if "gender" in payload:
        payload["gender"] = record.cells.gender(person) if person is not None else SUPPRESSED
    for key in _PRIVATE_FIELDS:
        payload.pop(key, None)
    return payload


def _updated(payload: dict[str, Any], record: Record) -> dict[str, Any]:
    pid = str(payload.get("participant", ""))
    names = record.pseudonyms
    changes = dict(payload.get("changes") or {})
    if "name" in changes:
        changes["name"] = names.name(pid)
    if "email" in changes:
        changes["email"] = names.email(pid)
    if isinstance(changes.get("location"), str):
        changes["location"] = record.published_location(changes["location"])
    for key in (*_PRIVATE_FIELDS, "gender"):  # a change of gender on the record would say more than the gender
        changes.pop(key, None)
    return {**payload, "participant": names.id(pid), "changes": changes}


_request_id = _ids("request")


def _requested(payload: dict[str, Any], record: Record) -> dict[str, Any]:
    for key in ("name", "email"):
        if key in payload:
            payload[key] = WITHHELD
    return _request_id(payload, record)


RULES: dict[str, Rule] = {
    ev.RUN_CREATED: _without("source"),
    ev.PROGRAMME_LOADED: _same,
    ev.DAY_OPENED: _same,
    ev.DAY_CLOSED: _same,
    ev.STEP_ENTERED: _same,
    ev.TIMER_PAUSED: _same,
    ev.TIMER_RESUMED: _same,
    ev.TIMER_ADJUSTED: _same,
    ev.REFLECTION_LOGGED: _located(_reflection),
    ev.REFLECTION_EDITED: _located(_reflection),
    ev.REFLECTION_RETRACTED: _ids("reflection"),
    ev.REFLECTION_HIDDEN: _ids("reflection"),
    ev.PARTICIPANT_ADDED: _located(_added),
    ev.PARTICIPANT_UPDATED: _updated,
    ev.PARTICIPANT_REQUESTED: _located(_requested),
    ev.PARTICIPANT_REQUEST_DECIDED: _ids("request", "participant"),
    ev.ATTENDANCE_CHECKED_IN: _located(_ids("participant")),
    ev.ATTENDANCE_CHECKED_OUT: _located(_ids("participant")),
    ev.ATTENDANCE_MARKED: _ids("participant"),
    ev.LOCATION_LINK: _same,
    ev.FACILITATOR_JOINED: _without("from"),
    ev.CONTROL_REQUESTED: _same,
    ev.CONTROL_HANDED: _same,
    ev.CONTROL_DECLINED: _same,
    ev.CONTROL_TAKEN: _same,
    ev.NOTE_SENT: _ids("note"),
    ev.QUESTION_OPENED: _same,
    ev.QUESTION_CLOSED: _same,
    ev.QUESTION_REVEALED: _same,
    # An anonymous answer's respondent is the ballot id the phone keeps: hashed like an id, it leaves the run
    # only as this export's pseudonym (a named one's is the participant's id, so it still joins).
    ev.ANSWER_GIVEN: _located(_ids("respondent", "participant")),
    ev.GROUPS_MADE: anonymised_made,
    ev.GROUPS_CHANGED: _ids("grouping", "participant"),
    ev.GROUPS_ENDED: _ids("grouping"),
    # The tally of who speaks keeps who had the floor only as this export's pseudonym; the step is no one's.
    ev.SPEAKING_STARTED: _ids("turn", "participant"),
    ev.SPEAKING_STOPPED: _ids("turn"),
    ev.SPEAKING_SHOWN: _same,
}


def anonymised(kind: str, payload: dict[str, Any], record: Record) -> dict[str, Any]:
    """``payload`` as an anonymised export writes it: its kind's rule, then every string scrubbed."""
    rule = RULES.get(kind)
    if rule is None:
        return {}  # a kind this version does not know: which of its fields name someone cannot be told
    cleaned: dict[str, Any] = _scrubbed(rule(dict(payload), record), record.pseudonyms.scrub)
    return cleaned


_MOMENT = re.compile(r"\d{4}-\d\d-\d\d(?:T[\d:.]+Z)?")  # a time or a day, as the record writes them


def _scrubbed(value: Any, scrub: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return value if _MOMENT.fullmatch(value) else scrub(value)
    if isinstance(value, dict):
        return {key: _scrubbed(item, scrub) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, scrub) for item in value]
    return value


class Writing:
    """The event log being written: on a thread of its own from :func:`start` (identified), or by :meth:`finish`
    (anonymised, where every event goes through Python)."""

    def __init__(self, snapshot: Snapshot, folder: Path, *, anonymise: bool) -> None:
        self.snapshot = snapshot
        self.path = folder / FILE
        self.written = 0  # events, as the thread goes
        self._task: Task | None = None
        if not anonymise:
            conn = snapshot.sibling()
            self._task = Task(conn, lambda stopped: self._copy(conn, stopped), name="export-event-log")

    def _copy(self, conn: Any, stopped: threading.Event) -> None:
        (encoding,) = conn.execute("PRAGMA encoding").fetchone()
        raw = encoding == "UTF-8"  # else the text comes decoded, to be encoded as UTF-8 here
        sql = _lines(f"CAST({_JOINED} AS BLOB)" if raw else _JOINED)
        with self.path.open("wb") as out:
            for low in range(0, self.snapshot.last_seq, SEQS):
                if stopped.is_set():
                    return
                count, text = conn.execute(sql, (low, min(low + SEQS, self.snapshot.last_seq))).fetchone()
                if count:
                    out.write(_inert(text) if raw else json_inert(text).encode("utf-8"))
                    out.write(b"}\n")
                    self.written += count

    def finish(self, record: Record, progress: Progress) -> Path:
        progress.start("writing the event log", self.snapshot.event_count)
        if self._task is None:
            with self.path.open("w", encoding="utf-8", newline="\n") as out:
                _write_anonymised(self.snapshot, out, record, progress)
            return self.path
        shown = 0
        while not self._task.wait(0.1):
            progress.advance(self.written - shown)
            shown = self.written
        self._task.result()
        progress.advance(self.written - shown)
        return self.path

    def close(self) -> None:
        """Stop writing, if :meth:`finish` was not reached."""
        if self._task is not None:
            self._task.close()


def _lines(joined: str) -> str:
    """The statement that gives the count and the lines (``joined``) of the events in a range of seq, in order (a
    range of the primary key is read in order)."""
    line = f"{_HEAD} || payload AS line"
    return f"SELECT COUNT(*), {joined} FROM (SELECT {line} FROM events WHERE seq > ? AND seq <= ? ORDER BY seq)"


def _inert(lines: bytes) -> bytes:
    """:func:`json_inert` of the UTF-8 text ``lines``, looked at as bytes first: the usual lines need nothing."""
    if any(lead in lines for lead in _UNSAFE_LEADS):
        return json_inert(lines.decode("utf-8")).encode("utf-8")
    return lines


def start(snapshot: Snapshot, folder: Path, *, anonymise: bool) -> Writing:
    """Start writing the event log of ``snapshot`` into ``folder``; :meth:`Writing.finish` ends it."""
    return Writing(snapshot, folder, anonymise=anonymise)


def _write_anonymised(snapshot: Snapshot, out: Any, record: Record, progress: Progress) -> None:
    names = record.pseudonyms
    shuffle = secrets.SystemRandom().shuffle
    lines: list[str] = []
    batch: list[dict[str, Any]] = []  # people added or updated at one instant, written in a shuffled order
    number = 0

    def emit(events: list[dict[str, Any]]) -> None:
        nonlocal number
        for event in events:
            number += 1
            line = {"seq": number, **event}
            lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
        if len(lines) >= LINES:
            flush()

    def flush() -> None:
        if lines:
            out.write(json_inert("\n".join(lines)) + "\n")
            progress.advance(len(lines))
            lines.clear()

    for _seq, event_id, at, actor, kind, payload in snapshot.rows(
        "SELECT seq, id, at, actor, kind, payload FROM events ORDER BY seq"
    ):
        event = {
            "id": names.id(event_id),
            "at": at,
            "actor": names.scrub(actor),
            "kind": kind,
            "payload": anonymised(kind, json.loads(payload), record),
        }
        if batch and (kind not in _PERSON_KINDS or at != batch[0]["at"]):
            shuffle(batch)
            emit(batch)
            batch = []
        if kind in _PERSON_KINDS:
            batch.append(event)
        else:
            emit([event])
    shuffle(batch)
    emit(batch)
    flush()
