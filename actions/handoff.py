"""Hand a conversation to a person, and take it back.

``action_handoff`` decides queue and priority (handoff/policy.py), stores the
ticket with the whole context (handoff/ticket.py), tells the customer what
happens next (position and typical wait, or when the queue opens) and pauses
the bot. ``action_record_satisfaction`` stores the answer to the one question
asked when the agent hands the conversation back.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backends.calls import off_loop
from actions.turn import TurnScoped
from handoff.hours import describe_opening, is_open
from handoff.policy import decide
from handoff.reasons import HandoffReason
from handoff.runtime import ticket_store
from handoff.settings import settings as handoff_settings
from handoff.ticket import build_ticket, user_turns

audit = logging.getLogger("audit.handoff")

HANDOFF_REASON_REQUESTED = HandoffReason.CUSTOMER_REQUEST.value


def escalation_reason(tracker: Tracker) -> str:
    """The reason already recorded (failed validation, late order...) or the customer's request."""
    return tracker.get_slot("handoff_reason") or HANDOFF_REASON_REQUESTED


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> List[EventType]:
    """Open (or update) the ticket, tell the customer what happens next, pause the bot."""
    config = handoff_settings()
    escalation = decide(reason, tracker.get_slot("task"), user_turns(tracker.events), config)
    channel = tracker.get_latest_input_channel() or "rest"
    ticket = build_ticket(tracker.sender_id, channel, tracker.events, tracker.slots, escalation, time.time())
    store = ticket_store()
    try:
        record = await off_loop(store.escalate, ticket, time.time(), bool(config.webhook.url))
        position = await off_loop(store.position_in_queue, record.id)
    except Exception:  # the ticket store is down: say so, keep the bot talking
        logging.getLogger(__name__).exception("could not store the hand-off ticket")
        dispatcher.utter_message(response="utter_handoff_failed")
        return [SlotSet("handoff_reason", reason)]
    audit.info(
        json.dumps(
            {
                "event": "handoff",
                "ticket": record.id,
                "reason": reason,
                "queue": record.queue,
                "priority": record.priority,
                "signals": list(escalation.signals),
            }
        )
    )
    queue = config.queues[record.queue]
    now = datetime.now(timezone.utc)
    # For analytics (analytics/fold.py): the hand-off as the ticket store recorded it, in the message's metadata.
    stamp = {"handoff": {"ticket": record.id, "queue": record.queue, "reason": reason, "priority": record.priority}}
    if is_open(queue, now):
        dispatcher.utter_message(
            response="utter_handoff_queued",
            position=position,
            wait=queue.typical_wait_minutes * position,
            queue_name=queue.name,
            analytics=stamp,
        )
    else:
        dispatcher.utter_message(
            response="utter_handoff_after_hours",
            queue_name=queue.name,
            opening=describe_opening(queue, now),
            analytics=stamp,
        )
    return [SlotSet("handoff_reason", reason), ConversationPaused()]


class ActionHandoff(TurnScoped, Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        return await hand_over(dispatcher, tracker, escalation_reason(tracker))


class ActionRecordSatisfaction(TurnScoped, Action):
    def name(self) -> str:
        return "action_record_satisfaction"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        rating = tracker.get_slot("satisfaction")
        if rating is not None:
            await off_loop(ticket_store().record_satisfaction, tracker.sender_id, int(rating), time.time())
            dispatcher.utter_message(response="utter_thanks_for_feedback")
        return [SlotSet("satisfaction", None), SlotSet("handoff_reason", None)]
