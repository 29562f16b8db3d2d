"""The report's definitions (docs/analytics.md) on facts whose answers are worked out by hand."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from analytics.metrics import (
    ConversationFact,
    Facts,
    FormStepFact,
    ReportFilter,
    TicketFact,
    build_report,
    local_hours_and_days,
)
from analytics.settings import AnalyticsSettings, Costs
from handoff.settings import Queue

HOUR = 3600.0
CONFIG = AnalyticsSettings(timezone="UTC", costs=Costs("GBP", 0.10, 0.60))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("UTC")).timestamp()
PERIOD = ReportFilter(NOW - 10 * 24 * HOUR, NOW)
WEEKDAYS = {d: (9 * 60, 17 * 60) for d in ("mon", "tue", "wed", "thu", "fri")}
QUEUES = {"orders": Queue("orders", "Orders", "UTC", WEEKDAYS, 5, first_response_minutes=30, resolution_minutes=120)}


def conversation(key: str, started_hours_ago: float, **fields: object) -> ConversationFact:
    started = NOW - started_hours_ago * HOUR
    base = ConversationFact(
        key=key, started_at=started, last_event_at=started + 300, channel="rest", customer_key=key,
        first_intent="check_order_status", customer_messages=3, fallbacks=0, handed_off=False, handoff_reason=None,
        handoff_queue=None, ticket_id=None, completed=True, failed=False, open_form=None,
    )  # fmt: skip
    return replace(base, **fields)  # type: ignore[arg-type]


def report(facts: Facts, now: float = NOW) -> dict:
    return build_report(facts, PERIOD, CONFIG, QUEUES, now)


def test_containment_escalation_and_their_denominator():
    facts = Facts([
        conversation("a", 100),
        conversation("b", 100, handed_off=True, handoff_reason="customer_request", handoff_queue="orders"),
        conversation("c", 100, handed_off=True, handoff_reason="low_confidence", handoff_queue="orders"),
        conversation("d", 100, completed=False),
        # No customer message (a proactive message nobody answered): in no denominator.
        conversation("e", 100, customer_messages=0, completed=False),
    ])  # fmt: skip
    result = report(facts)
    assert result["conversations"]["total"] == 4
    assert result["containment"] == {"count": 2, "denominator": 4, "rate": 0.5}
    assert result["escalation"]["count"] == 2
    reasons = {r["key"]: r["count"] for r in result["escalation"]["by_reason"]}
    assert reasons == {"customer_request": 1, "low_confidence": 1}
    # Resolved: completed, not handed off, over and not back within 24 h: only "a".
    assert result["resolution"]["count"] == 1 and result["resolution"]["denominator"] == 4


def test_a_customer_back_within_24_hours_undoes_the_resolution_and_counts_as_repeat_contact():
    facts = Facts([
        conversation("first", 72, customer_key="maria"),
        conversation("again", 60, customer_key="maria", channel="sms"),  # 12 h after "first", another channel
        conversation("later", 30, customer_key="maria", channel="sms"),  # 30 h after "again": not a repeat of it
    ])  # fmt: skip
    result = report(facts)
    assert result["repeat_contact"]["day"]["count"] == 1
    assert result["resolution"]["count"] == 2  # "again" and "later"
    # Within 7 days every earlier one came back: only the last, "later", is not yet judged at 7 days.
    assert result["durable_resolution"]["denominator"] == 0


def test_a_conversation_is_judged_only_once_its_window_has_closed():
    facts = Facts([conversation("recent", 2), conversation("old", 48)])
    result = report(facts)
    assert result["resolution"]["denominator"] == 1  # "recent" may still be undone
    assert result["resolution"]["pending"] == 1
    assert report(facts, now=NOW + 24 * HOUR)["resolution"]["denominator"] == 2


def test_repeat_contact_looks_past_the_period_and_across_channels():
    inside = conversation("in", 20, customer_key="k")
    after = conversation("after", -1, customer_key="k", channel="rcs")  # after the period's end, 21 h later
    result = report(Facts([inside], later=[inside, after]), now=NOW + 30 * HOUR)
    assert result["repeat_contact"]["day"]["count"] == 1
    assert result["resolution"]["count"] == 0


def test_abandonment_and_the_funnel_name_the_question_customers_stop_at():
    facts = Facts(
        [
            conversation("left", 50, completed=False, open_form="address_form"),
            conversation("done", 50),
            conversation("escalated", 50, handed_off=True, open_form=None, completed=False),
            conversation("still_typing", 0.1, completed=False, open_form="address_form"),
        ],
        steps=[
            FormStepFact("left", 1, "address_form", 1, "order_number", "open", False),
            FormStepFact("left", 1, "address_form", 2, "new_address", "open", True),
            FormStepFact("done", 1, "address_form", 1, "order_number", "completed", False),
            FormStepFact("done", 1, "address_form", 2, "new_address", "completed", True),
            FormStepFact("escalated", 1, "address_form", 1, "order_number", "escalated", True),
            FormStepFact("still_typing", 1, "address_form", 1, "order_number", "open", True),
        ],
    )
    result = report(facts)
    assert result["abandonment"]["count"] == 1
    assert result["abandonment"]["denominator"] == 3  # over and entered a form: not the one still typing
    (funnel,) = result["abandonment"]["funnels"]
    assert (funnel["started"], funnel["completed"], funnel["abandoned"], funnel["escalated"]) == (4, 1, 1, 1)
    assert funnel["in_progress"] == 1
    steps = {s["question"]: s for s in funnel["steps"]}
    assert [s["question"] for s in funnel["steps"]] == ["order_number", "new_address"]
    assert steps["new_address"]["abandoned"] == 1 and steps["order_number"]["abandoned"] == 0
    assert steps["order_number"]["reached"] == 4 and steps["new_address"]["reached"] == 2


def test_fallback_rate_is_per_customer_message():
    facts = Facts([
        conversation("a", 50, customer_messages=4, fallbacks=1, channel="sms"),
        conversation("b", 50, customer_messages=6, fallbacks=0, channel="rest"),
    ])  # fmt: skip
    result = report(facts)
    assert result["fallback"]["count"] == 1 and result["fallback"]["denominator"] == 10
    by_channel = {g["key"]: g["rate"] for g in result["fallback"]["by_channel"]}
    assert by_channel == {"sms": 0.25, "rest": 0.0}


def ticket(ticket_id: int, created: datetime, **fields: object) -> TicketFact:
    base = TicketFact(
        id=ticket_id, queue="orders", reason="customer_request", channel="sms", status="resolved",
        created_at=created.timestamp(), first_reply_at=None, first_reply_by=None, claimed_at=None, closed_at=None,
        closed_as=None, closed_by=None, satisfaction=None,
    )  # fmt: skip
    return replace(base, **fields)  # type: ignore[arg-type]


def test_targets_count_business_hours_only():
    utc = ZoneInfo("UTC")
    friday_evening = datetime(2026, 11, 13, 16, 50, tzinfo=utc)  # 10 open minutes left on Friday
    monday_morning = datetime(2026, 11, 16, 9, 15, tzinfo=utc).timestamp()  # +15 open minutes: 25 in all
    tuesday = datetime(2026, 11, 17, 10, 0, tzinfo=utc)
    facts = Facts([], tickets=[
        ticket(1, friday_evening, first_reply_at=monday_morning, first_reply_by="ana"),  # met: 25 <= 30
        ticket(2, tuesday, first_reply_at=tuesday.timestamp() + 40 * 60, first_reply_by="ana"),  # missed: 40
        ticket(3, tuesday, status="pending"),  # no reply for more than 30 open minutes since: missed
    ])  # fmt: skip
    result = report(facts)
    (first_response,) = result["agents"]["targets"]["first_response"]
    assert first_response == {"key": "orders", "target_minutes": 30, "count": 1, "denominator": 3,
                              "rate": pytest.approx(1 / 3, abs=1e-4)}  # fmt: skip
    # Business time: 25 and 40 open minutes; the clock time of the first includes the weekend.
    assert result["agents"]["first_reply_business"]["median_s"] == (25 + 40) / 2 * 60
    assert result["agents"]["first_reply"]["median_s"] > 24 * HOUR


def test_satisfaction_share_response_rate_and_cost_per_resolved_issue():
    day = datetime(2026, 11, 17, 10, 0, tzinfo=ZoneInfo("UTC"))
    start = day.timestamp()
    closed = {"closed_as": "resolved", "closed_by": "ana", "claimed_at": start, "closed_at": start + 600}
    facts = Facts([conversation("bot", 50)], tickets=[
        ticket(1, day, satisfaction=5, **closed),
        ticket(2, day, satisfaction=2, **closed),
        ticket(3, day, **closed),
        ticket(4, day, status="pending"),
    ], open_tickets=[ticket(4, day, status="pending")])  # fmt: skip
    result = report(facts)
    satisfaction = result["agents"]["satisfaction"]
    assert (satisfaction["count"], satisfaction["denominator"], satisfaction["surveys"]) == (1, 2, 3)
    assert satisfaction["response_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert satisfaction["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    cost = result["cost"]
    # 1 bot conversation x 0.10 + 3 tickets x 10 agent minutes x 0.60 = 18.10, for 1 + 3 resolved issues.
    assert cost["total"] == pytest.approx(18.10)
    assert (cost["resolved_by_bot"], cost["resolved_by_agents"]) == (1, 3)
    assert cost["per_resolved"] == pytest.approx(4.53, abs=0.005)
    assert result["agents"]["backlog"]["pending"] == 1
    assert [a["key"] for a in result["agents"]["by_agent"]] == ["ana", "(none)"]


@pytest.mark.parametrize("zone", ["Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns", "UTC"])
def test_starts_are_counted_in_the_local_hour_and_day_they_happened_also_across_clock_changes(zone: str):
    rnd = random.Random(5)
    local_zone = ZoneInfo(zone)
    starts = []
    for change in (datetime(2026, 3, 29, 1, 0), datetime(2026, 10, 4, 2, 0), datetime(2026, 10, 25, 1, 0)):
        around = change.replace(tzinfo=ZoneInfo("UTC")).timestamp()
        starts += [around + rnd.uniform(-2 * 24 * HOUR, 2 * 24 * HOUR) for _ in range(3000)]
    # On the hour, just before it (microsecond rounding carries some over), a millisecond before it.
    starts += [h + d for h in (s // HOUR * HOUR for s in starts[:300]) for d in (0.0, -1e-7, -0.0004, -0.001)]
    by_hour, by_day = [0] * 24, Counter()
    for start in starts:
        local = datetime.fromtimestamp(start, local_zone)
        by_hour[local.hour] += 1
        by_day[local.date().isoformat()] += 1
    assert local_hours_and_days(starts, local_zone) == (by_hour, by_day)
