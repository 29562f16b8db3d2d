"""The production lock store against the real Redis on this machine."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa.utils.endpoints import EndpointConfig

from bot.profiles import ProductionSettings, ServiceMissing, require_services
from bot.stores.atomic_redis_lock_store import AtomicRedisLockStore


@pytest.fixture
def stores():
    try:
        require_services(ProductionSettings())
    except ServiceMissing as missing:
        pytest.fail(str(missing))
    config = EndpointConfig(url="127.0.0.1", port=6379, db=1, key_prefix="locktest", type="x")
    # Two stores = two Rasa workers, each with its own connection.
    return AtomicRedisLockStore(endpoint_config=config), AtomicRedisLockStore(endpoint_config=config)


def test_tickets_issued_at_once_by_two_workers_are_all_different(stores):
    conversation = f"c-{uuid.uuid4().hex}"
    with ThreadPoolExecutor(16) as pool:
        tickets = list(pool.map(lambda i: stores[i % 2].issue_ticket(conversation, 30), range(200)))
    assert sorted(tickets) == list(range(200))
    assert len(stores[0].get_lock(conversation).tickets) == 200
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda t: stores[t % 2].cleanup(conversation, t), tickets))
    assert stores[1].get_lock(conversation) is None  # the last one out removed the queue


def test_messages_of_one_conversation_are_served_one_at_a_time_across_workers(stores):
    conversation = f"c-{uuid.uuid4().hex}"
    inside, most_inside, order = 0, 0, []

    async def handle(store: AtomicRedisLockStore, number: int) -> None:
        nonlocal inside, most_inside
        async with store.lock(conversation, lock_lifetime=30, wait_time_in_seconds=0.01):
            inside += 1
            most_inside = max(most_inside, inside)
            order.append(number)
            await asyncio.sleep(0.005)
            inside -= 1

    async def main() -> None:
        await asyncio.gather(*(handle(stores[n % 2], n) for n in range(30)))

    asyncio.run(main())
    assert most_inside == 1 and sorted(order) == list(range(30))
    assert stores[0].get_lock(conversation) is None
