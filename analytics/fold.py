"""Pure: a customer's stored events, folded into conversations and their customer messages.

A conversation is one Rasa session (from ``session_started`` to the next). What it records is what the report
counts (docs/analytics.md): its channel, first task, customer messages, fallbacks, the hand-off (from the
hand-off message's ``analytics`` metadata, actions/handoff.py), the tasks completed (task actions mark their
outcome on what they say, actions/task.py; some responses are answers in themselves), and every form visit
with the questions asked and how it ended. Whether a conversation is over (and so abandoned or resolved) is
decided at report time, against the clock, not here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Tuple

from analytics.settings import AnalyticsSettings

# Events that say nothing analytics counts: not kept (their id is still checked, so a re-sent one is ignored).
IGNORED_KINDS = frozenset({"user_featurization", "action_execution_rejected", "entities", "loop_interrupted"})
# Events of a new session that Rasa logs just *before* its session_started event (the channel's metadata slot,
# then the session-start action): kept, they would stretch the previous conversation to the new one's start.
SKIPPED_ACTIONS = frozenset({"action_listen", "action_session_start"})
SKIPPED_SLOTS = frozenset({"session_started_metadata"})
PHONE_CHANNELS = frozenset({"sms", "rcs"})  # the conversation id is the customer's phone number

# How a form visit ended.
# FAILED: the form ended itself without the answer it asked for (a proof refused too often, say).
COMPLETED, FAILED, CANCELLED, ESCALATED, OPEN = "completed", "failed", "cancelled", "escalated", "open"


@dataclass(frozen=True)
class StreamEvent:
    """One Rasa event as the tracker store keeps it and the event broker streams it."""

    event_id: str
    sender_id: str
    timestamp: float
    kind: str
    data: Mapping[str, Any]


def event_id(sender_id: str, data: Mapping[str, Any]) -> str:
    """The same event always gets the same id, however often it is delivered: a digest of the conversation and
    the event's own serialisation. (Rasa 3.6 events carry no id; the broker re-sends the identical body.)"""
    body = {k: v for k, v in data.items() if k != "sender_id"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{sender_id}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()[:40]


def stream_event(sender_id: str, data: Mapping[str, Any]) -> StreamEvent | None:
    """An event worth keeping, or None (ignored kinds, listening, malformed)."""
    kind = data.get("event")
    timestamp = data.get("timestamp")
    if not isinstance(kind, str) or kind in IGNORED_KINDS or not isinstance(timestamp, (int, float)):
        return None
    if (kind == "action" and data.get("name") in SKIPPED_ACTIONS) or (
        kind == "slot" and data.get("name") in SKIPPED_SLOTS
    ):
        return None
    return StreamEvent(event_id(sender_id, data), sender_id, float(timestamp), kind, data)


@dataclass(frozen=True)
class FormVisit:
    form: str
    questions: Tuple[str, ...]  # in the order first asked
    outcome: str  # COMPLETED, FAILED, CANCELLED, ESCALATED or OPEN (still active when the events end)


@dataclass(frozen=True)
class CustomerMessage:
    event_id: str
    timestamp: float
    text: str
    intent: str | None  # as NLU gave it (the fallback intent when it fell back)
    confidence: float
    best_intent: str | None  # the best real intent in the ranking (what it "nearly" was)
    best_confidence: float
    fallback: bool
    out_of_scope: bool
    low_confidence: bool
    rephrase: bool  # the message right after a fallback: the customer saying it again
    before_low_confidence_handoff: bool  # what led to a hand-off for low confidence


@dataclass(frozen=True)
class Conversation:
    key: str
    sender_id: str
    started_at: float
    last_event_at: float
    last_customer_at: float | None
    channel: str | None
    customer_key: str
    first_intent: str | None
    customer_messages: int
    fallbacks: int
    handoff_at: float | None = None
    handoff_reason: str | None = None
    handoff_queue: str | None = None
    ticket_id: int | None = None
    tasks_completed: Tuple[str, ...] = ()
    tasks_failed: Tuple[str, ...] = ()
    forms: Tuple[FormVisit, ...] = ()
    messages: Tuple[CustomerMessage, ...] = field(default=(), repr=False)

    @property
    def open_form(self) -> FormVisit | None:
        return self.forms[-1] if self.forms and self.forms[-1].outcome == OPEN else None


def customer_key(sender_id: str, channel: str | None, slots: Mapping[str, Any]) -> str:
    """Who the customer is, for repeat contact: the verified e-mail or phone, else the channel address. A digest,
    so the analytics store holds no address."""
    identity = f"{channel or 'unknown'}:{sender_id}"
    contact = slots.get("customer_contact")
    if slots.get("account_verified") and slots.get("account_email"):
        identity = f"email:{str(slots['account_email']).strip().casefold()}"
    elif contact and slots.get("order_number") and slots.get("verified_order") == slots.get("order_number"):
        text = str(contact).strip().casefold()
        identity = f"email:{text}" if "@" in text else f"phone:{''.join(c for c in text if c.isdigit())}"
    elif channel in PHONE_CHANNELS:
        identity = f"phone:{''.join(c for c in sender_id if c.isdigit())}"
    return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def split_sessions(events: Sequence[StreamEvent]) -> List[List[StreamEvent]]:
    sessions: List[List[StreamEvent]] = []
    for event in events:
        if event.kind == "session_started" or not sessions:
            sessions.append([])
        sessions[-1].append(event)
    return sessions


def _ranking(parse: Mapping[str, Any]) -> List[Tuple[str, float]]:
    ranked = []
    for entry in parse.get("intent_ranking") or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
            ranked.append((entry["name"], float(entry.get("confidence") or 0.0)))
    return ranked


class _Folder:
    """Walks one session's events in order."""

    def __init__(self, sender_id: str, config: AnalyticsSettings) -> None:
        self.sender_id, self.config = sender_id, config
        self.slots: Dict[str, Any] = {}
        self.channel: str | None = None
        self.first_intent: str | None = None
        self.seen_customer = False
        self.last_customer_at: float | None = None
        self.messages: List[Dict[str, Any]] = []
        self.handoff: Dict[str, Any] = {}
        self.completed: List[str] = []
        self.failed: List[str] = []
        self.forms: List[Dict[str, Any]] = []  # {"form", "questions", "outcome"}
        self.active_form: str | None = None
        self.last_action: str | None = None
        self.previous_fallback = False

    # -- one event --------------------------------------------------------------------------------
    def take(self, event: StreamEvent) -> None:
        getattr(self, f"_{event.kind}", self._other)(event)

    def _other(self, event: StreamEvent) -> None:
        return None

    def _user(self, event: StreamEvent) -> None:
        data = event.data
        if (data.get("metadata") or {}).get("handoff"):
            return  # the desk handing the conversation back, not the customer
        self.seen_customer = True
        self.last_customer_at = event.timestamp
        self.channel = self.channel or (data.get("input_channel") or None)
        parse = data.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name")
        confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
        real = [(n, c) for n, c in _ranking(parse) if n != self.config.fallback_intent]
        best, best_confidence = real[0] if real else (intent, confidence)
        fallback = intent == self.config.fallback_intent
        self.messages.append({
            "event_id": event.event_id, "timestamp": event.timestamp, "text": str(data.get("text") or ""),
            "intent": intent, "confidence": confidence, "best_intent": best, "best_confidence": best_confidence,
            "fallback": fallback, "out_of_scope": intent == self.config.out_of_scope_intent,
            "low_confidence": not fallback and confidence < self.config.low_confidence,
            "rephrase": self.previous_fallback, "before_low_confidence_handoff": False,
        })  # fmt: skip
        self.previous_fallback = fallback
        self.last_action = None

    def _action(self, event: StreamEvent) -> None:
        name = str(event.data.get("name") or "")
        self.last_action = name
        if name in self.config.fallback_actions and self.messages and not self.messages[-1]["fallback"]:
            self.messages[-1]["fallback"] = True  # the dialogue fell back on a message NLU had an intent for
            self.previous_fallback = True

    def _slot(self, event: StreamEvent) -> None:
        name, value = event.data.get("name"), event.data.get("value")
        if not isinstance(name, str):
            return
        self.slots[name] = value
        if name == "task" and value and self.first_intent is None and self.seen_customer:
            self.first_intent = str(value)  # carried-over slots are set before the customer speaks
        if name == "requested_slot" and value and self.active_form and self.forms:
            questions = self.forms[-1]["questions"]
            if str(value) not in questions:
                questions.append(str(value))

    def _active_loop(self, event: StreamEvent) -> None:
        name = event.data.get("name")
        if name:
            if name != self.active_form:
                self.forms.append({"form": str(name), "questions": [], "outcome": OPEN})
            self.active_form = str(name)
            return
        if self.active_form and self.forms and self.forms[-1]["outcome"] == OPEN:
            # The form's own action deactivates it when every slot is filled, or when it gives up on one (its last
            # question then has no value); anything else stopped it.
            questions = self.forms[-1]["questions"]
            answered = not questions or self.slots.get(questions[-1]) not in (None, "")
            if self.last_action != self.active_form:
                self.forms[-1]["outcome"] = CANCELLED
            else:
                self.forms[-1]["outcome"] = COMPLETED if answered else FAILED
        self.active_form = None

    def _bot(self, event: StreamEvent) -> None:
        metadata = event.data.get("metadata") or {}
        if metadata.get("agent"):
            return
        found = metadata.get("analytics")
        stamp: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        if isinstance(stamp.get("handoff"), Mapping):
            self._hand_off(event.timestamp, stamp["handoff"])
        outcome, task = stamp.get("outcome"), stamp.get("task")
        if outcome == "completed" and task and task not in self.completed:
            self.completed.append(str(task))
        elif outcome == "failed" and task and task not in self.failed:
            self.failed.append(str(task))
        utter = metadata.get("utter_action")
        if utter in self.config.answers and utter not in self.completed:
            self.completed.append(str(utter))

    def _pause(self, event: StreamEvent) -> None:
        if not self.handoff:  # a pause without the hand-off message (older events): the slot has the reason
            self._hand_off(event.timestamp, {"reason": self.slots.get("handoff_reason") or "customer_request"})

    def _hand_off(self, at: float, details: Mapping[str, Any]) -> None:
        if self.handoff.get("ticket") is not None:
            return  # the first hand-off of the conversation is the one counted
        ticket = details.get("ticket")
        self.handoff = {
            "at": self.handoff.get("at", at),
            "reason": details.get("reason"),
            "queue": details.get("queue"),
            "ticket": ticket if isinstance(ticket, int) else None,
        }
        if self.forms and self.forms[-1]["outcome"] == OPEN:
            self.forms[-1]["outcome"] = ESCALATED
        if details.get("reason") == "low_confidence":
            for message in self.messages[-3:]:
                message["before_low_confidence_handoff"] = True

    def _restart(self, event: StreamEvent) -> None:
        if self.forms and self.forms[-1]["outcome"] == OPEN:
            self.forms[-1]["outcome"] = CANCELLED
        self.active_form = None

    # -- the result --------------------------------------------------------------------------------
    def conversation(self, events: Sequence[StreamEvent]) -> Conversation:
        started = events[0].timestamp
        return Conversation(
            key=f"{self.sender_id}#{started:.6f}",
            sender_id=self.sender_id,
            started_at=started,
            last_event_at=events[-1].timestamp,
            last_customer_at=self.last_customer_at,
            channel=self.channel,
            customer_key=customer_key(self.sender_id, self.channel, self.slots),
            first_intent=self.first_intent or self._first_real_intent(),
            customer_messages=len(self.messages),
            fallbacks=sum(1 for m in self.messages if m["fallback"]),
            handoff_at=self.handoff.get("at"),
            handoff_reason=self.handoff.get("reason"),
            handoff_queue=self.handoff.get("queue"),
            ticket_id=self.handoff.get("ticket"),
            tasks_completed=tuple(self.completed),
            tasks_failed=tuple(self.failed),
            forms=tuple(FormVisit(f["form"], tuple(f["questions"]), f["outcome"]) for f in self.forms),
            messages=tuple(CustomerMessage(**m) for m in self.messages),
        )

    def _first_real_intent(self) -> str | None:
        for message in self.messages:
            if not message["fallback"] and message["intent"]:
                return str(message["intent"])
        return None


def fold(sender_id: str, events: Iterable[StreamEvent], config: AnalyticsSettings) -> List[Conversation]:
    """The conversations in a customer's events (any order; duplicates by id are dropped)."""
    unique = {e.event_id: e for e in events}
    ordered = sorted(unique.values(), key=lambda e: (e.timestamp, e.kind != "session_started"))
    conversations = []
    for session in split_sessions(ordered):
        folder = _Folder(sender_id, config)
        for event in session:
            folder.take(event)
        conversations.append(folder.conversation(session))
    return conversations
