"""Shared pieces of the RBM double's tests: a stand-in agent webhook, the double, a service account and a token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Iterator

import google.auth.transport.requests
import jwt
import pytest
import requests
from google.oauth2 import service_account

from tests.providers._server import LoopbackServer, Reply, Request
from tests.providers.rbm import RBM_SCOPE, RbmDouble, RbmWebhooks

AGENT, CLIENT_TOKEN, PHONE = "support-agent@rbm.goog", "client-token-xyz", "+12223334444"


class WebhookStub:
    """A stand-in agent webhook: answers the handshake (per ``mode``), checks X-Goog-Signature, keeps decoded data."""

    def __init__(self) -> None:
        self.mode = "plain"
        self.received: list[dict] = []
        self.envelopes: list[dict] = []
        self.server = LoopbackServer(self.handle)
        self.server.start()

    def handle(self, request: Request) -> Reply:
        body = json.loads(request.body)
        if "clientToken" in body:
            secret = body["secret"]
            if self.mode == "json":
                return Reply(200, json.dumps(secret).encode(), {"Content-Type": "application/json"})
            return Reply(200 if self.mode == "plain" else 500, secret.encode(), {"Content-Type": "text/plain"})
        data = base64.b64decode(body["message"]["data"])
        expected = base64.b64encode(hmac.new(CLIENT_TOKEN.encode(), data, hashlib.sha512).digest()).decode()
        if not hmac.compare_digest(expected, request.header("X-Goog-Signature")):
            return Reply(403)
        self.envelopes.append(body)
        self.received.append(json.loads(data))
        return Reply(200)


@pytest.fixture
def hook() -> Iterator[WebhookStub]:
    stub = WebhookStub()
    yield stub
    stub.server.stop()


@pytest.fixture
def webhooks(hook: WebhookStub) -> RbmWebhooks:
    return RbmWebhooks(CLIENT_TOKEN, hook.server.url + "/rbm", AGENT)


@pytest.fixture
def rbm(webhooks: RbmWebhooks) -> Iterator[RbmDouble]:
    with RbmDouble(AGENT, webhooks) as double:
        yield double


@pytest.fixture
def info(rbm: RbmDouble) -> dict:
    return rbm.service_account_info()


@pytest.fixture
def token(info: dict) -> str:
    credentials = service_account.Credentials.from_service_account_info(info, scopes=[RBM_SCOPE])
    credentials.refresh(google.auth.transport.requests.Request())
    return credentials.token


def send(rbm: RbmDouble, token: str, body: object, phone: str = PHONE, **query: str) -> requests.Response:
    params = {"messageId": str(uuid.uuid4()), "agentId": AGENT, **query}
    url = f"{rbm.url}/v1/phones/{phone}/agentMessages"
    return requests.post(url, params=params, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)


TEXT = {"contentMessage": {"text": "Hello"}}


def assertion(info: dict, **changes: object) -> str:
    now = int(time.time())
    claims = {"iss": info["client_email"], "aud": info["token_uri"], "scope": RBM_SCOPE, "iat": now, "exp": now + 3600}
    claims.update(changes)
    claims = {key: value for key, value in claims.items() if value is not None}
    return jwt.encode(claims, info["private_key"], algorithm="RS256", headers={"kid": info["private_key_id"]})
