"""One customer message through the bot, for channels that answer out of band
(SMS, RCS): the shared inbound checks, then Rasa, collecting the answer."""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.inbound import PROCESSING_ERROR_REPLY, check_inbound_text

logger = logging.getLogger(__name__)


class ChannelCollector(CollectingOutputChannel):
    """Collects the bot's answer under the channel's own name, so domain
    responses with a ``channel: <name>`` variation are chosen for it."""

    def __init__(self, channel: Text) -> None:
        super().__init__()
        self._channel = channel

    def name(self) -> Text:  # type: ignore[override]
        return self._channel


async def ask_bot(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    text: str,
    sender: str,
    channel: str,
    metadata: Dict[str, Any] | None = None,
) -> List[Dict[str, Any]]:
    """The bot's messages for ``text`` (or the polite reply when the text cannot go in)."""
    checked = check_inbound_text(text)
    if checked.reply is not None:
        return [{"text": checked.reply}]
    collector = ChannelCollector(channel)
    if checked.notice:
        collector.messages.append({"text": checked.notice})
    try:
        await on_new_message(UserMessage(checked.text, collector, sender, input_channel=channel, metadata=metadata))
    except Exception:  # the customer hears that it failed; the log gets the trace
        logger.exception("a %s message could not be processed", channel)
        return [{"text": PROCESSING_ERROR_REPLY}]
    return collector.messages
