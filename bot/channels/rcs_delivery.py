"""Reach an RCS customer: RBM while the phone takes RCS, SMS from RBM's first
404 on (remembered). Used by the RCS channel and by the hand-off relay."""

from __future__ import annotations

import logging
from typing import Dict, List

from bot.channels.rbm_api import NotRcsCapable, RbmClient, RbmConfig, RbmSendFailed
from bot.channels.rendering import rcs_content, render_for_sms
from bot.channels.sms_store import sms_store
from bot.channels.twilio_api import SmsSendFailed, TwilioClient, TwilioConfig

logger = logging.getLogger(__name__)


class RcsDelivery:
    def __init__(self, rbm: RbmClient, sms: TwilioClient | None) -> None:
        self.rbm = rbm
        self.sms = sms

    @classmethod
    def from_env(cls) -> RcsDelivery | None:
        config = RbmConfig.from_env()
        if config is None:
            return None
        sms = TwilioConfig.from_env()
        return cls(RbmClient(config), TwilioClient(sms) if sms else None)

    def deliver(self, phone: str, messages: List[Dict]) -> None:
        """Blocking: call it off the event loop."""
        store = sms_store()
        if not store.is_sms_only(phone):
            try:
                for message in messages:
                    content = rcs_content(message)
                    if content is not None:
                        self.rbm.send(phone, content)
                return
            except NotRcsCapable:
                store.mark_sms_only(phone)
            except RbmSendFailed as failed:
                logger.warning("RCS send failed: %s", failed)
                return
        self._send_sms(phone, messages)

    def _send_sms(self, phone: str, messages: List[Dict]) -> None:
        if self.sms is None:
            logger.warning("customer cannot receive RCS and SMS is not configured")
            return
        store = sms_store()
        rendered, choices = render_for_sms(messages, 3, None)
        store.offer(phone, choices)
        for text, media in rendered:
            if store.is_opted_out(phone):
                return
            try:
                self.sms.send(phone, text, media)
            except SmsSendFailed as failed:
                logger.warning("SMS fallback failed: %s", failed)

    def send_text(self, phone: str, text: str) -> None:
        """For the hand-off relay: an agent's message."""
        self.deliver(phone, [{"text": text}])
