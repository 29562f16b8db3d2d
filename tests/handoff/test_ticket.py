import pytest

from handoff.policy import decide
from handoff.settings import settings
from handoff.ticket import (
    InvalidTransition,
    TicketStatus,
    build_ticket,
    check_transition,
    transcript_from_events,
    user_turns,
)

EVENTS = [
    {"event": "user", "text": "where is my order 10042", "timestamp": 1.0,
     "parse_data": {"intent": {"name": "order_status", "confidence": 0.93},
                    "intent_ranking": [{"name": "order_status", "confidence": 0.93},
                                       {"name": "delivery_options", "confidence": 0.04},
                                       {"name": "refund_status", "confidence": 0.02},
                                       {"name": "greet", "confidence": 0.01}]}},
    {"event": "bot", "text": "What's the email or phone on the order?", "timestamp": 2.0},
    {"event": "user", "text": "card 4111 1111 1111 1111 and +44 7700 900123", "timestamp": 3.0,
     "parse_data": {"intent": {"name": "inform", "confidence": 0.8}, "intent_ranking": []}},
    {"event": "bot", "text": "Hello, Sam here", "timestamp": 4.0, "metadata": {"agent": "sam"}},
    {"event": "slot", "name": "order_number", "value": "10042"},
]  # fmt: skip
SLOTS = {
    "task": "order_status",
    "order_number": "10042",
    "verified_order": "10042",
    "requested_slot": None,
    "failed_attempts": {},
    "handoff_reason": "order_late",
}


def test_transcript_keeps_intents_confidence_top3_and_agents_and_redacts_cards():
    transcript = transcript_from_events(EVENTS)
    assert [t.sender for t in transcript] == ["customer", "bot", "customer", "agent"]
    first = transcript[0]
    assert (first.intent, first.confidence) == ("order_status", 0.93)
    assert [name for name, _ in first.top_intents] == ["order_status", "delivery_options", "refund_status"]
    assert "4111" not in transcript[2].text and "card number removed" in transcript[2].text
    assert transcript[3].agent == "sam"


def test_ticket_carries_context_verification_and_a_summary():
    escalation = decide("order_late", "order_status", user_turns(EVENTS), settings())
    ticket = build_ticket("conv-1", "rest", EVENTS, SLOTS, escalation, now=10.0)
    data = ticket.to_json()
    assert data["version"] == 1 and data["queue"] == "orders" and data["reason"] == "order_late"
    assert data["verification"] == {"order_number": "10042", "order_verified": True, "account_verified": False}
    assert "requested_slot" not in data["slots"] and "failed_attempts" not in data["slots"]
    assert data["summary"] == "order status for order 10042 (verified); reason: order late"
    assert data["transcript"][0]["top_intents"][0] == {"name": "order_status", "confidence": 0.93}


def test_lifecycle_transitions():
    check_transition(TicketStatus.PENDING, TicketStatus.ASSIGNED)
    check_transition(TicketStatus.ASSIGNED, TicketStatus.RESOLVED)
    with pytest.raises(InvalidTransition):
        check_transition(TicketStatus.RESOLVED, TicketStatus.ASSIGNED)


def test_the_ticket_json_matches_the_published_schema():
    import json
    from pathlib import Path

    import jsonschema

    schema = json.loads(Path("docs/handoff-ticket.schema.json").read_text())
    escalation = decide("order_late", "order_status", user_turns(EVENTS), settings())
    jsonschema.validate(build_ticket("conv-1", "rest", EVENTS, SLOTS, escalation, now=10.0).to_json(), schema)
