"""What the two channels that reach a phone (SMS, RCS) share after they have read a provider's webhook: the
carrier keywords on either channel. One phone, one consent: STOP typed over SMS or RCS stops both (the RCS
fallback would otherwise text the customer), START, UNSTOP or YES resume both, HELP is answered on the channel
it came from. A provider's retry of a keyword changes nothing. (Working in the background: background.py.)
"""

from __future__ import annotations

import logging

from rasa.core.channels.channel import OutputChannel

from bot.channels.background import run_blocking
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
