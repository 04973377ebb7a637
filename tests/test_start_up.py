"""The terminal apps' start-up: no cyclic garbage collection while their modules are imported (facilitator.cli)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from facilitator import cli

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
    with cli._start_up() as ready:
        assert not gc.isenabled()
        ready()
        assert gc.isenabled()  # the app runs with the collector on
    assert frozen == [False]  # what start-up made was frozen before collecting resumed
    assert gc.isenabled()


def test_a_start_up_that_fails_collects_again_and_freezes_nothing(
    collecting: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    with pytest.raises(RuntimeError), cli._start_up():
        assert not gc.isenabled()
        raise RuntimeError("refused")
    assert gc.isenabled()
    assert frozen == []


def test_a_collector_turned_off_by_someone_else_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    was = gc.isenabled()
    gc.disable()
    try:
        with cli._start_up() as ready:
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
