"""Who may see an order, an invoice or an account. The order and billing systems check contact details (they never
leave them); the decisions around that check are pure, and the limits on guessing hold across conversations
(``actions/limits``)."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.backends.calls import off_loop
from actions.backends.errors import AccountNotFound, InvoiceNotFound, OrderNotFound
from actions.backends.models import Invoice
from actions.backends.registry import billing_system, order_system
from actions.forms.base import failure_counts
from actions.limits.rules import address_key
from actions.settings import settings
from actions.validators import Contact, phone_number
from handoff.reasons import HandoffReason

HANDOFF_REASON_OWNERSHIP = HandoffReason.OWNERSHIP_FAILED.value
HANDOFF_REASON_LOCKED_OUT = HandoffReason.PROOF_LOCKED.value
# Channels whose sender id is the customer's phone number, vouched for by the carrier.
PHONE_IDENTITY_CHANNELS = {"sms", "rcs"}


async def proves_ownership(number: str, contact: Contact) -> bool:
    """Whether ``contact`` belongs to order ``number``. An order that does not exist is simply not theirs: the
    caller cannot tell the two apart, so neither can the customer."""
    email, phone = (contact.value, None) if contact.kind == "email" else (None, contact.value)
    try:
        return await off_loop(order_system().verify_contact, number, email, phone)
    except OrderNotFound:
        return False


async def known_invoice(reference: str) -> Invoice | None:
    """The invoice ``reference`` names (by its number or its order's), or None."""
    try:
        return await off_loop(billing_system().find_invoice, reference)
    except InvoiceNotFound:
        return None


async def proves_invoice(invoice: Invoice | None, contact: Contact) -> bool:
    """Whether ``contact`` is on the order the invoice is for (an unknown invoice: no)."""
    return invoice is not None and await proves_ownership(invoice.order_number, contact)


async def account_phone_matches(email: str, phone: str) -> bool:
    """Whether ``phone`` is the number on the account with ``email`` (no such account: no)."""
    billing = billing_system()
    try:
        customer = await off_loop(billing.find_customer_by_email, email)
    except AccountNotFound:
        return False
    return bool(await off_loop(billing.verify_customer_phone, customer.id, phone))


def channel_identity(input_channel: str | None, sender_id: str) -> Contact | None:
    """An SMS/RCS sender's number (E.164, from the carrier) proves ownership when it matches the one on file."""
    if input_channel not in PHONE_IDENTITY_CHANNELS:
        return None
    number = phone_number(sender_id)
    return Contact("phone", number) if number else None


def email_identity(sender_id: str, metadata: dict | None) -> Contact | None:
    """An e-mail sender's address proves ownership only when our receiving server vouched for it (DMARC
    passed: bot/channels/email_parse.py sets ``sender_proven``); a From header alone is anyone's to write."""
    proven = ((metadata or {}).get("email") or {}).get("sender_proven") is True
    return Contact("email", sender_id.strip().lower()) if proven and "@" in sender_id else None


def tracker_identity(tracker: Tracker) -> Contact | None:
    channel = tracker.get_latest_input_channel()
    if channel == "email":
        return email_identity(tracker.sender_id or "", (tracker.latest_message or {}).get("metadata"))
    return channel_identity(channel, tracker.sender_id or "")


def sender_key(tracker: Tracker) -> str:
    """The limit key of the channel address this conversation writes from."""
    return address_key(tracker.get_latest_input_channel(), tracker.sender_id or "")


def ownership_locked(tracker: Tracker) -> bool:
    """Too many wrong contact answers in this conversation (or a lock-out): stop trying."""
    return failure_counts(tracker).get("customer_contact", 0) >= settings().ownership_max_attempts


def is_verified(tracker: Tracker) -> bool:
    """Ownership of the order in the ``order_number`` slot has been proven."""
    number = tracker.get_slot("order_number")
    return bool(number) and tracker.get_slot("verified_order") == number


def invoice_verified(tracker: Tracker) -> bool:
    reference = tracker.get_slot("invoice_reference")
    return bool(reference) and tracker.get_slot("verified_invoice") == reference
