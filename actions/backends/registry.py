"""Which order and billing systems the actions talk to, from the environment.

| variable | default | meaning |
|---|---|---|
| ``ORDERS_API_URL`` / ``BILLING_API_URL`` | http://127.0.0.1:5100 | base URL (docs/backend-api.yaml) |
| ``ORDERS_API_TOKEN`` / ``BILLING_API_TOKEN`` | none | bearer token sent to that backend |
| ``ORDERS_ADAPTER`` / ``BILLING_ADAPTER`` | none | ``module:factory`` returning your own adapter |
| ``BACKEND_CONNECT_TIMEOUT`` / ``BACKEND_READ_TIMEOUT`` | 1.0 / 3.0 s | per call |
| ``BACKEND_RETRIES`` | 2 | extra tries for reads (never for writes) |
| ``BACKEND_FAILURE_THRESHOLD`` / ``BACKEND_COOLDOWN`` | 5 / 30 s | circuit breaker |
"""

from __future__ import annotations

import functools
import importlib
import os
from typing import Any, Mapping

from actions.backends.billing_api import BillingApi
from actions.backends.http_client import HttpSettings, JsonApiClient
from actions.backends.orders_api import OrdersApi
from actions.backends.protocol import BillingSystem, OrderSystem
from actions.backends.resilience import RetryPolicy

DEFAULT_URL = "http://127.0.0.1:5100"


class BackendConfigError(RuntimeError):
    """A backend variable in the environment is unusable; the message names it."""


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BackendConfigError(f"{name}={raw!r} is not a number") from None
    if value < 0:
        raise BackendConfigError(f"{name} must not be negative")
    return value


def http_settings(env: Mapping[str, str]) -> HttpSettings:
    return HttpSettings(
        connect_timeout=_number(env, "BACKEND_CONNECT_TIMEOUT", 1.0),
        read_timeout=_number(env, "BACKEND_READ_TIMEOUT", 3.0),
        retry=RetryPolicy(attempts=1 + int(_number(env, "BACKEND_RETRIES", 2))),
        failure_threshold=int(_number(env, "BACKEND_FAILURE_THRESHOLD", 5)),
        cooldown=_number(env, "BACKEND_COOLDOWN", 30.0),
    )


def _adapter(spec: str) -> Any:
    module_name, _, factory_name = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
    except (ImportError, AttributeError) as problem:
        raise BackendConfigError(f"cannot load adapter {spec!r}: {problem}") from problem
    return factory()


def build_order_system(env: Mapping[str, str]) -> OrderSystem:
    if env.get("ORDERS_ADAPTER"):
        return _adapter(env["ORDERS_ADAPTER"])
    client = JsonApiClient(
        "orders", env.get("ORDERS_API_URL") or DEFAULT_URL, env.get("ORDERS_API_TOKEN"), http_settings(env)
    )
    return OrdersApi(client)


def build_billing_system(env: Mapping[str, str]) -> BillingSystem:
    if env.get("BILLING_ADAPTER"):
        return _adapter(env["BILLING_ADAPTER"])
    client = JsonApiClient(
        "billing", env.get("BILLING_API_URL") or DEFAULT_URL, env.get("BILLING_API_TOKEN"), http_settings(env)
    )
    return BillingApi(client)


@functools.lru_cache(maxsize=1)
def order_system() -> OrderSystem:
    return build_order_system(os.environ)


@functools.lru_cache(maxsize=1)
def billing_system() -> BillingSystem:
    return build_billing_system(os.environ)
