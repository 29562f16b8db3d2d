"""Outbound webhook against a real receiver on loopback: signed, retried, once."""

import hashlib
import hmac
import json

import requests

from handoff.settings import WebhookSettings
from handoff.store import TicketStore
from handoff.webhook import deliver_due, signature
from storage.retry import RetryPolicy
from tests.fakes import Answer, FakeBackend, refused_url
from tests.handoff.test_store import ticket

SECRET = "whsec-test"


def test_signature_is_hmac_sha256_over_timestamp_and_body():
    expected = hmac.new(SECRET.encode(), b"1700000000.{}", hashlib.sha256).hexdigest()
    assert signature(SECRET, "1700000000", b"{}") == f"sha256={expected}"


def test_retries_back_off_and_give_up():
    policy = RetryPolicy(first_retry_seconds=2, max_retry_seconds=5, max_attempts=4)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [2, 4, 5, None]


def test_a_desk_that_is_down_gets_the_ticket_later_exactly_once(tmp_path):
    database = f"sqlite:///{tmp_path / 'handoff.db'}"
    store = TicketStore(database)
    record = store.escalate(ticket("c-webhook"), now=1.0, notify=True)
    session = requests.Session()
    down = WebhookSettings(url=refused_url(), secret=SECRET, retry=RetryPolicy(first_retry_seconds=1))
    assert deliver_due(store, down, session, now=2.0) == 0  # receiver down: kept for later
    with FakeBackend(Answer(status=503, body={})) as receiver:
        config = WebhookSettings(url=receiver.url, secret=SECRET, retry=RetryPolicy(first_retry_seconds=1))
        assert deliver_due(store, config, session, now=2.0) == 0  # not due yet
        assert deliver_due(store, config, session, now=10.0) == 0  # due, but answered 503
        receiver.answer = Answer(status=200, body={"ok": True})
        restarted = TicketStore(database)  # a process restart loses nothing: the outbox is in SQL
        assert deliver_due(restarted, config, session, now=100.0) == 1
        assert deliver_due(restarted, config, session, now=1000.0) == 0
    accepted = [r for r in receiver.requests][-1]
    body = accepted.body
    stamp = accepted.headers["X-Triage-Timestamp"]
    assert accepted.headers["X-Triage-Signature"] == signature(SECRET, stamp, body)
    payload = json.loads(body)
    assert payload["event"] == "ticket.created" and payload["ticket_id"] == record.id
    assert payload["ticket"]["conversation_id"] == "c-webhook"
    deliveries = {r.headers["X-Triage-Delivery"] for r in receiver.requests}
    assert len(deliveries) == 1  # every attempt carried the same idempotency key
