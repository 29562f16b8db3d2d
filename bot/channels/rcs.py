"""RCS through Google RCS Business Messaging: ``RcsInput`` (``/webhooks/rcs/webhook``) paired with its output,
the outbound queue (``QueuedOutput("rcs")``), which also reaches an RCS customer after the fact.

RBM verifies the webhook first: it posts ``{"clientToken", "secret"}`` and expects 200 with the secret as the
plain-text body. After that every push carries ``X-Goog-Signature``: base64 HMAC-SHA512 of the decoded message
data, keyed by the client token. RBM serves all of a partner's agents from one queue, so the webhook answers
200 at once and works in the background. User messages (text, a suggestion's ``postbackData``, a file, a
location) go through the shared pipeline; DELIVERED/READ events are receipts (only ever moving forward),
UNSUBSCRIBE/SUBSCRIBE are consent to non-essential messages. A phone RBM cannot reach falls back to SMS in
the outbound queue.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
from datetime import datetime
from functools import partial
from typing import Any, Awaitable, Callable, Dict, Mapping, Text, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import pipeline
from bot.channels.background import Inbox, run_blocking, serve_queued
from bot.channels.choices import with_choice_resolved
from bot.channels.inbound import Attachment, CustomerMessage, is_storable
from bot.channels.phone import handled_as_keyword
from bot.channels.runtime import channel_store, queued_output, rbm_config
from privacy.credentials import same_secret

logger = logging.getLogger(__name__)


def rbm_signature(client_token: str, data: bytes) -> str:
    return base64.b64encode(hmac.new(client_token.encode(), data, hashlib.sha512).digest()).decode()


def decode_push(body: bytes) -> Tuple[bytes, Dict[str, Any]] | None:
    """The push envelope ``{"message": {"data": base64(json)}}`` as (the decoded bytes, which are what is
    signed, and the JSON they hold); None if malformed."""
    try:
        envelope = json.loads(body.decode("utf-8"))
        raw = base64.b64decode(envelope["message"]["data"], validate=True)
        payload = json.loads(raw.decode("utf-8"))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, binascii.Error, RecursionError):
        return None
    return (raw, payload) if isinstance(payload, dict) else None


def handshake_secret(body: bytes, client_token: str) -> Tuple[bool, str] | None:
    """(whether the token is ours, the secret) for a verification request; None for anything else."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(data, dict) or "clientToken" not in data or "secret" not in data or "message" in data:
        return None
    ours = same_secret(data["clientToken"], client_token)
    return ours, str(data["secret"])


E164 = re.compile(r"\+[1-9][0-9]{5,14}")
MAX_TEXT_CHARS = 10_000


def well_formed(payload: Mapping[str, Any]) -> bool:
    """The fields we read have the types RBM's reference gives them (a signed push cannot be forged, but a
    malformed one must be refused, not crash the worker that handles it)."""
    for key in ("messageId", "eventId", "eventType", "text", "sendTime", "agentId"):
        value = payload.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT_CHARS or not is_storable(value)):
            return False
    for key in ("suggestionResponse", "userFile", "location"):
        if payload.get(key) is not None and not isinstance(payload[key], dict):
            return False
    suggestion = payload.get("suggestionResponse") or {}
    return all(isinstance(suggestion.get(k), (str, type(None))) and is_storable(suggestion.get(k) or "")
               for k in ("postbackData", "text"))  # fmt: skip


def _text_field(info: Mapping[str, Any], key: str) -> str | None:
    value = info.get(key)
    return value if isinstance(value, str) and 0 < len(value) <= 2000 and is_storable(value) else None


def sent_at(payload: Mapping[str, Any]) -> float | None:
    """The event's ``sendTime`` (RFC 3339, e.g. "2026-12-01T21:40:31.123456Z") as a Unix time."""
    stamp = payload.get("sendTime")
    if not isinstance(stamp, str):
        return None
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", stamp or "")
    if match is None:
        return None
    # Google gives up to nanoseconds; Python 3.10 reads exactly three or six digits.
    fraction = "." + (match.group(2) or ".")[1:7].ljust(6, "0")
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    try:
        return datetime.fromisoformat(match.group(1) + fraction + zone).timestamp()
    except ValueError:
        return None


def user_content(payload: Mapping[str, Any]) -> Tuple[str, Tuple[Attachment, ...]]:
    """What a user message says: its text or tapped suggestion's postbackData, and any file or location."""
    suggestion = payload.get("suggestionResponse") or {}
    text = str(suggestion.get("postbackData") or payload.get("text") or "") if isinstance(suggestion, dict) else ""
    attachments = []
    user_file = payload.get("userFile")
    if isinstance(user_file, dict) and isinstance(user_file.get("payload"), dict):
        info = user_file["payload"]
        uri, mime, name = (_text_field(info, key) for key in ("fileUri", "mimeType", "fileName"))
        if uri:
            kind = "image" if mime and mime.startswith("image/") else "file"
            attachments.append(Attachment(uri, kind, mime, name))
    location = payload.get("location")
    if isinstance(location, dict) and "latitude" in location and "longitude" in location:
        try:
            latitude, longitude = float(location["latitude"]), float(location["longitude"])
            attachments.append(Attachment(f"geo:{latitude},{longitude}", "location"))
        except (TypeError, ValueError):
            pass
    return text, tuple(attachments)


class RcsInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "rcs"

    @classmethod
    def from_credentials(cls, credentials: Dict[Text, Any] | None) -> InputChannel:
        return cls()

    def __init__(self) -> None:
        self.config = rbm_config()
        self.inbox = Inbox(self.name())

    def get_output_channel(self) -> OutputChannel | None:
        """How the hand-off reaches an RCS customer later; None (collect only) until RBM is configured."""
        return queued_output(self.name()) if self.config else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("rcs_webhook", __name__)

        serve_queued(webhook, self.config is not None, self.inbox)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.config is None:
                return response.json({"error": "rcs_not_configured"}, status=503)
            handshake = handshake_secret(request.body, self.config.client_token)
            if handshake is not None:
                ours, secret = handshake
                if not ours:
                    return response.json({"error": "invalid_client_token"}, status=403)
                # RBM's registration: 200 with the secret as the whole plain-text body.
                return response.text(secret, content_type="text/plain; charset=utf-8")
            push = decode_push(request.body)
            if push is None:
                return response.json({"error": "bad_request", "detail": "expected an RBM push message"}, status=400)
            raw, payload = push
            signature = request.headers.get("x-goog-signature", "")
            if not same_secret(signature, rbm_signature(self.config.client_token, raw)):
                return response.json({"error": "invalid_signature"}, status=403)
            if payload.get("agentId") not in (None, self.config.agent_id):
                # One queue serves every agent of a partner: another agent's customers are not ours to answer.
                return response.json({})
            phone = payload.get("senderPhoneNumber")
            if not isinstance(phone, str) or not E164.fullmatch(phone) or not well_formed(payload):
                return response.json({"error": "bad_request", "detail": "not an RBM user message or event"}, status=400)
            self.inbox.submit(phone, partial(self._handle, payload, on_new_message))
            return response.json({})

        return webhook

    async def _handle(self, payload: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        store, phone = channel_store(), str(payload.get("senderPhoneNumber") or "")
        if payload.get("eventType"):
            await run_blocking(self._event, phone, payload)
            return
        message_id = payload.get("messageId")
        if not message_id:
            return
        text, attachments = user_content(payload)
        message = CustomerMessage(self.name(), phone, text, str(message_id), {"agent_id": payload.get("agentId")},
                                  attachments)  # fmt: skip
        output = queued_output(self.name())
        if await handled_as_keyword(store, message, output):
            return
        message = await run_blocking(with_choice_resolved, store, message)
        await pipeline.receive(message, output, on_new_message)

    @staticmethod
    def _event(phone: str, payload: Dict[str, Any]) -> None:
        store, event = channel_store(), str(payload["eventType"])
        if event in ("DELIVERED", "READ") and payload.get("messageId"):
            store.record_receipt(str(payload["messageId"]), "rcs", event)
        elif event in ("UNSUBSCRIBE", "SUBSCRIBE"):
            # "No further non-essential messages": answers to the customer's own messages still go. Events can
            # arrive out of order: the change made last (by its sendTime) is the one that holds.
            store.set_opted_out("rcs", phone, event == "UNSUBSCRIBE", f"rcs {event}", scope="marketing",
                                at=sent_at(payload))  # fmt: skip
