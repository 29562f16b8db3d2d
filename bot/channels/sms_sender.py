"""The one way anything reaches a customer by SMS: bot answers, agents' replies, keyword answers and RCS
messages falling back to SMS all come through here, so consent, the segment budget, the overflow link, the
1,600-character limit and Twilio's opt-out code hold for every one of them. Blocking."""

from __future__ import annotations

import logging
from typing import Callable, List

from bot.channels.outbox import Outbound
from bot.channels.outcome import GiveUp, Outcome, Sent, Suppressed, TryAgain
from bot.channels.rendering import render_sms
from bot.channels.settings import ChannelSettings
from bot.channels.store import ChannelStore
from bot.channels.twilio_api import OPTED_OUT, TwilioClient, TwilioRefused

logger = logging.getLogger(__name__)


class SmsSender:
    def __init__(self, client: TwilioClient, store: ChannelStore, settings: ChannelSettings) -> None:
        self.client = client
        self.store = store
        self.settings = settings

    def deliver(self, item: Outbound, progress: Callable[[List[str]], None]) -> Outcome:
        """Send ``item`` from the part after the last one sent; consent is checked right before, and
        ``progress`` hears of every part the provider took."""
        phone = item.recipient
        if self.store.is_opted_out("sms", phone):
            return Suppressed("the number opted out of SMS", item.provider_ids)
        budget = self.settings.sms_max_segments if item.kind == "bot" else None
        rendering = render_sms(item.message, budget, self.settings.sms_overflow_url)
        if rendering.choices:
            # The customer's next reply may be a number: remember what each one means before they see it.
            self.store.offer(phone, rendering.choices)
        sent = list(item.provider_ids)
        for part in rendering.parts[len(sent) :]:
            try:
                sent.append(self.client.send(phone, part.body, part.media))
                progress(sent)
            except TwilioRefused as refused:
                if refused.code == OPTED_OUT:
                    self.store.set_opted_out("sms", phone, True, "carrier 21610")
                    return Suppressed("Twilio: the number replied STOP (21610)", sent)
                if refused.retryable:
                    return TryAgain(str(refused), sent)
                logger.warning("an SMS was refused for good: %s", refused)
                return GiveUp(str(refused), sent)
        return Sent(sent)
