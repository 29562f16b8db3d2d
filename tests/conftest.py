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
from bot.rasa_patches import apply_all
from tests.fakes import Answer, FakeBackend
from tests.helpers import ACTION_TOKEN, API_TOKEN, REFERENCE_TOKEN, REST_HEADERS, REST_KEY
from tests.providers.rbm import RbmDouble, RbmWebhooks
from tests.providers.twilio import TwilioDouble, TwilioWebhooks

# The tests exercise the serving path customers get: Rasa with the project's patches, applied here explicitly as
# bot/rasa_cli.py applies them in the Rasa server (RASA_PATCHES_DISABLED leaves some out: make mutations).
apply_all()

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
RBM_CLIENT_TOKEN = "rbm-client-token-for-tests"
EMAIL_SIGNING_KEY = "key-email-webhook-for-tests"
MAIL_TOKEN = "mailcatcher-token-for-tests"
RBM_AGENT_ID = "support-bot-agent"


@pytest.fixture(scope="session")
def rasa_port() -> int:
    """Chosen first: the provider doubles post their callbacks to it."""
    return free_port()


@pytest.fixture(scope="session")
def twilio(rasa_port: int) -> Iterator[TwilioDouble]:
    """A Twilio-compatible Messages API on loopback, written from Twilio's public documentation."""
    local = f"http://127.0.0.1:{rasa_port}"
    with TwilioDouble(TWILIO["TWILIO_ACCOUNT_SID"], TWILIO["TWILIO_AUTH_TOKEN"], numbers=[TWILIO["TWILIO_FROM_NUMBER"]],
                      reachable=lambda url: url.replace(TWILIO["SMS_PUBLIC_URL"], local)) as double:  # fmt: skip
        yield double


@pytest.fixture(scope="session")
def twilio_webhooks(rasa_port: int) -> TwilioWebhooks:
    """Twilio's side of the webhook: signed posts to the public URL, arriving through a proxy on loopback."""
    return TwilioWebhooks(TWILIO["TWILIO_AUTH_TOKEN"], TWILIO["TWILIO_ACCOUNT_SID"], TWILIO["SMS_PUBLIC_URL"],
                          f"http://127.0.0.1:{rasa_port}")  # fmt: skip


@pytest.fixture(scope="session")
def rbm_webhooks(rasa_port: int) -> RbmWebhooks:
    return RbmWebhooks(RBM_CLIENT_TOKEN, f"http://127.0.0.1:{rasa_port}/webhooks/rcs/webhook", RBM_AGENT_ID)


@pytest.fixture(scope="session")
def rbm(rbm_webhooks: RbmWebhooks) -> Iterator[RbmDouble]:
    """An RBM-compatible API (and Google's OAuth token endpoint) on loopback, written from Google's docs."""
    with RbmDouble(RBM_AGENT_ID, webhook=rbm_webhooks) as double:
        yield double


def service_account_file(directory: Path, rbm: RbmDouble) -> Path:
    """The agent's service-account key, as Google issues them: the double made the key and knows it."""
    path = directory / "rbm-service-account.json"
    path.write_text(json.dumps(rbm.service_account_info()))
    return path


@pytest.fixture(scope="session")
def stack(
    trained_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
    webhook_receiver: FakeBackend,
    twilio: TwilioDouble,
    rbm: RbmDouble,
    rasa_port: int,
) -> Iterator[Stack]:
    """Reference service, actions and Rasa on free ports with fresh SQLite databases."""
    workdir = tmp_path_factory.mktemp("stack")
    actions_port = free_port()
    # Port 9 (discard): the launcher must point Rasa at the action server's real port itself, as it does for
    # ACTIONS_PORT; if it did not, every custom action in these tests would fail.
    endpoints = write_embedded_endpoints(workdir / "endpoints.yml", "http://127.0.0.1:9", workdir / "trackers.db")
    config = StackConfig(
        model=trained_model,
        endpoints=endpoints,
        rasa_port=rasa_port,
        actions_port=actions_port,
        reference_port=free_port(),
        reference_database=f"sqlite:///{workdir / 'reference.db'}",
        desk_port=free_port(),
        analytics_port=free_port(),
        mail_smtp_port=free_port(),
        mail_http_port=free_port(),
        mail_database=f"sqlite:///{workdir / 'mail.db'}",
        handoff_database=f"sqlite:///{workdir / 'handoff.db'}",
        limits_database=f"sqlite:///{workdir / 'limits.db'}",
        log_dir=workdir / "log",
        # A short cool-down so a test that takes the backend down does not
        # leave the circuit open for the next one.
        env={
            "RASA_AUTH_TOKEN": API_TOKEN,
            "ACTION_SERVER_TOKEN": ACTION_TOKEN,
            "REST_API_KEY": REST_KEY,
            "BACKEND_COOLDOWN": "1",
            # Many tests here guess wrong on purpose (Maria's order and account above all): the lock-outs they
            # would add up to are tested on a stack of their own (tests/security/test_limits_end_to_end.py).
            "PROOF_FAILURES_BEFORE_LOCKOUT": "1000",
            "EMAILS_PER_ADDRESS_PER_DAY": "1000",
            "BACKEND_RETRIES": "1",
            "DESK_AGENTS": f"{DESK_AGENT}:{DESK_PASSWORD},kim:other-pass,lee:lee-pass:supervisor,dee:dee-pass:designer",
            "HANDOFF_WEBHOOK_URL": webhook_receiver.url,
            "HANDOFF_WEBHOOK_SECRET": WEBHOOK_SECRET,
            **TWILIO,
            "TWILIO_API_BASE": twilio.url,
            "CHANNELS_DATABASE_URL": f"sqlite:///{workdir / 'channels.db'}",
            "RBM_CLIENT_TOKEN": RBM_CLIENT_TOKEN,
            "RBM_SERVICE_ACCOUNT_FILE": str(service_account_file(workdir, rbm)),
            "RBM_API_BASE": rbm.url,
            "RBM_AGENT_ID": RBM_AGENT_ID,
            # E-mail through the local mail server the launcher starts (mailcatcher), as `make run` does.
            "EMAIL_WEBHOOK_SIGNING_KEY": EMAIL_SIGNING_KEY,
            "EMAIL_PUBLIC_URL": "https://bot.example.com",
            "EMAIL_TRUSTED_AUTHSERV_ID": "mx.shop.example",
            "MAILCATCHER_TOKEN": MAIL_TOKEN,
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
            headers=REST_HEADERS,
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        return reply.json()

    return send


@pytest.fixture
def reference_server(tmp_path: Path) -> Iterator[Service]:
    """A reference order & billing service of its own, freshly seeded."""
    port = free_port()
    service = reference_service("127.0.0.1", port, f"sqlite:///{tmp_path / 'ref.db'}", SEED, tmp_path,
                                env={"REFERENCE_API_TOKEN": REFERENCE_TOKEN})  # fmt: skip
    service.start().wait_until_up(time.monotonic() + 60)
    yield service
    service.stop()


@pytest.fixture
def reference_api(reference_server: Service) -> requests.Session:
    """A client of ``reference_server`` holding its credential."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {REFERENCE_TOKEN}"
    return session
