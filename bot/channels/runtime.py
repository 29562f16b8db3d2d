"""The channel state one Rasa process shares: its stores, its providers' senders and its delivery worker.

Built on first use from the environment (docs/channels.md lists the variables), once per process. The worker
starts with the first channel blueprint whose server starts (SMS, RCS or e-mail), so a process without either never
polls the queue.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Dict

from bot.channels.delivery import DeliveryWorker, QueuedOutput, Sender
from bot.channels.email_sender import EmailSender, SmtpClient
from bot.channels.email_settings import EmailSettings, email_settings
from bot.channels.email_store import EmailStore
from bot.channels.outbox import Outbox
from bot.channels.rbm_api import RbmClient, RbmConfig
from bot.channels.rcs_sender import RcsSender
from bot.channels.settings import settings
from bot.channels.sms_sender import SmsSender
from bot.channels.store import ChannelStore
from bot.channels.twilio_api import TwilioClient, TwilioConfig


@functools.lru_cache(maxsize=1)
def channel_store() -> ChannelStore:
    return ChannelStore(settings().database_url)


@functools.lru_cache(maxsize=1)
def outbox() -> Outbox:
    return Outbox(settings().database_url)


@functools.lru_cache(maxsize=1)
def twilio_config() -> TwilioConfig | None:
    return TwilioConfig.from_env()


@functools.lru_cache(maxsize=1)
def rbm_config() -> RbmConfig | None:
    return RbmConfig.from_env()


def email_config() -> EmailSettings | None:
    return email_settings()


@functools.lru_cache(maxsize=1)
def email_store() -> EmailStore:
    return EmailStore(settings().database_url)


@functools.lru_cache(maxsize=1)
def delivery_worker() -> DeliveryWorker:
    senders: Dict[str, Sender] = {}
    sms, rcs = twilio_config(), rbm_config()
    if sms is not None:
        senders["sms"] = SmsSender(TwilioClient(sms), channel_store(), settings())
    if rcs is not None:
        senders["rcs"] = RcsSender(RbmClient(rcs), channel_store(), settings())
    mail = email_config()
    if mail is not None:
        senders["email"] = EmailSender(SmtpClient(mail), channel_store(), email_store(), mail)
    return DeliveryWorker(outbox(), senders, settings())


def start_delivery(loop: asyncio.AbstractEventLoop) -> None:
    delivery_worker().start(loop)


def queued_output(channel: str) -> QueuedOutput:
    return QueuedOutput(channel, outbox(), delivery_worker())
