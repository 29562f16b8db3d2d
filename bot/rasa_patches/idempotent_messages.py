"""At-most-once processing for messages whose client chose the ``message_id``.

A client whose request failed (a timeout, a Rasa worker killed mid-turn, a
503 while Redis restarts) cannot know whether the bot processed the message.
It resends with the same ``message_id``; this check, made while Rasa holds the
conversation's lock, skips a message that is already in the tracker, so a
retry never runs a turn twice, however it races the first attempt. The REST
channel then answers the retry with the replies stored the first time.

Only messages a channel marked with ``client_message_id`` are checked; Rasa's
own generated ids are not. The check looks at the tracker through the tracker
cache, so the turn that follows does not read the conversation a second time.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any, Dict, Iterable, List

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import UserUttered

from bot.rasa_guard import RASA_3_6, Patch
from bot.stores.sql_tracker_store import current_tracker

logger = logging.getLogger(__name__)

# Set by a channel, in the task that handles the message, before it hands the message to Rasa.
client_message_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_message_id", default=None)

_rasa_handle_message = MessageProcessor.handle_message


def already_received(events: Iterable[Any], message_id: str) -> bool:
    return any(isinstance(e, UserUttered) and e.message_id == message_id for e in events)


async def handle_message_once(self: MessageProcessor, message: UserMessage) -> List[Dict[str, Any]] | None:
    if message.message_id and client_message_id.get() == message.message_id:
        tracker = await current_tracker(self.tracker_store, message.sender_id)
        if tracker is not None and already_received(tracker.events, message.message_id):
            logger.info("message %s of %s was already processed; not running it again", message.message_id,
                        message.sender_id)  # fmt: skip
            return None
    return await _rasa_handle_message(self, message)


def apply() -> None:
    MessageProcessor.handle_message = handle_message_once


PATCH = Patch(
    name="idempotent_messages",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.core.processor:MessageProcessor.handle_message": "0c41d4780d2d4676",
    },
    apply=apply,
)
