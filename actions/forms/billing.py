"""Forms for billing tasks: which invoice, and which charge is disputed and why."""

from __future__ import annotations

from typing import Any, List, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backends.errors import BackendUnavailable
from actions.backends.models import Invoice
from actions.forms.account import ProvesAccount
from actions.forms.base import SlotUpdates, TriageFormValidation, exhausted, failure_counts
from actions.limits.guard import attempt_proof
from actions.limits.rules import invoice_key, order_key
from actions.ownership import (
    invoice_verified,
    known_invoice,
    ownership_locked,
    proves_invoice,
    sender_key,
    tracker_identity,
)
from actions.settings import settings
from actions.validators import describe_charge, parse_contact, parse_invoice_reference, parse_order_number


def invoice_subjects(reference: str, invoice: Invoice | None, tracker: Tracker) -> Tuple[str, ...]:
    """What a guess at an invoice's contact is counted against: the invoice, the order it is for (the same
    count as guesses through the order look-up, so neither route adds guesses to the other) and the sender.
    A reference that is an order number counts against that order whether or not it has an invoice."""
    keys = [invoice_key(reference), sender_key(tracker)]
    if invoice is not None:
        keys += [invoice_key(invoice.number), order_key(invoice.order_number)]
    order_number = parse_order_number(reference)
    if order_number:
        keys.append(order_key(order_number))
    return tuple(dict.fromkeys(keys))


class ValidateInvoiceForm(TriageFormValidation):
    """Which invoice, then proof: the email or phone on the order it is for (on SMS/RCS the sender's number
    proves it without asking). Before proof nothing says whether the invoice exists."""

    def name(self) -> str:
        return "validate_invoice_form"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        if ownership_locked(tracker) or tracker.get_slot("backend_down"):
            return []
        if invoice_verified(tracker):
            return [slot for slot in domain_slots if slot != "customer_contact"]
        return domain_slots

    async def validate_invoice_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        reference = parse_invoice_reference(str(value or ""))
        if reference is None:
            return self.reject("invoice_reference", dispatcher, tracker, "utter_invalid_invoice_reference")
        identity = tracker_identity(tracker)
        try:
            proven = identity is not None and await proves_invoice(await known_invoice(reference), identity)
        except BackendUnavailable:
            return self.accept("invoice_reference", reference, tracker, backend_down=True)
        return self.accept("invoice_reference", reference, tracker, verified_invoice=reference if proven else None)

    async def validate_customer_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        contact = parse_contact(str(value or ""))
        if contact is None:
            return self.reject("customer_contact", dispatcher, tracker, "utter_invalid_contact")
        reference = tracker.get_slot("invoice_reference")
        if not reference:
            return self.accept("customer_contact", contact.value, tracker)
        try:
            invoice = await known_invoice(reference)
            verdict = await attempt_proof(invoice_subjects(reference, invoice, tracker),
                                          lambda: proves_invoice(invoice, contact))  # fmt: skip
        except BackendUnavailable:
            return self.accept("customer_contact", contact.value, tracker, backend_down=True)
        if verdict is None:
            return self.lock_out("customer_contact", dispatcher, tracker)
        if verdict:
            return self.accept("customer_contact", contact.value, tracker, verified_invoice=reference)
        attempts = failure_counts(tracker).get("customer_contact", 0) + 1
        if attempts >= settings().ownership_max_attempts:
            # The look-up ends here; the task action says it could not confirm the invoice and offers a person.
            return {"customer_contact": None, "failed_attempts": exhausted(tracker, "customer_contact")}
        # Same words whether the invoice exists or not.
        return self.reject("customer_contact", dispatcher, tracker, "utter_invoice_contact_mismatch")


class ValidateBillingDisputeForm(ProvesAccount):
    """Which account (email, then the phone on it), then which charge and why: no charge is looked at before
    the account is proven."""

    def name(self) -> str:
        return "validate_billing_dispute_form"

    def validate_disputed_charge(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        # When the bot asked, keep the customer's whole description ("$75 on
        # 12/03, the second one"), not just the amount the entity found.
        if tracker.get_slot("requested_slot") == "disputed_charge":
            value = self.latest_text(tracker) or value
        description = describe_charge(str(value or ""), settings().free_text_max_length)
        if description is None:
            return self.reject("disputed_charge", dispatcher, tracker, "utter_invalid_disputed_charge")
        return self.accept("disputed_charge", description, tracker)

    def validate_dispute_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        return self.free_text("dispute_reason", value, dispatcher, tracker, "utter_invalid_dispute_reason")
