"""The ``facilitator`` command's entry (facilitator.entry): a plainly written ``run`` opens the lead's app without
the command line's definitions, and is read exactly as facilitator.cli reads it; anything else goes to the
command line, whose reading and errors stay as they were."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitator import cli, entry
from facilitator.entry import PlainRun, plain_run
from facilitator.opening import default_actor

REPO = Path(__file__).resolve().parent.parent
FACILITATOR = Path(sys.executable).parent / "facilitator"


def as_cli_reads(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[Path | None, Path, str] | None:
    """What facilitator.cli's ``run`` opens for ``args`` (the run not opened); None when it refuses them."""
    opened: list[tuple[Path | None, Path, str]] = []

    def open_lead(path: Path | None, db: Path, actor: str) -> int:
        opened.append((path, db, actor))
        return 0

    with monkeypatch.context() as patched:
        patched.setattr(cli, "open_lead", open_lead)
        try:
            cli.main.main(args, prog_name="facilitator", standalone_mode=False)
        except click.ClickException:
            return None
    return opened[0] if opened else None  # --help, --version: nothing opened


def as_entry_reads(args: list[str]) -> tuple[Path | None, Path, str] | PlainRun | None:
    plain = plain_run(args)
    if plain is None:
        return None
    return plain.path, plain.db, plain.actor if plain.actor is not None else default_actor()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run"], (None, Path("workshop.db"), None)),
        (["run", "exercises"], (Path("exercises"), Path("workshop.db"), None)),
        (["run", "--db", "day 1.db", "--as", "Amina"], (None, Path("day 1.db"), "Amina")),
        (["run", "--as=Amina", "--db=runs/a.db", "ws"], (Path("ws"), Path("runs/a.db"), "Amina")),
        (["run", "--db", "a=b.db"], (None, Path("a=b.db"), None)),
        (["run", "--db=x=y.db"], (None, Path("x=y.db"), None)),
        (["run", "--as", "Zoë Ñúñez", "atelier-été"], (Path("atelier-été"), Path("workshop.db"), "Zoë Ñúñez")),
    ],
)
def test_a_plain_run_is_read_here(args: list[str], expected: tuple[Path | None, Path, str | None]) -> None:
    assert plain_run(args) == PlainRun(*expected)


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--version"],
        ["--help"],
        ["check", "exercises"],
        ["join", "--db", "a.db"],
        ["run", "--help"],
        ["run", "-h"],
        ["run", "--db"],  # no value: click says so
        ["run", "--db", "--as", "x"],  # a value that looks like an option
        ["run", "--db", "a.db", "--db", "b.db"],  # given twice
        ["run", "--db="],
        ["run", "--as", ""],
        ["run", "a", "b"],  # two workshops
        ["run", "--", "a"],
        ["run", "-"],
        ["run", "--location", "nbo"],  # an option run does not have
        ["run", "--dbx", "a.db"],
        ["run", "--d", "a.db"],
        ["run", "--DB", "a.db"],
        ["run", "—db", "a.db"],  # an em dash, as a phone's keyboard types it
        ["Run"],
    ],
)
def test_anything_else_goes_to_the_command_line(args: list[str]) -> None:
    assert plain_run(args) is None


TOKENS = st.sampled_from(
    ["run", "--db", "--as", "--db=", "--as=", "--db=a.db", "--as=amina", "a.db", "exercises", "amina", "", "-",
     "--", "-h", "--help", "--version", "--location", "x=y", "--db=x=y", "-x", "run.db", " ", "é"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(TOKENS, max_size=6).map(lambda rest: ["run", *rest]) | st.lists(TOKENS, max_size=6))
def test_whatever_is_read_here_is_read_as_the_command_line_reads_it(args: list[str]) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        reading = as_entry_reads(args)
        if reading is not None:
            assert reading == as_cli_reads(args, monkeypatch), args


def test_the_common_forms_are_all_read_here() -> None:
    """Not everything is sent to the command line: the forms a lead types, and README's, are read here."""
    for line in ("run", "run exercises", "run --db workshop.db", "run exercises --db day1.db --as amina"):
        assert plain_run(line.split()) is not None, line


def test_shell_completion_is_the_command_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    asking = {"_FACILITATOR_COMPLETE": "bash_complete", "COMP_WORDS": "facilitator run --d", "COMP_CWORD": "2"}
    env = {**os.environ, **asking}
    done = subprocess.run([str(FACILITATOR), "run"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "--db" in done.stdout


def imports(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run(
        [str(FACILITATOR), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "facilitator.entry" in modules  # the profile was read
    said = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout, "\n".join(said)), modules


def through_the_command_line(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    program = "import sys; from facilitator.cli import main; sys.argv[0] = 'facilitator'; main()"
    return subprocess.run(
        [sys.executable, "-c", program, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--db", "missing.db"],  # no run, no workshop to create it from
        ["run", "no-such-folder", "--db", "new.db"],  # the workshop is not there
        ["run", "broken", "--db", "new.db", "--as", "amina"],  # a workshop with problems: one line each
        ["run", "--db", "not-a-run.db"],  # a file that is not a run database
    ],
)
def test_a_plain_run_that_fails_says_what_the_command_line_says_without_loading_it(
    args: list[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "workshop.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    (tmp_path / "not-a-run.db").write_text("a spreadsheet, renamed\n", encoding="utf-8")
    done, modules = imports(args, tmp_path)
    assert "click" not in modules
    assert done.returncode == 2
    assert done.stderr.strip(), "a clear line"
    assert "Traceback" not in done.stderr
    expected = through_the_command_line(args, tmp_path)
    assert (done.returncode, done.stdout, done.stderr.strip()) == (
        expected.returncode,
        expected.stdout,
        expected.stderr.strip(),
    )
    assert not (tmp_path / "new.db").exists()  # nothing left behind


def test_a_run_written_otherwise_is_the_command_lines(tmp_path: Path) -> None:
    done, modules = imports(["run", "--db", "a.db", "--location", "nbo"], tmp_path)
    assert "click" in modules
    assert done.returncode == 2
    assert "No such option: --location" in done.stderr or "No such option '--location'" in done.stderr


def test_python_dash_m_goes_through_the_entry(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "facilitator", "run", "--db", "missing.db"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "facilitator.entry" in modules
    assert "click" not in modules


def test_the_console_script_is_the_entry() -> None:
    assert entry.main.__module__ == "facilitator.entry"
    text = FACILITATOR.read_text(encoding="utf-8")
    assert "from facilitator.entry import main" in text, "pip install -e . again: pyproject.toml names the entry"
