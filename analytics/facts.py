"""Reads the facts a report needs from the database: the analytics tables and the hand-off's tickets, which
share it (HANDOFF_DATABASE_URL). The figures themselves are computed in analytics/metrics.py."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection, Engine

from analytics.metrics import ConversationFact, Facts, FormStepFact, ReportFilter, TicketFact
from analytics.tables import Base as AnalyticsBase
from analytics.tables import ConversationRow, FormQuestionRow, OutreachRow
from handoff.tables import Base as HandoffBase
from handoff.tables import MessageRow as HandoffMessageRow
from handoff.tables import TicketEventRow, TicketRow

CHUNK = 500
OPEN_STATUSES = ("pending", "assigned")
CONVERSATION_COLUMNS = (
    ConversationRow.key, ConversationRow.started_at, ConversationRow.last_event_at, ConversationRow.channel,
    ConversationRow.customer_key, ConversationRow.first_intent, ConversationRow.customer_messages,
    ConversationRow.fallbacks, ConversationRow.handed_off, ConversationRow.handoff_reason,
    ConversationRow.handoff_queue, ConversationRow.ticket_id, ConversationRow.completed, ConversationRow.tasks_failed,
    ConversationRow.open_form,
)  # fmt: skip


def ensure_tables(engine: Engine) -> None:
    """A report on a database nothing has written yet is an empty report, not an error."""
    AnalyticsBase.metadata.create_all(engine)
    HandoffBase.metadata.create_all(engine)


def _conversation(row: Sequence[Any]) -> ConversationFact:
    return ConversationFact(
        key=row[0], started_at=row[1], last_event_at=row[2], channel=row[3], customer_key=row[4],
        first_intent=row[5], customer_messages=row[6], fallbacks=row[7], handed_off=bool(row[8]),
        handoff_reason=row[9], handoff_queue=row[10], ticket_id=row[11], completed=bool(row[12]),
        failed=row[13] not in (None, "", "[]"), open_form=row[14],
    )  # fmt: skip


def _matches(where: ReportFilter) -> List[Any]:
    conditions = [ConversationRow.customer_messages > 0]
    if where.channel:
        conditions.append(ConversationRow.channel == where.channel)
    if where.intent:
        conditions.append(ConversationRow.first_intent == where.intent)
    if where.queue:
        conditions.append(ConversationRow.handoff_queue == where.queue)
    return conditions


def read_facts(engine: Engine, where: ReportFilter, later_seconds: float) -> Facts:
    """The period's conversations (filtered), the same customers' later conversations on any channel up to
    ``later_seconds`` after the period (repeat contact), their form steps, and the period's tickets."""
    with engine.connect() as db:
        in_period = and_(ConversationRow.started_at >= where.start, ConversationRow.started_at < where.end)
        conversations = [
            _conversation(r)
            for r in db.execute(
                select(*CONVERSATION_COLUMNS).where(in_period, *_matches(where)).order_by(ConversationRow.started_at)
            )
        ]
        later = [_conversation(r) for r in db.execute(
            select(*CONVERSATION_COLUMNS).where(
                ConversationRow.started_at >= where.start, ConversationRow.started_at < where.end + later_seconds,
                ConversationRow.customer_messages > 0,
            ))]  # fmt: skip
        steps = _steps(db, where)
        ticket_ids = None
        if where.intent:  # tickets have no intent of their own: those of the matching conversations
            ticket_ids = {c.ticket_id for c in conversations if c.ticket_id is not None}
        tickets = _tickets(db, where, ticket_ids)
        open_tickets = _tickets(db, ReportFilter(0, float("inf"), where.channel, None, where.queue), None, True)
        outreach = _outreach(db, where)
    return Facts(conversations, later, steps, tickets, open_tickets, outreach)


def _steps(db: Connection, where: ReportFilter) -> List[FormStepFact]:
    query = (
        select(FormQuestionRow.conversation_key, FormQuestionRow.visit, FormQuestionRow.form, FormQuestionRow.position,
               FormQuestionRow.question, FormQuestionRow.outcome, FormQuestionRow.last)
        .join(ConversationRow, ConversationRow.key == FormQuestionRow.conversation_key)
        .where(ConversationRow.started_at >= where.start, ConversationRow.started_at < where.end, *_matches(where))
    )  # fmt: skip
    return [FormStepFact(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in db.execute(query)]


def _tickets(db: Connection, where: ReportFilter, ids: set | None, open_only: bool = False) -> List[TicketFact]:
    query = select(TicketRow.id, TicketRow.queue, TicketRow.reason, TicketRow.channel, TicketRow.status,
                   TicketRow.created_at, TicketRow.satisfaction)  # fmt: skip
    if open_only:
        query = query.where(TicketRow.status.in_(OPEN_STATUSES))
    else:
        query = query.where(TicketRow.created_at >= where.start, TicketRow.created_at < where.end)
    if where.channel:
        query = query.where(TicketRow.channel == where.channel)
    if where.queue:
        query = query.where(TicketRow.queue == where.queue)
    rows = [r for r in db.execute(query) if ids is None or r[0] in ids]
    replies: Dict[int, tuple] = {}
    claims: Dict[int, float] = {}
    closes: Dict[int, tuple] = {}
    keys = [r[0] for r in rows]
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        first = (
            select(HandoffMessageRow.ticket_id, func.min(HandoffMessageRow.created_at))
            .where(HandoffMessageRow.ticket_id.in_(chunk), HandoffMessageRow.kind == "reply")
            .group_by(HandoffMessageRow.ticket_id)
        )
        times = dict(db.execute(first).all())
        authors = db.execute(
            select(HandoffMessageRow.ticket_id, HandoffMessageRow.created_at, HandoffMessageRow.author).where(
                HandoffMessageRow.ticket_id.in_(list(times)), HandoffMessageRow.kind == "reply"
            )
        )
        for ticket_id, at, author in authors:
            if at == times[ticket_id] and ticket_id not in replies:
                replies[ticket_id] = (at, author)
        events = db.execute(
            select(TicketEventRow.ticket_id, TicketEventRow.kind, TicketEventRow.agent, TicketEventRow.at)
            .where(TicketEventRow.ticket_id.in_(chunk), TicketEventRow.kind.in_(("assigned", "resolved", "returned")))
            .order_by(TicketEventRow.at, TicketEventRow.id)
        )
        for ticket_id, kind, agent, at in events:
            if kind == "assigned":
                claims.setdefault(ticket_id, at)
            else:
                closes.setdefault(ticket_id, (at, kind, agent))
    return [
        TicketFact(
            id=r[0],
            queue=r[1],
            reason=r[2],
            channel=r[3],
            status=r[4],
            created_at=r[5],
            first_reply_at=replies.get(r[0], (None, None))[0],
            first_reply_by=replies.get(r[0], (None, None))[1],
            claimed_at=claims.get(r[0]),
            closed_at=closes.get(r[0], (None,))[0],
            closed_as=closes.get(r[0], (None, None))[1],
            closed_by=closes.get(r[0], (None, None, None))[2],
            satisfaction=r[6],
        )  # fmt: skip
        for r in rows
    ]


def _outreach(db: Connection, where: ReportFilter) -> Dict[str, int]:
    """Proactive messages (journeys, a later issue): nothing writes them yet, so these are zeros until then."""
    sent = OutreachRow.sent_at
    row = db.execute(
        select(func.count(), func.count(OutreachRow.delivered_at), func.count(OutreachRow.read_at),
               func.count(OutreachRow.replied_at), func.count(OutreachRow.failed_at))
        .where(sent >= where.start, sent < where.end)
    ).one()  # fmt: skip
    return dict(zip(("sent", "delivered", "read", "replied", "failed"), (int(v or 0) for v in row), strict=True))
