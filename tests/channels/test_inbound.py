import pytest

from bot.channels.inbound import check_inbound_text
from bot.channels.rest import BadRequest, IncomingMessage, parse_body, replies_to


def test_clean_text_passes_with_control_characters_removed():
    assert check_inbound_text("  where\x00 is my order\x1b ").text == "where is my order"


def test_empty_and_oversized_text_get_a_reply_instead():
    assert check_inbound_text(" \x07 ").reply
    assert "too long" in check_inbound_text("a" * 11, max_chars=10).reply


def test_body_parsing_returns_sender_message_metadata():
    assert parse_body(b'{"sender": "s", "message": "hi", "metadata": {"a": 1}}') == IncomingMessage("s", "hi", {"a": 1})


@pytest.mark.parametrize(
    "body", [b"nope", b"[]", b'{"sender": 1, "message": "x"}', b'{"sender": "a\\nb", "message": "x"}']
)
def test_bad_bodies_are_rejected_with_a_reason(body):
    with pytest.raises(BadRequest):
        parse_body(body)


def test_a_message_id_is_read_and_checked():
    assert parse_body(b'{"sender": "s", "message": "hi", "message_id": "m-1"}').message_id == "m-1"
    for bad in (b'"message_id": 7', b'"message_id": ""', b'"message_id": "' + b"x" * 65 + b'"'):
        with pytest.raises(BadRequest, match="message_id"):
            parse_body(b'{"sender": "s", "message": "hi", ' + bad + b"}")


def test_replies_to_returns_what_followed_that_message_only():
    events = [
        {"event": "user", "message_id": "a", "text": "hi"},
        {"event": "bot", "text": "Hello!", "data": {"buttons": [{"title": "Orders", "payload": "/order"}]}},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "message_id": "b", "text": "where is my order"},
        {"event": "bot", "text": "Which order?", "data": {}},
    ]
    assert replies_to(events, "a") == [{"text": "Hello!", "buttons": [{"title": "Orders", "payload": "/order"}]}]
    assert replies_to(events, "b") == [{"text": "Which order?"}]
    assert replies_to(events, "never-sent") is None
