"""Forms for billing tasks: which invoice, and which charge is disputed and why."""

from __future__ import annotations

from typing import Any, List, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backends.calls import off_loop
from actions.backends.errors import BackendUnavailable, InvoiceNotFound
from actions.backends.registry import billing_system
from actions.forms.account import ProvesAccount
from actions.forms.base import SlotUpdates, TriageFormValidation, failure_counts
from actions.limits.guard import proof_failed, proof_locked
from actions.limits.rules import invoice_key, order_key
from actions.ownership import (
    HANDOFF_REASON_LOCKED_OUT,
    exhausted,
    invoice_verified,
    ownership_locked,
    proves_invoice,
    sender_key,
    tracker_identity,
)
from actions.settings import settings
from actions.validators import describe_charge, parse_contact, parse_invoice_reference, parse_order_number


async def invoice_subjects(reference: str, tracker: Tracker) -> Tuple[str, ...]:
    """What a guess at an invoice's contact is counted against: the invoice, the order it is for (the same
    count as guesses through the order look-up, so neither route adds guesses to the other) and the sender.
    A reference that is an order number counts against that order whether or not it has an invoice."""
    keys = [invoice_key(reference), sender_key(tracker)]
    order_number = parse_order_number(reference)
    try:
        invoice = await off_loop(billing_system().find_invoice, reference)
        keys += [invoice_key(invoice.number), order_key(invoice.order_number)]
    except InvoiceNotFound:
        pass
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
            proven = bool(identity) and await proves_invoice(reference, identity)  # type: ignore[arg-type]
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
            keys = await invoice_subjects(reference, tracker)
            if await proof_locked(*keys):
                dispatcher.utter_message(response="utter_proof_locked")
                return {"customer_contact": None, "failed_attempts": exhausted(tracker, "customer_contact"),
                        "handoff_reason": HANDOFF_REASON_LOCKED_OUT}  # fmt: skip
            if await proves_invoice(reference, contact):
                return self.accept("customer_contact", contact.value, tracker, verified_invoice=reference)
            await proof_failed(*keys)
        except BackendUnavailable:
            return self.accept("customer_contact", contact.value, tracker, backend_down=True)
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
