"""What the e-mail channel remembers: each conversation's thread (subject, the ids a reply must name, the reply
token in its address) and the Message-ID of every e-mail sent, so a bounce or complaint finds the message it is
about. In the channels database (``CHANNELS_DATABASE_URL``). Blocking: call it off the event loop."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, List, Tuple

from sqlalchemy import Column, Float, String, Text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import declarative_base

from storage.sql import SqlStore

Base: Any = declarative_base()
MAX_REFERENCES = 10  # RFC 5322 §3.6.4 lets a client trim References; the newest ids are the ones that matter


class ThreadRow(Base):
    __tablename__ = "email_threads"
    conversation_id = Column(String(255), primary_key=True)
    token = Column(String(32), nullable=False, unique=True)
    subject = Column(String(300), nullable=False)
    last_message_id = Column(String(255))  # the customer's last Message-ID: what the next answer replies to
    references = Column(Text, nullable=False)  # JSON list, oldest first
    updated_at = Column(Float, nullable=False)


class SentRow(Base):
    __tablename__ = "email_sent"
    message_id = Column(String(255), primary_key=True)  # "<bot.…@shop.example>"
    conversation_id = Column(String(255), nullable=False, index=True)
    outbox_id = Column(String(36))
    sent_at = Column(Float, nullable=False)


@dataclass(frozen=True)
class Thread:
    conversation_id: str
    token: str
    subject: str
    last_message_id: str | None = None
    references: Tuple[str, ...] = field(default=())


class EmailStore(SqlStore):
    def __init__(self, url: str) -> None:
        super().__init__(url, Base.metadata)

    def thread(self, conversation_id: str, subject: str = "") -> Thread:
        """The conversation's thread, started (with a fresh reply token) the first time."""
        for _ in range(3):
            with self._session() as session:
                row = session.get(ThreadRow, conversation_id)
                if row is not None:
                    return _thread(row)
            try:
                with self._session() as session:
                    session.add(ThreadRow(conversation_id=conversation_id, token=secrets.token_urlsafe(12),
                                          subject=subject[:300], references="[]", updated_at=time.time()))  # fmt: skip
            except IntegrityError:
                continue  # started by another worker at the same moment (or a token clash): read it again
        raise RuntimeError(f"could not start the e-mail thread of {conversation_id!r}")

    def note_customer_message(self, conversation_id: str, subject: str, message_id: str | None,
                              references: Tuple[str, ...]) -> Thread:  # fmt: skip
        """A customer's e-mail: the next answer replies to it, under its subject."""
        self.thread(conversation_id, subject)
        with self._session() as session:
            row = session.get(ThreadRow, conversation_id)
            known: List[str] = json.loads(row.references)
            for ref in (*references, message_id):
                if ref and ref not in known:
                    known.append(ref)
            row.references = json.dumps(known[-MAX_REFERENCES:])
            row.last_message_id = message_id or row.last_message_id
            row.subject = (subject or row.subject)[:300]
            row.updated_at = time.time()
            return _thread(row)

    def note_sent(self, conversation_id: str, message_id: str, outbox_id: str | None) -> None:
        with self._session() as session:
            if session.get(SentRow, message_id) is None:
                session.add(SentRow(message_id=message_id, conversation_id=conversation_id, outbox_id=outbox_id,
                                    sent_at=time.time()))  # fmt: skip
            row = session.get(ThreadRow, conversation_id)
            if row is not None:
                known = json.loads(row.references)
                if message_id not in known:
                    row.references = json.dumps([*known, message_id][-MAX_REFERENCES:])

    def conversation_of_token(self, token: str) -> str | None:
        with self._session() as session:
            row = session.query(ThreadRow).filter(ThreadRow.token == token).one_or_none()
            return row.conversation_id if row else None

    def sent(self, message_id: str) -> Tuple[str, str | None] | None:
        """(conversation, outbox id) of a message we sent; None for any other id."""
        with self._session() as session:
            row = session.get(SentRow, message_id)
            return (row.conversation_id, row.outbox_id) if row else None


def _thread(row: ThreadRow) -> Thread:
    return Thread(row.conversation_id, row.token, row.subject, row.last_message_id, tuple(json.loads(row.references)))
