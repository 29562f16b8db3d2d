"""A test double of Google RCS Business Messaging (RBM), written from Google's public RBM reference and guides.

:class:`RbmDouble` serves the RBM API (``phones.agentMessages.create``, ``phones.agentEvents.create``) and an OAuth 2.0
token endpoint for service accounts on loopback, refusing what Google would refuse with Google's error bodies (rules
in :mod:`tests.providers.rbm_rules` and :mod:`tests.providers.google_oauth`). :class:`RbmWebhooks` plays what the
RBM platform POSTs to an agent's webhook: the registration handshake and signed user messages and events.

Pages cited (under https://developers.google.com/business-communications/rcs-business-messaging/):
``reference/rest/v1/phones.agentMessages/create`` (*create ref*), ``guides/integrate/webhooks`` (*webhooks guide*),
``reference/rest/v1/UserMessage``, ``UserEvent``, ``UserFile``, ``SuggestionResponse``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote

import requests

from tests.providers import rbm_rules
from tests.providers._server import LoopbackServer, Reply, Request, json_reply
from tests.providers.google_oauth import GoogleTokenEndpoint
from tests.providers.twilio_rules import E164

RBM_SCOPE = "https://www.googleapis.com/auth/rcsbusinessmessaging"
ROUTE = re.compile(r"^/v1/phones/([^/]+)/(agentMessages|agentEvents)$")
# Google API error statuses by HTTP code (google.rpc.Code as Google's REST APIs map it).
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
USER_EVENT_TYPES = ("DELIVERED", "READ", "IS_TYPING", "UNSUBSCRIBE", "SUBSCRIBE")  # UserEvent.EventType


@dataclass(frozen=True)
class AgentMessage:
    """A message the double accepted (HTTP 200): the E.164 phone from the path, ids, the contentMessage, the body."""

    phone: str
    message_id: str
    agent_id: str
    content: dict
    body: dict
    received_at: float


@dataclass(frozen=True)
class AgentEventRecord:
    """An agent event (IS_TYPING / READ) the double accepted."""

    phone: str
    event_id: str
    event_type: str
    message_id: str | None
    received_at: float


@dataclass(frozen=True)
class RbmRefusal:
    """A request the double refused: HTTP status, Google's error status, the rule, the path and the raw body."""

    http_status: int
    status: str
    reason: str
    path: str
    body: bytes


def rfc3339_now() -> str:
    """Now as Google writes timestamps: RFC 3339, UTC, 'Z', microseconds."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def google_error(http_status: int, message: str) -> dict:
    """Google's REST error body: ``{"error": {"code", "message", "status"}}``."""
    return {"error": {"code": http_status, "message": message, "status": STATUS_NAMES.get(http_status, "UNKNOWN")}}


def client_id() -> str:
    """An id like the ones a user's RCS client assigns to messages and events."""
    return "Mx" + secrets.token_urlsafe(16)


class RbmWebhooks:
    """What the RBM platform POSTs to ``webhook_url``; every method returns the webhook's response."""

    def __init__(self, client_token: str, webhook_url: str, agent_id: str) -> None:
        self.client_token, self.webhook_url, self.agent_id = client_token, webhook_url, agent_id
        self.last_secret = ""
        self.pushed: list[dict] = []

    def verify(self) -> requests.Response:
        """The registration handshake: POST ``{"clientToken", "secret"}``; the caller checks the answer."""
        # webhooks guide: the platform sends a POST whose JSON body holds clientToken and secret
        self.last_secret = secrets.token_urlsafe(24)
        body = {"clientToken": self.client_token, "secret": self.last_secret}
        return requests.post(self.webhook_url, json=body, timeout=10)

    @staticmethod
    def handshake_ok(response: requests.Response, secret: str) -> bool:
        """webhooks guide: the agent answers 200 with the secret as the plain-text body (not JSON, nothing else)."""
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        return response.status_code == 200 and response.text == secret and content_type != "application/json"

    def signature(self, data: bytes) -> str:
        """webhooks guide: base64(HMAC-SHA512(key = client token, message = the decoded ``message.data`` bytes))."""
        digest = hmac.new(self.client_token.encode("utf-8"), data, hashlib.sha512).digest()
        return base64.b64encode(digest).decode("ascii")

    def push(self, data: dict, signature: str | None = None) -> requests.Response:
        """POST ``data`` in the Pub/Sub push envelope with X-Goog-Signature (``signature`` overrides, for forgeries)."""
        raw = json.dumps(data).encode("utf-8")
        published, push_id = rfc3339_now(), str(secrets.randbelow(10**16))
        envelope = {
            "message": {
                "data": base64.b64encode(raw).decode("ascii"),
                "messageId": push_id,
                "message_id": push_id,
                "publishTime": published,
                "publish_time": published,
            },
            "subscription": f"projects/rbm-{self.agent_id.split('@')[0]}/subscriptions/rbm-webhook",
        }
        headers = {
            "X-Goog-Signature": signature if signature is not None else self.signature(raw),
            "User-Agent": "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)",
        }
        self.pushed.append(data)
        return requests.post(self.webhook_url, json=envelope, headers=headers, timeout=10)

    def _user_message(self, phone: str, content: dict, message_id: str | None = None) -> requests.Response:
        # UserMessage: senderPhoneNumber, messageId, sendTime, agentId + one of text/userFile/location/
        # suggestionResponse
        data = {
            "senderPhoneNumber": phone,
            "messageId": message_id or client_id(),
            "sendTime": rfc3339_now(),
            "agentId": self.agent_id,
            **content,
        }
        return self.push(data)

    def text(self, phone: str, text: str, message_id: str | None = None) -> requests.Response:
        """A typed text message from ``phone``."""
        return self._user_message(phone, {"text": text}, message_id)

    def suggestion(self, phone: str, postback_data: str, text: str, kind: str = "REPLY") -> requests.Response:
        """The user tapped a suggestion (SuggestionResponse: postbackData, text, type REPLY or ACTION)."""
        if kind not in ("REPLY", "ACTION"):
            raise ValueError(f"SuggestionResponse.type is REPLY or ACTION, not {kind!r}")
        return self._user_message(
            phone, {"suggestionResponse": {"postbackData": postback_data, "text": text, "type": kind}}
        )

    def file(self, phone: str, uri: str, mime_type: str, name: str, size: int) -> requests.Response:
        """The user sent a file (UserFile.payload FileInfo; a thumbnail too for images and videos)."""
        user_file: dict = {"payload": {"mimeType": mime_type, "fileSizeBytes": size, "fileUri": uri, "fileName": name}}
        # UserFile.thumbnail: "(Optional) A thumbnail representing the file. Usually sent alongside image and video"
        if mime_type.startswith(("image/", "video/")):
            user_file["thumbnail"] = {
                "mimeType": "image/jpeg",
                "fileSizeBytes": min(size, 9000),
                "fileUri": uri + "-thumbnail",
                "fileName": f"thumbnail-{name}.jpg",
            }
        return self._user_message(phone, {"userFile": user_file})

    def location(self, phone: str, latitude: float, longitude: float) -> requests.Response:
        """The user shared a location (LatLng)."""
        return self._user_message(phone, {"location": {"latitude": latitude, "longitude": longitude}})

    def event(self, phone: str, event_type: str, message_id: str, event_id: str | None = None) -> requests.Response:
        """A UserEvent; messageId is sent only for DELIVERED and READ, as the reference says it is populated."""
        if event_type not in USER_EVENT_TYPES:
            raise ValueError(f"{event_type!r} is not a UserEvent.EventType")
        data = {
            "senderPhoneNumber": phone,
            "eventType": event_type,
            "eventId": event_id or client_id(),
            "sendTime": rfc3339_now(),
            "agentId": self.agent_id,
        }
        if event_type in ("DELIVERED", "READ"):
            data["messageId"] = message_id
        return self.push(data)


class RbmDouble:
    """The RBM API and its token endpoint on loopback. Use as a context manager; ``url`` is known once built.

    Callers may rely on: ``accepted`` / ``refused`` being appended before the HTTP answer; a refused send never
    counting as delivered; ``service_account_info()`` keys being accepted by ``google.oauth2.service_account``.
    """

    def __init__(self, agent_id: str, webhook: RbmWebhooks | None = None) -> None:
        self.agent_id, self.webhook = agent_id, webhook
        self.accepted: list[AgentMessage] = []
        self.refused: list[RbmRefusal] = []
        self.events: list[AgentEventRecord] = []
        self.auto_receipts = False
        self._without_rcs: set[str] = set()
        self._used_ids: set[str] = set()
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._server = LoopbackServer(self._handle)
        self.url = self._server.url
        self.token_uri = f"{self.url}/token"
        self.oauth = GoogleTokenEndpoint(self.token_uri)

    def __enter__(self) -> RbmDouble:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.settle()
        self._server.stop()

    def service_account_info(self) -> dict:
        """A fresh service-account JSON key (RSA, generated here) whose token_uri is this double's."""
        return self.oauth.new_service_account()

    def messages_to(self, phone: str) -> list[AgentMessage]:
        """Accepted messages to ``phone`` (E.164), in acceptance order."""
        with self._lock:
            return [message for message in self.accepted if message.phone == phone]

    def without_rcs(self, phone: str) -> None:
        """``phone`` cannot receive RCS: sends and events to it get 404 NOT_FOUND."""
        with self._lock:
            self._without_rcs.add(phone)

    def fail_next(self, count: int, http_status: int = 503) -> None:
        """The next ``count`` otherwise-valid sends fail like a Google outage; nothing is delivered for them."""
        with self._lock:
            self._failures.extend([http_status] * count)

    def settle(self, timeout: float = 5.0) -> None:
        """Wait for the background ``auto_receipts`` pushes started so far."""
        for thread in list(self._threads):
            thread.join(timeout)

    # -- request handling ----------------------------------------------------------------------------------------
    def _refuse(self, request: Request, http_status: int, reason: str, headers: dict | None = None) -> Reply:
        status = STATUS_NAMES.get(http_status, "UNKNOWN")
        with self._lock:
            self.refused.append(RbmRefusal(http_status, status, reason, request.path, request.body))
        return json_reply(http_status, google_error(http_status, reason), headers)

    def _handle(self, request: Request) -> Reply:
        if request.path == "/token":
            return self.oauth.handle(request)
        route = ROUTE.match(request.path)
        # the double serves phones.agentMessages.create and phones.agentEvents.create (POST); any other path or
        # method is answered as Google answers an unknown one, 404
        if not route or request.method != "POST":
            return self._refuse(request, 404, f"Method not found: {request.method} {request.path}")
        scheme, _, token = request.header("Authorization").partition(" ")
        issued = self.oauth.lookup(token.strip()) if scheme.lower() == "bearer" else None
        # create ref "Authorization scopes": requires an OAuth 2.0 access token; none or an unknown one -> 401
        if issued is None:
            return self._refuse(
                request,
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 "
                "access token, login cookie or other valid authentication credential.",
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        # create ref "Authorization scopes": https://www.googleapis.com/auth/rcsbusinessmessaging
        if RBM_SCOPE not in issued.scopes:
            return self._refuse(request, 403, "Request had insufficient authentication scopes.")
        phone = unquote(route.group(1))
        # create ref: parent is "phones/{E.164}" -- the user's phone number in E.164 format
        if not E164.match(phone):
            return self._refuse(request, 400, f"Invalid phone number in resource name: {phone!r} is not E.164")
        query = parse_qs(request.query, keep_blank_values=True)
        id_param = "messageId" if route.group(2) == "agentMessages" else "eventId"
        item_id, agent = (query.get(id_param) or [""])[0], (query.get("agentId") or [""])[0]
        # create ref: messageId "Required ... This must be a UUID, as defined in RFC 9562" (8-4-4-4-12 form);
        # agentEvents ref: eventId likewise
        if not rbm_rules.UUID.match(item_id):
            return self._refuse(request, 400, f"{id_param} is required and must be a UUID, got {item_id!r}")
        # create ref: agentId "Required. The unique identifier of the agent."
        if not agent:
            return self._refuse(request, 400, "agentId is required")
        # an agent the caller does not own -> PERMISSION_DENIED (Google's "The caller does not have permission")
        if agent != self.agent_id:
            return self._refuse(request, 403, "The caller does not have permission")
        try:
            body = self._json_body(request)
            check = rbm_rules.check_agent_message if id_param == "messageId" else rbm_rules.check_agent_event
            check(body)
        except rbm_rules.Invalid as exc:
            return self._refuse(request, 400, str(exc))
        return self._deliver(request, phone, item_id, body, id_param)

    @staticmethod
    def _json_body(request: Request) -> dict:
        # send guide "Message size limits": the entire stringified AgentMessage is at most 250 KB
        if len(request.body) > rbm_rules.BODY_LIMIT:
            raise rbm_rules.Invalid(f"The AgentMessage is {len(request.body)} bytes; the limit is 250 KB")
        # Google REST APIs take the request body as JSON (create ref "Request body": an AgentMessage instance)
        if request.header("Content-Type").split(";")[0].strip().lower() != "application/json":
            raise rbm_rules.Invalid("Invalid JSON payload received. The body must be application/json.")
        try:
            return json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise rbm_rules.Invalid(f"Invalid JSON payload received. {exc}") from exc

    def _deliver(self, request: Request, phone: str, item_id: str, body: dict, id_param: str) -> Reply:
        with self._lock:
            # UUIDs compare case-insensitively (RFC 9562), so the same id in another case is the same id
            reused, no_rcs = item_id.lower() in self._used_ids, phone in self._without_rcs
            sending = id_param == "messageId" and self._failures and not (reused or no_rcs)
            failure = self._failures.pop(0) if sending else None
        # create ref: "The platform ignores any agent message sent with an ID that was used by an earlier message or
        # event sent from the same agent" -- it is not delivered again; as a create whose resource name already
        # exists, Google's API design rule (AIP-133) answers 409 ALREADY_EXISTS. The scope is the whole agent.
        if reused:
            return self._refuse(request, 409, "Requested entity already exists")
        # create ref: "The user must be RCS-enabled and reachable ... Otherwise, the agent receives a 404 error code"
        if no_rcs:
            return self._refuse(request, 404, "Requested entity was not found.")
        if failure is not None:
            return self._refuse(request, failure, "The service is currently unavailable. (simulated outage)")
        with self._lock:
            self._used_ids.add(item_id.lower())
        if id_param == "eventId":
            return self._accept_event(phone, item_id, body)
        return self._accept_message(phone, item_id, body)

    def _accept_event(self, phone: str, event_id: str, body: dict) -> Reply:
        record = AgentEventRecord(phone, event_id, body["eventType"], body.get("messageId"), time.time())
        with self._lock:
            self.events.append(record)
        answer = {"name": f"phones/{phone}/agentEvents/{event_id}", "sendTime": rfc3339_now(), **body}
        return json_reply(200, answer)

    def _accept_message(self, phone: str, message_id: str, body: dict) -> Reply:
        message = AgentMessage(phone, message_id, self.agent_id, body["contentMessage"], body, time.time())
        with self._lock:
            self.accepted.append(message)
        if self.auto_receipts and self.webhook is not None:
            thread = threading.Thread(target=self._receipts, args=(phone, message_id), daemon=True)
            self._threads.append(thread)
            thread.start()
        # create ref "Response body": the newly created AgentMessage (name, sendTime, contentMessage, ...)
        answer = {
            "name": f"phones/{phone}/agentMessages/{message_id}",
            "sendTime": rfc3339_now(),
            "contentMessage": body["contentMessage"],
        }
        if "messageTrafficType" in body:
            answer["messageTrafficType"] = body["messageTrafficType"]
        # agentMessages ref expireTime: "provided on output if it is set or if the TTL field is set"
        if body.get("expireTime") or body.get("ttl"):
            ttl = timedelta(seconds=float(body["ttl"][:-1])) if body.get("ttl") else None
            expiry = datetime.now(timezone.utc) + ttl if ttl else rbm_rules.parse_timestamp(body["expireTime"])
            answer["expireTime"] = expiry.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return json_reply(200, answer)

    def _receipts(self, phone: str, message_id: str) -> None:
        assert self.webhook is not None
        for event_type in ("DELIVERED", "READ"):
            time.sleep(0.05)
            try:
                self.webhook.event(phone, event_type, message_id)
            except requests.RequestException:
                return
