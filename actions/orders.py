"""Order tasks: status, cancel, change address, return, refund status."""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backends.calls import off_loop
from actions.backends.errors import AlreadyShipped
from actions.backends.models import OrderState
from actions.backends.registry import order_system
from actions.order_facts import human_date, order_variables, status_response
from actions.task import OrderTaskAction
from handoff.reasons import HandoffReason

HANDOFF_REASON_LATE = HandoffReason.ORDER_LATE.value


class ActionOrderStatus(OrderTaskAction):
    def name(self) -> str:
        return "action_order_status"

    async def perform(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        order = await off_loop(order_system().get_order, tracker.get_slot("order_number"))
        today = date.today()
        response = status_response(order, today)
        dispatcher.utter_message(response=response, **order_variables(order, today))
        if response == "utter_order_delayed":
            return [SlotSet("handoff_reason", HANDOFF_REASON_LATE)]
        return []


class ActionCancelOrder(OrderTaskAction):
    def name(self) -> str:
        return "action_cancel_order"

    def cleanup(self) -> List[EventType]:
        return [SlotSet("cancel_confirmed", None)]

    async def perform(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        number = tracker.get_slot("order_number")
        orders = order_system()
        order = await off_loop(orders.get_order, number)
        if order.state is OrderState.CANCELLED:
            dispatcher.utter_message(response="utter_already_cancelled", order_number=number)
            return []
        if order.state.has_left_warehouse:
            dispatcher.utter_message(response="utter_cancel_too_late", order_number=number)
            return []
        if not tracker.get_slot("cancel_confirmed"):
            dispatcher.utter_message(response="utter_cancel_declined", order_number=number)
            return []
        try:
            await off_loop(orders.cancel_order, number)
        except AlreadyShipped:  # shipped between the check and the request
            dispatcher.utter_message(response="utter_cancel_too_late", order_number=number)
            return []
        dispatcher.utter_message(response="utter_order_cancelled", order_number=number)
        return []


class ActionChangeAddress(OrderTaskAction):
    def name(self) -> str:
        return "action_change_address"

    def cleanup(self) -> List[EventType]:
        return [SlotSet("new_address", None)]

    async def perform(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        number, address = tracker.get_slot("order_number"), tracker.get_slot("new_address")
        await off_loop(order_system().change_address, number, address)
        dispatcher.utter_message(response="utter_address_changed", order_number=number, address=address)
        return []


class ActionRefundRequest(OrderTaskAction):
    def name(self) -> str:
        return "action_refund_request"

    def cleanup(self) -> List[EventType]:
        return [SlotSet("refund_item", None), SlotSet("refund_reason", None)]

    async def perform(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        number = tracker.get_slot("order_number")
        refund = await off_loop(
            order_system().create_return, number, tracker.get_slot("refund_item"), tracker.get_slot("refund_reason")
        )
        dispatcher.utter_message(
            response="utter_return_created",
            order_number=number,
            return_id=refund.id,
            item=tracker.get_slot("refund_item"),
        )
        return []


class ActionRefundStatus(OrderTaskAction):
    def name(self) -> str:
        return "action_refund_status"

    async def perform(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        number = tracker.get_slot("order_number")
        refunds = await off_loop(order_system().refunds_for_order, number)
        if not refunds:
            dispatcher.utter_message(response="utter_no_refund", order_number=number)
            return []
        latest = refunds[0]
        variables = {
            "order_number": number,
            "amount": f"{latest.amount:.2f}",
            "refund_id": latest.id,
            "expected": human_date(latest.expected_by, date.today()),
        }
        response = {
            "completed": "utter_refund_completed",
            "in_progress": "utter_refund_in_progress",
        }.get(latest.status, "utter_refund_awaiting_return")
        dispatcher.utter_message(response=response, **variables)
        return []
