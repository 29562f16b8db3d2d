"""The production feed for real: ``python -m analytics.consumer`` reading RabbitMQ on loopback, killed with
SIGKILL in the middle of the stream and started again. RabbitMQ re-delivers what was not acknowledged; nothing
may be counted twice or lost, and the conversations must be those a single in-order fold gives."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import aio_pika
import pytest

from analytics.fold import stream_event
from analytics.settings import settings
from analytics.store import AnalyticsStore
from bot.launcher import ROOT, free_port
from tests.analytics.test_store import order_form_left_open, user

AMQP = "amqp://guest:guest@127.0.0.1:5672/"
SENDERS = ["+15552014477", "ana@example.com", "web session 1", "Zoë-客户", "x" * 128]


def conversation_bodies(sender_index: int, start: float) -> List[Dict[str, Any]]:
    """Per customer: one conversation left in a form, one handed off, one answered."""
    handoff = {"handoff": {"ticket": sender_index + 1, "queue": "orders", "reason": "customer_request"}}
    return [
        *order_form_left_open(start),
        {"event": "session_started", "timestamp": start + 5000},
        user(start + 5001, "I want a person", "human_handoff", channel="rest"),
        {"event": "bot", "timestamp": start + 5002, "text": "Passing you on", "metadata": {"analytics": handoff}},
        {"event": "session_started", "timestamp": start + 9000},
        user(start + 9001, "delivery options?", "ask_delivery_options", channel="socketio"),
        {"event": "bot", "timestamp": start + 9002, "text": "We deliver...",
         "metadata": {"utter_action": "utter_delivery_options"}},
    ]  # fmt: skip


def stream() -> List[Tuple[str, Dict[str, Any]]]:
    messages = []
    for i in range(60):
        sender = f"{SENDERS[i % len(SENDERS)]}-{i}"
        messages += [(sender, body) for body in conversation_bodies(i, 1_700_000_000.0 + i * 20_000)]
    return messages


async def publish(exchange_name: str, queue_name: str, messages: List[Tuple[str, Dict[str, Any]]]) -> None:
    """As Rasa's pika broker does: the event with its sender_id, persistent, to the durable fanout exchange
    (whose queues endpoints.production.yml declares, so nothing is dropped while the consumer is down)."""
    connection = await aio_pika.connect(AMQP)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.FANOUT, durable=True)
        queue = await channel.declare_queue(queue_name, durable=True)
        await queue.bind(exchange, "")
        for sender, body in messages:
            payload = json.dumps({**body, "sender_id": sender}).encode()
            await exchange.publish(aio_pika.Message(payload, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                                   routing_key="")  # fmt: skip


async def remove(exchange_name: str, queue_name: str) -> None:
    connection = await aio_pika.connect(AMQP)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue_name)
        await channel.exchange_delete(exchange_name)


class Consumer:
    def __init__(self, tmp_path: Path, database: str, exchange: str, queue: str) -> None:
        self.port = free_port()
        self.log = tmp_path / "consumer.log"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "HANDOFF_DATABASE_URL": database,
                    "RABBITMQ_EXCHANGE": exchange, "RABBITMQ_ANALYTICS_QUEUE": queue}  # fmt: skip
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        # Small batches, so a kill lands between an ingest and its acknowledgement as often as not.
        command = [sys.executable, "-m", "analytics.consumer", "--port", str(self.port), "--batch", "40"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.health()
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"the consumer did not start; see {self.log}")

    def health(self) -> Dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as answer:
            return json.loads(answer.read())

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


@pytest.fixture
def names() -> Iterator[Tuple[str, str]]:
    suffix = uuid.uuid4().hex[:8]
    exchange, queue = f"analytics_test_{suffix}_exchange", f"analytics_test_{suffix}"
    yield exchange, queue
    asyncio.run(remove(exchange, queue))


def test_a_consumer_killed_mid_stream_counts_every_event_once(tmp_path: Path, names: Tuple[str, str]) -> None:
    exchange, queue = names
    database = f"sqlite:///{tmp_path / 'handoff.db'}"
    messages = stream()
    distinct = {stream_event(s, b).event_id for s, b in messages if stream_event(s, b) is not None}  # type: ignore[union-attr]
    store = AnalyticsStore(database, settings())
    consumer = Consumer(tmp_path, database, exchange, queue)

    asyncio.run(publish(exchange, queue, messages[:400]))
    consumer.start()
    deadline = time.monotonic() + 30
    while store.event_count() < 80 and time.monotonic() < deadline:
        time.sleep(0.02)
    consumer.kill()  # mid-stream: some batches stored, some stored but not acknowledged, some not yet taken
    stored_before_restart = store.event_count()
    assert 0 < stored_before_restart < len(distinct)

    # More traffic while it is down, and the broker re-sending some of what it already delivered.
    asyncio.run(publish(exchange, queue, messages[400:] + messages[100:160]))
    consumer.start()
    deadline = time.monotonic() + 60
    while store.event_count() < len(distinct) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # anything still in flight would show up as more than expected
    consumer.stop()

    assert store.event_count() == len(distinct)
    reference = AnalyticsStore(f"sqlite:///{tmp_path / 'reference.db'}", settings())
    reference.ingest([e for e in (stream_event(s, b) for s, b in messages) if e is not None])
    assert store.conversations() == reference.conversations()
    assert len(store.conversations()) == 3 * 60
    assert sum(1 for c in store.conversations() if c["handed_off"]) == 60
