"""The hand-off's way to reach SMS customers: consent checked, then Twilio."""

from __future__ import annotations

from typing import Callable

from bot.channels.sms_store import sms_store
from bot.channels.twilio_api import OPTED_OUT, SmsSendFailed, TwilioClient, TwilioConfig


def agent_sms_sender() -> Callable[[str, str], None] | None:
    """A sender for ``handoff.relay.TrackerRelay``, or None when Twilio is not configured."""
    config = TwilioConfig.from_env()
    if config is None:
        return None
    client = TwilioClient(config)

    def send(phone: str, text: str) -> None:
        store = sms_store()
        if store.is_opted_out(phone):
            return
        try:
            client.send(phone, text)
        except SmsSendFailed as failed:
            if failed.code == OPTED_OUT:
                store.set_opted_out(phone, True, "carrier 21610")
                return
            raise

    return send
