"""Pure: the support-load report, computed from the facts the store holds (docs/analytics.md defines each figure).

Every rate carries its denominator. Conversations are those with at least one customer message that started in
the period; a conversation is *over* once nothing has happened in it for ``idle_seconds``; a window (repeat
contact, durable resolution) is *judged* only once it has closed, so a report never calls a conversation
resolved that may still be undone. Tickets come from the hand-off store; their times are counted in the
queue's business hours when the queue has a target.
"""

from __future__ import annotations

import bisect
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Mapping, Sequence, Tuple
from zoneinfo import ZoneInfo

from analytics.settings import AnalyticsSettings
from handoff.hours import open_seconds_between
from handoff.settings import Queue

UNKNOWN = "(none)"
# How a form visit that did not complete ended, at its last question: the customer went quiet (abandoned), the
# form gave up on an answer (failed), the customer stopped it (cancelled) or was handed to a person (escalated).
DROPPED = ("abandoned", "failed", "cancelled", "escalated")


@dataclass(frozen=True)
class ReportFilter:
    start: float  # epoch seconds, inclusive
    end: float  # exclusive
    channel: str | None = None
    intent: str | None = None
    queue: str | None = None

    def as_json(self, zone: ZoneInfo) -> Dict[str, Any]:
        return {
            "from": datetime.fromtimestamp(self.start, zone).isoformat(),
            "to": datetime.fromtimestamp(self.end, zone).isoformat(),  # exclusive
            "last_day": datetime.fromtimestamp(self.end - 1, zone).date().isoformat(),
            "channel": self.channel,
            "intent": self.intent,
            "queue": self.queue,
        }


@dataclass(frozen=True)
class ConversationFact:
    key: str
    started_at: float
    last_event_at: float
    channel: str | None
    customer_key: str
    first_intent: str | None
    customer_messages: int
    fallbacks: int
    handed_off: bool
    handoff_reason: str | None
    handoff_queue: str | None
    ticket_id: int | None
    completed: bool
    failed: bool
    open_form: str | None


@dataclass(frozen=True)
class FormStepFact:
    conversation_key: str
    visit: int
    form: str
    position: int
    question: str
    outcome: str  # completed, cancelled, escalated, open
    last: bool


@dataclass(frozen=True)
class TicketFact:
    id: int
    queue: str
    reason: str
    channel: str
    status: str
    created_at: float
    first_reply_at: float | None
    first_reply_by: str | None
    claimed_at: float | None
    closed_at: float | None
    closed_as: str | None  # resolved or returned
    closed_by: str | None
    satisfaction: int | None


@dataclass(frozen=True)
class Facts:
    """What the report reads: the period's conversations, plus the later ones of the same customers (for repeat
    contact), their form steps, and the tickets."""

    conversations: Sequence[ConversationFact]
    later: Sequence[ConversationFact] = ()
    steps: Sequence[FormStepFact] = ()
    tickets: Sequence[TicketFact] = ()
    open_tickets: Sequence[TicketFact] = ()
    outreach: Mapping[str, int] = field(default_factory=dict)


def rate(count: int, denominator: int) -> float | None:
    return round(count / denominator, 4) if denominator else None


def share(count: int, denominator: int, **extra: Any) -> Dict[str, Any]:
    return {"count": count, "denominator": denominator, "rate": rate(count, denominator), **extra}


def grouped(items: Iterable[Any], key: Callable[[Any], str | None], hit: Callable[[Any], bool]) -> List[Dict[str, Any]]:
    """Per key: how many items, how many hits, and the hit rate; largest groups first."""
    totals: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    for item in items:
        name = key(item) or UNKNOWN
        totals[name] += 1
        hits[name] += int(hit(item))
    return [
        {"key": name, "count": hits[name], "denominator": totals[name], "rate": rate(hits[name], totals[name])}
        for name, _ in sorted(totals.items(), key=lambda kv: (-hits[kv[0]], -kv[1], kv[0]))
    ]


def seconds_summary(values: Sequence[float]) -> Dict[str, Any]:
    if not values:
        return {"count": 0, "median_s": None, "p90_s": None, "mean_s": None}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return {"count": len(ordered), "median_s": round(statistics.median(ordered), 1), "p90_s": round(p90, 1),
            "mean_s": round(statistics.fmean(ordered), 1)}  # fmt: skip


# -- the conversation side ------------------------------------------------------------------------------------
class _Returns:
    """When each customer started conversations: does one come back within a window after another ended?"""

    def __init__(self, conversations: Iterable[ConversationFact]) -> None:
        starts: Dict[str, List[float]] = defaultdict(list)
        for c in conversations:
            starts[c.customer_key].append(c.started_at)
        self.starts = {k: sorted(v) for k, v in starts.items()}

    def came_back(self, c: ConversationFact, window: float) -> bool:
        starts = self.starts.get(c.customer_key, [])
        i = bisect.bisect_right(starts, c.started_at)  # the customer's next conversation, on any channel
        return i < len(starts) and starts[i] - c.last_event_at <= window


def conversation_report(facts: Facts, config: AnalyticsSettings, now: float) -> Dict[str, Any]:
    conversations = [c for c in facts.conversations if c.customer_messages > 0]
    total = len(conversations)
    zone = ZoneInfo(config.timezone)
    returns = _Returns([*facts.conversations, *facts.later])
    over = [c for c in conversations if now - c.last_event_at >= config.idle_seconds]

    def judged(window: float) -> List[ConversationFact]:
        return [c for c in over if now - c.last_event_at >= window]

    def resolved(c: ConversationFact, window: float) -> bool:
        return c.completed and not c.handed_off and not c.failed and not returns.came_back(c, window)

    by_hour: List[int] = [0] * 24
    by_day: Counter[str] = Counter()
    for c in conversations:
        local = datetime.fromtimestamp(c.started_at, zone)
        by_hour[local.hour] += 1
        by_day[local.date().isoformat()] += 1
    day_judged, week_judged = judged(config.repeat_seconds), judged(config.durable_seconds)
    handed_off = [c for c in conversations if c.handed_off]
    messages = sum(c.customer_messages for c in conversations)
    fallbacks = sum(c.fallbacks for c in conversations)

    def fallback_groups(key: Callable[[ConversationFact], str | None]) -> List[Dict[str, Any]]:
        sent: Counter[str] = Counter()
        missed: Counter[str] = Counter()
        for c in conversations:
            sent[key(c) or UNKNOWN] += c.customer_messages
            missed[key(c) or UNKNOWN] += c.fallbacks
        return [{"key": k, "count": missed[k], "denominator": n, "rate": rate(missed[k], n)}
                for k, n in sorted(sent.items(), key=lambda kv: (-missed[kv[0]], -kv[1], kv[0]))]  # fmt: skip

    return {
        "conversations": {
            "total": total,
            "over": len(over),
            "by_channel": grouped(conversations, lambda c: c.channel, lambda c: True),
            "by_intent": grouped(conversations, lambda c: c.first_intent, lambda c: True),
            "by_hour": by_hour,
            "by_day": [{"key": day, "count": n} for day, n in sorted(by_day.items())],
        },
        "containment": share(total - len(handed_off), total),
        "escalation": {
            **share(len(handed_off), total),
            "by_reason": grouped(handed_off, lambda c: c.handoff_reason, lambda c: True),
            "by_queue": grouped(handed_off, lambda c: c.handoff_queue, lambda c: True),
            "by_intent": grouped(conversations, lambda c: c.first_intent, lambda c: c.handed_off),
            "by_channel": grouped(conversations, lambda c: c.channel, lambda c: c.handed_off),
        },
        "resolution": {
            **share(sum(resolved(c, config.repeat_seconds) for c in day_judged), len(day_judged)),
            "pending": total - len(day_judged),
            "by_intent": grouped(day_judged, lambda c: c.first_intent, lambda c: resolved(c, config.repeat_seconds)),
            "by_channel": grouped(day_judged, lambda c: c.channel, lambda c: resolved(c, config.repeat_seconds)),
        },
        "durable_resolution": {
            **share(sum(resolved(c, config.durable_seconds) for c in week_judged), len(week_judged)),
            "pending": total - len(week_judged),
        },
        "repeat_contact": {
            "day": share(sum(returns.came_back(c, config.repeat_seconds) for c in day_judged), len(day_judged)),
            "week": share(sum(returns.came_back(c, config.durable_seconds) for c in week_judged), len(week_judged)),
        },
        "fallback": {
            **share(fallbacks, messages),
            "by_intent": fallback_groups(lambda c: c.first_intent),
            "by_channel": fallback_groups(lambda c: c.channel),
        },
        **abandonment(conversations, over, facts.steps),
    }


def abandonment(conversations: Sequence[ConversationFact], over: Sequence[ConversationFact],
                steps: Sequence[FormStepFact]) -> Dict[str, Any]:  # fmt: skip
    """Abandoned: the conversation is over with a form still open and no hand-off. Per form, the funnel: how many
    visits reached each question, and at which question they were abandoned or cancelled."""
    in_period = {c.key: c for c in conversations}
    ended = {c.key for c in over}
    visits: Dict[str, Dict[Tuple[str, int], str]] = defaultdict(dict)  # form -> (conversation, visit) -> outcome
    reached: Dict[str, Counter[str]] = defaultdict(Counter)
    dropped: Dict[str, Dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    positions: Dict[str, Dict[str, List[int]]] = defaultdict(lambda: defaultdict(list))
    for step in steps:
        if step.conversation_key not in in_period:
            continue
        outcome = step.outcome
        if outcome == "open":
            outcome = "abandoned" if step.conversation_key in ended else "in_progress"
        visits[step.form][(step.conversation_key, step.visit)] = outcome
        reached[step.form][step.question] += 1
        positions[step.form][step.question].append(step.position)
        if step.last and outcome in DROPPED:
            dropped[step.form][step.question][outcome] += 1
    funnels = []
    for form in sorted(visits):
        outcomes = Counter(visits[form].values())
        order = sorted(reached[form], key=lambda q: (statistics.fmean(positions[form][q]), q))
        funnels.append({
            "form": form, "started": len(visits[form]), **{k: outcomes.get(k, 0) for k in
            ("completed", *DROPPED, "in_progress")},
            "steps": [{"question": q, "reached": reached[form][q], **{k: dropped[form][q].get(k, 0) for k in
                       DROPPED}} for q in order],
        })  # fmt: skip
    entered = {key for form in visits.values() for key, _ in form}
    judged = [c for c in over if c.key in entered]
    abandoned = [c for c in judged if c.open_form and not c.handed_off]
    return {"abandonment": {**share(len(abandoned), len(judged)), "funnels": funnels}}


# -- the agent side --------------------------------------------------------------------------------------------
def agent_report(facts: Facts, queues: Mapping[str, Queue], now: float) -> Dict[str, Any]:
    tickets = list(facts.tickets)

    def business(t: TicketFact, end: float) -> float:
        queue = queues.get(t.queue)
        return open_seconds_between(queue, t.created_at, end) if queue else end - t.created_at

    first_replies = [(t, t.first_reply_at - t.created_at) for t in tickets if t.first_reply_at is not None]
    closes = [(t, t.closed_at - t.created_at) for t in tickets if t.closed_at is not None]

    def target_share(kind: str) -> List[Dict[str, Any]]:
        rows = []
        for key in sorted({t.queue for t in tickets}):
            queue = queues.get(key)
            minutes = getattr(queue, f"{kind}_minutes", None) if queue else None
            met = judged = 0
            for t in (t for t in tickets if t.queue == key):
                done = t.first_reply_at if kind == "first_response" else t.closed_at
                if minutes is None:
                    continue
                elapsed = business(t, done if done is not None else now)
                if done is not None or elapsed > minutes * 60:  # still running and already late: missed
                    judged += 1
                    met += int(done is not None and elapsed <= minutes * 60)
            rows.append({"key": key, "target_minutes": minutes, **share(met, judged)})
        return rows

    ratings = [t.satisfaction for t in tickets if t.satisfaction is not None]
    surveyed = [t for t in tickets if t.closed_at is not None]
    distribution = Counter(ratings)

    def per(key: Callable[[TicketFact], str | None]) -> List[Dict[str, Any]]:
        groups: Dict[str, List[TicketFact]] = defaultdict(list)
        for t in tickets:
            groups[key(t) or UNKNOWN].append(t)
        out = []
        for name, group in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            rated = [t.satisfaction for t in group if t.satisfaction is not None]
            out.append({
                "key": name, "tickets": len(group), "closed": sum(t.closed_at is not None for t in group),
                "first_reply": seconds_summary([t.first_reply_at - t.created_at for t in group if t.first_reply_at]),
                "resolution": seconds_summary([t.closed_at - t.created_at for t in group if t.closed_at]),
                "satisfaction": share(sum(r >= 4 for r in rated), len(rated)),
            })  # fmt: skip
        return out

    backlog = list(facts.open_tickets)
    return {
        "tickets": len(tickets),
        "first_reply": seconds_summary([s for _, s in first_replies]),
        "first_reply_business": seconds_summary([business(t, t.first_reply_at or now) for t, _ in first_replies]),
        "resolution": seconds_summary([s for _, s in closes]),
        "resolution_business": seconds_summary([business(t, t.closed_at or now) for t, _ in closes]),
        "targets": {"first_response": target_share("first_response"), "resolution": target_share("resolution")},
        "satisfaction": {
            **share(sum(r >= 4 for r in ratings), len(ratings)),
            "response_rate": rate(len(ratings), len(surveyed)),
            "surveys": len(surveyed),
            "distribution": {str(score): distribution.get(score, 0) for score in range(1, 6)},
        },
        "by_queue": per(lambda t: t.queue),
        "by_agent": per(lambda t: t.closed_by or t.first_reply_by),
        "backlog": {
            "open": len(backlog),
            "pending": sum(t.status == "pending" for t in backlog),
            "assigned": sum(t.status == "assigned" for t in backlog),
            "oldest_waiting_s": round(max((now - t.created_at for t in backlog), default=0.0), 1),
            "by_queue": grouped(backlog, lambda t: t.queue, lambda t: t.status == "pending"),
        },
    }


def handle_minutes(tickets: Iterable[TicketFact]) -> float:
    """Agent time a ticket took: from the first claim (or the hand-off, if closed unclaimed) to its close."""
    return sum(max(0.0, t.closed_at - (t.claimed_at or t.created_at)) / 60 for t in tickets if t.closed_at)


def build_report(facts: Facts, where: ReportFilter, config: AnalyticsSettings, queues: Mapping[str, Queue],
                 now: float) -> Dict[str, Any]:  # fmt: skip
    """The whole report as JSON-ready data."""
    zone = ZoneInfo(config.timezone)
    conversation_side = conversation_report(facts, config, now)
    agents = agent_report(facts, queues, now)
    # A resolved issue: a conversation the bot resolved, or a ticket an agent closed as resolved.
    bot_resolved = conversation_side["resolution"]["count"]
    agent_resolved = sum(t.closed_as == "resolved" for t in facts.tickets)
    resolved = bot_resolved + agent_resolved
    bot_conversations = conversation_side["conversations"]["total"]
    agent_minutes = handle_minutes(facts.tickets)
    spent = bot_conversations * config.costs.per_bot_conversation + agent_minutes * config.costs.per_agent_minute
    return {
        "period": where.as_json(zone),
        "timezone": config.timezone,
        "generated_at": datetime.fromtimestamp(now, timezone.utc).isoformat(),
        "windows": {
            "idle_minutes": config.idle_seconds / 60,
            "repeat_contact_hours": config.repeat_seconds / 3600,
            "durable_resolution_days": config.durable_seconds / 86400,
        },  # fmt: skip
        **conversation_side,
        "agents": agents,
        "cost": {
            "currency": config.costs.currency,
            "bot_conversations": bot_conversations,
            "agent_minutes": round(agent_minutes, 1),
            "total": round(spent, 2),
            "resolved": resolved,
            "resolved_by_bot": bot_resolved,
            "resolved_by_agents": agent_resolved,
            "per_resolved": round(spent / resolved, 2) if resolved else None,
        },
        "outreach": {k: facts.outreach.get(k, 0) for k in ("sent", "delivered", "read", "replied", "failed")},
    }
