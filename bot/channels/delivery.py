"""Sends what the outbound queue holds, and the output channel that fills it.

``QueuedOutput`` is the Rasa ``OutputChannel`` of SMS and RCS: what the bot (or an agent, through the hand-off
gateway) says is written to the queue and the worker is woken. ``DeliveryWorker`` runs in each Rasa process: it
claims the oldest unsent message of each customer, sends it through that channel's sender (an RCS message that
cannot go by RCS falls back to the SMS sender), and records what happened: sent, tried again later with
backoff, given up, or suppressed by an opt-out. Sends run on a thread pool of their own, so a slow provider
never holds up Rasa's event loop or its executor.

Delivery is at least once: each part the provider takes is recorded at once and a worker's results count only
while it holds the message's lease, so a message is sent again only when a process dies (or a provider call
times out) between the provider taking a part and the queue recording it. RBM ignores the repeat (the
messageId is the same); Twilio has no such key, so that part may reach the customer twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Protocol, Set, Text

from rasa.core.channels.channel import OutputChannel

from bot.channels.outbox import Outbound, Outbox, OutboxStatus
from bot.channels.outcome import FallBackToSms, GiveUp, Outcome, Sent, Suppressed, TryAgain
from bot.channels.settings import ChannelSettings
from privacy.redaction import mask_contact_details

logger = logging.getLogger(__name__)


class Sender(Protocol):
    def deliver(self, item: Outbound, progress: Callable[[List[str]], None]) -> Outcome: ...


@dataclass
class KeyScope:
    """Idempotency keys for what one producer says: ``<prefix>:0``, ``<prefix>:1``, ... in order."""

    prefix: str
    said: int = 0

    def next(self) -> str:
        key = f"{self.prefix}:{self.said}"
        self.said += 1
        return key


# Set by whoever makes the bot speak (the inbound pipeline for a customer message with an id, the hand-off
# gateway for an effect), so that doing it again queues nothing twice.
delivery_keys: contextvars.ContextVar[KeyScope | None] = contextvars.ContextVar("delivery_keys", default=None)


class DeliveryWorker:
    def __init__(self, outbox: Outbox, senders: Dict[str, Sender], settings: ChannelSettings) -> None:
        self.outbox = outbox
        self.senders = senders
        self.settings = settings
        self._pool = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="delivery")
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None

    # -- running -----------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._task is not None:
            return
        self._loop, self._wake = loop, asyncio.Event()
        self._task = loop.create_task(self._run())

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll. Safe from any thread."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        """Claim what is due up to ``concurrency`` messages in flight; each is sent on its own, so one slow
        provider answer holds up only its own customer."""
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        in_flight: Set[asyncio.Future] = set()
        wake = self._wake

        def finished(done: asyncio.Future) -> None:
            in_flight.discard(done)
            wake.set()  # a customer's next message may be due, and a slot is free

        while True:
            free = self.settings.concurrency - len(in_flight)
            claimed: List[Outbound] = []
            if free > 0:
                try:
                    claimed = await loop.run_in_executor(
                        self._pool, self.outbox.claim_due, time.time(), free, self.settings.lease_seconds
                    )
                except Exception:  # the queue's database is unreachable: keep the worker alive, try again
                    logger.exception("claiming outbound messages failed")
            for item in claimed:
                sending = loop.run_in_executor(self._pool, self.deliver, item)
                in_flight.add(sending)
                sending.add_done_callback(finished)
            if claimed and len(in_flight) < self.settings.concurrency:
                continue  # more may be due (other customers)
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.poll_seconds)

    # -- one message (blocking) --------------------------------------------------------
    def deliver(self, item: Outbound) -> Outcome:
        try:
            outcome = self._attempt(item)
            if isinstance(outcome, FallBackToSms):
                logger.info("RCS to %s falls back to SMS: %s", mask_contact_details(item.recipient), outcome.reason)
                item = self.outbox.switch_to_sms(item)
                outcome = self._attempt(item)
            if not self._record(item, outcome):
                logger.warning("%s %s was taken over by another worker; its result stands", item.channel, item.id)
        except Exception:  # the queue's database failed mid-way: the lease runs out and it is tried again
            logger.exception("recording %s %s failed", item.channel, item.id)
            return TryAgain("the outbound queue could not record the result")
        return outcome

    def _attempt(self, item: Outbound) -> Outcome:
        sender = self.senders.get(item.channel)
        if sender is None:
            return GiveUp(f"{item.channel.upper()} is not configured on this server")

        def progress(provider_ids: List[str]) -> None:
            self.outbox.record_parts(item, provider_ids, self.settings.lease_seconds)

        try:
            return sender.deliver(item, progress)
        except Exception as error:  # a bug or an unexpected answer: keep the message, try again later
            logger.exception("sending %s %s failed", item.channel, item.id)
            return TryAgain(f"{type(error).__name__}: {error}", item.provider_ids)

    def _record(self, item: Outbound, outcome: Outcome) -> bool:
        """Store the outcome; False if the lease was lost meanwhile (the other worker's result counts)."""
        now = time.time()
        who = mask_contact_details(item.recipient)
        if isinstance(outcome, Sent):
            return self.outbox.mark_sent(item, outcome.provider_ids, now)
        if isinstance(outcome, TryAgain):
            delay = self.settings.retry.delay(item.attempts + 1)
            if delay is not None:
                logger.warning(
                    "%s %s to %s not sent (%s); again in %.0f s", item.channel, item.id, who, outcome.error, delay
                )
                return self.outbox.mark_retry(item, outcome.provider_ids, outcome.error, now + delay)
            logger.error("giving up on %s %s to %s after %d tries: %s", item.channel, item.id, who, item.attempts + 1,
                         outcome.error)  # fmt: skip
            return self.outbox.mark_given_up(item, OutboxStatus.FAILED, outcome.provider_ids, outcome.error, now)
        if isinstance(outcome, Suppressed):
            logger.info("%s %s to %s not sent: %s", item.channel, item.id, who, outcome.reason)
            return self.outbox.mark_given_up(item, OutboxStatus.SUPPRESSED, outcome.provider_ids, outcome.reason, now)
        error = outcome.error if isinstance(outcome, GiveUp) else outcome.reason
        provider_ids = outcome.provider_ids if isinstance(outcome, GiveUp) else []
        logger.error("%s %s to %s given up: %s", item.channel, item.id, who, error)
        return self.outbox.mark_given_up(item, OutboxStatus.FAILED, provider_ids, error, now)


class QueuedOutput(OutputChannel):
    """What the bot says to an SMS or RCS customer goes into the outbound queue, in order."""

    def __init__(self, channel: str, outbox: Outbox, worker: DeliveryWorker) -> None:
        self._channel = channel
        self.outbox = outbox
        self.worker = worker

    def name(self) -> Text:
        # Rasa picks a response's ``channel:`` variation by this name (rich cards for RCS).
        return self._channel

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        scope = delivery_keys.get()
        kind = "agent" if message.get("agent") else "bot"
        body = {k: v for k, v in message.items() if v not in (None, "", [], {}) and k != "timestamp"}
        await asyncio.get_running_loop().run_in_executor(
            None, self.outbox.enqueue, self._channel, recipient_id, body, kind, scope.next() if scope else None
        )
        self.worker.wake()

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, **kwargs})
