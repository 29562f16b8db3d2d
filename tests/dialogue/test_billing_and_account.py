"""Billing and account conversations end to end."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reference_service.schema import DisputeRow
from reference_service.store import Store
from storage.sql import sql_engine
from tests.helpers import REST_HEADERS, button_payloads, handed_over, texts


def sent_mail(stack) -> list:
    return Store(stack.config.reference_database).outbound_messages()


def disputes(stack) -> int:
    with Session(sql_engine(stack.config.reference_database)) as session:
        return session.scalar(select(func.count()).select_from(DisputeRow))


def test_an_invoice_is_sent_to_the_address_on_file_once_its_order_contact_is_given(chat, stack):
    before = len(sent_mail(stack))
    assert "email address or phone number on the order" in texts(chat("can you send me invoice INV-20931"))
    assert sent_mail(stack)[before:] == []  # nothing before proof
    reply = texts(chat("maria.keller@example.com"))
    assert "INV-20931" in reply and "address on your account" in reply
    assert [m["reference"] for m in sent_mail(stack)[before:]] == ["INV-20931"]


def test_an_invoice_request_from_a_stranger_reveals_nothing_and_sends_nothing(chat, stack, conversation_id):
    """Known and unknown invoices read the same; a wrong contact sends no e-mail."""
    before = len(sent_mail(stack))
    chat("can I get an invoice for order 10023")
    known = texts(chat("stranger@example.com"))
    other = ask_once(stack, conversation_id + "-other", ["i need an invoice", "INV-99999", "stranger@example.com"])
    assert "don't match an invoice" in known and known == other
    assert "INV-20931" not in known and "68.99" not in known
    assert sent_mail(stack)[before:] == []


def test_an_unknown_invoice_is_asked_about_like_any_other_then_a_real_one_is_sent(chat):
    chat("i need an invoice")
    assert "on the order" in texts(chat("INV-99999"))
    assert "don't match an invoice" in texts(chat("tom.okafor@example.org"))


def test_a_disputed_charge_is_found_explained_and_passed_on_once_the_account_is_proven(chat):
    assert "email address on your account" in texts(chat("you charged me twice"))
    assert "phone number on it" in texts(chat("tom.okafor@example.org"))
    assert "Which charge" in texts(chat("+44 7700 900123"))
    assert "What's wrong with that charge" in texts(chat("the $75.00 one"))
    reply = chat("I was charged twice")
    assert "$75.00" in texts(reply) and "Order 10031 (second capture)" in texts(reply)
    assert "reference D-" in texts(reply)
    assert "/request_human" in button_payloads(reply)


def test_a_dispute_with_only_an_email_reveals_no_charge_and_records_nothing(chat, stack):
    before = disputes(stack)
    chat("there's a charge on my card i don't recognise")
    chat("maria.keller@example.com")
    # Maria's national digits under another country code are another phone (full E.164 comparison).
    replies = [texts(chat(phone)) for phone in ("+44 555 201 4477", "555 000 1111", "555 000 2222")]
    assert all("68.99" not in r and "Order 10023" not in r for r in replies)
    assert "can't look at its charges" in replies[-1]
    assert disputes(stack) == before


def test_a_charge_that_cannot_be_found_is_still_recorded_for_billing(chat):
    chat("there's a charge on my card i don't recognise")
    chat("maria.keller@example.com")
    chat("+1 555 201 4477")
    chat("$12.34 last week")
    reply = texts(chat("I don't recognise this charge"))
    assert "couldn't match" in reply and "reference D-" in reply


def ask_once(stack, sender: str, messages: list) -> str:
    import requests

    reply = []
    for text in messages:
        reply = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                              timeout=30, headers=REST_HEADERS).json()  # fmt: skip
    return texts(reply)


def test_sign_in_help_never_reveals_whether_an_account_exists(stack, conversation_id):
    known = ask_once(stack, conversation_id + "-known", ["i forgot my password", "maria.keller@example.com",
                                                         "+1 555 000 9999"])  # fmt: skip
    unknown = ask_once(stack, conversation_id + "-unknown", ["i forgot my password", "nobody@example.com",
                                                             "+1 555 000 9999"])  # fmt: skip
    assert "don't match one of our accounts" in known
    assert known == unknown


def test_sign_in_help_sends_a_reset_link_once_the_phone_on_the_account_is_given(chat, stack):
    before = len(sent_mail(stack))
    chat("i forgot my password")
    assert "phone number on it" in texts(chat("maria.keller@example.com"))
    assert "reset link" in texts(chat("555 201 4477"))
    assert [m["kind"] for m in sent_mail(stack)[before:]] == ["password_reset"]


def test_locked_account_goes_straight_to_a_person_once_proven(chat):
    chat("my account is locked")
    assert "phone number on it" in texts(chat("aiko.t@example.net"))
    reply = texts(chat("+1 555 783 0021"))
    assert "unlock" in reply and handed_over(reply)


def test_payment_problem_sends_a_secure_link_and_warns_about_card_numbers(chat):
    chat("my card got declined at checkout")
    chat("maria.keller@example.com")
    reply = texts(chat("+15552014477"))
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
