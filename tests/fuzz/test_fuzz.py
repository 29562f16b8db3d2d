"""Generated bad input against every endpoint of every process (``make fuzz``: thousands; ``make test``: a
quick form). No answer may be a server error (>= 500; none of the documented 503s apply to this stack), none
may take more than 10 s, no error may echo what it was sent, and every service must still be well afterwards.

``FUZZ_PROBES`` sets how many probes each endpoint family gets (default 40, the quick form); ``FUZZ_SEED``
the seed (a failure prints it with the probe, so it can be replayed).
"""

from __future__ import annotations

import os
import random
import time
from typing import Callable, Dict, Iterator, List
from urllib.parse import quote

import pytest
import requests
import socketio

from bot.channels.rcs import rbm_signature
from tests.actions.action_server import DOMAIN, tracker_payload
from tests.conftest import RBM_CLIENT_TOKEN, TWILIO
from tests.fuzz import inputs
from tests.fuzz.inputs import Probe
from tests.helpers import ACTION_TOKEN, API_TOKEN, REST_KEY, texts
from tests.providers.twilio_rules import signature as twilio_signature

PROBES = int(os.environ.get("FUZZ_PROBES", "40"))
SEED = int(os.environ.get("FUZZ_SEED", "1729"))
LIMIT_SECONDS = 10.0


def raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # what a client that does not check its strings sends


def send(base: str, probe: Probe) -> requests.Response:
    url = base + quote(raw(probe.path), safe="/%")
    if probe.query:
        url += "?" + "&".join(f"{quote(raw(k))}={quote(raw(v))}" for k, v in probe.query.items())
    headers = {key: raw(value).decode("latin-1") for key, value in probe.headers.items()}
    return requests.request(probe.method, url, headers=headers, data=probe.body, timeout=LIMIT_SECONDS + 5)


def run_family(base: str, probes: Iterator[Probe], count: int, echo_guard: bool = True) -> List[str]:
    problems = []
    for number, probe in zip(range(count), probes, strict=False):
        started = time.monotonic()
        try:
            reply = send(base, probe)
        except requests.exceptions.InvalidHeader:
            continue  # the client library will not send it (a header with a line break): nothing reaches a server
        except requests.RequestException as error:
            problems.append(f"#{number} {probe.label()}: {type(error).__name__}")
            continue
        took = time.monotonic() - started
        if reply.status_code >= 500 or took > LIMIT_SECONDS:
            problems.append(f"#{number} {probe.label()}: {reply.status_code} in {took:.1f}s: {reply.text[:200]}")
        elif (
            echo_guard
            and probe.body
            and len(probe.body) > 40
            and reply.status_code >= 400
            and (probe.body[:200].decode("utf-8", "replace") in reply.text)
        ):
            problems.append(f"#{number} {probe.label()}: the error echoes the request body")
    return problems


@pytest.fixture(scope="module")
def rng() -> random.Random:
    return random.Random(SEED)


def sign_sms(path: str, fields: Dict[str, str]) -> str:
    return twilio_signature(TWILIO["TWILIO_AUTH_TOKEN"], TWILIO["SMS_PUBLIC_URL"] + path, fields)


def desk_token(stack) -> str:
    reply = requests.post(f"{stack.desk_url}/desk/api/login", json={"agent": "sam", "password": "desk-pass-for-tests"},
                          timeout=10)  # fmt: skip
    return str(reply.json()["token"])


def action_call() -> Dict:
    return {"next_action": random.choice(["action_order_status", "validate_order_lookup_form", "action_handoff",
                                          "action_invoice_request", "action_clarify_intent", "no_such_action"]),
            "sender_id": "fuzz", "version": "3.6.2", "domain": DOMAIN,
            "tracker": tracker_payload("fuzz-actions", {"order_number": "10023"}, {}, "hi", "rest")}  # fmt: skip


FAMILIES: Dict[str, Callable] = {
    "rest": lambda stack, rng: (stack.rasa_url, inputs.rest(rng, REST_KEY)),
    "sms": lambda stack, rng: (stack.rasa_url, inputs.sms(rng, sign_sms)),
    "rcs": lambda stack, rng: (stack.rasa_url, inputs.rcs(rng, lambda data: rbm_signature(RBM_CLIENT_TOKEN, data))),
    "gateway": lambda stack, rng: (stack.rasa_url, inputs.gateway(rng, API_TOKEN)),
    "desk": lambda stack, rng: (stack.desk_url, inputs.desk(rng, desk_token(stack))),
    "actions": lambda stack, rng: (stack.actions_url, inputs.action_server(rng, ACTION_TOKEN, action_call)),
    "reference": lambda stack, rng: (
        stack.reference_url, inputs.reference(rng, stack.config.env["REFERENCE_API_TOKEN"])),
}  # fmt: skip


@pytest.mark.parametrize("family", list(FAMILIES))
def test_bad_input_never_breaks_a_service(stack, rng, family):
    base, probes = FAMILIES[family](stack, rng)
    problems = run_family(base, probes, PROBES)
    assert not problems, f"seed {SEED}:\n" + "\n".join(problems[:20])


def test_malformed_socketio_events_leave_web_chat_working(stack, rng):
    client = socketio.Client()
    replies: List[dict] = []
    client.on("bot_uttered", replies.append)
    client.connect(stack.rasa_url, socketio_path="/socket.io", transports=["polling"])
    try:
        for _ in range(PROBES):
            event = rng.choice(["user_uttered", "session_request"])
            odd = [{"session_id": rng.choice(inputs.NASTY_VALUES), "message": {"a": 1}}, {"message": "hi"},
                   {"session_id": "x" * 5000, "message": "hi"}]  # fmt: skip
            client.emit(event, rng.choice(inputs.NASTY_VALUES + inputs.NASTY_STRINGS[:8] + odd))
        time.sleep(1)
        assert client.connected
    finally:
        client.disconnect()


def test_every_service_is_well_afterwards(stack, chat):
    for url in (f"{stack.rasa_url}/", f"{stack.actions_url}/health", f"{stack.desk_url}/health",
                f"{stack.reference_url}/health"):  # fmt: skip
        assert requests.get(url, timeout=10).status_code == 200, url
    assert "order number" in texts(chat("where is my order"))
