import pytest

from bot.channels.inbound import check_inbound_text
from bot.channels.rest import BadRequest, parse_body


def test_clean_text_passes_with_control_characters_removed():
    assert check_inbound_text("  where\x00 is my order\x1b ").text == "where is my order"


def test_empty_and_oversized_text_get_a_reply_instead():
    assert check_inbound_text(" \x07 ").reply
    assert "too long" in check_inbound_text("a" * 11, max_chars=10).reply


def test_body_parsing_returns_sender_message_metadata():
    assert parse_body(b'{"sender": "s", "message": "hi", "metadata": {"a": 1}}') == ("s", "hi", {"a": 1})


@pytest.mark.parametrize(
    "body", [b"nope", b"[]", b'{"sender": 1, "message": "x"}', b'{"sender": "a\\nb", "message": "x"}']
)
def test_bad_bodies_are_rejected_with_a_reason(body):
    with pytest.raises(BadRequest):
        parse_body(body)
