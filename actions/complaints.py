"""Complaints: acknowledged with the offer of a person, or handed over at once
when the customer is clearly upset (handoff/policy.py)."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import hand_over
from actions.turn import TurnScoped
from handoff.policy import REASON_FRUSTRATION, should_escalate_without_asking
from handoff.reasons import HandoffReason
from handoff.settings import settings as handoff_settings
from handoff.ticket import user_turns


class ActionHandleComplaint(TurnScoped, Action):
    def name(self) -> str:
        return "action_handle_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if should_escalate_without_asking(user_turns(tracker.events), handoff_settings()):
            dispatcher.utter_message(response="utter_sorry_passing_on")
            return await hand_over(dispatcher, tracker, REASON_FRUSTRATION)
        dispatcher.utter_message(response="utter_complaint")
        return [SlotSet("handoff_reason", HandoffReason.COMPLAINT.value)]
