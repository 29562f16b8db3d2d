"""The typed records mailcatcher passes between its modules: what a message says (``ParsedMessage``), what
arrived over SMTP (``Envelope``) and what the store keeps (``StoredMessage``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Tuple


@dataclass(frozen=True)
class Attachment:
    filename: str | None
    content_type: str
    size: int  # decoded bytes


@dataclass(frozen=True)
class ParsedMessage:
    """The fields of a message as a reader sees them: headers decoded (RFC 2047), bodies decoded to text."""

    message_id: str | None = None
    in_reply_to: str | None = None
    references: str | None = None
    from_: str | None = None
    to: str | None = None
    subject: str | None = None
    date: str | None = None
    text: str | None = None
    html: str | None = None
    attachments: Tuple[Attachment, ...] = ()
    headers: Tuple[Tuple[str, str], ...] = ()
    # Addresses of To and Cc (lowercased), for ``?to=`` besides the envelope's recipients.
    header_recipients: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Envelope:
    """What the SMTP client said around the message (RFC 5321), and whether it may carry 8-bit data."""

    mail_from: str
    rcpt_to: Tuple[str, ...]
    eight_bit_mime: bool = False  # MAIL FROM ... BODY=8BITMIME (RFC 6152)
    smtp_utf8: bool = False  # MAIL FROM ... SMTPUTF8 (RFC 6531)


@dataclass(frozen=True)
class StoredMessage:
    id: int
    received_at: float  # unix time
    envelope: Envelope
    parsed: ParsedMessage
    problems: Tuple[str, ...] = field(default_factory=tuple)

    def to_json(self, raw_url: str) -> Dict[str, Any]:
        """The API's representation (docs/mailcatcher.md): everything but the raw bytes, which are at ``raw_url``."""
        parsed = self.parsed
        return {
            "id": self.id,
            "received_at": self.received_at,
            "mail_from": self.envelope.mail_from,
            "rcpt_to": list(self.envelope.rcpt_to),
            "message_id": parsed.message_id,
            "in_reply_to": parsed.in_reply_to,
            "references": parsed.references,
            "from": parsed.from_,
            "to": parsed.to,
            "subject": parsed.subject,
            "date": parsed.date,
            "text": parsed.text,
            "html": parsed.html,
            "attachments": [asdict(a) for a in parsed.attachments],
            "headers": [list(h) for h in parsed.headers],
            "problems": list(self.problems),
            "raw_url": raw_url,
        }


def recipients(message: StoredMessage) -> List[str]:
    """Every address the message was for: the envelope's, then To/Cc's; lowercased, each once."""
    seen: Dict[str, None] = {}
    for address in (*message.envelope.rcpt_to, *message.parsed.header_recipients):
        seen.setdefault(address.strip().lower(), None)
    return [a for a in seen if a]
