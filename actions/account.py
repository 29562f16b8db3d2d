"""Account tasks: sign-in help, payment problems, deletion.

Whether an account exists for an email is never revealed: the customer gets
the same words either way, and links only ever go to the address on file.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backends.calls import off_loop
from actions.backends.errors import AccountNotFound
from actions.backends.models import Customer
from actions.backends.registry import billing_system
from actions.charges import latest_failed
from actions.handoff import hand_over
from actions.limits.guard import reserve_mail
from actions.replies import HANDOFF_REASON_BACKEND
from actions.task import AccountTaskAction, TaskAction
from handoff.reasons import HandoffReason

HANDOFF_REASON_LOCKED = HandoffReason.ACCOUNT_LOCKED.value
HANDOFF_REASON_PRIVACY = HandoffReason.PRIVACY_REQUEST.value
HANDOFF_REASON_PRIVACY_UNVERIFIED = HandoffReason.PRIVACY_REQUEST_UNVERIFIED.value
HANDOFF_REASON_MAIL_LIMIT = HandoffReason.MAIL_LIMIT.value


def mail_subject(customer: Customer | None, tracker: Tracker) -> str:
    """What the daily e-mail limit counts: the account, or (no account) the address asked for."""
    return f"customer:{customer.id}" if customer else f"email:{tracker.get_slot('account_email') or ''}"


async def find_account(tracker: Tracker) -> Customer | None:
    try:
        return await off_loop(billing_system().find_customer_by_email, tracker.get_slot("account_email"))
    except AccountNotFound:
        return None


class ActionAccountAccess(AccountTaskAction):
    """Sign-in help on a proven account: a reset link to the address on file, or a person for a locked one."""

    def name(self) -> str:
        return "action_account_access"

    async def perform(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        customer = await find_account(tracker)
        if customer is not None and customer.account_status == "locked":
            # A locked account is a security matter: a person takes over at once.
            dispatcher.utter_message(response="utter_account_locked")
            return await hand_over(dispatcher, tracker, HANDOFF_REASON_LOCKED)
        if not await reserve_mail(mail_subject(customer, tracker)):
            dispatcher.utter_message(response="utter_mail_limit_reached")
            return [SlotSet("handoff_reason", HANDOFF_REASON_MAIL_LIMIT)]
        if customer is not None:
            await off_loop(billing_system().send_password_reset, customer.id)
        dispatcher.utter_message(response="utter_reset_link_sent")
        return []


class ActionPaymentIssue(AccountTaskAction):
    def name(self) -> str:
        return "action_payment_issue"

    async def perform(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        customer = await find_account(tracker)
        if not await reserve_mail(mail_subject(customer, tracker)):
            dispatcher.utter_message(response="utter_mail_limit_reached")
            return [SlotSet("handoff_reason", HANDOFF_REASON_MAIL_LIMIT)]
        if customer is not None:
            billing = billing_system()
            failed = latest_failed(await off_loop(billing.payments_for_customer, customer.id))
            # Sent whether or not a failed payment shows yet: card problems often
            # happen at checkout, before any payment exists.
            await off_loop(billing.send_payment_update_link, customer.id, failed.id if failed else None)
        dispatcher.utter_message(response="utter_payment_link_sent")
        return []


class ActionDeleteAccount(TaskAction):
    """Only a verified owner's request goes to the privacy queue as such; an
    unverified one still reaches a person, who verifies another way."""

    def name(self) -> str:
        return "action_delete_account"

    def cleanup(self) -> List[EventType]:
        return [SlotSet("account_phone", None), SlotSet("account_verified", None), SlotSet("backend_down", None)]

    async def perform(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        if tracker.get_slot("backend_down"):
            dispatcher.utter_message(response="utter_backend_unavailable")
            return [SlotSet("handoff_reason", HANDOFF_REASON_BACKEND)]
        if tracker.get_slot("account_verified"):
            dispatcher.utter_message(response="utter_delete_account_privacy_team")
            return [SlotSet("handoff_reason", HANDOFF_REASON_PRIVACY)]
        dispatcher.utter_message(response="utter_delete_account_unverified")
        return [SlotSet("handoff_reason", HANDOFF_REASON_PRIVACY_UNVERIFIED)]
