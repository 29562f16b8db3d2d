"""Generated support traffic for ``bench/analytics.py``: Rasa events shaped like the triage bot's, deterministic.

``Traffic(plan)`` yields ``(sender_id, event)`` in timestamp order, as the tracker store holds them and Rasa's
broker streams them: each session opens with ``action_session_start`` and ``session_started`` (slots carried
over), customers' ``user`` events carry ``parse_data``, forms run through ``active_loop``/``requested_slot``,
tasks and hand-offs stamp their ``bot`` messages (actions/task.py, actions/handoff.py), agents' replies and the
hand-back come back as the desk's gateway writes them (bot/channels/handoff_gateway.py). While it runs it tallies
what it meant (``expected``) and the tickets the hand-offs opened (``tickets``), so a report can be checked
against the intent of the data, not against the analytics code.
"""

from __future__ import annotations

import hashlib
import heapq
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Dict, Iterator, List, Sequence, Tuple
from zoneinfo import ZoneInfo

from handoff.hours import is_open, next_opening
from handoff.settings import HandoffSettings, Queue

Event = Dict[str, Any]
CHANNELS = {"rest": 0.25, "socketio": 0.35, "sms": 0.30, "rcs": 0.10}  # Rasa's input_channel names
OUTCOMES = {"contained": 0.60, "escalated": 0.20, "abandoned": 0.10, "fallback": 0.10}
RETURN_SHARE = 0.15  # of customers: a second conversation within 24 h of the first one's end
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 10, 9, 9, 9, 9, 9, 9, 8, 8, 7, 5, 3, 2)
AGENTS = tuple(f"agent{n:02d}" for n in range(1, 13))
RETURN_TAIL_S = 4.5 * 86400  # a returning customer's first conversation (and its ticket) ends this far before the end


@dataclass(frozen=True)
class Task:
    forms: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()  # (form, questions) in the order they run
    action: str | None = None  # the task action that says the outcome (stamped "completed")
    answer: str | None = None  # or the response that answers by itself (analytics/config.yml answers)
    weight: float = 1.0  # how often a contained conversation is about it
    task_slot: bool = False  # the categorical ``task`` slot has this value (domain.yml)


ORDER = ("order_lookup_form", ("order_number", "customer_contact"))
ACCOUNT = ("account_lookup_form", ("account_email", "account_phone"))
TASKS: Dict[str, Task] = {
    "delivery_options": Task(answer="utter_delivery_options", weight=0.30),
    "technical_issue": Task(answer="utter_technical_issue", weight=0.20),
    "order_status": Task((ORDER,), "action_order_status", weight=0.22, task_slot=True),
    "refund_status": Task((ORDER,), "action_refund_status", weight=0.07, task_slot=True),
    "cancel_order": Task(
        (ORDER, ("cancel_order_form", ("cancel_confirmed",))), "action_cancel_order", weight=0.05, task_slot=True
    ),
    "change_address": Task(
        (ORDER, ("change_address_form", ("new_address",))), "action_change_address", weight=0.03, task_slot=True
    ),
    "refund_request": Task(
        (("refund_form", ("refund_item", "refund_reason")),), "action_refund_request", weight=0.06, task_slot=True
    ),
    "invoice_request": Task(
        (("invoice_form", ("invoice_reference", "customer_contact")),), "action_invoice_request", weight=0.04
    ),
    "account_access": Task((ACCOUNT,), "action_account_access", weight=0.02, task_slot=True),
    "payment_issue": Task((ACCOUNT,), "action_payment_issue", weight=0.01, task_slot=True),
    "billing_dispute": Task(
        (("billing_dispute_form", ("account_email", "account_phone", "disputed_charge")),),
        "action_billing_dispute",
        weight=0.0,
    ),
    "delete_account": Task(
        (("delete_account_form", ("account_email", "account_phone")),),
        "action_delete_account",
        weight=0.0,
        task_slot=True,
    ),
    "complaint": Task(action="action_handle_complaint", weight=0.0),
}
# Why conversations are handed off, how often, and what the customer was doing (handoff/reasons.py codes).
REASONS: Dict[str, Tuple[float, Tuple[str, ...]]] = {
    "customer_request": (0.35, ("order_status", "refund_request", "cancel_order", "technical_issue")),
    "low_confidence": (0.15, ()),
    "frustration": (0.08, ("order_status", "refund_status")),
    "complaint": (0.10, ("complaint",)),
    "validation_failed": (0.10, ("order_status", "cancel_order")),
    "order_late": (0.08, ("order_status",)),
    "disputed_charge": (0.07, ("billing_dispute",)),
    "account_locked": (0.04, ("account_access",)),
    "privacy_request": (0.03, ("delete_account",)),
}


@dataclass(frozen=True)
class TrafficPlan:
    """What to generate; equal plans give equal traffic, event for event."""

    conversations: int = 100_000
    seed: int = 1
    days: int = 30
    last_day: date = date(2026, 10, 30)  # the period's last day (report time zone); crosses the October clock change
    sender_tag: str = "bench"  # keeps the senders of two plans apart
    timezone: str = "Europe/London"

    def period(self) -> Tuple[float, float]:
        zone = ZoneInfo(self.timezone)
        first = self.last_day - timedelta(days=self.days - 1)
        start = datetime.combine(first, time(), zone).timestamp()
        return start, datetime.combine(self.last_day + timedelta(days=1), time(), zone).timestamp()

    def now(self) -> float:
        """When the report is read: two and a half days after the period, so every conversation is over."""
        return self.period()[1] + 2.5 * 86400

    def digest(self) -> str:
        return hashlib.sha256(repr(self).encode()).hexdigest()[:12]


@dataclass
class Expected:
    """What the generator meant the conversations to be (docs/analytics.md's definitions)."""

    conversations: int = 0
    customers: int = 0
    returns: int = 0  # conversations followed by the same customer's next one within 24 h
    outcomes: Counter = field(default_factory=Counter)
    channels: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    queues: Counter = field(default_factory=Counter)
    customer_messages: int = 0
    fallbacks: int = 0
    abandoned: int = 0  # over with a form left open and no hand-off
    events: int = 0  # every Rasa event generated, action_listen included
    tickets_in_period: int = 0

    def as_json(self) -> Dict[str, Any]:
        return {k: dict(v) if isinstance(v, Counter) else v for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class TicketSpec:
    """A hand-off ticket as the desk left it at ``plan.now()``."""

    id: int
    sender_id: str
    channel: str
    queue: str
    reason: str
    priority: int
    created_at: float
    status: str  # pending, assigned, resolved, returned
    claimed_at: float | None
    replies: Tuple[Tuple[float, str], ...]  # (at, agent)
    closed_at: float | None
    agent: str
    satisfaction: int | None


@dataclass
class _Customer:
    sender_id: str
    channel: str
    contact: str
    slots: Dict[str, Any] = field(default_factory=dict)  # carried over to the next session (domain.yml)


class _Script:
    """One conversation's events on a clock: the bot answers within a fraction of a second, customers think."""

    def __init__(self, rng: random.Random, customer: _Customer, start: float) -> None:
        self.rng, self.customer, self.t = rng, customer, start
        self.events: List[Event] = []
        self.customer_messages = self.fallbacks = 0
        self.open_form = False
        self.rating: int | None = None  # what the customer answers the satisfaction question with
        self._add({"event": "action", "name": "action_session_start", "policy": None, "confidence": 1.0}, 0.0)
        self._add({"event": "session_started"}, 0.0001)
        for name, value in list(customer.slots.items()):
            if value is not None:
                self.slot(name, value)
        self.listen()

    def _add(self, body: Event, gap: float) -> None:
        self.t += gap
        self.events.append({"event": body.pop("event"), "timestamp": round(self.t, 6), **body})

    def listen(self) -> None:
        self.action("action_listen")

    def action(self, name: str) -> None:
        policy = "RulePolicy" if name.startswith(("utter_", "action_listen")) else "TEDPolicy"
        self._add({"event": "action", "name": name, "policy": policy, "confidence": 1.0}, self.rng.uniform(0.01, 0.3))

    def slot(self, name: str, value: Any) -> None:
        self.customer.slots[name] = value
        self._add({"event": "slot", "name": name, "value": value}, 0.00005)

    def loop(self, name: str | None) -> None:
        self._add({"event": "active_loop", "name": name}, 0.00005)

    def bot(self, utter: str, analytics: Dict[str, Any] | None = None, agent: str | None = None) -> None:
        metadata: Dict[str, Any] = {"utter_action": utter}
        if agent:  # as the desk's gateway writes an agent's reply
            metadata = {"agent": agent, "delivery_id": f"{self.rng.getrandbits(128):032x}"}
        if analytics:
            metadata["analytics"] = analytics
        data = dict.fromkeys(("elements", "quick_replies", "buttons", "attachment", "image", "custom"))
        self._add({"event": "bot", "text": f"({utter})", "data": data, "metadata": metadata}, 0.0002)

    def user(self, text: str, intent: str, confidence: float = 0.95, entities: Sequence[Event] = (),
             think: bool = True, metadata: Dict[str, Any] | None = None) -> None:  # fmt: skip
        others = self.rng.sample(["greet", "inform", "affirm", "order_status", "refund_request", "out_of_scope"], 3)
        ranking = [{"name": intent, "confidence": confidence}] + [
            {"name": n, "confidence": round((1 - confidence) / (i + 2), 4)} for i, n in enumerate(others) if n != intent
        ]
        message_id = f"{self.rng.getrandbits(128):032x}"
        parse = {"intent": {"name": intent, "confidence": confidence}, "entities": list(entities), "text": text,
                 "message_id": message_id, "metadata": {}, "intent_ranking": ranking}  # fmt: skip
        gap = max(2.0, self.rng.expovariate(1 / 25.0)) if think else 0.001
        self._add({"event": "user", "text": text, "parse_data": parse, "input_channel": self.customer.channel,
                   "message_id": message_id, "metadata": metadata or {}}, gap)  # fmt: skip
        if not (metadata or {}).get("handoff"):
            self.customer_messages += 1
            self.fallbacks += intent == "nlu_fallback"

    def say(self, utter: str, analytics: Dict[str, Any] | None = None) -> None:
        """The bot's turn with one response: the action, what it said, and back to listening."""
        self.action(utter)
        self.bot(utter, analytics)
        self.listen()

    def form(self, name: str, questions: Sequence[str], answered: int) -> bool:
        """Run a form; the customer answers ``answered`` questions (already filled ones skip). True: completed."""
        self.action(name)
        self.loop(name)
        for question in questions:
            if self.customer.slots.get(question) is not None:
                continue
            self.slot("requested_slot", question)
            self.bot(f"utter_ask_{question}")
            self.listen()
            if answered <= 0:
                self.open_form = True
                return False  # the customer goes quiet at this question
            value = self._answer(question)
            self.user("yes" if value is True else str(value), "inform")
            self.action(name)
            self.slot(question, value)
            answered -= 1
        self.slot("requested_slot", None)
        self.loop(None)
        return True

    def _answer(self, question: str) -> Any:
        contact = self.customer.contact
        values = {
            "order_number": str(10000 + self.rng.randrange(90000)),
            "customer_contact": contact,
            "account_email": contact,
            "cancel_confirmed": True,
            "satisfaction": str(self.rating),
        }
        return values.get(question, f"the {question.replace('_', ' ')}")


class Traffic:
    """Iterate for ``(sender_id, event)`` in timestamp order; afterwards ``expected`` and ``tickets`` are complete."""

    def __init__(self, plan: TrafficPlan, handoff: HandoffSettings) -> None:
        self.plan, self.handoff = plan, handoff
        self.rng = random.Random(plan.seed)
        self.expected = Expected()
        self.tickets: List[TicketSpec] = []
        self.start, self.end = plan.period()
        self.now = plan.now()
        self._returns: List[Tuple[float, int, _Customer]] = []  # returns scheduled, by when

    def __iter__(self) -> Iterator[Tuple[str, Event]]:
        pending: List[Tuple[float, int, str, Event]] = []  # every event of the conversations begun so far
        order = 0
        for start, customer, returns in self._starts():
            while pending and pending[0][0] < start:
                _, _, sender, event = heapq.heappop(pending)
                yield sender, event
            for event in self._conversation(customer, start, returns):
                order += 1
                heapq.heappush(pending, (event["timestamp"], order, customer.sender_id, event))
        while pending:
            _, _, sender, event = heapq.heappop(pending)
            yield sender, event

    # -- who comes when ---------------------------------------------------------------------------------------
    def _starts(self) -> Iterator[Tuple[float, _Customer, bool]]:
        """Conversation starts in time order: first contacts through the period (weighted by hour of day), and the
        returns scheduled as their first conversation ends; exactly ``plan.conversations`` in all."""
        returning: List[bool] = []
        while len(returning) + sum(returning) < self.plan.conversations:
            back = self.rng.random() < RETURN_SHARE and len(returning) + sum(returning) + 2 <= self.plan.conversations
            returning.append(back)
        firsts = sorted((self._first_start(back), n, back) for n, back in enumerate(returning))
        self.expected.customers = len(firsts)
        for first, n, back in firsts:
            while self._returns and self._returns[0][0] <= first:
                at, _, customer = heapq.heappop(self._returns)
                yield at, customer, False
            yield first, self._customer(n), back
        while self._returns:
            at, _, customer = heapq.heappop(self._returns)
            yield at, customer, False

    def _first_start(self, back: bool) -> float:
        """A day of the period and an hour of it (busier in the day); a returning customer's first contact early
        enough for the return to fall in the period too."""
        limit = self.end - (RETURN_TAIL_S if back else 3600)
        zone = ZoneInfo(self.plan.timezone)
        first_day = datetime.fromtimestamp(self.start, zone).date()
        while True:
            day = first_day + timedelta(days=self.rng.randrange(self.plan.days))
            hour = self.rng.choices(range(24), HOUR_WEIGHTS)[0]
            moment = datetime.combine(day, time(hour), zone).timestamp() + self.rng.uniform(0, 3600)
            if moment < limit:
                return moment

    def _customer(self, n: int) -> _Customer:
        channel = self.rng.choices(list(CHANNELS), list(CHANNELS.values()))[0]
        tag = self.plan.sender_tag
        if channel in ("sms", "rcs"):
            digest = int(hashlib.sha256(f"{tag}:{n}".encode()).hexdigest()[:6], 16) % 100
            sender = f"+4477{digest:02d}{n:07d}"  # distinct numbers per plan and customer
        elif channel == "rest":
            sender = f"{tag}-customer-{n}@example.com"
        else:
            sender = f"{self.rng.getrandbits(96):024x}"
        contact = sender if channel in ("sms", "rcs") else f"{tag}.customer{n}@example.com"
        return _Customer(sender, channel, contact)

    # -- one conversation -------------------------------------------------------------------------------------
    def _conversation(self, customer: _Customer, start: float, returns: bool) -> List[Event]:
        rng = self.rng
        script = _Script(rng, customer, start)
        if rng.random() < (0.5 if customer.channel == "socketio" else 0.1):  # the web chat opens with /greet
            script.user("/greet" if customer.channel == "socketio" else "hi", "greet", think=False)
            script.say("utter_greet")
        outcome = rng.choices(list(OUTCOMES), list(OUTCOMES.values()))[0]
        reason = None
        if outcome == "contained":
            self._contained(script)
        elif outcome == "abandoned":
            self._abandoned(script)
        elif outcome == "fallback":
            self._fallback(script, turns=rng.choice((1, 1, 2, 3)))
        else:
            reason = rng.choices(list(REASONS), [w for w, _ in REASONS.values()])[0]
            self._escalated(script, reason, allow_open=not returns)
        self._tally(script, customer, outcome, reason, start)
        if returns:
            back = script.t + rng.uniform(65 * 60, 23 * 3600)
            heapq.heappush(self._returns, (back, self.expected.conversations, customer))
            self.expected.returns += 1
        return script.events

    def _abandoned(self, script: _Script) -> None:
        """A task whose last form the customer leaves at one of its questions."""
        with_forms = [(name, task.weight) for name, task in TASKS.items() if task.forms]
        task = self.rng.choices([n for n, _ in with_forms], [w for _, w in with_forms])[0]
        self._ask(script, task)
        *before, (form, questions) = TASKS[task].forms
        for earlier, asked in before:
            script.form(earlier, asked, len(asked))
        unfilled = [q for q in questions if script.customer.slots.get(q) is None]
        script.form(form, questions, self.rng.randrange(len(unfilled)))

    def _tally(self, script: _Script, customer: _Customer, outcome: str, reason: str | None, start: float) -> None:
        e = self.expected
        e.conversations += 1
        e.events += len(script.events)
        e.outcomes[outcome] += 1
        e.channels[customer.channel] += 1
        e.customer_messages += script.customer_messages
        e.fallbacks += script.fallbacks
        e.abandoned += int(script.open_form and reason is None)
        if reason:
            e.reasons[reason] += 1
            e.queues[self.tickets[-1].queue] += 1
            e.tickets_in_period += int(self.start <= self.tickets[-1].created_at < self.end)
        if not self.start <= start < self.end:
            raise RuntimeError(f"conversation {e.conversations} was planned outside the period")

    def _ask(self, script: _Script, task: str) -> None:
        """The customer's first request; an order number in it fills the slot at once."""
        entities: List[Event] = []
        for _, questions in TASKS[task].forms:
            for name in questions:
                script.customer.slots.pop(name, None)  # a new request asks afresh
        if TASKS[task].forms and TASKS[task].forms[0] is ORDER and self.rng.random() < 0.6:
            number = str(10000 + self.rng.randrange(90000))
            entities = [
                {"entity": "order_number", "value": number, "start": 17, "end": 22, "extractor": "RegexEntityExtractor"}
            ]
        script.user(f"{task.replace('_', ' ')} please", task, round(self.rng.uniform(0.55, 0.99), 4), entities)
        if TASKS[task].task_slot:
            script.slot("task", task)
        for entity in entities:
            script.slot(entity["entity"], entity["value"])

    def _contained(self, script: _Script) -> None:
        task = self.rng.choices(list(TASKS), [t.weight for t in TASKS.values()])[0]
        self._complete(script, task)
        if self.rng.random() < 0.1:
            script.user("thanks", "thank_you")
            script.say("utter_you_are_welcome")

    def _complete(self, script: _Script, task: str) -> None:
        self._ask(script, task)
        spec = TASKS[task]
        if spec.answer:
            script.say(spec.answer)
            return
        for form, questions in spec.forms:
            script.form(form, questions, len(questions))
        if ORDER in spec.forms:
            script.slot("verified_order", script.customer.slots.get("order_number"))
        script.action(spec.action or "")
        script.bot("utter_task_done", {"task": spec.action, "outcome": "completed"})
        script.listen()

    def _fallback(self, script: _Script, turns: int) -> None:
        for turn in range(turns):
            if turn == 2:
                script.user("what's the weather", "out_of_scope", 0.81)
                script.say("utter_out_of_scope")
                continue
            script.user("asdf qwerty", "nlu_fallback", 0.3)
            script.say("utter_ask_rephrase" if turn == 0 else "utter_default")

    def _escalated(self, script: _Script, reason: str, allow_open: bool) -> None:
        rng = self.rng
        tasks = REASONS[reason][1]
        task = rng.choice(tasks) if tasks else None
        if reason == "low_confidence":
            self._fallback(script, turns=2)
            script.user("refund for my order i guess", "refund_request", 0.41)
        elif task and reason == "validation_failed":
            self._ask(script, task)
            script.action(TASKS[task].forms[0][0])
            script.loop(TASKS[task].forms[0][0])
            script.slot("requested_slot", "customer_contact")
            for _ in range(3):
                script.bot("utter_ask_customer_contact")
                script.listen()
                script.user("not sure", "inform")
                script.action(TASKS[task].forms[0][0])
        elif task and reason in ("customer_request", "frustration", "order_late"):
            if reason == "customer_request" and rng.random() < 0.5:
                self._ask(script, task)  # asks for a person straight after saying what it is about
            else:
                self._complete(script, task)
            words = {"frustration": "this is USELESS", "order_late": "it's a week late"}.get(reason, "agent please")
            script.user(words, "request_human" if reason == "customer_request" else "complaint", 0.9)
        elif task:
            self._ask(script, task)
        self._hand_off(script, reason, task, allow_open)

    def _hand_off(self, script: _Script, reason: str, task: str | None, allow_open: bool) -> None:
        config = self.handoff
        queue_key = config.reason_queues.get(reason) or config.task_queues.get(task or "") or config.default_queue
        priority = config.reason_priority.get(reason, config.default_priority) + int(task in config.high_risk_tasks)
        ticket_id = len(self.tickets) + 1
        stamp = {"handoff": {"ticket": ticket_id, "queue": queue_key, "reason": reason, "priority": min(priority, 5)}}
        script.action("action_handoff")
        script.slot("handoff_reason", reason)
        queue = config.queues[queue_key]
        created = script.t + 0.0002
        script.bot("utter_handoff_queued" if is_open(queue, _utc(created)) else "utter_handoff_after_hours", stamp)
        script._add({"event": "pause"}, 0.0001)
        ticket = self._ticket(ticket_id, script, queue, reason, min(priority, 5), created, allow_open)
        self.tickets.append(ticket)
        for at, agent in ticket.replies:
            script.t = at
            script.bot("agent_message", agent=agent)
        if ticket.closed_at is not None:
            script.t = ticket.closed_at
            self._hand_back(script, ticket)

    def _ticket(
        self,
        ticket_id: int,
        script: _Script,
        queue: Queue,
        reason: str,
        priority: int,
        created: float,
        allow_open: bool,
    ) -> TicketSpec:
        """The agents' side: claimed when the queue is open after a wait, one to three replies, then closed - as far
        as it got by ``now`` (a returning customer's first ticket is always closed by then)."""
        rng = self.rng
        opening = next_opening(queue, _utc(created))
        opens = created if is_open(queue, _utc(created)) or opening is None else opening.timestamp()
        wait = queue.typical_wait_minutes * 60
        claimed = opens + min(rng.expovariate(1 / (wait * 2)), wait * 12)
        replies, at = [], claimed
        for _ in range(rng.choice((1, 1, 2, 3))):
            at += 20 + min(rng.expovariate(1 / 240), 3600)
            replies.append(at)
        closed = at + 60 + min(rng.expovariate(1 / 900), 4 * 3600)
        agent = rng.choice(AGENTS)
        cut = self.now if allow_open else float("inf")
        if allow_open and created > self.end - 2 * 86400 and rng.random() < 0.25:
            cut = created + rng.uniform(0, 6) * 3600  # nobody has got to it yet: the backlog
        closed_as = "returned" if rng.random() < 0.1 else "resolved"
        status = closed_as if closed <= cut else "assigned" if claimed <= cut else "pending"
        closed_at = closed if status in ("resolved", "returned") else None
        return TicketSpec(
            ticket_id,
            script.customer.sender_id,
            script.customer.channel,
            queue.key,
            reason,
            priority,
            created,
            status,
            claimed if claimed <= cut else None,
            tuple((r, agent) for r in replies if r <= cut),
            closed_at,
            agent,
            None,
        )

    def _hand_back(self, script: _Script, ticket: TicketSpec) -> None:
        """The desk closes the ticket: the bot resumes, welcomes the customer back and asks for a rating."""
        script._add({"event": "resume"}, 0.0)
        script.listen()
        script.user("/EXTERNAL_handback", "EXTERNAL_handback", 1.0, think=False, metadata={"handoff": "handback"})
        script.action("utter_welcome_back")
        script.bot("utter_welcome_back")
        script.customer.slots.pop("satisfaction", None)
        script.rating = self.rng.choices((1, 2, 3, 4, 5), (1, 1, 2, 4, 6))[0] if self.rng.random() < 0.45 else None
        if script.form("satisfaction_form", ("satisfaction",), int(script.rating is not None)):
            script.action("action_record_satisfaction")
            script.bot("utter_thanks_feedback")
            script.listen()
            self.tickets[-1] = replace(ticket, satisfaction=script.rating)


def _utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, timezone.utc)
