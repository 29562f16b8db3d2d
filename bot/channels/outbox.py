"""The outbound queue for channels with a provider API (SMS, RCS): every message to a customer is written here
first and sent by ``delivery.py``, so a provider outage or a restart delays a message, never loses it.

One row per bot or agent message, in the order they were said. Per customer address only the oldest unsent
message is handed out (claimed with a lease, so several Rasa workers never send one message twice at once);
the next waits until it is sent or given up. A producer's ``key`` (the customer message or the hand-off
effect the message answers, plus its position) makes a retried producer enqueue nothing new.
Blocking: call it off the event loop.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any, Dict, List, Sequence

from sqlalchemy import Column, Float, Integer, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import declarative_base

from storage.queue import claim_heads, settle
from storage.sql import SqlStore, widen_columns

Base: Any = declarative_base()


class OutboxStatus(str, Enum):
    PENDING = "pending"
    SENT = "sent"  # the provider accepted every part
    FAILED = "failed"  # given up: a permanent error, or the retry budget spent
    SUPPRESSED = "suppressed"  # not sent on purpose: the customer opted out


class OutboxRow(Base):
    __tablename__ = "channel_outbox"
    seq = Column(Integer, primary_key=True, autoincrement=True)  # the order messages were said in
    id = Column(String(36), nullable=False, unique=True)  # a UUID: RBM's messageId, so a resend is ignored
    key = Column(String(255), unique=True)
    channel = Column(String(16), nullable=False)  # "sms", "rcs" (falling back to "sms") or "email"
    recipient = Column(String(255), nullable=False, index=True)  # a phone, or an e-mail address (RFC 5321: 254)
    kind = Column(String(16), nullable=False)  # "bot" (segment budget applies), "agent", "system"
    message = Column(Text, nullable=False)  # the bot message as Rasa gives it (text, buttons, image, custom)
    status = Column(String(16), nullable=False, index=True)
    attempts = Column(Integer, nullable=False, default=0)
    parts_sent = Column(Integer, nullable=False, default=0)  # a long message goes in parts; a retry resumes
    provider_ids = Column(Text, nullable=False, default="[]")
    next_attempt_at = Column(Float, nullable=False)
    lease_until = Column(Float)
    lease_token = Column(String(36))  # whose lease it is: only that worker's results count
    last_error = Column(String(500))
    created_at = Column(Float, nullable=False)
    finished_at = Column(Float)


@dataclass(frozen=True)
class Outbound:
    seq: int
    id: str
    channel: str
    recipient: str
    kind: str
    message: Dict[str, Any]
    attempts: int
    parts_sent: int
    provider_ids: List[str]
    created_at: float
    lease: str = ""  # the token of the caller's lease


def _unsent(row: Any) -> Any:
    return row.status == OutboxStatus.PENDING.value


def _outbound(row: OutboxRow, lease: str = "") -> Outbound:
    return Outbound(
        row.seq,
        row.id,
        row.channel,
        row.recipient,
        row.kind,
        json.loads(row.message),
        row.attempts,
        row.parts_sent,
        json.loads(row.provider_ids),
        row.created_at,
        lease,
    )


class Outbox(SqlStore):
    def __init__(self, url: str) -> None:
        super().__init__(url, Base.metadata)
        widen_columns(self.engine, OutboxRow.__tablename__, {"recipient": 255})  # 64 before e-mail

    def enqueue(
        self, channel: str, recipient: str, message: Dict[str, Any], kind: str = "bot", key: str | None = None
    ) -> bool:
        """Queue one message; False when ``key`` was queued before (nothing new is queued)."""
        now = time.time()
        row = OutboxRow(
            id=str(uuid.uuid4()),
            key=key,
            channel=channel,
            recipient=recipient,
            kind=kind,
            message=json.dumps(message),
            status=OutboxStatus.PENDING.value,
            attempts=0,
            parts_sent=0,
            provider_ids="[]",
            next_attempt_at=now,
            created_at=now,
        )
        try:
            with self._session() as session:
                session.add(row)
        except IntegrityError:
            return False
        return True

    def claim_due(self, now: float, limit: int, lease_seconds: float) -> List[Outbound]:
        """The oldest unsent message of up to ``limit`` recipients, each leased to the caller."""
        return claim_heads(self._session, OutboxRow, "recipient", _unsent, now, limit, lease_seconds, _outbound)

    def record_parts(self, item: Outbound, provider_ids: Sequence[str], lease_seconds: float) -> bool:
        """The provider took another part: kept at once (a crash resends only what did not go) and the lease
        extended. False if another worker has taken the message over."""
        return settle(self._session, OutboxRow, item.seq, item.lease, False, parts_sent=len(provider_ids),
                      provider_ids=json.dumps(list(provider_ids)), lease_until=time.time() + lease_seconds)  # fmt: skip

    def mark_sent(self, item: Outbound, provider_ids: Sequence[str], now: float) -> bool:
        return settle(self._session, OutboxRow, item.seq, item.lease, True, status=OutboxStatus.SENT.value,
                      attempts=item.attempts + 1, parts_sent=len(provider_ids),
                      provider_ids=json.dumps(list(provider_ids)), finished_at=now)  # fmt: skip

    def mark_retry(self, item: Outbound, provider_ids: Sequence[str], error: str, retry_at: float) -> bool:
        """Try again at ``retry_at``, resuming after the parts already sent."""
        return settle(self._session, OutboxRow, item.seq, item.lease, True, attempts=item.attempts + 1,
                      parts_sent=len(provider_ids), provider_ids=json.dumps(list(provider_ids)),
                      last_error=error[:500], next_attempt_at=retry_at)  # fmt: skip

    def mark_given_up(self, item: Outbound, status: OutboxStatus, provider_ids: Sequence[str], error: str,
                      now: float) -> bool:  # fmt: skip
        return settle(self._session, OutboxRow, item.seq, item.lease, True, status=status.value,
                      attempts=item.attempts + 1, parts_sent=len(provider_ids),
                      provider_ids=json.dumps(list(provider_ids)), last_error=error[:500], finished_at=now)  # fmt: skip

    def switch_to_sms(self, item: Outbound) -> Outbound:
        """An RCS message for a phone without RCS: the same message, from its first part, by SMS."""
        settle(self._session, OutboxRow, item.seq, item.lease, False, channel="sms", parts_sent=0, provider_ids="[]")
        return dataclasses.replace(item, channel="sms", parts_sent=0, provider_ids=[])

    # -- reading (tests, the desk, operators) ---------------------------------------
    def for_recipient(self, recipient: str) -> List[Dict[str, Any]]:
        with self._session() as session:
            rows = session.scalars(select(OutboxRow).where(OutboxRow.recipient == recipient).order_by(OutboxRow.seq))
            return [
                {
                    "id": r.id,
                    "channel": r.channel,
                    "kind": r.kind,
                    "status": r.status,
                    "attempts": r.attempts,
                    "provider_ids": json.loads(r.provider_ids),
                    "last_error": r.last_error,
                    "message": json.loads(r.message),
                }
                for r in rows
            ]
