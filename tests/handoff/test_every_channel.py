"""The whole hand-off, end to end, on every channel, with conversation ids of every shape.

Escalate -> the ticket carries the full transcript -> the waiting customer hears where they stand -> claim ->
the agent's reply arrives on the customer's channel -> the customer's next messages appear in the desk while
the bot stays silent -> resolve -> the welcome-back and the satisfaction question arrive on that channel ->
the rating is stored -> the bot answers the customer's next message.

What the customer "sees" is only what reached them through their channel (tests/customers.py): the SMS and
RCS doubles accept only what Twilio and RBM would accept, so a message sent wrongly never counts as seen.
"""

from __future__ import annotations

import time
import uuid
from typing import Callable, Dict

import pytest

from tests.conftest import DESK_AGENT, DESK_PASSWORD, TWILIO
from tests.customers import (
    Customer,
    RcsCustomer,
    RcsToSmsCustomer,
    RestCustomer,
    SmsCustomer,
    WebChatCustomer,
    wait_until,
)
from tests.helpers import Desk


def conversation_ids() -> Dict[str, str]:
    """One id of each shape a channel may use as the conversation id (at most 128 characters)."""
    tag = uuid.uuid4().hex[:8]
    return {
        "e164": f"+1555{uuid.uuid4().int % 10_000_000:07d}",
        "email": f"maria.keller+{tag}@example.com",
        "spaces": f"Maria Keller {tag} at home",
        "non_ascii": f"Zoë Çelik 東京 {tag} ✓",
        "128_chars": (f"long-{tag}-" + "x" * 128)[:128],
    }


def phone(country: str) -> str:
    digits = f"{uuid.uuid4().int % 10_000_000:07d}"
    return {"us": f"+1556{digits}", "uk": f"+44770{digits}", "de": f"+49151{digits}"}[country]


SHAPES = list(conversation_ids())
PHONES = ["us", "uk", "de"]


def play_the_handoff(customer: Customer, desk: Desk, timings: Dict[str, float]) -> None:
    cid = customer.conversation_id
    customer.say("I want to talk to a human")
    started = time.monotonic()
    told = customer.wait_for("")  # the queue acknowledgement, on the customer's channel
    assert "in the queue" in told or "offline right now" in told, told
    ticket = desk.ticket_for(cid)
    timings["escalation_to_desk_s"] = time.monotonic() - started
    assert ticket["conversation_id"] == cid and ticket["channel"] == customer.channel
    first = next(m for m in desk.view(ticket["id"])["transcript"] if m["sender"] == "customer")
    assert first["text"] == "I want to talk to a human" and first["intent"] == "request_human"
    assert first["confidence"] > 0.5 and first["top_intents"]

    seen = len(customer.seen())
    customer.say("hello? is anyone there")
    assert "added that to your request" in customer.wait_for("added that to your request", after=seen)

    assert desk.post(ticket["id"], "claim").json()["status"] == "assigned"
    seen = len(customer.seen())
    started = time.monotonic()
    assert desk.post(ticket["id"], "reply", text="Hi, this is Sam from the support team. I'm on it.").ok
    customer.wait_for("this is Sam from the support team", after=seen)
    timings["agent_reply_to_customer_s"] = time.monotonic() - started

    assert desk.post(ticket["id"], "note", text="INTERNAL: courier claim 4471 opened").ok
    seen = len(customer.seen())
    customer.say("the parcel arrived damaged, the box was crushed")
    wait_until(
        lambda: any("box was crushed" in m["text"] for m in desk.view(ticket["id"])["transcript"]),
        what="the customer's message in the desk",
    )
    time.sleep(0.5)
    assert customer.seen()[seen:] == [], "the bot spoke while an agent had the conversation"
    assert not any("INTERNAL" in text for text in customer.seen()), "an internal note reached the customer"

    seen = len(customer.seen())
    started = time.monotonic()
    assert desk.post(ticket["id"], "resolve").json()["status"] == "resolved"
    customer.wait_for("back with the assistant", after=seen)
    customer.wait_for("from 1", after=seen)
    timings["resolve_to_welcome_back_s"] = time.monotonic() - started

    seen = len(customer.seen())
    customer.say("4")
    customer.wait_for("Thank you", after=seen)
    wait_until(lambda: desk.view(ticket["id"])["ticket"]["satisfaction"] == 4, what="the rating on the ticket")

    seen = len(customer.seen())
    customer.say("where is my order")
    assert "order number" in customer.wait_for("order number", after=seen)
    timeline = [m["sender"] for m in desk.view(ticket["id"])["transcript"]]
    assert "agent" in timeline and timeline.count("customer") >= 5


@pytest.fixture
def desk(stack) -> Desk:
    return Desk(stack.desk_url, DESK_AGENT, DESK_PASSWORD)


@pytest.fixture
def timings(request) -> Dict[str, float]:
    measured: Dict[str, float] = {}
    yield measured
    print(f"\n{request.node.name}: " + ", ".join(f"{k} {v:.2f}" for k, v in measured.items()))


def run(make: Callable[[], Customer], desk: Desk, timings: Dict[str, float]) -> None:
    customer = make()
    try:
        play_the_handoff(customer, desk, timings)
    finally:
        customer.close()


@pytest.mark.parametrize("shape", SHAPES)
def test_rest(stack, desk, timings, shape):
    run(lambda: RestCustomer(stack.rasa_url, conversation_ids()[shape]), desk, timings)


def test_web_chat(stack, desk, timings):
    """Web-chat ids are the server's own (a browser cannot name its conversation), so one shape."""
    run(lambda: WebChatCustomer(stack.rasa_url), desk, timings)


def test_web_chat_after_a_reload_with_the_session_it_was_given(stack, desk, timings):
    first = WebChatCustomer(stack.rasa_url)
    first.close()
    run(lambda: WebChatCustomer(stack.rasa_url, first.session_token), desk, timings)


@pytest.mark.parametrize("country", PHONES)
def test_sms(stack, desk, timings, twilio, twilio_webhooks, country):
    run(lambda: SmsCustomer(twilio, twilio_webhooks, phone(country), TWILIO["TWILIO_FROM_NUMBER"]), desk, timings)


@pytest.mark.parametrize("country", PHONES)
def test_rcs(stack, desk, timings, rbm, rbm_webhooks, country):
    run(lambda: RcsCustomer(rbm, rbm_webhooks, phone(country)), desk, timings)


@pytest.mark.parametrize("country", ["us", "uk"])
def test_rcs_falling_back_to_sms(stack, desk, timings, rbm, rbm_webhooks, twilio, country):
    run(lambda: RcsToSmsCustomer(rbm, rbm_webhooks, twilio, phone(country)), desk, timings)
