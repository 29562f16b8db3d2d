"""What every form validation shares: counting failed answers and offering a person.

A slot answered wrongly is re-asked with an explanation of what is expected
(the ``utter_invalid_<slot>``-style response passed to ``reject``). After
``failures_before_offering_human`` failures in a row on the same slot the bot
also offers a person, and keeps asking so the customer can still finish.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.settings import settings
from actions.turn import TurnScoped, events_this_turn
from actions.validators import clean_free_text
from handoff.reasons import HandoffReason

SlotUpdates = Dict[str, Any]
HANDOFF_REASON_VALIDATION = HandoffReason.VALIDATION_FAILED.value


def failure_counts(tracker: Tracker) -> Dict[str, int]:
    counts = tracker.get_slot("failed_attempts")
    return dict(counts) if isinstance(counts, dict) else {}


def exhausted(tracker: Tracker, slot: str) -> Dict[str, int]:
    """``failed_attempts`` with ``slot`` at its maximum: the form asking it ends."""
    return {**failure_counts(tracker), slot: settings().ownership_max_attempts}


class TriageFormValidation(TurnScoped, FormValidationAction, ABC):
    """Base for the project's form validations."""

    @abstractmethod
    def name(self) -> str:
        """``validate_<form name>``."""

    def accept(self, slot: str, value: Any, tracker: Tracker, **extra: Any) -> SlotUpdates:
        """Keep ``value`` and clear the slot's failure count."""
        counts = failure_counts(tracker)
        counts.pop(slot, None)
        return {slot: value, "failed_attempts": counts, **extra}

    def reject(
        self,
        slot: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        response: str,
        **response_variables: Any,
    ) -> SlotUpdates:
        """Explain what is expected, count the failure, offer a person when it repeats."""
        counts = failure_counts(tracker)
        counts[slot] = counts.get(slot, 0) + 1
        dispatcher.utter_message(response=response, **response_variables)
        updates: SlotUpdates = {slot: None, "failed_attempts": counts}
        if counts[slot] == settings().failures_before_offering_human:
            dispatcher.utter_message(response="utter_offer_human")
            updates["handoff_reason"] = HANDOFF_REASON_VALIDATION
        return updates

    def free_text(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, response: str
    ) -> SlotUpdates:
        """Accept a short description in the customer's words, or re-ask."""
        cleaned = clean_free_text(str(value or ""), settings().free_text_max_length)
        if cleaned is None:
            return self.reject(slot, dispatcher, tracker, response)
        return self.accept(slot, cleaned, tracker)

    @staticmethod
    def being_validated(tracker: Tracker, slot: str) -> bool:
        """Whether ``slot`` is among the slots this call validates (set since the customer's last message: a
        value they just gave, or one Rasa passes on when the form starts with it already filled)."""
        return any(e.get("event") == "slot" and e.get("name") == slot for e in events_this_turn(tracker))

    def lock_out(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker, **cleared: Any) -> SlotUpdates:
        """Too many failed proofs of this subject: say so, check nothing, and end the form asking ``slot``."""
        dispatcher.utter_message(response="utter_proof_locked")
        return {slot: None, **cleared, "failed_attempts": exhausted(tracker, slot),
                "handoff_reason": HandoffReason.PROOF_LOCKED.value}  # fmt: skip

    @staticmethod
    def latest_text(tracker: Tracker) -> str:
        return (tracker.latest_message or {}).get("text") or ""

    @staticmethod
    def entity(tracker: Tracker, name: str) -> str | None:
        return next(tracker.get_latest_entity_values(name), None)
