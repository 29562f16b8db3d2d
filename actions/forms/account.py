"""Forms that ask for the email address on an account."""

from __future__ import annotations

from abc import ABC
from typing import Any, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backends.calls import off_loop
from actions.backends.errors import AccountNotFound, BackendUnavailable
from actions.backends.registry import billing_system
from actions.forms.base import SlotUpdates, TriageFormValidation, failure_counts
from actions.settings import settings
from actions.validators import parse_email, phone_digits


class AsksForAccountEmail(TriageFormValidation, ABC):
    """Validation of ``account_email``, shared by every form that asks for it."""

    def validate_account_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        email = parse_email(str(value or ""))
        if email is None:
            return self.reject("account_email", dispatcher, tracker, "utter_invalid_email")
        # Whether an account exists is never said here (see actions/account.py).
        return self.accept("account_email", email, tracker)


class ValidateAccountLookupForm(AsksForAccountEmail):
    def name(self) -> str:
        return "validate_account_lookup_form"


class ValidateDeleteAccountForm(AsksForAccountEmail):
    """Email, then the phone number on the same account: both must match."""

    def name(self) -> str:
        return "validate_delete_account_form"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        # Too many mismatches: stop asking; the privacy team verifies another way.
        if failure_counts(tracker).get("account_phone", 0) >= settings().ownership_max_attempts:
            return []
        return domain_slots

    async def validate_account_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        digits = phone_digits(str(value or ""))
        if digits is None:
            return self.reject("account_phone", dispatcher, tracker, "utter_invalid_phone")
        billing = billing_system()
        try:
            customer = await off_loop(billing.find_customer_by_email, tracker.get_slot("account_email") or "")
            matches = await off_loop(billing.verify_customer_phone, customer.id, digits)
        except AccountNotFound:
            matches = False  # same answer as a wrong phone: nothing is revealed
        except BackendUnavailable:
            return self.accept("account_phone", digits, tracker, account_verified=None, backend_down=True)
        if matches:
            return self.accept("account_phone", digits, tracker, account_verified=True)
        return self.reject("account_phone", dispatcher, tracker, "utter_account_mismatch")
