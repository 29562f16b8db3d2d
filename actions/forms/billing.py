"""Forms for billing tasks: which invoice, and which charge is disputed and why."""
from __future__ import annotations

from typing import Any, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backends.calls import off_loop
from actions.backends.errors import BackendUnavailable, InvoiceNotFound
from actions.backends.registry import billing_system
from actions.forms.base import SlotUpdates, TriageFormValidation
from actions.validators import parse_invoice_reference


class ValidateInvoiceForm(TriageFormValidation):
    def name(self) -> Text:
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


class ValidateBillingDisputeForm(TriageFormValidation):
    def name(self) -> Text:
        return "validate_billing_dispute_form"

    def validate_disputed_charge(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        return self.free_text("disputed_charge", value, dispatcher, tracker, "utter_invalid_disputed_charge")

    def validate_dispute_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        return self.free_text("dispute_reason", value, dispatcher, tracker, "utter_invalid_dispute_reason")
