"""Exports are readable by their owner only (issue 23): files 0600 and folders 0700 whatever the umask, or 0660
and 2770 for the team's group in a setgid team folder (the README's shared-folder recipe)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from facilitator.exports.run import export
from facilitator.record.permissions import PRIVATE, TEAM, modes_for
from facilitator.script.models import Programme
from tests.test_export_run import build_run
from tests.tools import require_other_users

NOBODY = 65534  # the nobody user and the nogroup group on Debian


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual one, under which files come out 0644 and folders 0755
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_0600_and_folders_0700_under_the_usual_umask(
    tmp_path: Path, tiny_programme: Programme, loose_umask: None
) -> None:
    db, clock, _ = build_run(tmp_path, tiny_programme)
    out = tmp_path / "exports" / "week1"
    export(db, out, now=clock.now())
    assert _mode(tmp_path / "exports") == _mode(out) == 0o700  # both made by the export
    files = list(out.iterdir())
    assert len(files) > 20 and all(p.is_file() for p in files)  # no work folder left behind
    assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}


def test_a_folder_that_exists_is_left_as_it_is_but_what_goes_in_is_private(
    tmp_path: Path, tiny_programme: Programme, loose_umask: None
) -> None:
    db, clock, _ = build_run(tmp_path, tiny_programme)
    out = tmp_path / "mine"
    out.mkdir(mode=0o750)
    export(db, out, now=clock.now(), formats=["csv"], anonymise=True)
    assert _mode(out) == 0o750
    assert {_mode(p) for p in out.iterdir()} == {0o600}


def test_in_a_setgid_team_folder_the_team_group_reads_and_nobody_else(
    tmp_path: Path, tiny_programme: Programme, loose_umask: None
) -> None:
    db, clock, _ = build_run(tmp_path, tiny_programme)
    team = tmp_path / "workshops"
    team.mkdir()
    os.chmod(team, 0o2770)  # noqa: S103 (the README's recipe: chgrp workshop; chmod 2770)
    assert modes_for(team) == TEAM and modes_for(team / "not" / "yet") == TEAM and modes_for(tmp_path) == PRIVATE
    out = team / "exports" / "week1"
    export(db, out, now=clock.now(), formats=["csv", "html"])
    assert _mode(team / "exports") == _mode(out) == 0o2770
    assert {_mode(p) for p in out.iterdir()} == {0o660}
    assert {p.stat().st_gid for p in out.iterdir()} == {team.stat().st_gid}


def _as(uid: int, gid: int, path: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["cat", str(path)], user=uid, group=gid, extra_groups=[], capture_output=True, check=False, timeout=30
    )


def test_another_local_user_cannot_read_an_export_and_a_team_member_can(
    tiny_programme: Programme, loose_umask: None
) -> None:
    require_other_users()  # fails in CI, skips elsewhere, when no other user can be acted as
    base = Path(tempfile.mkdtemp(prefix="facilitator-export-"))  # in /tmp, open to every user on the way down
    try:
        os.chmod(base, 0o755)  # noqa: S103 (every user may look inside: only the export's own modes keep them out)
        db, clock, _ = build_run(base, tiny_programme)
        export(db, base / "private", now=clock.now(), formats=["csv"])
        refused = _as(NOBODY, NOBODY, base / "private" / "certificates.csv")
        assert refused.returncode != 0 and b"Permission denied" in refused.stderr

        team = base / "team"
        team.mkdir()
        os.chown(team, 0, NOBODY)
        os.chmod(team, 0o2770)  # noqa: S103 (the team folder, group nogroup)
        export(db, team / "week1", now=clock.now(), formats=["csv"])
        member = _as(NOBODY, NOBODY, team / "week1" / "certificates.csv")  # in the folder's group
        assert member.returncode == 0 and b"attended_minutes" in member.stdout
        stranger = _as(NOBODY, 4242, team / "week1" / "certificates.csv")  # in no group of the team's
        assert stranger.returncode != 0
    finally:
        shutil.rmtree(base, ignore_errors=True)
