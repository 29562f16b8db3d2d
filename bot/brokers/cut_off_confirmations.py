"""Confirmations RabbitMQ can no longer send are counted in one line, not logged one traceback each.

aiormq gives every publish a future for RabbitMQ's confirmation. When the connection drops, it fails all of
them (``ConnectionClosed``, or the socket's ``ConnectionResetError`` when RabbitMQ restarts); but the publishes
waiting on them were cancelled by ``DurablePikaEventBroker`` (their events kept and sent again), so nobody reads
those failures and asyncio logs each one, with a 40-line traceback, as "Future exception was never retrieved".
A RabbitMQ restart under load wrote tens of thousands of them, burying the log lines that matter. They carry
nothing new: the event was already kept. So in the Rasa processes that publish events, the event loop's
exception handler counts them and logs one warning per ``SUMMARY_EVERY_S``; anything else goes to the handler
that was there before.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any, Callable, Dict

from aiormq.exceptions import AMQPError

from bot.brokers.log_summary import SUMMARY_EVERY_S, PeriodicSummary

logger = logging.getLogger(__name__)

NEVER_RETRIEVED = "Future exception was never retrieved"

Handler = Callable[[asyncio.AbstractEventLoop, Dict[str, Any]], object]
_quieted: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def raised_in_aiormq(error: BaseException) -> bool:
    """Whether ``error`` (or what it was raised from) went through aiormq's code."""
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 5:
        trace = current.__traceback__
        while trace is not None:
            if "/aiormq/" in trace.tb_frame.f_code.co_filename:
                return True
            trace = trace.tb_next
        current, seen = current.__cause__ or current.__context__, seen + 1
    return False


def is_cut_off_confirmation(context: Dict[str, Any]) -> bool:
    """An AMQP error, or a reset or cancellation aiormq passed on to a confirmation, that nobody awaited."""
    error = context.get("exception")
    if context.get("message") != NEVER_RETRIEVED or error is None:
        return False
    return isinstance(error, AMQPError) or raised_in_aiormq(error)


class CutOffCounter:
    """The loop's exception handler: AMQP failures nobody awaited are counted, summarised at most every
    ``every_s``; everything else goes to ``previous`` (or asyncio's default)."""

    def __init__(self, previous: Handler | None, every_s: float = SUMMARY_EVERY_S) -> None:
        self.previous = previous
        self.summary = PeriodicSummary(logger, "RabbitMQ confirmations cut off by a lost connection", every_s)

    @property
    def total(self) -> int:
        return self.summary.total

    def __call__(self, loop: asyncio.AbstractEventLoop, context: Dict[str, Any]) -> None:
        if not is_cut_off_confirmation(context):
            if self.previous is not None:
                self.previous(loop, context)
            else:
                loop.default_exception_handler(context)
            return
        self.summary.add(type(context["exception"]).__name__, "their events were kept and are sent again")


def quiet_cut_off_confirmations(loop: asyncio.AbstractEventLoop) -> None:
    """Install the counting handler on ``loop`` once, in front of whatever handler it has."""
    if loop not in _quieted:
        loop.set_exception_handler(CutOffCounter(loop.get_exception_handler()))
        _quieted.add(loop)
