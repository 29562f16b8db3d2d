"""The action server's own rules, attached through rasa-sdk's plugin hook (``rasa_sdk_plugins``).

- **A credential**: every call but ``/health`` must carry ``Authorization: Bearer <ACTION_SERVER_TOKEN>``
  (compared in constant time); Rasa sends it from its endpoints file (``bot/profiles.py`` fills it in). Without
  the variable the server refuses everything: it never serves anyone by default.
- **Bad calls are the caller's problem**: a body that is not an action call gets a 400 saying so, before any
  action runs; a failing action gets a 500 that says only that (rasa-sdk's own handler would echo the
  exception and the whole request body, tracker included).
- **A size cap** on what it reads.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from typing import Any

import pluggy
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("rasa_sdk")

TOKEN_VARIABLE = "ACTION_SERVER_TOKEN"
# An action call carries the domain (about 30 kB here) and the conversation's events; 8 MB is thousands of turns.
MAX_BODY_BYTES = 8 * 1024 * 1024
OPEN_PATHS = frozenset({"/health"})


def malformed(body: Any) -> str | None:
    """What is wrong with an action call's body, or None."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not isinstance(body.get("next_action"), str) or not body["next_action"]:
        return "'next_action' must be an action name"
    tracker = body.get("tracker")
    if not isinstance(tracker, dict):
        return "'tracker' must be an object"
    if not isinstance(tracker.get("sender_id"), str):
        return "'tracker.sender_id' must be a string"
    for key, kind in (("events", list), ("slots", dict)):
        if key in tracker and not isinstance(tracker[key], kind):
            return f"'tracker.{key}' must be a {kind.__name__}"
    if "domain" in body and not isinstance(body["domain"], dict):
        return "'domain' must be an object"
    return None


def refused(request: Request) -> HTTPResponse | None:
    if request.path in OPEN_PATHS:
        return None
    token = os.environ.get(TOKEN_VARIABLE, "")
    if not token:
        return response.json({"error": "not_configured", "detail": f"{TOKEN_VARIABLE} is not set"}, status=503)
    header = request.headers.get("authorization", "")
    supplied = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
    if not hmac.compare_digest(supplied.encode(), token.encode()):
        return response.json({"error": "unauthorized"}, status=401)
    if request.path == "/webhook" and request.method == "POST":
        if request.headers.get("content-encoding") == "deflate":
            return None  # rasa-sdk inflates it; the action calls Rasa sends are plain JSON
        try:
            body = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError, RecursionError):
            return response.json({"error": "bad_request", "detail": "the body must be JSON"}, status=400)
        problem = malformed(body)
        if problem:
            return response.json({"error": "bad_request", "detail": problem}, status=400)
    return None


async def failed(request: Request, exception: Exception) -> HTTPResponse:
    status = getattr(exception, "status_code", 500)
    if isinstance(status, int) and 400 <= status < 500:
        return response.json({"error": "bad_request", "detail": type(exception).__name__}, status=status)
    logger.error("action call to %s failed", request.path, exc_info=exception)
    return response.json({"error": "action_failed"}, status=500)


@hookimpl  # type: ignore[misc]
def attach_sanic_app_extensions(app: Sanic) -> None:
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES

    @app.middleware("request")
    async def authenticate(request: Request) -> HTTPResponse | None:
        return refused(request)

    app.error_handler.add(Exception, failed)
