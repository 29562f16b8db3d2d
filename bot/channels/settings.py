"""Typed view of ``bot/channels/delivery.yml`` and the channels' environment settings."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from storage.retry import RetryPolicy

CONFIG_FILE = Path(__file__).with_name("delivery.yml")
ROOT = Path(__file__).resolve().parents[2]


class ChannelConfigError(ValueError):
    """A channel setting is not usable; the message names it."""


@dataclass(frozen=True)
class ChannelSettings:
    retry: RetryPolicy
    lease_seconds: float
    concurrency: int
    poll_seconds: float
    rcs_fallback_memory_seconds: float
    rcs_message_ttl_seconds: int
    database_url: str
    # SMS: segments one bot answer may use, and the link that ends a cut answer
    sms_max_segments: int
    sms_overflow_url: str | None
    # Twilio's default opt-out handling (or Advanced Opt-Out) already answers START and HELP: do not answer twice.
    provider_answers_keywords: bool


def _number(raw: Mapping[str, Any], key: str, default: float) -> float:
    value = raw.get(key, default)
    if not isinstance(value, (int, float)) or value < 0:
        raise ChannelConfigError(f"delivery.yml: {key} must be a number >= 0, not {value!r}")
    return float(value)


def _flag(environ: Mapping[str, str], key: str) -> bool:
    value = environ.get(key, "").strip().casefold()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ChannelConfigError(f"{key} must be true or false, not {value!r}")


def parse_settings(raw: Mapping[str, Any], environ: Mapping[str, str]) -> ChannelSettings:
    retry = raw.get("retry") or {}
    try:
        segments = int(environ.get("SMS_MAX_SEGMENTS", 3))
    except ValueError:
        raise ChannelConfigError("SMS_MAX_SEGMENTS must be a whole number") from None
    if segments < 1:
        raise ChannelConfigError("SMS_MAX_SEGMENTS must be at least 1")
    return ChannelSettings(
        retry=RetryPolicy(
            first_retry_seconds=_number(retry, "first_retry_seconds", 1),
            max_retry_seconds=_number(retry, "max_retry_seconds", 300),
            max_attempts=int(_number(retry, "max_attempts", 30)),
        ),
        lease_seconds=_number(raw, "lease_seconds", 120),
        concurrency=max(1, int(_number(raw, "concurrency", 8))),
        poll_seconds=max(0.05, _number(raw, "poll_seconds", 1)),
        rcs_fallback_memory_seconds=_number(raw, "rcs_fallback_memory_hours", 168) * 3600,
        rcs_message_ttl_seconds=int(_number(raw, "rcs_message_ttl_hours", 24) * 3600),
        database_url=environ.get("CHANNELS_DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'channels.db'}",
        sms_max_segments=segments,
        sms_overflow_url=environ.get("SMS_OVERFLOW_URL") or None,
        provider_answers_keywords=_flag(environ, "TWILIO_ANSWERS_KEYWORDS"),
    )


@functools.lru_cache(maxsize=1)
def settings() -> ChannelSettings:
    path = Path(os.environ.get("CHANNELS_CONFIG", CONFIG_FILE))
    return parse_settings(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, os.environ)
