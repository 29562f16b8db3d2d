"""The production profile on the real PostgreSQL, Redis and RabbitMQ of this machine."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.launcher import Stack, StackConfig, free_port
from bot.profiles import ProductionSettings, ServiceMissing, drop_production_state, require_services
from tests.helpers import API_TOKEN, REST_KEY

SETTINGS = ProductionSettings()


@contextmanager
def production_stack(model: Path, log_dir: Path, **config: Any) -> Iterator[Stack]:
    """A whole stack on fresh ``triage_test_*`` databases and queue, removed afterwards.
    A missing service fails the test with the command that starts it."""
    try:
        require_services(SETTINGS)
    except ServiceMissing as missing:
        pytest.fail(str(missing))
    prefix = f"triage_test_{uuid.uuid4().hex[:8]}"
    stack_config = StackConfig(
        model=model, rasa_port=free_port(), actions_port=free_port(), reference_port=free_port(),
        desk_port=free_port(), analytics_port=free_port(),
        log_dir=log_dir, profile="production", database_prefix=prefix,
        env={"RASA_AUTH_TOKEN": API_TOKEN, "DESK_AGENTS": "sam:pw", "REST_API_KEY": REST_KEY}, **config,
    )  # fmt: skip
    try:
        with Stack(stack_config) as stack:
            yield stack
    finally:
        drop_production_state(SETTINGS, prefix)
