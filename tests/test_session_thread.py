"""The app's database thread (facilitator.live.session_thread): opened early, closed once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from facilitator.live.session_thread import SessionThread
from facilitator.problems import InputError
from facilitator.record.store import Store
from facilitator.script.models import Programme


def test_a_run_opened_early_is_the_session_every_command_gets(tmp_path: Path, tiny_programme: Programme) -> None:
    db = tmp_path / "run.db"
    Store.create(db, tiny_programme, actor="lead").close()
    thread = SessionThread(db, actor="lead")
    thread.open_now()
    first = thread.submit(lambda session: (session, threading.current_thread().name)).result()
    again = thread.submit(lambda session: session).result()
    assert first[0] is again and first[1].startswith("facilitator-db")  # opened once, on the database thread
    thread.close()
    thread.close()  # again: nothing


def test_a_run_that_cannot_be_opened_early_fails_the_first_command(tmp_path: Path) -> None:
    thread = SessionThread(tmp_path / "missing.db", actor="lead")
    thread.open_now()  # reports nothing: the caller goes on
    with pytest.raises(InputError, match=r"missing\.db"):
        thread.submit(lambda session: session).result()
    thread.close()
