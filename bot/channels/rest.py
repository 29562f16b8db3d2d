"""REST channel (``POST /webhooks/rest/webhook``) that rejects bad requests cleanly.

Same wire format as Rasa's ``RestInput`` (``{"sender", "message", "metadata"}``
in, a JSON list of bot messages out), but malformed JSON or missing fields get
a 400 with an explanation instead of a 500, and empty or over-long messages
get a polite reply without touching the conversation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import pipeline
from bot.channels.inbound import PROCESSING_ERROR_REPLY, CustomerMessage, is_storable, metadata_problem
from privacy.credentials import bearer, same_secret
from privacy.redaction import identifier_holds_card_number

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128


MAX_MESSAGE_ID_CHARS = 64


class BadRequest(ValueError):
    """The request body is not a valid message; the text says why."""


@dataclass(frozen=True)
class IncomingMessage:
    sender: str
    text: str
    metadata: Dict[str, Any] | None = None
    # Chosen by the client so a retry after a lost reply is answered, not processed twice.
    message_id: str | None = None


def replies_to(events: List[Dict[str, Any]], message_id: str) -> List[Dict[str, Any]] | None:
    """What the bot answered to the user message ``message_id``; None if it never arrived."""
    replies: List[Dict[str, Any]] | None = None
    for event in events:
        kind = event.get("event")
        if kind == "user":
            if replies is not None:
                break
            if event.get("message_id") == message_id:
                replies = []
        elif kind == "bot" and replies is not None:
            reply: Dict[str, Any] = {"text": event.get("text")}
            reply.update({k: v for k, v in (event.get("data") or {}).items() if v})
            replies.append(reply)
    return replies


def bot_messages_after(events: List[Dict[str, Any]], after: float) -> List[Dict[str, Any]]:
    """Bot and agent messages newer than ``after``, oldest first."""
    return [
        {"text": e.get("text"), "timestamp": e.get("timestamp"),
         "from": "agent" if (e.get("metadata") or {}).get("agent") else "bot",
         "agent": (e.get("metadata") or {}).get("agent"), "buttons": (e.get("data") or {}).get("buttons")}
        for e in events
        if e.get("event") == "bot" and float(e.get("timestamp") or 0) > after
    ]  # fmt: skip


async def stored_replies(tracker_store: Any, sender: str, message_id: str) -> List[Dict[str, Any]]:
    tracker = await tracker_store.retrieve(sender)
    events = [] if tracker is None else [e.as_dict() for e in tracker.events]
    return [{"recipient_id": sender, **reply} for reply in replies_to(events, message_id) or []]


def parse_body(body: bytes) -> IncomingMessage:
    """Validate a webhook body."""
    try:
        payload = json.loads((body or b"").decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest('body must be UTF-8 JSON like {"sender": "abc", "message": "hi"}') from None
    if not isinstance(payload, dict):
        raise BadRequest("body must be a JSON object")
    sender, message, metadata = payload.get("sender"), payload.get("message"), payload.get("metadata")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest("'sender' must be a non-empty string")
    if len(sender) > MAX_SENDER_CHARS or not sender.isprintable():
        raise BadRequest(f"'sender' must be at most {MAX_SENDER_CHARS} printable characters")
    if identifier_holds_card_number(sender):
        raise BadRequest("'sender' must not hold a card number (it is stored with every message)")
    if not isinstance(message, str):
        raise BadRequest("'message' must be a string")
    if not is_storable(sender) or not is_storable(message):
        raise BadRequest("'sender' and 'message' must be valid Unicode text (no lone surrogates)")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("'metadata' must be a JSON object when given")
    problem = metadata_problem(metadata) if metadata else None
    if problem:
        raise BadRequest(f"'metadata' {problem}")
    message_id = payload.get("message_id")
    if message_id is not None and (
        not isinstance(message_id, str)
        or not 0 < len(message_id) <= MAX_MESSAGE_ID_CHARS
        or not message_id.isprintable()
    ):
        raise BadRequest(f"'message_id' must be 1 to {MAX_MESSAGE_ID_CHARS} printable characters when given")
    if message_id is not None and identifier_holds_card_number(message_id):
        raise BadRequest("'message_id' must not hold a card number (it is stored with the message)")
    return IncomingMessage(sender, message, metadata, message_id)


def api_key() -> str:
    return os.environ.get("REST_API_KEY", "")


def has_key(request: Request) -> bool:
    return same_secret(bearer(request.headers.get("authorization")), api_key())


def refused_without_key(request: Request) -> HTTPResponse | None:
    """The webhook is a server-to-server API: a site's backend calls it with ``REST_API_KEY``; without the key
    anyone could write as, and read the answers of, any conversation id."""
    if not api_key():
        return response.json({"error": "not_configured", "detail": "REST_API_KEY is not set"}, status=503)
    if not has_key(request):
        return response.json({"error": "unauthorized", "detail": "Authorization: Bearer <REST_API_KEY>"}, status=401)
    return None


def conversation_token(sender: str) -> str:
    """What reads a conversation's later messages: issued with every answer, so the site's backend can hand it
    to the browser that polls, and worth nothing for any other conversation."""
    return hmac.new(api_key().encode(), f"conversation|{sender}".encode(), hashlib.sha256).hexdigest()[:40]


def may_read(request: Request, sender: str) -> bool:
    supplied = request.headers.get("x-conversation-token") or request.args.get("token") or ""
    return bool(api_key()) and same_secret(supplied, conversation_token(sender))


class RestChannel(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("triage_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            denied = refused_without_key(request)
            if denied is not None:
                return denied
            try:
                incoming = parse_body(request.body)
            except BadRequest as error:
                return response.json({"error": "bad_request", "detail": str(error)}, status=400)
            sender = incoming.sender
            collector = CollectingOutputChannel()
            replayed: List[Dict[str, Any]] = []

            async def replay() -> bool:
                # A resent message is not processed again (rasa_patches/idempotent_messages.py): answer as before.
                assert incoming.message_id is not None
                replayed.extend(await stored_replies(request.app.ctx.agent.tracker_store, sender,
                                                     incoming.message_id))  # fmt: skip
                return bool(replayed)

            message = CustomerMessage(self.name(), sender, incoming.text, incoming.message_id, incoming.metadata or {})
            try:
                reception = await pipeline.receive(message, collector, on_new_message, replay)
            except Exception:  # the store behind a replay or a reply failed: say so, and when to ask again
                logger.exception("message from %s could not be answered", sender)
                reception = None
            if reception is None or reception.failed:
                # 503 + Retry-After tells an integration to resend (with the same message_id,
                # so nothing is processed twice); the body still reads well to a person.
                apology = [{"recipient_id": sender, "text": PROCESSING_ERROR_REPLY}]
                return response.json(apology, status=503, headers={"Retry-After": "1"})
            token = {"X-Conversation-Token": conversation_token(sender)}
            if replayed:
                return response.json(replayed, headers={"X-Triage-Replayed": "true", **token})
            return response.json(collector.messages, headers=token)

        @webhook.route("/messages", methods=["GET"])
        async def messages(request: Request) -> HTTPResponse:
            """Messages for ``sender`` after ``after`` (a Unix time): how a REST
            customer receives what an agent writes while the bot is paused."""
            sender = request.args.get("sender") or ""
            try:
                after = float(request.args.get("after") or 0)
            except ValueError:
                return response.json({"error": "bad_request", "detail": "'after' must be a Unix time"}, status=400)
            if not sender or len(sender) > MAX_SENDER_CHARS or not is_storable(sender):
                return response.json({"error": "bad_request", "detail": "'sender' is required"}, status=400)
            if not (may_read(request, sender) or has_key(request)):
                return response.json({"error": "unauthorized", "detail": "send the conversation's X-Conversation-Token "
                                      "(it came with the bot's answers) or the API key"}, status=401)  # fmt: skip
            try:
                tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
            except Exception:  # the store is down: say so, and when to ask again
                logger.exception("messages for %s could not be read", sender)
                unavailable = {"error": "unavailable", "detail": "conversation store unavailable; retry shortly"}
                return response.json(unavailable, status=503, headers={"Retry-After": "1"})
            events = [] if tracker is None else [e.as_dict() for e in tracker.events]
            return response.json(bot_messages_after(events, after))

        return webhook
