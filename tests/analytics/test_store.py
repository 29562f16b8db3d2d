"""The analytics store folds Rasa events into conversations: each event counted once, in any order."""

from __future__ import annotations

import random
from typing import Any, Dict, List

import pytest

from analytics.fold import StreamEvent, stream_event
from analytics.settings import AnalyticsSettings
from analytics.store import AnalyticsStore

CONFIG = AnalyticsSettings(fallback_actions=frozenset({"action_clarify_intent"}))


def user(t: float, text: str, intent: str, confidence: float = 0.9, channel: str = "sms") -> Dict[str, Any]:
    ranking = [{"name": intent, "confidence": confidence}]
    parse = {"intent": {"name": intent, "confidence": confidence}, "intent_ranking": ranking}
    return {"event": "user", "timestamp": t, "text": text, "input_channel": channel, "parse_data": parse}


def order_form_left_open(start: float) -> List[Dict[str, Any]]:
    return [
        {"event": "session_started", "timestamp": start},
        user(start + 1, "where is my order", "order_status"),
        {"event": "slot", "timestamp": start + 1.1, "name": "task", "value": "order_status"},
        {"event": "active_loop", "timestamp": start + 1.2, "name": "order_lookup_form"},
        {"event": "slot", "timestamp": start + 1.3, "name": "requested_slot", "value": "order_number"},
        user(start + 2, "10042", "inform"),
        {"event": "slot", "timestamp": start + 2.1, "name": "requested_slot", "value": "customer_contact"},
    ]


def events(sender: str, bodies: List[Dict[str, Any]]) -> List[StreamEvent]:
    return [e for e in (stream_event(sender, b) for b in bodies) if e is not None]


@pytest.fixture
def store(tmp_path: Any) -> AnalyticsStore:
    return AnalyticsStore(f"sqlite:///{tmp_path / 'analytics.db'}", CONFIG)


@pytest.mark.parametrize("sender", ["+15552014477", "ana@example.com", "web session 1", "Zoë-客户", "x" * 128])
def test_a_redelivered_event_is_counted_once(store: AnalyticsStore, sender: str) -> None:
    batch = events(sender, order_form_left_open(1000.0))
    assert store.ingest(batch[:4]) == 4
    assert store.ingest(batch) == len(batch) - 4
    assert store.ingest(batch) == 0
    (conversation,) = store.conversations()
    assert conversation["sender_id"] == sender
    assert conversation["customer_messages"] == 2
    assert (conversation["open_form"], conversation["open_question"]) == ("order_lookup_form", "customer_contact")


def test_events_in_any_order_fold_to_the_same_conversations(store: AnalyticsStore, tmp_path: Any) -> None:
    bodies = order_form_left_open(1000.0) + [
        {"event": "session_started", "timestamp": 9000.0},
        user(9001, "asdfgh", "nlu_fallback", 0.2),
        user(9002, "my parcel is missing", "order_status"),
    ]
    batch = events("+15552014477", bodies)
    store.ingest(batch)
    shuffled = list(batch)
    random.Random(7).shuffle(shuffled)
    other = AnalyticsStore(f"sqlite:///{tmp_path / 'other.db'}", CONFIG)
    for start in range(0, len(shuffled), 3):  # in small batches, newest events sometimes first
        other.ingest(shuffled[start : start + 3])
    assert other.conversations() == store.conversations()
    first, second = store.conversations()
    assert (first["fallbacks"], second["fallbacks"]) == (0, 1)
    assert second["first_intent"] == "order_status"  # the fallback is not the task


def test_rasa_s_session_start_action_before_session_started_opens_no_conversation_of_its_own(
    store: AnalyticsStore,
) -> None:
    # As Rasa 3.6 logs a new session: the action first, its session_started event a fraction later.
    bodies = [
        {"event": "action", "timestamp": 999.9999, "name": "action_session_start"},
        {"event": "session_started", "timestamp": 1000.0},
        user(1000.5, "I want a person", "request_human"),
        {"event": "action", "timestamp": 1100.9999, "name": "action_session_start"},
        {"event": "session_started", "timestamp": 1101.0},
        user(1101.5, "hi again", "greet"),
    ]
    store.ingest(events("+15552014477", bodies))
    assert [c["customer_messages"] for c in store.conversations()] == [1, 1]
