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
import secrets
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Text

import socketio
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import pipeline, web_sessions
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
    """socket.io (rasa-webchat's protocol) through the pipeline every channel shares, with sessions the server
    issues (``web_sessions.py``): a socket speaks only for the session it was given. An agent's reply or the
    welcome-back reaches the customer through ``get_output_channel`` (Rasa's own), emitted to the session's
    room: with several workers the Redis manager carries it to whichever holds the socket."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Dict[Text, Any] | None) -> InputChannel:
        credentials = dict(credentials or {})
        entry = credentials.pop("init_payload", "/greet")
        channel = super().from_credentials(credentials)
        assert isinstance(channel, WebChatInput)
        channel.entry_payloads = frozenset({str(entry)} if entry else set())
        return channel

    entry_payloads: frozenset = frozenset({"/greet"})  # the widget's initPayload (chat.html), sent unasked

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        sio, secret = self.sio, session_secret()
        sessions: Dict[str, str] = {}  # socket id -> the conversation it was given

        # Rasa's own handlers take any session id a client names; these replace them (same events).
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any) -> None:
            offered = data.get("session_id") if isinstance(data, dict) else None
            token = offered if web_sessions.conversation_of(offered, secret) else web_sessions.issue(secret)
            conversation = web_sessions.conversation_of(token, secret)
            assert conversation is not None
            previous = sessions.get(sid)
            if previous and previous != conversation:
                sio.leave_room(sid, previous)
            sessions[sid] = conversation
            sio.enter_room(sid, conversation)
            await sio.emit("session_confirm", token, room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            conversation = sessions.get(sid)
            if conversation is None or not isinstance(data, dict):
                return  # no session yet (the widget always asks for one first), or not a message at all
            claimed = data.get("session_id")
            if claimed is not None and web_sessions.conversation_of(claimed, secret) != conversation:
                return  # a socket speaks for its own session only
            raw = data.get("message")
            text = raw if isinstance(raw, str) else ""
            metadata = data.get(self.metadata_key)
            metadata = metadata if isinstance(metadata, dict) else {}
            incoming = CustomerMessage(self.name(), conversation, text, metadata=metadata)
            await pipeline.receive(incoming, SocketIOOutput(sio, self.bot_message_evt), on_new_message,
                                   entry_payloads=self.entry_payloads)  # fmt: skip

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text) -> None:
            sessions.pop(sid, None)

        share_rooms_across_workers(sio, os.environ.get("SOCKETIO_REDIS_URL"))
        return webhook


def session_secret() -> bytes:
    """Shared by every Rasa worker (the launcher sets it); a process without one signs for itself alone."""
    configured = os.environ.get("WEBCHAT_SESSION_SECRET")
    return configured.encode() if configured else _PROCESS_SECRET


_PROCESS_SECRET = secrets.token_bytes(32)


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
