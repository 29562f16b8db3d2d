"""A generated corpus of the ways people write a card number (network test numbers only), and of numbers that
are not cards: every card is removed, however it is grouped, separated, preceded or followed; nothing else is.
"""

from __future__ import annotations

import itertools
import re
from typing import List, Tuple

import pytest

from privacy.redaction import luhn_valid, redact_card_numbers, redact_value

# The card networks' published test numbers: Luhn-valid, never anyone's card.
PANS = {
    "visa": "4111111111111111", "visa-2": "4012888888881881", "visa-13": "4222222222222",
    "mastercard": "5555555555554444", "mastercard-2": "2223003122003222", "amex": "378282246310005",
    "amex-2": "371449635398431", "discover": "6011111111111117", "discover-2": "6011000990139424",
    "jcb": "3530111333300000", "diners-14": "30569309025904", "unionpay": "6200000000000005",
}  # fmt: skip
SEPARATORS = {"none": "", "space": " ", "two-spaces": "  ", "dash": "-", "spaced-dash": " - ", "dot": ".",
              "slash": "/", "underscore": "_", "nbsp": "\u00a0", "thin": "\u2009", "newline": "\n"}  # fmt: skip
CONTEXTS = {
    "alone": "{}", "sentence": "my card is {} thanks", "expiry": "{} 12 27", "expiry-slash": "{} 12/27",
    "cvv": "card {} cvv 123", "after-digit": "1{}", "quoted": 'number: "{}".', "parenthesised": "({})",
}  # fmt: skip


def grouped(pan: str, separator: str) -> str:
    if not separator:
        return pan
    sizes = [4, 6, 5] if len(pan) == 15 else [4, 6, 4] if len(pan) == 14 else [4] * (len(pan) // 4) + [len(pan) % 4]
    parts, start = [], 0
    for size in filter(None, sizes):
        parts.append(pan[start : start + size])
        start += size
    return separator.join(parts)


def corpus() -> List[Tuple[str, str, str]]:
    cases = []
    for (network, pan), (sep_name, sep), (where, template) in itertools.product(
        PANS.items(), SEPARATORS.items(), CONTEXTS.items()
    ):
        if where == "after-digit" and sep:
            continue  # "a digit before it" is a run with no separators (1 4111... reads as two numbers)
        cases.append((f"{network}/{sep_name}/{where}", pan, template.format(grouped(pan, sep))))
    return cases


CASES = corpus()


def test_the_corpus_is_big_enough_and_every_number_is_a_real_test_card():
    assert len(CASES) >= 200 and all(luhn_valid(pan) for pan in PANS.values())


@pytest.mark.parametrize("name, pan, text", CASES, ids=[c[0] for c in CASES])
def test_every_way_of_writing_a_card_number_is_removed(name, pan, text):
    redacted, found = redact_card_numbers(text)
    assert found, text
    assert pan not in re.sub(r"\D", "", redacted), (text, redacted)
    # The rest of the message survives: the expiry and the words around it.
    if "12 27" in text:
        assert redacted.endswith("12 27")
    if text.startswith("my card is"):
        assert redacted.startswith("my card is") and redacted.endswith("thanks")


NOT_CARDS = [
    "order 10023", "orders 10023 10024 10025 10026", "call +44 7700 900123", "+4915112345678", "+15552014477",
    "4111 1111 1111 1112", "tracking 1Z999AA10123456784", "2026-12-01 10:30", "$1,234.56", "INV-20931",
    "1234 5678 9012 3456", "0049 151 12345678", "07700 900123", "my postcode is SW1A 1AA", "12/27 123",
    "refund of 68.99 on 28.11.2026", "1796161231.123456",
]  # fmt: skip


@pytest.mark.parametrize("text", NOT_CARDS)
def test_numbers_that_are_not_cards_are_kept(text):
    assert redact_card_numbers(text) == (text, False)


def test_metadata_and_payloads_are_redacted_all_the_way_down():
    value = {"page": "/pay", "form": {"fields": ["4111 1111 1111 1111", 3], "note": "ok"}, "n": 4111111111111111}
    assert redact_value(value) == {"page": "/pay", "form": {"fields": ["[card number removed]", 3], "note": "ok"},
                                   "n": "[card number removed]"}  # fmt: skip
