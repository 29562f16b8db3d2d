"""Several Rasa workers on the production profile: a worker killed mid-load
loses nothing, and a web-chat push reaches a customer on any worker."""

from __future__ import annotations

import asyncio
import queue
import time
import uuid
from typing import Iterator

import psutil
import pytest
import requests
import socketio

from bench.audit import audit_conversation, totals
from bench.faults import kill_rasa_worker
from bench.reliability import stored_events
from bench.resilient import Outcome, customers
from bench.scenarios import ConversationPicker, load_conversations
from bot.launcher import Stack
from tests.helpers import API_TOKEN, REST_HEADERS
from tests.production.conftest import SETTINGS, production_stack


@pytest.fixture(scope="module")
def workers(trained_model, tmp_path_factory) -> Iterator[Stack]:
    with production_stack(trained_model, tmp_path_factory.mktemp("workers"), rasa_workers=3, action_workers=2) as stack:
        yield stack


def live_children(stack: Stack, service: str) -> list:
    """Worker processes still running (a killed one lingers as a zombie until reaped)."""
    children = psutil.Process(stack.services[service].process.pid).children()  # type: ignore[union-attr]
    return [c for c in children if c.status() != psutil.STATUS_ZOMBIE]


def test_the_launcher_starts_the_workers_it_was_asked_for(workers):
    assert len(live_children(workers, "rasa")) == 3
    assert len(live_children(workers, "actions")) == 2


def test_an_agents_reply_reaches_a_web_chat_customer_whichever_worker_holds_the_socket(workers):
    """Each hand-off effect lands on some worker; the Redis client manager relays its emit to the socket's worker."""
    replies: queue.Queue[dict] = queue.Queue()
    confirmed: queue.Queue[str] = queue.Queue()
    client = socketio.Client()
    client.on("bot_uttered", replies.put)
    client.on("session_confirm", confirmed.put)
    # One websocket connection stays on one worker (polling needs sticky sessions: docs/deploy.md).
    client.connect(workers.rasa_url, socketio_path="/socket.io", transports=["websocket"])
    try:
        client.emit("session_request", {})
        session_id = confirmed.get(timeout=10).split(".")[0]  # the server issues the session
        for number in range(8):
            effect = {"id": str(uuid.uuid4()), "conversation_id": session_id, "channel": "socketio",
                      "kind": "agent_message", "text": f"agent says {number}", "agent": "sam"}  # fmt: skip
            reply = requests.post(f"{workers.rasa_url}/webhooks/handoff/effects", json=effect,
                                  headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=10)  # fmt: skip
            assert reply.status_code == 200 and reply.json()["applied"] is True
        received = sorted(replies.get(timeout=10)["text"] for _ in range(8))
    finally:
        client.disconnect()
    assert received == sorted(f"agent says {n}" for n in range(8))


def test_killing_a_worker_mid_load_loses_no_message(workers):
    """Customers keep talking while one worker is SIGKILLed; every conversation is
    then checked against what its customer sent."""
    run_id = f"kill{uuid.uuid4().hex[:6]}"
    outcome = Outcome()

    async def load_with_a_kill() -> None:
        picker = ConversationPicker(load_conversations(), seed=3)
        load = asyncio.ensure_future(customers(workers.rasa_url, picker, 12, 20, 0.3, run_id, outcome,
                                               headers=REST_HEADERS))  # fmt: skip
        await asyncio.sleep(7)
        await asyncio.to_thread(kill_rasa_worker, workers.services["rasa"].process.pid)  # type: ignore[union-attr]
        await load

    asyncio.run(load_with_a_kill())
    assert len(live_children(workers, "rasa")) == 2
    events = stored_events(SETTINGS, f"{workers.config.database_prefix}_trackers", run_id)
    audit = totals([audit_conversation(s, sent, events.get(s, [])) for s, sent in outcome.sent.items()])
    answered = sum(m.acknowledged for sent in outcome.sent.values() for m in sent)
    assert outcome.gave_up == 0 and answered > 100
    assert (audit.lost, audit.duplicated, audit.reordered, audit.unfinished_turns) == (0, 0, 0, 0)
    # The conversations go on on the remaining workers.
    reply = requests.post(f"{workers.rasa_url}/webhooks/rest/webhook", json={"sender": run_id, "message": "hi"},
                          headers=REST_HEADERS, timeout=30)  # fmt: skip
    assert reply.status_code == 200 and reply.json()


def test_while_redis_is_down_messages_get_a_clean_503_and_a_resend_works_after(workers):
    """Redis holds the conversation locks: without it no turn may run. The customer
    gets 503 + Retry-After and an apology; resent with the same id once Redis is
    back (restarted empty, as configured here), the message is processed once."""
    from bench.faults import START_COMMANDS, shell, wait_for_port, wait_until_closed

    sender = f"redis-{uuid.uuid4().hex[:8]}"
    url = f"{workers.rasa_url}/webhooks/rest/webhook"
    body = {"sender": sender, "message": "where is my order 10023", "message_id": "m-1"}
    shell("redis-cli -p 6379 shutdown nosave")
    try:
        wait_until_closed(("127.0.0.1", 6379))
        refused = requests.post(url, json=body, headers=REST_HEADERS, timeout=30)
    finally:
        shell(START_COMMANDS["Redis"])
        wait_for_port(("127.0.0.1", 6379))
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert "something went wrong on our side" in refused.json()[0]["text"]
    deadline, answer = time.monotonic() + 30, None
    while time.monotonic() < deadline:  # the workers reconnect to Redis by themselves
        answer = requests.post(url, json=body, headers=REST_HEADERS, timeout=30)
        if answer.status_code == 200:
            break
        time.sleep(0.5)
    assert answer is not None and answer.status_code == 200
    assert "email address or phone number" in " ".join(m.get("text") or "" for m in answer.json())
    events = requests.get(f"{workers.rasa_url}/conversations/{sender}/tracker", params={"token": API_TOKEN},
                          timeout=10).json()["events"]  # fmt: skip
    assert [e.get("message_id") for e in events if e["event"] == "user"] == ["m-1"]


def test_a_card_number_typed_over_two_messages_is_removed_from_postgresql_too(workers):
    """The second half is cut before Rasa sees it and the first is scrubbed where PostgreSQL stored it."""
    run = f"split{uuid.uuid4().hex[:8]}"
    sender = f"{run}-1"
    for text in ("my card is 4111 1111", "1111 1111"):
        reply = requests.post(f"{workers.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                              headers=REST_HEADERS, timeout=30)  # fmt: skip
        assert reply.status_code == 200
    events = stored_events(SETTINGS, f"{workers.config.database_prefix}_trackers", run)[sender]
    said = [e.get("text") for e in events if e.get("event") == "user"]
    assert said == ["my card is [card number removed]", "[card number removed]"]
    assert "4111 1111" not in str(events) and "1111 1111" not in str(events)
