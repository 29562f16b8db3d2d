"""How the hand-off reaches a conversation: the one interface the desk uses, whatever runs the bot.

The hand-off domain knows nothing of Rasa; ``rasa_gateway.py`` is the adapter to the Rasa server's
``/webhooks/handoff`` endpoints (bot/channels/handoff_gateway.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Protocol

from handoff.store import Effect


class GatewayUnavailable(RuntimeError):
    """The conversation could not be reached now; trying again later may succeed."""


class EffectRefused(ValueError):
    """The gateway will never apply this effect as it is (a malformed request); trying again cannot help."""


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    channel: str | None
    events: List[Dict[str, Any]]
    capabilities: Dict[str, Any] = field(default_factory=dict)  # what the customer's channel can show


class ConversationGateway(Protocol):
    def conversation(self, conversation_id: str) -> Conversation:
        """Every event of the conversation so far. Raises ``GatewayUnavailable``."""

    def apply(self, effect: Effect) -> bool:
        """Apply one effect, at most once however often it is called (False: it had been applied before).
        Raises ``GatewayUnavailable`` or ``EffectRefused``."""
