"""Billing and account conversations end to end."""

from __future__ import annotations

from tests.helpers import REST_HEADERS, button_payloads, handed_over, texts


def test_invoice_number_up_front_sends_the_invoice_to_the_address_on_file(chat):
    reply = texts(chat("can you send me invoice INV-20931"))
    assert "INV-20931" in reply and "address on your account" in reply


def test_unknown_invoice_is_re_asked(chat):
    chat("i need an invoice")
    assert "couldn't find an invoice" in texts(chat("INV-99999"))
    assert "INV-20944" in texts(chat("INV-20944"))


def test_a_disputed_charge_is_found_explained_and_passed_on_with_the_charge(chat):
    assert "email address on your account" in texts(chat("you charged me twice"))
    assert "Which charge" in texts(chat("tom.okafor@example.org"))
    assert "What's wrong with that charge" in texts(chat("the $75.00 one"))
    reply = chat("I was charged twice")
    assert "$75.00" in texts(reply) and "Order 10031 (second capture)" in texts(reply)
    assert "reference D-" in texts(reply)
    assert "/request_human" in button_payloads(reply)


def test_a_charge_that_cannot_be_found_is_still_recorded_for_billing(chat):
    chat("there's a charge on my card i don't recognise")
    chat("maria.keller@example.com")
    chat("$12.34 last week")
    reply = texts(chat("I don't recognise this charge"))
    assert "couldn't match" in reply and "reference D-" in reply


def test_sign_in_help_never_reveals_whether_an_account_exists(chat, stack, conversation_id):
    import requests

    def ask(sender: str, email: str) -> str:
        def send(text: str):
            return requests.post(
                f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30,
                headers=REST_HEADERS,
            ).json()

        send("i forgot my password")
        return texts(send(email))

    known = ask(conversation_id + "-known", "maria.keller@example.com")
    unknown = ask(conversation_id + "-unknown", "nobody@example.com")
    assert "reset link" in known
    assert known == unknown


def test_locked_account_goes_straight_to_a_person(chat):
    chat("my account is locked")
    reply = texts(chat("aiko.t@example.net"))
    assert "unlock" in reply and handed_over(reply)


def test_payment_problem_sends_a_secure_link_and_warns_about_card_numbers(chat):
    chat("my card got declined at checkout")
    reply = texts(chat("maria.keller@example.com"))
    assert "secure link" in reply and "never type card numbers" in reply


def test_account_deletion_needs_email_and_phone_then_goes_to_the_privacy_team(chat):
    chat("please delete my account")
    assert "phone number on it" in texts(chat("tom.okafor@example.org"))
    reply = texts(chat("+44 7700 900123"))
    assert "matches our records" in reply and handed_over(reply)


def test_deletion_with_details_that_never_match_reaches_a_person_unverified(chat):
    chat("delete my account and all my data")
    chat("maria.keller@example.com")
    first = texts(chat("07700 900123"))
    assert "don't match" in first
    chat("555 000 1111")
    reply = texts(chat("555 000 2222"))
    assert "couldn't match those details" in reply and handed_over(reply)
