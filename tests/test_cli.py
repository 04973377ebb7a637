"""The command line as a user meets it: real processes, exit codes, one-line errors, data left alone."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from facilitator.attendance.roster import Roster
from facilitator.record.events import RUN_CREATED
from facilitator.record.store import Store

DEMO = Path(__file__).resolve().parent.parent / "exercises"
FACILITATOR = [sys.executable, "-m", "facilitator"]


def cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FACILITATOR, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_version_and_help_everywhere() -> None:
    version = cli("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("facilitator, version ")
    for command in ("check", "schema", "init", "run", "demo"):
        result = cli(command, "--help")
        assert result.returncode == 0, command
        assert "Usage:" in result.stdout


def test_unknown_command_and_missing_argument_are_usage_errors() -> None:
    assert cli("frobnicate").returncode == 2
    result = cli("init", str(DEMO))
    assert result.returncode == 2
    assert "--db" in result.stderr


def test_init_creates_a_run_holding_the_workshop(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    result = cli("init", DEMO, "--db", db, "--as", "amina")
    assert result.returncode == 0, result.stderr
    assert "created" in result.stdout
    with Store.open(db) as store:
        (created,) = store.events()
        assert created.kind == RUN_CREATED
        assert created.actor == "amina"
        assert store.programme().workshop.title.startswith("Integrating Gender Equality")
        assert store.integrity_check() == "ok"
    assert not list(tmp_path.glob(".*creating*")), "the temporary file must not be left behind"


def test_init_never_overwrites_a_run(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    assert cli("init", DEMO, "--db", db).returncode == 0
    before = digest(db)
    result = cli("init", DEMO, "--db", db)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"{db}: already exists; resume that run with --db, or choose a new file name"
    ]
    assert digest(db) == before


def test_init_from_a_broken_workshop_creates_nothing(tmp_path: Path) -> None:
    workshop = tmp_path / "w"
    workshop.mkdir()
    (workshop / "workshop.yaml").write_text("title: x\ntimezone: Mars/Olympus\n")
    result = cli("init", workshop, "--db", tmp_path / "run.db")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "timezone: 'Mars/Olympus' is not an IANA time zone" in result.stderr
    assert not (tmp_path / "run.db").exists()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p.write_text("not a database"), "is not a facilitator database"),
        (lambda p: p.write_bytes(b""), "is not a facilitator database"),
        (lambda p: p.mkdir(), "is a folder"),
    ],
)
def test_run_refuses_what_is_not_a_run(tmp_path: Path, setup: object, message: str) -> None:
    db = tmp_path / "thing.db"
    setup(db)  # type: ignore[operator]
    result = cli("run", "--db", db)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_run_without_a_database_or_workshop_says_what_to_do(tmp_path: Path) -> None:
    result = cli("run", "--db", tmp_path / "missing.db")
    assert result.returncode == 2
    assert "give a workshop PATH" in result.stderr


def test_run_without_a_terminal_refuses_plainly(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    assert cli("init", DEMO, "--db", db).returncode == 0
    result = cli("run", "--db", db)
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_copies_the_workshop_and_creates_its_run(tmp_path: Path) -> None:
    result = cli("demo", "--dir", tmp_path / "scratch")
    # No terminal here, so the app refuses to open; the copy and the run are ready all the same.
    assert result.returncode == 2
    assert (tmp_path / "scratch" / "workshop" / "workshop.yaml").exists()
    with Store.open(tmp_path / "scratch" / "workshop.db") as store:
        assert len(store.programme().exercises) == len(list(DEMO.glob("[0-9]*.yaml")))
        assert len(Roster.from_events(store.events()).by_id) == 60
    assert (DEMO / "workshop.yaml").read_text() == (tmp_path / "scratch" / "workshop" / "workshop.yaml").read_text()


def test_a_lead_that_loses_the_race_to_create_the_run_is_told_who_drives_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two leads start `facilitator run WORKSHOP --db run.db` at once: both see no file, one creates it.
    from click.testing import CliRunner

    from facilitator import cli as cli_module
    from facilitator import opening
    from facilitator.team import presence

    db = tmp_path / "run.db"
    create = opening.create_run

    def the_other_lead_wins(path: Path, target: Path, actor: str) -> None:
        create(path, target, "amina")
        with Store.open(target) as store:
            presence.claim(store, actor="amina")  # and drives it, in a process still running (this one)
        create(path, target, actor)  # this lead's own attempt: the file exists now

    monkeypatch.setattr(opening, "create_run", the_other_lead_wins)
    result = CliRunner().invoke(cli_module.main, ["run", str(DEMO), "--db", str(db), "--as", "bob"])
    assert result.exit_code == 2
    assert "resume that run with --db" not in result.output
    assert "amina (pid" in result.output and "is already driving this run; quit it first" in result.output
