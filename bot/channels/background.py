"""What the channels that answer a provider's webhook at once share (SMS, RCS, e-mail): the message is worked
on in the background, and what they say goes through the outbound queue.

- ``Inbox``: one customer's messages one at a time, in the order they arrived (so "1" then "yes", or STOP then
  START, reach the bot and the consent record in that order); whatever is in hand is finished before the
  server stops.
- ``serve_queued``: the delivery worker starts with the channel's server when the channel is configured, and
  the inbox is drained when it stops.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any, Awaitable, Callable, Dict, Set

from sanic import Blueprint

from bot.channels.runtime import start_delivery

logger = logging.getLogger(__name__)
DRAIN_SECONDS = 10.0


async def run_blocking(function: Callable[..., Any], *args: Any) -> Any:
    """A blocking call (SQL, a provider's HTTP API) off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args))


class Inbox:
    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._tasks: Set[asyncio.Task] = set()
        self._turns: Dict[str, asyncio.Lock] = {}
        self._waiting: Dict[str, int] = {}

    def submit(self, sender: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` after everything already submitted for ``sender``."""
        turn = self._turns.setdefault(sender, asyncio.Lock())
        self._waiting[sender] = self._waiting.get(sender, 0) + 1

        async def in_order() -> None:
            try:
                async with turn:  # asyncio's lock wakes its waiters first come, first served
                    await work()
            except Exception:  # a background task has nobody to report to but the log
                logger.exception("a %s message could not be handled", self.channel)
            finally:
                self._waiting[sender] -= 1
                if not self._waiting[sender]:
                    del self._waiting[sender], self._turns[sender]

        task = asyncio.get_running_loop().create_task(in_order())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Give the messages in hand up to ``DRAIN_SECONDS`` to finish (a deploy, a restart)."""
        if self._tasks:
            logger.info("finishing %d %s message(s) before stopping", len(self._tasks), self.channel)
            await asyncio.wait(set(self._tasks), timeout=DRAIN_SECONDS)


def serve_queued(webhook: Blueprint, configured: bool, inbox: Inbox) -> None:
    @webhook.listener("after_server_start")
    async def deliver(_: Any, loop: asyncio.AbstractEventLoop) -> None:
        if configured:
            start_delivery(loop)

    @webhook.listener("before_server_stop")
    async def finish(_: Any, __: asyncio.AbstractEventLoop) -> None:
        await inbox.drain()
