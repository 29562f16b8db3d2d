"""Shared fixtures: a real Rasa server and action server on loopback ports."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Callable, Dict, Iterator, List

import pytest
import requests

from bot.launcher import ROOT, Service, Stack, StackConfig, free_port, reference_service, write_embedded_endpoints
from tests.fakes import Answer, FakeBackend
from tests.helpers import API_TOKEN

MODEL = ROOT / "models" / "triage.tar.gz"
SEED = ROOT / "seeds" / "demo.yml"


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it for you)")
    return MODEL


DESK_AGENT, DESK_PASSWORD = "sam", "desk-pass-for-tests"
WEBHOOK_SECRET = "whsec-tests"


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[FakeBackend]:
    """Stands in for an external desk that receives hand-off tickets."""
    with FakeBackend(Answer(status=200, body={"ok": True})) as receiver:
        yield receiver


TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000000",
    "TWILIO_AUTH_TOKEN": "twilio-test-token",
    "TWILIO_FROM_NUMBER": "+15550000000",
    "SMS_PUBLIC_URL": "https://bot.example.com",
}


@pytest.fixture(scope="session")
def twilio() -> Iterator[FakeBackend]:
    """A Twilio-compatible Messages API on loopback that records what the bot sends."""
    with FakeBackend(Answer(status=201, body={"sid": "SM-fake", "status": "queued"})) as fake:
        yield fake


RBM_CLIENT_TOKEN = "rbm-client-token-for-tests"


@pytest.fixture(scope="session")
def rbm() -> Iterator[FakeBackend]:
    """An RBM-compatible API on loopback, with the OAuth token endpoint the service account uses."""
    with FakeBackend(Answer(status=200, body={"name": "phones/x/agentMessages/y"})) as fake:
        fake.routes[("POST", "/token")] = Answer(body={"access_token": "ya29.test", "expires_in": 3600,
                                                       "token_type": "Bearer"})  # fmt: skip
        yield fake


def service_account_file(directory: Path, token_uri: str) -> Path:
    """A throwaway service-account key, as Google issues them, pointing at ``token_uri``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()  # fmt: skip
    path = directory / "rbm-service-account.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "test", "private_key_id": "k1", "private_key": pem,
        "client_email": "bot@test.iam.gserviceaccount.com", "client_id": "1", "token_uri": token_uri,
    }))  # fmt: skip
    return path


@pytest.fixture(scope="session")
def stack(
    trained_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
    webhook_receiver: FakeBackend,
    twilio: FakeBackend,
    rbm: FakeBackend,
) -> Iterator[Stack]:
    """Reference service, actions and Rasa on free ports with fresh SQLite databases."""
    workdir = tmp_path_factory.mktemp("stack")
    actions_port = free_port()
    endpoints = write_embedded_endpoints(
        workdir / "endpoints.yml", f"http://127.0.0.1:{actions_port}", workdir / "trackers.db"
    )
    config = StackConfig(
        model=trained_model,
        endpoints=endpoints,
        rasa_port=free_port(),
        actions_port=actions_port,
        reference_port=free_port(),
        reference_database=f"sqlite:///{workdir / 'reference.db'}",
        desk_port=free_port(),
        handoff_database=f"sqlite:///{workdir / 'handoff.db'}",
        log_dir=workdir / "log",
        # A short cool-down so a test that takes the backend down does not
        # leave the circuit open for the next one.
        env={
            "RASA_AUTH_TOKEN": API_TOKEN,
            "BACKEND_COOLDOWN": "1",
            "BACKEND_RETRIES": "1",
            "DESK_AGENTS": f"{DESK_AGENT}:{DESK_PASSWORD},kim:other-pass",
            "HANDOFF_WEBHOOK_URL": webhook_receiver.url,
            "HANDOFF_WEBHOOK_SECRET": WEBHOOK_SECRET,
            **TWILIO,
            "TWILIO_API_BASE": twilio.url,
            "CHANNELS_DATABASE_URL": f"sqlite:///{workdir / 'channels.db'}",
            "RBM_CLIENT_TOKEN": RBM_CLIENT_TOKEN,
            "RBM_SERVICE_ACCOUNT_FILE": str(service_account_file(workdir, f"{rbm.url}/token")),
            "RBM_API_BASE": rbm.url,
        },
    )
    with Stack(config) as running:
        yield running


Chat = Callable[[str], List[Dict]]


@pytest.fixture
def conversation_id() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def chat(stack: Stack, conversation_id: str) -> Chat:
    """Send one message as this test's customer; returns the bot's messages."""

    def send(text: str) -> List[Dict]:
        reply = requests.post(
            f"{stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": conversation_id, "message": text},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        return reply.json()

    return send


@pytest.fixture
def reference_server(tmp_path: Path) -> Iterator[Service]:
    """A reference order & billing service of its own, freshly seeded."""
    port = free_port()
    service = reference_service("127.0.0.1", port, f"sqlite:///{tmp_path / 'ref.db'}", SEED, tmp_path)
    service.start().wait_until_up(time.monotonic() + 60)
    yield service
    service.stop()
