"""Billing tasks: invoices and disputed charges."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.account import find_account
from actions.backends.calls import off_loop
from actions.backends.context import idempotency_key
from actions.backends.errors import BackendUnavailable
from actions.backends.models import InvoiceDocument
from actions.backends.protocol import BillingSystem
from actions.backends.registry import billing_system, order_system
from actions.charges import match_charge
from actions.limits.guard import reserve_mail
from actions.order_facts import human_date
from actions.task import AccountTaskAction, InvoiceTaskAction
from bot.channels.email_settings import email_settings
from bot.channels.runtime import outbox
from handoff.reasons import HandoffReason

HANDOFF_REASON_DISPUTE = HandoffReason.DISPUTED_CHARGE.value
HANDOFF_REASON_DISPUTE_UNVERIFIED = HandoffReason.DISPUTED_CHARGE_UNVERIFIED.value
HANDOFF_REASON_MAIL_LIMIT = HandoffReason.MAIL_LIMIT.value


CURRENCY_SYMBOLS = {"USD": "$", "GBP": "\u00a3", "EUR": "\u20ac"}


def money(amount: Decimal, currency: str) -> str:
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{amount:.2f}" if symbol else f"{amount:.2f} {currency}"


def invoice_email(document: InvoiceDocument) -> Dict[str, Any]:
    """The queued e-mail (``bot/channels/email_compose.py``) for an invoice the customer asked for: purpose
    "service", so a marketing opt-out does not hold it back. Its text names the invoice, never the address."""
    invoice, file = document.invoice, document.document
    text = (f"Here is invoice {invoice.number} for order {invoice.order_number}: "
            f"{money(invoice.amount, document.currency)}, issued on {invoice.issued_on.day} "
            f"{invoice.issued_on:%B %Y}. You'll find it attached.")  # fmt: skip
    attachment = {"filename": file.filename, "content_type": file.content_type,
                  "content_base64": base64.b64encode(file.content).decode("ascii")}  # fmt: skip
    return {"subject": f"Your invoice {invoice.number}", "purpose": "service", "messages": [{"text": text}],
            "attachments": [attachment]}  # fmt: skip


def _enqueue_email(recipient: str, body: Dict[str, Any], key: str | None) -> bool:
    try:
        return outbox().enqueue("email", recipient, body, kind="system", key=key)
    except SQLAlchemyError as error:  # the outbox is the e-mail channel: down, nothing can be promised
        raise BackendUnavailable(f"e-mail outbox unavailable ({type(error).__name__})") from error


async def mail_invoice(billing: BillingSystem, number: str) -> None:
    """Queue the invoice for the Rasa process's delivery worker, to the address on file. A re-run of the action
    for the same customer message queues nothing new (the key is the turn's and the invoice's)."""
    document = await off_loop(billing.invoice_document, number)
    key = idempotency_key("invoice-email", document.invoice.number)
    await off_loop(_enqueue_email, document.email, invoice_email(document), key and f"invoice-email:{key}")


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
        # Only ever to the address on file: an address typed in chat could be anyone's. With an e-mail channel
        # of its own the bot sends the invoice; send_invoice would have the billing system send it a second time.
        if email_settings() is None:
            await off_loop(billing.send_invoice, invoice.number)
        else:
            await mail_invoice(billing, invoice.number)
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
