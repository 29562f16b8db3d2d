"""What to do when the bot is not sure what the customer meant.

First miss: if two intents are close, ask which one was meant (buttons);
otherwise ask to rephrase and say what the bot can do. A further miss in a
row: offer a person. A frustrated customer (handoff/policy.py) is handed over
at once. Thresholds live in actions/dialogue.yml and handoff/config.yml.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import hand_over
from actions.settings import DialogueSettings, settings
from actions.turn import TurnScoped
from handoff.policy import REASON_FRUSTRATION, should_escalate_without_asking
from handoff.reasons import HandoffReason
from handoff.settings import settings as handoff_settings
from handoff.ticket import user_turns

FALLBACK_INTENT = "nlu_fallback"
HANDOFF_REASON_LOW_CONFIDENCE = HandoffReason.LOW_CONFIDENCE.value


@dataclass(frozen=True)
class Clarification:
    kind: str  # "ask_which", "rephrase" or "offer_human"
    options: Tuple[Tuple[str, str], ...] = ()  # (intent, button title)


def consecutive_misses(user_intents: Iterable[str]) -> int:
    """How many of the most recent user turns (newest last) fell back."""
    count = 0
    for intent in reversed(list(user_intents)):
        if intent != FALLBACK_INTENT:
            break
        count += 1
    return count


def plan_clarification(ranking: Sequence[Mapping[str, Any]], misses: int, config: DialogueSettings) -> Clarification:
    """Pure decision: ask which, ask to rephrase, or offer a person."""
    if misses >= config.misses_before_offering_human:
        return Clarification("offer_human")
    candidates = [
        (entry["name"], config.intent_labels[entry["name"]])
        for entry in ranking
        if entry.get("name") in config.intent_labels
        and float(entry.get("confidence") or 0) >= config.suggestion_min_confidence
    ][: config.max_suggestions]
    if candidates:
        return Clarification("ask_which", tuple(candidates))
    return Clarification("rephrase")


class ActionClarifyIntent(TurnScoped, Action):
    def name(self) -> str:
        return "action_clarify_intent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        turns = user_turns(tracker.events)
        if should_escalate_without_asking(turns, handoff_settings()):
            # Not understanding an upset customer again helps nobody: hand over now.
            return await hand_over(dispatcher, tracker, REASON_FRUSTRATION)
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        plan = plan_clarification(ranking, consecutive_misses(t.intent or "" for t in turns), settings())
        if plan.kind == "offer_human":
            dispatcher.utter_message(response="utter_fallback_offer_human")
            return [SlotSet("handoff_reason", HANDOFF_REASON_LOW_CONFIDENCE)]
        if plan.kind == "ask_which":
            buttons = [{"title": title, "payload": f"/{intent}"} for intent, title in plan.options]
            buttons.append({"title": "Something else", "payload": "/out_of_scope"})
            dispatcher.utter_message(response="utter_ask_which_intent", buttons=buttons)
            return []
        dispatcher.utter_message(response="utter_ask_rephrase")
        return []
