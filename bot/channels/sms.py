"""SMS through Twilio Programmable Messaging: ``SmsInput`` (``/webhooks/sms/webhook`` and ``/status``) paired
with its output, the outbound queue (``QueuedOutput("sms")``), which also reaches an SMS customer after the
fact (an agent's reply, the welcome-back) through ``get_output_channel``.

Every request must carry ``X-Twilio-Signature`` over the URL Twilio called (the public URL, query string
included) and every form field; Twilio gets an empty TwiML answer at once and the message is handled in the
background. Carrier keywords (STOP, START, YES, HELP...) never reach the NLU; an opted-out number is neither
answered nor processed. Buttons went out as numbered choices, so a reply of "2" is the second button's
payload. Pictures (MMS) are kept as attachments for an agent; the bot says it reads text.
"""

from __future__ import annotations

import logging
import os
from functools import partial
from typing import Any, Awaitable, Callable, Dict, List, Text
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot.channels import pipeline
from bot.channels.background import Inbox, run_blocking, serve_queued
from bot.channels.choices import with_choice_resolved
from bot.channels.inbound import Attachment, CustomerMessage
from bot.channels.phone import handled_as_keyword
from bot.channels.receipts import FAILED_STATUSES, normalise
from bot.channels.runtime import channel_store, queued_output, twilio_config
from bot.channels.twilio_api import OPTED_OUT

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MAX_MEDIA = 10  # Twilio: at most 10 media items per message


def form_params(body: bytes) -> Dict[str, Any]:
    """Form fields as Twilio signed them: blank values kept, repeated keys as lists."""
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {key: values[0] if len(values) == 1 else values for key, values in parsed.items()}


def first(params: Dict[str, Any], key: str) -> str | None:
    value = params.get(key)
    return value[0] if isinstance(value, list) else value


def media_of(params: Dict[str, Any]) -> List[Attachment]:
    """The MMS pictures Twilio lists as MediaUrl0.. / MediaContentType0.. (NumMedia of them)."""
    try:
        count = min(int(first(params, "NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    attachments = []
    for index in range(count):
        url = first(params, f"MediaUrl{index}")
        if url:
            content_type = first(params, f"MediaContentType{index}")
            kind = (content_type or "file").split("/")[0] if content_type else "file"
            attachments.append(Attachment(url, "image" if kind == "image" else "file", content_type))
    return attachments


class SmsInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "sms"

    @classmethod
    def from_credentials(cls, credentials: Dict[Text, Any] | None) -> InputChannel:
        return cls()

    def __init__(self) -> None:
        self.config = twilio_config()
        self.public_url = os.environ.get("SMS_PUBLIC_URL", "").rstrip("/")
        self.inbox = Inbox(self.name())

    def get_output_channel(self) -> OutputChannel | None:
        """How the hand-off reaches an SMS customer later; None (collect only) until Twilio is configured."""
        return queued_output(self.name()) if self.config else None

    # -- request checks -----------------------------------------------------------
    def _signed(self, request: Request, params: Dict[str, Any]) -> bool:
        """Twilio signs the full URL it called: scheme, host, path and query string."""
        assert self.config is not None
        url = (
            f"{self.public_url}{request.path}"
            if self.public_url
            else f"{request.scheme}://{request.host}{request.path}"
        )
        if request.query_string:
            url += f"?{request.query_string}"
        signature = request.headers.get("x-twilio-signature", "")
        if not signature or any(isinstance(value, list) for value in params.values()):
            return False  # Twilio never repeats a parameter (and the validator cannot sign a repeated one)
        return bool(RequestValidator(self.config.auth_token).validate(url, params, signature))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("sms_webhook", __name__)

        serve_queued(webhook, self.config is not None, self.inbox)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.config is None:
                return response.json({"error": "sms_not_configured"}, status=503)
            params = form_params(request.body)
            if not self._signed(request, params):
                return response.json({"error": "invalid_signature"}, status=403)
            sid, phone = first(params, "MessageSid"), first(params, "From")
            if not sid or not phone:
                return response.json({"error": "bad_request", "detail": "MessageSid and From are required"}, status=400)
            message = CustomerMessage(
                self.name(),
                phone,
                first(params, "Body") or "",
                sid,
                {"to": first(params, "To")},
                tuple(media_of(params)),
            )
            self.inbox.submit(phone, partial(self._handle, message, on_new_message))
            return response.text(EMPTY_TWIML, content_type="text/xml")

        @webhook.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            if self.config is None:
                return response.json({"error": "sms_not_configured"}, status=503)
            params = form_params(request.body)
            if not self._signed(request, params):
                return response.json({"error": "invalid_signature"}, status=403)
            sid, state = first(params, "MessageSid"), first(params, "MessageStatus")
            if sid and state:
                await run_blocking(self._record_status, sid, state, first(params, "ErrorCode"), first(params, "To"))
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return webhook

    # -- handling ---------------------------------------------------------------------
    @staticmethod
    def _record_status(sid: str, state: str, error_code: str | None, to: str | None) -> None:
        store = channel_store()
        store.record_receipt(sid, "sms", state, error_code)
        # Twilio reports an unsubscribed recipient in the status callback too: the opt-out holds from now on.
        if to and normalise(state) in FAILED_STATUSES and error_code == str(OPTED_OUT):
            store.set_opted_out("sms", to, True, "carrier 21610")

    async def _handle(self, message: CustomerMessage, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        store, output = channel_store(), queued_output(self.name())
        if await handled_as_keyword(store, message, output):
            return
        message = await run_blocking(with_choice_resolved, store, message)
        await pipeline.receive(message, output, on_new_message)
