"""Start of every action run: the turn's correlation id and idempotency scope."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.backends.context import TurnContext, set_turn


def start_turn(tracker: Tracker) -> TurnContext:
    """Identify the customer message being answered; repeated runs for the same
    message share the context (and so the idempotency keys of their writes)."""
    latest = tracker.latest_message or {}
    marker = latest.get("message_id")
    if not marker:
        user_events = [e for e in tracker.events if e.get("event") == "user"]
        marker = str(user_events[-1].get("timestamp")) if user_events else "start"
    return set_turn(tracker.sender_id or "unknown", str(marker))
