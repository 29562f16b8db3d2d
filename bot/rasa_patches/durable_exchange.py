"""Events reach RabbitMQ through a durable exchange, and an event no queue took is sent again.

Rasa's pika broker declares its fanout exchange non-durable. A RabbitMQ
restart deletes it, and with it the binding to the (durable) queue. On
reconnect the client declares the exchange again, then the queue and its
binding; an event published between those steps is routed to no queue, and
RabbitMQ confirms it all the same: it is gone without an error. Our fault runs
lost thousands of events that way (docs/deploy.md). Here the exchange is
durable, so it and its bindings survive a restart, and events are published
with ``mandatory`` on a channel that raises when RabbitMQ returns one
unrouted: Rasa then keeps the event and ``broker_redelivery`` sends it again.

An exchange that already exists non-durable (made by Rasa's own broker under
the same name) cannot be redeclared durable; the error says what to do.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aio_pika
import aiormq
from rasa.core.brokers.pika import PikaEventBroker

from bot.rasa_patches.guard import RASA_3_6, Patch

logger = logging.getLogger(__name__)


class ExchangeNotDurable(RuntimeError):
    """The configured exchange exists on RabbitMQ but is not durable."""


async def set_up_durable_exchange(self: PikaEventBroker, channel: aio_pika.abc.AbstractChannel) -> Any:
    try:
        exchange = await channel.declare_exchange(self.exchange_name, type=aio_pika.ExchangeType.FANOUT, durable=True)
    except aiormq.exceptions.ChannelPreconditionFailed as error:
        raise ExchangeNotDurable(
            f"RabbitMQ already has a non-durable exchange '{self.exchange_name}', which loses its bindings (and "
            f"events) on every restart. Set another `exchange_name` under event_broker in the endpoints file, or "
            f"delete that exchange once nothing publishes to it (rabbitmqadmin delete exchange "
            f"name={self.exchange_name})."
        ) from error
    await asyncio.gather(*[self._bind_queue(name, channel, exchange) for name in self.queues])
    return exchange


async def connect_returning_unrouted(self: PikaEventBroker) -> None:
    """Rasa's ``connect``, with a channel on which an event RabbitMQ could not route raises."""
    self._connection = await self._connect()
    self._connection.reconnect_callbacks.add(self._publish_unpublished_messages)
    logger.info("RabbitMQ connection to '%s' was established.", self.host)
    channel = await self._connection.channel(on_return_raises=True)
    self._exchange = await self._set_up_exchange(channel)


def apply() -> None:
    PikaEventBroker._set_up_exchange = set_up_durable_exchange
    PikaEventBroker.connect = connect_returning_unrouted


PATCH = Patch(
    name="durable_exchange",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.core.brokers.pika:PikaEventBroker._set_up_exchange": "80878ac43b04bc46",
        "rasa.core.brokers.pika:PikaEventBroker.connect": "8a66ba6cd694cede",
    },
    apply=apply,
)
