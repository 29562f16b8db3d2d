"""Delivery receipts only move forward. Pure.

Twilio's status callbacks and RBM's user events can arrive out of order (Twilio: "sent" after "delivered" is
stale; RBM: "event order is not guaranteed, READ implies DELIVERED"). Each status has a rank in the provider's
own order; a receipt is recorded only when it ranks above what is stored.
"""

from __future__ import annotations

# Twilio Message status values, in the order a message goes through them. delivered, undelivered, failed and
# canceled are where a message ends; read (RCS, WhatsApp) comes after delivered.
_RANKS = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 2,
    "sending": 3,
    "sent": 4,
    "delivered": 5,
    "undelivered": 5,
    "failed": 5,
    "canceled": 5,
    "read": 6,
}

# Statuses that say the message did not reach the customer.
FAILED_STATUSES = frozenset({"undelivered", "failed", "canceled"})


def normalise(status: str) -> str:
    """Twilio's lower-case names and RBM's event types (DELIVERED, READ) as one vocabulary."""
    return status.strip().casefold()


def rank(status: str) -> int:
    """0 for a status nobody knows: it never replaces a known one."""
    return _RANKS.get(normalise(status), 0)
