"""mailcatcher's HTTP side (Sanic): the page for people, the JSON API for tests (docs/mailcatcher.md).

Every route but ``/health`` needs the token: ``Authorization: Bearer <token>``, or ``?token=`` (which also
sets an HttpOnly, SameSite=Strict cookie, so the page's links work), or that cookie.
"""

from __future__ import annotations

import asyncio
import logging
import math
from functools import partial
from typing import Any, Callable

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from mailcatcher import pages
from mailcatcher.store import MessageNotFound, MessageStore
from privacy.credentials import bearer, same_secret

logger = logging.getLogger("mailcatcher.web")

COOKIE = "mailcatcher_token"
SECURITY_HEADERS = {
    # The page has no script; a message's HTML is shown in a sandboxed srcdoc iframe, which inherits this
    # policy: no remote images (tracking pixels), no fonts, nothing fetched.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
PAGE_LIMIT = 200
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
MAX_ADDRESS_CHARS = 320  # RFC 5321 §4.5.3.1: 64 local part + @ + 255 domain


class BadInput(ValueError):
    """A query parameter is not what the endpoint takes; the message says which and why."""


def error(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": code, "message": message}, status=status)


def since_param(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadInput("'since' must be a unix time in seconds") from None
    if not math.isfinite(value):
        raise BadInput("'since' must be a finite unix time in seconds")
    return value


def to_param(text: str | None) -> str | None:
    if text is None:
        return None
    if not 0 < len(text) <= MAX_ADDRESS_CHARS or not text.isprintable():
        raise BadInput(f"'to' must be an address of 1 to {MAX_ADDRESS_CHARS} printable characters")
    return text.strip()


def limit_param(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise BadInput(f"'limit' must be a whole number from 1 to {MAX_LIMIT}")
    return int(text)


async def run(function: Callable[..., Any], *args: Any) -> Any:
    """SQL is blocking: a worker thread keeps the event loop (and the SMTP sessions on it) free."""
    return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args))


def create_app(store: MessageStore, token: str, name: str = "mailcatcher") -> Sanic:
    # configure_logging=False: the process's own logging setup (stderr) applies to Sanic's loggers too.
    app = Sanic(name, configure_logging=False)
    app.config.FALLBACK_ERROR_FORMAT = "json"

    @app.middleware("request")
    async def authenticate(request: Request) -> HTTPResponse | None:
        if request.path == "/health":
            return None
        if same_secret(bearer(request.headers.get("authorization")), token):
            return None
        if same_secret(request.cookies.get(COOKIE), token):
            return None
        if same_secret(request.args.get("token"), token):
            request.ctx.remember_token = True
            return None
        return error(401, "unauthorized", "a valid token is required (Authorization: Bearer, or ?token=)")

    @app.middleware("response")
    async def finish(request: Request, reply: HTTPResponse) -> None:
        reply.headers.update(SECURITY_HEADERS)
        if getattr(request.ctx, "remember_token", False):
            reply.cookies[COOKIE] = token
            reply.cookies[COOKIE]["httponly"] = True
            reply.cookies[COOKIE]["samesite"] = "Strict"
            reply.cookies[COOKIE]["path"] = "/"
        logger.info("%s %s -> %s", request.method, request.path, reply.status)

    @app.exception(MessageNotFound)
    async def not_found(_: Request, missing: MessageNotFound) -> HTTPResponse:
        return error(404, "not_found", str(missing))

    @app.exception(BadInput)
    async def bad_input(_: Request, problem: BadInput) -> HTTPResponse:
        return error(400, "bad_request", str(problem))

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/")
    async def index(_: Request) -> HTTPResponse:
        return response.html(pages.index(await run(store.list, None, None, PAGE_LIMIT)))

    @app.get("/messages/<message_id:int>")
    async def message_page(_: Request, message_id: int) -> HTTPResponse:
        return response.html(pages.message_page(await run(store.get, message_id)))

    @app.get("/api/messages")
    async def list_messages(request: Request) -> HTTPResponse:
        to, since = to_param(request.args.get("to")), since_param(request.args.get("since"))
        found = await run(store.list, to, since, limit_param(request.args.get("limit")))
        return response.json([message.to_json(raw_url(message.id)) for message in found])

    @app.delete("/api/messages")
    async def clear(_: Request) -> HTTPResponse:
        return response.json({"deleted": await run(store.clear)})

    @app.get("/api/messages/<message_id:int>")
    async def one_message(_: Request, message_id: int) -> HTTPResponse:
        message = await run(store.get, message_id)
        return response.json(message.to_json(raw_url(message.id)))

    @app.get("/api/messages/<message_id:int>/raw")
    async def raw(_: Request, message_id: int) -> HTTPResponse:
        return response.raw(await run(store.raw, message_id), content_type="message/rfc822")

    return app


def raw_url(message_id: int) -> str:
    return f"/api/messages/{message_id}/raw"
