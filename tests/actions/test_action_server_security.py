"""The action server serves only Rasa (its credential), tells a bad call so without echoing it, and keys every
write by the turn it answers - even when calls for different customers share one kept-alive connection."""

from __future__ import annotations

from typing import Iterator

import pytest
import requests

from tests.actions.action_server import DOMAIN, start_action_server, tracker_payload
from tests.conftest import free_port
from tests.fakes import Answer, FakeBackend
from tests.helpers import ACTION_TOKEN

AUTH = {"Authorization": f"Bearer {ACTION_TOKEN}"}


@pytest.fixture(scope="module")
def backend() -> Iterator[FakeBackend]:
    with FakeBackend(Answer(body={"id": "C1", "account_status": "active"})) as fake:
        fake.routes[("POST", "/customers/C1/password-reset")] = Answer(status=202, body={"sent": True})
        yield fake


@pytest.fixture(scope="module")
def actions_url(backend, tmp_path_factory) -> Iterator[str]:
    port = free_port()
    service = start_action_server(port, tmp_path_factory.mktemp("actions"),
                                  {"ORDERS_API_URL": backend.url, "BILLING_API_URL": backend.url})  # fmt: skip
    yield f"http://127.0.0.1:{port}"
    service.stop()


def call(sender: str, message_id: str) -> dict:
    proven = {"account_email": "maria.keller@example.com", "account_verified": True}
    tracker = tracker_payload(sender, proven, {}, "reset my password", "rest")
    tracker["latest_message"]["message_id"] = message_id
    return {"next_action": "action_account_access", "sender_id": sender, "version": "3.6.2", "tracker": tracker,
            "domain": DOMAIN}  # fmt: skip


def test_nobody_but_rasa_gets_an_action_run(actions_url):
    body = call("stranger", "m-1")
    for headers in ({}, {"Authorization": "Bearer guessed"}, {"Authorization": ACTION_TOKEN}):
        reply = requests.post(f"{actions_url}/webhook", json=body, headers=headers, timeout=10)
        assert reply.status_code == 401, headers
    assert requests.get(f"{actions_url}/actions", timeout=10).status_code == 401
    assert requests.get(f"{actions_url}/health", timeout=10).status_code == 200


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"next_action": "action_order_status"}', b'{"next_action": 3, "tracker": {}}',
     b'{"next_action": "action_order_status", "tracker": {"sender_id": "x", "events": "nope"}}',
     b"[" * 5000 + b"]" * 5000],
    ids=["not-json", "list", "no-tracker", "bad-name", "bad-events", "deep"],
)  # fmt: skip
def test_a_malformed_call_is_told_so_without_an_echo(actions_url, body):
    reply = requests.post(f"{actions_url}/webhook", data=body, timeout=10,
                          headers={**AUTH, "Content-Type": "application/json"})  # fmt: skip
    assert reply.status_code == 400 and "request_body" not in reply.json() and "action_order_status" not in reply.text


def test_two_customers_identical_requests_over_one_connection_are_two_writes(backend, actions_url):
    """Same account, same request, two conversations, one kept-alive connection: two reset links, each keyed by
    its own turn; the same turn run again carries the same key (applied once)."""
    session = requests.Session()
    backend.requests.clear()
    for sender, message_id in (("web-anna", "a-1"), ("+15552014477", "b-1"), ("web-anna", "a-1")):
        reply = session.post(f"{actions_url}/webhook", json=call(sender, message_id), headers=AUTH, timeout=10)
        assert reply.status_code == 200, reply.text
    writes = [r for r in backend.requests if r.path == "/customers/C1/password-reset"]
    keys = [w.headers.get("Idempotency-Key") for w in writes]
    correlations = [w.headers.get("X-Correlation-ID") for w in writes]
    assert len(writes) == 3 and all(keys)
    assert keys[0] != keys[1] and keys[0] == keys[2]
    assert correlations[0] != correlations[1] and correlations[0] == correlations[2]
