"""Hand a conversation to a person.

Until the hand-off module lands (issue 4: ticket store, agent desk, live
takeover) this action records the escalation in the action server's audit log
with its reason code and tells the customer honestly what happens next.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

audit = logging.getLogger("audit.handoff")

HANDOFF_REASON_REQUESTED = "customer_request"


def escalation_reason(tracker: Tracker) -> str:
    """The reason already recorded (failed validation, late order...) or the customer's request."""
    return tracker.get_slot("handoff_reason") or HANDOFF_REASON_REQUESTED


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        reason = escalation_reason(tracker)
        audit.info(
            json.dumps(
                {
                    "event": "handoff_requested",
                    "conversation": tracker.sender_id,
                    "reason": reason,
                    "task": tracker.get_slot("task"),
                    "order_number": tracker.get_slot("order_number"),
                }
            )
        )
        dispatcher.utter_message(response="utter_handoff")
        return [SlotSet("handoff_reason", reason)]
