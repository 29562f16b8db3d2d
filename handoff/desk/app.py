"""The agent desk over HTTP: a page for people and a JSON API behind it.

Every route but the page, its script, sign-in and ``/health`` needs a signed session (the cookie the page
gets, or ``Authorization: Bearer <token>`` for an integration); no transcript is readable without one. A
change asked for with the cookie must also come from the desk's own origin and carry the session's CSRF
token (``X-CSRF-Token``). Sign-in is throttled per name and per address; every answer carries headers that
forbid framing and inline script.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, Set

import requests
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from handoff.desk import insights as insight_pages
from handoff.desk.access import permitted
from handoff.desk.auth import SESSION_SECONDS, Agents, Role, csrf_token, issue_token, session_for_token
from handoff.desk.security import SECURITY_HEADERS, LoginThrottle, cross_site
from handoff.effects import apply_due
from handoff.gateway import GatewayUnavailable
from handoff.service import DeskService, NotYourTicket
from handoff.settings import HandoffSettings
from handoff.store import TicketNotFound, TicketRecord
from handoff.ticket import InvalidTransition
from handoff.webhook import deliver_due
from privacy.credentials import same_secret

logger = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
COOKIE = "desk_session"
MAX_TEXT = 4000
MAX_BODY_BYTES = 64 * 1024
SCRIPTS = {"/desk/desk.js": "desk.js", "/desk/common.js": "common.js"}
OPEN_PATHS = frozenset({"/desk", "/desk/", *SCRIPTS, "/desk/api/login", "/health", *insight_pages.OPEN_PATHS})


class BadRequest(ValueError):
    """The body is not what the route takes; the text says why."""


def ticket_json(record: TicketRecord, now: float) -> dict:
    data = asdict(record)
    data["status"] = record.status.value
    data["waiting_seconds"] = int(now - record.created_at)
    return data


def problem(status: int, code: str, detail: str, **headers: str) -> HTTPResponse:
    return response.json({"error": code, "detail": detail}, status=status, headers=headers or None)


def json_object(request: Request) -> Dict[str, Any]:
    try:
        body = json.loads((request.body or b"{}").decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def text_from(request: Request) -> str:
    text = json_object(request).get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise BadRequest(f"'text' must be 1 to {MAX_TEXT} characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("'text' must be valid Unicode (no lone surrogates)") from None
    return text.strip()


def secure_cookies(request: Request) -> bool:
    """Behind HTTPS (directly, or a proxy saying so when DESK_BEHIND_HTTPS is set) the cookie is ``Secure``."""
    behind = os.environ.get("DESK_BEHIND_HTTPS", "").casefold() in ("1", "true", "yes")
    return request.scheme == "https" or behind


def create_app(
    service: DeskService,
    agents: Agents,
    secret: bytes,
    config: HandoffSettings,
    name: str = "agent_desk",
    insights: insight_pages.Insights | None = None,
) -> Sanic:
    """The desk; with ``insights``, also its Reports and Review pages (handoff/desk/insights.py)."""
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    throttle = LoginThrottle()
    signed_out: Set[str] = set()  # session ids signed out before they expired
    effects_due = asyncio.Event()

    async def run(function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args))

    # -- every request --------------------------------------------------------------
    @app.middleware("request")
    async def guard(request: Request) -> HTTPResponse | None:
        if cross_site(request.method, request.headers, request.host):
            return problem(403, "cross_site", "changes are accepted from the desk's own pages only")
        if request.path in OPEN_PATHS:
            return None
        header = request.headers.get("authorization", "")
        bearer = header.startswith("Bearer ")
        token = header[len("Bearer ") :].strip() if bearer else request.cookies.get(COOKIE, "")
        session = session_for_token(token, secret, time.time()) if token else None
        if session is None or session.session_id in signed_out:
            return problem(401, "unauthorized", "sign in first")
        csrf_ok = same_secret(request.headers.get("x-csrf-token"), csrf_token(secret, token))
        if not bearer and request.method != "GET" and not csrf_ok:
            return problem(403, "csrf", "the page's CSRF token is missing or wrong; reload the desk")
        request.ctx.agent, request.ctx.session = session.agent, session
        request.ctx.role = agents.role(session.agent)
        if request.path.startswith("/desk/api/") and not permitted(request.ctx.role, request.path):
            return problem(403, "forbidden", f"a {request.ctx.role.value} may not use {request.path}")
        return None

    @app.middleware("response")
    async def headers(_: Request, reply: HTTPResponse) -> None:
        for key, value in SECURITY_HEADERS.items():
            reply.headers.setdefault(key, value)

    async def act(function: Callable[..., Any], *args: Any) -> HTTPResponse:
        try:
            result = await run(function, *args)
        except TicketNotFound:
            return problem(404, "not_found", "no such ticket")
        except NotYourTicket as taken:
            return problem(409, "taken", str(taken))
        except InvalidTransition as refused:
            return problem(409, "invalid_transition", str(refused))
        except GatewayUnavailable as down:
            logger.warning("Rasa unavailable: %s", down)
            return problem(503, "bot_unavailable", "the bot server did not answer; try again")
        if isinstance(result, TicketRecord):
            return response.json(ticket_json(result, time.time()))
        return response.json(asdict(result) if hasattr(result, "__dataclass_fields__") else result)

    # -- the page and the session ----------------------------------------------------------
    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/desk")
    async def page(_: Request) -> HTTPResponse:
        return response.html((STATIC / "desk.html").read_text(encoding="utf-8"))

    for path, file in SCRIPTS.items():
        app.add_route(insight_pages.static_file(STATIC / file, "text/javascript"), path, name=f"script_{file[:-3]}")

    @app.post("/desk/api/login")
    async def login(request: Request) -> HTTPResponse:
        try:
            body = json_object(request)
        except BadRequest as bad:
            return problem(400, "bad_request", str(bad))
        agent, password = body.get("agent"), body.get("password")
        if not isinstance(agent, str) or not isinstance(password, str):
            return problem(400, "bad_request", "'agent' and 'password' must be strings")
        address, now = request.remote_addr or request.ip or "-", time.time()
        wait = throttle.retry_after(agent, address, now)
        if wait is not None:
            return problem(429, "locked_out", f"too many failed sign-ins; try again in {int(wait) + 1} s",
                           **{"Retry-After": str(int(wait) + 1)})  # fmt: skip
        if not await run(agents.check, agent, password):
            throttle.failed(agent, address, now)
            return problem(401, "unauthorized", "unknown agent or wrong password")
        throttle.succeeded(agent)
        token = issue_token(agent, secret, now)
        reply = response.json({"agent": agent, "role": agents.role(agent).value, "token": token,
                               "csrf": csrf_token(secret, token)})  # fmt: skip
        reply.cookies[COOKIE] = token
        reply.cookies[COOKIE].update({"httponly": True, "samesite": "Strict", "path": "/", "max-age": SESSION_SECONDS})
        if secure_cookies(request):
            reply.cookies[COOKIE]["secure"] = True  # set only when true: Sanic writes a False flag as "Secure=False"
        return reply

    @app.get("/desk/api/session")
    async def session(request: Request) -> HTTPResponse:
        token = request.cookies.get(COOKIE, "")
        return response.json({"agent": request.ctx.agent, "role": request.ctx.role.value,
                              "csrf": csrf_token(secret, token) if token else None})  # fmt: skip

    @app.post("/desk/api/logout")
    async def logout(request: Request) -> HTTPResponse:
        signed_out.add(request.ctx.session.session_id)
        reply = response.json({"signed_out": True})
        reply.cookies[COOKIE] = ""
        reply.cookies[COOKIE].update({"max-age": 0, "path": "/", "httponly": True, "samesite": "Strict"})
        return reply

    # -- tickets ------------------------------------------------------------------------
    @app.get("/desk/api/tickets")
    async def queue(request: Request) -> HTTPResponse:
        now = time.time()
        tickets = [ticket_json(t, now) for t in await run(service.queue)]
        return response.json({"agent": request.ctx.agent, "role": request.ctx.role.value, "tickets": tickets})

    @app.get("/desk/api/tickets/<ticket_id:int>")
    async def view(request: Request, ticket_id: int) -> HTTPResponse:
        try:
            data = await run(service.view, ticket_id)
        except TicketNotFound:
            return problem(404, "not_found", "no such ticket")
        except GatewayUnavailable:
            return problem(503, "bot_unavailable", "the bot server did not answer; try again")
        return response.json({
            "ticket": ticket_json(data["ticket"], time.time()), "transcript": data["transcript"],
            "messages": [asdict(m) for m in data["messages"]], "effects": data["effects"], "channel": data["channel"],
        })  # fmt: skip

    async def with_text(request: Request, function: Callable[..., Any], ticket_id: int) -> HTTPResponse:
        try:
            text = text_from(request)
        except BadRequest as bad:
            return problem(400, "bad_request", str(bad))
        return await act(function, ticket_id, request.ctx.agent, text)

    def supervising(request: Request) -> bool:
        return bool(request.ctx.role is Role.SUPERVISOR)

    # One line per thing an agent can do to a ticket.
    routes: Dict[str, Callable[[Request, int], Any]] = {
        "claim": lambda r, t: act(service.claim, t, r.ctx.agent),
        "reply": lambda r, t: with_text(r, service.reply, t),
        "note": lambda r, t: with_text(r, service.note, t),
        "resolve": lambda r, t: act(service.close, t, r.ctx.agent, True, supervising(r)),
        "return": lambda r, t: act(service.close, t, r.ctx.agent, False, supervising(r)),
        "redeliver": lambda r, t: act(service.redeliver, t, r.ctx.agent, supervising(r)),
        "takeover": lambda r, t: (act(service.take_over, t, r.ctx.agent) if supervising(r) else
                                  _forbidden("taking over another agent's conversation is for supervisors")),
    }  # fmt: skip

    @app.post("/desk/api/tickets/<ticket_id:int>/<action:str>")
    async def change(request: Request, ticket_id: int, action: str) -> HTTPResponse:
        route = routes.get(action)
        if route is None:
            return problem(404, "not_found", f"no action {action!r}; one of {', '.join(routes)}")
        return await route(request, ticket_id)

    if insights is not None:
        insight_pages.register(app, insights, service.gateway, problem, json_object)

    # -- background work -----------------------------------------------------------------
    async def apply_effects() -> None:
        """Each change's effects on the conversation, as soon as it is made (woken) or due for a retry."""
        while True:
            try:
                while await run(apply_due, service.store, service.gateway, config.effects):
                    pass
            except Exception:  # keep applying: one bad round must not stop the effects
                logger.exception("effect delivery round failed")
            effects_due.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(effects_due.wait(), timeout=0.5)

    @app.after_server_start
    async def start_effects(_: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        def wake() -> None:
            loop.call_soon_threadsafe(effects_due.set)

        service.wake = wake
        loop.create_task(apply_effects())

    async def deliver_webhooks() -> None:
        session = requests.Session()
        while True:
            try:
                await run(deliver_due, service.store, config.webhook, session)
            except Exception:  # keep delivering: one bad round must not stop the outbox
                logger.exception("webhook delivery round failed")
            await asyncio.sleep(0.5)

    if config.webhook.url and config.webhook.secret:

        @app.after_server_start
        async def start_webhook_delivery(_: Sanic, loop: asyncio.AbstractEventLoop) -> None:
            loop.create_task(deliver_webhooks())

    return app


async def _forbidden(detail: str) -> HTTPResponse:
    return problem(403, "forbidden", detail)
