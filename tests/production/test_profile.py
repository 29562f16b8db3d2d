"""The production profile for real: PostgreSQL tracker store, Redis lock store,
RabbitMQ event broker, and the hand-off, reference and channel stores on
PostgreSQL. A missing service fails the test with the command that starts it."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Iterator

import pytest
import requests
from sqlalchemy import create_engine, text

from bot.launcher import Stack
from bot.profiles import postgres_url
from tests.helpers import REST_HEADERS, handed_over
from tests.production.conftest import SETTINGS, production_stack


@pytest.fixture(scope="module")
def production(trained_model, tmp_path_factory) -> Iterator[Stack]:
    with production_stack(trained_model, tmp_path_factory.mktemp("production")) as stack:
        yield stack


def say(stack: Stack, sender: str, message: str) -> str:
    reply = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message},
                          headers=REST_HEADERS, timeout=30)  # fmt: skip
    assert reply.status_code == 200
    return "\n".join(m.get("text") or "" for m in reply.json())


def scalar(stack: Stack, database: str, query: str, **params) -> object:
    engine = create_engine(postgres_url(SETTINGS, f"{stack.config.database_prefix}_{database}"))
    with engine.connect() as connection:
        value = connection.execute(text(query), params).scalar()
    engine.dispose()
    return value


async def first_broker_event(queue_name: str) -> dict:
    import aio_pika

    connection = await aio_pika.connect_robust("amqp://guest:guest@127.0.0.1:5672/")
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        message = await queue.get(timeout=10, fail=True)
        await message.ack()
        return json.loads(message.body)


def test_a_conversation_runs_on_postgres_redis_and_rabbitmq(production):
    sender = f"prod-{uuid.uuid4().hex[:8]}"
    assert "email address or phone number" in say(production, sender, "where is my order 10023")
    assert "UPS" in say(production, sender, "maria.keller@example.com")
    stored = scalar(production, "trackers", "select count(*) from events where sender_id = :s", s=sender)
    assert stored and int(stored) >= 4
    event = asyncio.run(first_broker_event(f"{production.config.database_prefix}_events"))
    assert "event" in event and "sender_id" in event


def test_hand_off_tickets_live_in_postgres(production):
    sender = f"prod-{uuid.uuid4().hex[:8]}"
    assert handed_over(say(production, sender, "I want to talk to a human"))
    deadline = time.monotonic() + 10
    count = 0
    while time.monotonic() < deadline and not count:
        count = int(scalar(production, "handoff", "select count(*) from handoff_tickets where conversation_id = :s",
                           s=sender) or 0)  # fmt: skip
    assert count == 1


async def broker_events_of(queue_name: str, sender: str) -> list:
    """Drain the queue; the (event, timestamp) of every event it carried for ``sender``."""
    import aio_pika

    carried = []
    connection = await aio_pika.connect_robust("amqp://guest:guest@127.0.0.1:5672/")
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        while (message := await queue.get(timeout=5, fail=False)) is not None:
            await message.ack()
            event = json.loads(message.body)
            if event.get("sender_id") == sender:
                carried.append((event["event"], event["timestamp"]))
    return carried


def test_rabbitmq_carries_exactly_the_events_postgres_stored(production):
    """Events are committed first and streamed after, each once (bot/stores/sql_tracker_store.py)."""
    sender = f"prod-{uuid.uuid4().hex[:8]}"
    say(production, sender, "where is my order 10023")
    say(production, sender, "maria.keller@example.com")
    engine = create_engine(postgres_url(SETTINGS, f"{production.config.database_prefix}_trackers"))
    with engine.connect() as connection:
        rows = connection.execute(text("select data from events where sender_id = :s order by id"), {"s": sender})
        stored = [(e["event"], e["timestamp"]) for e in (json.loads(data) for (data,) in rows)]
    engine.dispose()
    time.sleep(1)  # publishing runs in the background, after the commit
    carried = asyncio.run(broker_events_of(f"{production.config.database_prefix}_events", sender))
    assert len(stored) >= 8
    assert sorted(carried) == sorted(stored)


def test_the_analytics_consumer_counts_a_production_conversation_with_its_hand_off(production):
    """Rasa's broker → the <prefix>_analytics queue → analytics.consumer → the hand-off database on PostgreSQL."""
    sender = f"prod +44 7700 {uuid.uuid4().hex[:6]} Zoë"
    assert handed_over(say(production, sender, "I want to talk to a human"))
    deadline = time.monotonic() + 30
    row = None
    while time.monotonic() < deadline and (row is None or not row[1]):  # events arrive one by one
        engine = create_engine(postgres_url(SETTINGS, f"{production.config.database_prefix}_handoff"))
        with engine.connect() as connection:
            row = connection.execute(
                text("select channel, handed_off, handoff_reason, ticket_id, customer_messages, "
                     "(select count(*) from analytics_conversations where sender_id = :s) "
                     "from analytics_conversations where sender_id = :s"), {"s": sender}).first()  # fmt: skip
        engine.dispose()
        time.sleep(0.3)
    assert row is not None, "the consumer never stored the conversation"
    ticket = scalar(production, "handoff", "select id from handoff_tickets where conversation_id = :s", s=sender)
    assert tuple(row) == ("rest", 1, "customer_request", ticket, 1, 1)  # one conversation, handed off
