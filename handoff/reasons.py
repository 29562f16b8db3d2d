"""Why the bot offered or started a hand-off: the one list of reason codes (docs/dialogue.md says when each is
set). The ``handoff_reason`` slot holds one; ``handoff/config.yml`` routes and ranks them, and is checked
against this list when it is read, so a misspelt code fails at start-up, not in a queue."""

from __future__ import annotations

from enum import Enum


class HandoffReason(str, Enum):
    CUSTOMER_REQUEST = "customer_request"
    VALIDATION_FAILED = "validation_failed"
    OWNERSHIP_FAILED = "ownership_failed"
    PROOF_LOCKED = "proof_locked"
    LOW_CONFIDENCE = "low_confidence"
    ORDER_LATE = "order_late"
    DISPUTED_CHARGE = "disputed_charge"
    DISPUTED_CHARGE_UNVERIFIED = "disputed_charge_unverified"
    MAIL_LIMIT = "mail_limit"
    ACCOUNT_LOCKED = "account_locked"
    PRIVACY_REQUEST = "privacy_request"
    PRIVACY_REQUEST_UNVERIFIED = "privacy_request_unverified"
    FRUSTRATION = "frustration"
    COMPLAINT = "complaint"
    BACKEND_FAILURE = "backend_failure"


CODES = frozenset(reason.value for reason in HandoffReason)
