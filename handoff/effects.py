"""Applies what tickets' changes do to their conversations, in order, until each is applied.

The desk writes an effect in the transaction of the change (``store.py``); this sends the due ones through
the conversation gateway. An unreachable Rasa server means "later" (backoff from ``handoff/config.yml``),
never "lost"; an effect the gateway refuses as malformed, or one that never got through within its budget,
is marked failed and shown to the agent, who can try it again.
"""

from __future__ import annotations

import logging
import time

from handoff.gateway import ConversationGateway, EffectRefused, GatewayUnavailable
from handoff.settings import EffectSettings
from handoff.store import TicketStore

logger = logging.getLogger(__name__)


def apply_due(store: TicketStore, gateway: ConversationGateway, config: EffectSettings, limit: int = 4) -> int:
    """Apply every due effect once; returns how many were applied. A few at a time: they are applied one after
    another and each may take a bot turn, all within the lease."""
    applied = 0
    for effect in store.claim_due_effects(time.time(), limit, config.lease_seconds):
        try:
            gateway.apply(effect)
        except EffectRefused as refused:
            logger.error("effect %s (%s) of ticket %d refused: %s", effect.id, effect.kind, effect.ticket_id, refused)
            store.mark_effect_failed(effect, str(refused), time.time())
            continue
        except GatewayUnavailable as down:
            delay = config.retry.delay(effect.attempts + 1)
            if delay is None:
                logger.error(
                    "giving up on effect %s (%s) of ticket %d: %s", effect.id, effect.kind, effect.ticket_id, down
                )
                store.mark_effect_failed(effect, str(down), time.time())
            else:
                logger.warning("effect %s (%s) not applied (%s); again in %.0f s", effect.id, effect.kind, down, delay)
                store.mark_effect_retry(effect, str(down), time.time() + delay)
            continue
        store.mark_effect_applied(effect, time.time())
        applied += 1
    return applied
