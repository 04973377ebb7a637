"""Pausing the cyclic garbage collector around bulk work (facilitator.collector): on inside the block never, on
again after it however it ends, and a collector someone else turned off left off."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from facilitator import collector


@pytest.fixture
def collecting() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_no_collection_inside_and_collecting_after(collecting: None) -> None:
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_collecting_resumes_when_the_work_fails(collecting: None) -> None:
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("a bad row")
    assert gc.isenabled()


def test_a_collector_already_off_is_left_off() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()
