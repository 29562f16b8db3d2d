"""RCS through Google RCS Business Messaging (``/webhooks/rcs/webhook``).

RBM first verifies the webhook (clientToken + secret handshake); after that
every push carries ``X-Goog-Signature``: base64 HMAC-SHA512 of the decoded
message data with the client token. User messages (text, or a suggestion's
``postbackData``: the button payload) go to the bot in the background; the
webhook answers 200 at once. DELIVERED/READ events are recorded; duplicates
are dropped. Replies go out as agentMessages with suggestion chips or rich
cards. A 404 from RBM means the phone cannot receive RCS: that customer is
reached by SMS from then on.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
from functools import partial
from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.bot_turn import ask_bot
from bot.channels.rbm_api import RbmConfig
from bot.channels.rcs_delivery import RcsDelivery
from bot.channels.sms_store import sms_store

logger = logging.getLogger(__name__)


def rbm_signature(client_token: str, data: bytes) -> str:
    return base64.b64encode(hmac.new(client_token.encode(), data, hashlib.sha512).digest()).decode()


def decode_push(body: bytes) -> Dict[str, Any] | None:
    """The Pub/Sub-style push envelope ``{"message": {"data": base64(json)}}`` as
    ``{"raw": decoded bytes (what is signed), "payload": parsed JSON}``; None if malformed."""
    try:
        envelope = json.loads(body.decode("utf-8"))
        raw = base64.b64decode(envelope["message"]["data"], validate=True)
        return {"raw": raw, "payload": json.loads(raw.decode("utf-8"))}
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


class RcsInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "rcs"

    @classmethod
    def from_credentials(cls, credentials: Dict[Text, Any] | None) -> InputChannel:
        return cls()

    def __init__(self) -> None:
        self.config = RbmConfig.from_env()
        self.delivery = RcsDelivery.from_env()
        self._tasks: set = set()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("rcs_webhook", __name__)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.config is None:
                return response.json({"error": "rcs_not_configured"}, status=503)
            handshake = self._handshake(request.body)
            if handshake is not None:
                return handshake
            push = decode_push(request.body)
            if push is None:
                return response.json({"error": "bad_request", "detail": "expected an RBM push message"}, status=400)
            signature = request.headers.get("x-goog-signature", "")
            if not hmac.compare_digest(signature, rbm_signature(self.config.client_token, push["raw"])):
                return response.json({"error": "invalid_signature"}, status=403)
            task = asyncio.get_running_loop().create_task(self._handle(push["payload"], on_new_message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return response.json({})

        return webhook

    def _handshake(self, body: bytes) -> HTTPResponse | None:
        """RBM's webhook verification: echo the secret when the client token matches."""
        assert self.config is not None
        try:
            data = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict) or "clientToken" not in data or "secret" not in data:
            return None
        if not hmac.compare_digest(str(data["clientToken"]), self.config.client_token):
            return response.json({"error": "invalid_client_token"}, status=403)
        return response.json({"secret": data["secret"]})

    @staticmethod
    async def _run(function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args))

    async def _handle(self, payload: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        store = sms_store()
        try:
            phone = str(payload.get("senderPhoneNumber") or "")
            event_id = payload.get("eventId") or payload.get("messageId")
            if not phone or not event_id or not await self._run(store.first_time, f"rcs:{event_id}"):
                return
            if payload.get("eventType"):
                if payload["eventType"] in {"DELIVERED", "READ"} and payload.get("messageId"):
                    await self._run(store.record_status, f"rcs:{payload['messageId']}", payload["eventType"], None)
                return
            suggestion = payload.get("suggestionResponse") or {}
            text = suggestion.get("postbackData") or payload.get("text") or ""
            messages = await ask_bot(
                on_new_message, str(text), phone, self.name(), {"agent_id": payload.get("agentId")}
            )
            await self._run(self.delivery.deliver, phone, messages)
        except Exception:  # a background task has nobody to report to but the log
            logger.exception("RCS message could not be handled")
