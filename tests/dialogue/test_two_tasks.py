"""Two tasks in one message, end to end (REST -> Rasa -> action server -> demo backend): the first one named
is done, the second is offered once it is over, and a button or a typed "yes" starts it."""

from __future__ import annotations

from tests.helpers import button_payloads, texts

MARIA = "maria.keller@example.com"
OFFER = "You also asked about this"


def test_the_first_task_is_done_then_the_second_offered_and_started_with_yes(chat):
    first = texts(chat("where is my order 10023? also i need an invoice"))
    assert "email address or phone number" in first and OFFER not in first  # the first task, not both at once
    done = chat(MARIA)
    assert "Order 10023" in texts(done)
    assert f"{OFFER}: Get an invoice" in texts(done)
    assert button_payloads(done) == ["/invoice_request", "/deny"]
    # The invoice task starts; the order it proved already is not asked for again.
    assert "emailed invoice INV-20931" in texts(chat("yes"))


def test_the_task_named_first_goes_first_even_when_the_second_reads_louder(chat):
    # Read whole, this message is a cancellation; the customer asked about the order first.
    first = texts(chat("where is order 10023 + cancel my other order please"))
    assert "email address or phone number" in first
    done = texts(chat(MARIA))
    assert "Order 10023" in done and "UPS" in done and "cancel" not in done.split("Order 10023")[0].lower()
    assert f"{OFFER}: Cancel an order" in done
    # A typed yes starts the cancellation itself (the look-up that follows knows it is for cancelling), on the
    # order already proven: 10023 has shipped, so the answer is the cancellation's own.
    assert "can't be cancelled" in texts(chat("yes"))


def test_the_offer_is_made_once_and_no_means_no(chat):
    chat("track order 10023 and also i want to talk about a charge")
    done = texts(chat(MARIA))
    assert f"{OFFER}: Question a charge" in done
    assert "anything else" in texts(chat("no")).lower()
    again = texts(chat("where is my order 10023?"))
    assert OFFER not in again and "Order 10023" in again  # verified already; nothing offered a second time


def test_a_single_task_offers_nothing_and_a_yes_after_it_is_a_stray_yes(chat):
    chat("where is my order 10023?")
    done = texts(chat(MARIA))
    assert "Order 10023" in done and OFFER not in done
    assert "anything else" in texts(chat("yes")).lower()
