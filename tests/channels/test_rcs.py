"""RCS end to end: RBM's signed pushes into the running Rasa server, agent messages out to the RBM double, which
refuses whatever RBM would refuse (tests/providers/rbm.py cites each rule)."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from bot.channels.rendering import is_gsm7, segment_count
from tests.conftest import DESK_AGENT, DESK_PASSWORD, RBM_CLIENT_TOKEN, TWILIO
from tests.customers import RcsCustomer, RcsToSmsCustomer, wait_until
from tests.helpers import Desk
from tests.providers.rbm import RbmWebhooks

MARIA = "+15552014477"  # the phone on order 10023


@pytest.fixture
def phone() -> str:
    return f"+1556{uuid.uuid4().int % 10_000_000:07d}"


@pytest.fixture
def customer(rbm, rbm_webhooks, phone, stack) -> RcsCustomer:
    return RcsCustomer(rbm, rbm_webhooks, phone)


def test_the_webhook_is_verified_with_the_plain_secret(stack, rbm_webhooks):
    """RBM's registration: 200 with the secret as the plain-text body, never JSON."""
    reply = rbm_webhooks.verify()
    assert rbm_webhooks.handshake_ok(reply, rbm_webhooks.last_secret), (reply.status_code, reply.text)
    stranger = RbmWebhooks("not-our-token", rbm_webhooks.webhook_url, "x")
    refused = stranger.verify()
    assert refused.status_code in (400, 401, 403) and stranger.last_secret not in refused.text


def test_bad_signatures_and_malformed_pushes_are_refused(stack, rbm_webhooks, phone):
    message = {"senderPhoneNumber": phone, "messageId": str(uuid.uuid4()), "text": "hi"}
    assert rbm_webhooks.push(message, signature="AAAA").status_code == 403
    assert rbm_webhooks.push(message, signature="").status_code == 403
    bad = requests.post(f"{stack.rasa_url}/webhooks/rcs/webhook", json={"message": {"data": "%%%"}}, timeout=10)
    assert bad.status_code == 400


def test_order_status_comes_as_a_rich_card_with_a_tracking_action(stack, rbm, rbm_webhooks):
    before = len(rbm.messages_to(MARIA))
    rbm_webhooks.text(MARIA, "where is my order 10023")
    wait_until(lambda: len(rbm.messages_to(MARIA)) > before, what="the card")
    sent = rbm.messages_to(MARIA)[-1]
    card = sent.content["richCard"]["standaloneCard"]["cardContent"]
    assert card["title"] == "Order 10023 is on its way"
    action = card["suggestions"][0]["action"]
    assert action["text"] == "Track package" and "1Z999AA10123456784" in action["openUrlAction"]["url"]
    assert sent.agent_id == "support-bot-agent"
    uuid.UUID(sent.message_id)  # a hyphenated UUID, RBM's idempotency key
    assert sent.message_id == str(uuid.UUID(sent.message_id))


def test_buttons_become_chips_and_a_chip_sends_its_payload(customer, rbm, rbm_webhooks, phone):
    customer.say("can you recommend a good film for tonight")
    wait_until(lambda: any("suggestions" in m.content for m in rbm.messages_to(phone)), what="chips")
    chips = next(m.content for m in rbm.messages_to(phone) if "suggestions" in m.content)["suggestions"]
    assert 0 < len(chips) <= 11 and all(len(c["reply"]["text"]) <= 25 for c in chips)
    track = next(c["reply"] for c in chips if c["reply"]["text"] == "Track an order")
    seen = len(customer.seen())
    rbm_webhooks.suggestion(phone, track["postbackData"], track["text"])
    customer.wait_for("order number", after=seen)


def test_duplicates_are_dropped_and_receipts_only_move_forward(stack, customer, rbm, rbm_webhooks, phone):
    from bot.channels.store import ChannelStore

    message_id = str(uuid.uuid4())
    rbm_webhooks.text(phone, "hello", message_id=message_id)
    rbm_webhooks.text(phone, "hello", message_id=message_id)
    customer.wait_for("support assistant")
    time.sleep(1.5)
    assert len(rbm.messages_to(phone)) == 1
    sent = rbm.messages_to(phone)[0].message_id
    rbm_webhooks.event(phone, "READ", sent)
    rbm_webhooks.event(phone, "DELIVERED", sent)  # arrives late: READ implies DELIVERED
    store = ChannelStore(stack.config.env["CHANNELS_DATABASE_URL"])
    wait_until(lambda: store.receipt(sent) is not None, what="the receipt")
    time.sleep(0.5)
    assert store.receipt(sent) == {"status": "read", "error_code": None}


def test_a_file_or_a_place_is_kept_for_the_agent(stack, customer, rbm_webhooks, phone):
    rbm_webhooks.file(phone, "https://rcs.example/files/photo-of-box.jpg", "image/jpeg", "box.jpg", 120_000)
    assert "only read text" in customer.wait_for("only read text")
    seen = len(customer.seen())
    rbm_webhooks.location(phone, 51.5007, -0.1246)
    customer.wait_for("only read text", after=seen)
    customer.say("I want to talk to a human")
    desk = Desk(stack.desk_url, DESK_AGENT, DESK_PASSWORD)
    transcript = desk.view(desk.ticket_for(phone)["id"])["transcript"]
    urls = [a["url"] for m in transcript for a in m["attachments"]]
    assert urls == ["https://rcs.example/files/photo-of-box.jpg", "geo:51.5007,-0.1246"]


def test_a_phone_without_rcs_is_answered_by_sms_with_everything_sms_promises(stack, rbm, rbm_webhooks, twilio):
    """The fallback goes through the one SMS sender: the segment budget, GSM-7, numbered choices, consent."""
    phone = f"+1557{uuid.uuid4().int % 10_000_000:07d}"
    customer = RcsToSmsCustomer(rbm, rbm_webhooks, twilio, phone)
    customer.say("can you recommend a good film for tonight")
    offer = customer.wait_for("Reply with a number")
    assert "1: Track an order" in offer and is_gsm7(offer) and segment_count(offer).segments <= 3
    assert twilio.messages_to(phone)[-1].from_ == TWILIO["TWILIO_FROM_NUMBER"]
    seen = len(customer.seen())
    customer.say("1")  # the number picks the choice, though the customer wrote over RCS
    customer.wait_for("order number", after=seen)
    attempts = len([r for r in rbm.refused if phone in r.path])
    seen = len(customer.seen())
    customer.say("thanks")
    customer.wait_for("", after=seen)
    assert len([r for r in rbm.refused if phone in r.path]) == attempts  # remembered: RCS not tried again


def test_the_sms_fallback_respects_an_sms_opt_out(stack, rbm, rbm_webhooks, twilio, twilio_webhooks):
    phone = f"+1557{uuid.uuid4().int % 10_000_000:07d}"
    customer = RcsToSmsCustomer(rbm, rbm_webhooks, twilio, phone)
    twilio_webhooks.inbound("/webhooks/sms/webhook", from_=phone, to=TWILIO["TWILIO_FROM_NUMBER"], body="STOP")
    time.sleep(0.5)
    customer.say("hello")
    time.sleep(2.5)
    assert customer.seen() == [] and not [r for r in twilio.refused if r.form.get("To") in (phone, [phone])]


def test_rbm_being_down_delays_an_answer_and_loses_nothing(customer, rbm):
    rbm.fail_next(2, http_status=503)
    customer.say("hello")
    customer.wait_for("support assistant", timeout=30)  # retried after 1 s and 2 s, with the same messageId
    assert len(customer.seen()) == 1


def test_stop_typed_over_rcs_stops_rcs_and_sms(customer, rbm, twilio, phone):
    customer.say("STOP")
    time.sleep(0.5)
    customer.say("where is my order 10023")
    time.sleep(2)
    assert rbm.messages_to(phone) == [] and twilio.messages_to(phone) == []
    customer.say("START")
    assert "subscribed again" in customer.wait_for("subscribed again")


def test_a_push_for_another_agent_of_the_partner_is_not_answered(stack, rbm, phone):
    """One queue serves every agent of a partner: brand B's customers are not this bot's to answer."""
    other = RbmWebhooks(RBM_CLIENT_TOKEN, f"{stack.rasa_url}/webhooks/rcs/webhook", "another-brands-agent")
    assert other.text(phone, "hello").status_code == 200
    time.sleep(2)
    assert rbm.messages_to(phone) == []


def test_subscription_events_arriving_out_of_order_keep_the_latest_choice(tmp_path):
    from bot.channels.store import ChannelStore

    store = ChannelStore(f"sqlite:///{tmp_path / 'channels.db'}")
    assert store.set_opted_out("rcs", "+15550001", True, "rcs UNSUBSCRIBE", scope="marketing", at=200.0)
    assert not store.set_opted_out("rcs", "+15550001", False, "rcs SUBSCRIBE", scope="marketing", at=100.0)
    assert store.is_opted_out("rcs", "+15550001", marketing=True)
    assert not store.is_opted_out("rcs", "+15550001")  # answers to the customer's own messages still go
