"""Backend errors in the customer's words: the one place that decides which
response (in domain.yml) answers which failure."""

from __future__ import annotations

from typing import Dict, Type

from actions.backends.errors import (
    AccountNotFound,
    AlreadyCancelled,
    AlreadyShipped,
    BackendError,
    BackendUnavailable,
    InvoiceNotFound,
    NotDeliveredYet,
    OrderNotFound,
    OutsideReturnWindow,
)
from handoff.reasons import HandoffReason

HANDOFF_REASON_BACKEND = HandoffReason.BACKEND_FAILURE.value

_RESPONSES: Dict[Type[BackendError], str] = {
    OrderNotFound: "utter_unknown_order_number",
    InvoiceNotFound: "utter_unknown_invoice_reference",
    AccountNotFound: "utter_account_link_sent",  # never reveal that no account exists
    AlreadyShipped: "utter_already_shipped",
    AlreadyCancelled: "utter_already_cancelled",
    NotDeliveredYet: "utter_return_not_delivered",
    OutsideReturnWindow: "utter_return_window_closed",
    BackendUnavailable: "utter_backend_unavailable",
}


def response_for(error: BackendError) -> str:
    """The response name for ``error`` (the most specific class wins)."""
    for cls in type(error).__mro__:
        if cls in _RESPONSES:
            return _RESPONSES[cls]
    return "utter_backend_unavailable"
