"""Pure redaction: card numbers never stored, contact details never logged in full."""

from __future__ import annotations

import re
from typing import Tuple

CARD_PLACEHOLDER = "[card number removed]"
# 13-19 digits, optionally grouped by single spaces or dashes ("4111 1111 1111 1111").
_CARD_CANDIDATE = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
_EMAIL = re.compile(r"([A-Za-z0-9._%+'-])[A-Za-z0-9._%+'-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{5,}(\d{4})(?!\d)")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def redact_card_numbers(text: str) -> Tuple[str, bool]:
    """Replace Luhn-valid 13-19 digit numbers; returns (text, whether any was found)."""
    found = False

    def replace(match: re.Match[str]) -> str:
        nonlocal found
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            found = True
            return CARD_PLACEHOLDER
        return match.group(0)

    return _CARD_CANDIDATE.sub(replace, text), found


def mask_contact_details(text: str) -> str:
    """For logs: ``maria.keller@example.com`` -> ``m***@example.com``, phones keep the last 4 digits."""
    text, _ = redact_card_numbers(text)
    text = _EMAIL.sub(r"\1***@\2", text)
    return _PHONE.sub(r"***\1", text)
