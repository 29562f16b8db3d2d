"""Rasa's RabbitMQ event broker, made so that every event it is handed reaches a queue.

Named in endpoints.production.yml as ``type: bot.brokers.durable_pika.DurablePikaEventBroker`` with the same
settings as Rasa's ``pika`` broker; Rasa constructs it through its declared seam for event brokers given by
module path. Our fault runs lost events to Rasa's broker in four ways (docs/deploy.md has the runs):

- **A non-durable exchange.** A RabbitMQ restart deletes it, and with it the binding to the (durable) queue. On
  reconnect the client declares the exchange again, then the queue and its binding; an event published between
  those steps is routed to no queue, and RabbitMQ confirms it all the same. Here the exchange is durable, so it
  and its bindings survive a restart, and events are published with ``mandatory`` on a channel that raises when
  RabbitMQ returns one unrouted: the event is kept and sent again. An exchange that already exists non-durable
  (made by Rasa's own broker under the same name) cannot be redeclared durable; the error says what to do.
- **Confirmations that never come.** When the connection drops, aio-pika leaves the publishes still waiting for
  their confirmation waiting forever: a RabbitMQ restart lost 533 of 16,223 events, a forced close with 2,000 in
  flight lost 1,980. Here, when the connection is restored, every publish begun before it and still waiting is
  cancelled and kept (Rasa only catches ``Exception``, not ``CancelledError``). A publish not confirmed within
  ``BROKER_PUBLISH_TIMEOUT`` seconds (default 60) is kept too: a backstop, generous because a busy RabbitMQ can
  take seconds to confirm (a 10 s limit re-sent tens of thousands of merely slow events in a soak run).
- **Kept events waiting for a reconnect that never comes.** Events that fail after the reconnect, while the
  channel and exchange are still being restored, waited for the next one (227 lost in one run). Here a
  confirmed publish also starts sending what is kept, and a failure sets a timer: at most ``RETRY_AFTER_S``
  later a drain starts anyway (one timer per broker: an outage costs one failed batch per interval).
- **A re-send storm.** Rasa sends everything kept at once, one task per event: after a restart with tens of
  thousands kept, customers waited 16 s at p95. Here one drain sends them in batches of ``DRAIN_BATCH`` and
  stops at the first failure.

A publish that timed out may still have reached RabbitMQ, so delivery is at-least-once: consumers de-duplicate
on (``sender_id``, ``event``, ``timestamp``). Re-sent events arrive after newer ones; consumers order by the
event's timestamp, not by arrival.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Dict, Mapping, Set

import aio_pika
import aiormq
from rasa.core.brokers.pika import PikaEventBroker

from bot.brokers.cut_off_confirmations import quiet_cut_off_confirmations
from bot.brokers.log_summary import PeriodicSummary
from bot.rasa_guard import RASA_3_6, Patch, require_unchanged

logger = logging.getLogger(__name__)
_unconfirmed = PeriodicSummary(logger, "events not confirmed by RabbitMQ")  # one line per 10 s in a flood

DRAIN_BATCH = 100  # kept events re-sent at a time: enough to catch up, few enough not to starve the turns
RETRY_AFTER_S = 2.0  # after a failure, kept events are tried again this soon even if nothing else is published


class BrokerMisconfigured(RuntimeError):
    """The broker could not be constructed; Rasa must not start without it."""


class ExchangeNotDurable(RuntimeError):
    """The configured exchange exists on RabbitMQ but is not durable."""


def publish_timeout_s(environ: Mapping[str, str] = os.environ) -> float:
    raw = environ.get("BROKER_PUBLISH_TIMEOUT", "60")
    try:
        return float(raw)
    except ValueError as error:
        raise ValueError(f"BROKER_PUBLISH_TIMEOUT must be a number of seconds, not {raw!r}") from error


class DurablePikaEventBroker(PikaEventBroker):
    @classmethod
    async def from_endpoint_config(cls, broker_config: Any, event_loop: Any = None) -> DurablePikaEventBroker | None:
        try:
            return await super().from_endpoint_config(broker_config, event_loop)
        except (AttributeError, ImportError) as error:
            # Rasa reads these two as "no such broker class" and runs on without any broker, silently.
            raise BrokerMisconfigured(f"{cls.__name__} could not be set up: {type(error).__name__}: {error}") from error

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        require_unchanged(RASA_OVERRIDES)
        super().__init__(*args, **kwargs)
        self.publish_timeout_s = publish_timeout_s()
        self._in_flight: Set[asyncio.Task] = set()  # publishes still waiting for their confirmation
        self._drain: asyncio.Task | None = None  # sending kept events, while one runs
        self._retry: asyncio.TimerHandle | None = None  # starts a drain after a failure, while one is set
        self._closed = False  # closed on purpose: nothing is retried any more

    # --- connection and exchange -----------------------------------------------------------------------------

    async def connect(self) -> None:
        """Rasa's ``connect``, with a channel on which an event RabbitMQ could not route raises."""
        quiet_cut_off_confirmations(asyncio.get_running_loop())
        self._connection = await self._connect()
        self._connection.reconnect_callbacks.add(self._publish_unpublished_messages)
        logger.info("RabbitMQ connection to '%s' was established.", self.host)
        channel = await self._connection.channel(on_return_raises=True)
        self._exchange = await self._set_up_exchange(channel)

    async def _set_up_exchange(self, channel: aio_pika.abc.AbstractChannel) -> Any:
        try:
            exchange = await channel.declare_exchange(self.exchange_name, type=aio_pika.ExchangeType.FANOUT,
                                                      durable=True)  # fmt: skip
        except aiormq.exceptions.ChannelPreconditionFailed as error:
            raise ExchangeNotDurable(
                f"RabbitMQ already has a non-durable exchange '{self.exchange_name}', which loses its bindings (and "
                f"events) on every restart. Set another `exchange_name` under event_broker in the endpoints file, "
                f"or delete that exchange once nothing publishes to it (rabbitmqadmin delete exchange "
                f"name={self.exchange_name})."
            ) from error
        await asyncio.gather(*[self._bind_queue(name, channel, exchange) for name in self.queues])
        return exchange

    async def close(self) -> None:
        self._closed = True
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        await super().close()

    # --- publishing ------------------------------------------------------------------------------------------

    async def _publish(self, event: Dict[str, Any], headers: Dict[str, str] | None = None) -> None:
        if await self._publish_once(event, headers):
            self._start_drain()  # RabbitMQ accepts events again: send what waits

    async def _publish_once(self, event: Dict[str, Any], headers: Dict[str, str] | None) -> bool:
        """Publish and wait for RabbitMQ's confirmation; on any failure keep the event and return False."""
        if self._exchange is None:  # not connected yet: kept like any other failure
            self._keep(event)
            return False
        task = asyncio.current_task()
        try:
            if task is not None:
                self._in_flight.add(task)
            await asyncio.wait_for(self._exchange.publish(self._message(event, headers), ""), self.publish_timeout_s)
            return True
        except (Exception, asyncio.CancelledError) as error:  # unconfirmed in time, refused, unrouted, or cut off
            _unconfirmed.add(type(error).__name__, "kept to send again")
            self._keep(event)
            if isinstance(error, asyncio.CancelledError) or self.raise_on_failure:
                raise
            return False
        finally:
            if task is not None:
                self._in_flight.discard(task)

    def _keep(self, event: Dict[str, Any]) -> None:
        if self.should_keep_unpublished_messages:
            self._unpublished_events.append(event)
        self._schedule_retry()

    # --- sending what was kept -------------------------------------------------------------------------------

    def _publish_unpublished_messages(self, *_: Any, **__: Any) -> None:
        """Rasa's reconnect callback: publishes begun on the lost connection will never be confirmed, so they are
        cancelled (and kept); then everything kept is sent again, a batch at a time."""
        stuck = list(self._in_flight)
        for task in stuck:
            task.cancel()
        if stuck:
            logger.warning("RabbitMQ connection restored: %d publishes from before it cancelled and kept", len(stuck))
            self._loop.call_soon(self._start_drain)  # after the cancelled tasks have kept their events
        self._start_drain()

    def _start_drain(self) -> None:
        if self._unpublished_events and self._drain is None:
            self._drain = self._loop.create_task(self._drain_kept())

    async def _drain_kept(self) -> None:
        """Send the kept events, a batch at a time, until none is left or RabbitMQ fails again."""
        try:
            while self._unpublished_events:
                batch = [self._unpublished_events.popleft()
                         for _ in range(min(DRAIN_BATCH, len(self._unpublished_events)))]  # fmt: skip
                sent = await asyncio.gather(*(self._publish_once(event, None) for event in batch))
                if not all(sent):
                    return  # the failed ones are kept again; the next confirmed publish starts a new drain
        finally:
            self._drain = None

    def _schedule_retry(self) -> None:
        """Start a drain ``RETRY_AFTER_S`` from now, unless a timer is already set."""
        if self._retry is None and not self._closed:
            self._retry = self._loop.call_later(RETRY_AFTER_S, self._retry_now)

    def _retry_now(self) -> None:
        self._retry = None
        self._start_drain()


# What the subclass overrides, in the Rasa it was written against (checked at start-up: bot/rasa_guard.py).
RASA_OVERRIDES = Patch(
    name="DurablePikaEventBroker",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.core.brokers.pika:PikaEventBroker.from_endpoint_config": "b53f3be0dba77a1c",
        "rasa.core.brokers.pika:PikaEventBroker.__init__": "b261b6e113895067",
        "rasa.core.brokers.pika:PikaEventBroker.connect": "8a66ba6cd694cede",
        "rasa.core.brokers.pika:PikaEventBroker._set_up_exchange": "80878ac43b04bc46",
        "rasa.core.brokers.pika:PikaEventBroker.close": "2e8756c648e3b7b1",
        "rasa.core.brokers.pika:PikaEventBroker._publish": "9f76ab9c1448db88",
        "rasa.core.brokers.pika:PikaEventBroker._publish_unpublished_messages": "575374988db3744c",
    },
    kind="subclass",
)
