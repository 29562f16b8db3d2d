"""The few Rasa HTTP API calls the hand-off needs (token from RASA_AUTH_TOKEN)."""

from __future__ import annotations

from typing import Any, Dict, List
from urllib.parse import quote

import requests


class RasaUnavailable(RuntimeError):
    """The Rasa server did not accept the call."""


class RasaApi:
    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.params = {"token": token}
        self.timeout = timeout
        self.session = requests.Session()

    def _url(self, conversation_id: str, tail: str) -> str:
        return f"{self.base_url}/conversations/{quote(conversation_id, safe='')}/{tail}"

    def _call(self, method: str, url: str, **kwargs: Any) -> Dict[str, Any]:
        try:
            reply = self.session.request(method, url, params=self.params, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise RasaUnavailable(f"Rasa did not answer: {type(error).__name__}") from error
        if reply.status_code >= 300:
            raise RasaUnavailable(f"Rasa answered {reply.status_code}: {reply.text[:200]}")
        return reply.json() if reply.content else {}

    def events(self, conversation_id: str) -> List[Dict[str, Any]]:
        return self._call("GET", self._url(conversation_id, "tracker")).get("events") or []

    def append(self, conversation_id: str, *events: Dict[str, Any]) -> None:
        self._call("POST", self._url(conversation_id, "tracker/events"), json=list(events))

    def trigger_intent(self, conversation_id: str, intent: str) -> Dict[str, Any]:
        """Let the bot act on an intent the system (not the customer) raises."""
        return self._call("POST", self._url(conversation_id, "trigger_intent"), json={"name": intent})


class WebChatPush:
    """Pushes an agent's message down a web-chat customer's socket (bot/channels/web.py)."""

    def __init__(self, rasa_url: str, token: str, timeout: float = 10.0) -> None:
        self.url = f"{rasa_url.rstrip('/')}/webhooks/socketio/push"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.timeout = timeout

    def send_text(self, session_id: str, text: str) -> None:
        try:
            reply = requests.post(
                self.url, json={"session_id": session_id, "text": text}, headers=self.headers, timeout=self.timeout
            )
        except requests.RequestException as error:
            raise RasaUnavailable(f"web chat push failed: {type(error).__name__}") from error
        if reply.status_code >= 300:
            raise RasaUnavailable(f"web chat push answered {reply.status_code}")
