from actions.validators import (
    Contact,
    clean_free_text,
    describe_charge,
    parse_address,
    parse_contact,
    parse_invoice_reference,
    parse_order_number,
    parse_yes_no,
    phone_number,
)


def test_order_number_is_five_digits_standing_alone():
    assert parse_order_number("order #48213 pls") == "48213"
    assert parse_order_number("4821") is None
    assert parse_order_number("482134") is None


def test_invoice_reference_accepts_invoice_or_order_numbers():
    assert parse_invoice_reference("inv-20931") == "INV-20931"
    assert parse_invoice_reference("INV20931") == "INV-20931"
    assert parse_invoice_reference("for order 10023") == "10023"
    assert parse_invoice_reference("the last one") is None


def test_contact_is_an_email_or_a_phone_number():
    assert parse_contact("it's Maria.K@Example.com") == Contact("email", "maria.k@example.com")
    assert parse_contact("+1 (555) 201-4477") == Contact("phone", "+15552014477")
    assert parse_contact("no idea") is None


def test_a_phone_written_internationally_keeps_its_country_code():
    """ "+" or "00" mark an E.164 number; without them the digits are national and compared as such."""
    assert phone_number("+44 7700 900123") == "+447700900123"
    assert phone_number("0044 7700 900123") == "+447700900123"
    assert phone_number("07700 900123") == "07700900123"
    assert phone_number("call me on 555 201 4477") == "5552014477"
    assert phone_number("+1 555") is None


def test_address_needs_a_house_number_and_street_words():
    assert parse_address("  12 Baker Street, London  ") == "12 Baker Street, London"
    assert parse_address("somewhere nice") is None
    assert parse_address("12") is None


def test_yes_no_answers():
    assert parse_yes_no("Yes please!") is True
    assert parse_yes_no("nope") is False
    assert parse_yes_no("maybe later") is None


def test_free_text_is_trimmed_capped_and_needs_words():
    assert clean_free_text("  the   blue hoodie ", 100) == "the blue hoodie"
    assert clean_free_text("x" * 50 + " word", 10) == "x" * 10
    assert clean_free_text("!!! 123", 100) is None


def test_a_charge_can_be_an_amount_a_date_or_words():
    assert describe_charge("$75.00", 100) == "$75.00"
    assert describe_charge("the one from last week", 100) == "the one from last week"
    assert describe_charge(" ?! ", 100) is None
