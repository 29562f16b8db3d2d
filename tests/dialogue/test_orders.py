"""Order conversations end to end: REST channel -> Rasa -> action server -> demo backend."""

from __future__ import annotations

from tests.helpers import button_payloads, handed_over, texts

MARIA = "maria.keller@example.com"
TOM_PHONE = "+44 7700 900123"


def test_order_status_is_shown_only_after_ownership_is_proven(chat):
    first = texts(chat("where is my order 10023?"))
    assert "email address or phone number" in first
    assert "UPS" not in first and "hoodie" not in first.lower()

    answer = texts(chat(MARIA))
    assert "Order 10023" in answer and "UPS" in answer
    assert "https://carrier.example/track/1Z999AA10123456784" in answer


def test_order_number_given_up_front_is_not_asked_again(chat):
    reply = texts(chat("can u check on order 10023 for me"))
    assert "order number" not in reply.lower()
    assert "email address or phone number" in reply


def test_a_verified_order_is_not_verified_twice(chat):
    chat("where is my order 10023?")
    chat(MARIA)
    reply = texts(chat("actually can i cancel it"))
    assert "email address or phone number" not in reply
    assert "already left our warehouse" in reply


def test_shipped_order_cannot_be_cancelled_and_a_return_is_offered(chat):
    chat("cancel order 10023")
    reply = chat(MARIA)
    assert "can't be cancelled" in texts(reply)
    assert "/refund_request" in button_payloads(reply)


def test_processing_order_is_cancelled_after_confirmation_and_twice_is_harmless(chat):
    chat("please cancel order 10025")
    confirm = chat("+1 555 201 4477")
    assert "Just to confirm" in texts(confirm)
    assert "/affirm" in button_payloads(confirm)
    assert "is cancelled" in texts(chat("yes"))
    assert "already cancelled" in texts(chat("cancel 10025 please"))


def test_declining_the_confirmation_keeps_the_order(chat):
    chat("i want to cancel my order")
    chat("10026")
    chat(TOM_PHONE)
    assert "stays as it is" in texts(chat("no"))


def test_address_change_explains_the_format_then_succeeds(chat):
    chat("i need to change the delivery address")
    chat("10026")
    assert "new delivery address" in texts(chat(TOM_PHONE))
    assert "couldn't read that as an address" in texts(chat("somewhere nice"))
    assert "12 Baker Street, London NW1 6XE" in texts(chat("12 Baker Street, London NW1 6XE"))


def test_late_order_gets_an_apology_and_the_offer_of_a_person(chat):
    chat("my parcel 10042 still hasnt arrived")
    reply = chat(TOM_PHONE)
    assert "running late" in texts(reply)
    assert "/request_human" in button_payloads(reply)


def test_return_outside_the_window_is_explained_and_a_person_offered(chat):
    chat("i want to return something from order 10061")
    chat("tom.okafor@example.org")
    chat("the canvas tote bag")
    reply = chat("It doesn't fit")
    assert "30-day return window" in texts(reply)
    assert "/request_human" in button_payloads(reply)


def test_refund_status_says_where_the_money_is(chat):
    chat("where is my refund for 10031")
    reply = texts(chat(TOM_PHONE))
    assert "$75.00" in reply and "being processed" in reply


def test_invalid_order_number_is_explained_and_a_person_offered_after_two_tries(chat):
    chat("track my order")
    first = chat("1234")
    assert "5 digits" in texts(first)
    assert "/request_human" not in button_payloads(first)
    second = chat("no idea")
    assert "/request_human" in button_payloads(second)
    assert "What's your order number" in texts(second)


def test_wrong_contact_three_times_ends_the_lookup_without_revealing_anything(chat):
    chat("where is order 10023")
    replies = [chat(email) for email in ("a@example.com", "b@example.com", "c@example.com")]
    everything = "\n".join(texts(r) for r in replies)
    assert "UPS" not in everything and "hoodie" not in everything.lower()
    assert "can't match those details" in texts(replies[-1])
    assert "/request_human" in button_payloads(replies[-1])


def test_a_digression_is_answered_and_the_form_resumes(chat):
    chat("cancel my order")
    reply = texts(chat("what delivery options do you have"))
    assert "click & collect" in reply
    assert "order number" in reply


def test_stop_leaves_the_form(chat):
    chat("i want a refund")
    assert "stopped" in texts(chat("forget it"))
    assert "order number" not in texts(chat("hello"))


def test_asking_for_a_person_mid_form_hands_off(chat):
    chat("where is my order")
    assert handed_over(texts(chat("let me talk to a human")))


def test_another_order_checked_with_the_contact_already_given_is_one_guess_not_two(chat):
    """Switching to someone else's order: the proven e-mail is tried once (one mismatch, counted once), not once
    by each of the form's checks - which would offer a person after a single wrong answer."""
    chat("where is my order 10024")
    assert "Oak table lamp" in texts(chat("maria.keller@example.com"))
    reply = texts(chat("what about order 10026?"))
    assert reply.count("don't match") == 1 and "getting stuck" not in reply
