"""What a start keeps for the next (facilitator.user_cache): this user's alone, written whole, not where
bytecode is not written (issue 14, start-up)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from facilitator import user_cache


def test_a_file_is_trusted_only_while_it_is_this_users_alone(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "kept"
    user_cache.replace(path, b"kept")
    assert user_cache.read_own(path) == b"kept"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for mode in (0o620, 0o602):  # the group or anybody may write it: what it holds cannot be trusted
        path.chmod(mode)
        assert user_cache.read_own(path) is None
    path.chmod(0o644)  # others may read it: still this user's alone to write
    assert user_cache.read_own(path) == b"kept"
    if os.getuid() == 0:  # CI runs as root: it can give the file away
        os.chown(path, 4242, -1)
        assert user_cache.read_own(path) is None
    assert user_cache.read_own(tmp_path / "missing") is None


def test_a_file_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "kept"
    user_cache.replace(path, b"first")
    user_cache.replace(path, b"second")
    assert path.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["kept"]  # no half-written file left beside it


def test_a_folder_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    user_cache.replace(blocked / "kept", b"kept")  # quietly nothing
    assert not (blocked / "kept").exists()


def test_nothing_is_kept_where_bytecode_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(user_cache, "_keepers", [lambda: calls.append("kept")])
    monkeypatch.setattr(user_cache.sys, "dont_write_bytecode", True)
    user_cache.keep()
    assert calls == []
    monkeypatch.setattr(user_cache.sys, "dont_write_bytecode", False)
    user_cache.keep()
    assert calls == ["kept"]


def test_a_keeper_that_fails_keeps_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def broken() -> None:
        raise OSError("disk full")

    monkeypatch.setattr(user_cache, "_keepers", [broken, lambda: calls.append("kept")])
    monkeypatch.setattr(user_cache.sys, "dont_write_bytecode", False)
    user_cache.keep()
    assert calls == ["kept"]
