"""Forms for order tasks: the look-up (number + proof of ownership), cancel,
change address and return."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backends.calls import off_loop
from actions.backends.errors import BackendError, BackendUnavailable
from actions.backends.models import OrderState
from actions.backends.registry import order_system
from actions.forms.base import SlotUpdates, TriageFormValidation, failure_counts
from actions.limits.guard import attempt_proof
from actions.limits.rules import order_key
from actions.ownership import (
    HANDOFF_REASON_OWNERSHIP,
    is_verified,
    ownership_locked,
    proves_ownership,
    sender_key,
    tracker_identity,
)
from actions.settings import settings
from actions.validators import Contact, parse_address, parse_contact, parse_order_number, parse_yes_no


class ValidateOrderLookupForm(TriageFormValidation):
    """Order number, then an email or phone that matches the order.

    Nothing is said about an order before proof: a number that does not exist is asked about like any other,
    and a wrong contact reads the same whether the order exists or not. Wrong contacts count against the
    order and the sender's address in the shared limit store; a locked one is not checked at all."""

    def name(self) -> str:
        return "validate_order_lookup_form"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        # After too many wrong answers the look-up ends; the task action then
        # explains and offers a person instead of showing anything.
        # When the order system is down mid-look-up the form ends too: the task
        # action says so honestly instead of asking questions it cannot check.
        if ownership_locked(tracker) or tracker.get_slot("backend_down"):
            return []
        return domain_slots

    async def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        number = parse_order_number(str(value or ""))
        if number is None:
            return self.reject("order_number", dispatcher, tracker, "utter_invalid_order_number")
        try:
            proof = await self._known_proof(number, tracker, dispatcher)
        except BackendUnavailable:
            return self.accept("order_number", number, tracker, verified_order=None, backend_down=True)
        if isinstance(proof, dict):
            return {"order_number": number, **proof}
        if proof:
            return self.accept(
                "order_number", number, tracker, verified_order=number, customer_contact=proof.value, backend_down=None
            )
        # A different order needs its own proof: ask again rather than reuse.
        return self.accept(
            "order_number", number, tracker, verified_order=None, customer_contact=None, backend_down=None
        )

    async def _known_proof(
        self, number: str, tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> Contact | SlotUpdates | None:
        """The SMS/RCS sender's own number, or contact details typed before the order number, that prove
        ownership. The carrier vouches for the first, so it is no guess and counts nowhere; the second is a
        guess like any other (a dict: the slots of a failed or refused guess)."""
        identity = tracker_identity(tracker)
        if identity and await proves_ownership(number, identity):
            return identity
        typed = parse_contact(tracker.get_slot("customer_contact") or "")
        if typed is None or self.being_validated(tracker, "customer_contact"):
            return None  # checked by validate_customer_contact in this same call: one guess, counted once
        verdict = await self._check_guess(number, typed, tracker, dispatcher)
        return typed if verdict is True else verdict or None

    async def _check_guess(
        self, number: str, contact: Contact, tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> bool | SlotUpdates:
        """True when ``contact`` proves ``number``; otherwise the slot updates for a refused or failed guess."""
        verdict = await attempt_proof((order_key(number), sender_key(tracker)),
                                      lambda: proves_ownership(number, contact))  # fmt: skip
        if verdict is None:
            return self.lock_out("customer_contact", dispatcher, tracker, verified_order=None)
        return True if verdict else self._ownership_failure(dispatcher, tracker)

    async def validate_customer_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        contact = parse_contact(str(value or ""))
        if contact is None:
            return self.reject("customer_contact", dispatcher, tracker, "utter_invalid_contact")
        number = tracker.get_slot("order_number")
        if not number:
            # Checked once the order number is known (validate_order_number).
            return self.accept("customer_contact", contact.value, tracker)
        try:
            verdict = await self._check_guess(number, contact, tracker, dispatcher)
        except BackendUnavailable:
            return self.accept("customer_contact", contact.value, tracker, backend_down=True)
        if verdict is True:
            return self.accept("customer_contact", contact.value, tracker, verified_order=number, backend_down=None)
        return verdict  # type: ignore[return-value]

    def _ownership_failure(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> SlotUpdates:
        attempts = failure_counts(tracker).get("customer_contact", 0) + 1
        if attempts >= settings().ownership_max_attempts:
            counts = {**failure_counts(tracker), "customer_contact": attempts}
            dispatcher.utter_message(response="utter_ownership_failed")
            return {"customer_contact": None, "failed_attempts": counts, "handoff_reason": HANDOFF_REASON_OWNERSHIP}
        # Same words whether the order exists or not: nothing is revealed.
        return self.reject("customer_contact", dispatcher, tracker, "utter_contact_mismatch")


class ValidateCancelOrderForm(TriageFormValidation):
    def name(self) -> str:
        return "validate_cancel_order_form"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        # No point asking "are you sure?" about an order that can no longer be
        # cancelled: the action explains and offers a return instead.
        number = tracker.get_slot("order_number")
        if number and is_verified(tracker):
            try:
                order = await off_loop(order_system().get_order, number)
            except BackendError:
                return domain_slots
            if order.state.has_left_warehouse or order.state is OrderState.CANCELLED:
                return []
        return domain_slots

    def validate_cancel_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        answer = value if isinstance(value, bool) else parse_yes_no(str(value or ""))
        if answer is None:
            return self.reject(
                "cancel_confirmed",
                dispatcher,
                tracker,
                "utter_invalid_yes_no",
                order_number=tracker.get_slot("order_number"),
            )
        return self.accept("cancel_confirmed", answer, tracker)


class ValidateChangeAddressForm(TriageFormValidation):
    def name(self) -> str:
        return "validate_change_address_form"

    def validate_new_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        address = parse_address(str(value or ""))
        if address is None:
            return self.reject("new_address", dispatcher, tracker, "utter_invalid_address")
        return self.accept("new_address", address, tracker)


class ValidateRefundForm(TriageFormValidation):
    def name(self) -> str:
        return "validate_refund_form"

    def validate_refund_item(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        return self.free_text("refund_item", value, dispatcher, tracker, "utter_invalid_refund_item")

    def validate_refund_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self.free_text("refund_reason", value, dispatcher, tracker, "utter_invalid_refund_reason")
