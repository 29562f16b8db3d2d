"""What every channel applies to a customer's message before Rasa sees it, and the message itself. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Tuple

from bot.nlu.normalize import remove_control_characters
from handoff.ticket import MEDIA_ONLY_TEXT
from privacy.redaction import redact_card_numbers

MAX_MESSAGE_CHARS = 2000

EMPTY_REPLY = "I didn't get any text there. What can I help you with?"
TOO_LONG_REPLY = (
    "That message is too long for me to read in one go (the limit is {limit:,} characters). "
    'Could you send the main point in a shorter message? If it\'s easier, say "agent" '
    "and a member of our team will take over."
)

# What a customer reads when the bot could not process their message (a store
# or worker failed); every channel says it rather than staying silent.
PROCESSING_ERROR_REPLY = (
    "Sorry, something went wrong on our side and I couldn't process that. "
    'Please try again in a moment, or say "agent" to reach a member of our team.'
)


CARD_WARNING = (
    "For your security I've removed what looked like a card number from your message. "
    "Please never send card details here: I'll send you a secure link when a payment needs updating."
)


MEDIA_NOTICE = (
    "I can only read text, so I can't open photos, files or locations. I've kept it with this conversation "
    "in case a member of our team needs it."
)

# A photo, a file or a place without words reaches the bot as MEDIA_ONLY_TEXT, an intent only channels raise
# (domain.yml), so the bot can say it reads text, and the attachment is on the tracker for an agent to see.
SYSTEM_INTENT_PREFIX = "/EXTERNAL_"


@dataclass(frozen=True)
class Attachment:
    """A picture, file or place the customer sent; the agent sees its link in the transcript."""

    url: str
    kind: str  # "image", "file", "location", ...
    content_type: str | None = None
    name: str | None = None

    def as_json(self) -> Dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value is not None}


@dataclass(frozen=True)
class CustomerMessage:
    """One message from a customer on any channel, as the channel read it off the wire."""

    channel: str  # Rasa's input channel name: "rest", "socketio", "sms", "rcs"
    sender_id: str  # the conversation id: the channel's address for the customer
    text: str
    # The client's or the provider's id for this message: one already in the conversation is not processed again.
    message_id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    attachments: Tuple[Attachment, ...] = ()


MAX_METADATA_BYTES = 8192  # page, language, a few ids: what a site sends; more is not a message's metadata
MAX_METADATA_DEPTH = 8
MAX_SENDER_ID_CHARS = 255


def _depth(value: Any, limit: int) -> int:
    """How deeply ``value`` nests, counted up to ``limit`` (no recursion: any depth is safe to measure)."""
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= limit:
        item, level = stack.pop()
        deepest = max(deepest, level)
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, level + 1) for child in children)
    return deepest


def is_storable(text: str) -> bool:
    """Valid Unicode: Rasa's SQL tracker store stops the whole server on a string it cannot encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def metadata_problem(metadata: Mapping[str, Any]) -> str | None:
    """What keeps ``metadata`` from being stored with a message (it is copied and sent to the action server with
    every turn): more than ``MAX_METADATA_BYTES`` of JSON, nesting beyond ``MAX_METADATA_DEPTH``, text that is
    not valid Unicode. None when it is fine."""
    if _depth(metadata, MAX_METADATA_DEPTH) > MAX_METADATA_DEPTH:
        return f"may nest at most {MAX_METADATA_DEPTH} levels deep"
    try:
        encoded = json.dumps(metadata, ensure_ascii=False)
    except (RecursionError, ValueError, TypeError):
        return "must be JSON"
    if not is_storable(encoded):
        return "must be valid Unicode text (no lone surrogates)"
    if len(encoded.encode("utf-8")) > MAX_METADATA_BYTES:
        return f"must be at most {MAX_METADATA_BYTES:,} bytes of JSON"
    return None


@dataclass(frozen=True)
class InboundText:
    """Either ``text`` to hand to Rasa, or a ``reply`` to send back instead.

    ``notice`` is a message to send before the bot's answer (the card warning)."""

    text: str | None = None
    reply: str | None = None
    notice: str | None = None
    raised_by_channel: bool = False  # the text is the channel's own intent (the media intent), not typed


def check_inbound_message(message: CustomerMessage, max_chars: int = MAX_MESSAGE_CHARS) -> InboundText:
    """``check_inbound_text``, and what a photo, file or place turns into: with text, the text and a notice
    that the bot reads text; alone, the media intent."""
    if not message.attachments:
        return check_inbound_text(message.text, max_chars)
    if not remove_control_characters(message.text).strip():
        return InboundText(text=MEDIA_ONLY_TEXT, raised_by_channel=True)
    checked = check_inbound_text(message.text, max_chars)
    if checked.reply is not None:
        return checked
    notice = MEDIA_NOTICE if checked.notice is None else f"{checked.notice} {MEDIA_NOTICE}"
    return InboundText(text=checked.text, notice=notice)


def check_inbound_text(raw: str, max_chars: int = MAX_MESSAGE_CHARS) -> InboundText:
    """Strip control characters, remove card numbers before anything stores them,
    and answer empty or over-long messages directly.

    Button payloads ("/intent") pass through unchanged apart from the cleaning.
    """
    cleaned = remove_control_characters(raw).strip()
    if cleaned.startswith(SYSTEM_INTENT_PREFIX):
        cleaned = cleaned[1:]  # the system's own intents (the hand-back, media) are never the customer's to raise
    if not cleaned:
        return InboundText(reply=EMPTY_REPLY)
    if len(cleaned) > max_chars:
        return InboundText(reply=TOO_LONG_REPLY.format(limit=max_chars))
    redacted, had_card = redact_card_numbers(cleaned)
    return InboundText(text=redacted, notice=CARD_WARNING if had_card else None)
