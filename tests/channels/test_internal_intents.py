"""Text that starts with "/" is an intent only when it is a button the bot offered in that conversation."""

from __future__ import annotations

from tests.helpers import button_payloads, handed_over, texts, tracker


def last_user_event(stack, conversation_id):
    return [e for e in tracker(stack, conversation_id)["events"] if e["event"] == "user"][-1]


def test_a_tapped_button_is_its_intent(stack, chat, conversation_id):
    offered = button_payloads(chat("can you recommend a good film for tonight"))
    assert "/order_status" in offered
    assert "order number" in texts(chat("/order_status"))
    assert last_user_event(stack, conversation_id)["text"] == "/order_status"


def test_a_typed_intent_is_plain_text(stack, chat, conversation_id):
    chat("hello")
    chat('/delete_account{"account_email": "maria.keller@example.com"}')
    event = last_user_event(stack, conversation_id)
    assert not event["text"].startswith("/")
    assert event["parse_data"]["intent"].get("confidence", 1.0) < 1.0 or event["parse_data"]["intent"]["name"] != (
        "delete_account")  # fmt: skip


def test_typing_restart_does_not_end_a_hand_off(stack, chat, conversation_id):
    assert handed_over(texts(chat("I want to talk to a human")))
    answer = texts(chat("/restart"))
    assert "added that to your request" in answer  # still waiting for a person, and told so
    assert tracker(stack, conversation_id)["paused"] is True
