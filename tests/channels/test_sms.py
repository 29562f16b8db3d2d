"""SMS end to end: signed Twilio webhooks into the running Rasa server, replies out to the Twilio double, which
refuses whatever Twilio would refuse (tests/providers/twilio.py cites each rule)."""

from __future__ import annotations

import time
import uuid

import pytest

from bot.channels.rendering import is_gsm7, segment_count
from tests.conftest import DESK_AGENT, DESK_PASSWORD, TWILIO
from tests.customers import SmsCustomer, wait_until
from tests.helpers import Desk
from tests.providers.twilio import check_twiml_ack

BOT = TWILIO["TWILIO_FROM_NUMBER"]
MARIA = "+15552014477"  # the phone on order 10023


@pytest.fixture
def phone() -> str:
    return f"+1555{uuid.uuid4().int % 10_000_000:07d}"


@pytest.fixture
def customer(twilio, twilio_webhooks, phone, stack) -> SmsCustomer:
    return SmsCustomer(twilio, twilio_webhooks, phone, BOT)


def refused_to(twilio, phone):
    return [r for r in twilio.refused if r.form.get("To") in (phone, [phone])]


def test_unsigned_or_forged_requests_are_refused(stack, twilio_webhooks):
    form = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": "+15550001111", "To": BOT, "Body": "hi"}
    assert twilio_webhooks.post_signed("/webhooks/sms/webhook", form, signature="").status_code == 403
    assert (
        twilio_webhooks.post_signed("/webhooks/sms/webhook", form, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    )
    assert twilio_webhooks.post_signed("/webhooks/sms/status", form, signature="").status_code == 403


def test_twilio_gets_an_empty_twiml_answer_at_once(stack, twilio_webhooks, phone):
    started = time.monotonic()
    reply = twilio_webhooks.inbound("/webhooks/sms/webhook", from_=phone, to=BOT, body="where is my order 10023")
    check_twiml_ack(reply)
    assert time.monotonic() - started < 2  # Twilio waits 15 s at most; the NLU and the actions run afterwards


def test_a_webhook_url_with_a_query_string_is_verified_over_the_full_url(stack, twilio_webhooks, twilio, phone):
    """Twilio signs the URL it called, query string included (webhooks-security)."""
    reply = twilio_webhooks.inbound("/webhooks/sms/webhook", from_=phone, to=BOT, body="hello", query="src=console&v=2")
    assert reply.status_code == 200
    wait_until(lambda: twilio.messages_to(phone), what="an answer")


def test_the_senders_number_proves_ownership_and_the_answer_fits_the_budget(stack, twilio, twilio_webhooks):
    customer = SmsCustomer(twilio, twilio_webhooks, MARIA, BOT)
    seen = len(customer.seen())
    customer.say("where is my order 10023")
    answer = customer.wait_for("UPS", after=seen)
    assert "email address or phone number" not in answer
    assert "https://" in answer  # the tracking link survives any cut
    assert is_gsm7(answer) and segment_count(answer).segments <= 3


def test_a_replayed_webhook_is_processed_once(stack, twilio, twilio_webhooks, phone):
    sid = f"SM{uuid.uuid4().hex}"
    for _ in range(2):
        assert (
            twilio_webhooks.inbound(
                "/webhooks/sms/webhook", from_=phone, to=BOT, body="hello", message_sid=sid
            ).status_code
            == 200
        )
    wait_until(lambda: twilio.messages_to(phone), what="the answer")
    time.sleep(1.5)
    assert len(twilio.messages_to(phone)) == 1


def test_buttons_become_numbers_and_a_number_picks_the_button(customer):
    customer.say("can you recommend a good film for tonight")
    offer = customer.wait_for("Reply with a number")
    assert "1: Track an order" in offer and "/order_status" not in offer
    seen = len(customer.seen())
    customer.say("1")
    customer.wait_for("order number", after=seen)


@pytest.mark.parametrize("stop", ["STOP", "stopall", "Unsubscribe", "cancel", "END", "quit", "REVOKE", "OptOut"])
def test_every_opt_out_word_stops_everything(customer, twilio, phone, stop):
    customer.say(stop)
    time.sleep(0.5)
    customer.say("where is my order 10023")
    customer.say("HELP")  # an opted-out number gets no HELP answer either
    time.sleep(2)
    assert customer.seen() == [] and refused_to(twilio, phone) == []  # nothing was even tried


@pytest.mark.parametrize("start", ["START", "YES", "unstop"])
def test_every_opt_in_word_opts_back_in(customer, start):
    customer.say("STOP")
    time.sleep(0.5)
    customer.say(start)
    customer.wait_for("subscribed again")
    seen = len(customer.seen())
    customer.say("hello")
    customer.wait_for("support assistant", after=seen)


def test_yes_from_a_subscribed_number_is_an_answer_not_a_keyword(customer):
    customer.say("hello")
    customer.wait_for("support assistant")
    seen = len(customer.seen())
    customer.say("yes")
    time.sleep(2)
    assert not any("subscribed again" in text for text in customer.seen()[seen:])


def test_help_is_answered_while_subscribed(customer):
    customer.say("HELP")
    assert "Reply STOP" in customer.wait_for("Reply STOP")


def test_twilio_refusing_an_unsubscribed_number_is_remembered(customer, twilio, phone):
    twilio.opt_out(phone)  # the customer texted STOP to Twilio on another of our numbers
    customer.say("hello")
    wait_until(lambda: refused_to(twilio, phone), what="Twilio's 21610")
    assert refused_to(twilio, phone)[0].code == 21610
    twilio.opt_in(phone)  # Twilio would deliver again, but the customer asked us to stop
    customer.say("hello again")
    time.sleep(2)
    assert customer.seen() == [] and len(refused_to(twilio, phone)) == 1


def test_21610_in_a_status_callback_records_the_opt_out(customer, twilio, phone):
    customer.say("hello")
    customer.wait_for("support assistant")
    sid = twilio.messages_to(phone)[-1].sid
    assert twilio.report_status(sid, "failed", error_code=21610).status_code == 200
    seen = len(customer.seen())
    customer.say("where is my order")
    time.sleep(2)
    assert customer.seen()[seen:] == [] and refused_to(twilio, phone) == []


def test_receipts_only_move_forward(stack, customer, twilio, phone):
    from bot.channels.store import ChannelStore

    customer.say("hello")
    customer.wait_for("support assistant")
    sid = twilio.messages_to(phone)[-1].sid
    for status in ("delivered", "sent", "queued"):
        assert twilio.report_status(sid, status).status_code == 200
    store = ChannelStore(stack.config.env["CHANNELS_DATABASE_URL"])
    assert store.receipt(sid) == {"status": "delivered", "error_code": None}
    twilio.report_status(sid, "read")
    assert store.receipt(sid)["status"] == "read"


def test_twilio_being_down_delays_an_answer_and_loses_nothing(customer, twilio):
    twilio.fail_next(2, http_status=503)
    customer.say("hello")
    customer.wait_for("support assistant", timeout=30)  # retried after 1 s and 2 s


def test_a_picture_is_kept_for_the_agent_and_the_customer_told_the_bot_reads_text(
    stack, twilio_webhooks, twilio, phone
):
    picture = "https://api.twilio.com/2010-04-01/Accounts/AC00/Messages/MM1/Media/ME1"
    twilio_webhooks.inbound("/webhooks/sms/webhook", from_=phone, to=BOT, body="", media=[(picture, "image/jpeg")])
    customer = SmsCustomer(twilio, twilio_webhooks, phone, BOT)
    assert "only read text" in customer.wait_for("only read text")
    seen = len(customer.seen())
    customer.say("I want to talk to a human")
    customer.wait_for("in the queue", after=seen)
    desk = Desk(stack.desk_url, DESK_AGENT, DESK_PASSWORD)
    transcript = desk.view(desk.ticket_for(phone)["id"])["transcript"]
    photo = next(m for m in transcript if m["attachments"])
    assert photo["sender"] == "customer" and photo["attachments"][0]["url"] == picture


def test_an_agents_reply_over_1600_characters_arrives_whole_in_parts(stack, customer, twilio, phone):
    customer.say("I want to talk to a human")
    customer.wait_for("")
    desk = Desk(stack.desk_url, DESK_AGENT, DESK_PASSWORD)
    ticket = desk.ticket_for(phone)
    desk.post(ticket["id"], "claim")
    long = " ".join(f"Step {n}: check the box and the label." for n in range(90))  # about 3,500 characters
    reply = desk.post(ticket["id"], "reply", text=long)
    assert reply.status_code == 200, reply.text
    wait_until(lambda: len([t for t in customer.seen() if t.endswith("/3)")]) == 3, what="three parts")
    parts = [m.body for m in twilio.messages_to(phone) if m.body.endswith(("/3)",))]
    assert [p[-5:] for p in parts] == ["(1/3)", "(2/3)", "(3/3)"] and refused_to(twilio, phone) == []
    assert " ".join(p.rsplit(" (", 1)[0] for p in parts) == long


def test_a_replayed_keyword_changes_nothing(customer, twilio_webhooks, phone):
    """Twilio's signature has no timestamp: a captured START replayed after a STOP must not opt back in."""
    start_sid = f"SM{uuid.uuid4().hex}"
    customer.say("STOP")
    time.sleep(0.3)
    twilio_webhooks.inbound("/webhooks/sms/webhook", from_=phone, to=BOT, body="START", message_sid=start_sid)
    customer.wait_for("subscribed again")
    customer.say("STOP")
    time.sleep(0.3)
    seen = len(customer.seen())
    twilio_webhooks.inbound("/webhooks/sms/webhook", from_=phone, to=BOT, body="START", message_sid=start_sid)
    customer.say("hello")
    time.sleep(2)
    assert customer.seen()[seen:] == []


def test_a_repeated_form_field_is_refused_not_a_server_error(stack, twilio_webhooks, phone):
    import requests

    body = f"MessageSid=SM{uuid.uuid4().hex}&From={phone}&To={BOT}&Body=a&Body=b"
    reply = requests.post(f"{stack.rasa_url}/webhooks/sms/webhook", data=body,
                          headers={"Content-Type": "application/x-www-form-urlencoded",
                                   "X-Twilio-Signature": "c2lnbmF0dXJl"}, timeout=10)  # fmt: skip
    assert reply.status_code == 403


def test_stop_over_sms_also_stops_rcs_to_that_phone(stack, customer, rbm, rbm_webhooks, phone):
    """One phone, one consent: the RCS channel (and its SMS fallback) must not reach a number that said STOP."""
    customer.say("STOP")
    time.sleep(0.5)
    rbm_webhooks.text(phone, "where is my order 10023")
    time.sleep(2)
    assert rbm.messages_to(phone) == [] and customer.seen() == []
