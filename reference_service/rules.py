"""Business rules of the reference order system. Pure functions."""

from __future__ import annotations

from datetime import date

SHIPPED_STATES = {"shipped", "delayed", "delivered", "returned"}


class RuleViolation(Exception):
    """A request the order system refuses; ``code`` is the API error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_cancellable(state: str) -> bool:
    """True when cancelling would change something; False when already cancelled.

    Raises ``RuleViolation('already_shipped')`` once the order left the warehouse."""
    if state == "cancelled":
        return False
    if state in SHIPPED_STATES:
        raise RuleViolation("already_shipped", "the order has left the warehouse")
    return True


def check_address_changeable(state: str) -> None:
    if state == "cancelled":
        raise RuleViolation("already_cancelled", "the order was cancelled")
    if state in SHIPPED_STATES:
        raise RuleViolation("already_shipped", "the order has left the warehouse")


def check_returnable(state: str, delivered_on: date | None, today: date, window_days: int) -> None:
    if state != "delivered" or delivered_on is None:
        raise RuleViolation("not_delivered", "only delivered orders can be returned")
    if (today - delivered_on).days > window_days:
        raise RuleViolation("outside_return_window", f"returns close {window_days} days after delivery")


def same_phone(a: str, b: str) -> bool:
    """Compare phone numbers on their last ten digits, ignoring formatting."""
    digits_a = "".join(ch for ch in a if ch.isdigit())
    digits_b = "".join(ch for ch in b if ch.isdigit())
    if len(digits_a) < 7 or len(digits_b) < 7:
        return False
    return digits_a[-10:].lstrip("0") == digits_b[-10:].lstrip("0")


def contact_matches(email: str | None, phone: str | None, email_on_file: str, phone_on_file: str) -> bool:
    if email:
        return email.strip().casefold() == email_on_file.casefold()
    if phone:
        return same_phone(phone, phone_on_file)
    return False
