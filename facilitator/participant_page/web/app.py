"""The participant page's routes (Starlette), on one :class:`~facilitator.participant_page.desk.Desk` on one thread.

Routes: ``/`` (type the code from the screen), ``/p/{token}`` (identify, then check-in state, the person's
breakout group, the current prompt and a reflection form, the room's questions and their answer form), ``POST
/p/{token}/identify | check-in | check-out | reflect | answer | join-request | forget``, ``/p/{token}/now.json``
(the current prompt and fingerprints of the questions, their results and the groups, for the page's optional
script), ``/verify`` and ``/verify/{code}`` (whose certificate of attendance a code is:
facilitator.paperwork.verification), ``/healthz``, ``/static/...``.

An anonymous question's answers are filed under the phone's ballot id, a random id in a cookie of its own
(``fb``: signed, HttpOnly, SameSite=Lax, Secure over https), never under anything that says who answered.

Nothing personal goes in a URL: the token names a location and a day, never a person; who the participant
is lives in a signed cookie, good for the links of one location, one day, and until the person signs out.
Every POST needs the CSRF token of the cookie's nonce and redirects on success (so a reload never submits
twice); every form also carries a submission id that becomes the event id, so a retried POST is stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from concurrent.futures import Future
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from facilitator.live.session import MAX_REFLECTION_CHARS
from facilitator.paperwork import verification
from facilitator.paperwork.wording import date_range, tenths_of_hours
from facilitator.participant_page import tokens
from facilitator.participant_page.desk import (
    CLOSED,
    NEEDS_CHECK_IN,
    REVEALED,
    UNKNOWN_QUESTION,
    Answered,
    Desk,
    Prompt,
    PromptChanged,
    SentAnswer,
    ShownQuestion,
    day_end,
)
from facilitator.participant_page.languages import language_of
from facilitator.participant_page.web import catalogue, question_views
from facilitator.participant_page.web.group_view import group_view
from facilitator.participant_page.web.security import (
    BALLOT_COOKIE,
    BALLOT_MAX_AGE,
    BODY_LIMIT,
    COOKIE,
    ASGIApp,
    BodyLimit,
    Buckets,
    CookieJar,
    Network,
    RateLimit,
    Scope,
    SecurityHeaders,
    TrustedProxies,
    Visitor,
    is_submission_id,
    new_ballot,
    new_nonce,
    new_submission_id,
    retry_after,
    set_cookie,
)
from facilitator.problems import InputError
from facilitator.record.clock import Clock
from facilitator.record.store import Store
from facilitator.script.models import Anonymity

T = TypeVar("T")
CODE_ONLY = "code alone"  # the one key of the code-only bucket
HERE = Path(__file__).resolve().parent
MAX_FIELDS = 12
# The answer form carries every question shown: up to 30 of the evaluation's and the step's, each with its key
# and up to 12 options (the body's 16 KB bound it all the same).
MAX_ANSWER_FIELDS = 500
MAX_QUESTIONS_SENT = 60
URLENCODED = "application/x-www-form-urlencoded"  # how a browser sends a form without files
_FORM = "facilitator.form"  # where a request's form is kept once read (read_form), in its ASGI scope
# A room behind one address may mistype thirty times at once, then once every five seconds: trying the
# codes of a roster one by one would take years.
FAILED_IDENTIFICATIONS = (0.2, 30.0)
# Per e-mail, from every address together: ten tries, then one a minute. Guessing one person's code from many
# addresses is as slow as from one, and an unknown e-mail is counted just like a known one (so a refusal here
# says nothing about who is on the roster).
FAILED_PER_EMAIL = (1 / 60, 10.0)
# A code given without an e-mail could be anyone's: such failures share one bucket, from all addresses together,
# so that trying codes from many addresses is as slow as from one. Once it is empty, a code alone waits; a code
# with its e-mail still works (that has its own bucket, above).
FAILED_CODE_ONLY = (1.0, 300.0)
# Requests to be added, per client address: a room's walk-ins at once, then one every half minute.
JOIN_REQUESTS = (1 / 30, 10.0)
# Certificate codes that do not verify, per client address: an office checking a pile of certificates with typos,
# then one every five seconds. A code's 65-bit signature makes guessing hopeless anyway; this keeps it quiet.
FAILED_VERIFICATIONS = (0.2, 30.0)


@dataclass(frozen=True)
class Alert:
    """The summary at the top of a page: what went wrong or was not done, and the field it concerns."""

    title: str
    message: str
    field: str = ""
    is_error: bool = True  # False: nothing was wrong with what they did (the question moved on, the link rotated)
    items: tuple[tuple[str, str], ...] = ()  # several problems: each message and the field it leads to


@dataclass(frozen=True)
class Kept:
    """What a refused or interrupted form gives back, and why: nothing typed is ever lost on the way.

    The identify page uses ``error``/``failed`` (its form), ``request_*`` (the request to be added) and shows
    ``text`` as a draft not sent; the participant's page uses ``alert``, ``text_error``, ``text`` and
    ``answering`` (the question the text was written for), and for the room's questions ``answers`` (what the
    answer form sent, by question) and ``problems`` (why the desk refused them).
    """

    error: str | None = None
    failed: tuple[str, ...] = ()
    email: str = ""
    request_error: str | None = None
    request_failed: bool = False
    request_name: str = ""
    request_email: str = ""
    alert: Alert | None = None
    text_error: str | None = None
    text: str = ""
    answering: str | None = None
    answers: Mapping[str, SentAnswer] = field(default_factory=dict)
    problems: Mapping[str, str] = field(default_factory=dict)

    @property
    def draft(self) -> str:
        """The text not sent, for a page that has no form to put it back in: a reflection's, or the comments."""
        return self.text or answers_draft(self.answers)


NOTHING_KEPT = Kept()


def answers_draft(sent: Mapping[str, SentAnswer]) -> str:
    return "\n\n".join(answer.text.strip() for answer in sent.values() if answer.text.strip())


async def read_form(request: Request, max_fields: int = MAX_ANSWER_FIELDS) -> FormData:
    """The request's form, read once (a route may look at it again). A page's own form, urlencoded as browsers
    send it, is parsed here as Starlette parses it (the same names and values, whatever the bytes: tested), but
    without python-multipart's byte-by-byte parser and its callbacks: the most of a check-in's form handling.
    Anything else (multipart, with its limits on fields and files) goes to Starlette."""
    form = request.scope.get(_FORM)
    if form is None:
        if request.headers.get("content-type") == URLENCODED:
            body = await request.body()  # at most BodyLimit's few kilobytes, read already
            fields: list[tuple[str, str | UploadFile]] = [*parse_qsl(body.decode("latin-1"), keep_blank_values=True)]
            form = FormData(fields)
        else:
            form = await request.form(max_files=0, max_fields=max_fields)
        request.scope[_FORM] = form
    return form


def sent_answers(form: FormData) -> dict[str, SentAnswer]:
    """What an answer form sent, by question key: ``q`` names each question on the form (so that one left
    unanswered is known), ``c.KEY`` its chosen options, ``v.KEY`` a scale's number, ``t.KEY`` a comment and
    ``k.KEY`` the consent to quote it. Anything else is ignored; whatever it holds, the desk checks it."""
    keys: dict[str, None] = {}
    for name, item in form.multi_items():
        if not isinstance(item, str):
            continue
        if name == "q":
            keys.setdefault(item)
        elif name[:2] in ("c.", "v.", "t.", "k."):
            keys.setdefault(name[2:])
    found = {}
    for key in list(keys)[:MAX_QUESTIONS_SENT]:
        choices = dict.fromkeys(choice for choice in form.getlist(f"c.{key}") if isinstance(choice, str))
        value, text, consent = (form.get(f"{prefix}.{key}") for prefix in ("v", "t", "k"))
        found[key] = SentAnswer(
            tuple(choices),
            value if isinstance(value, str) else "",
            text if isinstance(text, str) else "",
            consent == "1",
        )
    return found


def draft_outlived_its_question(kept: Kept, prompt: Prompt) -> bool:
    """Whether text was written for another step's question than the one shown now (or than none)."""
    return bool(kept.text.strip()) and kept.answering is not None and kept.answering != prompt.key


def kept_after_expiry(action: str, fields: dict[str, str], t: Mapping[str, str]) -> Kept:
    """What the page a form came from gives back when the form had expired: what was typed in it."""
    expired = t["form_expired"]
    # Either page may come back (signed in or out meanwhile), so both are told.
    alert = Alert(t["error_summary_title"], expired, "text" if action == "reflect" else "")
    if action == "identify":
        return Kept(error=expired, alert=alert, email=fields.get("email", "")[:254])
    if action == "join-request":
        name, email = fields.get("name", "")[:200], fields.get("email", "")[:254]
        return Kept(request_error=expired, alert=alert, request_name=name, request_email=email)
    if action == "answer":
        # The answers themselves are read by the caller, from the whole form (facilitator.participant_page.web.app).
        return Kept(error=expired, alert=Alert(t["error_summary_title"], expired))
    if action != "reflect":
        return Kept(error=expired, alert=alert)
    # Signed out meanwhile, the identify page comes back: it says why the text is there, not sent.
    text = fields.get("text", "")
    return Kept(error=t["signed_out_kept"], alert=alert, text=text, answering=fields.get("answering", ""))


Reply = Future[Any] | asyncio.Future[Any]  # where a piece of work's answer goes: a thread's, or an event loop's


class DeskThread:
    """The desk and its SQLite connection live on one thread; requests hand it work and await the answer.

    The thread takes all the work waiting and runs it as one batch (facilitator.participant_page.desk.Batch): the
    writes of a burst of phones share one commit, and each request is answered only once its write is committed.
    The answers of a batch go back to the event loop in one wake-up, not one each.
    """

    MAX_BATCH = 256

    def __init__(self, db_path: Path, clock: Clock | None = None) -> None:
        self._db_path = db_path
        self._clock = clock
        self._desk: Desk | None = None
        self._queue: queue.SimpleQueue[tuple[Callable[[Desk], Any], Reply]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="participant-page-db", daemon=True)
        self._thread.start()
        # Open now, so a bad database fails at start-up and the cookie key is known before the first request.
        self.settings = self.call(lambda desk: desk.settings)

    def _open(self) -> Desk:
        if self._desk is None:
            self._desk = Desk(Store.open(self._db_path, clock=self._clock))
        return self._desk

    def _serve(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._run(batch)

    def _run(self, batch: list[tuple[Callable[[Desk], Any], Reply]]) -> None:
        results: list[tuple[Reply, Any, BaseException | None]] = []
        try:
            desk = self._open()
            with desk.batch:
                for work, reply in batch:
                    try:
                        results.append((reply, work(desk), None))
                    except Exception as exc:  # that request's own failure (bad input): the others go on
                        results.append((reply, None, exc))
        except Exception as exc:  # the commit failed: nothing of the batch was written
            results = [(reply, None, exc) for _, reply in batch]
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any, BaseException | None]]] = {}
        for reply, value, error in results:
            if isinstance(reply, Future):
                if error is not None:
                    reply.set_exception(error)
                else:
                    reply.set_result(value)
            else:
                by_loop.setdefault(reply.get_loop(), []).append((reply, value, error))
        for loop, answers in by_loop.items():
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting any more
                loop.call_soon_threadsafe(_settle, answers)

    def call(self, work: Callable[[Desk], T]) -> T:
        """Run ``work`` on the desk's thread and wait (for callers that are not on the event loop)."""
        future: Future[T] = Future()
        self._queue.put((work, future))
        return future.result()

    async def run(self, work: Callable[[Desk], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put((work, future))
        return await future

    def close(self) -> None:
        """Close the connection; the thread stays, and a later request opens it again."""

        def _close(desk: Desk) -> None:
            desk.store.close()
            self._desk = None

        if self._desk is not None:
            self.call(_close)


def _settle(answers: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    """On the event loop: answer the requests of one batch (those still waiting: a client may have gone)."""
    for future, value, error in answers:
        if future.done():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)


class ParticipantPage:
    """The routes' handlers, sharing the desk thread, the cookie jar and the templates."""

    def __init__(
        self,
        desks: DeskThread,
        failures: Buckets | None = None,
        *,
        per_email: Buckets | None = None,
        code_only: Buckets | None = None,
        joins: Buckets | None = None,
        verifications: Buckets | None = None,
    ) -> None:
        self.desks = desks
        self.verifications = verifications  # certificate codes that did not verify, per client address
        self.failures = failures  # failed identifications per client address: guessing e-mails or codes is slow
        self.per_email = per_email  # failed identifications per e-mail given, from any address
        self.code_only = code_only  # failed identifications by a code alone, from all addresses together
        self.joins = joins  # requests to be added, per client address
        self.jar = CookieJar(desks.settings.secret)
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,  # participant text is data, never markup
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def language(self, request: Request) -> str:
        return catalogue.choose(request.query_params.get("lang"), request.headers.get("accept-language"))

    def t(self, request: Request) -> Mapping[str, str]:
        return catalogue.CATALOGUES[self.language(request)]

    def render(
        self,
        request: Request,
        template: str,
        visitor: Visitor | None,
        *,
        page: str,
        state: str,
        failed: bool = False,
        status: int = 200,
        **context: Any,
    ) -> Response:
        """``template`` in the visitor's language, issuing the cookie (a form nonce) to a new visitor.

        ``state`` names the page's state in its title, so that a screen reader, a tab or the history says where
        the participant is; ``failed`` marks it as an error page there too.
        """
        fresh = visitor is None
        visitor = visitor or Visitor(new_nonce())
        csrf = self.jar.csrf(visitor)
        html = self.html(request, template, page=page, state=state, failed=failed, csrf=csrf, **context)
        response = HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})
        if fresh:
            self.set_cookie(request, response, visitor)
        return response

    def html(self, request: Request, template: str, *, page: str, state: str, failed: bool, **context: Any) -> str:
        lang = self.language(request)
        t = catalogue.CATALOGUES[lang]
        other = next(code for code in catalogue.LANGUAGES if code != lang)
        return self.templates.get_template(template).render(
            t=t,
            lang=lang,
            other_lang=other,
            switch_url=f"{page}?lang={other}",
            page_title=page_title(t, state, failed=failed),
            poll=context.pop("poll", None),
            **context,
        )

    def busy(self, scope: Scope, wait: float) -> str:
        """The page the rate limit answers with (before any route runs, and sent with Retry-After: ``wait``):
        one button to try again, back to the page of the link the request was for."""
        request = Request(scope)
        lang = self.language(request)
        t = catalogue.CATALOGUES[lang]
        token = token_in(request.url.path)
        page = f"/p/{token}" if token else "/"
        return self.html(
            request,
            "message.html",
            page=page,
            state=t["too_many_heading"],
            failed=True,
            heading=t["too_many_heading"],
            body=t["too_many_body"],
            link=f"{page}?lang={lang}",
            link_text=t["try_again"],
            draft="",
        )

    def set_cookie(self, request: Request, response: Response, visitor: Visitor, max_age: int | None = None) -> None:
        set_cookie(response, COOKIE, self.jar.sign(visitor), max_age=max_age, samesite="strict", secure=https(request))

    def ballot_of(self, request: Request) -> str | None:
        """The phone's ballot id for anonymous questions, from its cookie, when this page signed it."""
        return self.jar.read_ballot(request.cookies.get(BALLOT_COOKIE))

    def set_ballot(self, request: Request, response: Response, ballot: str) -> None:
        """Give the phone its ballot id: Lax, not Strict, as it says nothing about who the person is and must
        survive a link followed from elsewhere; HttpOnly, so no script reads it; Secure over https."""
        set_cookie(
            response, BALLOT_COOKIE, self.jar.sign_ballot(ballot), max_age=BALLOT_MAX_AGE, samesite="lax",
            secure=https(request),
        )  # fmt: skip

    def message(
        self,
        request: Request,
        visitor: Visitor | None,
        key: str,
        status: int,
        *,
        body: str | None = None,
        link: str | None = None,
        link_text: str | None = None,
        draft: str = "",
    ) -> Response:
        """A page that only says something, with one button for the obvious next step (the front door unless
        the caller knows better) and, when a form was refused, what was typed in it."""
        lang = self.language(request)
        t = catalogue.CATALOGUES[lang]
        return self.render(
            request,
            "message.html",
            visitor,
            page=page_of(request),
            state=t[key],
            failed=status >= 400,
            status=status,
            heading=t[key],
            body=t.get(key.replace("_heading", "_body"), "") if body is None else body,
            link=link or f"/?lang={lang}",
            link_text=link_text or t["enter_again"],
            draft=draft,
        )

    async def invalid_link(self, request: Request, visitor: Visitor | None, draft: str = "") -> Response:
        """A bad or stale link: back to the participant's own page when the cookie says who they are."""
        fresh = await self.desks.run(lambda desk: self.own_token(desk, visitor))
        return self.invalid_link_page(request, visitor, fresh, draft)

    def invalid_link_page(
        self, request: Request, visitor: Visitor | None, fresh: str | None, draft: str = ""
    ) -> Response:
        if fresh is None:
            return self.message(request, visitor, "link_invalid_heading", 404, draft=draft)
        t = self.t(request)
        return self.message(
            request,
            visitor,
            "link_invalid_heading",
            404,
            body=t["link_invalid_body_known"],
            link=f"/p/{fresh}?lang={self.language(request)}",
            link_text=t["back_to_page"],
            draft=draft,
        )

    @staticmethod
    def own_token(desk: Desk, visitor: Visitor | None) -> str | None:
        """Today's link to the page of the location the visitor's identity was made at, if it still holds."""
        if visitor is None or visitor.participant is None or visitor.location is None or visitor.day is None:
            return None
        return desk.own_token(visitor.participant, visitor.location, visitor.day, visitor.generation)

    def visitor_of(self, request: Request) -> Visitor | None:
        return self.jar.read(request.cookies.get(COOKIE))

    def on_link(self, desk: Desk, token: str, visitor: Visitor | None) -> tuple[tokens.Grant | None, str | None]:
        """What the link allows (None: a bad or expired link) and the roster's participant the visitor is on it
        (None: nobody identified, or no longer on the roster): what every participant's form starts from."""
        grant = desk.grant(token)
        if grant is None:
            return None, None
        who = self.identified(desk, visitor, grant)
        return grant, who if who is not None and desk.participant(who) is not None else None

    def identified(self, desk: Desk, visitor: Visitor | None, grant: tokens.Grant) -> str | None:
        """Who the cookie says the visitor is, if it holds for this link: its day, its location, and the
        person's identity generation now (signing out moved it on, so a copy of the cookie stopped working)."""
        if visitor is None or visitor.participant is None:
            return None
        if visitor.day != grant.day.isoformat() or visitor.location != grant.location:
            return None
        if visitor.generation != desk.identity_generation(visitor.participant):
            return None
        return visitor.participant

    def back(self, request: Request, token: str, done: str | None = None, *, at: str = "") -> Response:
        """To the page again (303), saying what was ``done``; ``at``: the part of the page to show (its id)."""
        query = f"?lang={self.language(request)}" + (f"&done={done}" if done else "")
        return RedirectResponse(f"/p/{token}{query}" + (f"#{at}" if at else ""), status_code=303)

    async def checked_form(
        self, request: Request, max_fields: int = MAX_FIELDS
    ) -> tuple[dict[str, str], Visitor] | Response:
        """The POSTed form, once its CSRF token matches the cookie; else the refusal to send."""
        visitor = self.visitor_of(request)
        try:
            form = await read_form(request, max_fields)
        except Exception:  # malformed or too many fields: python-multipart's errors vary by version
            return PlainTextResponse("Bad form", status_code=400)
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        if visitor is None or not self.jar.csrf_ok(visitor, fields.get("csrf")):
            return await self.expired_form(request, visitor, fields)
        return fields, visitor

    async def expired_form(self, request: Request, visitor: Visitor | None, fields: dict[str, str]) -> Response:
        """A form whose token no longer matches the cookie (another tab signed in or out, the day's cookie ended):
        nothing is recorded, and the page it came from comes back with what was typed in it.

        Without any cookie the request may come from another site (the cookie is SameSite=Strict), so nothing
        posted is shown back then: only the way to the page.
        """
        t = self.t(request)
        lang = self.language(request)
        token = request.path_params.get("token")
        if visitor is None:
            link, text = (f"/p/{token}?lang={lang}", t["back_to_page"]) if token else (f"/?lang={lang}", None)
            return self.message(request, None, "session_expired_heading", 403, link=link, link_text=text)
        if token is None:  # the front door's form
            return self.front_door_refused(request, visitor, t["form_expired"], 403, fields)
        action = request.url.path.rsplit("/", 1)[-1]
        kept = kept_after_expiry(action, fields, t)
        if action == "answer":
            kept = replace(kept, answers=sent_answers(await read_form(request)))  # the form as read already
        return await self.show(request, token, visitor, status=403, kept=kept)

    def submission(self, fields: dict[str, str]) -> str | None:
        sid = fields.get("sid")
        return sid if is_submission_id(sid) else None

    # -- pages -----------------------------------------------------------------------------------------

    async def enter(self, request: Request) -> Response:
        t = self.t(request)
        visitor = self.visitor_of(request)
        return self.render(request, "enter.html", visitor, page="/", state=t["enter_heading"], error=None, code="")

    def front_door_refused(
        self, request: Request, visitor: Visitor | None, error: str, status: int, fields: dict[str, str]
    ) -> Response:
        """The front door again, saying why, with the code as typed (cut short: it is echoed into the page)."""
        t = self.t(request)
        code = fields.get("code", "")[:40]
        return self.render(
            request,
            "enter.html",
            visitor,
            page="/",
            state=t["enter_heading"],
            failed=True,
            status=status,
            error=error,
            code=code,
        )

    async def go(self, request: Request) -> Response:
        checked = await self.checked_form(request)
        if isinstance(checked, Response):
            return checked
        fields, visitor = checked
        code = tokens.normalise(fields.get("code", ""))
        if code is None:
            return self.front_door_refused(request, visitor, self.t(request)["enter_invalid"], 400, fields)
        return RedirectResponse(f"/p/{code}?lang={self.language(request)}", status_code=303)

    def participant_context(
        self, desk: Desk, grant: tokens.Grant, participant_id: str, lang: str, kept: Kept, *, ballot: str | None
    ) -> dict[str, Any] | None:
        person = desk.participant(participant_id)
        if person is None:
            return None
        t = catalogue.CATALOGUES[lang]
        checkin = desk.checked_in(grant, participant_id)
        checkout = desk.checked_out(grant, participant_id) if checkin is None else None
        prompt = desk.prompt()
        notes = {
            Anonymity.ANONYMOUS: t["anonymous_note"],
            Anonymity.NAMED: t["named_note"],
            Anonymity.PARTICIPANT_CHOOSES: t["choose_note"],
        }
        alert, written_for = kept.alert, None
        if draft_outlived_its_question(kept, prompt):
            field = "text" if prompt.text is not None else "kept"
            message = t["prompt_changed_kept"] if prompt.text is not None else t["kept_no_prompt"]
            alert = Alert(t["not_sent_title"], message, field, is_error=False)
            written_for = desk.question_of(kept.answering or "")
        evaluation = desk.programme.workshop.evaluation
        return {
            "location": desk.location_name(grant.location),
            "name": person.name,
            "checkin": checkin,
            "checkout": checkout,
            "prompt": prompt,
            "anonymity_note": notes[prompt.anonymity],
            "participant_chooses": prompt.anonymity is Anonymity.PARTICIPANT_CHOOSES,
            "alert": alert,
            "written_for": written_for,
            "written_for_language": language_of(written_for),
            "shown": desk.questions(grant, participant_id, ballot),
            "evaluation_title": evaluation.title if evaluation is not None else None,
            "questions_version": desk.questions_version(),
            "results_version": desk.results_version(),
            "breakout": desk.groups(grant, participant_id),
            "groups_version": desk.groups_version(grant),
        }

    async def show(
        self,
        request: Request,
        token: str,
        visitor: Visitor | None,
        *,
        status: int = 200,
        grant: tokens.Grant | None = None,
        kept: Kept = NOTHING_KEPT,
        ballot: str | None = None,
    ) -> Response:
        """The page for ``token``: the participant's own page once identified, else the identify form; with what
        a refused or interrupted form gives back (``kept``). ``ballot``: the phone's, when just made (else its
        cookie's)."""
        lang = self.language(request)
        ballot = ballot or self.ballot_of(request)

        def work(desk: Desk) -> tuple[tokens.Grant | None, dict[str, Any] | None, str, bool, str | None]:
            found = grant or desk.grant(token)
            if found is None:
                return None, None, "", False, self.own_token(desk, visitor)
            who = self.identified(desk, visitor, found)
            context = self.participant_context(desk, found, who, lang, kept, ballot=ballot) if who is not None else None
            return found, context, desk.location_name(found.location), desk.rules.email_only, None

        found, context, location, email_only, fresh = await self.desks.run(work)
        if found is None:
            return self.invalid_link_page(request, visitor, fresh, kept.draft)
        if context is None:
            return self.identify_page(
                request,
                visitor=visitor,
                token=token,
                status=status,
                location=location,
                email_only=email_only,
                kept=kept,
            )
        return self.participant_page(
            request, visitor=visitor, token=token, status=status, context=context, kept=kept, ballot=ballot
        )

    def identify_page(
        self,
        request: Request,
        *,
        visitor: Visitor | None,
        token: str,
        status: int,
        location: str,
        email_only: bool,
        kept: Kept,
    ) -> Response:
        t = self.t(request)
        request_sent = request.query_params.get("done") == "request"
        failed = kept.error is not None or kept.request_error is not None
        return self.render(
            request,
            "identify.html",
            visitor,
            page=f"/p/{token}",
            state=t["request_sent_heading"] if request_sent else t["identify_heading"],
            failed=failed,
            status=status,
            token=token,
            location=location,
            sid=new_submission_id(),
            request_sid=new_submission_id(),
            email=kept.email,
            email_only=email_only,
            error=kept.error,
            failed_fields=list(kept.failed),
            request_error=kept.request_error,
            request_failed=kept.request_failed,
            request_name=kept.request_name,
            request_email=kept.request_email,
            draft=kept.draft,
            request_sent=request_sent,
        )

    def participant_page(
        self,
        request: Request,
        *,
        visitor: Visitor | None,
        token: str,
        status: int,
        context: dict[str, Any],
        kept: Kept,
        ballot: str | None = None,
    ) -> Response:
        t = self.t(request)
        lang = self.language(request)
        done = request.query_params.get("done")
        shown: tuple[ShownQuestion, ...] = context.pop("shown")
        breakout = group_view(context.pop("breakout"), t)
        groups = question_views.groups(shown, kept.answers, kept.problems, context.pop("evaluation_title"), lang)
        if kept.problems:  # nothing was recorded: every refused answer in the summary, each leading to its question
            items = question_views.summary_items(groups, kept.problems, t)
            first = items[0][1] if items else ""
            context["alert"] = Alert(t["error_summary_title"], t["answers_not_recorded"], first, items=items)
        answers_sent = done == "answers" and not kept.problems
        prompt: Prompt = context["prompt"]
        # Without a reflection prompt (or a draft kept for one), the questions are the page's main content.
        with_prompt = prompt.text is not None or bool(kept.text.strip()) or not groups
        checkin, checkout = context.pop("checkin"), context.pop("checkout")
        status_line = left_line = None
        state = t["state_not_checked_in"]
        if checkin is not None:
            key = "checked_in_now" if done == "checkin" else "checked_in_already"
            status_line = t[key].format(time=checkin.local_time)
            state = t["state_checked_in"]
        elif checkout is not None:
            left_line = t["checked_out"].format(time=checkout.local_time)
            state = t["state_checked_out"]
        sent = done == "reflection"
        alert: Alert | None = context["alert"]
        if alert is not None and not alert.is_error:
            state = alert.title
        elif sent:
            state = t["state_sent"]
        elif answers_sent:
            state = t["state_answers_sent"]
        response = self.render(
            request,
            "participant.html",
            visitor,
            page=f"/p/{token}",
            state=state,
            failed=alert is not None and alert.is_error,
            status=status,
            token=token,
            sid=new_submission_id(),
            status_line=status_line,
            left_line=left_line,
            sent=sent,
            error=kept.text_error,
            text=kept.text,
            max_chars=MAX_REFLECTION_CHARS,
            poll=f"/p/{token}/now.json",
            groups=groups,
            answer_form=any(question.form for group in groups for question in group.questions),
            needs_check_in=any(question.needs_check_in for question in shown),
            answers_sent=answers_sent,
            with_prompt=with_prompt,
            questions_level=2 if with_prompt else 1,
            breakout=breakout,
            **context,
        )
        if ballot is None and any(question.answerable and not question.asked.named for question in shown):
            self.set_ballot(request, response, new_ballot())  # the phone's, before its first anonymous answer
        return response

    async def page(self, request: Request) -> Response:
        return await self.show(request, request.path_params["token"], self.visitor_of(request))

    async def now_json(self, request: Request) -> Response:
        token = request.path_params["token"]

        def work(desk: Desk) -> dict[str, Any] | None:
            grant = desk.grant(token)
            if grant is None:
                return None
            prompt = desk.prompt()
            return {
                "key": prompt.key,
                "text": prompt.text,
                "anonymity": str(prompt.anonymity),
                "questions": desk.questions_version(),
                "results": desk.results_version(),
                "groups": desk.groups_version(grant),
            }

        found = await self.desks.run(work)
        if found is None:
            return JSONResponse({"error": "unknown token"}, status_code=404)
        return JSONResponse(found, headers={"cache-control": "no-store"})

    async def identify(self, request: Request) -> Response:
        token = request.path_params["token"]
        checked = await self.checked_form(request)
        if isinstance(checked, Response):
            return checked
        fields, visitor = checked
        t = self.t(request)
        client = request.client.host if request.client else "?"
        email, code, sid = fields.get("email", ""), fields.get("code", ""), self.submission(fields)
        # Any e-mail given counts, on the roster or not, so that being refused here tells nothing about who is.
        email_key = email.strip().casefold()[:254]
        waits = [
            self.failures.wait(client) if self.failures is not None else 0.0,
            self.per_email.wait(email_key) if self.per_email is not None and email_key else 0.0,
        ]
        if wait := max(waits):
            kept = Kept(error=t["identify_too_many"], email=email[:254])
            response = await self.show(request, token, visitor, status=429, kept=kept)
            response.headers["retry-after"] = retry_after(wait)
            return response
        if not email_key and self.code_only is not None and (wait := self.code_only.wait(CODE_ONLY)):
            kept = Kept(error=t["code_only_busy"], failed=("email",))
            response = await self.show(request, token, visitor, status=429, kept=kept)
            response.headers["retry-after"] = retry_after(wait)
            return response

        def work(desk: Desk) -> tuple[tokens.Grant | None, str | None, int | None, int, str | None]:
            grant = desk.grant(token)
            if grant is None:
                return None, None, None, 0, self.own_token(desk, visitor)
            person = desk.identify(email, code)
            if person is None:
                return grant, None, None, 0, None
            desk.check_in(grant, person.id, sid)
            # The identity is for the token's day: the cookie ends with it.
            until = day_end(desk.programme, grant.day) - desk.now()
            return grant, person.id, max(1, int(until.total_seconds())), desk.identity_generation(person.id), None

        grant, participant, until, generation, fresh = await self.desks.run(work)
        if grant is None:
            return self.invalid_link_page(request, visitor, fresh)
        if participant is None or until is None:
            if self.failures is not None:
                self.failures.take(client)
            if self.per_email is not None and email_key:
                self.per_email.take(email_key)
            if self.code_only is not None and not email_key and code.strip():
                self.code_only.take(CODE_ONLY)
            # The same page, words and status whether the e-mail is unknown or its code wrong. The code is not
            # given back: it is the secret part, and a page showing it would keep it in the browser's history.
            failed = ("email", "personal-code") if email_key else ("personal-code",)
            kept = Kept(error=t["no_match"], failed=failed, email=email[:254])
            return await self.show(request, token, visitor, grant=grant, kept=kept)
        response = self.back(request, token, "checkin")
        # A new nonce with the new identity: a form token seen before signing in is worthless after.
        identity = Visitor(new_nonce(), participant, grant.day.isoformat(), grant.location, generation)
        self.set_cookie(request, response, identity, until)
        return response

    async def check_in(self, request: Request) -> Response:
        token = request.path_params["token"]
        checked = await self.checked_form(request)
        if isinstance(checked, Response):
            return checked
        fields, visitor = checked
        sid = self.submission(fields)

        def work(desk: Desk) -> tuple[bool | None, str | None]:
            grant, who = self.on_link(desk, token, visitor)
            if grant is None:
                return None, self.own_token(desk, visitor)
            if who is None:
                return False, None
            desk.check_in(grant, who, sid)
            return True, None

        done, fresh = await self.desks.run(work)
        if done is None:
            return self.invalid_link_page(request, visitor, fresh)
        # Checked in to answer a question by name: back where that question is.
        at = "questions" if fields.get("then") == "questions" else ""
        return self.back(request, token, "checkin" if done else None, at=at)

    async def check_out(self, request: Request) -> Response:
        """The "I'm leaving" button: the check-in route's rules (CSRF, identity, submission id), the other way."""
        token = request.path_params["token"]
        checked = await self.checked_form(request)
        if isinstance(checked, Response):
            return checked
        fields, visitor = checked
        sid = self.submission(fields)

        def work(desk: Desk) -> tuple[tokens.Grant | None, str]:
            grant, who = self.on_link(desk, token, visitor)
            if grant is None:
                return None, self.own_token(desk, visitor) or ""
            if who is None:
                return grant, "anonymous"
            return grant, "done" if desk.check_out(grant, who, sid) is not None else "not-in"

        grant, outcome = await self.desks.run(work)
        if grant is None:
            return self.invalid_link_page(request, visitor, outcome or None)
        if outcome == "anonymous":
            return self.back(request, token)
        if outcome == "done":
            return self.back(request, token, "checkout")
        # Nothing written: the page as it is, saying why (a second tab, or a facilitator checked them out).
        t = self.t(request)
        kept = Kept(alert=Alert(t["error_summary_title"], t["not_in_to_leave"]))
        return await self.show(request, token, visitor, status=409, grant=grant, kept=kept)

    def reflection_problem(self, request: Request, text: str) -> str | None:
        t = self.t(request)
        if not text.strip():
            return t["reflection_empty"]
        if len(text.strip()) > MAX_REFLECTION_CHARS:
            return t["reflection_too_long"].format(limit=catalogue.number(MAX_REFLECTION_CHARS, self.language(request)))
        return None

    async def reflect(self, request: Request) -> Response:
        """Send an answer, or (``intent=refresh``) only look for a new question: either way a text that is not
        recorded comes back in the page, under the question it was written for or with that question shown."""
        token = request.path_params["token"]
        checked = await self.checked_form(request)
        if isinstance(checked, Response):
            return checked
        fields, visitor = checked
        text = fields.get("text", "")
        refreshing = fields.get("intent") == "refresh"
        problem = None if refreshing else self.reflection_problem(request, text)
        sid = self.submission(fields)
        kept = Kept(text=text, answering=fields.get("answering", ""))

        def work(desk: Desk) -> tuple[str, str | None]:
            grant, who = self.on_link(desk, token, visitor)
            if grant is None:
                return "invalid", self.own_token(desk, visitor)
            if who is None:
                return "anonymous", None
            if refreshing or problem is not None:
                return "refresh" if refreshing else "problem", None
            try:
                desk.reflect(
                    grant,
                    who,
                    text,
                    answering=kept.answering or "",
                    consent=fields.get("consent") == "1",
                    show_name=fields.get("show_name") == "1",
                    submission=sid,
                )
            except PromptChanged:
                return "changed", None
            except InputError:
                return "refused", None
            return "done", None

        outcome, fresh = await self.desks.run(work)
        if outcome == "done" or (outcome in ("refresh", "anonymous") and not text.strip()):
            return self.back(request, token, "reflection" if outcome == "done" else None)
        return await self.give_back(request, visitor, token, outcome=outcome, fresh=fresh, kept=kept, problem=problem)

    async def give_back(
        self,
        request: Request,
        visitor: Visitor,
        token: str,
        *,
        outcome: str,
        fresh: str | None,
        kept: Kept,
        problem: str | None,
    ) -> Response:
        """The page again with the text that was not recorded, and why it was not (the reflect route's outcome)."""
        t = self.t(request)
        if outcome == "invalid":
            if fresh is None:
                return self.invalid_link_page(request, visitor, None, kept.text)
            renewed = replace(kept, alert=Alert(t["not_sent_title"], t["link_renewed_kept"], "text", is_error=False))
            return await self.show(request, fresh, visitor, status=409, kept=renewed)
        if outcome == "anonymous":
            signed_out = Kept(error=t["signed_out_kept"], text=kept.text)
            return await self.show(request, token, visitor, status=409, kept=signed_out)
        if outcome in ("refresh", "changed"):
            return await self.show(request, token, visitor, status=200 if outcome == "refresh" else 409, kept=kept)
        error = t["reflection_error"].format(problem=problem or "")
        refused = replace(kept, text_error=error, alert=Alert(t["error_summary_title"], error, "text"))
        return await self.show(request, token, visitor, status=400, kept=refused)

    async def answer(self, request: Request) -> Response:
        """Answers to the room's questions, or (``intent=refresh``) only a look for new questions and results.

        The desk records every answer of the form or, when any is refused, none; a refused or interrupted form
        comes back with what was chosen and typed, each problem at its question and in the summary at the top.
        """
        token = request.path_params["token"]
        checked = await self.checked_form(request, MAX_ANSWER_FIELDS)
        if isinstance(checked, Response):
            return checked
        fields, visitor = checked
        sent = sent_answers(await read_form(request))  # the form checked_form read, with every value of each name
        refreshing = fields.get("intent") == "refresh"
        ballot = self.ballot_of(request)
        made = None
        if ballot is None:
            ballot = made = new_ballot()  # never from who the person is: a phone without one gets a new one

        def work(desk: Desk) -> tuple[str, Answered | None, str | None]:
            grant, who = self.on_link(desk, token, visitor)
            if grant is None:
                return "invalid", None, self.own_token(desk, visitor)
            if who is None:
                return "anonymous", None, None
            if refreshing:
                return "refresh", None, None
            return "done", desk.answer(grant, who, ballot, sent), None

        outcome, answered, fresh = await self.desks.run(work)
        kept = Kept(answers=sent)
        if outcome == "done" and answered is not None and not answered.problems:
            response = self.back(request, token, "answers", at="questions")
        elif outcome in ("done", "refresh"):
            problems = answered.problems if answered is not None else {}
            # The room moved on (closed, shown, no longer asked, checked out): a conflict, not a mistake in the form.
            moved_on = all(
                problem in (CLOSED, REVEALED, UNKNOWN_QUESTION, NEEDS_CHECK_IN) for problem in problems.values()
            )
            status = 200 if not problems else 409 if moved_on else 400
            response = await self.show(
                request, token, visitor, status=status, kept=replace(kept, problems=problems), ballot=ballot
            )
        else:
            response = await self.not_answered(
                request, visitor, token, outcome=outcome, fresh=fresh, kept=kept, ballot=ballot
            )
        if made is not None:
            self.set_ballot(request, response, made)
        return response

    async def not_answered(
        self,
        request: Request,
        visitor: Visitor,
        token: str,
        *,
        outcome: str,
        fresh: str | None,
        kept: Kept,
        ballot: str,
    ) -> Response:
        """The answer form on a link that no longer works (``invalid``), or from a phone signed out meanwhile
        (``anonymous``): nothing recorded, and what was typed comes back on the page that can take it."""
        t = self.t(request)
        if outcome == "invalid":
            if fresh is None:
                return self.invalid_link_page(request, visitor, None, kept.draft)
            renewed = Alert(t["answers_not_sent_title"], t["answers_link_renewed"], is_error=False)
            return await self.show(
                request, fresh, visitor, status=409, kept=replace(kept, alert=renewed), ballot=ballot
            )
        if not kept.draft:
            return self.back(request, token)
        return await self.show(request, token, visitor, status=409, kept=replace(kept, error=t["signed_out_kept"]))

    async def join_request(self, request: Request) -> Response:
        token = request.path_params["token"]
        checked = await self.checked_form(request)
        if isinstance(checked, Response):
            return checked
        fields, visitor = checked
        sid = self.submission(fields)
        client = request.client.host if request.client else "?"
        t = self.t(request)
        name, email = fields.get("name", ""), fields.get("email", "")
        typed = Kept(request_name=name[:200], request_email=email[:254])
        if self.joins is not None and (wait := self.joins.take(client)):
            busy = replace(typed, request_error=t["request_too_many"])
            response = await self.show(request, token, visitor, status=429, kept=busy)
            response.headers["retry-after"] = retry_after(wait)
            return response

        def work(desk: Desk) -> tuple[tokens.Grant | None, bool, str | None]:
            grant = desk.grant(token)
            if grant is None:
                return None, False, self.own_token(desk, visitor)
            try:
                # None when a request with this e-mail is waiting already: nothing stored, the same answer.
                desk.request_to_join(grant, name, email, sid)
            except InputError:
                return grant, False, None
            return grant, True, None

        grant, ok, fresh = await self.desks.run(work)
        if grant is None:
            return self.invalid_link_page(request, visitor, fresh)
        if not ok:
            refused = replace(typed, request_error=t["request_invalid"], request_failed=True)
            return await self.show(request, token, visitor, status=400, grant=grant, kept=refused)
        # The same answer whether or not the e-mail is on the roster already, or asked for already.
        return self.back(request, token, "request")

    async def forget(self, request: Request) -> Response:
        token = request.path_params["token"]
        checked = await self.checked_form(request)
        if isinstance(checked, Response):
            return checked
        _, visitor = checked

        def work(desk: Desk) -> None:
            grant = desk.grant(token)
            who = self.identified(desk, visitor, grant) if grant is not None else None
            if who is not None:
                desk.sign_out(who)  # every copy of this identity stops working, on every phone

        await self.desks.run(work)
        response = self.back(request, token)
        self.set_cookie(request, response, Visitor(new_nonce()))
        # Whoever signs in next on this phone is given a ballot of their own: they never see, or replace, the
        # anonymous answers of the person who signed out.
        response.delete_cookie(BALLOT_COOKIE, path="/", httponly=True, samesite="lax")
        return response

    # -- checking a certificate -------------------------------------------------------------------------

    async def verify_form(self, request: Request) -> Response:
        """``/verify``: the form to type a certificate's code; ``/verify?code=...`` (its answer) checks it."""
        code = request.query_params.get("code")
        if code is not None:
            return await self.verified(request, code)
        return self.verify_page(request, "/verify", state=self.t(request)["verify_heading"])

    async def verify(self, request: Request) -> Response:
        """``/verify/CODE``, where a certificate's QR code leads: whose certificate it is, or not genuine."""
        return await self.verified(request, request.path_params["code"])

    async def verified(self, request: Request, typed: str) -> Response:
        """The answer for a code: the holder of a genuine one; for anything else the same page, status and words,
        whether the code is malformed, names nobody or is forged. No cookie: a verifier is not a participant."""
        t = self.t(request)
        lang = self.language(request)
        client = request.client.host if request.client else "?"
        canonical = verification.normalise(typed[:64])
        if self.verifications is not None and (wait := self.verifications.wait(client)):
            response = self.verify_page(
                request, "/verify", state=t["too_many_heading"], status=429, heading=t["too_many_heading"],
                body=t["verify_too_many"],
            )  # fmt: skip
            response.headers["retry-after"] = retry_after(wait)
            return response

        def work(desk: Desk) -> verification.Holder | None:
            if canonical is None:
                return None
            desk.refresh()
            key = verification.certificate_key(desk.settings.secret)
            return verification.holder(key, canonical, desk.session.attendance.roster, desk.programme)

        found = await self.desks.run(work)
        if found is None:
            if self.verifications is not None:
                self.verifications.take(client)
            heading = t["verify_not_genuine_heading"]
            # The same page whatever was wrong: its language switch leads to the form, not back to the code.
            return self.verify_page(
                request, "/verify", state=heading, status=404, heading=heading, body=t["verify_not_genuine_body"]
            )
        hours = tenths_of_hours(found.minutes)
        shown = {
            "name": found.person.name,
            "course": found.course,
            "dates": date_range(found.first, found.last, t["month_names"].split()),
            "location": found.location,
            "hours": t["verify_hours_value"].format(hours=hours.replace(".", ",") if lang == "fr" else hours),
            "issuer": found.issuer,
            "code": canonical,
        }
        return self.verify_page(request, f"/verify/{canonical}", state=t["verify_genuine_heading"], holder=shown)

    def verify_page(self, request: Request, page: str, *, state: str, status: int = 200, **context: Any) -> Response:
        context.setdefault("holder", None)
        context.setdefault("heading", "")
        context.setdefault("body", "")
        html = self.html(request, "verify.html", page=page, state=state, failed=status >= 400, **context)
        return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})

    async def healthz(self, request: Request) -> Response:
        await self.desks.run(lambda desk: desk.store.conn.execute("SELECT 1").fetchone())
        return PlainTextResponse("ok", headers={"cache-control": "no-store"})

    async def not_found(self, request: Request, exc: Exception) -> Response:
        return self.message(request, self.visitor_of(request), "not_found_heading", 404)


def https(request: Request) -> bool:
    """Whether the phone reached the page over https (directly, or through a trusted proxy that says so)."""
    return request.scope.get("scheme") == "https"


def page_title(t: Mapping[str, str], state: str, *, failed: bool) -> str:
    title = t["title_format"].format(state=state, site=t["title"])
    return t["title_error"].format(title=title) if failed else title


def token_in(path: str) -> str | None:
    """The link's code in a path of the participant's page (``/p/CODE...``), if it can be one."""
    parts = path.split("/")
    return tokens.normalise(parts[2]) if len(parts) > 2 and parts[1] == "p" else None


def page_of(request: Request) -> str:
    """The page a response stands for, where the language switch leads: a form's answer stands for its page."""
    if request.method == "GET":
        return request.url.path
    token = request.path_params.get("token")
    return f"/p/{token}" if token else "/"


def create_app(
    db_path: Path,
    *,
    clock: Clock | None = None,
    rate: float = 20.0,
    burst: float = 120.0,
    body_limit: int = BODY_LIMIT,
    failures: tuple[float, float] | None = FAILED_IDENTIFICATIONS,
    per_email: tuple[float, float] | None = FAILED_PER_EMAIL,
    code_only: tuple[float, float] | None = FAILED_CODE_ONLY,
    join_requests: tuple[float, float] | None = JOIN_REQUESTS,
    trusted_proxies: Iterable[Network] = (),
    verifications: tuple[float, float] | None = FAILED_VERIFICATIONS,
) -> ASGIApp:
    """The whole participant page as an ASGI app, defences included.

    ``rate`` and ``burst`` limit each client address's requests (``rate`` 0 turns that off); ``failures``
    (rate, burst) limits its failed identifications, ``per_email`` the failed identifications with each e-mail
    from all addresses together, ``code_only`` the failed identifications by a code alone from all addresses
    together, ``join_requests`` its requests to be added; None turns any of them off.
    ``trusted_proxies``: the peers whose X-Forwarded-For names the client (facilitator serve --trusted-proxy);
    ``verifications`` limits the certificate codes that do not verify, per client address.
    """
    desks = DeskThread(db_path, clock)
    page = ParticipantPage(
        desks,
        Buckets(*failures) if failures else None,
        per_email=Buckets(*per_email) if per_email else None,
        code_only=Buckets(*code_only) if code_only else None,
        joins=Buckets(*join_requests) if join_requests else None,
        verifications=Buckets(*verifications) if verifications else None,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        desks.close()

    routes = [
        Route("/", page.enter, methods=["GET"]),
        Route("/go", page.go, methods=["POST"]),
        Route("/healthz", page.healthz, methods=["GET"]),
        Route("/p/{token}", page.page, methods=["GET"]),
        Route("/p/{token}/now.json", page.now_json, methods=["GET"]),
        Route("/p/{token}/identify", page.identify, methods=["POST"]),
        Route("/p/{token}/check-in", page.check_in, methods=["POST"]),
        Route("/p/{token}/check-out", page.check_out, methods=["POST"]),
        Route("/p/{token}/reflect", page.reflect, methods=["POST"]),
        Route("/p/{token}/answer", page.answer, methods=["POST"]),
        Route("/p/{token}/join-request", page.join_request, methods=["POST"]),
        Route("/p/{token}/forget", page.forget, methods=["POST"]),
        Route("/verify", page.verify_form, methods=["GET"]),
        Route("/verify/{code}", page.verify, methods=["GET"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: page.not_found}, lifespan=lifespan)
    limited = RateLimit(BodyLimit(app, body_limit), rate=rate, burst=burst, refusal=page.busy)
    return SecurityHeaders(TrustedProxies(limited, trusted_proxies))
