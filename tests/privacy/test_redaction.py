import random
import uuid

import pytest

from privacy.redaction import (
    CARD_PLACEHOLDER,
    card_split_across,
    identifier_holds_card_number,
    luhn_valid,
    mask_contact_details,
    redact_card_numbers,
)


def test_luhn():
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


@pytest.mark.parametrize("text", ["4111 1111 1111 1111", "4111-1111-1111-1111", "card 378282246310005 exp 12/28"])
def test_card_numbers_are_removed(text):
    redacted, found = redact_card_numbers(text)
    assert found and CARD_PLACEHOLDER in redacted
    assert "1111 1111" not in redacted and "378282246310005" not in redacted


@pytest.mark.parametrize(
    "text", ["order 10023", "call +44 7700 900123", "4111 1111 1111 1112", "tracking 1Z999AA10123456784"]
)
def test_other_numbers_are_kept(text):
    assert redact_card_numbers(text) == (text, False)


def test_contact_details_are_masked_for_logs():
    masked = mask_contact_details("maria.keller@example.com called from +1 555 201 4477 about order 10023")
    assert "maria.keller" not in masked and "m***@example.com" in masked
    assert "555 201" not in masked and "4477" in masked
    assert "10023" in masked


@pytest.mark.parametrize(
    "identifier", ["4111111111111111", "card-4111 1111 1111 1111", "+1 4111111111111111 x", "id 5555.5555.5555.4444"]
)
def test_an_id_holding_a_card_number_as_its_own_token_is_caught(identifier):
    assert identifier_holds_card_number(identifier)


def test_machine_made_ids_are_never_taken_for_card_numbers():
    """UUIDs and Twilio sids are hex: some hold 13+ digits in a row that pass Luhn (about 1 in 250), glued to
    letters. Refusing them dropped real messages under load."""
    rng = random.Random(7)
    ids = [uuid.UUID(int=rng.getrandbits(128), version=4).hex for _ in range(20_000)]
    assert sum(redact_card_numbers(i)[1] for i in ids) > 10  # the hazard is real...
    assert [i for i in ids if identifier_holds_card_number(i)] == []  # ...and ids are not refused for it
    assert [i for i in ids if identifier_holds_card_number("SM" + i)] == []
    assert not identifier_holds_card_number("a4111111111111111b")


@pytest.mark.parametrize(
    "previous, current, halves",
    [
        ("my card is 4111 1111", "1111 1111", ("4111 1111", "1111 1111")),
        ("4111-1111-1111", "-1111 thanks", ("4111-1111-1111", "1111")),
        ("card: 378282", "246310005.", ("378282", "246310005")),
        ("4111111111", "111111 is the number", ("4111111111", "111111")),
    ],
)
def test_a_card_typed_over_two_messages_is_found_in_both(previous, current, halves):
    assert card_split_across(previous, current) == halves


@pytest.mark.parametrize(
    "previous, current",
    [
        ("where is my order 10023", "5552014477"),  # an order number, then a phone
        ("call me on +1 555 201", "4477"),  # a phone from its "+"
        ("4111 1111", "1111 1112"),  # fails Luhn
        ("4111 1111", "my card ends 1111 1111"),  # words first: not a continuation
        ("4111 1111 and", "1111 1111"),  # words after: not a continuation
        ("", "4111 1111 1111 1111"),
        ("+44 555 201 4477", "555 000 1111"),  # a phone, then another: 555 201 4477 555 000 would pass Luhn
        ("555 201 4477", "555 000 1111"),
        ("5552014477", "5550001111"),
        ("4111 1111", "+1 111 1111"),
    ],
)
def test_numbers_over_two_messages_that_make_no_card_are_left_alone(previous, current):
    assert card_split_across(previous, current) is None
