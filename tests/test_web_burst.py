"""A burst against the real server: 1,000 check-ins, 500 reflections, 100 concurrent clients; none lost or doubled.

``facilitator serve`` runs as a subprocess on 127.0.0.1; the clients are httpx AsyncClients, each a phone
behind the reverse proxy (X-Forwarded-For, which the page trusts from ``--trusted-proxy 127.0.0.1`` only), with
its own cookies, identifying with its e-mail and personal code.
Some POSTs are sent twice with the same submission id, as a phone retries when its answer is lost: each
must be stored once. No timings are asserted (bench/web_burst.py measures them).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from facilitator.live.session import Session
from facilitator.participant_page import tokens
from facilitator.record import events as ev
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.tools import free_port, healthy, wait_for

pytestmark = pytest.mark.slow

PEOPLE = 1000
REFLECTING = 500
CLIENTS = 100


@pytest.fixture
def server(tmp_path: Path, tiny_programme: Programme) -> Iterator[tuple[str, Path, str]]:
    """A run of PEOPLE participants on the reflection step, served by `facilitator serve`; (base, db, token)."""
    db = tmp_path / "run.db"
    with Store.create(db, tiny_programme, actor="lead") as store:
        store.append_many(
            [
                (
                    ev.PARTICIPANT_ADDED,
                    {
                        "participant": f"p{i:04d}",
                        "name": f"Person {i}",
                        "email": f"person{i}@example.org",
                        "location": "hq" if i % 2 else "juba",
                        "code": f"P{i:04d}-CODE",
                        "source": "roster",
                    },
                )
                for i in range(PEOPLE)
            ],
            actor="lead",
        )
        lead = Session(store, actor="lead")
        lead.enter_step("reflect", "write", on=tiny_programme.workshop.days[0].date)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "facilitator",
            "serve",
            "--db",
            str(db),
            "--port",
            str(port),
            "--trusted-proxy",
            "127.0.0.1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert wait_for(lambda: healthy(base), timeout=30), "the server did not start"
        with Store.open(db) as store:
            token = tokens.issue(tokens.load_settings(store), store.programme(), "hq", store.clock.now()).code
        yield base, db, token
    finally:
        process.terminate()
        process.wait(timeout=10)


def csrf_and_sid(html: str) -> tuple[str, str]:
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    sid = re.search(r'name="sid" value="([0-9a-f]+)"', html)
    assert csrf and sid, html[:500]
    return csrf.group(1), sid.group(1)


async def phone(client: httpx.AsyncClient, token: str, person: int) -> None:
    """One participant's phone: open the page, check in, and (for half of them) send a reflection."""
    client.cookies.clear()  # a new phone
    client.headers["x-forwarded-for"] = f"10.{person // 250}.{person % 250}.7"
    page = await client.get(f"/p/{token}")
    csrf, sid = csrf_and_sid(page.text)
    form = {"csrf": csrf, "sid": sid, "email": f"person{person}@example.org", "code": f"P{person:04d}-CODE"}
    cookie = client.cookies["fp"]
    for attempt in range(2 if person % 10 == 0 else 1):  # every tenth phone retries its POST
        if attempt:  # a retry: the answer was lost, and the Set-Cookie with it, so the old cookie goes again
            client.cookies.clear()
            client.cookies.set("fp", cookie, domain="127.0.0.1")
        response = await client.post(f"/p/{token}/identify", data=form)
        assert response.status_code == 303, response.text[:300]
    if person >= REFLECTING:
        return
    page = await client.get(f"/p/{token}")
    csrf, sid = csrf_and_sid(page.text)
    form = {"csrf": csrf, "sid": sid, "answering": "reflect/write", "text": f"reflection {person}", "consent": "1"}
    for _ in range(2 if person % 10 == 0 else 1):
        response = await client.post(f"/p/{token}/reflect", data=form)
        assert response.headers.get("location", "").endswith("done=reflection"), response.text[:300]


async def burst(base: str, token: str) -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for person in range(PEOPLE):
        queue.put_nowait(person)

    async def worker() -> None:
        # Each client is one connection that serves phone after phone, with a fresh cookie jar each time.
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            while not queue.empty():
                await phone(client, token, queue.get_nowait())

    await asyncio.gather(*(worker() for _ in range(CLIENTS)))


def test_a_burst_of_check_ins_and_reflections_loses_and_doubles_nothing(server: tuple[str, Path, str]) -> None:
    base, db, token = server
    asyncio.run(burst(base, token))
    with Store.open(db) as store:
        events = store.events()
        session = Session(store, actor="lead")
    check_ins = Counter(e.payload["participant"] for e in events if e.kind == ev.ATTENDANCE_CHECKED_IN)
    assert len(check_ins) == PEOPLE and set(check_ins.values()) == {1}
    assert all(e.payload["source"] == "qr" for e in events if e.kind == ev.ATTENDANCE_CHECKED_IN)
    texts = Counter(e.payload["text"] for e in events if e.kind == ev.REFLECTION_LOGGED)
    assert texts == Counter({f"reflection {i}": 1 for i in range(REFLECTING)})
    assert all(session.attendance.is_in(f"p{i:04d}", "qr") for i in range(PEOPLE))
    assert store_ok(db)


def store_ok(db: Path) -> bool:
    with Store.open(db) as store:
        return store.integrity_check() == "ok"
