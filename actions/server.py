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

import functools
import json
import logging
import os
from pathlib import Path
from typing import Any, Dict, Tuple

import pluggy
import yaml
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from privacy.credentials import bearer, same_secret

logger = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("rasa_sdk")

TOKEN_VARIABLE = "ACTION_SERVER_TOKEN"
DOMAIN_FILE = Path(__file__).resolve().parents[1] / "domain.yml"
# An action call carries the domain (about 30 kB here) and the conversation's events; 8 MB is thousands of turns.
MAX_BODY_BYTES = 8 * 1024 * 1024
OPEN_PATHS = frozenset({"/health"})


# What a slot of each type may hold (domain.yml): anything else in an action call is not from Rasa.
SLOT_VALUE_TYPES: Dict[str, Tuple[type, ...]] = {
    # Rasa fills a bool or float slot from text as it is ("/affirm{...}" typed, a from_text mapping): the forms
    # read such text themselves, so a string there is Rasa's doing, not a malformed call.
    "text": (str,), "categorical": (str,), "bool": (bool, str), "float": (int, float, str), "list": (list,),
    "any": (str, int, float, bool, list, dict),
}  # fmt: skip


@functools.lru_cache(maxsize=1)
def slot_types() -> Dict[str, Tuple[type, ...]]:
    domain = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8")) or {}
    kinds = {name: str((spec or {}).get("type", "any")) for name, spec in (domain.get("slots") or {}).items()}
    return {name: SLOT_VALUE_TYPES.get(kind, SLOT_VALUE_TYPES["any"]) for name, kind in kinds.items()}


def malformed(body: Any) -> str | None:
    """What is wrong with an action call's body, or None. What Rasa sends always passes."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not isinstance(body.get("next_action"), str) or not body["next_action"]:
        return "'next_action' must be an action name"
    if "version" in body and not isinstance(body["version"], str):
        return "'version' must be a string"
    tracker = body.get("tracker")
    if not isinstance(tracker, dict):
        return "'tracker' must be an object"
    if not isinstance(tracker.get("sender_id"), str):
        return "'tracker.sender_id' must be a string"
    if not isinstance(tracker.get("slots"), dict):
        return "'tracker.slots' must be an object (Rasa sends every slot)"
    for key, kinds in (("events", (list,)), ("slots", (dict,)), ("latest_message", (dict, type(None)))):
        if key in tracker and not isinstance(tracker[key], kinds):
            return f"'tracker.{key}' must be a {kinds[0].__name__}"
    if not all(isinstance(event, dict) for event in tracker.get("events") or []):
        return "'tracker.events' must hold event objects"
    for name, value in (tracker.get("slots") or {}).items():
        allowed = slot_types().get(name)
        if value is not None and allowed is not None and not isinstance(value, allowed):
            return f"slot '{name}' must hold a {allowed[0].__name__}"
    if "domain" in body and not isinstance(body["domain"], dict):
        return "'domain' must be an object"
    return None


def refused(request: Request) -> HTTPResponse | None:
    if request.path in OPEN_PATHS:
        return None
    token = os.environ.get(TOKEN_VARIABLE, "")
    if not token:
        return response.json({"error": "not_configured", "detail": f"{TOKEN_VARIABLE} is not set"}, status=503)
    if not same_secret(bearer(request.headers.get("authorization")), token):
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
