"""Forms that ask which account, and prove it is the customer's: the e-mail address on it, then the phone number
on it (on SMS and RCS the sender's own number proves it without asking). Whether an account exists is never
said: a wrong phone and an unknown e-mail read the same, and both count against the account and the sender's
address in the shared limit store."""

from __future__ import annotations

from abc import ABC
from typing import Any, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backends.errors import BackendUnavailable
from actions.forms.base import SlotUpdates, TriageFormValidation, failure_counts
from actions.limits.guard import attempt_proof
from actions.limits.rules import account_key
from actions.ownership import account_phone_matches, sender_key, tracker_identity
from actions.settings import settings
from actions.validators import parse_email, phone_number


class ProvesAccount(TriageFormValidation, ABC):
    """Validation of ``account_email`` and ``account_phone``, shared by every form that acts on an account."""

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        # Too many mismatches, a lock-out or an outage: stop asking; the task action explains and offers a person.
        if failure_counts(tracker).get("account_phone", 0) >= settings().ownership_max_attempts:
            return []
        if tracker.get_slot("backend_down"):
            return []
        if tracker.get_slot("account_verified"):
            return [slot for slot in domain_slots if slot != "account_phone"]
        return domain_slots

    async def validate_account_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        email = parse_email(str(value or ""))
        if email is None:
            return self.reject("account_email", dispatcher, tracker, "utter_invalid_email")
        if tracker.get_slot("account_verified") and email == tracker.get_slot("account_email"):
            return self.accept("account_email", email, tracker)  # proven already: never asked twice
        identity = tracker_identity(tracker)
        try:
            proven = identity is not None and await account_phone_matches(email, identity.value)
        except BackendUnavailable:
            return self.accept("account_email", email, tracker, account_verified=None, backend_down=True)
        # A new address needs its own proof.
        return self.accept("account_email", email, tracker, account_verified=True if proven else None)

    async def validate_account_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        number = phone_number(str(value or ""))
        if number is None:
            return self.reject("account_phone", dispatcher, tracker, "utter_invalid_phone")
        email = tracker.get_slot("account_email") or ""
        keys = (account_key(email), sender_key(tracker))
        try:
            verdict = await attempt_proof(keys, lambda: account_phone_matches(email, number))
        except BackendUnavailable:
            return self.accept("account_phone", number, tracker, account_verified=None, backend_down=True)
        if verdict is None:
            return self.lock_out("account_phone", dispatcher, tracker, account_verified=None)
        if verdict:
            return self.accept("account_phone", number, tracker, account_verified=True)
        return self.reject("account_phone", dispatcher, tracker, "utter_account_mismatch")


class ValidateAccountLookupForm(ProvesAccount):
    """Sign-in help and payment problems: links go only to the address on file, after proof."""

    def name(self) -> str:
        return "validate_account_lookup_form"


class ValidateDeleteAccountForm(ProvesAccount):
    def name(self) -> str:
        return "validate_delete_account_form"
