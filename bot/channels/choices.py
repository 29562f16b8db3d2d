"""A reply to numbered choices: "2" means the second button of the SMS the customer last got. Blocking.

The choices were offered by SMS (``sms_sender.py`` remembers them when it sends), whichever channel the
customer answers on: a phone RBM could not reach got its RCS answer by SMS, and may write back on either.
An offer answers one reply only, so it is forgotten as soon as the next message arrives.
"""

from __future__ import annotations

from dataclasses import replace

from bot.channels.inbound import CustomerMessage
from bot.channels.rendering import choice_for
from bot.channels.store import ChannelStore


def with_choice_resolved(store: ChannelStore, message: CustomerMessage) -> CustomerMessage:
    choice = choice_for(message.text, store.take_offer(message.sender_id))
    return message if choice is None else replace(message, text=choice)
