"""REST channel (``POST /webhooks/rest/webhook``) that rejects bad requests cleanly.

Same wire format as Rasa's ``RestInput`` (``{"sender", "message", "metadata"}``
in, a JSON list of bot messages out), but malformed JSON or missing fields get
a 400 with an explanation instead of a 500, and empty or over-long messages
get a polite reply without touching the conversation.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Dict, List, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inbound import check_inbound_text
from handoff.runtime import ticket_store
from handoff.settings import settings as handoff_settings
from handoff.status import waiting_reply

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128
PROCESSING_ERROR_REPLY = (
    "Sorry, something went wrong on our side and I couldn't process that. "
    'Please try again in a moment, or say "agent" to reach a member of our team.'
)


class BadRequest(ValueError):
    """The request body is not a valid message; the text says why."""


def bot_messages_after(events: List[Dict[str, Any]], after: float) -> List[Dict[str, Any]]:
    """Bot and agent messages newer than ``after``, oldest first."""
    return [
        {"text": e.get("text"), "timestamp": e.get("timestamp"),
         "from": "agent" if (e.get("metadata") or {}).get("agent") else "bot",
         "agent": (e.get("metadata") or {}).get("agent"), "buttons": (e.get("data") or {}).get("buttons")}
        for e in events
        if e.get("event") == "bot" and float(e.get("timestamp") or 0) > after
    ]  # fmt: skip


async def waiting_status(sender: str) -> List[Dict[str, Any]]:
    """While a hand-off is pending, tell the customer where they stand (never silence)."""
    store = ticket_store()
    record = await asyncio.get_running_loop().run_in_executor(None, store.open_ticket_for, sender)
    if record is None:
        return []
    position = await asyncio.get_running_loop().run_in_executor(None, store.position_in_queue, record.id)
    text = waiting_reply(record, position, handoff_settings(), datetime.now(timezone.utc))
    return [{"recipient_id": sender, "text": text}] if text else []


def is_encodable(text: str) -> bool:
    """False for strings with lone surrogates, which cannot be stored as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_body(body: bytes) -> Tuple[str, str, Dict[str, Any] | None]:
    """Validate a webhook body; returns (sender, message, metadata)."""
    try:
        payload = json.loads((body or b"").decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BadRequest('body must be UTF-8 JSON like {"sender": "abc", "message": "hi"}') from None
    if not isinstance(payload, dict):
        raise BadRequest("body must be a JSON object")
    sender, message, metadata = payload.get("sender"), payload.get("message"), payload.get("metadata")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest("'sender' must be a non-empty string")
    if len(sender) > MAX_SENDER_CHARS or not sender.isprintable():
        raise BadRequest(f"'sender' must be at most {MAX_SENDER_CHARS} printable characters")
    if not isinstance(message, str):
        raise BadRequest("'message' must be a string")
    if not is_encodable(sender) or not is_encodable(message):
        raise BadRequest("'sender' and 'message' must be valid Unicode text (no lone surrogates)")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("'metadata' must be a JSON object when given")
    return sender, message, metadata


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
            try:
                sender, raw_text, metadata = parse_body(request.body)
            except BadRequest as error:
                return response.json({"error": "bad_request", "detail": str(error)}, status=400)
            checked = check_inbound_text(raw_text)
            if checked.reply is not None:
                return response.json([{"recipient_id": sender, "text": checked.reply}])
            collector = CollectingOutputChannel()
            if checked.notice:
                collector.messages.append({"recipient_id": sender, "text": checked.notice})
            try:
                await on_new_message(
                    UserMessage(checked.text, collector, sender, input_channel=self.name(), metadata=metadata)
                )
            except Exception:  # the customer still gets an answer; the log gets the trace
                logger.exception("message from %s could not be processed", sender)
                collector.messages.append({"recipient_id": sender, "text": PROCESSING_ERROR_REPLY})
            if not collector.messages:
                collector.messages.extend(await waiting_status(sender))
            return response.json(collector.messages)

        @webhook.route("/messages", methods=["GET"])
        async def messages(request: Request) -> HTTPResponse:
            """Messages for ``sender`` after ``after`` (a Unix time): how a REST
            customer receives what an agent writes while the bot is paused."""
            sender = request.args.get("sender") or ""
            try:
                after = float(request.args.get("after") or 0)
            except ValueError:
                return response.json({"error": "bad_request", "detail": "'after' must be a Unix time"}, status=400)
            if not sender or len(sender) > MAX_SENDER_CHARS:
                return response.json({"error": "bad_request", "detail": "'sender' is required"}, status=400)
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
            events = [] if tracker is None else [e.as_dict() for e in tracker.events]
            return response.json(bot_messages_after(events, after))

        return webhook
