"""``facilitator serve``: the participant page under uvicorn, as its own process beside the TUIs.

Served directly or behind a proxy, the page holds under abuse: every request's head must arrive within 10 s and
fit in 16 KB (facilitator.participant_page.web.protocol), its body within 20 s and 16 KB (web.security.BodyLimit),
an idle keep-alive connection is closed after :data:`KEEP_ALIVE` seconds, and beyond :data:`MAX_CONNECTIONS`
open connections new requests get 503 rather than exhausting the process's file descriptors (whose limit is
raised to what the system allows). X-Forwarded-For is honoured only from the ``--trusted-proxy`` peers.
"""

from __future__ import annotations

import gc
import ipaddress
import resource
import socket
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from facilitator.participant_page import tokens
from facilitator.participant_page.web.security import Network, parse_proxies
from facilitator.problems import InputError
from facilitator.record import catalogue
from facilitator.record.store import Store

WILDCARDS = ("0.0.0.0", "::", "")  # noqa: S104 - named so that binding to them can be warned about
KEEP_ALIVE = 5  # seconds an idle keep-alive connection stays open
MAX_CONNECTIONS = 1000  # open connections (and requests in progress) beyond which a request gets 503
SPARE_DESCRIPTORS = 64  # for the database, its -wal and -shm, the listening socket, logs
WANTED_DESCRIPTORS = 4096


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


def connection_limit() -> int:
    """How many connections to serve at once: :data:`MAX_CONNECTIONS`, or fewer if the file descriptors run out
    first (the soft limit is raised towards the hard one first, as far as :data:`WANTED_DESCRIPTORS`)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = WANTED_DESCRIPTORS if hard == resource.RLIM_INFINITY else min(WANTED_DESCRIPTORS, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(16, min(MAX_CONNECTIONS, soft - SPARE_DESCRIPTORS))


def trusted_networks(values: Sequence[str]) -> tuple[Network, ...]:
    """The ``--trusted-proxy`` values, or an InputError naming the first that is not an address or network."""
    try:
        return parse_proxies(values)
    except ValueError as exc:
        raise InputError(f"--trusted-proxy: {exc}") from None


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
    trusted_proxies: Sequence[str] = (),
) -> None:
    """Store the token policy and public address (the TUIs' QR codes follow them), then serve until stopped."""
    import uvicorn

    from facilitator.participant_page.web.app import create_app
    from facilitator.participant_page.web.protocol import HEAD_LIMIT, GuardedProtocol

    proxies = trusted_networks(trusted_proxies)

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
    app = create_app(db, trusted_proxies=proxies)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=GuardedProtocol,  # httptools, with a deadline and a size limit for every request's head
        h11_max_incomplete_event_size=HEAD_LIMIT,  # the same limit, were uvicorn ever to parse with h11 here
        timeout_keep_alive=KEEP_ALIVE,
        limit_concurrency=connection_limit(),
        access_log=False,  # request lines would carry tokens and client addresses: personal enough to keep out
        log_level="warning",
        server_header=False,
        proxy_headers=False,  # X-Forwarded-For is read by the app, from --trusted-proxy peers only
        lifespan="on",
    )
    say(f"participant page: http://{shown_host}:{port}/ (participants open {settings.public_url}/)")
    if proxies:
        say(f"client addresses from X-Forwarded-For when sent by {', '.join(str(p) for p in proxies)}")
    say("press Ctrl+C to stop")
    config.load()  # the app and its protocol made now, so that what they keep is set aside with the rest below
    # The events' validators built now, not by the first requests of a burst (each is built when first used,
    # some tens of milliseconds that a hundred phones waited behind: bench/web_burst.py's p99), and set aside too.
    catalogue.build_validators()
    settle_heap()
    uvicorn.Server(config).run()


def settle_heap() -> None:
    """Leave what start-up made out of the garbage collector's full passes, for the life of the process.

    What the server keeps from start-up (some 48,000 objects: its modules, the workshop, the roster and the run
    folded so far, the templates) lives as long as it does, yet every full collection walked all of it again:
    10-25 ms on a 2-core machine, more when it is busy, during which no request moves. A burst of phones makes one
    every few hundred milliseconds, so one or two fell inside bench/web_burst.py's 1,000 check-ins and stalled all
    100 requests in flight: most of its p99 above the median (67-71 ms, against 44-46 ms frozen in the same
    conditions). Frozen, a full collection walks only what came after (1-4 ms). A cycle among the frozen objects
    is never collected, which costs nothing here: they are kept for the life of the process anyway.
    """
    gc.collect()
    gc.freeze()
