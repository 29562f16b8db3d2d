from datetime import date

import pytest

from reference_service.rules import (
    RuleViolation,
    check_address_changeable,
    check_cancellable,
    check_returnable,
    contact_matches,
    same_phone,
)


def test_cancelling_before_shipping_and_again_is_harmless():
    assert check_cancellable("processing") is True
    assert check_cancellable("cancelled") is False
    with pytest.raises(RuleViolation) as refused:
        check_cancellable("shipped")
    assert refused.value.code == "already_shipped"


def test_address_changes_only_before_shipping():
    check_address_changeable("processing")
    for state, code in (("delivered", "already_shipped"), ("cancelled", "already_cancelled")):
        with pytest.raises(RuleViolation) as refused:
            check_address_changeable(state)
        assert refused.value.code == code


def test_returns_inside_the_window_of_delivered_orders():
    today = date(2026, 3, 31)
    check_returnable("delivered", date(2026, 3, 1), today, 30)
    with pytest.raises(RuleViolation, match="30 days"):
        check_returnable("delivered", date(2026, 2, 28), today, 30)
    with pytest.raises(RuleViolation) as refused:
        check_returnable("shipped", None, today, 30)
    assert refused.value.code == "not_delivered"


def test_contact_matching():
    assert contact_matches("MARIA@example.com", None, "maria@example.com", "+1555")
    assert contact_matches(None, "07700 900123", "x@example.com", "+447700900123")
    assert not contact_matches(None, None, "x@example.com", "+447700900123")


@pytest.mark.parametrize(
    "given, on_file, same",
    [
        ("+1 555 201 4477", "+15552014477", True),
        ("5552014477", "+15552014477", True),
        ("07700 900123", "+447700900123", True),
        ("5552014478", "+15552014477", False),
        ("123", "123", False),
        ("0044 7700 900123", "+447700900123", True),
        # Full E.164: another country's number with the same national digits is another phone.
        ("+44 555 201 4477", "+15552014477", False),
        ("+1 7700 900123", "+447700900123", False),
        ("+15552014477", "+445552014477", False),
        # A national number matches only after a 1-3 digit country code, never as a short suffix.
        ("2014477", "+15552014477", False),
        ("015552014477", "+4915552014477", True),
    ],
)
def test_phone_numbers_compare_as_full_international_numbers(given, on_file, same):
    assert same_phone(given, on_file) is same


def test_contact_matching_is_exact_for_emails():
    assert contact_matches("a@example.com", None, "A@example.com", "+1")
    assert not contact_matches("b@example.com", None, "a@example.com", "+1")
