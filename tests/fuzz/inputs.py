"""Bad inputs, generated from a seed: what a careless client, a broken integration or an attacker sends.

Each generator yields ``Probe``s (a method, a path, headers, a body) for one endpoint family. They are not
random noise only: most start from a well-formed request and break one thing - a missing field, a wrong type,
a huge or deeply nested value, a lone surrogate, bytes that are not UTF-8 - because that is what gets past the
first check and finds the second.
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List

NASTY_STRINGS = [
    "", " ", "\x00", "\u202e\u202d", "\ud800", "\udfff", "😀" * 300, "a" * 70_000, "%00%2e%2e%2f", "../../etc/passwd",
    "<script>alert(1)</script>", "' OR 1=1 --", "${jndi:ldap://x}", "{{7*7}}", "\r\nSet-Cookie: x=y", "null",
    "NaN", "-1", "1e309", "9" * 400, "+15552014477", "/restart", "/EXTERNAL_handback", "STOP", "\t\n\r", "ｆｕｌｌ",
    "4111 1111 1111 1111", "A" * 129, "é" * 2000,
]  # fmt: skip
NASTY_VALUES: List[Any] = [None, True, 0, -1, 2**63, 2**64 + 1, 1.5e308, [], {}, [None] * 50, {"a": {"b": {}}}, "x"]


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    headers: Dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    query: Dict[str, str] | None = None

    def label(self) -> str:
        return f"{self.method} {self.path} {self.body[:80]!r}" if self.body else f"{self.method} {self.path}"


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def raw_bodies(rng: random.Random) -> bytes:
    """Bodies broken at the byte level."""
    choice = rng.randrange(8)
    if choice == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
    if choice == 1:
        return nested(rng.choice([100, 1000, 20_000]))
    if choice == 2:
        return b'{"a":' * rng.choice([500, 5000]) + b"1" + b"}" * rng.choice([500, 5000])
    if choice == 3:
        return b"\xff\xfe\x00{"
    if choice == 4:
        return b'{"' + b"k" * 10_000 + b'": 1}'
    if choice == 5:
        return json.dumps(rng.choice(NASTY_VALUES)).encode()
    if choice == 6:
        return b""
    return b'{"sender": "\\ud800", "message": "\\udc00"}'


def mutate(template: Dict[str, Any], rng: random.Random) -> Any:
    """``template`` with one thing broken."""
    body = json.loads(json.dumps(template))
    keys = list(body)
    choice = rng.randrange(6)
    key = rng.choice(keys) if keys else "x"
    if choice == 0 and keys:
        body.pop(key)
    elif choice == 1:
        body[key] = rng.choice(NASTY_VALUES)
    elif choice == 2:
        body[key] = rng.choice(NASTY_STRINGS)
    elif choice == 3:
        body[rng.choice(NASTY_STRINGS[:10]) or "extra"] = rng.choice(NASTY_VALUES)
    elif choice == 4:
        return rng.choice([[body], body.get(key), "just a string", 42])
    else:
        value = body.get(key)
        for _ in range(rng.choice([50, 2000])):
            value = {"deeper": value}
        body[key] = value
    return body


def as_json(value: Any) -> bytes:
    # ensure_ascii keeps lone surrogates as \\udxxx escapes: the server must cope with what they decode to
    try:
        return json.dumps(value).encode()
    except (RecursionError, ValueError):
        return nested(3000)


JSON = {"Content-Type": "application/json"}


def rest(rng: random.Random, key: str) -> Iterator[Probe]:
    template = {"sender": f"fuzz-{uuid.uuid4().hex[:6]}", "message": "hello", "metadata": {"page": "/x"},
                "message_id": "m-1"}  # fmt: skip
    while True:
        roll = rng.randrange(10)
        wrong = {"Authorization": rng.choice(NASTY_STRINGS)}
        auth = {"Authorization": f"Bearer {key}"} if rng.random() < 0.9 else wrong
        if roll < 3:
            yield Probe("POST", "/webhooks/rest/webhook", {**JSON, **auth}, raw_bodies(rng))
        elif roll < 8:
            yield Probe("POST", "/webhooks/rest/webhook", {**JSON, **auth}, as_json(mutate(template, rng)))
        else:
            query = {"sender": rng.choice(NASTY_STRINGS), "after": rng.choice(["nan", "inf", "-1e309", "x", "", "1"])}
            token = {"X-Conversation-Token": rng.choice(NASTY_STRINGS[:12])}
            yield Probe("GET", "/webhooks/rest/messages", auth if rng.random() < 0.5 else token, query=query)


def form(fields: Dict[str, str]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode()


def sms(rng: random.Random, sign: Callable[[str, Dict[str, str]], str]) -> Iterator[Probe]:
    """Twilio's webhooks, most signed (so they get past the signature to the parsing)."""
    while True:
        path = rng.choice(["/webhooks/sms/webhook", "/webhooks/sms/status"])
        fields = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": "+1555" + "".join(rng.choices(string.digits, k=7)),
                  "To": "+15550000000", "Body": "hi", "NumMedia": "0", "MessageStatus": "delivered"}  # fmt: skip
        for _ in range(rng.randrange(1, 4)):
            name = rng.choice(list(fields) + ["MediaUrl0", "MediaContentType0", "ErrorCode", "NumMedia"])
            fields[name] = rng.choice(NASTY_STRINGS + ["-1", "abc", "999999", "http://x", ""])
        fields = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in fields.items()}
        if rng.random() < 0.15:
            yield Probe("POST", path, {"Content-Type": "application/x-www-form-urlencoded",
                                       "X-Twilio-Signature": "Zm9yZ2Vk"}, raw_bodies(rng))  # fmt: skip
            continue
        signature = sign(path, fields)
        yield Probe("POST", path, {"Content-Type": "application/x-www-form-urlencoded",
                                   "X-Twilio-Signature": signature}, form(fields))  # fmt: skip


def rcs(rng: random.Random, signature: Callable[[bytes], str]) -> Iterator[Probe]:
    """RBM's pushes, most signed with the client token."""
    template = {"senderPhoneNumber": "+15560001111", "messageId": str(uuid.uuid4()), "agentId": "support-bot-agent",
                "text": "hello", "sendTime": "2026-12-01T10:00:00.123456789Z"}  # fmt: skip
    variants = [
        {"suggestionResponse": {"postbackData": "/order_status", "text": "Track"}},
        {"userFile": {"payload": {"fileUri": "https://x/y", "mimeType": "image/png"}}},
        {"location": {"latitude": "north", "longitude": 999}},
        {"eventType": "READ", "eventId": "e1"}, {"eventType": "UNSUBSCRIBE"}, {"eventType": ["x"]},
        {"clientToken": "nope", "secret": "s"},
    ]  # fmt: skip
    while True:
        payload = {**template, **rng.choice(variants), "messageId": str(uuid.uuid4())}
        payload = mutate(payload, rng) if rng.random() < 0.7 else payload
        data = as_json(payload)
        if rng.random() < 0.2:
            yield Probe("POST", "/webhooks/rcs/webhook", JSON, raw_bodies(rng))
            continue
        envelope = {"message": {"data": base64.b64encode(data).decode(), "messageId": "1"}}
        headers = {**JSON, "X-Goog-Signature": signature(data) if rng.random() < 0.8 else "AAAA"}
        yield Probe("POST", "/webhooks/rcs/webhook", headers, as_json(envelope))


def gateway(rng: random.Random, token: str) -> Iterator[Probe]:
    effect = {"id": str(uuid.uuid4()), "conversation_id": "fuzz-gw", "kind": "agent_message", "text": "hi",
              "agent": "sam", "channel": "rest"}  # fmt: skip
    while True:
        path = rng.choice(["/webhooks/handoff/effects", "/webhooks/handoff/transcript"])
        auth = {"Authorization": f"Bearer {token}"} if rng.random() < 0.8 else {"Authorization": "Bearer nope"}
        body = as_json(mutate({**effect, "id": str(uuid.uuid4())}, rng)) if rng.random() < 0.7 else raw_bodies(rng)
        yield Probe("POST", path, {**JSON, **auth}, body)


def desk(rng: random.Random, token: str) -> Iterator[Probe]:
    auth = {"Authorization": f"Bearer {token}"}
    while True:
        roll = rng.randrange(4)
        if roll == 0:
            login = mutate({"agent": "sam", "password": "x"}, rng)
            yield Probe("POST", "/desk/api/login", JSON, as_json(login) if rng.random() < 0.6 else raw_bodies(rng))
        elif roll == 1:
            ticket = rng.choice(["1", "0", "-1", str(2**63), "99999999999999999999", "abc", "1.5", "%00", "é"])
            yield Probe("GET", f"/desk/api/tickets/{ticket}", auth)
        else:
            ticket = rng.choice(["1", "2", str(2**40), "x"])
            action = rng.choice(["claim", "reply", "note", "resolve", "return", "redeliver", "takeover", "zap", ""])
            body = as_json(mutate({"text": "hello"}, rng)) if rng.random() < 0.7 else raw_bodies(rng)
            yield Probe("POST", f"/desk/api/tickets/{ticket}/{action}", {**JSON, **auth}, body)


def action_server(rng: random.Random, token: str, call: Callable[[], Dict[str, Any]]) -> Iterator[Probe]:
    auth = {"Authorization": f"Bearer {token}"}
    while True:
        if rng.random() < 0.3:
            yield Probe("POST", "/webhook", {**JSON, **auth}, raw_bodies(rng))
            continue
        body = call()
        if rng.random() < 0.5:
            body = mutate(body, rng)
        else:
            body["tracker"] = mutate(body["tracker"], rng)
        yield Probe("POST", "/webhook", {**JSON, **auth}, as_json(body))


def reference(rng: random.Random, token: str) -> Iterator[Probe]:
    auth = {"Authorization": f"Bearer {token}"}
    routes = [("GET", "/orders/{n}"), ("POST", "/orders/{n}/verify"), ("POST", "/orders/{n}/cancel"),
              ("POST", "/orders/{n}/address"), ("POST", "/orders/{n}/returns"), ("GET", "/orders/{n}/refunds"),
              ("GET", "/customers"), ("POST", "/customers/{n}/verify"), ("GET", "/customers/{n}/payments"),
              ("POST", "/customers/{n}/payment-link"), ("POST", "/customers/{n}/password-reset"),
              ("GET", "/invoices/{n}"), ("POST", "/invoices/{n}/send"), ("POST", "/disputes")]  # fmt: skip
    template = {"email": "maria.keller@example.com", "phone": "+15552014477", "address": "1 High St", "item": "T",
                "reason": "broken", "payment_id": "P1", "customer_id": "C1", "description": "x"}  # fmt: skip
    while True:
        method, route = rng.choice(routes)
        number = rng.choice(["10023", "C1", "INV-20931", "x" * 3000, "%2e%2e", "é", "0", "-1"])
        headers = {**JSON, **auth}
        if rng.random() < 0.3:
            headers["Idempotency-Key"] = rng.choice(NASTY_STRINGS[:12] + ["k" * 5000])
        body = as_json(mutate(template, rng)) if rng.random() < 0.7 else raw_bodies(rng)
        query = {"email": rng.choice(NASTY_STRINGS)} if route == "/customers" else None
        yield Probe(method, route.format(n=number), headers, body if method == "POST" else None, query)
