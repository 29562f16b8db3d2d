"""The agent desk over HTTP: a page for people and a JSON API behind it.

Every route but ``/desk``, ``/desk/api/login`` and ``/health`` needs a signed
session (cookie or ``Authorization: Bearer``); no transcript is readable without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any, Callable

import requests
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from handoff.desk.auth import Agents, agent_for_token, issue_token
from handoff.effects import apply_due
from handoff.gateway import GatewayUnavailable
from handoff.service import DeskService, NotYourTicket
from handoff.settings import HandoffSettings
from handoff.store import TicketNotFound, TicketRecord
from handoff.ticket import InvalidTransition
from handoff.webhook import deliver_due

logger = logging.getLogger(__name__)
PAGE = Path(__file__).with_name("static") / "desk.html"
COOKIE = "desk_session"
MAX_TEXT = 4000


def ticket_json(record: TicketRecord, now: float) -> dict:
    data = asdict(record)
    data["status"] = record.status.value
    data["waiting_seconds"] = int(now - record.created_at)
    return data


def create_app(
    service: DeskService, agents: Agents, secret: bytes, config: HandoffSettings, name: str = "agent_desk"
) -> Sanic:
    app = Sanic(name)
    webhook = config.webhook
    effects_due = asyncio.Event()

    async def run(function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args))

    def signed_in(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else request.cookies.get(COOKIE)
        return agent_for_token(token, secret, time.time()) if token else None

    def problem(status: int, code: str, detail: str) -> HTTPResponse:
        return response.json({"error": code, "detail": detail}, status=status)

    @app.middleware("request")
    async def require_agent(request: Request) -> HTTPResponse | None:
        if request.path in {"/desk", "/desk/", "/desk/api/login", "/health"}:
            return None
        agent = signed_in(request)
        if agent is None:
            return problem(401, "unauthorized", "sign in first")
        request.ctx.agent = agent
        return None

    def text_from(request: Request) -> str:
        try:
            body = json.loads((request.body or b"{}").decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            body = None
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise ValueError(f"'text' must be 1 to {MAX_TEXT} characters")
        return text.strip()

    async def act(request: Request, function: Callable[..., Any], *args: Any) -> HTTPResponse:
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

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/desk")
    async def page(_: Request) -> HTTPResponse:
        return response.html(PAGE.read_text(encoding="utf-8"))

    @app.post("/desk/api/login")
    async def login(request: Request) -> HTTPResponse:
        try:
            body = json.loads((request.body or b"{}").decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            body = {}
        agent, password = (body or {}).get("agent"), (body or {}).get("password")
        if not isinstance(agent, str) or not isinstance(password, str) or not agents.check(agent, password):
            return problem(401, "unauthorized", "unknown agent or wrong password")
        token = issue_token(agent, secret, time.time())
        reply = response.json({"agent": agent, "token": token})
        reply.cookies[COOKIE] = token
        reply.cookies[COOKIE]["httponly"] = True
        reply.cookies[COOKIE]["samesite"] = "Strict"
        return reply

    @app.get("/desk/api/tickets")
    async def queue(request: Request) -> HTTPResponse:
        now = time.time()
        return response.json(
            {"agent": request.ctx.agent, "tickets": [ticket_json(t, now) for t in await run(service.queue)]}
        )

    @app.get("/desk/api/tickets/<ticket_id:int>")
    async def view(request: Request, ticket_id: int) -> HTTPResponse:
        try:
            data = await run(service.view, ticket_id)
        except TicketNotFound:
            return problem(404, "not_found", "no such ticket")
        except GatewayUnavailable:
            return problem(503, "bot_unavailable", "the bot server did not answer; try again")
        return response.json(
            {
                "ticket": ticket_json(data["ticket"], time.time()),
                "transcript": data["transcript"],
                "messages": [asdict(m) for m in data["messages"]],
                "effects": data["effects"],
                "channel": data["channel"],
            }
        )

    @app.post("/desk/api/tickets/<ticket_id:int>/claim")
    async def claim(request: Request, ticket_id: int) -> HTTPResponse:
        return await act(request, service.claim, ticket_id, request.ctx.agent)

    async def act_with_text(request: Request, function: Callable[..., Any], ticket_id: int) -> HTTPResponse:
        try:
            text = text_from(request)
        except ValueError as bad:
            return problem(400, "bad_request", str(bad))
        return await act(request, function, ticket_id, request.ctx.agent, text)

    @app.post("/desk/api/tickets/<ticket_id:int>/reply")
    async def reply(request: Request, ticket_id: int) -> HTTPResponse:
        return await act_with_text(request, service.reply, ticket_id)

    @app.post("/desk/api/tickets/<ticket_id:int>/note")
    async def note(request: Request, ticket_id: int) -> HTTPResponse:
        return await act_with_text(request, service.note, ticket_id)

    @app.post("/desk/api/tickets/<ticket_id:int>/resolve")
    async def resolve(request: Request, ticket_id: int) -> HTTPResponse:
        return await act(request, service.close, ticket_id, request.ctx.agent, True)

    @app.post("/desk/api/tickets/<ticket_id:int>/return")
    async def give_back(request: Request, ticket_id: int) -> HTTPResponse:
        return await act(request, service.close, ticket_id, request.ctx.agent, False)

    @app.post("/desk/api/tickets/<ticket_id:int>/redeliver")
    async def redeliver(request: Request, ticket_id: int) -> HTTPResponse:
        return await act(request, service.redeliver, ticket_id, request.ctx.agent)

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
                await run(deliver_due, service.store, webhook, session)
            except Exception:  # keep delivering: one bad round must not stop the outbox
                logger.exception("webhook delivery round failed")
            await asyncio.sleep(0.5)

    if webhook.url and webhook.secret:

        @app.after_server_start
        async def start_webhook_delivery(_: Sanic, loop: asyncio.AbstractEventLoop) -> None:
            loop.create_task(deliver_webhooks())

    return app
