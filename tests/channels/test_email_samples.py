"""The inbound e-mail parser against a corpus written from the RFCs and the mail clients' public behaviour by
someone who had not seen the parser (tests/channels/email_samples/README.md): what each sample is, what it
says, and what it must not be read as."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.channels.email_parse import parse

SAMPLES = Path(__file__).with_name("email_samples")
EXPECTED = yaml.safe_load((SAMPLES / "expectations.yml").read_text(encoding="utf-8"))
TRUSTED = "mx.shop.example"


def normal(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("expected", EXPECTED, ids=[e["file"] for e in EXPECTED])
def test_each_sample_is_read_as_its_author_meant(expected: dict) -> None:
    mail = parse((SAMPLES / expected["file"]).read_bytes(), TRUSTED)
    assert mail.kind == expected["kind"]
    assert mail.from_address == expected["from_address"]
    if "from_name" in expected:
        assert mail.from_name == expected["from_name"]
    assert expected["to_address"] in mail.to_addresses
    assert normal(mail.subject) == normal(expected["subject"])
    if "in_reply_to" in expected:
        assert mail.in_reply_to == expected["in_reply_to"]
    if "references" in expected:
        assert list(mail.references) == expected["references"]
    if "new_text_exact" in expected:
        assert normal(mail.text) == normal(expected["new_text_exact"])
    for phrase in expected.get("new_text_contains", []):
        assert normal(phrase) in normal(mail.text), phrase
    for phrase in expected.get("new_text_excludes", []):
        assert normal(phrase) not in normal(mail.text), phrase
    if "attachments" in expected:
        attached = [{"filename": a.filename, "content_type": a.content_type} for a in mail.attachments if not a.inline]
        assert attached == expected["attachments"]
    reported = expected.get("bounced_message_id") or expected.get("complained_message_id")
    if reported:
        assert mail.reported_message_id == reported
    if "failed_recipient" in expected:
        assert mail.failed_recipient == expected["failed_recipient"]
    if "status" in expected:
        assert mail.status == expected["status"]
    assert mail.answerable == (expected["kind"] == "message")
