"""Typed view of ``handoff/config.yml``."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, Mapping, Tuple

import yaml

from handoff.reasons import CODES as REASON_CODES
from storage.retry import RetryPolicy

CONFIG_FILE = Path(__file__).with_name("config.yml")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class HandoffConfigError(ValueError):
    """``handoff/config.yml`` is inconsistent; the message names the key."""


@dataclass(frozen=True)
class Queue:
    key: str
    name: str
    timezone: str
    hours: Mapping[str, Tuple[int, int]]  # weekday -> (open minute, close minute)
    typical_wait_minutes: int
    # Service-level targets, in minutes the queue is open (business hours): the first agent reply, and the
    # ticket resolved, counted from the hand-off. None: no target (analytics reports the times, not a share met).
    first_response_minutes: int | None = None
    resolution_minutes: int | None = None


@dataclass(frozen=True)
class FrustrationSettings:
    shouting_min_letters: int = 8
    shouting_upper_ratio: float = 0.7
    negative_words: Tuple[str, ...] = ()
    repeated_task: int = 3


@dataclass(frozen=True)
class WebhookSettings:
    url: str | None = None
    secret: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(frozen=True)
class EffectSettings:
    """Applying a ticket's effects to the conversation (pause, agents' messages, the hand-back)."""

    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(1.0, 300.0, 40))
    lease_seconds: float = 150.0  # four effects of up to 30 s each, with room to spare


@dataclass(frozen=True)
class HandoffSettings:
    queues: Mapping[str, Queue]
    reason_queues: Mapping[str, str]
    task_queues: Mapping[str, str]
    default_queue: str
    reason_priority: Mapping[str, int]
    high_risk_tasks: FrozenSet[str]
    default_priority: int
    frustration: FrustrationSettings = field(default_factory=FrustrationSettings)
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    effects: EffectSettings = field(default_factory=EffectSettings)


def _minutes(text: str, where: str) -> int:
    try:
        hours, minutes = (int(part) for part in text.split(":"))
    except ValueError:
        raise HandoffConfigError(f"{where}: '{text}' is not HH:MM") from None
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or hours * 60 + minutes > 24 * 60:
        raise HandoffConfigError(f"{where}: '{text}' is not a time of day")
    return hours * 60 + minutes


def _queue(key: str, raw: Mapping) -> Queue:
    hours: Dict[str, Tuple[int, int]] = {}
    for day, span in (raw.get("hours") or {}).items():
        if day not in DAYS:
            raise HandoffConfigError(f"queues.{key}.hours: '{day}' is not one of {', '.join(DAYS)}")
        opening, _, closing = str(span).partition("-")
        where = f"queues.{key}.hours.{day}"
        hours[day] = (_minutes(opening, where), _minutes(closing, where))
    targets = raw.get("targets") or {}
    unknown = sorted(set(targets) - {"first_response_minutes", "resolution_minutes"})
    if unknown:
        raise HandoffConfigError(f"queues.{key}.targets: unknown target {', '.join(map(str, unknown))}")
    return Queue(
        key, str(raw.get("name", key)), str(raw.get("timezone", "UTC")), hours, int(raw.get("typical_wait_minutes", 5)),
        _target(targets, "first_response_minutes", key), _target(targets, "resolution_minutes", key),
    )  # fmt: skip


def _target(targets: Mapping, name: str, key: str) -> int | None:
    value = targets.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise HandoffConfigError(f"queues.{key}.targets.{name}: must be a whole number of minutes above 0")
    return value


def _retry(raw: Mapping, default: RetryPolicy) -> RetryPolicy:
    return RetryPolicy(
        first_retry_seconds=float(raw.get("first_retry_seconds", default.first_retry_seconds)),
        max_retry_seconds=float(raw.get("max_retry_seconds", default.max_retry_seconds)),
        max_attempts=int(raw.get("max_attempts", default.max_attempts)),
    )


def parse_settings(raw: Mapping, environ: Mapping[str, str]) -> HandoffSettings:
    queues = {key: _queue(key, value or {}) for key, value in (raw.get("queues") or {}).items()}
    default_queue = str(raw.get("default_queue", "general"))
    for source in ("reason_queues", "task_queues"):
        for name, queue in (raw.get(source) or {}).items():
            if queue not in queues:
                raise HandoffConfigError(f"{source}.{name}: unknown queue '{queue}'")
    if default_queue not in queues:
        raise HandoffConfigError(f"default_queue: unknown queue '{default_queue}'")
    priority = raw.get("priority") or {}
    for source, names in (("reason_queues", raw.get("reason_queues") or {}),
                          ("priority.reasons", priority.get("reasons") or {})):  # fmt: skip
        unknown = sorted(str(name) for name in names if str(name) not in REASON_CODES)
        if unknown:
            raise HandoffConfigError(f"{source}: unknown hand-off reason {', '.join(unknown)} "
                                     f"(the codes are in handoff/reasons.py)")  # fmt: skip
    frustration = raw.get("frustration") or {}
    webhook = raw.get("webhook") or {}
    effects = raw.get("effects") or {}
    return HandoffSettings(
        queues=queues,
        reason_queues=dict(raw.get("reason_queues") or {}),
        task_queues=dict(raw.get("task_queues") or {}),
        default_queue=default_queue,
        reason_priority={str(k): int(v) for k, v in (priority.get("reasons") or {}).items()},
        high_risk_tasks=frozenset(priority.get("high_risk_tasks") or ()),
        default_priority=int(priority.get("default", 2)),
        frustration=FrustrationSettings(
            shouting_min_letters=int(frustration.get("shouting_min_letters", 8)),
            shouting_upper_ratio=float(frustration.get("shouting_upper_ratio", 0.7)),
            negative_words=tuple(str(w).casefold() for w in frustration.get("negative_words") or ()),
            repeated_task=int(frustration.get("repeated_task", 3)),
        ),
        webhook=WebhookSettings(
            url=environ.get("HANDOFF_WEBHOOK_URL") or None,
            secret=environ.get("HANDOFF_WEBHOOK_SECRET") or None,
            retry=_retry(webhook, RetryPolicy()),
        ),
        effects=EffectSettings(
            retry=_retry(effects, EffectSettings().retry),
            lease_seconds=float(effects.get("lease_seconds", EffectSettings().lease_seconds)),
        ),
    )


@functools.lru_cache(maxsize=1)
def settings() -> HandoffSettings:
    path = Path(os.environ.get("HANDOFF_CONFIG", CONFIG_FILE))
    return parse_settings(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, os.environ)
