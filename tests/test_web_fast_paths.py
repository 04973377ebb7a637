"""The participant page's fast paths (issue 14) do what the slow ones did: the form as Starlette reads it, the cookie
header as Starlette writes it, the log read once per batch of the desk's thread, a batch answered in one wake-up of
the event loop, and the server's start-up heap left out of the garbage collector's full passes."""

from __future__ import annotations

import asyncio
import gc
import threading
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import Headers
from starlette.formparsers import FormParser
from starlette.requests import Request
from starlette.responses import Response

from facilitator.participant_page import tokens
from facilitator.participant_page.desk import Desk
from facilitator.participant_page.web import server
from facilitator.participant_page.web.app import URLENCODED, DeskThread, read_form
from facilitator.participant_page.web.security import CookieJar, Visitor, new_ballot, set_cookie
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from tests.test_participant_page import DAY1, HQ, make_run
from tests.tools import free_port

# -- the form --------------------------------------------------------------------------------------------------


def request_with(body: bytes, content_type: str) -> Request:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/p/x/answer",
        "headers": [(b"content-type", content_type.encode())],
    }
    return Request(scope, receive)


async def starlettes(body: bytes) -> list[tuple[str, Any]]:
    async def stream() -> Any:
        yield body
        yield b""

    parsed = await FormParser(Headers({"content-type": URLENCODED}), stream()).parse()
    return parsed.multi_items()


async def ours(body: bytes) -> list[tuple[str, Any]]:
    return (await read_form(request_with(body, URLENCODED))).multi_items()


FORM_BYTES = st.lists(st.sampled_from([b"a", b"b", b"=", b"&", b"+", b"%", b"2", b"C", b"zz", b";", b"\xc3\xa9", b" "]))


@settings(max_examples=300, deadline=None)
@given(
    body=st.one_of(
        FORM_BYTES.map(b"".join),
        st.binary(max_size=200),
        st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=5).map(
            lambda fields: "&".join(f"{k}={v}" for k, v in fields.items()).encode("utf-8", "surrogatepass")
        ),
    )
)
def test_a_urlencoded_form_is_read_as_starlette_reads_it(body: bytes) -> None:
    # Same names, same values, same order, whatever the bytes: empty pairs, a name alone, '+', bad escapes, raw UTF-8.
    assert asyncio.run(ours(body)) == asyncio.run(starlettes(body))


def test_the_form_is_read_once_and_kept_for_the_route() -> None:
    async def twice() -> tuple[object, object]:
        request = request_with(b"q=mood&v.mood=3&q=where", URLENCODED)
        first = await read_form(request)
        return first, await read_form(request)

    first, second = asyncio.run(twice())
    assert first is second
    assert first.getlist("q") == ["mood", "where"]  # type: ignore[attr-defined]


def test_a_multipart_form_goes_to_starlette_with_its_limit_on_fields() -> None:
    parts = (
        b"".join(b'--fz\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % i for i in range(5))
        + b"--fz--\r\n"
    )
    request = request_with(parts, "multipart/form-data; boundary=fz")
    assert len(asyncio.run(read_form(request, max_fields=10)).multi_items()) == 5
    with pytest.raises(Exception, match=r"[Tt]oo many fields"):
        asyncio.run(read_form(request_with(parts, "multipart/form-data; boundary=fz"), max_fields=3))


# -- the cookie ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("samesite", ["strict", "lax"])
@pytest.mark.parametrize("max_age", [None, 1, 86_399, 7_776_000])
@pytest.mark.parametrize("secure", [False, True])
def test_the_cookie_header_is_the_one_starlette_writes(
    samesite: Literal["strict", "lax"], max_age: int | None, *, secure: bool
) -> None:
    jar = CookieJar(b"k" * 32)
    for name, value in [
        ("fp", jar.sign(Visitor("n" * 32))),
        ("fp", jar.sign(Visitor("n" * 32, "p00001", "2022-08-22", "hq", 3))),
        ("fb", jar.sign_ballot(new_ballot())),
    ]:
        theirs, mine = Response(), Response()
        theirs.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite=samesite, secure=secure)
        set_cookie(mine, name, value, max_age=max_age, samesite=samesite, secure=secure)
        assert mine.raw_headers == theirs.raw_headers


def test_a_cookie_value_that_needs_quoting_is_left_to_starlette() -> None:
    theirs, mine = Response(), Response()
    theirs.set_cookie("fp", 'a "b";c', max_age=5, path="/", httponly=True, samesite="lax")
    set_cookie(mine, "fp", 'a "b";c', max_age=5, samesite="lax", secure=False)
    assert mine.raw_headers == theirs.raw_headers
    assert b'"' in dict(mine.raw_headers)[b"set-cookie"]


# -- the desk reads the log once per batch -------------------------------------------------------------------------


def desk_token(desk: Desk) -> str:
    return tokens.issue(desk.settings, desk.programme, "hq", desk.now()).code


def counting_reads(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every read of the log by the desk's session (Session.refresh), as the seq it read after."""
    reads: list[int] = []
    real = desk.store.events

    def events(after: int = 0, limit: int = -1) -> Any:
        reads.append(after)
        return real(after, limit)

    monkeypatch.setattr(desk.store, "events", events)
    return reads


def test_inside_a_batch_the_desk_reads_the_log_once_for_all_its_looks(
    tmp_path: Path, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, desk = make_run(tmp_path, fake_clock)
    reads = counting_reads(desk, monkeypatch)
    with desk.batch:
        for _ in range(5):  # what a batch of five page views asks
            grant = desk.grant(desk_token(desk))
            assert grant is not None
            desk.prompt()
            desk.checked_in(grant, "ada")
            desk.questions(grant, "ada", None)
            desk.questions_version()
            desk.results_version()
            desk.groups(grant, "ada")
            desk.groups_version(grant)
    assert len(reads) == 1


def test_outside_a_batch_each_look_sees_another_process_write_at_once(tmp_path: Path, fake_clock: FakeClock) -> None:
    lead, desk = make_run(tmp_path, fake_clock)
    assert desk.checked_in(HQ, "ada") is None
    lead.check_in("ada")
    assert desk.checked_in(HQ, "ada") is not None
    lead.enter_step("reflect", "share", on=DAY1)
    assert desk.prompt().key == "reflect/share"


def test_the_next_batch_sees_what_another_process_wrote_during_the_last(tmp_path: Path, fake_clock: FakeClock) -> None:
    lead, desk = make_run(tmp_path, fake_clock)
    with desk.batch:
        assert desk.checked_in(HQ, "ada") is None
        lead.check_in("ada")  # another process, while the batch runs
    with desk.batch:
        assert desk.checked_in(HQ, "ada") is not None


def test_a_batch_sees_its_own_check_ins_once_committed(tmp_path: Path, fake_clock: FakeClock) -> None:
    _, desk = make_run(tmp_path, fake_clock)
    with desk.batch:
        first = desk.check_in(HQ, "ada", "a" * 32)
        assert not first.already
    with desk.batch:
        assert desk.check_in(HQ, "ada", "b" * 32).already
    assert [e.kind for e in desk.store.events()].count(ev.ATTENDANCE_CHECKED_IN) == 1


# -- the desk's thread answers a batch in one wake-up --------------------------------------------------------------


def test_a_batch_is_answered_each_with_its_own_result_or_error(tmp_path: Path, fake_clock: FakeClock) -> None:
    make_run(tmp_path, fake_clock)
    desks = DeskThread(tmp_path / "run.db", fake_clock)
    gate = threading.Event()

    def wait(desk: Desk) -> None:
        gate.wait(5)  # holds the thread, so that the requests below queue up and run as one batch

    def fail(desk: Desk) -> None:
        raise ValueError("that request's own problem")

    async def burst() -> list[Any]:
        held = asyncio.create_task(desks.run(wait))
        await asyncio.sleep(0.05)
        asked = [asyncio.create_task(desks.run(lambda desk, i=i: (i, desk.prompt().key))) for i in range(20)]
        failing = asyncio.create_task(desks.run(fail))
        gone = asyncio.create_task(desks.run(lambda desk: "nobody waits for this"))
        await asyncio.sleep(0.05)
        gone.cancel()  # a phone that went away: its answer is dropped, the others' are not
        gate.set()
        await held
        with pytest.raises(ValueError, match="own problem"):
            await failing
        return [await task for task in asked]

    try:
        answers = asyncio.run(burst())
        assert answers == [(i, "reflect/write") for i in range(20)]
        assert desks.call(lambda desk: "still serving") == "still serving"
    finally:
        desks.close()


# -- the server's heap -------------------------------------------------------------------------------------------


def test_the_server_sets_its_start_up_heap_aside_before_it_serves(
    tmp_path: Path, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every event kind's validator built: built when first used, they were built by the first check-in of
    a burst, which a hundred phones then waited behind (bench/web_burst.py's p99 doubled)."""
    import uvicorn

    from facilitator.record import catalogue

    make_run(tmp_path, fake_clock)
    frozen: list[int] = []
    built: list[bool] = []

    def run(self: uvicorn.Server, sockets: object = None) -> None:
        frozen.append(gc.get_freeze_count())
        built.extend(model.__pydantic_complete__ for model in catalogue.CATALOGUE.values())

    monkeypatch.setattr(uvicorn.Server, "run", run)
    try:
        server.serve(
            tmp_path / "run.db", host="127.0.0.1", port=free_port(), public_url=None, rotate=tokens.DEFAULT_ROTATE,
            grace=tokens.DEFAULT_GRACE, say=lambda _: None, warn=lambda _: None,
        )  # fmt: skip
    finally:
        gc.unfreeze()
    assert frozen and frozen[0] > 10_000  # the modules, the workshop, the folded run: not walked again
    assert built and all(built)
