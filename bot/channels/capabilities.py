"""What each customer channel can show and how it reaches a customer later. Data.

The one place that knows a channel's limits: rendering (``rendering.py``) takes
its limits from here and the desk, through the hand-off gateway, tells an agent
how their reply will arrive. docs/channels.md has the same table in words.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Dict


@dataclass(frozen=True)
class Capabilities:
    label: str
    # "native": the channel shows tappable buttons; "numbered": a text list, the customer replies with a number
    buttons: str
    rich_cards: bool  # cards with a title, a description and an open-URL action; else sent as text
    images: bool  # an image URL is shown as a picture (SMS: MMS, where the carrier takes it)
    max_chars: int | None  # one provider message holds at most this many characters; longer text goes in parts
    # How a message the customer did not just ask for (an agent's reply, the welcome-back) reaches them:
    # "push" (the provider's API or the open socket) or "poll" (the client asks GET /webhooks/rest/messages).
    later: str
    reads_media: bool  # the customer can send pictures, files or places (the bot answers that it reads text)


# Twilio Messages API: a Body holds at most 1,600 characters (error 21617 above).
SMS_MAX_CHARS = 1600
# RBM: an agent message's text holds at most 3,072 characters.
RCS_MAX_CHARS = 3072
RCS_MAX_CHIPS = 11
RCS_MAX_CHIP_CHARS = 25
RCS_MAX_POSTBACK_CHARS = 2048

CHANNELS: Dict[str, Capabilities] = {
    "rest": Capabilities("REST / your site", "native", True, True, None, "poll", False),
    "socketio": Capabilities("Web chat", "native", False, True, None, "push", False),
    "sms": Capabilities("SMS", "numbered", False, True, SMS_MAX_CHARS, "push", True),
    "rcs": Capabilities("RCS", "native", True, True, RCS_MAX_CHARS, "push", True),
    # One e-mail per turn; buttons as a numbered list (a number or words in reply), cards as text and a link.
    "email": Capabilities("E-mail", "numbered", False, True, None, "push", True),
}

UNKNOWN = Capabilities("Other", "native", False, False, None, "poll", False)


def capabilities(channel: str | None) -> Capabilities:
    return CHANNELS.get(channel or "", UNKNOWN)


def describe(channel: str | None) -> Dict[str, Any]:
    """As JSON, for the desk."""
    return {"channel": channel, **asdict(capabilities(channel))}
