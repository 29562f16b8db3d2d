"""Business rules of the reference order system. Pure functions."""

from __future__ import annotations

from datetime import date
from typing import Tuple

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


def _phone(text: str) -> Tuple[bool, str]:
    """(written internationally, digits): "+44 7700 900123" and "0044 7700 900123" are international."""
    written = text.strip()
    digits = "".join(ch for ch in written if ch.isdigit())
    if digits.startswith("00"):
        return True, digits[2:]
    return written.startswith("+"), digits


def same_phone(a: str, b: str) -> bool:
    """Full E.164 comparison: two international numbers must be equal. A national number ("07700 900123",
    "555 201 4477") matches an international one only as its end after a country code of 1-3 digits, its
    trunk "0" dropped; never on a shorter suffix, so +44 555 201 4477 is not +1 555 201 4477."""
    international_a, digits_a = _phone(a)
    international_b, digits_b = _phone(b)
    if not (7 <= len(digits_a) <= 15 and 7 <= len(digits_b) <= 15):
        return False
    if international_a == international_b:
        return digits_a == digits_b if international_a else digits_a.lstrip("0") == digits_b.lstrip("0")
    national, full = (digits_a, digits_b) if international_b else (digits_b, digits_a)
    national = national[1:] if national.startswith("0") else national
    return full.endswith(national) and 1 <= len(full) - len(national) <= 3


def contact_matches(email: str | None, phone: str | None, email_on_file: str, phone_on_file: str) -> bool:
    if email:
        return email.strip().casefold() == email_on_file.casefold()
    if phone:
        return same_phone(phone, phone_on_file)
    return False
