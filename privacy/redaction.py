"""Pure redaction: card numbers never stored, contact details never logged in full."""

from __future__ import annotations

import re
from typing import Any, List, Tuple

CARD_PLACEHOLDER = "[card number removed]"
# Between two digits of a card, what people type: spaces (also no-break and thin ones, one or several), and at
# most one dash, dot, slash or underscore among them ("4111 - 1111", "4111.1111", "4111\u00a01111").
_SPACE = "[ \t\n\u00a0\u2007\u2009\u202f]"
_SEPARATOR = f"{_SPACE}{{0,3}}[-./_]?{_SPACE}{{0,3}}"
# A run of at least 13 digits with such separators; one right after "+" is a phone number (E.164), not a card.
_DIGIT_RUN = re.compile(f"(?<![+\\d])\\d(?:{_SEPARATOR}\\d){{12,}}")
_GROUP = re.compile("\\d+")
_EMAIL = re.compile(r"([A-Za-z0-9._%+'-])[A-Za-z0-9._%+'-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{5,}(\d{4})(?!\d)")
CARD_LENGTHS = range(19, 12, -1)  # longest first
CARD_FIRST_DIGITS = "23456"  # Mastercard 2/5, Amex/Diners/JCB 3, Visa 4, Discover/UnionPay/Maestro 6


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


def _card_spans(run: re.Match[str]) -> List[Tuple[int, int]]:
    """Where cards are in one digit run, as (start, end) offsets in the text.

    A card starts where a group of digits starts - or anywhere, when the run has no separators at all ("a digit
    before it": 14111111111111111) - and ends where a group ends, so an expiry or a CVV typed after it
    ("4111 1111 1111 1111 12 27") is left out of the window, not a reason to miss the card."""
    digits: List[Tuple[str, int]] = []  # each digit and its offset in the text
    starts, ends = set(), set()
    for group in _GROUP.finditer(run.group(0)):
        starts.add(len(digits))
        digits.extend((ch, run.start() + group.start() + k) for k, ch in enumerate(group.group(0)))
        ends.add(len(digits))
    unbroken = len(starts) == 1
    spans, position = [], 0
    while position < len(digits):
        found = None
        if (unbroken or position in starts) and digits[position][0] in CARD_FIRST_DIGITS:
            for length in CARD_LENGTHS:
                end = position + length
                fits = end <= len(digits) and (unbroken or end in ends)
                if fits and luhn_valid("".join(ch for ch, _ in digits[position:end])):
                    found = end
                    break
        if found is None:
            position += 1
            continue
        spans.append((digits[position][1], digits[found - 1][1] + 1))
        position = found
    return spans


def redact_card_numbers(text: str) -> Tuple[str, bool]:
    """Replace every Luhn-valid card number of 13 to 19 digits, however it is written; returns (text, whether
    any was found). A phone number written from its "+" is left alone."""
    spans = [span for run in _DIGIT_RUN.finditer(text) for span in _card_spans(run)]
    if not spans:
        return text, False
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], CARD_PLACEHOLDER]
        last = end
    return "".join(pieces) + text[last:], True


def redact_value(value: Any) -> Any:
    """``redact_card_numbers`` through every string of a JSON-like value (metadata, payloads)."""
    if isinstance(value, str):
        return redact_card_numbers(value)[0]
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and has_card_number(str(value)):
        return CARD_PLACEHOLDER  # a card sent as a JSON number
    return value


def has_card_number(text: str) -> bool:
    return redact_card_numbers(text)[1]


# The digits a message starts with (before any letter), and those it ends with (after the last letter); a run
# written from "+" is a phone number.
_LEADING_DIGITS = re.compile(f"^[^A-Za-z\\d+]*(\\+?)(\\d(?:{_SEPARATOR}\\d)*)")
_TRAILING_DIGITS = re.compile(f"(\\+?)(\\d(?:{_SEPARATOR}\\d)*)[^A-Za-z\\d]*$")


def _typed_like_a_card(groups: List[int]) -> bool:
    """How people type a card in parts: groups of four (the last may be shorter), Amex's 4-6-5, or each half
    unbroken. Phone numbers (3-3-4, 4-3-4...) typed one after the other are not read as a card."""
    if len(groups) == 2 or groups == [4, 6, 5]:
        return True
    return all(size == 4 for size in groups[:-1]) and 1 <= groups[-1] <= 4


def card_split_across(previous: str, current: str) -> Tuple[str, str] | None:
    """A card number begun at the end of one message and finished at the start of the next ("my card is 4111
    1111", then "1111 1111"): neither half is a card, together they are. Returns the digits ending ``previous``
    and those starting ``current``, to remove from both; None when the two hold no card between them."""
    tail, head = _TRAILING_DIGITS.search(previous or ""), _LEADING_DIGITS.search(current or "")
    if tail is None or head is None or tail.group(1) or head.group(1):
        return None
    first, second = tail.group(2), head.group(2)
    joined = f"{first} {second}"
    for run in _DIGIT_RUN.finditer(joined):
        for start, end in _card_spans(run):
            if start < len(first) < end and _typed_like_a_card([len(g) for g in _GROUP.findall(joined[start:end])]):
                return first, second
    return None


def identifier_holds_card_number(identifier: str) -> bool:
    """Whether an id (a sender, a message id) carries a card number as a token of its own.

    Digits glued to letters are part of a machine-made id, not a card someone typed: one random hex id in a few
    hundred (a UUID, a Twilio ``SM...`` sid) has 13 digits in a row that pass Luhn, and refusing it would drop a
    real customer's message. A run standing alone ("4111111111111111", "card-4111 1111 1111 1111") is a card."""
    for run in _DIGIT_RUN.finditer(identifier):
        before, after = identifier[run.start() - 1 : run.start()], identifier[run.end() : run.end() + 1]
        if not (before.isalpha() or after.isalpha()) and _card_spans(run):
            return True
    return False


def mask_contact_details(text: str) -> str:
    """For logs: ``maria.keller@example.com`` -> ``m***@example.com``, phones keep the last 4 digits."""
    text, _ = redact_card_numbers(text)
    text = _EMAIL.sub(r"\1***@\2", text)
    return _PHONE.sub(r"***\1", text)
