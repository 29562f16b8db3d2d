"""A customer on each channel, as the tests play them: what they send goes in the way their provider sends it
(a signed Twilio webhook, a signed RBM push, a socket.io event, a REST call), and what they "see" is only what
reached them on that channel (what the Twilio or RBM double accepted, what the socket received, what the REST
client was answered or can fetch). Nothing here reads the bot's database."""

from __future__ import annotations

import queue
import time
import uuid
from typing import Callable, List, Tuple

import requests
import socketio

from tests.helpers import REST_HEADERS
from tests.providers.rbm import RbmDouble, RbmWebhooks
from tests.providers.twilio import TwilioDouble, TwilioWebhooks


def wait_until(check: Callable[[], bool], timeout: float = 20.0, what: str = "it") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Customer:
    """What every channel's customer can do in a test."""

    channel: str
    conversation_id: str

    def say(self, text: str) -> None:
        raise NotImplementedError

    def seen(self) -> List[str]:
        """Every text that reached the customer on their channel, in order."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def wait_for(self, fragment: str, after: int = 0, timeout: float = 20.0) -> str:
        """The first text (from index ``after`` on) that contains ``fragment``."""
        found: List[str] = []

        def arrived() -> bool:
            found[:] = [t for t in self.seen()[after:] if fragment.casefold() in t.casefold()]
            return bool(found)

        try:
            wait_until(arrived, timeout, f"{fragment!r} on {self.channel}")
        except AssertionError:
            raise AssertionError(
                f"{fragment!r} never reached the {self.channel} customer "
                f"{self.conversation_id!r}; they saw {self.seen()[after:]}"
            ) from None
        return found[0]


class RestCustomer(Customer):
    """A site's backend on the REST channel: the answer to each message, and what it fetches later
    (``GET /webhooks/rest/messages``) of what was said between its messages (an agent, the welcome-back)."""

    channel = "rest"

    def __init__(self, rasa_url: str, conversation_id: str) -> None:
        self.rasa_url, self.conversation_id = rasa_url, conversation_id
        self.started = time.time() - 1
        self.answers: List[Tuple[float, str]] = []
        self.windows: List[Tuple[float, float]] = []  # while a message of ours was being answered
        self.token = ""  # the conversation's own token, which came with the bot's answers

    def say(self, text: str) -> None:
        began = time.time()
        reply = requests.post(f"{self.rasa_url}/webhooks/rest/webhook", headers=REST_HEADERS,
                              json={"sender": self.conversation_id, "message": text}, timeout=30)  # fmt: skip
        assert reply.status_code == 200, reply.text
        self.token = reply.headers["X-Conversation-Token"]
        ended = time.time()
        self.windows.append((began, ended))
        self.answers += [(ended, m.get("text") or "") for m in reply.json()]

    def seen(self) -> List[str]:
        later = requests.get(f"{self.rasa_url}/webhooks/rest/messages", headers={"X-Conversation-Token": self.token},
                             params={"sender": self.conversation_id, "after": self.started}, timeout=10)  # fmt: skip
        later.raise_for_status()
        between = [
            (float(m["timestamp"]), m["text"] or "")
            for m in later.json()
            if not any(began <= float(m["timestamp"]) <= ended for began, ended in self.windows)
        ]
        return [text for _, text in sorted(self.answers + between, key=lambda pair: pair[0])]


class WebChatCustomer(Customer):
    """The rasa-webchat widget: socket.io, with the session the server issues (and the widget keeps)."""

    channel = "socketio"

    def __init__(self, rasa_url: str, session_token: str | None = None) -> None:
        self.inbox: queue.Queue[dict] = queue.Queue()
        self.received: List[str] = []
        self.client = socketio.Client()
        confirmed: queue.Queue[str] = queue.Queue()
        self.client.on("bot_uttered", self.inbox.put)
        self.client.on("session_confirm", confirmed.put)
        self.client.connect(rasa_url, socketio_path="/socket.io", transports=["polling"])
        self.client.emit("session_request", {"session_id": session_token} if session_token else {})
        self.session_token = confirmed.get(timeout=10)
        self.conversation_id = self.session_token.split(".")[0]

    def say(self, text: str) -> None:
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_token})

    def seen(self) -> List[str]:
        while not self.inbox.empty():
            self.received.append(self.inbox.get().get("text") or "")
        return list(self.received)

    def close(self) -> None:
        self.client.disconnect()


class SmsCustomer(Customer):
    """A phone texting the bot's Twilio number; sees what Twilio accepted for delivery to it."""

    channel = "sms"

    def __init__(self, twilio: TwilioDouble, webhooks: TwilioWebhooks, phone: str, bot_number: str) -> None:
        self.twilio, self.webhooks, self.conversation_id, self.bot_number = twilio, webhooks, phone, bot_number

    def say(self, text: str) -> None:
        reply = self.webhooks.inbound(
            "/webhooks/sms/webhook",
            from_=self.conversation_id,
            to=self.bot_number,
            body=text,
            message_sid=f"SM{uuid.uuid4().hex}",
        )
        assert reply.status_code == 200, reply.text

    def seen(self) -> List[str]:
        return [m.body for m in self.twilio.messages_to(self.conversation_id)]


def rbm_text(content: dict) -> str:
    """What an RCS customer reads of one agent message: its text, or its card's title and description."""
    if "text" in content:
        return str(content["text"])
    card = (content.get("richCard") or {}).get("standaloneCard", {}).get("cardContent", {})
    return f"{card.get('title', '')}\n{card.get('description', '')}".strip()


class RcsCustomer(Customer):
    """A phone with RCS writing to the bot's RBM agent; sees what RBM accepted for it."""

    channel = "rcs"

    def __init__(self, rbm: RbmDouble, webhooks: RbmWebhooks, phone: str) -> None:
        self.rbm, self.webhooks, self.conversation_id = rbm, webhooks, phone

    def say(self, text: str) -> None:
        assert self.webhooks.text(self.conversation_id, text).status_code == 200

    def seen(self) -> List[str]:
        return [rbm_text(m.content) for m in self.rbm.messages_to(self.conversation_id)]


class RcsToSmsCustomer(RcsCustomer):
    """Writes over RCS, but RBM cannot deliver to the phone (404): everything must reach them by SMS."""

    channel = "rcs"

    def __init__(self, rbm: RbmDouble, webhooks: RbmWebhooks, twilio: TwilioDouble, phone: str) -> None:
        super().__init__(rbm, webhooks, phone)
        self.twilio = twilio
        rbm.without_rcs(phone)

    def seen(self) -> List[str]:
        assert self.rbm.messages_to(self.conversation_id) == [], "RBM accepted a message for a phone without RCS"
        return [m.body for m in self.twilio.messages_to(self.conversation_id)]
