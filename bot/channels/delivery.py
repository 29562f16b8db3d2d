"""Sends what the outbound queue holds, and the output channel that fills it.

``QueuedOutput`` is the Rasa ``OutputChannel`` of SMS and RCS: what the bot (or an agent, through the hand-off
gateway) says is written to the queue and the worker is woken. ``DeliveryWorker`` runs in each Rasa process: it
claims the oldest unsent message of each customer, sends it through that channel's sender (an RCS message that
cannot go by RCS falls back to the SMS sender), and records what happened: sent, tried again later with
backoff, given up, or suppressed by an opt-out. Sends run on a thread pool of their own, so a slow provider
never holds up Rasa's event loop or its executor.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Dict, Protocol, Text

from rasa.core.channels.channel import OutputChannel

from bot.channels.outbox import Outbound, Outbox, OutboxStatus
from bot.channels.outcome import FallBackToSms, GiveUp, Outcome, Sent, Suppressed, TryAgain
from bot.channels.settings import ChannelSettings
from privacy.redaction import mask_contact_details

logger = logging.getLogger(__name__)


class Sender(Protocol):
    def deliver(self, item: Outbound) -> Outcome: ...


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
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            try:
                claimed = await loop.run_in_executor(
                    self._pool,
                    self.outbox.claim_due,
                    time.time(),
                    self.settings.concurrency,
                    self.settings.lease_seconds,
                )
                if claimed:
                    await asyncio.gather(*(loop.run_in_executor(self._pool, self.deliver, item) for item in claimed))
                    continue  # each customer's next message may be due now
            except Exception:  # the queue's database is unreachable: keep the worker alive, try at the next poll
                logger.exception("outbound delivery round failed")
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.poll_seconds)

    # -- one message (blocking) --------------------------------------------------------
    def deliver(self, item: Outbound) -> Outcome:
        outcome = self._attempt(item)
        if isinstance(outcome, FallBackToSms):
            logger.info("RCS to %s falls back to SMS: %s", mask_contact_details(item.recipient), outcome.reason)
            item = self.outbox.switch_to_sms(item)
            outcome = self._attempt(item)
        self._record(item, outcome)
        return outcome

    def _attempt(self, item: Outbound) -> Outcome:
        sender = self.senders.get(item.channel)
        if sender is None:
            return GiveUp(f"{item.channel.upper()} is not configured on this server")
        try:
            return sender.deliver(item)
        except Exception as error:  # a bug or an unexpected answer: keep the message, try again later
            logger.exception("sending %s %s failed", item.channel, item.id)
            return TryAgain(f"{type(error).__name__}: {error}", item.provider_ids)

    def _record(self, item: Outbound, outcome: Outcome) -> None:
        now = time.time()
        who = mask_contact_details(item.recipient)
        if isinstance(outcome, Sent):
            self.outbox.mark_sent(item, outcome.provider_ids, now)
        elif isinstance(outcome, TryAgain):
            delay = self.settings.retry.delay(item.attempts + 1)
            if delay is None:
                logger.error(
                    "giving up on %s %s to %s after %d tries: %s",
                    item.channel,
                    item.id,
                    who,
                    item.attempts + 1,
                    outcome.error,
                )
                self.outbox.mark_given_up(item, OutboxStatus.FAILED, outcome.provider_ids, outcome.error, now)
            else:
                logger.warning(
                    "%s %s to %s not sent (%s); again in %.0f s", item.channel, item.id, who, outcome.error, delay
                )
                self.outbox.mark_retry(item, outcome.provider_ids, outcome.error, now + delay)
        elif isinstance(outcome, Suppressed):
            logger.info("%s %s to %s not sent: %s", item.channel, item.id, who, outcome.reason)
            self.outbox.mark_given_up(item, OutboxStatus.SUPPRESSED, outcome.provider_ids, outcome.reason, now)
        else:
            error = outcome.error if isinstance(outcome, GiveUp) else outcome.reason
            provider_ids = outcome.provider_ids if isinstance(outcome, GiveUp) else []
            self.outbox.mark_given_up(item, OutboxStatus.FAILED, provider_ids, error, now)


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
