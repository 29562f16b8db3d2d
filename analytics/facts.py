"""Reads the facts a report needs from the database: the analytics tables and the hand-off's tickets, which
share it (HANDOFF_DATABASE_URL). The figures themselves are computed in analytics/metrics.py."""

from __future__ import annotations

from itertools import starmap
from typing import Any, Dict, List, Tuple

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import aliased

from analytics.metrics import ConversationFact, Facts, FormStepFact, ReportFilter, TicketFact
from analytics.tables import Base as AnalyticsBase
from analytics.tables import ConversationRow, FormQuestionRow, OutreachRow
from handoff.tables import Base as HandoffBase
from handoff.tables import MessageRow as HandoffMessageRow
from handoff.tables import TicketEventRow, TicketRow

OPEN_STATUSES = ("pending", "assigned")
# In ConversationFact's field order, with its flags worked out by the database: a row becomes a fact directly.
CONVERSATION_COLUMNS = (
    ConversationRow.key, ConversationRow.started_at, ConversationRow.last_event_at, ConversationRow.channel,
    ConversationRow.customer_key, ConversationRow.first_intent, ConversationRow.customer_messages,
    ConversationRow.fallbacks, ConversationRow.handed_off != 0, ConversationRow.handoff_reason,
    ConversationRow.handoff_queue, ConversationRow.ticket_id, ConversationRow.completed != 0,
    func.coalesce(ConversationRow.tasks_failed, "").not_in(("", "[]")), ConversationRow.open_form,
)  # fmt: skip


def ensure_tables(engine: Engine) -> None:
    """A report on a database nothing has written yet is an empty report, not an error."""
    AnalyticsBase.metadata.create_all(engine)
    HandoffBase.metadata.create_all(engine)


def _filters(where: ReportFilter, table: Any = ConversationRow) -> List[Tuple[Any, str]]:
    named = ((table.channel, where.channel), (table.first_intent, where.intent), (table.handoff_queue, where.queue))
    return [(column, value) for column, value in named if value]


def _matches(where: ReportFilter, table: Any = ConversationRow) -> List[Any]:
    """The period's conversations the filter keeps."""
    return [table.started_at >= where.start, table.started_at < where.end, table.customer_messages > 0,
            *(column == value for column, value in _filters(where, table))]  # fmt: skip


def _not_matched(where: ReportFilter) -> Any:
    """The conversations ``_matches`` leaves out, of those with a customer message (a missing channel, intent or
    queue is left out too: hence IS DISTINCT FROM, not !=)."""
    return or_(ConversationRow.started_at < where.start, ConversationRow.started_at >= where.end,
               *(column.is_distinct_from(value) for column, value in _filters(where)))  # fmt: skip


def read_facts(engine: Engine, where: ReportFilter, later_seconds: float) -> Facts:
    """The period's conversations (filtered); the same customers' other conversations on any channel from the
    period's start up to ``later_seconds`` after its end (repeat contact: together with the period's, every
    conversation of theirs in that span); their form steps, and the period's tickets."""
    with engine.connect() as db:
        matching = select(*CONVERSATION_COLUMNS).where(*_matches(where))
        conversations = list(starmap(ConversationFact, db.execute(matching).all()))
        in_period = aliased(ConversationRow)
        a_customer_of_the_period = (
            select(in_period.key)
            .where(in_period.customer_key == ConversationRow.customer_key, *_matches(where, in_period))
            .exists()
        )
        later = list(starmap(ConversationFact, db.execute(select(*CONVERSATION_COLUMNS).where(
            ConversationRow.started_at >= where.start, ConversationRow.started_at < where.end + later_seconds,
            ConversationRow.customer_messages > 0, _not_matched(where), a_customer_of_the_period,
        )).all()))  # fmt: skip
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
               FormQuestionRow.question, FormQuestionRow.outcome, FormQuestionRow.last != 0)
        .join(ConversationRow, ConversationRow.key == FormQuestionRow.conversation_key)
        .where(*_matches(where))
    )  # fmt: skip
    return list(starmap(FormStepFact, db.execute(query).all()))


def _tickets(db: Connection, where: ReportFilter, ids: set | None, open_only: bool = False) -> List[TicketFact]:
    """The tickets opened in the period (or, ``open_only``, those open now) on the filter's channel and queue,
    with their first agent reply, first claim and close."""
    conditions = [TicketRow.status.in_(OPEN_STATUSES)] if open_only else [
        TicketRow.created_at >= where.start, TicketRow.created_at < where.end]  # fmt: skip
    if where.channel:
        conditions.append(TicketRow.channel == where.channel)
    if where.queue:
        conditions.append(TicketRow.queue == where.queue)
    rows = [r for r in db.execute(
        select(TicketRow.id, TicketRow.queue, TicketRow.reason, TicketRow.channel, TicketRow.status,
               TicketRow.created_at, TicketRow.satisfaction).where(*conditions)
    ).all() if ids is None or r[0] in ids]  # fmt: skip
    selected = select(TicketRow.id).where(*conditions).scalar_subquery()
    replies: Dict[int, Tuple[float, str]] = {}  # the earliest reply (the first stored, of replies as early)
    for ticket_id, at, author in db.execute(
        select(HandoffMessageRow.ticket_id, HandoffMessageRow.created_at, HandoffMessageRow.author)
        .where(HandoffMessageRow.ticket_id.in_(selected), HandoffMessageRow.kind == "reply")
        .order_by(HandoffMessageRow.created_at, HandoffMessageRow.id)
    ).all():  # fmt: skip
        replies.setdefault(ticket_id, (at, author))
    claims: Dict[int, float] = {}
    closes: Dict[int, Tuple[float, str, str]] = {}
    for ticket_id, kind, agent, at in db.execute(
        select(TicketEventRow.ticket_id, TicketEventRow.kind, TicketEventRow.agent, TicketEventRow.at)
        .where(TicketEventRow.ticket_id.in_(selected), TicketEventRow.kind.in_(("assigned", "resolved", "returned")))
        .order_by(TicketEventRow.at, TicketEventRow.id)
    ).all():  # fmt: skip
        if kind == "assigned":
            claims.setdefault(ticket_id, at)
        else:
            closes.setdefault(ticket_id, (at, kind, agent))
    no_reply, no_close = (None, None), (None, None, None)
    return [
        TicketFact(
            id=r[0],
            queue=r[1],
            reason=r[2],
            channel=r[3],
            status=r[4],
            created_at=r[5],
            first_reply_at=replies.get(r[0], no_reply)[0],
            first_reply_by=replies.get(r[0], no_reply)[1],
            claimed_at=claims.get(r[0]),
            closed_at=closes.get(r[0], no_close)[0],
            closed_as=closes.get(r[0], no_close)[1],
            closed_by=closes.get(r[0], no_close)[2],
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
