"""An inbound e-mail provider as Mailgun's routes deliver a message to a ``…mime`` URL, written from its public
documentation (as Rails' Action Mailbox reads it): a POST whose form fields are

- ``body-mime``: the full RFC 822 message;
- ``timestamp``: the current time as seconds since the Unix epoch;
- ``token``: a randomly generated, 50-character string;
- ``signature``: the hexadecimal HMAC-SHA256 of ``timestamp`` concatenated with ``token``, keyed by the
  account's signing key.

Mailgun sends it as multipart/form-data. It retries a delivery that got no 2xx answer."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Dict, Tuple

import requests


def signed_fields(key: str, now: float | None = None, token: str | None = None) -> Dict[str, str]:
    timestamp = str(int(time.time() if now is None else now))
    token = token or secrets.token_hex(25)  # 50 characters
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return {"timestamp": timestamp, "token": token, "signature": signature}


def post_mime(url: str, key: str, raw: bytes, **overrides: str) -> requests.Response:
    fields = {**signed_fields(key), **overrides}
    files: Dict[str, Tuple[None, str | bytes]] = {name: (None, value) for name, value in fields.items()}
    files["body-mime"] = (None, raw)
    return requests.post(url, files=files, timeout=30)


def customer_email(sender: str, text: str, subject: str = "Help please", to: str = "support@shop.example",
                   in_reply_to: str | None = None, references: str | None = None,
                   headers: Dict[str, str] | None = None, dmarc_pass: bool = False) -> Tuple[bytes, str]:  # fmt: skip
    """A customer's e-mail as their mail program writes it (RFC 5322), and its Message-ID."""
    message = EmailMessage()
    message_id = make_msgid(domain=sender.rpartition("@")[2] or "example.com")
    if dmarc_pass:  # what our receiving server (authserv-id mx.shop.example) adds after checking (RFC 8601)
        domain = sender.rpartition("@")[2]
        message["Authentication-Results"] = f"mx.shop.example; spf=pass; dkim=pass; dmarc=pass header.from={domain}"
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    return bytes(message), message_id
