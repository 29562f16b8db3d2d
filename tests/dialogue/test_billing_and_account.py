"""Billing and account conversations end to end."""

from __future__ import annotations

import time
from typing import Any, Dict, List

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reference_service.schema import DisputeRow
from reference_service.store import Store
from storage.sql import sql_engine
from tests.channels.test_email_channel import MAIL_HEADERS, mail_url
from tests.helpers import REST_HEADERS, button_payloads, handed_over, texts


def sent_mail(stack) -> list:
    """What the billing system was asked to send (the reference service records it instead of sending)."""
    return Store(stack.config.reference_database).outbound_messages()


def mail_to(stack, address: str) -> List[Dict[str, Any]]:
    """Every e-mail the local mail server got for ``address``, oldest first."""
    reply = requests.get(f"{mail_url(stack)}/api/messages", params={"to": address}, headers=MAIL_HEADERS, timeout=10)
    assert reply.status_code == 200, reply.text
    return sorted(reply.json(), key=lambda m: m["received_at"])


def invoice_mail(stack, address: str, invoice: str, count: int, timeout: float = 30) -> List[Dict[str, Any]]:
    """The e-mails of ``invoice`` at ``address`` once there are ``count`` of them (the delivery worker polls)."""
    deadline = time.monotonic() + timeout
    found: List[Dict[str, Any]] = []
    while time.monotonic() < deadline:
        found = [m for m in mail_to(stack, address) if m["subject"] == f"Your invoice {invoice}"]
        if len(found) >= count:
            time.sleep(1.5)  # one more poll of the worker: a duplicate would have arrived by now
            return [m for m in mail_to(stack, address) if m["subject"] == f"Your invoice {invoice}"]
        time.sleep(0.2)
    raise AssertionError(f"{len(found)} e-mail(s) of {invoice} reached {address}, expected {count}")


def disputes(stack) -> int:
    with Session(sql_engine(stack.config.reference_database)) as session:
        return session.scalar(select(func.count()).select_from(DisputeRow))


def test_an_invoice_is_sent_to_the_address_on_file_once_its_order_contact_is_given(chat, stack):
    before, mailed = len(sent_mail(stack)), len(invoice_mail(stack, "maria.keller@example.com", "INV-20931", 0))
    assert "email address or phone number on the order" in texts(chat("can you send me invoice INV-20931"))
    reply = texts(chat("maria.keller@example.com"))
    assert "INV-20931" in reply and "address on your account" in reply
    assert len(invoice_mail(stack, "maria.keller@example.com", "INV-20931", mailed + 1)) == mailed + 1
    # The bot's own e-mail channel sent it: the billing system is not asked to send it a second time.
    assert sent_mail(stack)[before:] == []


def test_an_invoice_e_mail_arrives_with_the_invoice_attached_and_never_at_an_address_typed_in_chat(chat, stack):
    """Tom proves invoice INV-20944 with the phone on its order after first typing an address of his own: the
    invoice goes to the address on file, as one well-formed e-mail with the invoice attached."""
    on_file, typed = "tom.okafor@example.org", "tom.new.inbox@example.net"
    mailed = len(invoice_mail(stack, on_file, "INV-20944", 0))
    assert "on the order" in texts(chat("please send me invoice INV-20944"))
    assert "don't match" in texts(chat(typed))
    reply = texts(chat("+44 7700 900123"))
    assert "INV-20944" in reply and "address on your account" in reply
    assert on_file not in reply and "okafor" not in reply.casefold()
    [*_, mail] = invoice_mail(stack, on_file, "INV-20944", mailed + 1)
    assert "INV-20944" in mail["text"] and "$75.00" in mail["text"] and "10031" in mail["text"]
    assert [(a["filename"], a["content_type"]) for a in mail["attachments"]] == [("INV-20944.html", "text/html")]
    assert mail["attachments"][0]["size"] > 0
    assert mail_to(stack, typed) == []


def test_an_invoice_e_mail_is_one_a_strict_receiver_accepts(chat, stack):
    mailed = len(invoice_mail(stack, "maria.keller@example.com", "INV-20931", 0))
    chat("can you send me invoice INV-20931")
    chat("maria.keller@example.com")
    [*_, mail] = invoice_mail(stack, "maria.keller@example.com", "INV-20931", mailed + 1)
    assert mail["problems"] == []


def test_asking_twice_within_the_daily_limit_sends_the_invoice_twice(chat, stack):
    """Each request is its own e-mail (the idempotency key is the customer message's, not the invoice's); the
    second needs no new proof in the same conversation."""
    mailed = len(invoice_mail(stack, "maria.keller@example.com", "INV-20931", 0))
    chat("can you send me invoice INV-20931")
    assert "address on your account" in texts(chat("+1 555 201 4477"))
    assert "address on your account" in texts(chat("can you send me invoice INV-20931 again"))
    assert len(invoice_mail(stack, "maria.keller@example.com", "INV-20931", mailed + 2)) == mailed + 2


def test_an_invoice_request_from_a_stranger_reveals_nothing_and_sends_nothing(chat, stack, conversation_id):
    """Known and unknown invoices read the same; a wrong contact sends no e-mail."""
    before, mailed = len(sent_mail(stack)), len(invoice_mail(stack, "maria.keller@example.com", "INV-20931", 0))
    chat("can I get an invoice for order 10023")
    known = texts(chat("stranger@example.com"))
    other = ask_once(stack, conversation_id + "-other", ["i need an invoice", "INV-99999", "stranger@example.com"])
    assert "don't match an invoice" in known and known == other
    assert "INV-20931" not in known and "68.99" not in known
    assert sent_mail(stack)[before:] == []
    assert len(invoice_mail(stack, "maria.keller@example.com", "INV-20931", mailed)) == mailed
    assert mail_to(stack, "stranger@example.com") == []


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
