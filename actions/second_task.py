"""The second of two tasks asked for in one message: offered once the first one is over.

The NLU (``bot/nlu/two_tasks.py``) reads "where is my order? also I want to cancel the other one" as the first
task and adds ``second_task`` to the parse. Rules run ``action_offer_second_task`` after every task's last
step; it offers the second task once ("You also asked about: Cancel an order. Shall we do that now?"), with
buttons that start it, and a typed "yes" straight after the offer starts it too (``action_take_offered_task``).
Nothing is offered when nothing is pending, so the action is silent after an ordinary single task.

What is pending is decided from the conversation's events alone (``pending_second_task``): the newest message
that named a second task, unless that task was offered already, the customer asked for it since, or stopped.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.complaints import ActionHandleComplaint
from actions.handoff import ActionHandoff
from actions.settings import settings
from actions.turn import TurnScoped

SECOND_TASK = "second_task"  # the key bot/nlu/two_tasks.py adds to the parse
OFFERED_TASK_SLOT = "offered_task"
STOP_INTENT = "stop"
TASK_SLOT = "task"


def task_slot_values(domain: Mapping[str, Any]) -> List[str]:
    """The `task` slot's values in the domain: the order and account look-ups decide what follows from it."""
    return list(((domain.get("slots") or {}).get(TASK_SLOT) or {}).get("values") or [])


def _intent(event: Mapping[str, Any]) -> str:
    return str(((event.get("parse_data") or {}).get("intent") or {}).get("name") or "")


def pending_second_task(events: Iterable[Mapping[str, Any]]) -> str | None:
    """The second task still to offer, from the current session's events (oldest first), or None."""
    pending: str | None = None
    for event in events:
        kind = event.get("event")
        if kind == "session_started":
            pending = None
        elif kind == "user":
            named = (event.get("parse_data") or {}).get(SECOND_TASK) or {}
            intent = _intent(event)
            if named.get("name"):
                pending = str(named["name"])
            elif intent in {pending, STOP_INTENT}:
                pending = None  # asked for it on their own, or stopped: nothing left to offer
        elif kind == "slot" and event.get("name") == OFFERED_TASK_SLOT and event.get("value") == pending:
            pending = None  # offered once; never again
    return pending


def offer_buttons(intent: str, label: str) -> List[Dict[str, str]]:
    # The task label alone: it fits an RCS chip (25 characters at most), as the "did you mean" buttons do.
    return [{"title": label, "payload": f"/{intent}"}, {"title": "No, thanks", "payload": "/deny"}]


class ActionOfferSecondTask(TurnScoped, Action):
    def name(self) -> str:
        return "action_offer_second_task"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        pending = pending_second_task(tracker.events)
        labels = settings().intent_labels
        if pending is None or pending not in labels:
            return [SlotSet(OFFERED_TASK_SLOT, None)] if tracker.get_slot(OFFERED_TASK_SLOT) else []
        dispatcher.utter_message(response="utter_offer_second_task", task_label=labels[pending],
                                 buttons=offer_buttons(pending, labels[pending]))  # fmt: skip
        return [SlotSet(OFFERED_TASK_SLOT, pending)]


class ActionTakeOfferedTask(TurnScoped, Action):
    """A typed "yes" right after the offer (the rule in data/rules/conversation.yml): start the offered task
    with its first step from actions/dialogue.yml, as its own intent would have."""

    def name(self) -> str:
        return "action_take_offered_task"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        offered = tracker.get_slot(OFFERED_TASK_SLOT)
        step = settings().first_steps.get(str(offered)) if offered else None
        if step is None:
            dispatcher.utter_message(response="utter_anything_else")
            return []
        events: List[EventType] = [SlotSet(OFFERED_TASK_SLOT, None)]
        if offered in task_slot_values(domain):
            events.append(SlotSet(TASK_SLOT, offered))
        if step.startswith("utter_"):
            dispatcher.utter_message(response=step)
            return events
        if step in IN_PROCESS:
            # Run here rather than as a follow-up: no rule predicts what comes after them in this position.
            return [*events, *await IN_PROCESS[step]().run(dispatcher, tracker, domain)]
        # A form: it asks its first question and its loop carries on from there.
        return [*events, FollowupAction(step)]


# First steps that are actions, not forms or responses.
IN_PROCESS = {action().name(): action for action in (ActionHandleComplaint, ActionHandoff)}
