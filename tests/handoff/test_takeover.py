"""Hand-off end to end through the running servers: the customer on the REST
channel, an agent on the desk API, the bot pausing and resuming."""

from __future__ import annotations

import time
from typing import Dict, List

import pytest
import requests

from tests.conftest import DESK_AGENT, DESK_PASSWORD
from tests.customers import wait_until
from tests.helpers import REST_HEADERS, Desk, texts

TOM_PHONE = "+44 7700 900123"


@pytest.fixture
def desk(stack) -> Desk:
    return Desk(stack.desk_url, DESK_AGENT, DESK_PASSWORD)


def customer_inbox(stack, conversation_id: str, after: float) -> List[Dict]:
    reply = requests.get(f"{stack.rasa_url}/webhooks/rest/messages", headers=REST_HEADERS,
                         params={"sender": conversation_id, "after": after}, timeout=10)  # fmt: skip
    reply.raise_for_status()
    return reply.json()


def escalate(chat) -> str:
    chat("where is my order 10042")
    chat(TOM_PHONE)
    return texts(chat("I want to talk to a human"))


def test_the_ticket_reaches_the_desk_with_the_whole_context(stack, chat, conversation_id, desk):
    started = time.monotonic()
    told = escalate(chat)
    ticket = desk.ticket_for(conversation_id)
    print(f"escalation to ticket visible in the desk: {time.monotonic() - started:.3f}s (incl. the escalating turn)")
    assert "in the queue" in told or "offline right now" in told
    payload = desk.view(ticket["id"])["ticket"]["payload"]
    # The late order is why this customer wanted a person: the reason says so.
    assert (payload["reason"], payload["queue"], payload["version"]) == ("order_late", "orders", 1)
    assert payload["verification"]["order_verified"] is True
    assert payload["slots"]["order_number"] == "10042"
    first = payload["transcript"][0]
    assert first["intent"] == "order_status" and first["confidence"] > 0.5 and len(first["top_intents"]) == 3
    assert "10042" in payload["summary"]


def test_an_agent_takes_over_and_hands_the_conversation_back(stack, chat, conversation_id, desk):
    escalate(chat)
    ticket = desk.ticket_for(conversation_id)
    assert desk.post(ticket["id"], "claim").json()["status"] == "assigned"
    since = time.time()
    assert desk.post(ticket["id"], "reply", text="Hi Tom, Sam here. DPD says tomorrow before noon.").ok
    wait_until(lambda: customer_inbox(stack, conversation_id, since), what="the agent's reply")
    inbox = customer_inbox(stack, conversation_id, since)
    assert [(m["from"], m["agent"]) for m in inbox] == [("agent", DESK_AGENT)]
    assert "DPD says tomorrow" in inbox[0]["text"]

    assert chat("great, can you make sure they ring the bell?") == []  # the bot stays silent
    live = desk.view(ticket["id"])["transcript"]
    assert live[-1]["sender"] == "customer" and "ring the bell" in live[-1]["text"]
    assert desk.post(ticket["id"], "note", text="customer asked for a bell ring").ok

    since = time.time()
    assert desk.post(ticket["id"], "resolve").json()["status"] == "resolved"
    wait_until(lambda: len(customer_inbox(stack, conversation_id, since)) >= 2, what="the welcome-back")
    back = " ".join(m["text"] for m in customer_inbox(stack, conversation_id, since))
    assert "back with the assistant" in back and "from 1" in back
    assert "Thank you" in texts(chat("4"))
    assert desk.view(ticket["id"])["ticket"]["satisfaction"] == 4
    assert "email address or phone number" not in texts(chat("where is my order 10042"))  # bot is back


def test_only_the_owner_can_answer_a_claimed_conversation(stack, chat, conversation_id, desk):
    escalate(chat)
    ticket = desk.ticket_for(conversation_id)
    desk.post(ticket["id"], "claim")
    other = Desk(stack.desk_url, "kim", "other-pass")
    assert other.post(ticket["id"], "reply", text="hello").status_code == 409
    assert other.post(ticket["id"], "claim").status_code == 409


def test_no_transcript_without_signing_in(stack):
    assert requests.get(f"{stack.desk_url}/desk/api/tickets", timeout=10).status_code == 401
    assert requests.get(f"{stack.desk_url}/desk/api/tickets/1", timeout=10).status_code == 401
    wrong = requests.post(f"{stack.desk_url}/desk/api/login", json={"agent": DESK_AGENT, "password": "x"}, timeout=10)
    assert wrong.status_code == 401


def test_a_waiting_customer_is_told_where_they_stand(stack, chat, conversation_id, desk):
    escalate(chat)
    desk.ticket_for(conversation_id)
    status = texts(chat("hello? anyone there"))
    assert "added that to your request" in status


def test_the_external_desk_webhook_receives_the_ticket_signed(stack, chat, conversation_id, webhook_receiver):
    from handoff.webhook import signature
    from tests.conftest import WEBHOOK_SECRET

    escalate(chat)
    deadline = time.monotonic() + 10
    matching = []
    while time.monotonic() < deadline and not matching:
        matching = [r for r in webhook_receiver.requests if conversation_id.encode() in r.body]
        time.sleep(0.1)
    assert matching, "the webhook never arrived"
    delivery = matching[0]
    assert delivery.headers["X-Triage-Event"] == "ticket.created"
    assert delivery.headers["X-Triage-Signature"] == signature(
        WEBHOOK_SECRET, delivery.headers["X-Triage-Timestamp"], delivery.body
    )


def test_of_ten_agents_claiming_at_once_exactly_one_wins(stack, chat, conversation_id):
    from concurrent.futures import ThreadPoolExecutor

    chat("I want to talk to a human")
    agents = [Desk(stack.desk_url, DESK_AGENT, DESK_PASSWORD) for _ in range(5)]
    agents += [Desk(stack.desk_url, "kim", "other-pass") for _ in range(5)]
    ticket = agents[0].ticket_for(conversation_id)
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda desk: desk.post(ticket["id"], "claim").status_code, agents))
    assert sorted(answers) == [200] + [409] * 9, answers
