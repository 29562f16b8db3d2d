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
from typing import Any, Callable, Dict, Iterable, List, Mapping, NamedTuple, Sequence, Tuple
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


# Facts are slotted, not frozen: a report builds 10^5 of them, and a frozen dataclass's __init__ (a call to
# object.__setattr__ per field) took a third of the read. Nothing changes a fact once it is read.
@dataclass(slots=True)
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


@dataclass(slots=True)
class FormStepFact:
    conversation_key: str
    visit: int
    form: str
    position: int
    question: str
    outcome: str  # completed, cancelled, escalated, open
    last: bool


@dataclass(slots=True)
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


class Tally:
    """Per key: a total and how many of it were hits; ``rows()`` are the groups a report lists, largest first."""

    def __init__(self) -> None:
        self.totals: Counter[str] = Counter()
        self.hits: Counter[str] = Counter()

    def add(self, key: str | None, hits: int = 1, total: int = 1) -> None:
        name = key or UNKNOWN
        self.totals[name] += total
        self.hits[name] += hits

    def rows(self) -> List[Dict[str, Any]]:
        hits, totals = self.hits, self.totals
        return [
            {"key": name, "count": hits[name], "denominator": n, "rate": rate(hits[name], n)}
            for name, n in sorted(totals.items(), key=lambda kv: (-hits[kv[0]], -kv[1], kv[0]))
        ]


def grouped(items: Iterable[Any], key: Callable[[Any], str | None], hit: Callable[[Any], bool]) -> List[Dict[str, Any]]:
    """Per key: how many items, how many hits, and the hit rate; largest groups first."""
    tally = Tally()
    for item in items:
        tally.add(key(item), int(hit(item)))
    return tally.rows()


def seconds_summary(values: Sequence[float]) -> Dict[str, Any]:
    if not values:
        return {"count": 0, "median_s": None, "p90_s": None, "mean_s": None}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return {"count": len(ordered), "median_s": round(statistics.median(ordered), 1), "p90_s": round(p90, 1),
            "mean_s": round(statistics.fmean(ordered), 1)}  # fmt: skip


# -- the conversation side ------------------------------------------------------------------------------------
class _Returns:
    """When each customer started conversations: how soon after one ended did the customer start the next?"""

    def __init__(self, conversations: Sequence[ConversationFact]) -> None:
        seen = Counter(c.customer_key for c in conversations)
        starts: Dict[str, List[float]] = defaultdict(list)
        for c in conversations:
            if seen[c.customer_key] > 1:  # a customer with one conversation never came back
                starts[c.customer_key].append(c.started_at)
        self.starts = {k: sorted(v) for k, v in starts.items()}

    def gap(self, c: ConversationFact) -> float | None:
        """Seconds from ``c``'s last event to the customer's next conversation (on any channel), None if none."""
        starts = self.starts.get(c.customer_key)
        if starts is None:
            return None
        i = bisect.bisect_right(starts, c.started_at)
        return starts[i] - c.last_event_at if i < len(starts) else None


def local_hours_and_days(starts: Sequence[float], zone: ZoneInfo) -> Tuple[List[int], Counter[str]]:
    """How many of ``starts`` (epoch seconds) fell in each hour of the day and on each day, in ``zone``.

    Converting each start is most of the cost at 10^5 conversations, so they are counted per hour of UTC first, and
    an hour is converted once when the zone's offset is whole hours and the same at its first and last second (no
    zone changes its offset twice within an hour); the others, and starts so close to the hour's end that
    rounding to microseconds could carry them over, are converted one by one."""
    by_hour: List[int] = [0] * 24
    by_day: Counter[str] = Counter()

    def count(local: datetime, n: int) -> None:
        by_hour[local.hour] += n
        by_day[local.date().isoformat()] += n

    per_hour = Counter(int(s // 3600) for s in starts if s % 3600 <= 3599.999)
    uneven = set()
    for hour, n in per_hour.items():
        first, last = datetime.fromtimestamp(hour * 3600, zone), datetime.fromtimestamp(hour * 3600 + 3599, zone)
        offset = first.utcoffset()
        if offset is None or offset != last.utcoffset() or offset.total_seconds() % 3600:
            uneven.add(hour)
        else:
            count(first, n)
    for s in starts:
        if s % 3600 > 3599.999 or (uneven and int(s // 3600) in uneven):
            count(datetime.fromtimestamp(s, zone), 1)
    return by_hour, by_day


# A conversation at a window (24 h, 7 days): not judged yet, or judged and the customer came back, or judged and
# resolved, or judged and not resolved for another reason (handed off, failed, nothing completed).
PENDING, CAME_BACK, RESOLVED, UNRESOLVED = range(4)


def _verdict(idle: float, gap: float | None, settled: bool, window: float) -> int:
    """``settled``: resolved unless the customer came back; ``gap``: from its end to the customer's next."""
    if idle < window:
        return PENDING
    if gap is not None and gap <= window:
        return CAME_BACK
    return RESOLVED if settled else UNRESOLVED


class _Kind(NamedTuple):
    """All the conversation figures tell apart: conversations alike in all of it are counted together."""

    channel: str | None
    intent: str | None
    handed_off: bool
    reason: str | None
    queue: str | None
    day: int  # the verdict at the 24 h window
    week: int  # at the 7 days window


def _by(kinds: Mapping[_Kind, List[int]], key: Callable[[_Kind], str | None], hit: Callable[[_Kind], bool],
        within: Callable[[_Kind], bool] = lambda kind: True) -> List[Dict[str, Any]]:  # fmt: skip
    tally = Tally()
    for kind, (n, _, _) in kinds.items():
        if within(kind):
            tally.add(key(kind), n if hit(kind) else 0, n)
    return tally.rows()


def _fallbacks_by(kinds: Mapping[_Kind, List[int]], key: Callable[[_Kind], str | None]) -> List[Dict[str, Any]]:
    tally = Tally()
    for kind, (_, messages, fallbacks) in kinds.items():
        tally.add(key(kind), fallbacks, messages)
    return tally.rows()


def conversation_report(facts: Facts, config: AnalyticsSettings, now: float) -> Dict[str, Any]:
    """Every conversation figure, from one pass over the period's conversations that sorts them into kinds."""
    conversations = [c for c in facts.conversations if c.customer_messages > 0]
    total = len(conversations)
    zone = ZoneInfo(config.timezone)
    returns = _Returns([*facts.conversations, *facts.later])
    over: List[ConversationFact] = []
    kinds: Dict[_Kind, List[int]] = {}  # -> [conversations, customer messages, fallbacks]
    by_hour, by_day = local_hours_and_days([c.started_at for c in conversations], zone)
    for c in conversations:
        idle = now - c.last_event_at
        day = week = PENDING
        if idle >= config.idle_seconds:
            over.append(c)
            settled = c.completed and not c.handed_off and not c.failed
            gap = returns.gap(c)
            day = _verdict(idle, gap, settled, config.repeat_seconds)
            week = _verdict(idle, gap, settled, config.durable_seconds)
        kind = _Kind(c.channel, c.first_intent, c.handed_off, c.handoff_reason, c.handoff_queue, day, week)
        tally = kinds.get(kind)
        if tally is None:
            tally = kinds[kind] = [0, 0, 0]
        tally[0] += 1
        tally[1] += c.customer_messages
        tally[2] += c.fallbacks
    counts: Counter[str] = Counter()
    for kind, (n, _, _) in kinds.items():
        counts["handed_off"] += n * kind.handed_off
        for window, verdict in (("day", kind.day), ("week", kind.week)):
            counts[f"{window}_judged"] += n * (verdict != PENDING)
            counts[f"{window}_back"] += n * (verdict == CAME_BACK)
            counts[f"{window}_resolved"] += n * (verdict == RESOLVED)
    messages = sum(messages for _, messages, _ in kinds.values())
    fallbacks = sum(fallbacks for _, _, fallbacks in kinds.values())
    day_judged, week_judged = counts["day_judged"], counts["week_judged"]

    def channel(kind: _Kind) -> str | None:
        return kind.channel

    def intent(kind: _Kind) -> str | None:
        return kind.intent

    def handed_off(kind: _Kind) -> bool:
        return kind.handed_off

    def resolved(kind: _Kind) -> bool:
        return kind.day == RESOLVED

    def judged(kind: _Kind) -> bool:
        return kind.day != PENDING

    return {
        "conversations": {
            "total": total,
            "over": len(over),
            "by_channel": _by(kinds, channel, lambda kind: True),
            "by_intent": _by(kinds, intent, lambda kind: True),
            "by_hour": by_hour,
            "by_day": [{"key": d, "count": n} for d, n in sorted(by_day.items())],
        },
        "containment": share(total - counts["handed_off"], total),
        "escalation": {
            **share(counts["handed_off"], total),
            "by_reason": _by(kinds, lambda kind: kind.reason, lambda kind: True, handed_off),
            "by_queue": _by(kinds, lambda kind: kind.queue, lambda kind: True, handed_off),
            "by_intent": _by(kinds, intent, handed_off),
            "by_channel": _by(kinds, channel, handed_off),
        },
        "resolution": {
            **share(counts["day_resolved"], day_judged),
            "pending": total - day_judged,
            "by_intent": _by(kinds, intent, resolved, judged),
            "by_channel": _by(kinds, channel, resolved, judged),
        },
        "durable_resolution": {**share(counts["week_resolved"], week_judged), "pending": total - week_judged},
        "repeat_contact": {
            "day": share(counts["day_back"], day_judged),
            "week": share(counts["week_back"], week_judged),
        },
        "fallback": {
            **share(fallbacks, messages),
            "by_intent": _fallbacks_by(kinds, intent),
            "by_channel": _fallbacks_by(kinds, channel),
        },
        **abandonment(conversations, over, facts.steps),
    }


def abandonment(conversations: Sequence[ConversationFact], over: Sequence[ConversationFact],
                steps: Sequence[FormStepFact]) -> Dict[str, Any]:  # fmt: skip
    """Abandoned: the conversation is over with a form still open and no hand-off. Per form, the funnel: how many
    visits reached each question, and at which question they were abandoned or cancelled."""
    in_period = {c.key for c in conversations}
    ended = {c.key for c in over}
    visits: Dict[Tuple[str, str, int], str] = {}  # (form, conversation, visit) -> how the visit ended
    asked: Counter[Tuple[str, str, int, str | None]] = Counter()  # (form, question, position, how it dropped there)
    for step in steps:
        key = step.conversation_key
        if key not in in_period:
            continue
        outcome = step.outcome
        if outcome == "open":
            outcome = "abandoned" if key in ended else "in_progress"
        visits[(step.form, key, step.visit)] = outcome
        asked[(step.form, step.question, step.position, outcome if step.last and outcome in DROPPED else None)] += 1
    by_form: Dict[str, Counter[str]] = defaultdict(Counter)  # form -> how its visits ended
    for (form, _, _), outcome in visits.items():
        by_form[form][outcome] += 1
    reached: Dict[str, Counter[str]] = defaultdict(Counter)
    dropped: Dict[str, Dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    positions: Dict[str, Dict[str, List[int]]] = defaultdict(lambda: defaultdict(list))
    for (form, question, position, dropped_as), n in asked.items():
        reached[form][question] += n
        positions[form][question] += [position] * n
        if dropped_as is not None:
            dropped[form][question][dropped_as] += n
    funnels = []
    for form in sorted(by_form):
        outcomes = by_form[form]
        order = sorted(reached[form], key=lambda q: (statistics.fmean(positions[form][q]), q))
        funnels.append({
            "form": form, "started": sum(outcomes.values()), **{k: outcomes.get(k, 0) for k in
            ("completed", *DROPPED, "in_progress")},
            "steps": [{"question": q, "reached": reached[form][q], **{k: dropped[form][q].get(k, 0) for k in
                       DROPPED}} for q in order],
        })  # fmt: skip
    entered = {key for _, key, _ in visits}
    judged = [c for c in over if c.key in entered]
    abandoned = [c for c in judged if c.open_form and not c.handed_off]
    return {"abandonment": {**share(len(abandoned), len(judged)), "funnels": funnels}}


# -- the agent side --------------------------------------------------------------------------------------------
def agent_report(facts: Facts, queues: Mapping[str, Queue], now: float) -> Dict[str, Any]:
    tickets = list(facts.tickets)

    open_seconds: Dict[Tuple[str, float, float], float] = {}  # the figures and the targets ask for the same spans

    def business(t: TicketFact, end: float) -> float:
        span = (t.queue, t.created_at, end)
        if span not in open_seconds:
            queue = queues.get(t.queue)
            open_seconds[span] = open_seconds_between(queue, t.created_at, end) if queue else end - t.created_at
        return open_seconds[span]

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
