"""A private OpenSSH server for end-to-end tests: Debian's sshd on 127.0.0.1, a free port, its own folder.

Everything it needs lives in one temporary folder: its sshd_config, its host key, the clients' keys and
an authorized_keys file whose every line pins a key to one command (``command="...",restrict,pty``), as
the README's co-facilitator set-up does, with its keep-alive (``ClientAliveInterval``,
``ClientAliveCountMax``; a test may make it short). It runs as the current user (root in CI), in the
foreground (``-D``), logging to a file (``-e``), and is killed when the test ends.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tools import free_port, require

SSHD = "/usr/sbin/sshd"
# sshd started as root refuses to start without its privilege-separation folder (Debian's service creates it).
PRIVSEP_DIR = Path("/run/sshd")
FACILITATOR = Path(sys.executable).parent / "facilitator"
CLIENT_ALIVE = (1, 15)  # ClientAliveInterval, ClientAliveCountMax: the README's sshd_config recipe


def keygen(path: Path) -> Path:
    """A new ed25519 key pair without a passphrase at ``path`` (and ``path``.pub)."""
    subprocess.run(
        [require("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return path


def user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


class Sshd:
    """One sshd on 127.0.0.1, and the keys that may log in to it, each pinned to a command."""

    def __init__(self, folder: Path, *, client_alive: tuple[int, int] = CLIENT_ALIVE) -> None:
        self.sshd = require(SSHD)  # fails in CI (CI=true) and skips elsewhere when openssh-server is missing
        self.ssh = require("ssh")
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.user = user()
        self.config = folder / "sshd_config"
        self.authorized_keys = folder / "authorized_keys"
        self.log = folder / "sshd.log"
        self.host_key = keygen(folder / "host_ed25519")
        self.process: subprocess.Popen[bytes] | None = None
        self.authorized_keys.write_text("")
        self.config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.host_key}",
                    f"PidFile {folder / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.authorized_keys}",
                    f"AllowUsers {self.user}",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PermitRootLogin prohibit-password",
                    "StrictModes no",  # the temporary folder is not laid out as a home's ~/.ssh is
                    "UsePAM no",
                    "PrintMotd no",
                    "PrintLastLog no",
                    "X11Forwarding no",
                    "AllowTcpForwarding no",
                    "LogLevel VERBOSE",
                    # The README's keep-alive: ask a client silent for INTERVAL s; cut it off after COUNT_MAX asks.
                    f"ClientAliveInterval {client_alive[0]}",
                    f"ClientAliveCountMax {client_alive[1]}",
                    "",
                ]
            )
        )

    def authorize(self, name: str, command: str) -> Path:
        """A new client key whose login runs ``command`` and nothing else, in a terminal; its private key's path."""
        key = keygen(self.folder / f"client_{name}")
        public = key.with_suffix(".pub").read_text().strip()
        quoted = command.replace("\\", "\\\\").replace('"', '\\"')
        with self.authorized_keys.open("a") as keys:
            keys.write(f'command="{quoted}",restrict,pty {public}\n')
        return key

    def authorize_join(self, name: str, db: Path, role: str = "co", env: dict[str, str] | None = None) -> Path:
        """A key whose login opens ``facilitator join`` on ``db`` as ``name`` in ``role``; env goes in the command."""
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
        join = f"{FACILITATOR} join --db {shlex.quote(str(db))} --as {shlex.quote(name)} --role {role}"
        return self.authorize(name, f"env {assignments} {join}" if assignments else join)

    def start(self, timeout: float = 20.0) -> None:
        if os.geteuid() == 0:  # only sshd started by root checks (and chroots into) that folder
            PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
        test = [self.sshd, "-t", "-f", str(self.config)]
        checked = subprocess.run(test, check=False, capture_output=True, text=True, timeout=30)
        if checked.returncode != 0:
            raise RuntimeError(f"sshd refuses its configuration: {checked.stderr.strip()}")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [self.sshd, "-D", "-e", "-f", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited with {self.process.returncode}:\n{self.log.read_text()}")
            if "Server listening" in self.log.read_text(errors="replace"):
                return
            time.sleep(0.05)
        raise RuntimeError(f"sshd did not start listening within {timeout} s:\n{self.log.read_text()}")

    def ssh_argv(self, key: Path) -> list[str]:
        """The client's command line: a forced terminal, no host key checks, only this key."""
        return [
            self.ssh,
            "-tt",
            "-i",
            str(key),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "LogLevel=ERROR",
            "-F",
            "/dev/null",  # nobody's ~/.ssh/config
            "-p",
            str(self.port),
            f"{self.user}@127.0.0.1",
        ]

    def ssh_argv_via(self, key: Path, proxy_command: str) -> list[str]:
        """``ssh_argv`` with the connection made by ``proxy_command`` (ssh's ``ProxyCommand``: a slow link, say)."""
        argv = self.ssh_argv(key)
        return [argv[0], "-o", f"ProxyCommand={proxy_command}", *argv[1:]]

    def mosh_argv(self, key: Path) -> list[str]:
        """The mosh client's command line: its ssh (``ssh_argv``'s options) starts the server's side, then
        mosh talks UDP to 127.0.0.1. It needs a UTF-8 locale (LANG, LC_ALL) and a real terminal."""
        *ssh, destination = self.ssh_argv(key)
        return [require("mosh"), f"--ssh={shlex.join(ssh)}", destination]

    def ssh_command(self, key: Path, pid_file: Path | None = None) -> str:
        """``ssh_argv`` as one shell command; with ``pid_file``, the ssh client's pid is written there first."""
        command = shlex.join(self.ssh_argv(key))
        if pid_file is None:
            return command
        return shlex.join(["sh", "-c", f"echo $$ > {shlex.quote(str(pid_file))}; exec {command}"])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


@pytest.fixture(name="sshd")
def sshd_fixture(tmp_path: Path) -> Iterator[Sshd]:
    """``sshd``: a started private sshd; add keys with ``authorize`` or ``authorize_join`` (read at every login).

    Import ``sshd_fixture`` into a test module to use it there.
    """
    server = Sshd(tmp_path / "sshd")
    server.start()
    yield server
    server.stop()
