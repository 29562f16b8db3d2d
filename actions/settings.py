"""Typed view of ``actions/dialogue.yml`` (the designer-tuned dialogue knobs)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict

import yaml

DIALOGUE_FILE = Path(__file__).with_name("dialogue.yml")


@dataclass(frozen=True)
class DialogueSettings:
    failures_before_offering_human: int = 2
    ownership_max_attempts: int = 3
    misses_before_offering_human: int = 2
    suggestion_min_confidence: float = 0.10
    max_suggestions: int = 2
    free_text_max_length: int = 500
    intent_labels: Dict[str, str] = field(default_factory=dict)
    # The first step of each task (a form, a response or an action), for starting an offered second task.
    first_steps: Dict[str, str] = field(default_factory=dict)


def parse_settings(raw: dict) -> DialogueSettings:
    """Build settings from the YAML mapping; missing keys keep their defaults."""
    validation = raw.get("validation") or {}
    ownership = raw.get("ownership") or {}
    fallback = raw.get("fallback") or {}
    free_text = raw.get("free_text") or {}
    defaults = DialogueSettings()
    return DialogueSettings(
        failures_before_offering_human=int(
            validation.get("failures_before_offering_human", defaults.failures_before_offering_human)
        ),
        ownership_max_attempts=int(ownership.get("max_attempts", defaults.ownership_max_attempts)),
        misses_before_offering_human=int(
            fallback.get("misses_before_offering_human", defaults.misses_before_offering_human)
        ),
        suggestion_min_confidence=float(fallback.get("suggestion_min_confidence", defaults.suggestion_min_confidence)),
        max_suggestions=int(fallback.get("max_suggestions", defaults.max_suggestions)),
        free_text_max_length=int(free_text.get("max_length", defaults.free_text_max_length)),
        intent_labels={str(k): str(v) for k, v in (raw.get("intent_labels") or {}).items()},
        first_steps={str(k): str(v) for k, v in (raw.get("first_steps") or {}).items()},
    )


@functools.lru_cache(maxsize=1)
def settings() -> DialogueSettings:
    return parse_settings(yaml.safe_load(DIALOGUE_FILE.read_text(encoding="utf-8")) or {})
