"""Google RCS Business Messaging: send agent messages (blocking; call off the loop)."""

from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Dict
from urllib.parse import quote

import requests

SCOPES = ["https://www.googleapis.com/auth/rcsbusinessmessaging"]


class NotRcsCapable(RuntimeError):
    """RBM answered 404: this phone cannot receive RCS (fall back to SMS)."""


class RbmSendFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class RbmConfig:
    client_token: str  # shared with RBM: webhook handshake and X-Goog-Signature key
    service_account: Dict[str, Any]  # the service-account JSON key
    api_base: str = "https://rcsbusinessmessaging.googleapis.com"

    @classmethod
    def from_env(cls) -> RbmConfig | None:
        token, key_file = os.environ.get("RBM_CLIENT_TOKEN"), os.environ.get("RBM_SERVICE_ACCOUNT_FILE")
        if not (token and key_file):
            return None
        with open(key_file, encoding="utf-8") as handle:
            info = json.load(handle)
        base = os.environ.get("RBM_API_BASE", "https://rcsbusinessmessaging.googleapis.com").rstrip("/")
        return cls(token, info, base)


class RbmClient:
    def __init__(self, config: RbmConfig) -> None:
        from google.oauth2 import service_account

        self.config = config
        self.credentials = service_account.Credentials.from_service_account_info(config.service_account, scopes=SCOPES)
        self.session = requests.Session()
        self._lock = threading.Lock()

    def _token(self) -> str:
        from google.auth.transport.requests import Request

        with self._lock:  # one refresh at a time; google-auth caches until expiry
            if not self.credentials.valid:
                self.credentials.refresh(Request(self.session))
            return str(self.credentials.token)

    def send(self, phone: str, content: Dict[str, Any]) -> str:
        """Send one agentMessage; returns its message id."""
        message_id = uuid.uuid4().hex
        url = f"{self.config.api_base}/v1/phones/{quote(phone, safe='+')}/agentMessages"
        try:
            reply = self.session.post(
                url,
                params={"messageId": message_id},
                json={"contentMessage": content},
                headers={"Authorization": f"Bearer {self._token()}"},
                timeout=(2, 10),
            )
        except requests.RequestException as error:
            raise RbmSendFailed(f"RBM did not answer: {type(error).__name__}") from error
        if reply.status_code == 404:
            raise NotRcsCapable(phone)
        if reply.status_code >= 300:
            raise RbmSendFailed(f"RBM answered {reply.status_code}")
        return message_id
