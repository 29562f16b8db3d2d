"""Web chat: Rasa's socket.io channel behind the project's inbound checks, and
the page at ``/chat`` that embeds the rasa-webchat widget (served from
``web/node_modules``, installed by ``make install``: no CDN at run time).

Session persistence works with python-socketio < 5.10 (pinned; rasa#13027).
The widget's ``customData`` reaches the tracker as message metadata
(``metadata_key: customData`` in credentials.yml).
"""

from __future__ import annotations

import hmac
import logging
import os
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Text

import socketio
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inbound import PROCESSING_ERROR_REPLY, check_inbound_text

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
WIDGET = ROOT / "web" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
PAGE = Path(__file__).with_name("static") / "chat.html"


def share_rooms_across_workers(sio: Any, redis_url: str | None) -> None:
    """With several Rasa workers a customer's socket lives in one of them; a Redis
    client manager relays every emit (an agent's push included) to whichever holds it."""
    if not redis_url:
        return
    manager = socketio.AsyncRedisManager(redis_url, channel="triage-socketio")
    manager.set_server(sio)
    sio.manager = manager


class WebChatInput(SocketIOInput):
    """socket.io (rasa-webchat's protocol) with the same checks as every channel."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def checked(message: UserMessage) -> None:
            result = check_inbound_text(message.text or "")
            recipient = message.sender_id
            if result.reply is not None:
                await message.output_channel.send_text_message(recipient, result.reply)
                return
            if result.notice:
                await message.output_channel.send_text_message(recipient, result.notice)
            message.text = result.text
            try:
                await on_new_message(message)
            except Exception:  # the customer hears that it failed; the log gets the trace
                logger.exception("a web chat message could not be processed")
                await message.output_channel.send_text_message(recipient, PROCESSING_ERROR_REPLY)

        webhook = super().blueprint(checked)
        share_rooms_across_workers(self.sio, os.environ.get("SOCKETIO_REDIS_URL"))

        @webhook.route("/push", methods=["POST"])
        async def push(request: Request) -> HTTPResponse:
            """An agent's message to a web-chat customer (the hand-off relay calls this)."""
            token = os.environ.get("RASA_AUTH_TOKEN", "")
            supplied = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not token or not hmac.compare_digest(supplied, token):
                return response.json({"error": "unauthorized"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            session_id, text = body.get("session_id"), body.get("text")
            if not isinstance(session_id, str) or not isinstance(text, str) or not text.strip():
                return response.json({"error": "bad_request", "detail": "session_id and text are required"}, status=400)
            await self.sio.emit(self.bot_message_evt, {"text": text}, room=session_id)
            return response.json({"sent": True})

        return webhook


class WebChatPage(InputChannel):
    """Serves ``/chat`` (the page) and ``/chat/webchat.js`` (the widget)."""

    @classmethod
    def name(cls) -> Text:
        return "chat"

    @classmethod
    def from_credentials(cls, credentials: Dict[Text, Any] | None) -> InputChannel:
        return cls()

    def url_prefix(self) -> Text:
        # Rasa joins this onto "/webhooks/"; an absolute path puts the page at /chat.
        return "/chat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        page = Blueprint("webchat_page", __name__)

        @page.route("/", methods=["GET"])
        async def chat(_: Request) -> HTTPResponse:
            return response.html(PAGE.read_text(encoding="utf-8"))

        @page.route("/webchat.js", methods=["GET"])
        async def widget(_: Request) -> HTTPResponse:
            if not WIDGET.exists():
                return response.text("web chat widget not installed: run `make install`", status=503)
            return await response.file(WIDGET, mime_type="application/javascript")

        return page
