"""E-mail: ``EmailInput`` (``/webhooks/email/inbound`` and ``/webhooks/email/unsubscribe``) paired with its
output, the outbound queue (``QueuedOutput("email")``), which also reaches an e-mail customer after the fact
(an agent's reply, the welcome-back) through ``get_output_channel``.

**Inbound** takes the raw MIME message the way Mailgun's routes post it to a ``…mime`` URL: form fields
``body-mime`` (the whole RFC 5322 message), ``timestamp``, ``token`` and ``signature``, the hex HMAC-SHA256 of
timestamp + token under the signing key. The signature covers only those two fields, so a captured one could
carry another body: a token is accepted once, and a timestamp older than ``EMAIL_WEBHOOK_MAX_AGE_SECONDS``
(120 s, as Rails' Action Mailbox applies to Mailgun) is refused. The provider gets 200 at once; the message
is handled in the background, in order per customer.

The conversation is the sender's address. Automatic mail (auto-replies, notifications, mailing lists) is
never answered; a bounce marks the message it reports as failed; a complaint stops everything but direct
replies to that address. A customer's e-mail is answered with one e-mail per turn: what the bot says while
handling it is collected and queued as one message, threaded under the customer's subject.

**Unsubscribe** is RFC 8058's one-click: ``POST`` with ``List-Unsubscribe=One-Click`` to the signed link every
non-reply e-mail carries. ``GET`` shows a page with the same button (mail scanners follow links: a GET never
changes anything).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import time
from functools import partial
from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import pipeline
from bot.channels.background import Inbox, run_blocking, serve_queued
from bot.channels.email_parse import InboundEmail, NotAnEmail, parse
from bot.channels.email_sender import MARKETING, SERVICE, unsubscribe_request
from bot.channels.inbound import Attachment, CustomerMessage
from bot.channels.rendering import choice_for
from bot.channels.runtime import channel_store, email_config, email_store, outbox, queued_output
from privacy.credentials import same_secret

logger = logging.getLogger(__name__)
MAX_MIME_BYTES = 10 * 1024 * 1024  # beyond any support e-mail; attachments are only listed for the agent


class EmailTurn(CollectingOutputChannel):
    """Collects what the bot says while it handles one e-mail: the customer gets it as one e-mail. Its name
    picks responses' ``channel: email`` variations."""

    @classmethod
    def name(cls) -> Text:
        return "email"


def signed(key: str, timestamp: str, token: str, signature: str) -> bool:
    expected = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return same_secret(expected, signature)


def _fresh(timestamp: str, max_age: float, now: float) -> bool:
    try:
        sent = float(timestamp)
    except ValueError:
        return False
    return abs(now - sent) <= max_age


class EmailInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "email"

    @classmethod
    def from_credentials(cls, credentials: Dict[Text, Any] | None) -> InputChannel:
        return cls()

    def __init__(self) -> None:
        self.config = email_config()
        self.inbox = Inbox(self.name())

    def get_output_channel(self) -> OutputChannel | None:
        return queued_output(self.name()) if self.config else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("email_webhook", __name__)

        serve_queued(webhook, self.config is not None, self.inbox)

        @webhook.route("/inbound", methods=["POST"])
        async def inbound(request: Request) -> HTTPResponse:
            config = self.config
            if config is None or not config.webhook_signing_key:
                return response.json({"error": "email_not_configured"}, status=503)
            fields = {name: request.form.get(name) or "" for name in ("timestamp", "token", "signature")}
            if not all(fields.values()) or not signed(config.webhook_signing_key, **fields):
                return response.json({"error": "invalid_signature"}, status=401)
            if not _fresh(fields["timestamp"], config.webhook_max_age_seconds, time.time()):
                return response.json({"error": "stale", "detail": "the timestamp is too old"}, status=401)
            if not await run_blocking(channel_store().first_time, f"email-token:{fields['token']}"):
                return response.json({"duplicate": True})  # a replay, or the provider's retry: already taken
            raw = _mime(request)
            if raw is None:
                return response.json({"error": "bad_request", "detail": "body-mime must hold the message"}, status=400)
            try:
                mail = parse(raw, config.trusted_authserv_id)
            except NotAnEmail as bad:
                return response.json({"error": "bad_request", "detail": str(bad)}, status=400)
            if (
                mail.from_address == config.from_address
                or mail.from_address.endswith(f"@{config.domain}")
                and (mail.from_address.startswith(config.from_address.partition("@")[0] + "+"))
            ):
                return response.json({"ignored": "our own address"})  # a loop through a forwarding rule
            if mail.kind != "message":
                await run_blocking(self._record_report, mail)
                return response.json({"ignored": mail.kind})
            self.inbox.submit(mail.from_address, partial(self._handle, mail, on_new_message))
            return response.json({"accepted": True})

        @webhook.route("/unsubscribe", methods=["GET", "POST"])
        async def unsubscribe(request: Request) -> HTTPResponse:
            config = self.config
            if config is None:
                return response.json({"error": "email_not_configured"}, status=503)
            scope = request.args.get("s") or MARKETING
            address = unsubscribe_request(config, request.args.get("a") or "", scope, request.args.get("sig") or "")
            if address is None:
                return response.html(_page("This link is not valid", "Please use the link in our latest e-mail."),
                                     status=400)  # fmt: skip
            if request.method == "GET":
                return response.html(_confirm_page(request.url))
            await run_blocking(channel_store().set_opted_out, "email", address, True, "unsubscribe link",
                               "all" if scope == SERVICE else "marketing")  # fmt: skip
            logger.info("an e-mail address unsubscribed (%s)", scope)
            return response.html(_page("You are unsubscribed", "We will not send you these e-mails any more. "
                                       "Replies to messages you send us still reach you."))  # fmt: skip

        return webhook

    # -- handling ---------------------------------------------------------------------
    @staticmethod
    def _record_report(mail: InboundEmail) -> None:
        """A bounce marks the message it reports as failed; a complaint stops all but replies to that address."""
        if mail.kind == "auto_reply":
            logger.info("an automatic e-mail was not answered")
            return
        sent = email_store().sent(mail.reported_message_id) if mail.reported_message_id else None
        if mail.kind == "bounce" and mail.reported_message_id and sent is not None:
            channel_store().record_receipt(mail.reported_message_id, "email", "undelivered", mail.status)
        if mail.kind == "complaint":
            address = sent[0] if sent else mail.failed_recipient
            if address:
                channel_store().set_opted_out("email", address, True, "complaint (RFC 5965)", "marketing")
        logger.info("e-mail %s report about %s (ours: %s)", mail.kind, mail.reported_message_id, sent is not None)

    async def _handle(self, mail: InboundEmail, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        address = mail.from_address
        await run_blocking(email_store().note_customer_message, address, mail.subject, mail.message_id,
                           mail.references)  # fmt: skip
        offered = await run_blocking(channel_store().take_offer, address)
        text = choice_for(mail.text, offered) or mail.text
        message = CustomerMessage(
            self.name(),
            address,
            text,
            mail.message_id,
            {
                "email": {
                    "subject": mail.subject[:300],
                    "sender_proven": mail.sender_proven,
                    "reply_token": mail.reply_token,
                }
            },  # fmt: skip
            tuple(
                Attachment(f"email:{a.filename}", _kind(a.content_type), a.content_type, a.filename)
                for a in mail.attachments[:10]
            ),  # fmt: skip
        )
        turn = EmailTurn()
        await pipeline.receive(message, turn, on_new_message)
        said = [_said(m) for m in turn.messages]
        if said:
            key = f"turn:email:{mail.message_id}" if mail.message_id else None
            await run_blocking(outbox().enqueue, self.name(), address, {"messages": said}, "bot", key)
            queued_output(self.name()).worker.wake()


def _said(message: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in message.items() if k not in ("recipient_id", "timestamp") and v not in (None, "", [])}


def _kind(content_type: str) -> str:
    return "image" if content_type.startswith("image/") else "file"


def _mime(request: Request) -> bytes | None:
    files = request.files.get("body-mime") if request.files else None
    if files:
        raw = files.body
    else:
        text = request.form.get("body-mime")
        raw = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else None
    if not raw or len(raw) > MAX_MIME_BYTES:
        return None
    return bytes(raw)


def _page(title: str, text: str) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body style='font-family:sans-serif;max-width:36em;margin:3em auto'><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(text)}</p></body></html>")  # fmt: skip


def _confirm_page(url: str) -> str:
    return (_page("Stop these e-mails?", "Press the button to stop them. Replies to messages you send us still "
                  "reach you.").replace("</body>", f"<form method='post' action='{html.escape(url, quote=True)}'>"
                  "<input type='hidden' name='List-Unsubscribe' value='One-Click'>"
                  "<button type='submit'>Unsubscribe</button></form></body>"))  # fmt: skip
