"""SMS through Twilio Programmable Messaging (``/webhooks/sms/webhook``).

Every request is checked against ``X-Twilio-Signature`` (computed over the
public URL Twilio called, for deployments behind a proxy), answered at once
with empty TwiML (Twilio waits 15 s at most) and handled in the background.
Retries are dropped by MessageSid. STOP/START/HELP never reach the NLU and
consent is enforced before anything is sent. Replies go out through the
Messages REST API: buttons as numbered choices, long answers cut to a segment
budget, images as media URLs.
"""

from __future__ import annotations

import asyncio
import logging
import os
from functools import partial
from typing import Any, Awaitable, Callable, Dict, List, Text
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot.channels.bot_turn import ask_bot
from bot.channels.rendering import carrier_keyword, choice_for, render_for_sms
from bot.channels.sms_store import SmsStore, sms_store
from bot.channels.twilio_api import OPTED_OUT, SmsSendFailed, TwilioClient, TwilioConfig

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
HELP_TEXT = (
    "Support assistant: ask about orders, returns, refunds, invoices and payments, or reply AGENT for a "
    "person. Reply STOP to stop messages. Msg&data rates may apply."
)
START_TEXT = "You're subscribed again. How can I help? Reply STOP to stop messages."


def form_params(body: bytes) -> Dict[str, Any]:
    """Form fields as Twilio signed them: blank values kept, repeated keys as lists."""
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return {}
    return {key: values[0] if len(values) == 1 else values for key, values in parsed.items()}


def first(params: Dict[str, Any], key: str) -> str | None:
    value = params.get(key)
    return value[0] if isinstance(value, list) else value


class SmsInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "sms"

    @classmethod
    def from_credentials(cls, credentials: Dict[Text, Any] | None) -> InputChannel:
        return cls()

    def __init__(self) -> None:
        self.config = TwilioConfig.from_env()
        self.public_url = os.environ.get("SMS_PUBLIC_URL", "").rstrip("/")
        self.max_segments = int(os.environ.get("SMS_MAX_SEGMENTS", 3))
        self.overflow_link = os.environ.get("SMS_OVERFLOW_URL") or None
        self.client = TwilioClient(self.config) if self.config else None
        self._tasks: set = set()

    # -- request checks ---------------------------------------------------------
    def _signed(self, request: Request, path: str, params: Dict[str, Any]) -> bool:
        assert self.config is not None
        url = f"{self.public_url}{path}" if self.public_url else request.url
        signature = request.headers.get("x-twilio-signature", "")
        return bool(signature) and RequestValidator(self.config.auth_token).validate(url, params, signature)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("sms_webhook", __name__)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.config is None:
                return response.json({"error": "sms_not_configured"}, status=503)
            params = form_params(request.body)
            if not self._signed(request, "/webhooks/sms/webhook", params):
                return response.json({"error": "invalid_signature"}, status=403)
            form = {key: first(params, key) for key in ("MessageSid", "From", "To", "Body", "NumMedia")}
            if not form["MessageSid"] or not form["From"]:
                return response.json({"error": "bad_request", "detail": "MessageSid and From are required"}, status=400)
            task = asyncio.get_running_loop().create_task(self._handle(form, on_new_message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        @webhook.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            if self.config is None:
                return response.json({"error": "sms_not_configured"}, status=503)
            params = form_params(request.body)
            if not self._signed(request, "/webhooks/sms/status", params):
                return response.json({"error": "invalid_signature"}, status=403)
            sid, state = first(params, "MessageSid"), first(params, "MessageStatus")
            if sid and state:
                await self._run(sms_store().record_status, sid, state, first(params, "ErrorCode"))
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return webhook

    # -- handling ---------------------------------------------------------------
    @staticmethod
    async def _run(function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args))

    async def _handle(
        self, form: Dict[str, str | None], on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        store, phone, body = sms_store(), str(form["From"]), form.get("Body") or ""
        try:
            if not await self._run(store.first_time, form["MessageSid"]):
                return  # Twilio retried a message we already handled
            keyword = carrier_keyword(body)
            if keyword == "stop":
                await self._run(store.set_opted_out, phone, True, "keyword")
                return  # Twilio confirms STOP itself; nothing more may be sent
            if keyword == "start":
                await self._run(store.set_opted_out, phone, False, "keyword")
                await self._send(store, phone, [(START_TEXT, [])])
                return
            if keyword == "help":
                await self._send(store, phone, [(HELP_TEXT, [])], even_if_opted_out=True)
                return
            if await self._run(store.is_opted_out, phone):
                return
            choice = choice_for(body, await self._run(store.offered, phone))
            messages = await ask_bot(on_new_message, choice or body, phone, self.name(), {"to": form.get("To")})
            rendered, choices = render_for_sms(messages, self.max_segments, self.overflow_link)
            await self._run(store.offer, phone, choices)
            await self._send(store, phone, rendered)
        except Exception:  # a background task has nobody to report to but the log
            logger.exception("SMS %s could not be handled", form.get("MessageSid"))

    async def _send(self, store: SmsStore, phone: str, messages: List[tuple], even_if_opted_out: bool = False) -> None:
        assert self.client is not None
        for text, media in messages:
            if not even_if_opted_out and await self._run(store.is_opted_out, phone):
                return
            try:
                await self._run(self.client.send, phone, text, media)
            except SmsSendFailed as failed:
                if failed.code == OPTED_OUT:
                    await self._run(store.set_opted_out, phone, True, "carrier 21610")
                    return
                logger.warning("SMS to a customer failed: %s", failed)
