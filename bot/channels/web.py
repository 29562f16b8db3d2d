"""Web chat: Rasa's socket.io channel behind the project's inbound checks, and
the page at ``/chat`` that embeds the rasa-webchat widget (served from
``web/node_modules``, installed by ``make install``: no CDN at run time).

Session persistence works with python-socketio < 5.10 (pinned; rasa#13027).
The widget's ``customData`` reaches the tracker as message metadata
(``metadata_key: customData`` in credentials.yml).
"""

from __future__ import annotations

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

from bot.channels import pipeline
from bot.channels.inbound import CustomerMessage

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
    """socket.io (rasa-webchat's protocol) through the pipeline every channel shares. An agent's reply or the
    welcome-back reaches the customer through ``get_output_channel`` (Rasa's own), emitted to the session's
    room: with several workers the Redis manager carries it to whichever holds the socket."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def through_pipeline(message: UserMessage) -> None:
            text = message.text if isinstance(message.text, str) else ""  # a malformed event: answered as empty
            metadata = message.metadata if isinstance(message.metadata, dict) else {}
            incoming = CustomerMessage(self.name(), message.sender_id, text, metadata=metadata)
            await pipeline.receive(incoming, message.output_channel, on_new_message)

        webhook = super().blueprint(through_pipeline)
        share_rooms_across_workers(self.sio, os.environ.get("SOCKETIO_REDIS_URL"))
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
