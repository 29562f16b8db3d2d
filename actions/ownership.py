"""Who may see an order. The order system checks contact details (they never
leave it); the decisions around that check are pure."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.backends.calls import off_loop
from actions.backends.registry import order_system
from actions.forms.base import failure_counts
from actions.settings import settings
from actions.validators import Contact, phone_digits

HANDOFF_REASON_OWNERSHIP = "ownership_failed"
# Channels whose sender id is the customer's phone number, vouched for by the carrier.
PHONE_IDENTITY_CHANNELS = {"sms", "rcs"}


async def proves_ownership(number: str, contact: Contact) -> bool:
    """Ask the order system whether ``contact`` belongs to order ``number``."""
    if contact.kind == "email":
        return await off_loop(order_system().verify_contact, number, contact.value, None)
    return await off_loop(order_system().verify_contact, number, None, contact.value)


def channel_identity(input_channel: str | None, sender_id: str) -> Contact | None:
    """An SMS/RCS sender's number proves ownership when it matches the order's phone."""
    if input_channel not in PHONE_IDENTITY_CHANNELS:
        return None
    digits = phone_digits(sender_id)
    return Contact("phone", digits) if digits else None


def ownership_locked(tracker: Tracker) -> bool:
    """Too many wrong contact answers in this conversation: stop trying."""
    return failure_counts(tracker).get("customer_contact", 0) >= settings().ownership_max_attempts


def is_verified(tracker: Tracker) -> bool:
    """Ownership of the order in the ``order_number`` slot has been proven."""
    number = tracker.get_slot("order_number")
    return bool(number) and tracker.get_slot("verified_order") == number
