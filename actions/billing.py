"""Billing tasks: invoices and disputed charges."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backends.calls import off_loop
from actions.backends.registry import billing_system
from actions.task import TaskAction

HANDOFF_REASON_DISPUTE = "disputed_charge"


class ActionInvoiceRequest(TaskAction):
    def name(self) -> str:
        return "action_invoice_request"

    def cleanup(self) -> List[EventType]:
        return [SlotSet("invoice_reference", None)]

    async def perform(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        billing = billing_system()
        invoice = await off_loop(billing.find_invoice, tracker.get_slot("invoice_reference"))
        # Only ever to the address on file: an address typed in chat could be anyone's.
        await off_loop(billing.send_invoice, invoice.number)
        dispatcher.utter_message(response="utter_invoice_sent", invoice_number=invoice.number)
        return []


class ActionBillingDispute(TaskAction):
    def name(self) -> str:
        return "action_billing_dispute"

    def cleanup(self) -> List[EventType]:
        return [SlotSet("disputed_charge", None), SlotSet("dispute_reason", None)]

    async def perform(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        charge, reason = tracker.get_slot("disputed_charge"), tracker.get_slot("dispute_reason")
        reference = await off_loop(billing_system().record_dispute, charge, reason)
        dispatcher.utter_message(response="utter_dispute_recorded", dispute_reference=reference, charge=charge)
        return [SlotSet("handoff_reason", HANDOFF_REASON_DISPUTE)]
