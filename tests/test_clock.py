"""The scaled clock that rehearsals and the soak test share between processes."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from facilitator.problems import InputError
from facilitator.record.clock import CLOCK_ENV, ScaledClock, SystemClock, default_clock

MORNING = datetime(2022, 8, 22, 7, 0, tzinfo=UTC)


def test_scaled_time_runs_factor_times_faster() -> None:
    clock = ScaledClock([(time.time(), MORNING)], factor=600)
    first = clock.now()
    time.sleep(0.05)
    advanced = clock.now() - first
    assert timedelta(seconds=25) <= advanced <= timedelta(seconds=120)


def test_a_later_segment_jumps_to_the_next_morning() -> None:
    now = time.time()
    clock = ScaledClock([(now - 10, MORNING), (now - 1, MORNING + timedelta(days=1))], factor=1)
    assert MORNING + timedelta(days=1) <= clock.now() < MORNING + timedelta(days=1, seconds=5)


def test_processes_agree_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = ScaledClock([(time.time(), MORNING)], factor=10)
    monkeypatch.setenv(CLOCK_ENV, clock.to_env())
    other = default_clock()
    assert isinstance(other, ScaledClock)
    assert abs(other.now() - clock.now()) < timedelta(seconds=1)


def test_without_the_variable_it_is_the_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CLOCK_ENV, raising=False)
    assert isinstance(default_clock(), SystemClock)


def test_a_bad_description_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CLOCK_ENV, '{"factor": 0, "segments": []}')
    with pytest.raises(InputError, match=CLOCK_ENV):
        default_clock()
