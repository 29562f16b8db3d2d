"""Billing tasks: invoices and disputed charges."""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account import find_account
from actions.backends.calls import off_loop
from actions.backends.registry import billing_system, order_system
from actions.charges import match_charge
from actions.limits.guard import reserve_mail
from actions.order_facts import human_date
from actions.task import AccountTaskAction, InvoiceTaskAction
from handoff.reasons import HandoffReason

HANDOFF_REASON_DISPUTE = HandoffReason.DISPUTED_CHARGE.value
HANDOFF_REASON_DISPUTE_UNVERIFIED = HandoffReason.DISPUTED_CHARGE_UNVERIFIED.value
HANDOFF_REASON_MAIL_LIMIT = HandoffReason.MAIL_LIMIT.value


class ActionInvoiceRequest(InvoiceTaskAction):
    """E-mail a proven invoice to the address on file, within the per-account daily limit."""

    def name(self) -> str:
        return "action_invoice_request"

    def cleanup(self) -> List[EventType]:
        return [SlotSet("invoice_reference", None), SlotSet("verified_invoice", None)]

    async def perform(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        billing = billing_system()
        invoice = await off_loop(billing.find_invoice, tracker.get_slot("invoice_reference"))
        order = await off_loop(order_system().get_order, invoice.order_number)
        if not await reserve_mail(f"customer:{order.customer_id}"):
            dispatcher.utter_message(response="utter_mail_limit_reached")
            return [SlotSet("handoff_reason", HANDOFF_REASON_MAIL_LIMIT)]
        # Only ever to the address on file: an address typed in chat could be anyone's.
        await off_loop(billing.send_invoice, invoice.number)
        dispatcher.utter_message(response="utter_invoice_sent", invoice_number=invoice.number)
        return []


class ActionBillingDispute(AccountTaskAction):
    """Find the charge on the proven account, say what it was for, and record the dispute for the billing team
    with the charge attached. Unproven: nothing is looked at or recorded; billing checks who it is."""

    unverified_response = "utter_dispute_not_verified"
    unverified_reason = HANDOFF_REASON_DISPUTE_UNVERIFIED

    def name(self) -> str:
        return "action_billing_dispute"

    def cleanup(self) -> List[EventType]:
        return [SlotSet("disputed_charge", None), SlotSet("dispute_reason", None), SlotSet("account_phone", None)]

    async def perform(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        billing = billing_system()
        description, reason = tracker.get_slot("disputed_charge"), tracker.get_slot("dispute_reason")
        customer = await find_account(tracker)
        payment = None
        if customer is not None:
            payments = await off_loop(billing.payments_for_customer, customer.id)
            payment = match_charge(payments, description or "", date.today())
        reference = await off_loop(
            billing.record_dispute,
            customer.id if customer else None,
            payment.id if payment else None,
            description,
            reason,
        )
        if payment is None:
            # Same words whether the account or the charge was not found.
            dispatcher.utter_message(response="utter_dispute_recorded", dispute_reference=reference, charge=description)
        else:
            dispatcher.utter_message(
                response="utter_dispute_explained",
                dispute_reference=reference,
                amount=f"{payment.amount:.2f}",
                day=human_date(payment.taken_on, date.today()),
                description=payment.description,
            )
        events: List[EventType] = [SlotSet("handoff_reason", HANDOFF_REASON_DISPUTE)]
        if payment is not None:
            events.append(SlotSet("disputed_payment", payment.id))
        return events
