"""Mutations of the project's Rasa subclasses, for the mutation check (``bot/tools/mutation_check.py``).

Loaded into a pytest run as a plugin (``-p bot.tools.seam_mutations``) with ``SEAM_MUTATION=name[,name]``: before
any test runs, the named changes are made, which puts Rasa's own behaviour back in one place. The tests of that
subclass must then fail. Nothing here is imported by the product; the product has no switch for these.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict

VARIABLE = "SEAM_MUTATION"


def _without(module_name: str, class_name: str, *attributes: str) -> Callable[[], None]:
    """Delete the subclass's own ``attributes``, so Rasa's base class answers instead."""

    def mutate() -> None:
        import importlib

        owner = getattr(importlib.import_module(module_name), class_name)
        for attribute in attributes:
            delattr(owner, attribute)

    return mutate


def _unpooled_sqlite() -> None:
    from bot.stores import sql_tracker_store

    sql_tracker_store.pooled_sqlite = lambda engine: engine  # type: ignore[assignment]


def _streams_before_writing() -> None:
    """Rasa's order: publish the new events, then write them."""
    from bot.stores.sql_tracker_store import TriageSQLTrackerStore

    store_then_stream = TriageSQLTrackerStore._store_then_stream

    async def stream_then_store(self: Any, tracker: Any) -> None:
        stored = self._stored_in_session(self.sessionmaker(), tracker.sender_id)
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, list(tracker.events)[stored:], tracker.sender_id)
        broker, self.event_broker = self.event_broker, None
        try:
            await store_then_stream(self, tracker)
        finally:
            self.event_broker = broker

    TriageSQLTrackerStore._store_then_stream = stream_then_store  # type: ignore[method-assign]


STORE = ("bot.stores.sql_tracker_store", "TriageSQLTrackerStore")
BROKER = ("bot.brokers.durable_pika", "DurablePikaEventBroker")
POLICY = ("bot.policies.indexed_rule_policy", "IndexedRulePolicy")

MUTATIONS: Dict[str, Callable[[], None]] = {
    "store_reads_as_rasa": _without(*STORE, "retrieve"),
    "store_saves_as_rasa": _without(*STORE, "save"),
    "store_sqlite_unpooled": _unpooled_sqlite,
    "store_streams_before_writing": _streams_before_writing,
    "store_without_read_only_look": _without(*STORE, "current"),
    "broker_exchange_as_rasa": _without(*BROKER, "_set_up_exchange"),
    "broker_publishes_as_rasa": _without(*BROKER, "_publish"),
    "broker_reconnects_as_rasa": _without(*BROKER, "_publish_unpublished_messages"),
    "broker_closes_as_rasa": _without(*BROKER, "close"),
    "broker_built_as_rasa": _without(*BROKER, "from_endpoint_config"),
    "policy_looks_up_as_rasa": _without(*POLICY, "_get_possible_keys"),
}


def pytest_configure(config: Any) -> None:
    for name in filter(None, os.environ.get(VARIABLE, "").split(",")):  # several at once: the quick form
        MUTATIONS[name]()
