"""Typed view of ``analytics/config.yml``."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, FrozenSet, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

CONFIG_FILE = Path(__file__).with_name("config.yml")


class AnalyticsConfigError(ValueError):
    """``analytics/config.yml`` is inconsistent; the message names the key."""


@dataclass(frozen=True)
class Costs:
    currency: str = "GBP"
    per_bot_conversation: float = 0.10
    per_agent_minute: float = 0.60


@dataclass(frozen=True)
class AnalyticsSettings:
    idle_seconds: float = 3600.0
    repeat_seconds: float = 24 * 3600.0
    durable_seconds: float = 7 * 24 * 3600.0
    answers: FrozenSet[str] = frozenset()
    fallback_intent: str = "nlu_fallback"
    fallback_actions: FrozenSet[str] = frozenset()
    out_of_scope_intent: str = "out_of_scope"
    low_confidence: float = 0.5
    costs: Costs = Costs()
    timezone: str = "UTC"


def _number(raw: Mapping[str, Any], key: str, default: float, minimum: float = 0.0) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise AnalyticsConfigError(f"{key}: must be a number of at least {minimum}, not {value!r}")
    return float(value)


def parse_settings(raw: Mapping[str, Any]) -> AnalyticsSettings:
    costs = raw.get("costs") or {}
    zone = str(raw.get("timezone", "UTC"))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise AnalyticsConfigError(f"timezone: '{zone}' is not a time zone name (for example Europe/London)") from None
    low = _number(raw, "low_confidence", 0.5)
    if low > 1:
        raise AnalyticsConfigError("low_confidence: must be between 0 and 1")
    return AnalyticsSettings(
        idle_seconds=_number(raw, "idle_minutes", 60, 1) * 60,
        repeat_seconds=_number(raw, "repeat_contact_hours", 24, 1) * 3600,
        durable_seconds=_number(raw, "durable_resolution_days", 7, 1) * 86400,
        answers=frozenset(str(a) for a in raw.get("answers") or ()),
        fallback_intent=str(raw.get("fallback_intent", "nlu_fallback")),
        fallback_actions=frozenset(str(a) for a in raw.get("fallback_actions") or ()),
        out_of_scope_intent=str(raw.get("out_of_scope_intent", "out_of_scope")),
        low_confidence=low,
        costs=Costs(
            currency=str(costs.get("currency", "GBP")),
            per_bot_conversation=_number(costs, "per_bot_conversation", 0.10),
            per_agent_minute=_number(costs, "per_agent_minute", 0.60),
        ),
        timezone=zone,
    )


@functools.lru_cache(maxsize=1)
def settings() -> AnalyticsSettings:
    path = Path(os.environ.get("ANALYTICS_CONFIG", CONFIG_FILE))
    return parse_settings(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def domain_problems(config: AnalyticsSettings, domain: Mapping[str, Any]) -> list[str]:
    """Names in analytics/config.yml that the domain does not have (``make validate``): a renamed response or
    action would silently stop being counted."""
    from rasa.shared.core.constants import DEFAULT_ACTION_NAMES, DEFAULT_INTENTS

    responses = set(domain.get("responses") or {})
    actions = set(domain.get("actions") or ()) | responses | set(domain.get("forms") or {}) | set(DEFAULT_ACTION_NAMES)
    intents = {next(iter(i)) if isinstance(i, Mapping) else str(i) for i in domain.get("intents") or ()}
    intents |= set(DEFAULT_INTENTS)
    problems = [f"analytics/config.yml answers: '{name}' is not a response in domain.yml"
                for name in sorted(config.answers - responses)]  # fmt: skip
    problems += [f"analytics/config.yml fallback_actions: '{name}' is not an action in domain.yml"
                 for name in sorted(config.fallback_actions - actions)]  # fmt: skip
    named = (("fallback_intent", config.fallback_intent), ("out_of_scope_intent", config.out_of_scope_intent))
    problems += [f"analytics/config.yml {key}: '{name}' is not an intent in domain.yml"
                 for key, name in named if name not in intents]  # fmt: skip
    return problems
