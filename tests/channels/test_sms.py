"""SMS end to end: signed Twilio webhooks into the running Rasa server, replies
out to a Twilio-compatible server on loopback."""

from __future__ import annotations

import time
import uuid
from typing import Dict, List
from urllib.parse import parse_qs

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.conftest import TWILIO
from tests.fakes import Answer

PUBLIC = TWILIO["SMS_PUBLIC_URL"]


def sent_to(twilio, phone: str) -> List[Dict[str, List[str]]]:
    """Messages the bot asked Twilio to send to ``phone``."""
    forms = [parse_qs(r.body.decode()) for r in twilio.requests if r.path.endswith("/Messages.json")]
    return [f for f in forms if f.get("To") == [phone]]


def texts_to(twilio, phone: str) -> List[str]:
    return [f["Body"][0] for f in sent_to(twilio, phone)]


def wait_for(twilio, phone: str, count: int, timeout: float = 20) -> List[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(texts_to(twilio, phone)) >= count:
            return texts_to(twilio, phone)
        time.sleep(0.1)
    raise AssertionError(f"expected {count} messages to {phone}, got {texts_to(twilio, phone)}")


def post_sms(
    stack,
    phone: str,
    body: str,
    sid: str | None = None,
    signature: str | None = None,
    path: str = "/webhooks/sms/webhook",
    extra: Dict[str, str] | None = None,
) -> requests.Response:
    form = {
        "MessageSid": sid or f"SM{uuid.uuid4().hex}",
        "From": phone,
        "To": TWILIO["TWILIO_FROM_NUMBER"],
        "Body": body,
        "NumMedia": "0",
        **(extra or {}),
    }
    if signature is None:
        signature = RequestValidator(TWILIO["TWILIO_AUTH_TOKEN"]).compute_signature(f"{PUBLIC}{path}", form)
    return requests.post(f"{stack.rasa_url}{path}", data=form, headers={"X-Twilio-Signature": signature}, timeout=10)


@pytest.fixture
def phone() -> str:
    return f"+1555{uuid.uuid4().int % 10_000_000:07d}"


def test_unsigned_or_forged_requests_are_refused(stack):
    assert post_sms(stack, "+15550001111", "hi", signature="").status_code == 403
    assert post_sms(stack, "+15550001111", "hi", signature="bm90IGEgc2lnbmF0dXJl").status_code == 403


def test_the_senders_number_proves_ownership_and_the_answer_comes_by_sms(stack, twilio):
    maria = "+15552014477"  # the phone on order 10023
    before = len(texts_to(twilio, maria))
    reply = post_sms(stack, maria, "where is my order 10023")
    assert reply.status_code == 200 and "<Response>" in reply.text
    answer = wait_for(twilio, maria, before + 1)[-1]
    assert "UPS" in answer and "email address or phone number" not in answer


def test_a_replayed_webhook_is_processed_once(stack, twilio, phone):
    sid = f"SM{uuid.uuid4().hex}"
    assert post_sms(stack, phone, "hello", sid=sid).status_code == 200
    assert post_sms(stack, phone, "hello", sid=sid).status_code == 200
    wait_for(twilio, phone, 1)
    time.sleep(1.0)
    assert len(texts_to(twilio, phone)) == 1


def test_buttons_become_numbers_and_a_number_picks_the_button(stack, twilio, phone):
    post_sms(stack, phone, "can you recommend a good film for tonight")
    offer = wait_for(twilio, phone, 1)[-1]
    assert "1: Track an order" in offer and "/order_status" not in offer
    post_sms(stack, phone, "1")
    assert "order number" in wait_for(twilio, phone, 2)[-1]


def test_stop_opts_out_and_start_opts_back_in(stack, twilio, phone):
    post_sms(stack, phone, "STOP")
    time.sleep(1.0)
    post_sms(stack, phone, "where is my order 10023")
    time.sleep(1.5)
    assert texts_to(twilio, phone) == []  # nothing at all goes to an opted-out number
    post_sms(stack, phone, "HELP")
    assert "Reply STOP" in wait_for(twilio, phone, 1)[-1]
    post_sms(stack, phone, "START")
    assert "subscribed again" in wait_for(twilio, phone, 2)[-1]
    post_sms(stack, phone, "hello")
    assert "support assistant" in wait_for(twilio, phone, 3)[-1]


def test_twilio_saying_unsubscribed_is_remembered(stack, twilio, phone):
    twilio.routes[("POST", f"/2010-04-01/Accounts/{TWILIO['TWILIO_ACCOUNT_SID']}/Messages.json")] = Answer(
        status=400, body={"code": 21610, "message": "Attempt to send to unsubscribed recipient"}
    )
    try:
        post_sms(stack, phone, "hello")
        wait_for(twilio, phone, 1)
    finally:
        twilio.routes.clear()
    time.sleep(0.5)
    post_sms(stack, phone, "hello again")
    time.sleep(1.5)
    assert len(texts_to(twilio, phone)) == 1


def test_delivery_status_callbacks_are_recorded(stack):
    from bot.channels.sms_store import SmsStore

    reply = post_sms(stack, "+15550002222", "", sid="SM-status-1", path="/webhooks/sms/status",
                     extra={"MessageStatus": "undelivered", "ErrorCode": "30003"})  # fmt: skip
    assert reply.status_code == 200
    store = SmsStore(stack.config.env["CHANNELS_DATABASE_URL"])
    assert store.status("SM-status-1") == {"status": "undelivered", "error_code": "30003"}


def test_an_agents_reply_reaches_an_sms_customer_by_sms(stack, twilio, phone):
    from tests.conftest import DESK_AGENT, DESK_PASSWORD
    from tests.handoff.test_takeover import Desk

    post_sms(stack, phone, "I want to talk to a human")
    wait_for(twilio, phone, 1)
    desk = Desk(stack.desk_url, DESK_AGENT, DESK_PASSWORD)
    ticket = desk.ticket_for(phone)
    assert ticket["channel"] == "sms"
    desk.post(ticket["id"], "claim")
    desk.post(ticket["id"], "reply", text="Hi, this is Sam from the support team.")
    assert wait_for(twilio, phone, 2)[-1] == "Hi, this is Sam from the support team."
