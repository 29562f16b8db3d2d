"""Tickets, agent messages, the webhook outbox and the conversation effects in SQL (``tables.py``).

A ticket changes status by compare-and-set: the UPDATE names the status (and owner) it expects, so of two
agents claiming at once exactly one wins, on SQLite and PostgreSQL alike; the other is told why. What a change
does to the conversation (``ticket.SIDE_EFFECTS``) and to an external desk (the webhook) is written in the
same transaction, so neither can be lost or happen without the change.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Dict, List

from sqlalchemy import func, or_, select, true, update
from sqlalchemy.orm import Session

from handoff.tables import Base, EffectRow, MessageRow, OutboxRow, TicketEventRow, TicketRow
from handoff.ticket import (
    OPEN_STATUSES,
    SIDE_EFFECTS,
    TRANSITIONS,
    InvalidTransition,
    NotYourTicket,
    Ticket,
    TicketStatus,
    check_transition,
)
from storage.queue import claim_heads, settle
from storage.sql import SqlStore


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
    delivery: str | None = None  # replies: "pending", "delivered" or "failed" (the effect that carries it)
    delivery_error: str | None = None


@dataclass(frozen=True)
class OutboxItem:
    id: str
    event: str
    payload: Dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Effect:
    """One thing a ticket's change does to its conversation, for the gateway to apply."""

    id: str
    ticket_id: int
    conversation_id: str
    channel: str
    kind: str
    payload: Dict[str, Any]
    attempts: int
    seq: int = 0
    lease: str = ""  # the token of the caller's lease


class TicketNotFound(LookupError):
    pass


MAX_TICKET_ID = 2**31 - 1  # the column is a 32-bit integer in PostgreSQL


def _known(ticket_id: int) -> int:
    """A ticket id the database can hold; any other is a ticket that does not exist (not a server error)."""
    if not 0 < ticket_id <= MAX_TICKET_ID:
        raise TicketNotFound(ticket_id)
    return ticket_id


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


def _undelivered(row: Any) -> Any:
    return row.delivered_at.is_(None) & row.failed_at.is_(None)


def _effect(row: EffectRow, lease: str = "") -> Effect:
    return Effect(row.id, row.ticket_id, row.conversation_id, row.channel, row.kind, json.loads(row.payload),
                  row.attempts, row.seq, lease)  # fmt: skip


def _delivery_state(row: EffectRow | None) -> str | None:
    if row is None:
        return None
    return "delivered" if row.delivered_at else "failed" if row.failed_at else "pending"


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
            if event == "ticket.created":
                # The lifecycle row needs the ticket's id, which exists only after the flush above.
                session.add(TicketEventRow(ticket_id=row.id, kind="created", at=now))
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

    def _queue_effect(
        self,
        session: Session,
        row: TicketRow,
        kind: str,
        now: float,
        payload: Dict[str, Any] | None = None,
        message_id: int | None = None,
    ) -> None:
        session.add(
            EffectRow(
                id=str(uuid.uuid4()),
                ticket_id=row.id,
                conversation_id=row.conversation_id,
                channel=row.channel,
                kind=kind,
                payload=json.dumps(payload or {}),
                message_id=message_id,
                created_at=now,
                attempts=0,
                next_attempt_at=now,
            )
        )

    # -- reading ----------------------------------------------------------------
    def get(self, ticket_id: int) -> TicketRecord:
        with self._session() as session:
            row = session.get(TicketRow, _known(ticket_id))
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
            row = session.get(TicketRow, _known(ticket_id))
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
        """Move the ticket to ``target`` if its status allows it and, for an assigned ticket, ``agent`` (when
        given) owns it; queue the change's side effects and webhook with it."""
        sources = [status for status, targets in TRANSITIONS.items() if target in targets]
        with self._session() as session:
            changed = session.execute(
                update(TicketRow)
                .where(
                    TicketRow.id == _known(ticket_id),
                    TicketRow.status.in_([s.value for s in sources]),
                    self._owned_by(agent, target),
                )
                .values(
                    status=target.value,
                    open_marker=1 if target in OPEN_STATUSES else None,
                    updated_at=now,
                    assigned_to=agent if target is TicketStatus.ASSIGNED else TicketRow.assigned_to,
                )
            ).rowcount
            if changed:
                row = session.get(TicketRow, ticket_id)
                session.add(TicketEventRow(ticket_id=ticket_id, kind=target.value, agent=agent, at=now))
                for kind in SIDE_EFFECTS[target]:
                    details = {"resolved": target is TicketStatus.RESOLVED} if kind == "handback" else {}
                    self._queue_effect(session, row, kind, now, details)
                if notify:
                    self._queue_delivery(session, row, f"ticket.{target.value}", now)
                return _record(row)
        raise self._why_not(ticket_id, target, agent)

    @staticmethod
    def _owned_by(agent: str | None, target: TicketStatus) -> Any:
        """A pending ticket is anyone's; an assigned one only its owner's (claiming it again is not allowed)."""
        if agent is None or target is TicketStatus.ASSIGNED:
            return true()
        return (TicketRow.status == TicketStatus.PENDING.value) | (TicketRow.assigned_to == agent)

    def _why_not(self, ticket_id: int, target: TicketStatus, agent: str | None) -> Exception:
        current = self.get(ticket_id)  # raises TicketNotFound
        if current.status is TicketStatus.ASSIGNED and agent is not None and current.assigned_to != agent:
            return NotYourTicket(f"ticket {ticket_id} belongs to {current.assigned_to}")
        try:
            check_transition(current.status, target)
        except InvalidTransition as refused:
            return refused
        return InvalidTransition(f"ticket {ticket_id} changed meanwhile; reload it")

    def take_over(self, ticket_id: int, agent: str, now: float, notify: bool = False) -> TicketRecord:
        """An assigned ticket changes hands (a supervisor takes it over): compare-and-set on its status."""
        with self._session() as session:
            changed = session.execute(
                update(TicketRow)
                .where(TicketRow.id == _known(ticket_id), TicketRow.status == TicketStatus.ASSIGNED.value)
                .values(assigned_to=agent, updated_at=now)
            ).rowcount
            if changed:
                row = session.get(TicketRow, ticket_id)
                session.add(TicketEventRow(ticket_id=ticket_id, kind="taken_over", agent=agent, at=now))
                if notify:
                    self._queue_delivery(session, row, "ticket.assigned", now)
                return _record(row)
        raise InvalidTransition(f"a {self.get(ticket_id).status.value} ticket has no agent to take it from")

    def reply(self, ticket_id: int, agent: str, text: str, now: float) -> Message:
        """An agent's message to the customer, with the effect that carries it; the agent must own the ticket."""
        with self._session() as session:
            owned = session.execute(
                update(TicketRow)
                .where(
                    TicketRow.id == _known(ticket_id),
                    TicketRow.status == TicketStatus.ASSIGNED.value,
                    TicketRow.assigned_to == agent,
                )
                .values(updated_at=now)
            ).rowcount
            if owned:
                row = session.get(TicketRow, ticket_id)
                message = MessageRow(ticket_id=ticket_id, kind="reply", author=agent, text=text, created_at=now)
                session.add(message)
                session.flush()
                self._queue_effect(session, row, "agent_message", now, {"text": text, "agent": agent}, message.id)
                return Message("reply", agent, text, now, "pending")
        current = self.get(ticket_id)
        if current.status is TicketStatus.ASSIGNED:
            raise NotYourTicket(f"ticket {ticket_id} belongs to {current.assigned_to}")
        raise InvalidTransition(f"a {current.status.value} ticket takes no replies; claim it first")

    def add_note(self, ticket_id: int, author: str, text: str, now: float) -> Message:
        """Agents only: never reaches the customer."""
        with self._session() as session:
            if session.get(TicketRow, _known(ticket_id)) is None:
                raise TicketNotFound(ticket_id)
            session.add(MessageRow(ticket_id=ticket_id, kind="note", author=author, text=text, created_at=now))
            return Message("note", author, text, now)

    def messages(self, ticket_id: int) -> List[Message]:
        """Notes and replies in order; each reply with how far its delivery got."""
        with self._session() as session:
            rows = session.scalars(
                select(MessageRow)
                .where(MessageRow.ticket_id == _known(ticket_id))
                .order_by(MessageRow.created_at, MessageRow.id)
            ).all()
            carriers = {
                e.message_id: e
                for e in session.scalars(
                    select(EffectRow).where(EffectRow.ticket_id == ticket_id, EffectRow.message_id.is_not(None))
                )
            }
            return [
                Message(
                    r.kind,
                    r.author,
                    r.text,
                    r.created_at,
                    _delivery_state(carriers.get(r.id)),
                    (carriers[r.id].last_error if r.id in carriers and carriers[r.id].failed_at else None),
                )
                for r in rows
            ]

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

    # -- conversation effects -------------------------------------------------------
    def claim_due_effects(self, now: float, limit: int, lease_seconds: float) -> List[Effect]:
        """The oldest undelivered effect of up to ``limit`` conversations, each leased to the caller: a
        conversation's effects are applied one at a time, in order (a failed one no longer holds the rest)."""
        return claim_heads(self._session, EffectRow, "conversation_id", _undelivered, now, limit, lease_seconds,
                           _effect)  # fmt: skip

    def mark_effect_applied(self, effect: Effect, now: float) -> bool:
        return settle(self._session, EffectRow, effect.seq, effect.lease, True, delivered_at=now,
                      attempts=effect.attempts + 1)  # fmt: skip

    def mark_effect_retry(self, effect: Effect, error: str, retry_at: float) -> bool:
        return settle(self._session, EffectRow, effect.seq, effect.lease, True, attempts=effect.attempts + 1,
                      last_error=error[:500], next_attempt_at=retry_at)  # fmt: skip

    def mark_effect_failed(self, effect: Effect, error: str, now: float) -> bool:
        return settle(self._session, EffectRow, effect.seq, effect.lease, True, attempts=effect.attempts + 1,
                      last_error=error[:500], failed_at=now)  # fmt: skip

    def effects(self, ticket_id: int) -> List[Dict[str, Any]]:
        """Every effect of a ticket with its state, oldest first (for the desk and for operators)."""
        with self._session() as session:
            rows = session.scalars(
                select(EffectRow).where(EffectRow.ticket_id == _known(ticket_id)).order_by(EffectRow.seq)
            )
            return [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "state": _delivery_state(r),
                    "attempts": r.attempts,
                    "last_error": r.last_error,
                    "created_at": r.created_at,
                }
                for r in rows
            ]

    def redeliver(self, ticket_id: int, agent: str | None, now: float) -> int:
        """Try the ticket's given-up effects again from now; returns how many. Only effects no later effect of
        the conversation has overtaken: a pause that failed before the hand-back went through stays failed,
        or it would silence the bot for good. An assigned ticket's effects are its owner's to retry."""
        with self._session() as session:
            row = session.get(TicketRow, _known(ticket_id))
            if row is None:
                raise TicketNotFound(ticket_id)
            if agent is not None and row.status == TicketStatus.ASSIGNED.value and row.assigned_to != agent:
                raise NotYourTicket(f"ticket {ticket_id} belongs to {row.assigned_to}")
            latest = (
                session.scalar(
                    select(func.max(EffectRow.seq)).where(  # fmt: skip
                        EffectRow.conversation_id == row.conversation_id, EffectRow.delivered_at.is_not(None)
                    )
                )
                or 0
            )
            return int(session.execute(
                update(EffectRow).where(EffectRow.ticket_id == ticket_id, EffectRow.failed_at.is_not(None),
                                        EffectRow.delivered_at.is_(None), EffectRow.seq > latest)
                .values(failed_at=None, attempts=0, next_attempt_at=now, lease_until=None, lease_token=None)
            ).rowcount)  # fmt: skip

    # -- webhook outbox -------------------------------------------------------------
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
