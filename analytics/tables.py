"""The analytics store's SQL tables. They live in the hand-off database (HANDOFF_DATABASE_URL: SQLite
embedded, PostgreSQL in production), so a report joins conversations with their tickets in one query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Float, Index, Integer, String, Text
from sqlalchemy.orm import declarative_base

Base: Any = declarative_base()


class EventRow(Base):
    """Every event counted, once: the primary key is the event's id, so a redelivered event is not stored
    twice. The conversations are folded again from these when a customer's events change."""

    __tablename__ = "analytics_events"
    __table_args__ = (Index("ix_analytics_events_sender_ts", "sender_id", "timestamp"),)
    event_id = Column(String(40), primary_key=True)
    seq = Column(Integer, nullable=False)  # arrival order: breaks ties between equal timestamps
    sender_id = Column(String(255), nullable=False)
    timestamp = Column(Float, nullable=False)
    kind = Column(String(32), nullable=False)
    data = Column(Text, nullable=False)


class ConversationRow(Base):
    __tablename__ = "analytics_conversations"
    __table_args__ = (
        Index("ix_analytics_conversations_customer", "customer_key", "started_at"),
        Index("ix_analytics_conversations_sender", "sender_id", "started_at"),
    )
    key = Column(String(300), primary_key=True)  # "<sender_id>#<session start>"
    sender_id = Column(String(255), nullable=False)
    started_at = Column(Float, nullable=False, index=True)
    last_event_at = Column(Float, nullable=False)
    last_customer_at = Column(Float)
    channel = Column(String(32))
    customer_key = Column(String(32), nullable=False)
    first_intent = Column(String(64))
    customer_messages = Column(Integer, nullable=False)
    fallbacks = Column(Integer, nullable=False)
    handed_off = Column(Integer, nullable=False)
    handoff_at = Column(Float)
    handoff_reason = Column(String(64))
    handoff_queue = Column(String(32))
    ticket_id = Column(Integer)
    completed = Column(Integer, nullable=False)  # a task was completed or an answer given
    tasks_completed = Column(Text, nullable=False)  # JSON list
    tasks_failed = Column(Text, nullable=False)  # JSON list
    open_form = Column(String(64))  # the form still active when its events end (abandoned once it is over)
    open_question = Column(String(64))


class FormQuestionRow(Base):
    """One question a form visit asked; ``dropped`` on the last question of a visit that did not complete."""

    __tablename__ = "analytics_form_questions"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_key = Column(String(300), nullable=False, index=True)
    sender_id = Column(String(255), nullable=False, index=True)
    visit = Column(Integer, nullable=False)
    form = Column(String(64), nullable=False)
    position = Column(Integer, nullable=False)  # 1 = the first question asked
    question = Column(String(64), nullable=False)
    outcome = Column(String(16), nullable=False)  # the visit's: completed, cancelled, escalated, open
    last = Column(Integer, nullable=False)  # 1 on the visit's last question


class MessageRow(Base):
    """Each customer message with what NLU made of it: fallback rate, and the review of what the bot missed."""

    __tablename__ = "analytics_messages"
    event_id = Column(String(40), primary_key=True)
    conversation_key = Column(String(300), nullable=False, index=True)
    sender_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(32))
    timestamp = Column(Float, nullable=False, index=True)
    text = Column(Text, nullable=False)
    intent = Column(String(64))
    confidence = Column(Float, nullable=False)
    best_intent = Column(String(64))
    best_confidence = Column(Float, nullable=False)
    fallback = Column(Integer, nullable=False)
    out_of_scope = Column(Integer, nullable=False)
    low_confidence = Column(Integer, nullable=False)
    rephrase = Column(Integer, nullable=False)
    before_low_confidence_handoff = Column(Integer, nullable=False)


class IngestLockRow(Base):
    """One row every ingest updates first: the update takes the row's write lock (SQLite: the database's), so
    feeds and consumers sharing a database store one batch at a time and each sees what the last one stored."""

    __tablename__ = "analytics_ingest_lock"
    id = Column(Integer, primary_key=True)
    batches = Column(Integer, nullable=False)


class OffsetRow(Base):
    """How far a feed has read (the tracker store's last event row), written with what it read."""

    __tablename__ = "analytics_offsets"
    feed = Column(String(64), primary_key=True)
    position = Column(Integer, nullable=False)
    updated_at = Column(Float, nullable=False)


class OutreachRow(Base):
    """Room for proactive messages (journeys, a later issue): one row per message sent first, with how far it got.
    Nothing writes it yet; the report counts none until something does."""

    __tablename__ = "analytics_outreach"
    id = Column(String(64), primary_key=True)
    journey = Column(String(64), nullable=False, index=True)
    step = Column(String(64), nullable=False)
    sender_id = Column(String(255), nullable=False)
    channel = Column(String(32), nullable=False)
    sent_at = Column(Float, nullable=False, index=True)
    delivered_at = Column(Float)
    read_at = Column(Float)
    replied_at = Column(Float)
    failed_at = Column(Float)


class LabelRow(Base):
    """A designer's verdict on a missed message: the intent it should have had (written to review/suggestions.yml)."""

    __tablename__ = "analytics_review_labels"
    event_id = Column(String(40), primary_key=True)
    text = Column(Text, nullable=False)
    intent = Column(String(64), nullable=False)
    labelled_by = Column(String(100), nullable=False)
    labelled_at = Column(Float, nullable=False)
