"""The terminal apps' start-up: no cyclic garbage collection while their modules are imported and their first
frame is built (facilitator.opening), and what makes that frame fast: the app's first reading, its stylesheets."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from facilitator import cli, opening

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"


@pytest.fixture
def collecting() -> Iterator[None]:
    """A collector that is on, as in a fresh process, and on again after the test whatever it did."""
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_no_collections_while_starting_up_then_frozen_and_collecting(
    collecting: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(gc.isenabled()))  # this test process stays unfrozen
    with opening.start_up() as ready:
        assert not gc.isenabled()
        resume = ready()
        assert not gc.isenabled()  # the app builds its first frame with the collector still off
        assert frozen == [False]  # what start-up made is frozen
        resume()
        assert gc.isenabled()  # and from the first frame on, the app runs with the collector on
        resume()  # twice is once
    assert frozen == [False, False]  # what the first frame built was frozen too, before collecting resumed
    assert gc.isenabled()


def test_a_start_up_that_fails_collects_again_and_freezes_nothing(
    collecting: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    with pytest.raises(RuntimeError), opening.start_up():
        assert not gc.isenabled()
        raise RuntimeError("refused")
    assert gc.isenabled()
    assert frozen == []


def test_an_app_that_never_draws_collects_again_when_start_up_ends(
    collecting: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gc, "freeze", lambda: None)
    with opening.start_up() as ready:
        ready()  # the app ran, and exited before its first frame: its resume was never called
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(collecting: None) -> None:
    gc.disable()
    with opening.start_up() as ready:
        ready()()
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_a_collector_turned_off_by_someone_else_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    was = gc.isenabled()
    gc.disable()
    try:
        with opening.start_up() as ready:
            ready()
            assert not gc.isenabled()
        assert not gc.isenabled()
        assert frozen == []
    finally:
        if was:
            gc.enable()


def test_the_app_command_turns_collecting_back_on_when_it_refuses(
    collecting: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    runner = CliRunner()
    db = tmp_path / "run.db"
    assert runner.invoke(cli.main, ["init", str(EXERCISES), "--db", str(db), "--as", "amina"]).exit_code == 0
    for command in (["run", "--db", str(db)], ["present", "--db", str(db)]):
        result = runner.invoke(cli.main, [*command, "--as", "amina"])  # not a terminal: refused after opening the run
        assert result.exit_code == 2
        assert "needs a terminal" in result.stderr
        assert gc.isenabled()
    assert frozen == []
