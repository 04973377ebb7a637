"""Shared fixtures. Keep each one small and generic; add new ones below, never remove or change existing ones."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme

# Crash reports (facilitator.tui.crash) of apps started by tests go to a scratch folder, never to the
# user's own ~/.local/state; subprocesses and terminals started by tests inherit it.
os.environ.setdefault("XDG_STATE_HOME", tempfile.mkdtemp(prefix="facilitator-test-state-"))

REPO = Path(__file__).resolve().parent.parent
DEMO_FOLDER = REPO / "exercises"

TINY_PROGRAMME: dict[str, Any] = {
    "workshop": {
        "title": "Tiny workshop",
        "timezone": "Africa/Juba",
        "locations": [
            {"id": "hq", "name": "Headquarters", "timezone": "America/New_York", "expected": 4},
            {"id": "juba", "name": "Juba", "timezone": "Africa/Juba", "expected": 3},
        ],
        "days": [
            {"date": "2022-08-22", "start": "09:00", "agenda": ["warm-up", "reflect"]},
            {"date": "2022-08-23", "start": "09:00", "agenda": ["reflect"]},
        ],
    },
    "exercises": [
        {
            "id": "warm-up",
            "title": "Warm-up",
            "steps": [
                {"id": "intro", "title": "Introduction", "kind": "presentation", "duration": "10m"},
                {"id": "pairs", "title": "Pairs", "kind": "discussion", "duration": "15m"},
            ],
        },
        {
            "id": "reflect",
            "title": "Reflect",
            "steps": [
                {
                    "id": "write",
                    "title": "Write a reflection",
                    "kind": "reflection",
                    "duration": "5m",
                    "prompt": {"text": "What will you take away?"},
                },
                {"id": "share", "title": "Share", "kind": "report-back", "duration": "10m"},
            ],
        },
    ],
}


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock at 2022-08-22 12:00 UTC that moves only when told to."""
    return FakeClock()


@pytest.fixture
def tiny_programme() -> Programme:
    """Two days, two locations, two exercises of two steps (10m, 15m; 5m with a prompt, 10m)."""
    return Programme.validate(TINY_PROGRAMME)


@pytest.fixture(scope="session")
def demo_programme() -> Programme:
    """The bundled five-day demo workshop, loaded once per test session."""
    from facilitator.script.loading import load_workshop

    return load_workshop(DEMO_FOLDER).programme


@pytest.fixture
def run_store(tmp_path: Path, tiny_programme: Programme, fake_clock: FakeClock) -> Iterator[Store]:
    """A fresh run database ``tmp_path/run.db`` of the tiny programme, driven by ``fake_clock``."""
    store = Store.create(tmp_path / "run.db", tiny_programme, actor="lead", clock=fake_clock)
    yield store
    store.close()
