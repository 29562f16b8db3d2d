"""REST channel (``POST /webhooks/rest/webhook``) that rejects bad requests cleanly.

Same wire format as Rasa's ``RestInput`` (``{"sender", "message", "metadata"}``
in, a JSON list of bot messages out), but malformed JSON or missing fields get
a 400 with an explanation instead of a 500, and empty or over-long messages
get a polite reply without touching the conversation.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inbound import check_inbound_text

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128
PROCESSING_ERROR_REPLY = (
    "Sorry, something went wrong on our side and I couldn't process that. "
    'Please try again in a moment, or say "agent" to reach a member of our team.'
)


class BadRequest(ValueError):
    """The request body is not a valid message; the text says why."""


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
            return response.json(collector.messages)

        return webhook
