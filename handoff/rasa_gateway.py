"""The conversation gateway over HTTP to the Rasa server (``/webhooks/handoff``, bearer ``RASA_AUTH_TOKEN``).

Conversation ids go in the JSON body: a Rasa URL path takes an id as it is written, so ``+15552014477`` and
``%2B15552014477`` would be two conversations, and spaces or non-ASCII ids could not be addressed at all.
"""

from __future__ import annotations

from typing import Any, Dict

import requests

from handoff.gateway import Conversation, EffectRefused, GatewayUnavailable
from handoff.store import Effect


class RasaGateway:
    def __init__(self, rasa_url: str, token: str, timeout: float = 30.0) -> None:
        self.base_url = f"{rasa_url.rstrip('/')}/webhooks/handoff"
        self.headers = {"Authorization": f"Bearer {token}"}
        # A hand-back runs a whole bot turn (and its actions) before it answers.
        self.timeout = timeout
        self.session = requests.Session()

    def _post(self, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        try:
            reply = self.session.post(f"{self.base_url}/{path}", json=body, headers=self.headers, timeout=self.timeout)
        except requests.RequestException as error:
            raise GatewayUnavailable(f"Rasa did not answer: {type(error).__name__}") from error
        if reply.status_code == 400:
            raise EffectRefused(f"Rasa refused the request: {reply.text[:200]}")
        if reply.status_code >= 300:
            raise GatewayUnavailable(f"Rasa answered {reply.status_code}: {reply.text[:200]}")
        try:
            data = reply.json()
        except ValueError as error:
            raise GatewayUnavailable("Rasa's answer was not JSON") from error
        if not isinstance(data, dict):
            raise GatewayUnavailable("Rasa's answer was not a JSON object")
        return data

    def conversation(self, conversation_id: str) -> Conversation:
        data = self._post("transcript", {"conversation_id": conversation_id})
        return Conversation(
            conversation_id, data.get("channel"), list(data.get("events") or []), dict(data.get("capabilities") or {})
        )

    def apply(self, effect: Effect) -> bool:
        body = {
            "id": effect.id,
            "conversation_id": effect.conversation_id,
            "kind": effect.kind,
            "channel": effect.channel,
            **{k: v for k, v in effect.payload.items() if k in ("text", "agent")},
        }
        return bool(self._post("effects", body).get("applied"))
