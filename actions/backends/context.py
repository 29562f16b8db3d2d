"""Per-turn request context: the correlation id in logs and backend headers, and
the turn key that makes write requests idempotent."""

from __future__ import annotations

import contextvars
import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class TurnContext:
    correlation_id: str
    turn_key: str


_current: contextvars.ContextVar[TurnContext | None] = contextvars.ContextVar("turn_context", default=None)


def set_turn(conversation_id: str, turn_marker: str) -> TurnContext:
    """Start a turn: ``turn_marker`` identifies the customer message being answered."""
    digest = hashlib.sha256(f"{conversation_id}\x00{turn_marker}".encode()).hexdigest()
    context = TurnContext(correlation_id=digest[:16], turn_key=digest)
    _current.set(context)
    return context


def current_turn() -> TurnContext | None:
    return _current.get()


def idempotency_key(operation: str, resource: str) -> str | None:
    """Same turn + same operation on the same resource = same key, so a repeated
    action run cannot apply a write twice."""
    turn = current_turn()
    if turn is None:
        return None
    return hashlib.sha256(f"{turn.turn_key}\x00{operation}\x00{resource}".encode()).hexdigest()[:40]
