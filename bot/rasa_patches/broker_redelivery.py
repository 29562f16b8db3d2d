"""Every event handed to RabbitMQ is confirmed, or kept and sent again: none waits forever.

Rasa's pika broker publishes each event in a background task and keeps the
ones whose publish raised, to re-send them when the connection *reconnects*.
Two ways around that lost events in our fault runs:

- When the connection drops, aio-pika leaves the publishes still waiting for
  their confirmation waiting forever: no error, no re-send. With one Rasa
  worker saturated (its sibling killed) thousands are in flight at once; a
  RabbitMQ restart then lost 533 of 16,223 events, and a forced close of the
  connection with 4,000 in flight lost 3,980 of them. Here a publish that is
  not confirmed within ``BROKER_PUBLISH_TIMEOUT`` seconds (default 10) counts
  as failed, as does one whose confirmation a closing channel cancels (Rasa
  only catches ``Exception``, not ``CancelledError``).
- Events that fail after the reconnect - while the channel and exchange are
  still being restored - would wait for the next reconnect, which may never
  come (227 events lost in one run). Here every confirmed publish also sends
  whatever is still waiting.

A publish that timed out may still have reached RabbitMQ, so delivery is
at-least-once: consumers de-duplicate on (``sender_id``, ``event``,
``timestamp``). Re-sent events arrive after newer ones; consumers order by
the event's timestamp, not by arrival.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Dict

from rasa.core.brokers.pika import PikaEventBroker

logger = logging.getLogger(__name__)


def publish_timeout_s() -> float:
    raw = os.environ.get("BROKER_PUBLISH_TIMEOUT", "10")
    try:
        return float(raw)
    except ValueError as error:
        raise ValueError(f"BROKER_PUBLISH_TIMEOUT must be a number of seconds, not {raw!r}") from error


async def publish_confirmed_or_kept(self: PikaEventBroker, event: Dict[str, Any],
                                    headers: Dict[str, str] | None = None) -> None:  # fmt: skip
    if self._exchange is None:
        return
    try:
        await asyncio.wait_for(self._exchange.publish(self._message(event, headers), ""), publish_timeout_s())
    except (Exception, asyncio.CancelledError) as error:  # unconfirmed in time, refused, unrouted, or cut off
        logger.warning("event %s of %s not confirmed by RabbitMQ (%s); kept to send again", event.get("event"),
                       event.get("sender_id"), type(error).__name__)  # fmt: skip
        if self.should_keep_unpublished_messages:
            self._unpublished_events.append(event)
        if isinstance(error, asyncio.CancelledError) or self.raise_on_failure:
            raise
        return
    if self._unpublished_events:  # RabbitMQ accepts events again: send what waits
        self._publish_unpublished_messages()


def apply() -> None:
    PikaEventBroker._publish = publish_confirmed_or_kept
