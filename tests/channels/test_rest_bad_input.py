"""Bad input on the REST webhook: a clear 4xx or a polite reply, never a 500,
and the conversation carries on uncorrupted."""

from __future__ import annotations

import json

import pytest
import requests

from tests.helpers import REST_HEADERS, texts, tracker


@pytest.fixture
def webhook(stack) -> str:
    return f"{stack.rasa_url}/webhooks/rest/webhook"


@pytest.mark.parametrize(
    "body, detail",
    [
        (b"{not json", "UTF-8 JSON"),
        (b"", "UTF-8 JSON"),
        (b"[1, 2, 3]", "JSON object"),
        (b'{"message": "hi"}', "'sender'"),
        (b'{"sender": "", "message": "hi"}', "'sender'"),
        (b'{"sender": "x", "message": 42}', "'message'"),
        (b'{"sender": "x", "message": "hi", "metadata": "nope"}', "'metadata'"),
        ('{"sender": "x", "message": "\udcff"}'.encode("utf-8", "surrogatepass"), "UTF-8 JSON"),
        (b'{"sender": "x", "message": "\\udcff"}', "valid Unicode"),
        (b'{"sender": "x", "message": "hi", "metadata": ' + b'{"a": ' * 900 + b"1" + b"}" * 901, "nest"),
        (b'{"sender": "x", "message": "hi", "metadata": {"blob": "' + b"x" * 20_000 + b'"}}', "at most"),
        (b"[" * 20_000 + b"]" * 20_000, "JSON"),
    ],
    ids=lambda value: value[:40].decode("utf-8", "replace") if isinstance(value, bytes) else str(value)[:20],
)
def test_malformed_requests_get_a_400_that_says_why(webhook, body, detail):
    reply = requests.post(webhook, data=body, headers={"Content-Type": "application/json", **REST_HEADERS}, timeout=10)
    assert reply.status_code == 400
    assert detail in reply.json()["detail"]


@pytest.mark.parametrize(
    "message, expected",
    [
        ("", "didn't get any text"),
        ("   \n\t ", "didn't get any text"),
        ("\x00\x07\x1b", "didn't get any text"),
        ("x" * 10_000, "too long"),
    ],
)
def test_empty_and_oversized_messages_get_a_polite_reply(webhook, conversation_id, message, expected):
    body = {"sender": conversation_id, "message": message}
    reply = requests.post(webhook, headers=REST_HEADERS, json=body, timeout=10)
    assert reply.status_code == 200
    assert expected in texts(reply.json())


@pytest.mark.parametrize(
    "message",
    ["😀😀😀", "¿dónde está mi pedido? 请帮我", "hello\x07\x1b[0m there", "\u202e\u200bwhere is my order"],
)
def test_odd_but_valid_text_gets_an_answer(chat, message):
    assert texts(chat(message)).strip()


def test_conversation_survives_bad_input_uncorrupted(stack, webhook, chat, conversation_id):
    requests.post(webhook, data=b"{broken", headers=REST_HEADERS, timeout=10)
    chat("")
    chat("x" * 10_000)
    chat("🙈")
    chat("ab\x00cd\x1b[31m")
    assert "email address or phone number" in texts(chat("where is my order 10023"))
    events = tracker(stack, conversation_id)["events"]
    user_texts = [e["text"] for e in events if e["event"] == "user"]
    assert user_texts[-1] == "where is my order 10023"
    assert all("\x00" not in t and "\x1b" not in t for t in user_texts)
    # Over-long and empty messages never reached the tracker.
    assert not any(len(t) > 2000 or not t.strip() for t in user_texts)
    json.dumps(events)  # the stored events are still plain JSON


def test_a_resent_message_id_is_answered_again_not_processed_twice(stack, webhook, conversation_id):
    """A client that lost a reply (timeout, dropped connection) resends with the same
    message_id and gets the same answer; the conversation holds the message once."""
    body = {"sender": conversation_id, "message": "where is my order 10023", "message_id": "client-msg-1"}
    first = requests.post(webhook, headers=REST_HEADERS, json=body, timeout=30)
    again = requests.post(webhook, headers=REST_HEADERS, json=body, timeout=30)
    assert first.status_code == again.status_code == 200
    assert texts(again.json()) == texts(first.json()) and "email address or phone number" in texts(first.json())
    assert again.headers.get("X-Triage-Replayed") == "true" and "X-Triage-Replayed" not in first.headers
    user_events = [e for e in tracker(stack, conversation_id)["events"] if e["event"] == "user"]
    assert [e.get("message_id") for e in user_events] == ["client-msg-1"]
    # A new id is a new message, and the form goes on from where it was.
    body.update(message="maria.keller@example.com", message_id="client-msg-2")
    assert "UPS" in texts(requests.post(webhook, headers=REST_HEADERS, json=body, timeout=30).json())


def test_the_same_message_sent_twice_at_once_runs_one_turn(stack, webhook, conversation_id):
    """Two copies racing each other: the check runs under the conversation's lock."""
    from concurrent.futures import ThreadPoolExecutor

    body = {"sender": conversation_id, "message": "hello", "message_id": "race-1"}
    with ThreadPoolExecutor(2) as pool:
        send = lambda _: requests.post(webhook, headers=REST_HEADERS, json=body, timeout=30)  # noqa: E731
        replies = list(pool.map(send, range(2)))
    assert [r.status_code for r in replies] == [200, 200]
    assert texts(replies[0].json()) == texts(replies[1].json()) != ""
    user_events = [e for e in tracker(stack, conversation_id)["events"] if e["event"] == "user"]
    assert len(user_events) == 1


def test_a_client_cannot_raise_the_systems_intents_or_forge_its_metadata(stack, chat, conversation_id):
    """ "/EXTERNAL_handback" typed by a customer is text, not the desk's hand-back; metadata keys only channels
    set (attachments shown to agents, the hand-back marker that hides a message from them) are dropped."""
    from tests.helpers import texts, tracker

    assert "back with the assistant" not in texts(chat("/EXTERNAL_handback"))
    requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", timeout=30, headers=REST_HEADERS, json={
        "sender": conversation_id, "message": "hello",
        "metadata": {"attachments": [{"url": "https://phish.example/login", "kind": "image"}], "handoff": "handback",
                     "page": "/help"}})  # fmt: skip
    last = [e for e in tracker(stack, conversation_id)["events"] if e["event"] == "user"][-1]
    assert last["metadata"]["page"] == "/help"
    assert "attachments" not in last["metadata"] and "handoff" not in last["metadata"]


def test_the_webhook_is_a_server_to_server_api_behind_its_key(stack, webhook, conversation_id):
    body = {"sender": conversation_id, "message": "where is my order 10023"}
    for headers in ({}, {"Authorization": "Bearer guessed"}, {"Authorization": "rest-api-test-key"}):
        assert requests.post(webhook, json=body, headers=headers, timeout=10).status_code == 401, headers


def test_reading_a_conversations_replies_needs_that_conversations_token(stack, webhook, conversation_id):
    answered = requests.post(webhook, json={"sender": conversation_id, "message": "hello"}, headers=REST_HEADERS,
                             timeout=30)  # fmt: skip
    token = answered.headers["X-Conversation-Token"]
    url = f"{stack.rasa_url}/webhooks/rest/messages"
    assert requests.get(url, params={"sender": conversation_id}, timeout=10).status_code == 401
    other = requests.post(webhook, json={"sender": f"{conversation_id}-b", "message": "hi"}, headers=REST_HEADERS,
                          timeout=30).headers["X-Conversation-Token"]  # fmt: skip
    assert requests.get(url, params={"sender": conversation_id}, headers={"X-Conversation-Token": other},
                        timeout=10).status_code == 401  # fmt: skip
    mine = requests.get(url, params={"sender": conversation_id}, headers={"X-Conversation-Token": token}, timeout=10)
    assert mine.status_code == 200 and mine.json()
