"""Tickets, agent messages and the webhook outbox in SQL (SQLAlchemy: SQLite by
default, PostgreSQL by URL). Status changes go through ``ticket.check_transition``."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Dict, List

from sqlalchemy import Column, Float, Integer, String, Text, UniqueConstraint, func, or_, select
from sqlalchemy.orm import Session, declarative_base

from handoff.ticket import OPEN_STATUSES, Ticket, TicketStatus, check_transition
from storage.sql import SqlStore

# Typed as Any: SQLAlchemy 1.4 declarative classes need its mypy plugin otherwise.
Base: Any = declarative_base()


class TicketRow(Base):
    __tablename__ = "handoff_tickets"
    # open_marker is 1 while the ticket is open and NULL after: the unique
    # constraint then allows one open ticket per conversation and any number of closed ones.
    __table_args__ = (UniqueConstraint("conversation_id", "open_marker"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    status = Column(String(16), nullable=False, index=True)
    open_marker = Column(Integer)
    queue = Column(String(32), nullable=False)
    priority = Column(Integer, nullable=False)
    reason = Column(String(64), nullable=False)
    summary = Column(String(500), nullable=False)
    payload = Column(Text, nullable=False)
    assigned_to = Column(String(100))
    satisfaction = Column(Integer)
    created_at = Column(Float, nullable=False)
    updated_at = Column(Float, nullable=False)


class MessageRow(Base):
    __tablename__ = "handoff_messages"
    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(Integer, nullable=False, index=True)
    kind = Column(String(16), nullable=False)  # "reply" (to the customer) or "note" (agents only)
    author = Column(String(100), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(Float, nullable=False)


class OutboxRow(Base):
    __tablename__ = "handoff_outbox"
    id = Column(String(36), primary_key=True)  # also the delivery's idempotency key
    ticket_id = Column(Integer, nullable=False)
    event = Column(String(32), nullable=False)
    payload = Column(Text, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(Float, nullable=False)
    delivered_at = Column(Float)
    failed_at = Column(Float)
    last_error = Column(String(500))


@dataclass(frozen=True)
class TicketRecord:
    id: int
    conversation_id: str
    channel: str
    status: TicketStatus
    queue: str
    priority: int
    reason: str
    summary: str
    assigned_to: str | None
    satisfaction: int | None
    created_at: float
    updated_at: float
    payload: Dict[str, Any]


@dataclass(frozen=True)
class Message:
    kind: str
    author: str
    text: str
    created_at: float


@dataclass(frozen=True)
class OutboxItem:
    id: str
    event: str
    payload: Dict[str, Any]
    attempts: int


class TicketNotFound(LookupError):
    pass


def _record(row: TicketRow) -> TicketRecord:
    return TicketRecord(
        row.id,
        row.conversation_id,
        row.channel,
        TicketStatus(row.status),
        row.queue,
        row.priority,
        row.reason,
        row.summary,
        row.assigned_to,
        row.satisfaction,
        row.created_at,
        row.updated_at,
        json.loads(row.payload),
    )


class TicketStore(SqlStore):
    def __init__(self, database_url: str) -> None:
        super().__init__(database_url, Base.metadata)

    # -- escalation -------------------------------------------------------------
    def escalate(self, ticket: Ticket, now: float, notify: bool) -> TicketRecord:
        """Open a ticket, or update the conversation's open one; queue the webhook in the same transaction."""
        payload = json.dumps(ticket.to_json())
        with self._session() as session:
            row = session.scalar(
                select(TicketRow).where(TicketRow.conversation_id == ticket.conversation_id, TicketRow.open_marker == 1)
            )
            event = "ticket.updated" if row else "ticket.created"
            if row is None:
                row = TicketRow(
                    conversation_id=ticket.conversation_id,
                    channel=ticket.channel,
                    status=TicketStatus.PENDING.value,
                    open_marker=1,
                    created_at=now,
                )
                session.add(row)
            row.queue, row.reason, row.summary, row.payload = ticket.queue, ticket.reason, ticket.summary, payload
            row.priority = max(ticket.priority, row.priority or 0)
            row.updated_at = now
            session.flush()
            if notify:
                self._queue_delivery(session, row, event, now)
            return _record(row)

    def _queue_delivery(self, session: Session, row: TicketRow, event: str, now: float) -> None:
        body = {
            "event": event,
            "ticket_id": row.id,
            "status": row.status,
            "ticket": json.loads(row.payload),
            "assigned_to": row.assigned_to,
            "satisfaction": row.satisfaction,
            "occurred_at": now,
        }
        session.add(
            OutboxRow(
                id=str(uuid.uuid4()),
                ticket_id=row.id,
                event=event,
                payload=json.dumps(body),
                attempts=0,
                next_attempt_at=now,
            )
        )

    # -- reading ----------------------------------------------------------------
    def get(self, ticket_id: int) -> TicketRecord:
        with self._session() as session:
            row = session.get(TicketRow, ticket_id)
            if row is None:
                raise TicketNotFound(ticket_id)
            return _record(row)

    def open_ticket_for(self, conversation_id: str) -> TicketRecord | None:
        with self._session() as session:
            row = session.scalar(
                select(TicketRow).where(TicketRow.conversation_id == conversation_id, TicketRow.open_marker == 1)
            )
            return _record(row) if row else None

    def open_tickets(self) -> List[TicketRecord]:
        """The desk's queue: highest priority first, then longest waiting."""
        with self._session() as session:
            rows = session.scalars(
                select(TicketRow)
                .where(TicketRow.open_marker == 1)
                .order_by(TicketRow.priority.desc(), TicketRow.created_at, TicketRow.id)
            )
            return [_record(r) for r in rows]

    def position_in_queue(self, ticket_id: int) -> int:
        """1 = next to be picked up in its queue."""
        with self._session() as session:
            row = session.get(TicketRow, ticket_id)
            if row is None:
                raise TicketNotFound(ticket_id)
            ahead = session.scalar(
                select(func.count())
                .select_from(TicketRow)
                .where(
                    TicketRow.status == TicketStatus.PENDING.value,
                    TicketRow.queue == row.queue,
                    TicketRow.id != row.id,
                    or_(
                        TicketRow.priority > row.priority,
                        (TicketRow.priority == row.priority) & (TicketRow.created_at < row.created_at),
                    ),
                )
            )
            return int(ahead or 0) + 1

    # -- lifecycle --------------------------------------------------------------
    def transition(
        self, ticket_id: int, target: TicketStatus, now: float, agent: str | None = None, notify: bool = False
    ) -> TicketRecord:
        with self._session() as session:
            row = session.get(TicketRow, ticket_id, with_for_update=True)
            if row is None:
                raise TicketNotFound(ticket_id)
            check_transition(TicketStatus(row.status), target)
            row.status = target.value
            row.open_marker = 1 if target in OPEN_STATUSES else None
            row.assigned_to = agent if target is TicketStatus.ASSIGNED else row.assigned_to
            row.updated_at = now
            if notify:
                self._queue_delivery(session, row, f"ticket.{target.value}", now)
            return _record(row)

    def add_message(self, ticket_id: int, kind: str, author: str, text: str, now: float) -> Message:
        with self._session() as session:
            if session.get(TicketRow, ticket_id) is None:
                raise TicketNotFound(ticket_id)
            session.add(MessageRow(ticket_id=ticket_id, kind=kind, author=author, text=text, created_at=now))
            return Message(kind, author, text, now)

    def messages(self, ticket_id: int) -> List[Message]:
        with self._session() as session:
            rows = session.scalars(
                select(MessageRow)
                .where(MessageRow.ticket_id == ticket_id)
                .order_by(MessageRow.created_at, MessageRow.id)
            )
            return [Message(r.kind, r.author, r.text, r.created_at) for r in rows]

    def record_satisfaction(self, conversation_id: str, rating: int, now: float) -> int | None:
        """On the conversation's most recent closed ticket; returns its id."""
        with self._session() as session:
            row = session.scalar(
                select(TicketRow)
                .where(TicketRow.conversation_id == conversation_id, TicketRow.open_marker.is_(None))
                .order_by(TicketRow.updated_at.desc(), TicketRow.id.desc())
            )
            if row is None:
                return None
            row.satisfaction, row.updated_at = rating, now
            return int(row.id)

    # -- outbox -----------------------------------------------------------------
    def due_deliveries(self, now: float, limit: int = 20) -> List[OutboxItem]:
        with self._session() as session:
            rows = session.scalars(
                select(OutboxRow)
                .where(
                    OutboxRow.delivered_at.is_(None), OutboxRow.failed_at.is_(None), OutboxRow.next_attempt_at <= now
                )
                .order_by(OutboxRow.next_attempt_at)
                .limit(limit)
            )
            return [OutboxItem(r.id, r.event, json.loads(r.payload), r.attempts) for r in rows]

    def mark_delivered(self, item_id: str, now: float) -> None:
        with self._session() as session:
            row = session.get(OutboxRow, item_id)
            row.delivered_at, row.attempts = now, row.attempts + 1

    def mark_attempt_failed(self, item_id: str, error: str, retry_at: float | None, now: float) -> None:
        """Schedule another try at ``retry_at``, or give up (``None``)."""
        with self._session() as session:
            row = session.get(OutboxRow, item_id)
            row.attempts += 1
            row.last_error = error[:500]
            if retry_at is None:
                row.failed_at = now
            else:
                row.next_attempt_at = retry_at
