"""Forms for billing tasks: which invoice, and which charge is disputed and why."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backends.calls import off_loop
from actions.backends.errors import BackendUnavailable, InvoiceNotFound
from actions.backends.registry import billing_system
from actions.forms.account import AsksForAccountEmail
from actions.forms.base import SlotUpdates, TriageFormValidation
from actions.settings import settings
from actions.validators import describe_charge, parse_invoice_reference


class ValidateInvoiceForm(TriageFormValidation):
    def name(self) -> str:
        return "validate_invoice_form"

    async def validate_invoice_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        reference = parse_invoice_reference(str(value or ""))
        if reference is None:
            return self.reject("invoice_reference", dispatcher, tracker, "utter_invalid_invoice_reference")
        try:
            await off_loop(billing_system().find_invoice, reference)
        except InvoiceNotFound:
            return self.reject(
                "invoice_reference", dispatcher, tracker, "utter_unknown_invoice_reference", reference=reference
            )
        except BackendUnavailable:
            pass  # the task action meets the outage and says so
        return self.accept("invoice_reference", reference, tracker)


class ValidateBillingDisputeForm(AsksForAccountEmail):
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
