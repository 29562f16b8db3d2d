"""Two tasks in one message on every channel, with conversation ids of every shape: the first task is done,
the second is offered on the customer's channel, and a typed "yes" (or, on SMS, the number of the choice)
starts it without asking again for what the first task proved.

What the customer "sees" is only what reached them through their channel (tests/customers.py)."""

from __future__ import annotations

from typing import Callable

import pytest

from tests.conftest import TWILIO
from tests.customers import Customer, RcsCustomer, RcsToSmsCustomer, RestCustomer, SmsCustomer, WebChatCustomer
from tests.handoff.test_every_channel import PHONES, SHAPES, conversation_ids, phone

MARIA = "maria.keller@example.com"  # the contact on order 10023 and on invoice INV-20931


def play(customer: Customer, take_it_up: str = "yes") -> None:
    try:
        customer.say("where is my order 10023? also i need an invoice")
        customer.wait_for("email address or phone number")
        seen = len(customer.seen())
        customer.say(MARIA)
        customer.wait_for("Order 10023", after=seen)
        offer = customer.wait_for("You also asked about this", after=seen)
        assert "Get an invoice" in offer, offer
        seen = len(customer.seen())
        customer.say(take_it_up)
        sent = customer.wait_for("emailed invoice INV-20931", after=seen)
        assert "email address or phone number" not in sent  # proven once, not asked again
    finally:
        customer.close()


@pytest.mark.parametrize("shape", SHAPES)
def test_rest(stack, shape):
    play(RestCustomer(stack.rasa_url, conversation_ids()[shape]))


def test_web_chat(stack):
    play(WebChatCustomer(stack.rasa_url))


@pytest.mark.parametrize("country", PHONES)
def test_sms(stack, twilio, twilio_webhooks, country):
    play(SmsCustomer(twilio, twilio_webhooks, phone(country), TWILIO["TWILIO_FROM_NUMBER"]))


def test_sms_answering_with_the_number_of_the_choice(stack, twilio, twilio_webhooks):
    # On SMS the offer's buttons are numbered choices; "1" is the first one, the offered task.
    play(SmsCustomer(twilio, twilio_webhooks, phone("uk"), TWILIO["TWILIO_FROM_NUMBER"]), take_it_up="1")


@pytest.mark.parametrize("make", [RcsCustomer, RcsToSmsCustomer], ids=["rcs", "rcs_falling_back_to_sms"])
def test_rcs(stack, rbm, rbm_webhooks, twilio, make: Callable[..., Customer]):
    number = phone("us")
    play(
        RcsCustomer(rbm, rbm_webhooks, number)
        if make is RcsCustomer
        else RcsToSmsCustomer(rbm, rbm_webhooks, twilio, number)
    )
