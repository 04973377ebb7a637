"""Append events to a run database from its own process, as another facilitator would.

    python writer.py DB PREFIX COUNT [--wait]

Opens DB, prints ``ready``, (with ``--wait``) waits for a line on stdin so that several writers start
together, then appends COUNT events (0: until killed) with ids ``PREFIX-0``, ``PREFIX-1``, ... and prints
each id only after ``Store.append`` has returned, so every printed id is an acknowledged write.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from facilitator.record.store import Store

KIND = "note.sent"  # any kind of the catalogue will do; a note carries free text: the writer's number


def say(line: str) -> None:
    sys.stdout.write(f"{line}\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    db, prefix, count = Path(argv[0]), argv[1], int(argv[2])
    wait = "--wait" in argv[3:]
    with Store.open(db) as store:
        say("ready")
        if wait:
            sys.stdin.readline()
        numbers = range(count) if count > 0 else itertools.count()
        for n in numbers:
            event = store.append(KIND, {"text": str(n)}, actor=prefix, event_id=f"{prefix}-{n}")
            say(event.id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
