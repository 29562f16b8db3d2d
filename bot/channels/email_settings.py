"""The e-mail channel's settings, from the environment (docs/email.md lists each variable). Pure."""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Mapping

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SECURITY_MODES = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}  # submission (RFC 6409), submissions (RFC 8314), SMTP


class EmailConfigError(ValueError):
    """An e-mail setting is not usable; the message names the variable."""


@dataclass(frozen=True)
class EmailSettings:
    from_address: str  # support@shop.example: what customers write to and see the bot's mail come from
    from_name: str
    smtp_host: str
    smtp_port: int
    security: str  # "starttls", "tls" (implicit TLS, port 465) or "none" (loopback only)
    smtp_user: str | None
    smtp_password: str | None
    public_url: str | None  # where the unsubscribe link points (https in production)
    webhook_signing_key: str | None  # the inbound provider's signing key (Mailgun's scheme)
    webhook_max_age_seconds: float
    trusted_authserv_id: str | None  # our receiving server's id in Authentication-Results
    token_secret: bytes  # signs reply tokens and unsubscribe links
    timeout_seconds: float

    @property
    def domain(self) -> str:
        return self.from_address.rpartition("@")[2]

    def reply_address(self, token: str) -> str:
        """``support+r-<token>@shop.example``: replies find their thread even when a client drops the headers."""
        local, _, domain = self.from_address.partition("@")
        return f"{local}+r-{token}@{domain}"


def _port(environ: Mapping[str, str], key: str, default: int) -> int:
    try:
        port = int(environ.get(key) or default)
    except ValueError:
        raise EmailConfigError(f"{key} must be a port number") from None
    if not 0 < port < 65536:
        raise EmailConfigError(f"{key} must be between 1 and 65535")
    return port


def parse_email_settings(environ: Mapping[str, str]) -> EmailSettings | None:
    """None until ``EMAIL_FROM`` names the support address: the channel then answers 503."""
    sender = environ.get("EMAIL_FROM", "").strip()
    if not sender:
        return None
    name, address = parseaddr(sender)
    if "@" not in address or address != address.strip():
        raise EmailConfigError("EMAIL_FROM must be an address, e.g. 'Shop Support <support@shop.example>'")
    host = environ.get("EMAIL_SMTP_HOST", "127.0.0.1").strip()
    security = environ.get("EMAIL_SMTP_SECURITY", "none" if host in LOOPBACK_HOSTS else "starttls").strip().lower()
    if security not in SECURITY_MODES:
        raise EmailConfigError(f"EMAIL_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}")
    if security == "none" and host not in LOOPBACK_HOSTS:
        # Credentials and customers' mail in clear over a network: refused, not merely discouraged.
        raise EmailConfigError("EMAIL_SMTP_SECURITY=none is allowed only for an SMTP server on loopback")
    key = environ.get("EMAIL_WEBHOOK_SIGNING_KEY") or None
    secret = environ.get("EMAIL_TOKEN_SECRET") or key or environ.get("RASA_AUTH_TOKEN") or ""
    if not secret:
        raise EmailConfigError("EMAIL_TOKEN_SECRET (or EMAIL_WEBHOOK_SIGNING_KEY) must be set to sign reply links")
    try:
        max_age = float(environ.get("EMAIL_WEBHOOK_MAX_AGE_SECONDS") or 120)
        timeout = float(environ.get("EMAIL_SMTP_TIMEOUT_SECONDS") or 30)
    except ValueError:
        raise EmailConfigError("EMAIL_WEBHOOK_MAX_AGE_SECONDS and EMAIL_SMTP_TIMEOUT_SECONDS are seconds") from None
    public = (environ.get("EMAIL_PUBLIC_URL") or "").rstrip("/") or None
    return EmailSettings(
        from_address=address.lower(),
        from_name=name or environ.get("EMAIL_FROM_NAME", "Support"),
        smtp_host=host,
        smtp_port=_port(environ, "EMAIL_SMTP_PORT", DEFAULT_PORTS[security]),
        security=security,
        smtp_user=environ.get("EMAIL_SMTP_USER") or None,
        smtp_password=environ.get("EMAIL_SMTP_PASSWORD") or None,
        public_url=public,
        webhook_signing_key=key,
        webhook_max_age_seconds=max_age,
        trusted_authserv_id=environ.get("EMAIL_TRUSTED_AUTHSERV_ID") or None,
        token_secret=hashlib.sha256(b"email-tokens|" + secret.encode()).digest(),
        timeout_seconds=timeout,
    )


@functools.lru_cache(maxsize=1)
def email_settings() -> EmailSettings | None:
    return parse_email_settings(os.environ)
