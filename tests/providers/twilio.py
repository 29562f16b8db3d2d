"""A test double of Twilio Programmable Messaging, written from Twilio's public documentation.

:class:`TwilioDouble` serves the Messages REST API (``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``) on
loopback and refuses every request Twilio would refuse, answering with Twilio's status, error code and JSON body
(the rules and their sources are in :mod:`tests.providers.twilio_rules`). It also plays Twilio's side of status
callbacks. :class:`TwilioWebhooks` plays what Twilio POSTs to an application: incoming messages, signed.
"""

from __future__ import annotations

import base64
import hmac
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence
from urllib.parse import parse_qs

import requests

from tests.providers import twilio_rules as rules
from tests.providers._server import LoopbackServer, Reply, Request, json_reply
from tests.providers.sms_segments import count_segments
from tests.providers.twilio_rules import new_sid, rfc2822
from tests.providers.twilio_webhooks import TwilioWebhooks, check_twiml_ack

__all__ = ["CallbackResult", "Refusal", "SentMessage", "TwilioDouble", "TwilioWebhooks", "check_twiml_ack"]

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")
# outbound-message-status-in-status-callbacks: the status values a Message can take.
STATUSES = frozenset(
    {"queued", "accepted", "scheduled", "sending", "sent", "delivered", "undelivered", "failed", "read", "canceled"}
)
# Twilio's platform error codes for an outage (errors/20500, 20503, 20429).
OUTAGE_CODES = {500: 20500, 503: 20503, 429: 20429}


@dataclass(frozen=True)
class SentMessage:
    """A message the double accepted (HTTP 201). ``sid`` is "SM" + 32 hex, or "MM" + 32 hex when it has media."""

    sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    media_urls: tuple[str, ...]
    status_callback: str | None
    created_at: float
    num_segments: int = 0


@dataclass(frozen=True)
class Refusal:
    """A request the double refused: the HTTP status, Twilio's error code, the rule, and what was posted."""

    http_status: int
    code: int | None
    reason: str
    form: dict


@dataclass(frozen=True)
class CallbackResult:
    """One status callback the double POSTed: to which URL, with which status, and what the application answered."""

    sid: str
    status: str
    url: str
    http_status: int | None
    error: str | None = None


def _one(form: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = form.get(name) or []
    return values[0] if values and values[0] else None


def _flatten(form: Mapping[str, Sequence[str]]) -> dict:
    return {name: values[0] if len(values) == 1 else list(values) for name, values in form.items()}


class TwilioDouble:
    """Twilio's Messages API on loopback. Use as a context manager; ``url`` is known as soon as it is built.

    Callers may rely on: ``accepted`` (in acceptance order) and ``refused`` (in arrival order) being appended before
    the HTTP answer is sent; a refused request never creating a message; ``report_status`` signing exactly as Twilio.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        numbers: Iterable[str] = (),
        messaging_service_sids: Iterable[str] = (),
        reachable: Callable[[str], str] = lambda url: url,
    ) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.numbers, self.messaging_service_sids = frozenset(numbers), frozenset(messaging_service_sids)
        self.reachable = reachable
        self.accepted: list[SentMessage] = []
        self.refused: list[Refusal] = []
        self.callbacks: list[CallbackResult] = []
        self.auto_status: list[str] = []
        self._opted_out: set[str] = set()
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._server = LoopbackServer(self._handle)
        self.url = self._server.url

    def __enter__(self) -> TwilioDouble:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.settle()
        self._server.stop()

    # -- test controls -------------------------------------------------------------------------------------------
    def messages_to(self, phone: str) -> list[SentMessage]:
        """Accepted messages whose To is ``phone``, in acceptance order."""
        with self._lock:
            return [message for message in self.accepted if message.to == phone]

    def opt_out(self, phone: str) -> None:
        """As if ``phone`` had texted STOP: later sends to it are refused with 400, code 21610."""
        with self._lock:
            self._opted_out.add(phone)

    def opt_in(self, phone: str) -> None:
        """As if ``phone`` had texted START: sends to it are accepted again."""
        with self._lock:
            self._opted_out.discard(phone)

    def fail_next(self, count: int, http_status: int = 503) -> None:
        """The next ``count`` otherwise-valid sends fail like a Twilio outage; no message is created for them."""
        with self._lock:
            self._failures.extend([http_status] * count)

    def settle(self, timeout: float = 5.0) -> None:
        """Wait for the background ``auto_status`` callbacks started so far."""
        for thread in list(self._threads):
            thread.join(timeout)

    def report_status(self, sid: str, status: str, error_code: int | None = None) -> requests.Response:
        """POST a status callback for accepted message ``sid`` to its StatusCallback (through ``reachable``).

        Form-encoded with the parameters of messaging/guides/track-outbound-message-status, signed with
        X-Twilio-Signature over the StatusCallback URL exactly as given at send time (query string included).
        """
        if status not in STATUSES:
            raise ValueError(f"{status!r} is not a Twilio message status")
        message = self._message(sid)
        if not message.status_callback:
            raise ValueError(f"message {sid} was sent without a StatusCallback")
        params = self._callback_params(message, status, error_code)
        headers = {
            "X-Twilio-Signature": rules.signature(self.auth_token, message.status_callback, params),
            "Content-Type": rules.FORM_TYPE,
            "User-Agent": rules.USER_AGENT,
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
        }
        target = self.reachable(message.status_callback)
        try:
            response = requests.post(target, data=params, headers=headers, timeout=10)
        except requests.RequestException as exc:
            self._record_callback(CallbackResult(sid, status, target, None, repr(exc)))
            raise
        self._record_callback(CallbackResult(sid, status, target, response.status_code))
        return response

    # -- internals -----------------------------------------------------------------------------------------------
    def _message(self, sid: str) -> SentMessage:
        with self._lock:
            for message in self.accepted:
                if message.sid == sid:
                    return message
        raise KeyError(f"no accepted message {sid}")

    def _record_callback(self, result: CallbackResult) -> None:
        with self._lock:
            self.callbacks.append(result)

    def _callback_params(self, message: SentMessage, status: str, error_code: int | None) -> dict[str, str]:
        # track-outbound-message-status: MessageSid, SmsSid, MessageStatus, SmsStatus, AccountSid, From, To,
        # ApiVersion (+ MessagingServiceSid when one was used, ErrorCode on failed/undelivered).
        sender = message.from_ or (sorted(self.numbers)[0] if self.numbers else None)
        params = {
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "AccountSid": self.account_sid,
            "To": message.to,
            "ApiVersion": rules.API_VERSION,
        }
        if sender:
            params["From"] = sender
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return params

    def _refuse(self, violation: rules.Violation, form: dict, headers: dict[str, str] | None = None) -> Reply:
        with self._lock:
            self.refused.append(Refusal(violation.http_status, violation.code, violation.message, form))
        body = rules.error_body(violation.http_status, violation.code, violation.message)
        return json_reply(violation.http_status, body, headers)

    def _authorized(self, request: Request) -> bool:
        # errors/20003: "All requests ... must use HTTP Basic Authentication ... Account SID as the username, and
        # your Auth Token as the password"
        scheme, _, encoded = request.header("Authorization").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(given.encode(), f"{self.account_sid}:{self.auth_token}".encode())

    def _handle(self, request: Request) -> Reply:
        if not self._authorized(request):
            auth = {"WWW-Authenticate": 'Basic realm="Twilio API"'}
            return self._refuse(rules.Violation(401, 20003, "Authenticate"), {}, auth)
        match = MESSAGES_PATH.match(request.path)
        # errors/20404: a path to a resource that does not exist, or an account the credentials do not own -> 404
        if not match or match.group(1) != self.account_sid:
            return self._refuse(rules.Violation(404, 20404, f"The requested resource {request.path} was not found"), {})
        # message-resource: Messages.json is created with POST (listing is out of this double's scope);
        # errors/20004 "Method not allowed"
        if request.method != "POST":
            return self._refuse(rules.Violation(405, 20004, "Method not allowed"), {})
        form, note = self._form(request)
        violation = rules.check_send(form, self.numbers, self.messaging_service_sids)
        if violation:
            return self._refuse(
                rules.Violation(violation.http_status, violation.code, violation.message + note), _flatten(form)
            )
        return self._send(form)

    def _form(self, request: Request) -> tuple[dict[str, list[str]], str]:
        # webhook-request / message-resource: Twilio's REST API takes application/x-www-form-urlencoded parameters;
        # anything else carries no parameters Twilio reads, so (as Twilio) the send then misses 'To'.
        if request.header("Content-Type").split(";")[0].strip().lower() != rules.FORM_TYPE:
            return {}, " (the body was not application/x-www-form-urlencoded)"
        return parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True), ""

    def _send(self, form: dict[str, list[str]]) -> Reply:
        to = form["To"][0]
        with self._lock:
            opted_out = to in self._opted_out
            failure = self._failures.pop(0) if self._failures and not opted_out else None
        # errors/21610 "Attempt to send to unsubscribed recipient" (the recipient replied STOP)
        if opted_out:
            violation = rules.Violation(400, 21610, "Attempt to send to unsubscribed recipient")
            return self._refuse(violation, _flatten(form))
        if failure is not None:
            violation = rules.Violation(failure, OUTAGE_CODES.get(failure), "Service unavailable (simulated outage)")
            return self._refuse(violation, _flatten(form))
        message = self._accept(form)
        return json_reply(201, self._resource(message))

    def _accept(self, form: dict[str, list[str]]) -> SentMessage:
        media = tuple(form.get("MediaUrl") or ())
        body = (form.get("Body") or [""])[0]
        message = SentMessage(
            sid=new_sid("MM" if media else "SM"),
            to=form["To"][0],
            from_=_one(form, "From"),
            messaging_service_sid=_one(form, "MessagingServiceSid"),
            body=body,
            media_urls=media,
            status_callback=_one(form, "StatusCallback"),
            created_at=time.time(),
            num_segments=max(count_segments(body), 1 if media else 0),
        )
        with self._lock:
            self.accepted.append(message)
            statuses = list(self.auto_status)
        if statuses and message.status_callback:
            thread = threading.Thread(target=self._auto_report, args=(message.sid, statuses), daemon=True)
            self._threads.append(thread)
            thread.start()
        return message

    def _auto_report(self, sid: str, statuses: list[str]) -> None:
        for status in statuses:
            time.sleep(0.05)
            try:
                self.report_status(sid, status)
            except requests.RequestException:
                return

    def _resource(self, message: SentMessage) -> dict:
        """The Message resource Twilio answers a create with (message-resource "Message Properties")."""
        base = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{message.sid}"
        via_service = message.messaging_service_sid is not None
        stamp = rfc2822(message.created_at)
        return {
            "account_sid": self.account_sid,
            "api_version": rules.API_VERSION,
            "body": message.body,
            "date_created": stamp,
            "date_sent": None,
            "date_updated": stamp,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": message.from_,
            "messaging_service_sid": message.messaging_service_sid,
            "num_media": str(len(message.media_urls)),
            # message-resource num_segments: "For messages sent via a Messaging Service, num_segments is initially 0"
            "num_segments": "0" if via_service else str(message.num_segments),
            "price": None,
            "price_unit": "USD",
            "sid": message.sid,
            # outbound-message-status-in-status-callbacks: initial status queued, or accepted with a Messaging Service
            "status": "accepted" if via_service else "queued",
            "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
            "to": message.to,
            "uri": f"{base}.json",
        }
