"""Twilio's rules for creating a Message, its error bodies and its webhook signature, from Twilio's public docs.

Pages cited below (all under https://www.twilio.com/docs/): ``messaging/api/message-resource`` (the Create
parameters), ``api/errors/NNNNN`` (one page per error code), ``usage/webhooks/webhooks-security`` (the signature),
``glossary/what-e164`` (number format). Every check names the page and the fact it enforces.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Mapping, Sequence
from urllib.parse import urlsplit

API_VERSION = "2010-04-01"
BODY_LIMIT = 1600
MEDIA_LIMIT = 10
CALLBACK_URL_LIMIT = 4000
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
FORM_TYPE = "application/x-www-form-urlencoded"
USER_AGENT = "TwilioProxy/1.1"

Form = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Violation:
    """Why Twilio would refuse a request: the HTTP status, the Twilio error code and a human-readable message."""

    http_status: int
    code: int | None
    message: str


def error_body(http_status: int, code: int | None, message: str) -> dict:
    """The JSON body Twilio's REST API answers an error with (``code``, ``message``, ``more_info``, ``status``)."""
    more_info = f"https://www.twilio.com/docs/errors/{code}" if code else None
    return {"code": code, "message": message, "more_info": more_info, "status": http_status}


def signature(auth_token: str, url: str, params: Mapping[str, str | Sequence[str]]) -> str:
    """Twilio's ``X-Twilio-Signature`` for a POST to ``url`` (query string included) with form ``params``.

    webhooks-security: base64 of HMAC-SHA1 keyed by the auth token over the full URL followed by every POST parameter
    sorted by name (case-sensitive, Unix-style), each written as name then value with no separator. Repeated names
    (the docs are silent) are ordered by value so the result does not depend on the order they were posted in.
    """
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        values = [value] if isinstance(value, str) else list(value)
        pairs.extend((name, item) for item in values)
    payload = url + "".join(name + value for name, value in sorted(pairs))
    digest = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def new_sid(prefix: str) -> str:
    """A Twilio SID: two-letter prefix + 32 lowercase hex digits (glossary/what-is-a-sid)."""
    return prefix + secrets.token_hex(16)


def rfc2822(timestamp: float) -> str:
    """Twilio's date format (RFC 2822, GMT), e.g. ``Thu, 30 Jul 2015 20:12:31 +0000``."""
    return format_datetime(datetime.fromtimestamp(timestamp, timezone.utc))


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units: how a 'character' is counted where Twilio or Google leave it open (strict)."""
    return len(text.encode("utf-16-le")) // 2


def _first(form: Form, name: str) -> str:
    values = form.get(name) or []
    return values[0] if values else ""


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _publicly_reachable(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True
    return address.is_global


def check_to(form: Form) -> Violation | None:
    """The recipient rules: present, then E.164."""
    to = _first(form, "To")
    # message-resource: To is required; errors/21604 "'To' phone number is required to send a Message"
    if not to:
        return Violation(400, 21604, "A 'To' phone number is required.")
    # message-resource + glossary/what-e164: To is an E.164 number ('+', country code, at most 15 digits);
    # errors/21211 "Invalid 'To' Phone Number". Strict: channel addresses (whatsapp:...) are not SMS, so refused.
    if not E164.match(to):
        return Violation(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    return None


def check_sender(form: Form, numbers: frozenset[str], services: frozenset[str]) -> Violation | None:
    """The sender rules: From and/or MessagingServiceSid, each one the account owns, and never To itself."""
    sender, service = _first(form, "From"), _first(form, "MessagingServiceSid")
    # errors/21603 "A 'From' or 'MessagingServiceSid' parameter is required to send a message"
    if not sender and not service:
        return Violation(400, 21603, "A 'From' phone number is required.")
    # errors/21701 "The Messaging Service resource you are referencing does not exist or does not match the Account"
    if service and service not in services:
        return Violation(400, 21701, f"The Messaging Service Sid {service} is invalid.")
    # errors/21606 "You can only send SMS messages from a phone number ... provided by or ported to Twilio"
    # (and errors/21603: a MessagingServiceSid may come "instead of or in addition to" From; with both, From must
    # still be one of the account's senders -- the double does not model a service's sender pool, strict reading).
    if sender and sender not in numbers:
        return Violation(
            400,
            21606,
            f"The From phone number {sender} is not a valid, SMS-capable inbound phone number or short "
            "code for your account.",
        )
    # errors/21266 "'To' and 'From' numbers cannot be the same"
    if sender and sender == _first(form, "To"):
        return Violation(400, 21266, f"'To' and 'From' number cannot be the same: {sender}")
    return None


def check_content(form: Form) -> Violation | None:
    """The content rules: a Body or media, Body length, media count and media URLs."""
    body, media = _first(form, "Body"), list(form.get("MediaUrl") or [])
    if not body and not media:
        # errors/21619: with a Messaging Service "A Message Body, Media URL or Content SID is required"
        if _first(form, "MessagingServiceSid"):
            return Violation(400, 21619, "A text message body or media urls must be specified.")
        # errors/21602 "The Body OR MediaURL parameter is required to send a Message with Twilio"
        return Violation(400, 21602, "Message body is required.")
    # errors/21617 "The Body parameter for an outgoing message can be up to 1,600 characters". The page warns that
    # non-GSM characters "use more space"; strict reading: characters are counted in UTF-16 code units.
    if utf16_length(body) > BODY_LIMIT:
        return Violation(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
    # errors/21623 "You may send up to 10 media files in a single message"
    if len(media) > MEDIA_LIMIT:
        return Violation(400, 21623, "Number of media files exceeds allowed limit")
    # errors/21620 "One or more media URLs that you provided is invalid ... lacks a protocol specifier http(s)://"
    bad = [url for url in media if not _is_http_url(url)]
    if bad:
        return Violation(
            400, 21620, f"Media urls: {', '.join(bad)} are invalid. Please use only valid http and https urls"
        )
    return None


def check_status_callback(form: Form) -> Violation | None:
    """The StatusCallback rules of errors/21609."""
    url = _first(form, "StatusCallback")
    if "StatusCallback" not in form:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    invalid = (
        # errors/21609: "a fully qualified URL that includes ... protocol (http:// or https://), hostname"
        parts.scheme not in ("http", "https")
        or not host
        # errors/21609: "The URL exceeds the 4000-character limit"
        or len(url) > CALLBACK_URL_LIMIT
        # errors/21609 + message-resource StatusCallback: "URL must contain a valid hostname and underscores are not
        # allowed"
        or "_" in host
        # errors/21609: "The URL is not reachable by Twilio over the public internet" (loopback, private ranges)
        or not _publicly_reachable(host)
    )
    if invalid:
        return Violation(400, 21609, f"The StatusCallback URL {url} is not a valid URL.")
    return None


def check_send(form: Form, numbers: frozenset[str], services: frozenset[str]) -> Violation | None:
    """The first rule a Messages.json create request breaks, in the order the parameters are documented; or None."""
    return check_to(form) or check_sender(form, numbers, services) or check_content(form) or check_status_callback(form)
