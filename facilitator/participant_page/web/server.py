"""``facilitator serve``: the participant page under uvicorn, as its own process beside the TUIs."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from facilitator.participant_page import tokens
from facilitator.problems import InputError
from facilitator.record.store import Store

WILDCARDS = ("0.0.0.0", "::", "")  # noqa: S104 - named so that binding to them can be warned about


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_port(host: str, port: int) -> None:
    """Refuse a port that is taken with one clear line, before uvicorn would log a traceback-like error."""
    if not 0 < port < 65536:
        raise InputError(f"--port: {port} is not a port number (1-65535)")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise InputError(f"--port: cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(
    db: Path,
    *,
    host: str,
    port: int,
    public_url: str | None,
    rotate: timedelta,
    grace: timedelta,
    say: Callable[[str], None],
    warn: Callable[[str], None],
) -> None:
    """Store the token policy and public address (the TUIs' QR codes follow them), then serve until stopped."""
    import uvicorn

    from facilitator.participant_page.web.app import create_app

    if public_url is None and host in WILDCARDS:
        raise InputError(
            f"--public-url: needed when listening on {host or 'every address'}: "
            "the address phones will open, like http://192.168.1.20:8765"
        )
    shown_host = f"[{host}]" if ":" in host else host
    address = public_url or f"http://{shown_host}:{port}"
    _check_port(host, port)
    with Store.open(db) as store:
        settings = tokens.save_settings(store, rotate=rotate, grace=grace, public_url=address)
    if not is_loopback(host):
        warn(
            f"warning: listening on {host}, reachable from the network over plain HTTP; for a real deployment "
            "keep the default 127.0.0.1 behind a reverse proxy with TLS (see the README)"
        )
    app = create_app(db)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,  # request lines would carry tokens and client addresses: personal enough to keep out
        log_level="warning",
        server_header=False,
        proxy_headers=True,  # the client address for the rate limit comes from a reverse proxy on this host
        forwarded_allow_ips="127.0.0.1",
        lifespan="on",
    )
    say(f"participant page: http://{shown_host}:{port}/ (participants open {settings.public_url}/)")
    say("press Ctrl+C to stop")
    uvicorn.Server(config).run()
