"""Mutations of the project's Rasa subclasses, for the mutation check (``bot/tools/mutation_check.py``).

Loaded into a pytest run as a plugin (``-p bot.tools.seam_mutations``) with ``SEAM_MUTATION=name``: before any
test runs, the named change is made, which puts Rasa's own behaviour back in one place. The tests of that
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


STORE = ("bot.stores.sql_tracker_store", "TriageSQLTrackerStore")
BROKER = ("bot.brokers.durable_pika", "DurablePikaEventBroker")
POLICY = ("bot.policies.indexed_rule_policy", "IndexedRulePolicy")

MUTATIONS: Dict[str, Callable[[], None]] = {
    "store_reads_as_rasa": _without(*STORE, "retrieve"),
    "store_saves_as_rasa": _without(*STORE, "save"),
    "store_sqlite_unpooled": _unpooled_sqlite,
    "broker_exchange_as_rasa": _without(*BROKER, "_set_up_exchange"),
    "broker_publishes_as_rasa": _without(*BROKER, "_publish"),
    "broker_reconnects_as_rasa": _without(*BROKER, "_publish_unpublished_messages"),
    "policy_looks_up_as_rasa": _without(*POLICY, "_get_possible_keys"),
}


def pytest_configure(config: Any) -> None:
    name = os.environ.get(VARIABLE, "")
    if name:
        MUTATIONS[name]()
