"""Reading needs no write access: a run on read-only media exports and opens in the room view's store, a run
from a newer facilitator is refused with the version it needs (issue 25)."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from facilitator.live.session import Session
from facilitator.problems import InputError, StoreError
from facilitator.record.schema_steps import SCHEMA_VERSION
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.test_disk_faults import Tmpfs
from tests.tools import BIN


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Tmpfs]:
    disk = Tmpfs(tmp_path / "disk")
    yield disk
    disk.unmount()


def read_only(disk: Tmpfs) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(disk.path)], check=True, capture_output=True)


def a_run_with_a_reflection(db: Path, programme: Programme) -> None:
    with Store.open(db) if db.exists() else Store.create(db, programme, actor="lead") as store:
        Session(store, actor="lead").log_reflection("Kept on the record")


def test_a_run_on_read_only_media_is_read_from_a_private_copy(tmpfs: Tmpfs, tiny_programme: Programme) -> None:
    db = tmpfs.path / "run.db"
    a_run_with_a_reflection(db, tiny_programme)
    read_only(tmpfs)
    with pytest.raises(StoreError, match="read-only"):
        Store.open(db)  # to write, it is refused as before
    with Store.open(db, read_only=True) as store:
        copy = store.path
        assert copy != db and copy.stat().st_mode & 0o777 == 0o600
        assert [e.payload.get("text") for e in store.events() if e.kind == "reflection.logged"] == [
            "Kept on the record"
        ]
    assert not copy.exists()  # removed when the store closes
    assert sorted(p.name for p in tmpfs.path.iterdir()) == ["run.db"]  # nothing written beside the run


def test_facilitator_export_reads_a_run_on_read_only_media(
    tmpfs: Tmpfs, tiny_programme: Programme, tmp_path: Path
) -> None:
    db = tmpfs.path / "run.db"
    a_run_with_a_reflection(db, tiny_programme)
    read_only(tmpfs)
    out = tmp_path / "out"
    done = subprocess.run(
        [str(BIN / "facilitator"), "export", "--db", str(db), "--out", str(out), "--format", "csv"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Kept on the record" in (out / "reflections.csv").read_text()


def test_a_run_from_a_newer_facilitator_is_refused_with_the_version_it_needs(
    tmp_path: Path, tiny_programme: Programme
) -> None:
    db = tmp_path / "run.db"
    Store.create(db, tiny_programme, actor="lead").close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    for read_only_too in (False, True):
        with pytest.raises(InputError, match=rf"schema version {SCHEMA_VERSION + 3}; this one reads up to"):
            Store.open(db, read_only=read_only_too)
    done = subprocess.run(
        [str(BIN / "facilitator"), "export", "--db", str(db), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2
    assert "upgrade facilitator to open it" in done.stderr and "Traceback" not in done.stderr
    assert db.read_bytes() == before


def test_dry_runs_only_read(tmpfs: Tmpfs, tiny_programme: Programme, tmp_path: Path) -> None:
    db = tmpfs.path / "run.db"
    a_run_with_a_reflection(db, tiny_programme)
    read_only(tmpfs)
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email,location\nAda Lovelace,ada@example.org,hq\n", encoding="utf-8")
    done = subprocess.run(
        [str(BIN / "facilitator"), "roster", "import", str(roster), "--db", str(db), "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dry run" in done.stdout.lower(), done.stdout
