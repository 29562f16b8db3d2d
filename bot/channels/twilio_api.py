"""Twilio's Messages REST API: send an SMS (blocking; call it off the event loop)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List

import requests

OPTED_OUT = 21610  # Twilio: "Attempt to send to unsubscribed recipient"


class SmsSendFailed(RuntimeError):
    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


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


class TwilioClient:
    def __init__(self, config: TwilioConfig) -> None:
        self.config = config
        self.session = requests.Session()
        self.session.auth = (config.account_sid, config.auth_token)

    def send(self, to: str, body: str, media: List[str] | None = None) -> str:
        """Send one message; returns its MessageSid. ``SmsSendFailed`` carries Twilio's error code."""
        sender_key = "MessagingServiceSid" if self.config.sender.startswith("MG") else "From"
        form: List[tuple] = [("To", to), (sender_key, self.config.sender), ("Body", body)]
        form += [("MediaUrl", url) for url in media or []]
        if self.config.status_callback:
            form.append(("StatusCallback", self.config.status_callback))
        url = f"{self.config.api_base}/2010-04-01/Accounts/{self.config.account_sid}/Messages.json"
        try:
            reply = self.session.post(url, data=form, timeout=(2, 10))
        except requests.RequestException as error:
            raise SmsSendFailed(f"Twilio did not answer: {type(error).__name__}") from error
        try:
            payload = reply.json()
        except ValueError:
            payload = {}
        if reply.status_code >= 300:
            raise SmsSendFailed(f"Twilio answered {reply.status_code}", payload.get("code"))
        return str(payload.get("sid", ""))

    def send_text(self, to: str, body: str) -> None:
        """For the hand-off relay: an agent's message to an SMS customer."""
        self.send(to, body)
