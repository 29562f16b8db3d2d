"""The one way anything reaches a customer by e-mail: bot answers, agents' replies and the welcome-back all
come through here (the outbound queue's sender for ``email``), so consent, threading and the unsubscribe link
hold for every one of them. Blocking (smtplib): the delivery worker runs it on its own threads.

SMTP answers (RFC 5321 §4.2.1): a 4yz reply is transient, tried again later; a 5yz reply is permanent, given
up. A connection that fails or drops is tried again. The Message-ID is derived from the queued message's id,
so a message resent after a crash carries the same id and the customer's mail client shows it once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Callable, List
from urllib.parse import urlencode

from bot.channels.email_compose import compose
from bot.channels.email_settings import EmailSettings
from bot.channels.email_store import EmailStore
from bot.channels.outbox import Outbound
from bot.channels.outcome import GiveUp, Outcome, Sent, Suppressed, TryAgain
from bot.channels.store import ChannelStore

logger = logging.getLogger(__name__)
UNSUBSCRIBE_PATH = "/webhooks/email/unsubscribe"
SERVICE, MARKETING = "service", "marketing"


class SmtpRefused(Exception):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"SMTP {code}: {text}")
        self.code = code
        self.permanent = 500 <= code < 600


class SmtpClient:
    """One connection per message (these are a conversation's replies, not a newsletter)."""

    def __init__(self, config: EmailSettings) -> None:
        self.config = config

    def send(self, message: EmailMessage, recipient: str) -> None:
        config = self.config
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        try:
            if config.security == "tls":
                smtp = smtplib.SMTP_SSL(config.smtp_host, config.smtp_port, timeout=config.timeout_seconds,
                                        context=context)  # fmt: skip
            else:
                smtp = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout_seconds)
            with smtp:
                smtp.ehlo()
                if config.security == "starttls":
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if config.smtp_user and config.smtp_password:
                    smtp.login(config.smtp_user, config.smtp_password)
                refused = smtp.send_message(message, from_addr=config.from_address, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()), (550, b"refused"))
            raise SmtpRefused(int(code), _text(text)) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError, smtplib.SMTPAuthenticationError) as error:
            raise SmtpRefused(int(error.smtp_code), _text(error.smtp_error)) from None
        if refused:
            code, text = next(iter(refused.values()))
            raise SmtpRefused(int(code), _text(text))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# -- unsubscribe links -------------------------------------------------------------------------------------------
def _signature(secret: bytes, address: str, scope: str) -> str:
    return hmac.new(secret, f"unsubscribe|{address}|{scope}".encode(), hashlib.sha256).hexdigest()[:32]


def unsubscribe_url(config: EmailSettings, address: str, scope: str = MARKETING) -> str | None:
    """The signed link that stops ``scope`` mail to ``address`` (None without a public URL to point at)."""
    if not config.public_url:
        return None
    encoded = base64.urlsafe_b64encode(address.encode()).decode().rstrip("=")
    query = urlencode({"a": encoded, "s": scope, "sig": _signature(config.token_secret, address, scope)})
    return f"{config.public_url}{UNSUBSCRIBE_PATH}?{query}"


def unsubscribe_request(config: EmailSettings, encoded: str, scope: str, signature: str) -> str | None:
    """The address a signed unsubscribe link names; None for a link we did not sign."""
    if scope not in (SERVICE, MARKETING) or not encoded or len(encoded) > 400:
        return None
    try:
        address = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    expected = _signature(config.token_secret, address, scope)
    return address if hmac.compare_digest(expected, signature or "") else None


class EmailSender:
    def __init__(self, client: SmtpClient, store: ChannelStore, threads: EmailStore, config: EmailSettings) -> None:
        self.client = client
        self.store = store
        self.threads = threads
        self.config = config

    def deliver(self, item: Outbound, progress: Callable[[List[str]], None]) -> Outcome:
        address = item.recipient
        if item.provider_ids:
            return Sent(list(item.provider_ids))  # the server took it before a crash: nothing to do again
        purpose = item.message.get("purpose", "reply")
        direct = purpose == "reply"
        # What the customer asked for (a reply, an invoice: "service") stops only at an opt-out of everything.
        if self.store.is_opted_out("email", address, marketing=purpose == MARKETING):
            return Suppressed("the address unsubscribed from these e-mails")
        thread = self.threads.thread(address)
        link = None if direct else unsubscribe_url(self.config, address)
        message_id = f"<bot.{item.id}@{self.config.domain}>"
        composed = compose(item.message, address, item.kind, thread, self.config, item.created_at, link,
                           agent=item.message.get("agent"), message_id=message_id)  # fmt: skip
        if composed.choices:
            self.store.offer(address, composed.choices)  # a reply of "2" picks the second button
        try:
            self.client.send(composed.message, address)
        except SmtpRefused as refused:
            if refused.permanent:
                logger.warning("an e-mail was refused for good: %s", refused)
                return GiveUp(str(refused))
            return TryAgain(str(refused))
        except (OSError, smtplib.SMTPException) as failure:  # connection refused, reset, timed out, TLS failed
            return TryAgain(f"{type(failure).__name__}: {failure}")
        progress([composed.message_id])
        self.threads.note_sent(address, composed.message_id, item.id)
        return Sent([composed.message_id])
