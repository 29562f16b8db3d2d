"""Which backend the actions talk to (one shared instance per process)."""

from __future__ import annotations

import functools

from actions.backends.in_memory import InMemoryBackend
from actions.backends.protocol import BillingSystem, OrderSystem


@functools.lru_cache(maxsize=1)
def _placeholder() -> InMemoryBackend:
    return InMemoryBackend()


def order_system() -> OrderSystem:
    return _placeholder()


def billing_system() -> BillingSystem:
    return _placeholder()
