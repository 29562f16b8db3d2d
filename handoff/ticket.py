"""The hand-off ticket: what an agent receives (schema: docs/handoff-ticket.schema.json)
and its lifecycle. Pure: built from tracker events and an ``Escalation``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Tuple

from handoff.policy import Escalation, UserTurn
from privacy.redaction import redact_card_numbers

SCHEMA_VERSION = 1
# The text channels give the bot for a photo, file or place sent without words (bot/channels/inbound.py).
MEDIA_ONLY_TEXT = "/EXTERNAL_media_received"

# Slots that are bookkeeping, not something the customer told us.
INTERNAL_SLOTS = {"requested_slot", "failed_attempts", "handoff_reason", "session_started_metadata", "backend_down"}


class TicketStatus(str, Enum):
    PENDING = "pending"  # waiting in a queue
    ASSIGNED = "assigned"  # an agent owns the conversation; the bot is silent
    RESOLVED = "resolved"  # the agent finished; the bot is back
    RETURNED = "returned"  # handed back to the bot before resolution


OPEN_STATUSES = {TicketStatus.PENDING, TicketStatus.ASSIGNED}
TRANSITIONS: Mapping[TicketStatus, frozenset] = {
    TicketStatus.PENDING: frozenset({TicketStatus.ASSIGNED, TicketStatus.RESOLVED, TicketStatus.RETURNED}),
    TicketStatus.ASSIGNED: frozenset({TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.RETURNED}),
    TicketStatus.RESOLVED: frozenset(),
    TicketStatus.RETURNED: frozenset(),
}


# What each change does to the conversation, beyond the ticket itself (docs/handoff.md): claiming silences
# the bot, closing either way hands the conversation back. An agent's reply is an effect of its own.
SIDE_EFFECTS: Mapping[TicketStatus, Tuple[str, ...]] = {
    TicketStatus.PENDING: (),
    TicketStatus.ASSIGNED: ("pause",),
    TicketStatus.RESOLVED: ("handback",),
    TicketStatus.RETURNED: ("handback",),
}


class InvalidTransition(ValueError):
    """The ticket cannot move from its status to the one asked for."""


class NotYourTicket(PermissionError):
    """Another agent owns this conversation."""


def check_transition(current: TicketStatus, target: TicketStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(f"a {current.value} ticket cannot become {target.value}")


@dataclass(frozen=True)
class TranscriptEntry:
    sender: str  # "customer", "bot" or "agent"
    text: str
    timestamp: float
    intent: str | None = None
    confidence: float | None = None
    top_intents: Tuple[Tuple[str, float], ...] = ()
    agent: str | None = None
    # Photos, files and places the customer sent: {"url", "kind", "content_type"?, "name"?}
    attachments: Tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class Ticket:
    conversation_id: str
    channel: str
    customer_address: str
    reason: str
    queue: str
    priority: int
    summary: str
    explanation: str
    verification: Dict[str, Any]
    slots: Dict[str, Any]
    context: Dict[str, Any]
    transcript: Tuple[TranscriptEntry, ...]
    created_at: float
    frustrated: bool = False
    version: int = SCHEMA_VERSION

    def to_json(self) -> Dict[str, Any]:
        data = asdict(self)
        data["transcript"] = [
            {**asdict(entry), "top_intents": [{"name": n, "confidence": c} for n, c in entry.top_intents],
             "attachments": [dict(a) for a in entry.attachments]}
            for entry in self.transcript
        ]  # fmt: skip
        return data


def _clean(text: str | None) -> str:
    return redact_card_numbers(text or "")[0]


def transcript_from_events(events: Iterable[Mapping[str, Any]]) -> List[TranscriptEntry]:
    """Customer, bot and agent messages with timestamps; each customer message
    with its intent, confidence and top-3 ranking. Card numbers are redacted."""
    entries = []
    for event in events:
        kind = event.get("event")
        metadata = event.get("metadata") or {}
        if kind == "user" and metadata.get("handoff"):
            continue  # the hand-back the desk raised, not something the customer said
        if kind == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            ranking = tuple(
                (str(r.get("name")), round(float(r.get("confidence") or 0.0), 4))
                for r in (parse.get("intent_ranking") or [])[:3]
            )
            attachments = tuple(a for a in metadata.get("attachments") or () if isinstance(a, dict) and a.get("url"))
            text = "" if attachments and event.get("text") == MEDIA_ONLY_TEXT else _clean(event.get("text"))
            entries.append(
                TranscriptEntry(
                    "customer",
                    text,
                    float(event.get("timestamp") or 0),
                    intent.get("name"),
                    intent.get("confidence"),
                    ranking,
                    attachments=attachments,
                )
            )
        elif kind == "bot" and event.get("text"):
            agent = (event.get("metadata") or {}).get("agent")
            entries.append(
                TranscriptEntry(
                    "agent" if agent else "bot",
                    _clean(event.get("text")),
                    float(event.get("timestamp") or 0),
                    agent=agent,
                )
            )
    return entries


def user_turns(events: Iterable[Mapping[str, Any]]) -> List[UserTurn]:
    return [
        UserTurn(e.text, e.intent, e.confidence, e.top_intents, e.timestamp)
        for e in transcript_from_events(events)
        if e.sender == "customer"
    ]


def captured_slots(slots: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in slots.items() if v not in (None, "", [], {}) and k not in INTERNAL_SLOTS}


def verification_state(slots: Mapping[str, Any]) -> Dict[str, Any]:
    order = slots.get("order_number")
    return {
        "order_number": order,
        "order_verified": bool(order) and slots.get("verified_order") == order,
        "account_verified": bool(slots.get("account_verified")),
    }


def summarise(
    task: str | None, reason: str, slots: Mapping[str, Any], escalation: Escalation, verification: Mapping[str, Any]
) -> str:
    """One line from structured context, e.g. "order_status for order 10042 (verified); order_late; frustrated"."""
    parts = [(task or "general enquiry").replace("_", " ")]
    if slots.get("order_number"):
        parts[0] += f" for order {slots['order_number']}"
        parts[0] += " (verified)" if verification.get("order_verified") else " (not verified)"
    if slots.get("disputed_charge"):
        parts.append(f"charge: {_clean(str(slots['disputed_charge']))[:60]}")
    parts.append(f"reason: {reason.replace('_', ' ')}")
    if escalation.frustrated:
        parts.append("customer frustrated")
    return "; ".join(parts)


def build_ticket(
    conversation_id: str,
    channel: str,
    events: Sequence[Mapping[str, Any]],
    slots: Mapping[str, Any],
    escalation: Escalation,
    now: float,
) -> Ticket:
    captured = captured_slots(slots)
    verification = verification_state(slots)
    context: Dict[str, Any] = {
        k: captured[k]
        for k in ("task", "order_number", "invoice_reference", "disputed_charge", "disputed_payment", "dispute_reason")
        if k in captured
    }
    return Ticket(
        conversation_id=conversation_id,
        channel=channel,
        customer_address=conversation_id,
        reason=escalation.reason,
        queue=escalation.queue,
        priority=escalation.priority,
        summary=summarise(slots.get("task"), escalation.reason, slots, escalation, verification),
        explanation=escalation.explain(),
        verification=verification,
        slots={k: _clean(str(v)) if isinstance(v, str) else v for k, v in captured.items()},
        context=context,
        transcript=tuple(transcript_from_events(events)),
        created_at=now,
        frustrated=escalation.frustrated,
    )
