"""Events that failed to reach RabbitMQ are sent as soon as it accepts events again.

Rasa's pika broker keeps events it could not publish and re-sends them when
the connection *reconnects*. Events that fail after that moment - while the
channel and exchange are still being restored - wait for the next reconnect,
which may never come; our reliability run lost 227 events that way across one
RabbitMQ restart. Here every successful publish also flushes whatever is still
waiting. Re-sent events arrive after newer ones: consumers order by the
event's timestamp, not by arrival.
"""

from __future__ import annotations

from typing import Any, Dict

from rasa.core.brokers.pika import PikaEventBroker

_rasa_publish = PikaEventBroker._publish


async def publish_then_flush(self: PikaEventBroker, event: Dict[str, Any],
                             headers: Dict[str, str] | None = None) -> None:  # fmt: skip
    waiting_before = len(self._unpublished_events)
    await _rasa_publish(self, event, headers)
    # Rasa appends the event to the queue when publishing failed; otherwise the broker is accepting again.
    if self._unpublished_events and len(self._unpublished_events) <= waiting_before:
        self._publish_unpublished_messages()


def apply() -> None:
    PikaEventBroker._publish = publish_then_flush
