"""``facilitator export`` as organisers type it: the files it lists, and one clear line and exit 2 for bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from facilitator.script.models import Programme
from tests.test_export_run import build_run

pytestmark = pytest.mark.slow


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "facilitator", "export", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.fixture
def db(tmp_path: Path, tiny_programme: Programme) -> Path:
    return build_run(tmp_path, tiny_programme)[0]


def test_export_writes_and_lists_its_files(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports" / "week1"
    result = cli("--db", db, "--out", out, "--format", "csv,HTML", "--anonymise")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    lines = result.stdout.splitlines()
    assert lines[0].startswith("exported ") and "6 reflections" in lines[0]
    names = sorted(line.strip() for line in lines[1:])
    assert names == sorted(p.name for p in out.iterdir())
    assert "report.html" in names and "events.jsonl" in names and "export.xlsx" not in names
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # the work folder is gone


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "csv,pdf"], "--format: 'pdf' is not one of csv, json, xlsx, md, html"),
        (["--format", ","], "--format: give one or more of csv,json,xlsx,md,html"),
    ],
)
def test_bad_format(db: Path, tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out"
    result = cli("--db", db, "--out", out, *args)
    assert (result.returncode, result.stderr, result.stdout) == (2, message + "\n", "")
    assert not out.exists()


def test_missing_database(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli("--db", tmp_path / "nope.db", "--out", out)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and "nope.db: no such run database" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_out_is_a_file(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    out.write_text("keep me", encoding="utf-8")
    result = cli("--db", db, "--out", out)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"--out: {out} is a file, not a folder"]
    assert out.read_text(encoding="utf-8") == "keep me"


def test_unwritable_out(db: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        out = Path("/proc/facilitator-export")  # root may write anywhere, except where nobody can
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        out = locked / "out"
    result = cli("--db", db, "--out", out)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(f"--out: {out}")
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_min_cell_sets_k_for_an_anonymised_export(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "k2"
    result = cli("--db", db, "--out", out, "--format", "csv", "--anonymise", "--min-cell", "2")
    assert result.returncode == 0, result.stderr
    summary = (out / "attendance_summary.csv").read_text(encoding="utf-8-sig")
    assert ",hq,Headquarters," in summary and ",juba,Juba," in summary  # 3 and 2 people: none under 2
    result = cli("--db", db, "--out", tmp_path / "k3", "--format", "csv", "--anonymise")
    assert result.returncode == 0, result.stderr
    assert ",juba," not in (tmp_path / "k3" / "attendance_summary.csv").read_text(encoding="utf-8-sig")  # 3 by default


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--min-cell", "2"], "--min-cell: only with --anonymise (an identified export names everyone anyway)"),
        (["--anonymise", "--min-cell", "0"], "0 is not in the range x>=1"),
    ],
)
def test_bad_min_cell(db: Path, tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out"
    result = cli("--db", db, "--out", out, *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
