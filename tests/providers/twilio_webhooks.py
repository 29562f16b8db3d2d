"""What Twilio POSTs to an application (incoming messages), signed as Twilio signs it, and what Twilio accepts back.

Sources: messaging/guides/webhook-request (the parameters of an incoming message), usage/webhooks/webhooks-security
(X-Twilio-Signature), messaging/twiml (the <Response> an application may answer with). Re-exported by
:mod:`tests.providers.twilio`.
"""

from __future__ import annotations

import uuid
from typing import Mapping, Sequence
from xml.etree import ElementTree

import requests

from tests.providers import twilio_rules as rules
from tests.providers.sms_segments import count_segments
from tests.providers.twilio_rules import new_sid


class TwilioWebhooks:
    """What Twilio POSTs to an application, signed as Twilio signs it.

    ``public_url`` is the base URL configured in the Twilio console (what Twilio signs); requests actually go to
    ``local_url`` (the application behind a proxy). Every method returns the application's response.
    """

    def __init__(self, auth_token: str, account_sid: str, public_url: str, local_url: str) -> None:
        self.auth_token, self.account_sid = auth_token, account_sid
        self.public_url, self.local_url = public_url.rstrip("/"), local_url.rstrip("/")

    def signature(self, url: str, params: Mapping[str, str | Sequence[str]]) -> str:
        """Twilio's X-Twilio-Signature for ``url`` and ``params`` (see :func:`twilio_rules.signature`)."""
        return rules.signature(self.auth_token, url, params)

    def inbound(
        self,
        path: str,
        from_: str,
        to: str,
        body: str,
        media: Sequence[tuple[str, str]] = (),
        message_sid: str | None = None,
        messaging_service_sid: str | None = None,
        query: str = "",
        extra: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """POST an incoming SMS/MMS with the parameters of messaging/guides/webhook-request.

        ``media`` is a sequence of (url, content type). ``extra`` adds or overrides parameters.
        """
        sid = message_sid or new_sid("MM" if media else "SM")
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "SmsMessageSid": sid,
            "AccountSid": self.account_sid,
            "From": from_,
            "To": to,
            "Body": body,
            "NumMedia": str(len(media)),
            "NumSegments": str(max(count_segments(body), 1)),
            "SmsStatus": "received",
            "ApiVersion": rules.API_VERSION,
        }
        if messaging_service_sid:
            params["MessagingServiceSid"] = messaging_service_sid
        for index, (url, content_type) in enumerate(media):
            params[f"MediaUrl{index}"] = url
            params[f"MediaContentType{index}"] = content_type
        params.update(extra or {})
        return self.post_signed(path, params, query)

    def post_signed(
        self, path: str, params: Mapping[str, str], query: str = "", signature: str | None = None
    ) -> requests.Response:
        """The raw form POST to ``local_url + path``, signed over ``public_url + path`` (``signature`` overrides)."""
        suffix = path + (f"?{query}" if query else "")
        headers = {
            "X-Twilio-Signature": signature
            if signature is not None
            else self.signature(self.public_url + suffix, params),
            "Content-Type": rules.FORM_TYPE,
            "User-Agent": rules.USER_AGENT,
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
        }
        return requests.post(self.local_url + suffix, data=dict(params), headers=headers, timeout=10)


# messaging/twiml: the verbs a Messaging TwiML <Response> may contain.
TWIML_MESSAGING_VERBS = frozenset({"Message", "Redirect"})


def check_twiml_ack(response: requests.Response) -> None:
    """Assert the application's answer to an inbound webhook is one Twilio accepts.

    2xx, and either 204 / an empty body, or a TwiML document (text/xml or application/xml) whose root is <Response>
    holding only Messaging verbs. Raises AssertionError saying which part is wrong.
    """
    assert 200 <= response.status_code < 300, f"Twilio expects a 2xx answer, got {response.status_code}"
    if response.status_code == 204 or not response.content.strip():
        return
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    assert content_type in ("text/xml", "application/xml"), f"TwiML must be served as XML, not {content_type!r}"
    try:
        root = ElementTree.fromstring(response.content)
    except ElementTree.ParseError as exc:
        raise AssertionError(f"the answer is not well-formed XML: {exc}") from exc
    assert root.tag == "Response", f"the TwiML root element must be <Response>, not <{root.tag}>"
    verbs = {child.tag for child in root}
    assert verbs <= TWIML_MESSAGING_VERBS, f"not Messaging TwiML verbs: {sorted(verbs - TWIML_MESSAGING_VERBS)}"
