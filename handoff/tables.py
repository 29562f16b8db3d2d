"""The hand-off's SQL tables (SQLAlchemy: SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base

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


class TicketEventRow(Base):
    """Append-only: when a ticket was opened, claimed, given back to the queue, taken over and closed, by whom.
    Written in the transaction of the change; analytics reads reply and resolution times from it."""

    __tablename__ = "handoff_ticket_events"
    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(Integer, nullable=False, index=True)
    kind = Column(String(16), nullable=False)  # "created", a status ("assigned", "resolved"...) or "taken_over"
    agent = Column(String(100))
    at = Column(Float, nullable=False)


class MessageRow(Base):
    __tablename__ = "handoff_messages"
    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(Integer, nullable=False, index=True)
    kind = Column(String(16), nullable=False)  # "reply" (to the customer) or "note" (agents only)
    author = Column(String(100), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(Float, nullable=False)


class OutboxRow(Base):
    """Webhook deliveries to an external desk."""

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


class EffectRow(Base):
    """What a ticket's change does to the conversation (pause, an agent's message, the hand-back), written in
    the transaction of the change and applied through the conversation gateway, in order, until it is."""

    __tablename__ = "handoff_effects"
    seq = Column(Integer, primary_key=True, autoincrement=True)  # the order they happen in
    id = Column(String(36), nullable=False, unique=True)  # the effect's idempotency key at the gateway
    ticket_id = Column(Integer, nullable=False, index=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    kind = Column(String(16), nullable=False)  # "pause", "agent_message", "handback"
    payload = Column(Text, nullable=False)  # {"text", "agent"} for a message
    message_id = Column(Integer)  # the handoff_messages row an agent_message carries
    created_at = Column(Float, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(Float, nullable=False)
    lease_until = Column(Float)
    lease_token = Column(String(36))  # whose lease it is: only that worker's results count
    delivered_at = Column(Float)
    failed_at = Column(Float)
    last_error = Column(String(500))
