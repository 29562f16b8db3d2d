"""mailcatcher's SMTP side on aiosmtpd: the protocol object for each connection, its authenticator, and the
handler that examines and stores each message.

aiosmtpd speaks the protocol (RFC 5321, with SIZE, 8BITMIME, SMTPUTF8, STARTTLS and AUTH); this module only
configures it through its declared seams (``SMTP``'s arguments, the handler's ``handle_DATA``, the
authenticator).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from typing import Any, Callable

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from aiosmtpd.smtp import Envelope as SmtpEnvelope

from mailcatcher.intake import examine
from mailcatcher.message import Envelope, StoredMessage
from mailcatcher.settings import Settings, SettingsError, is_loopback
from mailcatcher.store import MessageStore
from privacy.credentials import same_secret

logger = logging.getLogger("mailcatcher.smtp")

HOSTNAME = "mailcatcher.localhost"  # given, so aiosmtpd does not look up this host's FQDN on every connection


class LenientLinesSMTP(SMTP):
    """aiosmtpd refuses a line over 1001 octets with "500 Line too long" (RFC 5321 §4.5.3.1.6) and drops the
    message. mailcatcher takes lines up to 64 KiB instead, so the message is stored and the long line shown as
    a problem (``rules.line_length``): a developer sees what the bot sent rather than a refusal in some log."""

    line_length_limit = 64 * 1024


class Inbox:
    """The aiosmtpd handler: every message accepted after DATA is examined and stored."""

    def __init__(self, store: MessageStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def keep(self, raw: bytes, envelope: Envelope) -> StoredMessage:
        parsed, problems = examine(raw, envelope)
        return self.store.add(self.clock(), envelope, parsed, problems, raw)

    async def handle_DATA(self, server: SMTP, session: Any, envelope: SmtpEnvelope) -> str:
        received = Envelope(
            mail_from=envelope.mail_from or "",
            rcpt_to=tuple(envelope.rcpt_tos),
            eight_bit_mime="BODY=8BITMIME" in envelope.mail_options,
            smtp_utf8=bool(envelope.smtp_utf8),
        )
        raw = envelope.original_content or b""
        try:
            # Parsing a large message and SQL are blocking: a worker thread keeps other sessions moving.
            stored = await asyncio.get_running_loop().run_in_executor(None, self.keep, raw, received)
        except Exception:
            logger.exception("could not store a message of %d bytes", len(raw))
            return "451 4.3.0 mailcatcher could not store the message"
        # Addresses stay out of the log: they are customers' in a real conversation.
        logger.info("message %d: %d bytes for %d recipient(s), %d problem(s)", stored.id, len(raw),
                    len(received.rcpt_to), len(stored.problems))  # fmt: skip
        return f"250 2.0.0 OK stored as message {stored.id}"


class Credentials:
    """An aiosmtpd authenticator for the one user and password of the settings (AUTH PLAIN and LOGIN)."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password

    def __call__(self, server: SMTP, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        # Both compared, always, in constant time: the answer's timing says nothing about which one was wrong.
        right_user, right_password = same_secret(login, self.user), same_secret(password, self.password)
        return AuthResult(success=right_user and right_password, handled=False)


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (ssl.SSLError, OSError) as error:
        raise SettingsError(f"cannot load the TLS certificate and key: {error}") from None
    return context


def protocol_factory(settings: Settings, inbox: Inbox, loop: asyncio.AbstractEventLoop) -> Callable[[], SMTP]:
    """What ``loop.create_server`` calls for each connection. Raises ``SettingsError`` for an unusable TLS key."""
    context = tls_context(settings)
    auth: dict[str, Any]
    if settings.smtp_user is not None and settings.smtp_password is not None:
        auth = {
            "auth_required": True,
            "authenticator": Credentials(settings.smtp_user, settings.smtp_password),
            # AUTH without TLS only on loopback, where the password never crosses a network (Settings.check
            # refuses AUTH off loopback without a certificate); aiosmtpd requires TLS for AUTH by default.
            "auth_require_tls": not is_loopback(settings.host),
        }
    else:
        auth = {"auth_exclude_mechanism": ["LOGIN", "PLAIN"]}  # nothing to log in to: no AUTH offered

    def connection() -> SMTP:
        return LenientLinesSMTP(
            inbox, data_size_limit=settings.max_bytes, enable_SMTPUTF8=True, decode_data=False, hostname=HOSTNAME,
            tls_context=context, loop=loop, **auth,
        )  # fmt: skip

    return connection
