"""Checks every channel applies to a customer's text before Rasa sees it. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from bot.nlu.normalize import remove_control_characters
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


@dataclass(frozen=True)
class InboundText:
    """Either ``text`` to hand to Rasa, or a ``reply`` to send back instead.

    ``notice`` is a message to send before the bot's answer (the card warning)."""

    text: str | None = None
    reply: str | None = None
    notice: str | None = None


def check_inbound_text(raw: str, max_chars: int = MAX_MESSAGE_CHARS) -> InboundText:
    """Strip control characters, remove card numbers before anything stores them,
    and answer empty or over-long messages directly.

    Button payloads ("/intent") pass through unchanged apart from the cleaning.
    """
    cleaned = remove_control_characters(raw).strip()
    if not cleaned:
        return InboundText(reply=EMPTY_REPLY)
    if len(cleaned) > max_chars:
        return InboundText(reply=TOO_LONG_REPLY.format(limit=max_chars))
    redacted, had_card = redact_card_numbers(cleaned)
    return InboundText(text=redacted, notice=CARD_WARNING if had_card else None)
