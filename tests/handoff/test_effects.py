"""A ticket's effects on its conversation survive the bot server being away, and apply once however often
they are sent."""

from __future__ import annotations

import time
import uuid

import pytest

from handoff.effects import apply_due
from handoff.rasa_gateway import RasaGateway
from handoff.settings import EffectSettings
from handoff.store import Effect, TicketStore
from handoff.ticket import Ticket, TicketStatus
from storage.retry import RetryPolicy
from tests.fakes import refused_url
from tests.helpers import API_TOKEN, texts


def ticket(conversation_id: str) -> Ticket:
    return Ticket(
        conversation_id=conversation_id,
        channel="rest",
        customer_address=conversation_id,
        reason="customer_request",
        queue="general",
        priority=2,
        summary="s",
        explanation="",
        verification={},
        slots={},
        context={},
        transcript=(),
        created_at=0.0,
    )


@pytest.fixture
def store(tmp_path) -> TicketStore:
    return TicketStore(f"sqlite:///{tmp_path / 'handoff.db'}")


def test_an_unreachable_bot_server_delays_the_effect_and_then_it_applies(stack, store, chat, conversation_id):
    chat("I want to talk to a human")
    record = store.escalate(ticket(conversation_id), now=time.time(), notify=False)
    store.transition(record.id, TicketStatus.ASSIGNED, now=time.time(), agent="sam")
    store.reply(record.id, "sam", "Sorry for the wait, I'm here now.", now=time.time())
    config = EffectSettings(retry=RetryPolicy(first_retry_seconds=0.2, max_retry_seconds=0.2, max_attempts=5))
    down = RasaGateway(refused_url(), API_TOKEN, timeout=2)
    assert apply_due(store, down, config) == 0
    assert [e["state"] for e in store.effects(record.id)] == ["pending", "pending"]
    assert store.effects(record.id)[0]["attempts"] == 1
    time.sleep(0.3)
    up = RasaGateway(stack.rasa_url, API_TOKEN)
    while apply_due(store, up, config):
        pass
    assert [e["state"] for e in store.effects(record.id)] == ["delivered", "delivered"]
    inbox = [m["text"] for m in bot_events(up, conversation_id)]
    assert inbox.count("Sorry for the wait, I'm here now.") == 1


def bot_events(gateway: RasaGateway, conversation_id: str):
    return [e for e in gateway.conversation(conversation_id).events if e.get("event") == "bot"]


def test_an_effect_sent_twice_is_applied_once(stack, chat, conversation_id):
    chat("I want to talk to a human")
    gateway = RasaGateway(stack.rasa_url, API_TOKEN)
    message = Effect(
        str(uuid.uuid4()),
        1,
        conversation_id,
        "rest",
        "agent_message",
        {"text": "Only once, please.", "agent": "sam"},
        0,
    )
    assert gateway.apply(message) is True
    assert gateway.apply(message) is False
    handback = Effect(str(uuid.uuid4()), 1, conversation_id, "rest", "handback", {"resolved": True}, 0)
    assert gateway.apply(handback) is True
    assert gateway.apply(handback) is False
    said = [e.get("text") for e in bot_events(gateway, conversation_id)]
    assert said.count("Only once, please.") == 1
    assert sum("back with the assistant" in (text or "") for text in said) == 1
    assert "Thank you" in texts(chat("5"))  # the one satisfaction question
    assert "order number" in texts(chat("where is my order"))  # the bot is back, once
