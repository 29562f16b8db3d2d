"""Every event handed to RabbitMQ is confirmed, or kept and sent again: none waits forever.

Rasa's pika broker publishes each event in a background task and keeps the
ones whose publish raised, to re-send them when the connection *reconnects*.
Two ways around that lost events in our fault runs:

- When the connection drops, aio-pika leaves the publishes still waiting for
  their confirmation waiting forever: no error, no re-send. With one Rasa
  worker saturated (its sibling killed) thousands are in flight at once; a
  RabbitMQ restart then lost 533 of 16,223 events, and a forced close of the
  connection with 2,000 in flight lost 1,980 of them. Here, when the
  connection is restored, every publish begun before it and still waiting is
  cancelled, and a cancelled one is kept (Rasa only catches ``Exception``,
  not ``CancelledError``). A publish not confirmed within
  ``BROKER_PUBLISH_TIMEOUT`` seconds (default 60) is kept too: a backstop,
  generous because a busy RabbitMQ can take seconds to confirm (a 10 s limit
  re-sent tens of thousands of events that were merely slow in a soak run).
- Events that fail after the reconnect - while the channel and exchange are
  still being restored - would wait for the next reconnect, which may never
  come (227 events lost in one run). Here a confirmed publish also starts
  sending what is still waiting.
- Rasa sends everything waiting at once, one task per event: after a restart
  with tens of thousands kept, that storm starved the worker's turns (a soak
  run had customers waiting 16 s at p95). Here one drain per broker sends
  them in batches of ``DRAIN_BATCH``, and stops at the first failure until
  the next confirmed publish.
- Waiting for the next confirmed publish leaves events kept for good when no
  publish follows: the last ones of a busy period, timed out by the backstop
  after the customers went quiet. So a failure also sets a timer: at most
  ``RETRY_AFTER_S`` later a drain starts anyway (one timer per broker, so an
  outage costs one failed batch per interval, not a storm).

A publish that timed out may still have reached RabbitMQ, so delivery is
at-least-once: consumers de-duplicate on (``sender_id``, ``event``,
``timestamp``). Re-sent events arrive after newer ones; consumers order by
the event's timestamp, not by arrival.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Dict, Set

from rasa.core.brokers.pika import PikaEventBroker

from bot.rasa_patches.guard import RASA_3_6, Patch
from bot.rasa_patches.log_summary import PeriodicSummary

logger = logging.getLogger(__name__)
_unconfirmed = PeriodicSummary(logger, "events not confirmed by RabbitMQ")  # one line per 10 s in a flood


def publish_timeout_s() -> float:
    raw = os.environ.get("BROKER_PUBLISH_TIMEOUT", "60")
    try:
        return float(raw)
    except ValueError as error:
        raise ValueError(f"BROKER_PUBLISH_TIMEOUT must be a number of seconds, not {raw!r}") from error


DRAIN_BATCH = 100  # kept events re-sent at a time: enough to catch up, few enough not to starve the turns
RETRY_AFTER_S = 2.0  # after a failure, kept events are tried again this soon even if nothing else is published
_DRAIN = "_triage_drain"  # on a broker: the task sending kept events, while one runs
_RETRY = "_triage_retry"  # on a broker: the timer that starts a drain after a failure, while one is set
_CLOSED = "_triage_closed"  # on a broker: closed on purpose, so nothing is retried any more
_IN_FLIGHT = "_triage_in_flight"  # on a broker: publishing tasks still waiting for their confirmation
_TIMEOUT = "_triage_publish_timeout_s"  # on a broker: BROKER_PUBLISH_TIMEOUT, read once (not per event)


def timeout_of(broker: PikaEventBroker) -> float:
    if _TIMEOUT not in broker.__dict__:
        broker.__dict__[_TIMEOUT] = publish_timeout_s()
    return float(broker.__dict__[_TIMEOUT])


def in_flight(broker: PikaEventBroker) -> Set[asyncio.Task]:
    tasks: Set[asyncio.Task] = broker.__dict__.setdefault(_IN_FLIGHT, set())
    return tasks


async def publish_once(broker: PikaEventBroker, event: Dict[str, Any], headers: Dict[str, str] | None) -> bool:
    """Publish and wait for RabbitMQ's confirmation; on any failure keep the event and return False."""
    if broker._exchange is None:  # not connected yet: kept like any other failure
        if broker.should_keep_unpublished_messages:
            broker._unpublished_events.append(event)
        schedule_retry(broker)
        return False
    task = asyncio.current_task()
    waiting = in_flight(broker)
    try:
        if task is not None:
            waiting.add(task)
        await asyncio.wait_for(broker._exchange.publish(broker._message(event, headers), ""), timeout_of(broker))
        return True
    except (Exception, asyncio.CancelledError) as error:  # unconfirmed in time, refused, unrouted, or cut off
        _unconfirmed.add(type(error).__name__, "kept to send again")
        if broker.should_keep_unpublished_messages:
            broker._unpublished_events.append(event)
        schedule_retry(broker)
        if isinstance(error, asyncio.CancelledError) or broker.raise_on_failure:
            raise
        return False
    finally:
        waiting.discard(task)


async def drain(broker: PikaEventBroker) -> None:
    """Send the kept events, a batch at a time, until none is left or RabbitMQ fails again."""
    try:
        while broker._unpublished_events:
            batch = [broker._unpublished_events.popleft()
                     for _ in range(min(DRAIN_BATCH, len(broker._unpublished_events)))]  # fmt: skip
            sent = await asyncio.gather(*(publish_once(broker, event, None) for event in batch))
            if not all(sent):
                return  # the failed ones are kept again; the next confirmed publish starts a new drain
    finally:
        broker.__dict__[_DRAIN] = None


def schedule_retry(broker: PikaEventBroker) -> None:
    """Start a drain ``RETRY_AFTER_S`` from now, unless a timer is already set."""
    if broker.__dict__.get(_RETRY) is None and not broker.__dict__.get(_CLOSED):
        broker.__dict__[_RETRY] = broker._loop.call_later(RETRY_AFTER_S, retry_now, broker)


def retry_now(broker: PikaEventBroker) -> None:
    broker.__dict__[_RETRY] = None
    start_drain(broker)


def start_drain(broker: PikaEventBroker, *_: Any, **__: Any) -> None:
    if broker._unpublished_events and broker.__dict__.get(_DRAIN) is None:
        broker.__dict__[_DRAIN] = broker._loop.create_task(drain(broker))


def on_reconnect(broker: PikaEventBroker, *_: Any, **__: Any) -> None:
    """Rasa's reconnect callback: publishes begun on the lost connection will never be confirmed, so they are
    cancelled (and kept); then everything kept is sent again, a batch at a time."""
    stuck = list(in_flight(broker))
    for task in stuck:
        task.cancel()
    if stuck:
        logger.warning("RabbitMQ connection restored: %d publishes from before it cancelled and kept", len(stuck))
        broker._loop.call_soon(start_drain, broker)  # after the cancelled tasks have kept their events
    start_drain(broker)


async def publish_confirmed_or_kept(self: PikaEventBroker, event: Dict[str, Any],
                                    headers: Dict[str, str] | None = None) -> None:  # fmt: skip
    if await publish_once(self, event, headers):
        start_drain(self)  # RabbitMQ accepts events again: send what waits


_rasa_close = PikaEventBroker.close


async def close_without_retries(self: PikaEventBroker) -> None:
    self.__dict__[_CLOSED] = True
    timer = self.__dict__.pop(_RETRY, None)
    if timer is not None:
        timer.cancel()
    await _rasa_close(self)


def apply() -> None:
    PikaEventBroker._publish = publish_confirmed_or_kept
    PikaEventBroker._publish_unpublished_messages = on_reconnect
    PikaEventBroker.close = close_without_retries


PATCH = Patch(
    name="broker_redelivery",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.core.brokers.pika:PikaEventBroker._publish": "9f76ab9c1448db88",
        "rasa.core.brokers.pika:PikaEventBroker._publish_unpublished_messages": "575374988db3744c",
        "rasa.core.brokers.pika:PikaEventBroker.close": "2e8756c648e3b7b1",
    },
    apply=apply,
)
