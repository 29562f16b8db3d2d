"""What the channels remember across processes: consent per channel and address, the numbered choices an SMS
last offered, phones that cannot take RCS, and delivery receipts. SQL through SQLAlchemy
(``CHANNELS_DATABASE_URL``; SQLite ``var/channels.db`` by default). Blocking: call it off the event loop."""

from __future__ import annotations

import json
import time
from typing import Any, Dict

from sqlalchemy import Boolean, Column, Float, Integer, String, Text, inspect, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import declarative_base

from bot.channels.receipts import normalise, rank
from storage.sql import SqlStore, widen_columns

Base: Any = declarative_base()


class Consent(Base):
    __tablename__ = "channel_consent"
    channel = Column(String(16), primary_key=True)  # "sms", "rcs", "email"
    address = Column(String(255), primary_key=True)  # the E.164 phone, or the e-mail address
    # "all": nothing at all may be sent (SMS STOP); "marketing": nothing the customer did not ask for
    # (RCS UNSUBSCRIBE: "no further non-essential messages"). Replies to the customer's own messages are service.
    scope = Column(String(16), primary_key=True)
    opted_out = Column(Boolean, nullable=False)
    source = Column(String(32), nullable=False)  # "keyword STOP", "carrier 21610", "rcs UNSUBSCRIBE", ...
    updated_at = Column(Float, nullable=False)


class Seen(Base):
    """Provider message ids handled outside Rasa (carrier keywords), so a retried webhook changes nothing."""

    __tablename__ = "channel_seen_messages"
    key = Column(String(120), primary_key=True)
    seen_at = Column(Float, nullable=False)


class OfferedChoices(Base):
    __tablename__ = "sms_offered_choices"
    phone = Column(String(255), primary_key=True)  # or the e-mail address the choices went to
    choices = Column(Text, nullable=False)


class SmsOnly(Base):
    """Phones RBM said cannot receive RCS: reached by SMS until ``since`` is older than the configured memory."""

    __tablename__ = "rcs_sms_only"
    phone = Column(String(32), primary_key=True)
    since = Column(Float, nullable=False)


class Receipt(Base):
    __tablename__ = "delivery_receipts"
    provider_id = Column(String(80), primary_key=True)  # Twilio's MessageSid, or the RBM messageId we chose
    channel = Column(String(16), nullable=False)
    status = Column(String(32), nullable=False)
    rank = Column(Integer, nullable=False)
    error_code = Column(String(16))
    updated_at = Column(Float, nullable=False)


class ChannelStore(SqlStore):
    def __init__(self, url: str) -> None:
        super().__init__(url, Base.metadata)
        widen_columns(self.engine, Consent.__tablename__, {"address": 255})  # 64 and 32 before e-mail
        widen_columns(self.engine, OfferedChoices.__tablename__, {"phone": 255})
        self._carry_over_sms_consent()

    def _carry_over_sms_consent(self) -> None:
        """Databases from before per-channel consent kept SMS opt-outs in ``sms_consent``: they still hold."""
        if not inspect(self.engine).has_table("sms_consent"):
            return
        with self._session() as session:
            session.execute(
                text(
                    "INSERT INTO channel_consent (channel, address, scope, opted_out, source, updated_at) "
                    "SELECT 'sms', phone, 'all', opted_out, source, updated_at FROM sms_consent s WHERE NOT EXISTS "
                    "(SELECT 1 FROM channel_consent c WHERE c.channel = 'sms' AND c.address = s.phone)"
                )
            )

    def _upsert(self, row: Any) -> None:
        """``merge`` reads, then inserts or updates: two first writes for one key race, and the loser's insert
        fails; written once more, it updates."""
        for attempt in range(2):
            try:
                with self._session() as session:
                    session.merge(row)
                return
            except IntegrityError:
                if attempt:
                    raise

    def first_time(self, key: str) -> bool:
        """True the first time ``key`` (a provider's message id) is seen; False for a provider's retry."""
        try:
            with self._session() as session:
                session.add(Seen(key=key[:120], seen_at=time.time()))
        except IntegrityError:
            return False
        return True

    # -- consent -----------------------------------------------------------------
    def set_opted_out(self, channel: str, address: str, opted_out: bool, source: str, scope: str = "all",
                      at: float | None = None) -> bool:  # fmt: skip
        """Record a consent change made at ``at`` (now by default); a change older than the one on record (an
        event delivered late) changes nothing. False when it did not apply."""
        at = time.time() if at is None else at
        with self._session() as session:
            current = session.get(Consent, (channel, address, scope))
            if current is not None and current.updated_at > at:
                return False
        self._upsert(Consent(channel=channel, address=address, scope=scope, opted_out=opted_out, source=source[:32],
                             updated_at=at))  # fmt: skip
        return True

    def is_opted_out(self, channel: str, address: str, marketing: bool = False) -> bool:
        """Whether nothing (or, for ``marketing``, nothing the customer did not ask for) may go to ``address``."""
        scopes = ("all", "marketing") if marketing else ("all",)
        with self._session() as session:
            return any(
                (row := session.get(Consent, (channel, address, scope))) is not None and row.opted_out
                for scope in scopes
            )

    # -- numbered choices (SMS) ----------------------------------------------------
    def offer(self, phone: str, choices: Dict[str, str]) -> None:
        self._upsert(OfferedChoices(phone=phone, choices=json.dumps(choices)))

    def take_offer(self, phone: str) -> Dict[str, str]:
        """The choices last offered to ``phone``; they answer one reply only, so they are forgotten."""
        with self._session() as session:
            row = session.get(OfferedChoices, phone)
            if row is None:
                return {}
            session.delete(row)
            return dict(json.loads(row.choices))

    # -- RCS capability ------------------------------------------------------------
    def mark_sms_only(self, phone: str) -> None:
        self._upsert(SmsOnly(phone=phone, since=time.time()))

    def is_sms_only(self, phone: str, memory_seconds: float) -> bool:
        with self._session() as session:
            row = session.get(SmsOnly, phone)
            return row is not None and time.time() - row.since < memory_seconds

    # -- receipts --------------------------------------------------------------------
    def record_receipt(self, provider_id: str, channel: str, status: str, error_code: str | None = None) -> bool:
        """Store the status if it moves the message forward (receipts arrive out of order); True if it did."""
        incoming = rank(status)
        if incoming == 0 or not provider_id:
            return False
        values = {"status": normalise(status), "rank": incoming, "error_code": error_code, "updated_at": time.time()}
        for _ in range(2):
            with self._session() as session:
                moved = session.execute(
                    update(Receipt).where(Receipt.provider_id == provider_id, Receipt.rank < incoming).values(**values)
                ).rowcount
            if moved:
                return True
            try:
                with self._session() as session:
                    session.add(Receipt(provider_id=provider_id, channel=channel, **values))
                return True
            except IntegrityError:
                continue  # it exists: the update above decides, once more in case it was inserted meanwhile
        return False

    def receipt(self, provider_id: str) -> Dict[str, str | None] | None:
        with self._session() as session:
            row = session.get(Receipt, provider_id)
            return {"status": row.status, "error_code": row.error_code} if row else None
