"""The notes to the driver (facilitator.live.note_log): read as a sequence, and only the new ones by ``after``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from facilitator.live.note_log import Note, NoteLog

START = datetime(2022, 8, 22, 7, 0, tzinfo=UTC)


def notes(first: int, count: int) -> list[Note]:
    texts = ["five more minutes", "line\nbreak «ok»", '{"not": "json"}', "🙂"]
    return [
        Note(f"n{seq}", START + timedelta(minutes=seq), "amina", None if seq % 2 else "lead", texts[seq % 4], seq)
        for seq in range(first, first + count * 3, 3)
    ]


def test_a_log_from_a_checkpoint_and_notes_since_read_as_one_sequence() -> None:
    kept, since = notes(1, 5), notes(40, 3)
    doc, parts = NoteLog(kept).dump()
    log = NoteLog.load(doc, parts).extended(since)
    assert list(log) == kept + since and len(log) == 8
    assert log[0] == kept[0] and log[-1] == since[-1] and log[4:6] == (kept[4], since[0])
    assert log == kept + since and log != kept
    assert log.after(7) == [n for n in kept + since if n.seq > 7]
    assert log.after(0) == kept + since and log.after(1000) == []
    again = NoteLog.load(*log.dump())
    assert again == log and again.dump() == log.dump()
    with pytest.raises(IndexError):
        log[8]


def test_a_log_whose_rows_do_not_match_their_places_is_refused() -> None:
    doc, parts = NoteLog(notes(1, 3)).dump()
    with pytest.raises(ValueError, match="notes"):
        NoteLog.load(doc, {**parts, "rows": parts["rows"][:-2]})
