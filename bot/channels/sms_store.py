"""What the SMS channel must remember across processes: messages already
handled (Twilio retries), consent, the numbered choices last offered, and
delivery statuses. SQL through SQLAlchemy (CHANNELS_DATABASE_URL)."""

from __future__ import annotations

import functools
import json
import os
import time
from pathlib import Path
from typing import Any, Dict

from sqlalchemy import Boolean, Column, Float, String, Text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import declarative_base

from storage.sql import SqlStore

Base: Any = declarative_base()
ROOT = Path(__file__).resolve().parents[2]


class SeenMessage(Base):
    __tablename__ = "sms_seen_messages"
    sid = Column(String(64), primary_key=True)
    received_at = Column(Float, nullable=False)


class Consent(Base):
    __tablename__ = "sms_consent"
    phone = Column(String(32), primary_key=True)
    opted_out = Column(Boolean, nullable=False)
    updated_at = Column(Float, nullable=False)
    source = Column(String(32), nullable=False)  # keyword, carrier error 21610...


class OfferedChoices(Base):
    __tablename__ = "sms_offered_choices"
    phone = Column(String(32), primary_key=True)
    choices = Column(Text, nullable=False)


class DeliveryStatus(Base):
    __tablename__ = "sms_delivery_status"
    sid = Column(String(64), primary_key=True)
    status = Column(String(32), nullable=False)
    error_code = Column(String(16))
    updated_at = Column(Float, nullable=False)


class SmsOnly(Base):
    """Phones RBM said cannot receive RCS: reached by SMS from then on."""

    __tablename__ = "rcs_sms_only"
    phone = Column(String(32), primary_key=True)
    since = Column(Float, nullable=False)


class SmsStore(SqlStore):
    def __init__(self, url: str) -> None:
        super().__init__(url, Base.metadata)

    def first_time(self, sid: str) -> bool:
        """True the first time a MessageSid is seen; False for Twilio's retries."""
        try:
            with self._session() as session:
                session.add(SeenMessage(sid=sid, received_at=time.time()))
            return True
        except IntegrityError:
            return False

    def set_opted_out(self, phone: str, opted_out: bool, source: str) -> None:
        with self._session() as session:
            session.merge(Consent(phone=phone, opted_out=opted_out, updated_at=time.time(), source=source))

    def is_opted_out(self, phone: str) -> bool:
        with self._session() as session:
            row = session.get(Consent, phone)
            return bool(row and row.opted_out)

    def offer(self, phone: str, choices: Dict[str, str]) -> None:
        with self._session() as session:
            session.merge(OfferedChoices(phone=phone, choices=json.dumps(choices)))

    def offered(self, phone: str) -> Dict[str, str]:
        with self._session() as session:
            row = session.get(OfferedChoices, phone)
            return json.loads(row.choices) if row else {}

    def mark_sms_only(self, phone: str) -> None:
        with self._session() as session:
            session.merge(SmsOnly(phone=phone, since=time.time()))

    def is_sms_only(self, phone: str) -> bool:
        with self._session() as session:
            return session.get(SmsOnly, phone) is not None

    def record_status(self, sid: str, status: str, error_code: str | None) -> None:
        with self._session() as session:
            session.merge(DeliveryStatus(sid=sid, status=status, error_code=error_code, updated_at=time.time()))

    def status(self, sid: str) -> Dict[str, str | None] | None:
        with self._session() as session:
            row = session.get(DeliveryStatus, sid)
            return {"status": row.status, "error_code": row.error_code} if row else None


@functools.lru_cache(maxsize=1)
def sms_store() -> SmsStore:
    return SmsStore(os.environ.get("CHANNELS_DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'channels.db'}")
