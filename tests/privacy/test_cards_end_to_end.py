"""A card number sent in every way a customer or an agent can send one is stored nowhere: not in the
conversation (text, metadata), the ticket, the agents' messages, the webhook to an external desk, nor any
service's log."""

from __future__ import annotations

import re
import time

import requests

from tests.helpers import REST_HEADERS, Desk, tracker

CARD = "4111111111111111"
WRITTEN = "4111 1111 1111 1111"


def digits_hold_card(text: str) -> bool:
    return CARD in re.sub(r"[^\d]", "", text.replace("\n", " ")) or WRITTEN in text


def test_a_card_number_is_stored_nowhere(stack, conversation_id, webhook_receiver):
    from tests.conftest import DESK_AGENT, DESK_PASSWORD

    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    say = lambda text, **extra: requests.post(url, headers=REST_HEADERS, timeout=30,  # noqa: E731
                                              json={"sender": conversation_id, "message": text, **extra})  # fmt: skip
    assert say("my card is 4111 1111 1111 1111 12 27 cvv 123", metadata={"card": WRITTEN, "n": int(CARD)}).ok
    assert say("it is 4111-1111-1111-1111, please charge it").ok
    assert say("I want to talk to a human").ok
    desk = Desk(stack.desk_url, DESK_AGENT, DESK_PASSWORD)
    ticket = desk.ticket_for(conversation_id)
    desk.post(ticket["id"], "claim")
    assert desk.post(ticket["id"], "note", text=f"customer read out {WRITTEN}").ok
    assert desk.post(ticket["id"], "reply", text=f"Please never send {CARD} here").ok
    time.sleep(1)
    view = desk.view(ticket["id"])
    places = {
        "conversation": str(tracker(stack, conversation_id)),
        "ticket": str(view["ticket"]),
        "agents' messages": str(view["messages"]),
        "transcript": str(view["transcript"]),
        "webhook": " ".join(r.body.decode() for r in webhook_receiver.requests),
    }
    for name in ("rasa", "actions", "desk", "reference"):
        places[f"{name} log"] = (stack.config.log_dir / f"{name}.log").read_text(errors="replace")
    leaked = [name for name, text in places.items() if digits_hold_card(text)]
    assert not leaked, f"the card number is stored in: {leaked}"


def stored_rows(stack, conversation_id: str) -> str:
    """Every stored event of the conversation, as the tracker database holds it."""
    import sqlite3

    import yaml

    database = yaml.safe_load(stack.config.endpoints.read_text())["tracker_store"]["db"]
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT data FROM events WHERE sender_id = ?", (conversation_id,)).fetchall()
    return "\n".join(row[0] for row in rows)


def test_a_card_number_typed_over_two_messages_is_stored_in_neither(stack, conversation_id):
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    say = lambda text: requests.post(url, headers=REST_HEADERS, timeout=30,  # noqa: E731
                                     json={"sender": conversation_id, "message": text})  # fmt: skip
    assert say("my card is 4111 1111").ok
    second = say("1111 1111 and it keeps failing")
    assert second.ok and second.json(), "the customer is never left without an answer"
    rows = stored_rows(stack, conversation_id)
    assert "4111 1111" not in rows and "1111 1111" not in rows
    assert rows.count("[card number removed]") >= 2
    customer_said = [e["text"] for e in tracker(stack, conversation_id)["events"] if e["event"] == "user"]
    assert customer_said == ["my card is [card number removed]", "[card number removed] and it keeps failing"]


def test_numbers_over_two_messages_that_make_no_card_are_kept(stack, conversation_id):
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    say = lambda text: requests.post(url, headers=REST_HEADERS, timeout=30,  # noqa: E731
                                     json={"sender": conversation_id, "message": text})  # fmt: skip
    for text in ("where is my order 10023", "5552014477", "4111 1111", "1111 1112"):
        assert say(text).ok
    customer_said = [e["text"] for e in tracker(stack, conversation_id)["events"] if e["event"] == "user"]
    assert customer_said == ["where is my order 10023", "5552014477", "4111 1111", "1111 1112"]


def test_the_second_half_of_a_card_alone_still_gets_an_answer(stack, conversation_id):
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    say = lambda text: requests.post(url, headers=REST_HEADERS, timeout=30,  # noqa: E731
                                     json={"sender": conversation_id, "message": text})  # fmt: skip
    assert say("payment failed, card 4111 1111").json()
    reply = say("1111 1111")
    assert reply.ok and reply.json() and any(m.get("text") for m in reply.json())
