"""The production feed: a consumer of the RabbitMQ event stream Rasa's broker publishes.

    python -m analytics.consumer          (the launcher starts it with PROFILE=production)

At-least-once, de-duplicated, resumable: messages are taken in batches, each batch is stored in one
transaction (``AnalyticsStore.ingest``), and only then acknowledged. A consumer killed before the
acknowledgement gets the batch again from RabbitMQ on restart; the events it had already stored are recognised
by their id and not counted again. A batch the database refuses is handed back to RabbitMQ and tried again.

It reads its own durable queue (``RABBITMQ_ANALYTICS_QUEUE``), bound to the deployment's fanout exchange and
named in endpoints.production.yml, so the broker keeps events for it from the first start even while it is
down, and no other reader of the stream takes events away from it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import List

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from analytics.fold import StreamEvent, stream_event
from analytics.health import serve_health
from analytics.runtime import analytics_store
from analytics.store import AnalyticsStore

logger = logging.getLogger(__name__)


@dataclass
class ConsumerStats:
    received: int = 0
    stored: int = 0  # new events stored (re-deliveries excluded)
    rejected: int = 0  # not an event at all: never stored, never retried
    batches: int = 0
    last_batch_at: float = 0.0
    started_at: float = field(default_factory=time.time)


def parse_message(body: bytes) -> StreamEvent | None | str:
    """The stream event in a message body; None for an event analytics does not keep; a reason if malformed."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return "not JSON"
    if not isinstance(data, dict) or not isinstance(data.get("sender_id"), str) or not data["sender_id"]:
        return "no sender_id"
    return stream_event(data["sender_id"], data)


class EventConsumer:
    def __init__(self, store: AnalyticsStore, amqp_url: str, exchange: str, queue: str, batch: int = 500,
                 linger_s: float = 0.2) -> None:  # fmt: skip
        self.store, self.amqp_url, self.exchange_name, self.queue_name = store, amqp_url, exchange, queue
        self.batch, self.linger_s = batch, linger_s
        self.stats = ConsumerStats()
        self._inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._stop = asyncio.Event()

    async def run(self) -> None:
        connection = await aio_pika.connect_robust(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=self.batch * 2)
            exchange = await channel.declare_exchange(self.exchange_name, aio_pika.ExchangeType.FANOUT, durable=True)
            queue = await channel.declare_queue(self.queue_name, durable=True)
            await queue.bind(exchange, "")
            await queue.consume(self._inbox.put)
            logger.info("consuming %s (exchange %s)", self.queue_name, self.exchange_name)
            while not self._stop.is_set():
                messages = await self._next_batch()
                if messages:
                    await self._settle(messages)

    def stop(self) -> None:
        self._stop.set()

    async def _next_batch(self) -> List[AbstractIncomingMessage]:
        messages: List[AbstractIncomingMessage] = []
        try:
            messages.append(await asyncio.wait_for(self._inbox.get(), timeout=0.5))
        except asyncio.TimeoutError:
            return messages
        deadline = asyncio.get_running_loop().time() + self.linger_s
        while len(messages) < self.batch:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            try:
                messages.append(await asyncio.wait_for(self._inbox.get(), timeout=remaining))
            except asyncio.TimeoutError:
                break
        return messages

    async def _settle(self, messages: List[AbstractIncomingMessage]) -> None:
        events: List[StreamEvent] = []
        for message in messages:
            parsed = parse_message(message.body)
            if isinstance(parsed, str):
                self.stats.rejected += 1
                logger.warning("message %s rejected: %s (%d bytes)", message.message_id or "-", parsed,
                               len(message.body))  # fmt: skip
            elif parsed is not None:
                events.append(parsed)
        try:
            stored = await asyncio.get_running_loop().run_in_executor(None, self.store.ingest, events)
        except Exception:  # the database is down or refused: RabbitMQ keeps the batch for the next try
            logger.exception("could not store a batch of %d events; handed back to RabbitMQ", len(events))
            for message in messages:
                await _quietly(message.nack(requeue=True))
            await asyncio.sleep(1.0)
            return
        await _quietly(messages[-1].ack(multiple=True))
        self.stats.received += len(messages)
        self.stats.stored += stored
        self.stats.batches += 1
        self.stats.last_batch_at = time.time()


async def _quietly(settling: asyncio.Future[object] | object) -> None:
    """Acknowledging on a channel that was lost in the meantime fails; RabbitMQ re-delivers those messages and
    their ids recognise them."""
    try:
        await settling  # type: ignore[misc]
    except Exception as lost:
        logger.warning("acknowledgement not delivered (%s): the batch will come again", type(lost).__name__)


def amqp_url(environ: os._Environ[str] | dict[str, str]) -> str:
    user = environ.get("RABBITMQ_USER", "guest")
    password = environ.get("RABBITMQ_PASSWORD", "guest")
    host, port = environ.get("RABBITMQ_HOST", "127.0.0.1"), environ.get("RABBITMQ_PORT", "5672")
    return f"amqp://{user}:{password}@{host}:{port}/"


async def _main(args: argparse.Namespace) -> None:
    environ = os.environ
    consumer = EventConsumer(analytics_store(), amqp_url(environ), environ.get("RABBITMQ_EXCHANGE", "triage_exchange"),
                             environ.get("RABBITMQ_ANALYTICS_QUEUE", "triage_analytics"), batch=args.batch)  # fmt: skip
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, consumer.stop)
    server = await serve_health(lambda: dict(consumer.stats.__dict__), args.host, args.port)
    try:
        await consumer.run()
    finally:
        server.close()


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Analytics consumer of the RabbitMQ event stream")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ANALYTICS_PORT", 5400)))
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(_main(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
