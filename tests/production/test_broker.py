"""``DurablePikaEventBroker``, the event broker endpoints.production.yml names, on the real RabbitMQ: a durable
exchange, no event silently routed nowhere, none left waiting for a confirmation that never comes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import subprocess
import time
import uuid
from typing import Any, AsyncIterator, Tuple

import aio_pika
import aiormq
import pytest
import yaml
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import read_endpoint_config

from bot.brokers.durable_pika import RETRY_AFTER_S, DurablePikaEventBroker, ExchangeNotDurable
from bot.launcher import ROOT
from bot.profiles import ServiceMissing, require_services
from tests.production.conftest import SETTINGS

AMQP = "amqp://guest:guest@127.0.0.1:5672/"


@pytest.fixture
def names():
    try:
        require_services(SETTINGS)
    except ServiceMissing as missing:
        pytest.fail(str(missing))
    prefix = f"triage_test_{uuid.uuid4().hex[:8]}"
    yield f"{prefix}_exchange", f"{prefix}_events"

    async def remove() -> None:
        async with await aio_pika.connect(AMQP) as connection:
            channel = await connection.channel()
            await channel.queue_delete(f"{prefix}_events")
            await channel.exchange_delete(f"{prefix}_exchange")

    asyncio.run(remove())


def local_broker(exchange_name: str, queue_name: str) -> DurablePikaEventBroker:
    return DurablePikaEventBroker("127.0.0.1", "guest", "guest", queues=[queue_name], exchange_name=exchange_name)


@contextlib.asynccontextmanager
async def routed_nowhere(exchange_name: str, queue_name: str) -> AsyncIterator[Tuple[DurablePikaEventBroker, Any]]:
    """A connected broker and its queue, unbound from the exchange: every event published is routed to no queue
    (what a RabbitMQ restart did to Rasa's non-durable exchange). The caller closes the broker."""
    broker = local_broker(exchange_name, queue_name)
    await broker.connect()
    async with await aio_pika.connect(AMQP) as admin:
        queue = await (await admin.channel()).declare_queue(queue_name, durable=True)
        await queue.unbind(exchange_name, "")
        yield broker, queue


async def settled(broker: DurablePikaEventBroker) -> None:
    for _ in range(100):
        if not broker._background_tasks:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("publishing did not finish")


def test_the_production_endpoints_name_it_and_rasa_builds_it_from_them(names, tmp_path):
    exchange_name, queue_name = names
    config = yaml.safe_load((ROOT / "endpoints.production.yml").read_text(encoding="utf-8"))["event_broker"]
    assert config["type"] == "bot.brokers.durable_pika.DurablePikaEventBroker"
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump({"event_broker": {
        **config, "url": "127.0.0.1", "port": 5672, "username": "guest", "password": "guest",
        "exchange_name": exchange_name, "queues": [queue_name]}}), encoding="utf-8")  # fmt: skip

    async def build() -> object:
        broker = await EventBroker.create(read_endpoint_config(str(endpoints), "event_broker"))
        assert broker is not None
        await broker.close()
        return broker

    assert type(asyncio.run(build())) is DurablePikaEventBroker


def test_an_event_no_queue_took_is_kept_and_sent_once_the_queue_is_bound_again(names):
    exchange_name, queue_name = names

    async def scenario() -> list:
        async with routed_nowhere(exchange_name, queue_name) as (broker, queue):
            broker.publish({"event": "user", "text": "routed nowhere"})
            await settled(broker)
            assert [e["text"] for e in broker._unpublished_events] == ["routed nowhere"]
            await queue.bind(exchange_name, "")
            broker.publish({"event": "user", "text": "after the binding is back"})
            await settled(broker)
            await settled(broker)  # the re-send of the kept event
            received = []
            while (message := await queue.get(timeout=5, fail=False)) is not None:
                received.append(message.body.decode())
                await message.ack()
        await broker.close()
        return received

    received = asyncio.run(scenario())
    assert sorted('"routed nowhere"' in body for body in received) == [False, True]


def test_kept_events_are_sent_again_by_themselves_when_no_other_event_follows(names):
    """The last events of a busy period may fail with nothing published after them: a timer sends them."""
    exchange_name, queue_name = names

    async def scenario() -> tuple:
        async with routed_nowhere(exchange_name, queue_name) as (broker, queue):
            for number in range(3):
                broker.publish({"event": "user", "text": f"last words {number}"})
            await settled(broker)
            kept = len(broker._unpublished_events)
            await queue.bind(exchange_name, "")
            received = []
            deadline = time.monotonic() + 4 * RETRY_AFTER_S + 5
            while len(received) < 3 and time.monotonic() < deadline:  # nothing else is published meanwhile
                message = await queue.get(timeout=5, fail=False)
                if message is None:
                    await asyncio.sleep(0.2)
                    continue
                received.append(json.loads(message.body)["text"])
                await message.ack()
        await broker.close()
        return kept, sorted(received)

    kept, received = asyncio.run(scenario())
    assert kept == 3
    assert received == ["last words 0", "last words 1", "last words 2"]


def test_the_exchange_is_durable_and_a_non_durable_one_is_refused_with_advice(names):
    exchange_name, queue_name = names

    async def scenario() -> None:
        broker = local_broker(exchange_name, queue_name)
        await broker.connect()
        await broker.close()
        async with await aio_pika.connect(AMQP) as admin:
            channel = await admin.channel()
            with pytest.raises(aiormq.exceptions.ChannelPreconditionFailed):  # it exists, and durable
                await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.FANOUT, durable=False)
            channel = await admin.channel()
            await channel.exchange_delete(exchange_name)
            await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.FANOUT, durable=False)
        with pytest.raises(ExchangeNotDurable, match="exchange_name"):
            await local_broker(exchange_name, queue_name).connect()

    asyncio.run(scenario())


def connection_pid(name: str) -> str:
    listed = subprocess.run(["rabbitmqctl", "list_connections", "-q", "--no-table-headers", "pid", "client_properties"],
                            check=True, capture_output=True, text=True).stdout  # fmt: skip
    for line in listed.splitlines():
        pid, _, properties = line.partition("\t")
        if name in properties:
            return pid
    raise AssertionError(f"no RabbitMQ connection named {name} in {listed!r}")


def test_events_in_flight_when_rabbitmq_cuts_the_connection_are_all_delivered(names, monkeypatch):
    """aio-pika leaves publishes in flight at a cut waiting forever; they must time out and be sent again.
    The confirmations the cut failed are counted in a summary, not logged one traceback each."""
    exchange_name, queue_name = names
    monkeypatch.setenv("BROKER_PUBLISH_TIMEOUT", "600")  # only the reconnect can release the stuck publishes
    sent = [str(number) for number in range(2000)]

    unhandled: list = []
    counted: list = []

    async def scenario() -> set:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: unhandled.append(context))
        broker = DurablePikaEventBroker(f"amqp://127.0.0.1?name={queue_name}", "guest", "guest", queues=[queue_name],
                                 exchange_name=exchange_name)  # fmt: skip
        await broker.connect()
        counted.append(asyncio.get_running_loop().get_exception_handler())  # the summarising handler
        pid = connection_pid(queue_name)
        for text in sent:
            broker.publish({"event": "user", "text": text})
        await asyncio.sleep(0.05)  # some go out; then the loop is blocked while RabbitMQ closes the connection
        subprocess.run(["rabbitmqctl", "close_connection", pid, "cut by the test"], check=True, capture_output=True)
        received: set = set()
        async with await aio_pika.connect(AMQP) as admin:
            queue = await (await admin.channel()).declare_queue(queue_name, durable=True)
            for _ in range(60):  # the client reconnects; each confirmed publish sends what was kept
                broker.publish({"event": "user", "text": "nudge"})
                await asyncio.sleep(0.5)
                while (message := await queue.get(timeout=5, fail=False)) is not None:
                    received.add(json.loads(message.body)["text"])
                    await message.ack()
                if received >= set(sent):
                    break
        await broker.close()
        gc.collect()  # the failed confirmation futures report to the loop when they are collected
        return received

    received = asyncio.run(scenario())
    missing = set(sent) - received
    assert not missing, f"{len(missing)} of {len(sent)} events never reached the queue"
    assert [c for c in unhandled if c.get("message") == "Future exception was never retrieved"] == []
    assert counted and counted[0].total >= 1  # ... they went to the summary instead


def test_closing_cancels_the_retry_timer_so_nothing_is_sent_after(names):
    exchange_name, queue_name = names

    async def scenario() -> tuple:
        async with routed_nowhere(exchange_name, queue_name) as (broker, queue):
            broker.publish({"event": "user", "text": "kept at close"})
            await settled(broker)
            timer_set = broker._retry is not None
            await broker.close()
            await queue.bind(exchange_name, "")
            await asyncio.sleep(RETRY_AFTER_S + 1)  # past when the timer would have fired
            left = await queue.get(timeout=5, fail=False)
        return timer_set, broker._retry, left

    timer_set, timer_after, left = asyncio.run(scenario())
    assert timer_set and timer_after is None and left is None


def test_a_broker_that_cannot_be_set_up_stops_rasa_instead_of_running_without_one(monkeypatch):
    """Rasa takes an AttributeError while building a broker for "no such class" and runs on with no broker."""
    from rasa.core.brokers.pika import PikaEventBroker
    from rasa.utils.endpoints import EndpointConfig

    from bot.brokers.durable_pika import RASA_OVERRIDES, BrokerMisconfigured
    from bot.rasa_guard import require_unchanged

    require_unchanged(RASA_OVERRIDES)  # checked against the real Rasa before the test changes it

    async def renamed_internals(self: PikaEventBroker) -> None:
        raise AttributeError("'PikaEventBroker' object has no attribute '_something_renamed'")

    monkeypatch.setattr(DurablePikaEventBroker, "connect", renamed_internals)
    config = EndpointConfig(url="127.0.0.1", type="bot.brokers.durable_pika.DurablePikaEventBroker",
                            username="guest", password="guest", queues=["unused"])  # fmt: skip
    from rasa.shared.exceptions import ConnectionException

    with pytest.raises(ConnectionException) as stopped:  # Rasa's start fails with it, loudly
        asyncio.run(EventBroker.create(config))
    assert isinstance(stopped.value.__cause__, BrokerMisconfigured)
    assert "_something_renamed" in str(stopped.value.__cause__)
