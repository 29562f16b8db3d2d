"""Forms that ask for the email address on an account."""

from __future__ import annotations

from abc import ABC
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms.base import SlotUpdates, TriageFormValidation
from actions.validators import parse_email


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
