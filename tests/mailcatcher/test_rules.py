"""The problems mailcatcher records, rule by rule, on messages examined without a server."""

from __future__ import annotations

from email import policy
from typing import List

import pytest

from mailcatcher.intake import examine
from mailcatcher.message import Envelope
from tests.mailcatcher.mail import BOT, CUSTOMER, GOOD_HEADERS, raw, well_formed

SMTP_POLICY = policy.default.clone(linesep="\r\n")


def problems(message: bytes, eight_bit_mime: bool = False, smtp_utf8: bool = False) -> List[str]:
    return examine(message, Envelope(BOT, (CUSTOMER,), eight_bit_mime, smtp_utf8))[1]


def codes(message: bytes, **envelope: bool) -> List[str]:
    return [problem.split(":")[0] for problem in problems(message, **envelope)]


def test_a_well_formed_message_has_no_problems():
    assert problems(well_formed().as_bytes(policy=SMTP_POLICY)) == []
    assert problems(raw()) == []


def test_the_fields_are_parsed_with_the_subject_and_bodies_decoded():
    parsed, _ = examine(well_formed().as_bytes(policy=SMTP_POLICY), Envelope(BOT, (CUSTOMER,)))
    assert parsed.subject == "Ihre Bestellung 10023 ist unterwegs – danke!"
    assert parsed.text == "Grüße! Ihre Bestellung ist unterwegs.\n"
    assert parsed.html == "<p>Grüße! Ihre <b>Bestellung</b> ist unterwegs.</p>\n"
    assert [(a.filename, a.content_type, a.size) for a in parsed.attachments] == [
        ("invoice-10023.pdf", "application/pdf", len(b"%PDF-1.4 invoice"))
    ]
    assert parsed.header_recipients == (CUSTOMER,)


@pytest.mark.parametrize("name", ["Date", "From"])
def test_a_missing_required_field_is_a_problem(name):
    headers = "".join(line + "\r\n" for line in GOOD_HEADERS.splitlines() if not line.startswith(f"{name}:"))
    assert f"missing-{name.lower()}" in codes(raw(headers))


@pytest.mark.parametrize("name", ["From", "To", "Subject", "Message-ID", "Date"])
def test_a_second_field_that_may_appear_once_is_a_problem(name):
    line = next(line for line in GOOD_HEADERS.splitlines() if line.startswith(f"{name}:"))
    found = problems(raw(GOOD_HEADERS + line + "\r\n"))
    assert any(p.startswith(f"duplicate-header: 2 {name} headers") for p in found), found


def test_received_fields_may_repeat():
    assert problems(raw("Received: from a by b; Tue, 03 Dec 2024 09:00:00 +0000\r\n" * 2 + GOOD_HEADERS)) == []


def test_a_missing_or_malformed_message_id_is_a_problem():
    without = "".join(line + "\r\n" for line in GOOD_HEADERS.splitlines() if not line.startswith("Message-ID"))
    assert "missing-message-id" in codes(raw(without))
    malformed = GOOD_HEADERS.replace("<order-10023.1@shop.example.com>", "order-10023.1")
    assert "bad-message-id" in codes(raw(malformed))


def test_a_line_over_998_characters_is_a_problem():
    assert "long-line" in codes(raw(body="x" * 1200 + "\r\n"))
    assert "long-line" not in codes(raw(body="x" * 998 + "\r\n"))


def test_bare_line_feeds_and_carriage_returns_are_problems():
    assert "bare-lf" in codes(raw(body="one\ntwo\r\n"))
    assert "bare-cr" in codes(raw(body="one\rtwo\r\n"))


def test_8bit_headers_need_smtputf8():
    message = (GOOD_HEADERS.replace("Your order", "Ihre Bestellung für") + "\r\nhi\r\n").encode("utf-8")
    assert "8bit-header" in codes(message)
    assert "8bit-header" not in codes(message, smtp_utf8=True)
    assert "bad-utf8-header" in codes(message.replace("für".encode(), "für".encode("latin-1")), smtp_utf8=True)


def test_8bit_bodies_need_8bitmime_or_smtputf8():
    headers = GOOD_HEADERS.replace("us-ascii", "utf-8") + "Content-Transfer-Encoding: 8bit\r\n"
    message = (headers + "\r\nGrüße\r\n").encode("utf-8")
    assert "8bit-body" in codes(message)
    assert codes(message, eight_bit_mime=True) == []
    assert codes(message, smtp_utf8=True) == []


def test_a_part_its_declared_charset_cannot_decode_is_a_problem():
    declared_ascii = (GOOD_HEADERS + "Content-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n").encode("utf-8")
    assert "bad-charset" in codes(declared_ascii, eight_bit_mime=True)
    unknown = GOOD_HEADERS.replace("us-ascii", "no-such-charset")
    assert "bad-charset" in codes(raw(unknown))


def test_list_unsubscribe_must_be_a_list_of_bracketed_uris():
    good = GOOD_HEADERS + "List-Unsubscribe: <mailto:unsub@shop.example.com>,\r\n <https://shop.example.com/u/1>\r\n"
    assert problems(raw(good)) == []
    assert "list-unsubscribe" in codes(raw(GOOD_HEADERS + "List-Unsubscribe: https://shop.example.com/u/1\r\n"))


def test_one_click_unsubscribe_needs_the_exact_post_value_and_an_https_uri():
    https = GOOD_HEADERS + "List-Unsubscribe: <https://shop.example.com/u/1>\r\n"
    assert problems(raw(https + "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")) == []
    assert "list-unsubscribe-post" in codes(raw(https + "List-Unsubscribe-Post: One-Click\r\n"))
    mailto = GOOD_HEADERS + "List-Unsubscribe: <mailto:u@shop.example.com>\r\n"
    assert "list-unsubscribe-post" in codes(raw(mailto + "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"))
    assert "list-unsubscribe-post" in codes(raw(GOOD_HEADERS + "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"))


def test_the_email_packages_parse_defects_are_problems():
    no_boundary = GOOD_HEADERS.replace("text/plain; charset=us-ascii", "multipart/mixed")
    assert any("NoBoundaryInMultipartDefect" in p for p in problems(raw(no_boundary)))


def test_an_envelope_sender_from_another_domain_is_not_a_problem():
    assert examine(raw(), Envelope("bounces+123@mailer.example.net", (CUSTOMER,)))[1] == []
