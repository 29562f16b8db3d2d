"""Google RCS Business Messaging: send agent messages (blocking; call it off the event loop).

``POST /v1/phones/{E.164}/agentMessages?messageId={UUID}&agentId={agent}`` with an OAuth bearer token from the
agent's service account (scope ``rcsbusinessmessaging``). The caller chooses the messageId: RBM ignores a
messageId it has seen, so a resend after a lost answer never reaches the customer twice.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import Any, Dict

import requests

SCOPES = ["https://www.googleapis.com/auth/rcsbusinessmessaging"]
# google-auth waits 120 s for a token by default: far longer than a queued message's lease.
TOKEN_TIMEOUT_SECONDS = 10


def _with_timeout(request: Any, seconds: float) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        return request(*args, **{**kwargs, "timeout": seconds})

    return call


class NotRcsCapable(RuntimeError):
    """RBM answered 404: this phone cannot receive RCS now (fall back to SMS)."""


class RbmRefused(RuntimeError):
    def __init__(self, message: str, http_status: int | None = None, retryable: bool = True) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.retryable = retryable


@dataclass(frozen=True)
class RbmConfig:
    client_token: str  # shared with RBM: webhook handshake and X-Goog-Signature key
    service_account: Dict[str, Any]  # the service-account JSON key
    agent_id: str
    api_base: str = "https://rcsbusinessmessaging.googleapis.com"

    @classmethod
    def from_env(cls) -> RbmConfig | None:
        token, key_file = os.environ.get("RBM_CLIENT_TOKEN"), os.environ.get("RBM_SERVICE_ACCOUNT_FILE")
        agent = os.environ.get("RBM_AGENT_ID")
        if not (token and key_file and agent):
            return None
        with open(key_file, encoding="utf-8") as handle:
            info = json.load(handle)
        base = os.environ.get("RBM_API_BASE", "https://rcsbusinessmessaging.googleapis.com").rstrip("/")
        return cls(token, info, agent, base)


class RbmClient:
    def __init__(self, config: RbmConfig) -> None:
        from google.oauth2 import service_account

        self.config = config
        self.credentials = service_account.Credentials.from_service_account_info(config.service_account, scopes=SCOPES)
        self.session = requests.Session()
        self._lock = threading.Lock()

    def _token(self) -> str:
        from google.auth.exceptions import GoogleAuthError
        from google.auth.transport.requests import Request

        with self._lock:  # one refresh at a time; google-auth caches the token until it expires
            if not self.credentials.valid:
                try:
                    self.credentials.refresh(_with_timeout(Request(self.session), TOKEN_TIMEOUT_SECONDS))
                except (GoogleAuthError, requests.RequestException) as error:
                    raise RbmRefused(f"no RBM access token: {type(error).__name__}") from error
            return str(self.credentials.token)

    def send(self, phone: str, content: Dict[str, Any], message_id: str, ttl_seconds: int | None = None) -> None:
        """Send one agent message; ``message_id`` is a UUID in its 8-4-4-4-12 form. With ``ttl_seconds`` RBM
        stops trying to deliver it after that long (it would otherwise keep trying an offline phone for 30 days,
        and a stale answer arriving weeks later is worse than none)."""
        # The phone goes into the path as E.164; "+" is a legal path character and stays as it is.
        url = f"{self.config.api_base}/v1/phones/{phone}/agentMessages"
        try:
            reply = self.session.post(
                url,
                params={"messageId": message_id, "agentId": self.config.agent_id},
                json={"contentMessage": content, **({"ttl": f"{ttl_seconds}s"} if ttl_seconds else {})},
                headers={"Authorization": f"Bearer {self._token()}"},
                timeout=(2, 10),
            )
        except requests.RequestException as error:
            raise RbmRefused(f"RBM did not answer: {type(error).__name__}") from error
        if reply.status_code == 404:
            raise NotRcsCapable(phone)
        if reply.status_code == 401:
            self.credentials.token = None  # fetch a fresh token on the next try
        if reply.status_code >= 300:
            retryable = reply.status_code >= 500 or reply.status_code in (401, 429)
            raise RbmRefused(f"RBM answered {reply.status_code}: {reply.text[:200]}", reply.status_code, retryable)
