"""The one way a customer's message reaches the bot, whatever the channel.

Every channel reads its provider's wire format into a ``CustomerMessage`` and hands it here with the output
channel that reaches that customer:

1. clean: control characters stripped, card numbers removed before anything stores them (also one typed over
   two messages: ``split_cards.py``), empty and over-long messages answered politely without touching the
   conversation; a photo, file or place becomes the media intent (or a notice beside the text), its link kept
   on the tracker for an agent;
2. de-duplicate: a message whose id is already in the conversation is not processed again (checked while
   Rasa holds the conversation's lock: ``bot/rasa_patches/idempotent_messages.py``), and what the bot says
   for it is queued under keys derived from that id;
3. internal intents stay internal: text that starts with "/" is the intent it names only when the bot offered
   it as a button in this conversation (tapped, not typed); anything else is plain text;
4. Rasa: the message, with its channel and metadata, through the serving path every channel shares;
5. never silence: a customer waiting for a person who writes again hears where they stand, on their channel;
   a turn that fails gets an apology.

Consent is the channel's business before it calls ``receive`` (STOP on SMS, unsubscribe on RCS), and again
at the moment of sending (``sms_sender.py``, ``rcs_sender.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Deque, Dict, Iterable, Mapping, Set, Text

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.core.events import BotUttered
from sanic import Sanic

from bot.channels.delivery import KeyScope, delivery_keys
from bot.channels.inbound import (
    MAX_SENDER_ID_CHARS,
    PROCESSING_ERROR_REPLY,
    CustomerMessage,
    check_inbound_message,
    is_storable,
    metadata_problem,
)
from bot.channels.split_cards import remove_split_card
from bot.rasa_patches.idempotent_messages import client_message_id
from handoff.runtime import ticket_store
from handoff.settings import settings as handoff_settings
from handoff.status import waiting_reply
from handoff.ticket import TicketStatus
from privacy.redaction import identifier_holds_card_number, redact_value

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class SpeechCounter(OutputChannel):
    """Passes everything to the channel's own output, counts what the bot said and notes the buttons it
    offered (their payloads are the only "/intent" texts a customer may send)."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.said = 0

    def name(self) -> Text:
        return self.inner.name()

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.said += 1
        OFFERS.note(recipient_id, payloads_of([message]))
        await self.inner.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, **kwargs})


# Metadata only channels set (a client's own would show links to agents, or hide its messages from them).
RESERVED_METADATA = ("attachments", "handoff")


@dataclass(frozen=True)
class Reception:
    failed: bool = False  # Rasa could not process the message; the customer got the apology


def payloads_of(messages: Iterable[Mapping[str, Any]]) -> Set[str]:
    return {str(b.get("payload")) for m in messages for b in (m.get("buttons") or m.get("quick_replies") or [])
            if isinstance(b, dict) and b.get("payload")}  # fmt: skip


class RecentOffers:
    """The button payloads the bot offered each conversation lately, in this process (bounded)."""

    def __init__(self, conversations: int = 20_000, per_conversation: int = 30) -> None:
        self._offers: OrderedDict[str, Deque[str]] = OrderedDict()
        self.conversations, self.per_conversation = conversations, per_conversation

    def note(self, sender: str, payloads: Set[str]) -> None:
        if not payloads:
            return
        kept = self._offers.pop(sender, None) or deque(maxlen=self.per_conversation)
        kept.extend(payloads)
        self._offers[sender] = kept
        while len(self._offers) > self.conversations:
            self._offers.popitem(last=False)

    def knows(self, sender: str, payload: str) -> bool:
        return payload in self._offers.get(sender, ())


OFFERS = RecentOffers()
RECENT_BOT_MESSAGES = 10


async def offered(sender: str, payload: str) -> bool:
    """Whether the bot offered ``payload`` as a button in this conversation lately: this process's memory first,
    else the conversation's last bot messages (another worker may have sent them)."""
    if OFFERS.knows(sender, payload):
        return True
    try:
        store = Sanic.get_app().ctx.agent.tracker_store
        tracker = await store.retrieve(sender)
    except Exception:  # no Rasa app here (a unit test) or the store is away: a payload nobody can vouch for
        return False
    if tracker is None:
        return False
    said = [e.message() for e in reversed(tracker.events) if isinstance(e, BotUttered)][:RECENT_BOT_MESSAGES]
    return payload in payloads_of(said)


async def waiting_status(sender_id: str) -> str | None:
    """While a hand-off is pending, where the customer stands in the queue; None otherwise."""
    store = ticket_store()
    loop = asyncio.get_running_loop()
    record = await loop.run_in_executor(None, store.open_ticket_for, sender_id)
    if record is None or record.status is not TicketStatus.PENDING:
        return None  # no hand-off, or a person has the conversation and answers themselves
    position = await loop.run_in_executor(None, store.position_in_queue, record.id)
    return waiting_reply(record, position, handoff_settings(), datetime.now(timezone.utc))


async def receive(
    message: CustomerMessage,
    output: OutputChannel,
    on_new_message: OnNewMessage,
    replay: Callable[[], Awaitable[bool]] | None = None,
    entry_payloads: frozenset = frozenset(),
) -> Reception:
    """Take one customer message through the steps above. ``replay`` (REST) answers a message sent again with
    what the bot said the first time; it returns False when there was nothing to replay. ``entry_payloads`` are
    payloads a channel's own client sends unasked (the web-chat widget's opening ``/greet``)."""
    sender = message.sender_id
    if not (0 < len(sender) <= MAX_SENDER_ID_CHARS and is_storable(sender)) or identifier_holds_card_number(sender):
        logger.warning("a %s message with an unusable sender id was dropped", message.channel)
        return Reception()
    delivery_keys.set(KeyScope(f"turn:{message.channel}:{message.message_id}") if message.message_id else None)
    checked = check_inbound_message(message)
    if checked.reply is not None:
        await output.send_response(sender, {"text": checked.reply})
        return Reception()
    if checked.notice:
        await output.send_response(sender, {"text": checked.notice})
    metadata = {key: value for key, value in message.metadata.items() if key not in RESERVED_METADATA}
    text = checked.text or ""
    typed = not checked.raised_by_channel and text not in entry_payloads
    if text.startswith("/") and typed and not await offered(sender, text):
        # Typed, not tapped: "/restart" must not end a hand-off, nor "/intent{...}" set what it likes.
        text = text[1:]
    text = await remove_split_card(sender, text)
    problem = metadata_problem(metadata) if metadata else None
    if problem:
        logger.info("a %s message's metadata was dropped: it %s", message.channel, problem)
        metadata = {}
    metadata = redact_value(metadata)
    if message.attachments:
        metadata["attachments"] = [attachment.as_json() for attachment in message.attachments]
    counter = SpeechCounter(output)
    client_message_id.set(message.message_id)
    try:
        await on_new_message(
            UserMessage(
                text,
                counter,
                sender,
                input_channel=message.channel,
                metadata=metadata or None,
                message_id=message.message_id,
            )
        )
    except Exception:  # the customer hears that it failed; the log gets the trace
        logger.exception("a %s message could not be processed", message.channel)
        await output.send_response(sender, {"text": PROCESSING_ERROR_REPLY})
        return Reception(failed=True)
    if counter.said == 0 and not (message.message_id and replay and await replay()):
        try:
            status = await waiting_status(sender)
        except Exception:  # the ticket store is down: the message is in the conversation all the same
            logger.exception("could not read the hand-off queue for %s", message.channel)
            status = None
        if status:
            await output.send_response(sender, {"text": status})
    return Reception()
