"""What the database hands the report (analytics/facts.py) gives the same figures as the definitions applied to
every stored conversation in Python: on SQLite, and on PostgreSQL when one answers on 127.0.0.1:5432."""

from __future__ import annotations

import random
import uuid
from typing import Any, Dict, Iterator, List

import pytest
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from analytics.facts import ensure_tables, read_facts
from analytics.metrics import ConversationFact, Facts, ReportFilter, build_report
from analytics.settings import AnalyticsSettings, Costs
from analytics.tables import ConversationRow, FormQuestionRow
from storage.sql import sql_engine

HOUR, DAY = 3600.0, 86400.0
CONFIG = AnalyticsSettings(timezone="Europe/London", costs=Costs("GBP", 0.10, 0.60))
LATER = max(CONFIG.repeat_seconds, CONFIG.durable_seconds)
START = 1_790_000_000.25  # a quarter second past, so the sums below stay exact in floating point
END = START + 5 * DAY
CHANNELS = ("rest", "sms", "rcs", "socketio", None)
INTENTS = ("order_status", "refund_request", None)
QUEUES = ("orders", "billing", None)
POSTGRES = "postgresql://postgres@127.0.0.1:5432"


def _conversations(seed: int) -> List[Dict[str, Any]]:
    """Customers with several conversations on several channels, many of them right at a boundary: the period's
    start and end, the end of the look-ahead, a next conversation exactly a window after the last one ended."""
    rnd = random.Random(seed)
    boundaries = (START, END, END - 0.25, END + LATER, END + LATER - 0.25, START - 0.25, START + DAY)
    rows: List[Dict[str, Any]] = []
    for customer in range(120):
        started = rnd.choice(boundaries) if rnd.random() < 0.4 else START + rnd.uniform(-DAY, 13 * DAY)
        for visit in range(rnd.randint(1, 5)):
            last = started + rnd.choice((0.0, 300.0, 7200.0, rnd.uniform(0, 3 * DAY)))
            queue = rnd.choice(QUEUES)
            rows.append({
                "key": f"c{customer}-{visit}", "sender_id": f"s{customer}-{rnd.randint(0, 1)}", "started_at": started,
                "last_event_at": last, "channel": rnd.choice(CHANNELS), "customer_key": f"k{customer}",
                "first_intent": rnd.choice(INTENTS), "customer_messages": rnd.choice((0, 1, 3, 4)),
                "fallbacks": rnd.choice((0, 0, 1)), "handed_off": int(queue is not None),
                "handoff_reason": "customer_request" if queue else None, "handoff_queue": queue,
                "ticket_id": None, "completed": rnd.choice((0, 1)), "tasks_completed": "[]",
                "tasks_failed": rnd.choice(("[]", "", '["action_refund_status"]')),
                "open_form": rnd.choice((None, "refund_form")),
            })  # fmt: skip
            gap = rnd.choice((CONFIG.repeat_seconds, CONFIG.durable_seconds, 0.0, -60.0, rnd.uniform(0, 9 * DAY)))
            started = rnd.choice((started, last + gap)) if rnd.random() < 0.2 else last + gap
    # Still going at the period's end: its customer's next conversation starts right where the look-ahead stops
    # (not seen), or just before it (seen, within 7 days of the first one's end).
    for n, next_start in enumerate((END + LATER, END + LATER - 0.25)):
        first = {**rows[0], "key": f"edge{n}", "customer_key": f"edge{n}", "channel": "sms", "first_intent": None,
                 "handoff_queue": None, "handed_off": 0, "customer_messages": 2, "completed": 1, "tasks_failed": "[]",
                 "started_at": END - HOUR, "last_event_at": END + DAY}  # fmt: skip
        rows += [first, {**first, "key": f"edge{n}-next", "channel": "rest", "started_at": next_start,
                         "last_event_at": next_start + 60}]  # fmt: skip
    return rows


def _steps(conversations: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [
        {"conversation_key": c["key"], "sender_id": c["sender_id"], "visit": 1, "form": "refund_form", "position": n,
         "question": question, "outcome": "open" if c["open_form"] else "completed", "last": int(n == 2)}
        for c in conversations[::3] for n, question in ((1, "refund_item"), (2, "refund_reason"))
    ]  # fmt: skip


def _fact(row: Any) -> ConversationFact:
    return ConversationFact(
        key=row.key, started_at=row.started_at, last_event_at=row.last_event_at, channel=row.channel,
        customer_key=row.customer_key, first_intent=row.first_intent, customer_messages=row.customer_messages,
        fallbacks=row.fallbacks, handed_off=bool(row.handed_off), handoff_reason=row.handoff_reason,
        handoff_queue=row.handoff_queue, ticket_id=row.ticket_id, completed=bool(row.completed),
        failed=row.tasks_failed not in (None, "", "[]"), open_form=row.open_form,
    )  # fmt: skip


def _by_definition(engine: Engine, where: ReportFilter) -> Facts:
    """Every stored conversation read back and picked out in Python, as docs/analytics.md says: the period's
    that match the filter, and for repeat contact all conversations from the period's start to LATER after it."""
    with engine.connect() as db:
        everything = [_fact(row) for row in db.execute(select(ConversationRow))]
    facts = read_facts(engine, where, LATER)  # the steps and tickets are not what is compared here

    def kept(c: ConversationFact) -> bool:
        return (where.start <= c.started_at < where.end and c.customer_messages > 0
                and (not where.channel or c.channel == where.channel)
                and (not where.intent or c.first_intent == where.intent)
                and (not where.queue or c.handoff_queue == where.queue))  # fmt: skip

    conversations = [c for c in everything if kept(c)]
    later = [c for c in everything if c.customer_messages > 0 and where.start <= c.started_at < where.end + LATER]
    return Facts(conversations, later, facts.steps, facts.tickets, facts.open_tickets, facts.outreach)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = sql_engine(f"sqlite:///{tmp_path / 'facts.db'}")
        yield engine
        engine.dispose()
        return
    name = f"analytics_facts_{uuid.uuid4().hex[:8]}"
    server = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT", future=True)
    try:
        with server.connect() as db:
            db.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        server.dispose()
        pytest.skip(f"no PostgreSQL at {POSTGRES}")
    engine = sql_engine(f"{POSTGRES}/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with server.connect() as db:
            db.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        server.dispose()


@pytest.fixture
def stored(engine: Engine) -> Engine:
    ensure_tables(engine)
    rows = _conversations(seed=7)
    with engine.begin() as db:
        db.execute(insert(ConversationRow), rows)
        db.execute(insert(FormQuestionRow), _steps(rows))
    return engine


FILTERS = [
    ReportFilter(START, END),
    ReportFilter(START, END, channel="sms"),
    ReportFilter(START, END, channel="rest"),
    ReportFilter(START, END, intent="order_status"),
    ReportFilter(START, END, queue="orders"),
    ReportFilter(START, END, channel="rcs", intent="refund_request"),
    ReportFilter(START + DAY, START + 2 * DAY),
]


@pytest.mark.parametrize("where", FILTERS, ids=lambda w: f"{w.channel}-{w.intent}-{w.queue}-{w.end - w.start:.0f}")
@pytest.mark.parametrize("after_end", [12 * HOUR, 8 * DAY, 20 * DAY])
def test_the_report_from_the_database_equals_the_definitions_over_every_conversation(
    stored: Engine, where: ReportFilter, after_end: float
) -> None:
    now = where.end + after_end
    expected = build_report(_by_definition(stored, where), where, CONFIG, {}, now)
    assert expected["repeat_contact"]["day"]["denominator"] > 0 or after_end < DAY
    assert build_report(read_facts(stored, where, LATER), where, CONFIG, {}, now) == expected


def test_the_data_has_the_cases_the_comparison_is_for(stored: Engine) -> None:
    with stored.connect() as db:
        rows = list(db.execute(select(ConversationRow)))
    channels: Dict[str, set] = {}
    for row in rows:
        channels.setdefault(row.customer_key, set()).add(row.channel)
    assert sum(len(seen) > 1 for seen in channels.values()) >= 20  # customers on several channels
    for boundary in (START, END, END + LATER):
        assert any(row.started_at == boundary for row in rows), boundary
    ended = {(row.customer_key, row.last_event_at) for row in rows}
    assert any((row.customer_key, row.started_at - CONFIG.repeat_seconds) in ended for row in rows)


def test_later_conversations_are_only_those_of_the_period_s_customers_not_already_read(stored: Engine) -> None:
    where = ReportFilter(START, END, channel="sms")
    facts = read_facts(stored, where, LATER)
    customers = {c.customer_key for c in facts.conversations}
    assert facts.later and {c.customer_key for c in facts.later} <= customers
    assert not {c.key for c in facts.later} & {c.key for c in facts.conversations}
