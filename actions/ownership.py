"""Who may see an order: pure decisions, no I/O."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.backends.models import Order
from actions.forms.base import failure_counts
from actions.settings import settings
from actions.validators import Contact, contact_matches

HANDOFF_REASON_OWNERSHIP = "ownership_failed"


def proves_ownership(contact: Contact, order: Order) -> bool:
    """The email or phone given matches the one on the order."""
    return contact_matches(contact, order.customer.email, order.customer.phone)


def ownership_locked(tracker: Tracker) -> bool:
    """Too many wrong contact answers in this conversation: stop trying."""
    return failure_counts(tracker).get("customer_contact", 0) >= settings().ownership_max_attempts


def is_verified(tracker: Tracker) -> bool:
    """Ownership of the order in the ``order_number`` slot has been proven."""
    number = tracker.get_slot("order_number")
    return bool(number) and tracker.get_slot("verified_order") == number
