"""What the two channels that reach a phone (SMS, RCS) share after they have read a provider's webhook.

- ``Inbox``: the provider got its 200 at once, so the message is worked on in the background: one customer's
  messages one at a time, in the order they arrived (so "1" then "yes", or STOP then START, reach the bot and
  the consent record in that order), and whatever is in hand is finished before the server stops.
- ``keywords``: the carrier keywords on either channel. One phone, one consent: STOP typed over SMS or RCS
  stops both (the RCS fallback would otherwise text the customer), START, UNSTOP or YES resume both, HELP is
  answered on the channel it came from. A provider's retry of a keyword changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any, Awaitable, Callable, Dict, Set

from rasa.core.channels.channel import OutputChannel

from bot.channels.delivery import KeyScope, delivery_keys
from bot.channels.inbound import CustomerMessage
from bot.channels.keywords import KeywordAction, keyword_action, keyword_of
from bot.channels.settings import settings
from bot.channels.store import ChannelStore

logger = logging.getLogger(__name__)

PHONE_CHANNELS = ("sms", "rcs")
HELP_TEXT = (
    "Support assistant: ask about orders, returns, refunds, invoices and payments, or reply AGENT for a "
    "person. Reply STOP to stop messages. Msg&data rates may apply."
)
START_TEXT = "You're subscribed again. How can I help? Reply STOP to stop messages."
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


async def handled_as_keyword(store: ChannelStore, message: CustomerMessage, output: OutputChannel) -> bool:
    """Apply a carrier keyword (or the silence owed to an opted-out number); True when the message goes no
    further. Nothing here reaches the NLU."""
    phone, channel = message.sender_id, message.channel
    action = keyword_action(message.text, await run_blocking(store.is_opted_out, channel, phone))
    if action is KeywordAction.NONE:
        return False
    if action is KeywordAction.IGNORE:
        return True
    if message.message_id and not await run_blocking(store.first_time, f"{channel}:{message.message_id}"):
        return True  # the provider retried a keyword we already applied
    word = keyword_of(message.text)
    if action in (KeywordAction.OPT_OUT, KeywordAction.OPT_IN):
        for each in PHONE_CHANNELS:
            await run_blocking(store.set_opted_out, each, phone, action is KeywordAction.OPT_OUT, f"keyword {word}")
    # The provider confirms STOP itself (and blocks the number): nothing more may be sent. On SMS, Twilio may
    # answer START and HELP too; RBM never does.
    provider_answers = channel == "sms" and settings().provider_answers_keywords
    if action in (KeywordAction.OPT_IN, KeywordAction.HELP) and not provider_answers:
        delivery_keys.set(KeyScope(f"keyword:{channel}:{message.message_id}"))
        await output.send_response(phone, {"text": START_TEXT if action is KeywordAction.OPT_IN else HELP_TEXT})
    return True
