"""Conversation-level behaviour: honesty about being a bot, scope, fallbacks."""

from __future__ import annotations

import requests

from tests.helpers import API_TOKEN, button_payloads, texts


def parse(stack, text: str) -> dict:
    reply = requests.post(f"{stack.rasa_url}/model/parse", params={"token": API_TOKEN}, json={"text": text}, timeout=10)
    reply.raise_for_status()
    return reply.json()


def test_bot_says_truthfully_it_is_a_bot_and_how_to_reach_a_person(chat):
    reply = texts(chat("am i talking to a real person?"))
    assert "not a person" in reply and "agent" in reply


def test_out_of_scope_gets_an_honest_answer_and_what_the_bot_can_do(chat):
    reply = chat("can you recommend a good film for tonight")
    assert "not something I can help with" in texts(reply)
    assert {"/order_status", "/request_human"} <= set(button_payloads(reply))


def test_greeting_says_what_the_bot_can_do(chat):
    assert "track orders" in texts(chat("hello"))


def test_http_api_requires_the_token(stack):
    assert requests.post(f"{stack.rasa_url}/model/parse", json={"text": "hi"}, timeout=10).status_code == 401
    assert parse(stack, "hi")["intent"]["name"] == "greet"


def test_an_unclear_message_offers_the_closest_tasks_then_a_person(stack, chat):
    unclear = "money for my order"  # a charge, a refund or the order itself: the bot cannot tell
    parsed = parse(stack, unclear)
    assert parsed["intent"]["name"] == "nlu_fallback"
    closest = [r["name"] for r in parsed["intent_ranking"] if r["name"] != "nlu_fallback"][:2]
    first = chat(unclear)
    assert "Did you mean" in texts(first)
    # The two tasks the classifier found closest, whichever they are, and a way out.
    assert {f"/{name}" for name in closest} | {"/out_of_scope"} <= set(button_payloads(first))

    assert parse(stack, "urgent")["intent"]["name"] == "nlu_fallback"
    second = chat("urgent")
    assert "/request_human" in button_payloads(second)


def test_choosing_a_suggestion_carries_on_with_that_task(chat):
    chat("money for my order")
    assert "order number" in texts(chat("/refund_status"))
