"""Reading a received message into a ``ParsedMessage``. Pure; never raises on a malformed message (what is
wrong with it is ``rules``' business), so every message a client sends can be stored and looked at."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from typing import List, Tuple

from mailcatcher.message import Attachment, ParsedMessage


def parse_bytes(raw: bytes) -> EmailMessage:
    """The message as Python's modern ``email`` API sees it; its parse defects are in ``.defects``."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # what policy.default's message factory makes
    return message


def header(message: Message, name: str) -> str | None:
    """The decoded value of the first ``name`` header, or its raw text where the header cannot be parsed."""
    try:
        value = message.get(name)
    except Exception:  # the email package can fail on some malformed structured headers
        value = next((v for n, v in message.raw_items() if n.lower() == name.lower()), None)
    return None if value is None else str(value)


def decoded_headers(message: Message) -> Tuple[Tuple[str, str], ...]:
    result = []
    for name, raw in message.raw_items():
        try:
            value = str(message.policy.header_fetch_parse(name, raw))
        except Exception:  # as in ``header``: show what was sent
            value = str(raw)
        result.append((name, value))
    return tuple(result)


def part_text(part: Message) -> str:
    """A text part decoded with its declared charset; undecodable bytes become U+FFFD (``rules`` reports them)."""
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:  # an unknown charset
        return data.decode("utf-8", errors="replace")


def _body(message: EmailMessage, subtype: str) -> str | None:
    try:
        part = message.get_body(preferencelist=(subtype,))
    except Exception:  # a malformed MIME structure: no body of that type to show
        return None
    return None if part is None else part_text(part)


def attachments(message: EmailMessage) -> Tuple[Attachment, ...]:
    found: List[Attachment] = []
    for part in message.walk():
        if part.is_multipart() or not (part.get_content_disposition() == "attachment" or part.get_filename()):
            continue
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        found.append(Attachment(filename=part.get_filename(), content_type=part.get_content_type(), size=size))
    return tuple(found)


def header_recipients(message: Message) -> Tuple[str, ...]:
    values = [header(message, name) or "" for name in ("To", "Cc")]
    return tuple(address.lower() for _, address in getaddresses(values) if "@" in address)


def read(message: EmailMessage) -> ParsedMessage:
    """The fields of a message from ``parse_bytes``."""
    return ParsedMessage(
        message_id=header(message, "Message-ID"),
        in_reply_to=header(message, "In-Reply-To"),
        references=header(message, "References"),
        from_=header(message, "From"),
        to=header(message, "To"),
        subject=header(message, "Subject"),
        date=header(message, "Date"),
        text=_body(message, "plain"),
        html=_body(message, "html"),
        attachments=attachments(message),
        headers=decoded_headers(message),
        header_recipients=header_recipients(message),
    )
