"""The analytics store: events in, conversations folded, in one transaction per batch.

``ingest`` keeps each event once (its id is the primary key), then folds again only the sessions the new events
touch: from the start of the session holding a customer's earliest new event. A batch and the feed's offset are
committed together, so a feed that stops anywhere resumes without counting an event twice or losing one, and
events that arrive late or out of order (the broker re-sends after newer ones) land in the right conversation.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from typing import Dict, Iterable, List, Sequence

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from analytics.fold import Conversation, StreamEvent, fold
from analytics.settings import AnalyticsSettings
from analytics.tables import Base, ConversationRow, EventRow, FormQuestionRow, IngestLockRow, MessageRow, OffsetRow
from storage.sql import SqlStore

CHUNK = 500  # ids per IN (...) list: well under SQLite's parameter limit


class AnalyticsStore(SqlStore):
    def __init__(self, database_url: str, config: AnalyticsSettings) -> None:
        super().__init__(database_url, Base.metadata)
        self.config = config
        try:
            with self._session() as session:
                if session.get(IngestLockRow, 1) is None:
                    session.add(IngestLockRow(id=1, batches=0))
        except IntegrityError:
            pass  # another process added it first

    # -- feeding ----------------------------------------------------------------------------------
    def ingest(self, events: Sequence[StreamEvent], feed: str | None = None, position: int | None = None) -> int:
        """Store the events not seen before and fold their conversations again; returns how many were new.
        With ``feed``, its offset moves to ``position`` in the same transaction."""
        with self._session() as session:
            # First statement, a write: wait for any other ingest into this database to commit, then read.
            lock = update(IngestLockRow).where(IngestLockRow.id == 1)
            session.execute(lock.values(batches=IngestLockRow.batches + 1))
            fresh = self._new_events(session, events)
            if fresh:
                next_seq = (session.scalar(select(func.max(EventRow.seq))) or 0) + 1
                session.execute(insert(EventRow), [
                    {"event_id": e.event_id, "seq": next_seq + i, "sender_id": e.sender_id, "timestamp": e.timestamp,
                     "kind": e.kind, "data": json.dumps(e.data, ensure_ascii=False, default=str)}
                    for i, e in enumerate(fresh)
                ])  # fmt: skip
                earliest: Dict[str, float] = {}
                for event in fresh:
                    earliest[event.sender_id] = min(earliest.get(event.sender_id, event.timestamp), event.timestamp)
                for sender_id, since in earliest.items():
                    self._refold(session, sender_id, since)
            if feed is not None and position is not None:
                self._move_offset(session, feed, position)
            return len(fresh)

    @staticmethod
    def _new_events(session: Session, events: Sequence[StreamEvent]) -> List[StreamEvent]:
        unique = {e.event_id: e for e in events}
        ids = list(unique)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            for known in session.scalars(select(EventRow.event_id).where(EventRow.event_id.in_(chunk))):
                unique.pop(known, None)
        return list(unique.values())

    def _refold(self, session: Session, sender_id: str, since: float) -> None:
        start = session.scalar(
            select(func.max(EventRow.timestamp)).where(
                EventRow.sender_id == sender_id, EventRow.kind == "session_started", EventRow.timestamp <= since
            )
        )
        query = select(EventRow).where(EventRow.sender_id == sender_id)
        if start is not None:
            query = query.where(EventRow.timestamp >= start)
        rows = session.scalars(query.order_by(EventRow.timestamp, EventRow.seq)).all()
        events = [StreamEvent(r.event_id, r.sender_id, r.timestamp, r.kind, json.loads(r.data)) for r in rows]
        conversations = fold(sender_id, events, self.config)
        # The conversations those events were folded into before: the customer's from ``start`` on (all of them
        # when no session start precedes the new events). Sessions split at session_started, so none straddles it.
        stale = select(ConversationRow.key).where(ConversationRow.sender_id == sender_id)
        if start is not None:
            stale = stale.where(ConversationRow.started_at >= start)
        stale_keys = list(session.scalars(stale))
        for chunk_start in range(0, len(stale_keys), CHUNK):
            chunk = stale_keys[chunk_start : chunk_start + CHUNK]
            for column in (MessageRow.conversation_key, FormQuestionRow.conversation_key, ConversationRow.key):
                session.execute(delete(column.class_).where(column.in_(chunk)))
        self._write(session, conversations)

    @staticmethod
    def _write(session: Session, conversations: Iterable[Conversation]) -> None:
        rows, questions, messages = [], [], []
        for c in conversations:
            open_form = c.open_form
            rows.append({
                "key": c.key, "sender_id": c.sender_id, "started_at": c.started_at, "last_event_at": c.last_event_at,
                "last_customer_at": c.last_customer_at, "channel": c.channel, "customer_key": c.customer_key,
                "first_intent": c.first_intent, "customer_messages": c.customer_messages, "fallbacks": c.fallbacks,
                "handed_off": int(c.handoff_at is not None), "handoff_at": c.handoff_at,
                "handoff_reason": c.handoff_reason, "handoff_queue": c.handoff_queue, "ticket_id": c.ticket_id,
                "completed": int(bool(c.tasks_completed)), "tasks_completed": json.dumps(list(c.tasks_completed)),
                "tasks_failed": json.dumps(list(c.tasks_failed)),
                "open_form": open_form.form if open_form else None,
                "open_question": (open_form.questions[-1] if open_form and open_form.questions else None),
            })  # fmt: skip
            for visit, form in enumerate(c.forms, start=1):
                for position, question in enumerate(form.questions, start=1):
                    questions.append({
                        "conversation_key": c.key, "sender_id": c.sender_id, "visit": visit, "form": form.form,
                        "position": position, "question": question, "outcome": form.outcome,
                        "last": int(position == len(form.questions)),
                    })  # fmt: skip
            for m in c.messages:
                messages.append({
                    "event_id": m.event_id, "conversation_key": c.key, "sender_id": c.sender_id, "channel": c.channel,
                    "timestamp": m.timestamp, "text": m.text, "intent": m.intent, "confidence": m.confidence,
                    "best_intent": m.best_intent, "best_confidence": m.best_confidence, "fallback": int(m.fallback),
                    "out_of_scope": int(m.out_of_scope), "low_confidence": int(m.low_confidence),
                    "rephrase": int(m.rephrase), "before_low_confidence_handoff": int(m.before_low_confidence_handoff),
                })  # fmt: skip
        for table, values in ((ConversationRow, rows), (FormQuestionRow, questions), (MessageRow, messages)):
            if values:
                session.execute(insert(table), values)

    @staticmethod
    def _move_offset(session: Session, feed: str, position: int) -> None:
        row = session.get(OffsetRow, feed)
        if row is None:
            session.add(OffsetRow(feed=feed, position=position, updated_at=time.time()))
        else:
            row.position, row.updated_at = max(row.position, position), time.time()

    def offset(self, feed: str) -> int:
        with self._session() as session:
            row = session.get(OffsetRow, feed)
            return int(row.position) if row else 0

    # -- reading (tests, review) -------------------------------------------------------------------
    def event_count(self) -> int:
        with self._session() as session:
            return int(session.scalar(select(func.count()).select_from(EventRow)) or 0)

    def conversations(self) -> List[Dict[str, object]]:
        with self._session() as session:
            rows = session.execute(select(ConversationRow).order_by(ConversationRow.started_at)).scalars().all()
            return [{c.name: getattr(r, c.name) for c in ConversationRow.__table__.columns} for r in rows]

    def events_by_sender(self) -> Dict[str, int]:
        with self._session() as session:
            counts: Dict[str, int] = defaultdict(int)
            for sender, count in session.execute(select(EventRow.sender_id, func.count()).group_by(EventRow.sender_id)):
                counts[sender] = int(count)
            return dict(counts)
