"""Twilio's Messages REST API: send one SMS/MMS (blocking; call it off the event loop).

Errors come back as ``TwilioRefused`` with Twilio's error code and whether trying again can help, so the
outbound queue decides without knowing Twilio's codes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import requests

# Twilio error codes (twilio.com/docs/api/errors/NNNNN).
OPTED_OUT = 21610  # the recipient replied STOP: nothing may be sent until they opt back in
# Codes that say this message can never go to this recipient as it is: invalid or non-mobile "To", a body over
# 1,600 characters, an unroutable destination, a landline, an unknown handset, carrier filtering.
PERMANENT_CODES = frozenset({21211, 21408, 21612, 21614, 21617, 21602, 21610, 30005, 30006, 30007})


class TwilioRefused(RuntimeError):
    def __init__(self, message: str, code: int | None = None, retryable: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    sender: str  # a phone number, or a Messaging Service SID (MG...)
    api_base: str = "https://api.twilio.com"
    status_callback: str | None = None

    @classmethod
    def from_env(cls) -> TwilioConfig | None:
        sid, token = os.environ.get("TWILIO_ACCOUNT_SID"), os.environ.get("TWILIO_AUTH_TOKEN")
        sender = os.environ.get("TWILIO_MESSAGING_SERVICE_SID") or os.environ.get("TWILIO_FROM_NUMBER")
        if not (sid and token and sender):
            return None
        public = os.environ.get("SMS_PUBLIC_URL", "").rstrip("/")
        return cls(
            sid,
            token,
            sender,
            os.environ.get("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/"),
            f"{public}/webhooks/sms/status" if public else None,
        )


def is_retryable(http_status: int, code: int | None) -> bool:
    """Outages (5xx), throttling (429) and authentication trouble an operator can fix are worth another try;
    a refusal of this message or this recipient is not."""
    if code in PERMANENT_CODES:
        return False
    return http_status >= 500 or http_status in (401, 429)


class TwilioClient:
    def __init__(self, config: TwilioConfig) -> None:
        self.config = config
        self.session = requests.Session()
        self.session.auth = (config.account_sid, config.auth_token)

    def send(self, to: str, body: str, media: Sequence[str] = ()) -> str:
        """Send one message; returns its MessageSid."""
        sender_key = "MessagingServiceSid" if self.config.sender.startswith("MG") else "From"
        form = [("To", to), (sender_key, self.config.sender)]
        if body:
            form.append(("Body", body))
        form += [("MediaUrl", url) for url in media]
        if self.config.status_callback:
            form.append(("StatusCallback", self.config.status_callback))
        url = f"{self.config.api_base}/2010-04-01/Accounts/{self.config.account_sid}/Messages.json"
        try:
            reply = self.session.post(url, data=form, timeout=(2, 10))
        except requests.RequestException as error:
            raise TwilioRefused(f"Twilio did not answer: {type(error).__name__}") from error
        try:
            payload = reply.json()
        except ValueError:
            payload = {}
        if reply.status_code >= 300:
            code = payload.get("code") if isinstance(payload, dict) else None
            code = int(code) if isinstance(code, (int, str)) and str(code).isdigit() else None
            raise TwilioRefused(
                f"Twilio answered {reply.status_code} (code {code})", code, is_retryable(reply.status_code, code)
            )
        return str(payload.get("sid", "")) if isinstance(payload, dict) else ""
