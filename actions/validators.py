"""Pure checks on what customers type into forms. No I/O, no Rasa."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ORDER_NUMBER = re.compile(r"(?<!\d)(\d{5})(?!\d)")
_INVOICE_NUMBER = re.compile(r"\binv-?(\d{5,6})\b", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE_CANDIDATE = re.compile(r"\+?[\d\s().-]{7,22}\d")
_HOUSE_NUMBER = re.compile(r"\b\d{1,5}[a-zA-Z]?\b")
_WORD = re.compile(r"[^\W\d_]{2,}")
_YES = {"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "correct", "confirm", "please do", "do it", "go ahead"}
_NO = {"no", "n", "nope", "nah", "don't", "dont", "keep it", "not now"}


@dataclass(frozen=True)
class Contact:
    """An email or a phone number, in a canonical form for comparison."""

    kind: str  # "email" or "phone"
    value: str


def parse_order_number(text: str) -> str | None:
    """The first stand-alone 5-digit number in ``text``."""
    match = _ORDER_NUMBER.search(text or "")
    return match.group(1) if match else None


def parse_invoice_reference(text: str) -> str | None:
    """``INV-20931`` (canonical upper case) or a 5-digit order number."""
    match = _INVOICE_NUMBER.search(text or "")
    if match:
        return f"INV-{match.group(1)}"
    return parse_order_number(text)


def parse_email(text: str) -> str | None:
    match = _EMAIL.search(text or "")
    return match.group(0).casefold() if match else None


def phone_number(text: str) -> str | None:
    """A phone number for comparison: ``+<digits>`` when written internationally (from "+" or "00"), else its
    national digits (7-15 of them); spaces and punctuation ignored. The order system compares a national number
    only with the end of an international one, so +44 555 201 4477 never matches +1 555 201 4477."""
    match = _PHONE_CANDIDATE.search(text or "")
    if not match:
        return None
    written = match.group(0).strip()
    digits = re.sub(r"\D", "", written)
    international = written.startswith("+") or digits.startswith("00")
    if digits.startswith("00"):
        digits = digits[2:]
    if not 7 <= len(digits) <= 15:
        return None
    return f"+{digits}" if international else digits


def parse_contact(text: str) -> Contact | None:
    email = parse_email(text)
    if email:
        return Contact("email", email)
    number = phone_number(text)
    return Contact("phone", number) if number else None


def parse_address(text: str) -> str | None:
    """A delivery address needs a house number and at least two words of street/town."""
    cleaned = " ".join((text or "").split()).strip(" .,")
    if len(cleaned) < 8 or len(cleaned) > 200:
        return None
    if not _HOUSE_NUMBER.search(cleaned) or len(_WORD.findall(cleaned)) < 2:
        return None
    return cleaned


def parse_yes_no(text: str) -> bool | None:
    words = " ".join((text or "").casefold().replace("!", " ").replace(".", " ").split())
    if words in _YES or words.split(" ")[0] in _YES:
        return True
    if words in _NO or words.split(" ")[0] in _NO:
        return False
    return None


def describe_charge(text: str, max_length: int) -> str | None:
    """A charge description needs an amount, a date or some words."""
    cleaned = " ".join((text or "").split())
    if not cleaned or not (_WORD.search(cleaned) or re.search(r"\d", cleaned)):
        return None
    return cleaned[:max_length]


def clean_free_text(text: str, max_length: int) -> str | None:
    """Trimmed, length-capped free text; None when there is nothing meaningful."""
    cleaned = " ".join((text or "").split())
    if not _WORD.search(cleaned):
        return None
    return cleaned[:max_length]
