"""Base for task actions: backend errors become a polite answer, never a crash."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backends.errors import BackendError, BackendUnavailable
from actions.ownership import (
    HANDOFF_REASON_LOCKED_OUT,
    HANDOFF_REASON_OWNERSHIP,
    invoice_verified,
    is_verified,
    ownership_locked,
)
from actions.replies import HANDOFF_REASON_BACKEND, response_for
from actions.turn import TurnScoped, events_this_turn

logger = logging.getLogger(__name__)


def mark_outcome(dispatcher: CollectingDispatcher, said_before: int, task: str, outcome: str,
                 error: str | None = None) -> None:  # fmt: skip
    """Stamp what the task said with its outcome, for analytics (analytics/fold.py reads it): extra fields of a
    message travel in the bot event's metadata, which the channels do not send to the customer."""
    stamp = {"task": task, "outcome": outcome, **({"error": error} if error else {})}
    for message in dispatcher.messages[said_before:]:
        message["analytics"] = stamp


def said_this_turn(tracker: Tracker) -> bool:
    """Whether the bot has already said something since the customer's last message (a form's explanation)."""
    return any(event.get("event") == "bot" for event in events_this_turn(tracker))


class TaskAction(TurnScoped, Action, ABC):
    """Runs ``perform``; a ``BackendError`` is answered with its response."""

    @abstractmethod
    async def perform(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Do the task and say the outcome."""

    def cleanup(self) -> List[EventType]:
        """Slots to clear after the task, so a second request asks afresh."""
        return []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        said_before = len(dispatcher.messages)
        try:
            events = await self.perform(dispatcher, tracker, domain)
            mark_outcome(dispatcher, said_before, self.name(), "completed")
        except BackendError as error:
            logger.warning("%s failed: %s", self.name(), type(error).__name__)
            dispatcher.utter_message(response=response_for(error), **self.error_variables(tracker))
            mark_outcome(dispatcher, said_before, self.name(), "failed", type(error).__name__)
            events = []
            if isinstance(error, BackendUnavailable):
                events.append(SlotSet("handoff_reason", HANDOFF_REASON_BACKEND))
        return events + self.cleanup()

    def error_variables(self, tracker: Tracker) -> Dict[str, Any]:
        return {"order_number": tracker.get_slot("order_number") or ""}


class OrderTaskAction(TaskAction, ABC):
    """A task on one order: only after the customer proved it is theirs."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if not is_verified(tracker):
            if tracker.get_slot("backend_down"):
                # The look-up met an outage: say so, and let the next try start afresh.
                dispatcher.utter_message(response="utter_backend_unavailable")
                return [SlotSet("handoff_reason", HANDOFF_REASON_BACKEND), SlotSet("backend_down", None)]
            if not (ownership_locked(tracker) and said_this_turn(tracker)):
                # Locked in an earlier turn, the form ends without a word: never leave the customer in silence.
                dispatcher.utter_message(response="utter_not_verified")
            return self.cleanup()
        return await super().run(dispatcher, tracker, domain)


class ProvenTaskAction(TaskAction, ABC):
    """A task that needs proof (an invoice's order contact, an account's phone): without it, nothing is done
    and nothing is said about what the customer asked for, only that a person can check another way."""

    unverified_response = "utter_account_not_verified"
    unverified_reason = HANDOFF_REASON_OWNERSHIP

    @abstractmethod
    def proven(self, tracker: Tracker) -> bool:
        """Whether this conversation proved what the task acts on."""

    @staticmethod
    def locked_out(tracker: Tracker) -> bool:
        """The form stopped at a lock-out this turn and has said so."""
        return tracker.get_slot("handoff_reason") == HANDOFF_REASON_LOCKED_OUT and said_this_turn(tracker)

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if self.proven(tracker):
            return await super().run(dispatcher, tracker, domain)
        if tracker.get_slot("backend_down"):
            dispatcher.utter_message(response="utter_backend_unavailable")
            return [SlotSet("handoff_reason", HANDOFF_REASON_BACKEND), SlotSet("backend_down", None), *self.cleanup()]
        events: List[EventType] = []
        if not self.locked_out(tracker):
            dispatcher.utter_message(response=self.unverified_response)
            events.append(SlotSet("handoff_reason", self.unverified_reason))
        return events + self.cleanup()


class InvoiceTaskAction(ProvenTaskAction, ABC):
    unverified_response = "utter_invoice_not_verified"

    def proven(self, tracker: Tracker) -> bool:
        return invoice_verified(tracker)


class AccountTaskAction(ProvenTaskAction, ABC):
    def proven(self, tracker: Tracker) -> bool:
        return bool(tracker.get_slot("account_verified"))
