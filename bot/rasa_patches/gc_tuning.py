"""Keep the loaded model out of Python's full garbage collections.

A Rasa process holds millions of long-lived objects once the model and its
libraries are loaded. CPython's oldest-generation collection walks all of them,
and under load - with many requests in flight allocating trackers and events -
those collections come often enough to cost real CPU and add latency spikes.
After the model is loaded, ``gc.freeze()`` moves every object alive at that
moment into a permanent generation that collections skip; objects created
afterwards are collected as before, so nothing leaks that would not have
leaked anyway.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from rasa.core.agent import Agent

from bot.rasa_guard import RASA_3_6, Patch

logger = logging.getLogger(__name__)

_rasa_load_model = Agent.load_model


def load_model_then_freeze(self: Agent, *args: Any, **kwargs: Any) -> None:
    _rasa_load_model(self, *args, **kwargs)
    gc.collect()
    gc.freeze()
    logger.info("model loaded; %d objects moved out of garbage collection", gc.get_freeze_count())


def apply() -> None:
    Agent.load_model = load_model_then_freeze


PATCH = Patch(
    name="gc_tuning",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.core.agent:Agent.load_model": "f4c1ab4c5c7af634",
    },
    apply=apply,
)
