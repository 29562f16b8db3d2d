"""The messages mailcatcher received, in a SQL database (SQLite by default; any SQLAlchemy URL).

Every public method is one transaction and returns ``StoredMessage``s (or the raw bytes)."""

from __future__ import annotations

from typing import Any, List

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
)

from mailcatcher.message import Attachment, Envelope, ParsedMessage, StoredMessage, recipients
from storage.sql import SqlStore

metadata = MetaData()

messages = Table(
    "mailcatcher_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", Float, nullable=False, index=True),
    Column("mail_from", Text, nullable=False),
    Column("rcpt_to", JSON, nullable=False),
    Column("eight_bit_mime", Boolean, nullable=False),
    Column("smtp_utf8", Boolean, nullable=False),
    Column("message_id", Text),
    Column("in_reply_to", Text),
    Column("references_header", Text),
    Column("from_header", Text),
    Column("to_header", Text),
    Column("subject", Text),
    Column("date_header", Text),
    Column("text_body", Text),
    Column("html_body", Text),
    Column("attachments", JSON, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("header_recipients", JSON, nullable=False),
    Column("problems", JSON, nullable=False),
    Column("raw", LargeBinary, nullable=False),
)

# One row per address a message was for (envelope and To/Cc), lowercased: what ``?to=`` looks up.
message_recipients = Table(
    "mailcatcher_recipients",
    metadata,
    Column("message", Integer, ForeignKey("mailcatcher_messages.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("address", String(320), nullable=False, index=True),
)

MAX_ID = 2**63 - 1  # SQL BIGINT: a larger id in a URL is simply not found


class MessageNotFound(LookupError):
    def __init__(self, message_id: int) -> None:
        super().__init__(f"no message {message_id}")
        self.message_id = message_id


# Every column but the raw bytes, which only ``raw`` reads.
_SUMMARY = [column for column in messages.columns if column.name != "raw"]


def _stored(row: Any) -> StoredMessage:
    parsed = ParsedMessage(
        message_id=row.message_id,
        in_reply_to=row.in_reply_to,
        references=row.references_header,
        from_=row.from_header,
        to=row.to_header,
        subject=row.subject,
        date=row.date_header,
        text=row.text_body,
        html=row.html_body,
        attachments=tuple(Attachment(**a) for a in row.attachments),
        headers=tuple((name, value) for name, value in row.headers),
        header_recipients=tuple(row.header_recipients),
    )
    envelope = Envelope(row.mail_from, tuple(row.rcpt_to), row.eight_bit_mime, row.smtp_utf8)
    return StoredMessage(row.id, row.received_at, envelope, parsed, tuple(row.problems))


class MessageStore(SqlStore):
    def __init__(self, url: str) -> None:
        super().__init__(url, metadata)

    def add(self, received_at: float, envelope: Envelope, parsed: ParsedMessage, problems: List[str],
            raw: bytes) -> StoredMessage:  # fmt: skip
        values = {
            "received_at": received_at, "mail_from": envelope.mail_from, "rcpt_to": list(envelope.rcpt_to),
            "eight_bit_mime": envelope.eight_bit_mime, "smtp_utf8": envelope.smtp_utf8,
            "message_id": parsed.message_id, "in_reply_to": parsed.in_reply_to,
            "references_header": parsed.references, "from_header": parsed.from_, "to_header": parsed.to,
            "subject": parsed.subject, "date_header": parsed.date, "text_body": parsed.text,
            "html_body": parsed.html,
            "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size}
                            for a in parsed.attachments],
            "headers": [list(h) for h in parsed.headers], "header_recipients": list(parsed.header_recipients),
            "problems": list(problems), "raw": raw,
        }  # fmt: skip
        with self._session() as session:
            new_id = session.execute(insert(messages).values(**values)).inserted_primary_key[0]
            stored = StoredMessage(int(new_id), received_at, envelope, parsed, tuple(problems))
            rows = [{"message": stored.id, "address": address[:320]} for address in recipients(stored)]
            if rows:
                session.execute(insert(message_recipients), rows)
        return stored

    def list(self, to: str | None = None, since: float | None = None, limit: int = 100) -> List[StoredMessage]:
        """Newest first: those for ``to`` (envelope or To/Cc, any case), received at or after ``since``."""
        query = select(*_SUMMARY).order_by(messages.c.received_at.desc(), messages.c.id.desc()).limit(limit)
        if since is not None:
            query = query.where(messages.c.received_at >= since)
        if to is not None:
            for_address = select(message_recipients.c.message).where(message_recipients.c.address == to.lower())
            query = query.where(messages.c.id.in_(for_address))
        with self._session() as session:
            return [_stored(row) for row in session.execute(query)]

    def get(self, message_id: int) -> StoredMessage:
        if not 0 < message_id <= MAX_ID:
            raise MessageNotFound(message_id)
        with self._session() as session:
            row = session.execute(select(*_SUMMARY).where(messages.c.id == message_id)).first()
        if row is None:
            raise MessageNotFound(message_id)
        return _stored(row)

    def raw(self, message_id: int) -> bytes:
        if not 0 < message_id <= MAX_ID:
            raise MessageNotFound(message_id)
        with self._session() as session:
            raw = session.execute(select(messages.c.raw).where(messages.c.id == message_id)).scalar()
        if raw is None:
            raise MessageNotFound(message_id)
        return bytes(raw)

    def clear(self) -> int:
        """Deletes every message; returns how many there were."""
        with self._session() as session:
            count = session.execute(select(func.count()).select_from(messages)).scalar_one()
            session.execute(delete(message_recipients))
            session.execute(delete(messages))
        return int(count)
