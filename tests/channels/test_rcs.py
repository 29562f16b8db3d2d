"""RCS end to end: signed RBM pushes into the running Rasa server, agentMessages
out to an RBM-compatible server on loopback (service-account auth included)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Dict, List

import pytest
import requests

from bot.channels.rcs import rbm_signature
from tests.channels.test_sms import texts_to
from tests.conftest import RBM_CLIENT_TOKEN
from tests.fakes import Answer


def push(stack, payload: Dict, signature: str | None = None) -> requests.Response:
    raw = json.dumps(payload).encode()
    body = {"message": {"data": base64.b64encode(raw).decode(), "messageId": "1", "publishTime": "now"},
            "subscription": "projects/x/subscriptions/y"}  # fmt: skip
    sig = rbm_signature(RBM_CLIENT_TOKEN, raw) if signature is None else signature
    return requests.post(f"{stack.rasa_url}/webhooks/rcs/webhook", json=body, headers={"X-Goog-Signature": sig},
                         timeout=10)  # fmt: skip


def user_text(phone: str, text: str) -> Dict:
    return {"senderPhoneNumber": phone, "messageId": uuid.uuid4().hex, "agentId": "bot", "text": text}


def sent_to(rbm, phone: str) -> List[Dict]:
    return [json.loads(r.body)["contentMessage"] for r in rbm.requests
            if r.path == f"/v1/phones/{phone}/agentMessages"]  # fmt: skip


def wait_for(rbm, phone: str, count: int, timeout: float = 20) -> List[Dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(sent_to(rbm, phone)) >= count:
            return sent_to(rbm, phone)
        time.sleep(0.1)
    raise AssertionError(f"expected {count} RBM messages to {phone}, got {sent_to(rbm, phone)}")


@pytest.fixture
def phone() -> str:
    return f"+1556{uuid.uuid4().int % 10_000_000:07d}"


def test_the_webhook_handshake_echoes_the_secret_only_for_our_token(stack):
    url = f"{stack.rasa_url}/webhooks/rcs/webhook"
    ok = requests.post(url, json={"clientToken": RBM_CLIENT_TOKEN, "secret": "s3"}, timeout=10)
    assert ok.status_code == 200 and ok.json() == {"secret": "s3"}
    assert requests.post(url, json={"clientToken": "wrong", "secret": "s3"}, timeout=10).status_code == 403


def test_bad_signatures_and_malformed_pushes_are_refused(stack, phone):
    assert push(stack, user_text(phone, "hi"), signature="AAAA").status_code == 403
    assert push(stack, user_text(phone, "hi"), signature="").status_code == 403
    bad = requests.post(f"{stack.rasa_url}/webhooks/rcs/webhook", json={"message": {"data": "%%%"}}, timeout=10)
    assert bad.status_code == 400


def test_order_status_comes_as_a_rich_card_with_a_tracking_action(stack, rbm):
    maria = "+15552014477"
    before = len(sent_to(rbm, maria))
    assert push(stack, user_text(maria, "where is my order 10023")).status_code == 200
    card = wait_for(rbm, maria, before + 1)[-1]["richCard"]["standaloneCard"]["cardContent"]
    assert card["title"] == "Order 10023 is on its way"
    action = card["suggestions"][0]["action"]
    assert action["text"] == "Track package" and "1Z999AA10123456784" in action["openUrlAction"]["url"]
    assert all(r.headers.get("Authorization") == "Bearer ya29.test" for r in rbm.requests if "/v1/" in r.path)


def test_buttons_become_chips_and_a_chip_sends_its_payload(stack, rbm, phone):
    push(stack, user_text(phone, "can you recommend a good film for tonight"))
    chips = wait_for(rbm, phone, 1)[-1]["suggestions"]
    assert 0 < len(chips) <= 11 and all(len(c["reply"]["text"]) <= 25 for c in chips)
    track = next(c["reply"] for c in chips if c["reply"]["text"] == "Track an order")
    assert track["postbackData"] == "/order_status"
    push(stack, {"senderPhoneNumber": phone, "messageId": uuid.uuid4().hex,
                 "suggestionResponse": {"postbackData": track["postbackData"], "text": track["text"]}})  # fmt: skip
    assert "order number" in wait_for(rbm, phone, 2)[-1]["text"]


def test_duplicates_are_dropped_and_receipts_recorded(stack, rbm, phone):
    from bot.channels.sms_store import SmsStore

    message = user_text(phone, "hello")
    push(stack, message)
    push(stack, message)
    wait_for(rbm, phone, 1)
    time.sleep(1.0)
    assert len(sent_to(rbm, phone)) == 1
    push(stack, {"senderPhoneNumber": phone, "eventType": "READ", "eventId": uuid.uuid4().hex, "messageId": "m-1"})
    store = SmsStore(stack.config.env["CHANNELS_DATABASE_URL"])
    deadline = time.monotonic() + 10
    while store.status("rcs:m-1") is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert store.status("rcs:m-1") == {"status": "READ", "error_code": None}


def test_a_phone_without_rcs_falls_back_to_sms_and_it_is_remembered(stack, rbm, twilio, phone):
    rbm.routes[("POST", f"/v1/phones/{phone}/agentMessages")] = Answer(status=404, body={"error": "not found"})
    push(stack, user_text(phone, "hello"))
    deadline = time.monotonic() + 20
    while not texts_to(twilio, phone) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "support assistant" in texts_to(twilio, phone)[-1]
    rbm_calls = len(sent_to(rbm, phone))
    push(stack, user_text(phone, "thanks"))
    deadline = time.monotonic() + 20
    while len(texts_to(twilio, phone)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(texts_to(twilio, phone)) == 2 and len(sent_to(rbm, phone)) == rbm_calls
