"""Messages to RCS customers through RBM. A phone RBM cannot reach over RCS (404) is remembered for a while
and the message falls back to the SMS sender, with everything SMS promises. Blocking."""

from __future__ import annotations

import logging
import uuid
from typing import Callable, List

from bot.channels.outbox import Outbound
from bot.channels.outcome import FallBackToSms, GiveUp, Outcome, Sent, Suppressed, TryAgain
from bot.channels.rbm_api import NotRcsCapable, RbmClient, RbmRefused
from bot.channels.rendering import render_rcs
from bot.channels.settings import ChannelSettings
from bot.channels.store import ChannelStore

logger = logging.getLogger(__name__)


def part_message_id(message_id: str, part: int) -> str:
    """RBM's messageId for each part of one queued message: the message's own UUID for the first part, a UUID
    derived from it for the others, so a resent part carries the id RBM saw the first time."""
    return message_id if part == 0 else str(uuid.uuid5(uuid.UUID(message_id), str(part)))


class RcsSender:
    def __init__(self, client: RbmClient, store: ChannelStore, settings: ChannelSettings) -> None:
        self.client = client
        self.store = store
        self.settings = settings

    def deliver(self, item: Outbound, progress: Callable[[List[str]], None]) -> Outcome:
        phone = item.recipient
        if self.store.is_opted_out("rcs", phone):
            return Suppressed("RCS messages to this phone are stopped", item.provider_ids)
        if self.store.is_sms_only(phone, self.settings.rcs_fallback_memory_seconds):
            return FallBackToSms("RBM said recently that this phone cannot receive RCS")
        sent = list(item.provider_ids)
        contents = render_rcs(item.message)
        for number in range(len(sent), len(contents)):
            message_id = part_message_id(item.id, number)
            try:
                self.client.send(phone, contents[number], message_id, self.settings.rcs_message_ttl_seconds)
            except NotRcsCapable:
                # The whole message goes by SMS, even if a first part went by RCS: better twice than never.
                self.store.mark_sms_only(phone)
                return FallBackToSms("RBM answered 404: the phone cannot receive RCS")
            except RbmRefused as refused:
                if refused.retryable:
                    return TryAgain(str(refused), sent)
                if refused.http_status in (400, 403):
                    # 400 INVALID_ARGUMENT: the device lacks a feature the message uses; 403: the agent is not
                    # launched on this customer's carrier. Plain SMS reaches them either way.
                    return FallBackToSms(str(refused))
                logger.warning("an RCS message was refused for good: %s", refused)
                return GiveUp(str(refused), sent)
            sent.append(message_id)
            progress(sent)
        return Sent(sent)
