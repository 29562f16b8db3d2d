"""When and where a conversation goes to a person. Pure and explainable:
every decision carries the signals that led to it (docs/handoff.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence, Tuple

from handoff.reasons import HandoffReason
from handoff.settings import FrustrationSettings, HandoffSettings

REASON_FRUSTRATION = HandoffReason.FRUSTRATION.value


@dataclass(frozen=True)
class UserTurn:
    text: str
    intent: str | None
    confidence: float | None
    ranking: Tuple[Tuple[str, float], ...] = ()
    timestamp: float = 0.0


@dataclass(frozen=True)
class Escalation:
    reason: str
    queue: str
    priority: int
    frustrated: bool
    signals: Tuple[str, ...]

    def explain(self) -> str:
        """One sentence an agent or auditor can read."""
        why = f"reason {self.reason}"
        if self.signals:
            why += f"; signals: {', '.join(self.signals)}"
        return f"Escalated to {self.queue} at priority {self.priority} ({why})."


def is_shouting(text: str, config: FrustrationSettings) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < config.shouting_min_letters:
        return False
    return sum(ch.isupper() for ch in letters) / len(letters) >= config.shouting_upper_ratio


def negative_words_in(text: str, config: FrustrationSettings) -> Tuple[str, ...]:
    lowered = text.casefold()
    return tuple(w for w in config.negative_words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", lowered))


def repeats_request(turns: Sequence[UserTurn], config: FrustrationSettings) -> bool:
    """The same task intent in the last ``repeated_task`` customer messages."""
    recent = [t.intent for t in turns[-config.repeated_task :]]
    return (
        len(recent) == config.repeated_task
        and recent[0] is not None
        and recent[0] not in {"inform", "affirm", "deny", "greet", "thank_you", "goodbye", "nlu_fallback"}
        and all(intent == recent[0] for intent in recent)
    )


def frustration_signals(turns: Sequence[UserTurn], config: FrustrationSettings) -> Tuple[str, ...]:
    """Why the customer seems frustrated, judged on their last three messages."""
    signals = []
    recent = list(turns[-3:])
    if any(is_shouting(t.text, config) for t in recent):
        signals.append("shouting")
    words = sorted({w for t in recent for w in negative_words_in(t.text, config)})
    if words:
        signals.append("strong words: " + ", ".join(words))
    if repeats_request(turns, config):
        signals.append("repeating the same request")
    return tuple(signals)


def queue_for(reason: str, task: str | None, config: HandoffSettings) -> str:
    if reason in config.reason_queues:
        return config.reason_queues[reason]
    if task and task in config.task_queues:
        return config.task_queues[task]
    return config.default_queue


def priority_for(reason: str, task: str | None, frustrated: bool, config: HandoffSettings) -> int:
    priority = config.reason_priority.get(reason, config.default_priority)
    if task in config.high_risk_tasks:
        priority += 1
    if frustrated:
        priority += 1
    return max(1, min(5, priority))


def decide(reason: str, task: str | None, turns: Sequence[UserTurn], config: HandoffSettings) -> Escalation:
    """Queue and priority for an escalation with ``reason`` during ``task``."""
    signals = frustration_signals(turns, config.frustration)
    frustrated = bool(signals)
    return Escalation(
        reason=reason,
        queue=queue_for(reason, task, config),
        priority=priority_for(reason, task, frustrated, config),
        frustrated=frustrated,
        signals=signals,
    )


def should_escalate_without_asking(turns: Sequence[UserTurn], config: HandoffSettings) -> bool:
    """When the bot is failing a frustrated customer, hand over rather than offer."""
    return bool(frustration_signals(turns, config.frustration))
