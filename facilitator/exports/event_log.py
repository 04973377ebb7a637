"""The raw event log as JSON Lines, for audit: one event per line, oldest first, exactly as recorded.

SQLite writes each line itself (``json_object``), so a million events cost little more than reading
them. Anonymised, each payload is rewritten instead: participants' names and e-mails become their
pseudonyms, names signed under reflections go, and free text is cleaned of roster names and e-mails.
The participant page's signing secret is not an event, so it is never in here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from facilitator.exports.progress import Progress
from facilitator.exports.pseudonyms import WITHHELD, Pseudonyms
from facilitator.exports.snapshot import Snapshot
from facilitator.record import events as ev

FILE = "events.jsonl"
LINES = 1000  # per write: a line can be long (a whole script), and memory must stay flat
_LINE = (
    "SELECT json_object('seq', seq, 'id', id, 'at', at, 'actor', actor, 'kind', kind, 'payload', json(payload))"
    " FROM events ORDER BY seq"
)
_REFLECTION_KINDS = frozenset({ev.REFLECTION_LOGGED, ev.REFLECTION_EDITED})
_PERSON_KINDS = frozenset({ev.PARTICIPANT_ADDED, ev.PARTICIPANT_UPDATED})


def write(snapshot: Snapshot, folder: Path, pseudonyms: Pseudonyms, progress: Progress) -> Path:
    path = folder / FILE
    progress.start("writing the event log", snapshot.event_count)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        if not pseudonyms.enabled:
            cursor = snapshot.conn.execute(_LINE)
            while chunk := cursor.fetchmany(LINES):
                out.write("\n".join(row[0] for row in chunk))
                out.write("\n")
                progress.advance(len(chunk))
            cursor.close()
        else:
            batch = []
            for seq, event_id, at, actor, kind, payload in snapshot.rows(
                "SELECT seq, id, at, actor, kind, payload FROM events ORDER BY seq"
            ):
                line = {
                    "seq": seq,
                    "id": event_id,
                    "at": at,
                    "actor": actor,
                    "kind": kind,
                    "payload": _anonymised(kind, json.loads(payload), pseudonyms),
                }
                batch.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
                if len(batch) == LINES:
                    out.write("\n".join(batch) + "\n")
                    progress.advance(len(batch))
                    batch = []
            if batch:
                out.write("\n".join(batch) + "\n")
                progress.advance(len(batch))
    return path


def _anonymised(kind: str, payload: dict[str, Any], names: Pseudonyms) -> dict[str, Any]:
    out = dict(payload)
    if kind in _PERSON_KINDS:
        pid = payload.get("participant", "")
        fields = out if kind == ev.PARTICIPANT_ADDED else dict(out.get("changes") or {})
        for key, pseudonym in (("name", names.name(pid)), ("email", names.email(pid)), ("code", None)):
            if key in fields:
                fields[key] = pseudonym
        if kind == ev.PARTICIPANT_UPDATED:
            out["changes"] = fields
    elif kind in _REFLECTION_KINDS:
        if out.get("participant"):
            out["participant"] = WITHHELD
        if isinstance(out.get("text"), str):
            out["text"] = names.scrub(out["text"])
    elif kind == ev.PARTICIPANT_REQUESTED:
        for key in ("name", "email"):
            if key in out:
                out[key] = WITHHELD
    elif kind == ev.NOTE_SENT and isinstance(out.get("text"), str):
        out["text"] = names.scrub(out["text"])
    return out
