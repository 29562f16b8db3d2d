"""What an inbound e-mail says, read from its raw MIME bytes. Pure (no I/O).

- **Kind**: a customer's message; an automatic one that must never be answered (``Auto-Submitted`` other than
  ``no``, RFC 3834 §5; ``Precedence: bulk|list|junk|auto_reply`` and a ``List-Id``, which RFC 3834 §2 says a
  responder should not answer; the out-of-office markers Exchange and other servers send); a bounce
  (``multipart/report; report-type=delivery-status``, RFC 3464), final (``Action: failed``) or only
  ``delayed``; or an abuse complaint (``report-type=feedback-report``, RFC 5965).
- **Threading**: ``Message-ID``, ``In-Reply-To`` and ``References`` (RFC 5322 §3.6.4), and the reply token in a
  ``support+r-<token>@`` address.
- **New text**: the text part (or the HTML part read as text when there is none), without the quoted history
  and the signature (mail-parser-reply finds them in the client's own words: "On … wrote:", Outlook's header
  block, "-- "); the HTML's quoted blocks (Gmail's ``gmail_quote``, Apple's ``blockquote type=cite``,
  Outlook's ``divRplyFwdMsg``) are dropped before it is read.
- **Attachments**: file name (RFC 2231 and 2047 names decoded), type and size, for the agent.
- **Sender proof**: the From address counts as proven only when the receiving server we trust wrote
  ``Authentication-Results: <its id>; dmarc=pass`` (RFC 8601): a From header alone is anyone's to write.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Iterable, List, Sequence, Tuple

from mailparser_reply import EmailReplyParser

MAX_TEXT_CHARS = 20_000  # more than any message a customer types; the pipeline refuses what is longer
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv"]
AUTOMATIC_PRECEDENCE = {"bulk", "list", "junk", "auto_reply"}
# Headers out-of-office responders set besides (or instead of) RFC 3834's Auto-Submitted.
AUTORESPONDER_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder")
OUT_OF_OFFICE_SUBJECTS = (
    "automatic reply:",
    "autoreply:",
    "out of office:",
    "out of office reply",
    "automatische antwort:",
    "abwesenheitsnotiz",
    "réponse automatique",
    "risposta automatica",
)
MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")
REPLY_TOKEN = re.compile(r"^[^@+]+\+r-([A-Za-z0-9_-]{8,64})@", re.IGNORECASE)


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    size: int
    inline: bool = False  # shown in the body (a pasted picture), not attached


@dataclass(frozen=True)
class InboundEmail:
    kind: str  # "message", "auto_reply", "bounce", "delayed", "complaint"
    from_address: str  # bare, lower-case; "" when there is none
    from_name: str
    to_addresses: Tuple[str, ...]
    subject: str
    message_id: str | None
    in_reply_to: str | None
    references: Tuple[str, ...]
    text: str  # the new text, without quoted history and signature
    attachments: Tuple[MailAttachment, ...] = ()
    reply_token: str | None = None
    sender_proven: bool = False
    # Bounces and complaints: which of our messages, for whom, and the status code (RFC 3463).
    reported_message_id: str | None = None
    failed_recipient: str | None = None
    status: str | None = None
    problems: Tuple[str, ...] = field(default=())

    @property
    def answerable(self) -> bool:
        return self.kind == "message" and bool(self.from_address)


class NotAnEmail(ValueError):
    """The bytes are not a message with a sender; the text says what is missing."""


def parse(raw: bytes, trusted_authserv_id: str | None = None) -> InboundEmail:
    if not raw.strip():
        raise NotAnEmail("the message is empty")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise NotAnEmail("no headers: not an RFC 5322 message")
    name, address = _from(message)
    report_type = _report_type(message)
    reported, recipient, status, action = _report(message, report_type)
    kind = _kind(message, report_type, action)
    text = "" if kind != "message" else _new_text(message)
    return InboundEmail(
        kind=kind,
        from_address=address,
        from_name=name,
        to_addresses=tuple(_addresses(message, "to", "cc", "delivered-to", "x-original-to")),
        subject=_header(message, "subject"),
        message_id=_first_id(_header(message, "message-id")),
        in_reply_to=_first_id(_header(message, "in-reply-to")),
        references=tuple(MESSAGE_ID.findall(_header(message, "references"))),
        text=text[:MAX_TEXT_CHARS],
        attachments=tuple(_attachments(message)) if kind == "message" else (),
        reply_token=_reply_token(message),
        sender_proven=bool(address) and _dmarc_passed(message, trusted_authserv_id, address),
        reported_message_id=reported,
        failed_recipient=recipient,
        status=status,
        problems=tuple(str(d) for d in message.defects),
    )


# -- headers ----------------------------------------------------------------------------------------------
def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the policy cannot fold or decode
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _from(message: Message) -> Tuple[str, str]:
    name, address = parseaddr(_header(message, "from"))
    if "@" not in address:
        raise NotAnEmail("no From address")
    return name, address.strip().lower()


def _addresses(message: Message, *names: str) -> Iterable[str]:
    seen = []
    for _, address in getaddresses([_header(message, n) for n in names if _header(message, n)]):
        address = address.strip().lower()
        if "@" in address and address not in seen:
            seen.append(address)
    return seen


def _first_id(value: str) -> str | None:
    found = MESSAGE_ID.findall(value)
    return found[0] if found else None


def _reply_token(message: Message) -> str | None:
    for address in _addresses(message, "to", "cc", "delivered-to", "x-original-to"):
        match = REPLY_TOKEN.match(address)
        if match:
            return match.group(1)
    return None


def _dmarc_passed(message: Message, authserv_id: str | None, address: str) -> bool:
    """``dmarc=pass`` from our own receiving server (its authserv-id first, RFC 8601 §2.2), for this From's
    domain. Results other servers wrote earlier on the path are anyone's to forge, so they do not count."""
    if not authserv_id:
        return False
    domain = address.rpartition("@")[2]
    for value in message.get_all("authentication-results") or []:
        text = " ".join(str(value).split())
        server, _, results = text.partition(";")
        if server.strip().split(" ")[0].lower() != authserv_id.lower():
            continue
        for result in results.split(";"):
            words = result.strip().lower()
            if words.startswith("dmarc=pass") and (f"header.from={domain}" in words or "header.from" not in words):
                return True
    return False


# -- kind --------------------------------------------------------------------------------------------------
def _report_type(message: Message) -> str | None:
    if message.get_content_type() != "multipart/report":
        return None
    return str(message.get_param("report-type", "", header="content-type") or "").lower() or None


def _kind(message: Message, report_type: str | None, action: str | None) -> str:
    if report_type == "delivery-status":
        return "delayed" if action in ("delayed", "relayed", "delivered", "expanded") else "bounce"
    if report_type == "feedback-report":
        return "complaint"
    if _automatic(message):
        return "auto_reply"
    return "message"


def _automatic(message: Message) -> bool:
    submitted = _header(message, "auto-submitted").lower()
    if submitted and submitted.split(";")[0].strip() != "no":
        return True  # RFC 3834 §5: auto-generated, auto-replied, auto-notified... never answered
    if _header(message, "precedence").lower() in AUTOMATIC_PRECEDENCE:
        return True
    if _header(message, "list-id") or _header(message, "list-unsubscribe"):
        return True  # RFC 3834 §2: a responder should not answer mailing-list mail
    if any(_header(message, h) for h in AUTORESPONDER_HEADERS):
        return True
    # Exchange's out-of-office replies carry no Auto-Submitted; their subject says what they are. (Its
    # X-Auto-Response-Suppress asks *others* not to auto-answer: it does not mark an auto-reply.)
    return _header(message, "subject").lower().startswith(OUT_OF_OFFICE_SUBJECTS)


def _report(message: Message, report_type: str | None) -> Tuple[str | None, str | None, str | None, str | None]:
    """(our message id, recipient, status, action) from a delivery-status or feedback report."""
    if report_type is None:
        return None, None, None, None
    reported = recipient = status = action = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("message/delivery-status", "message/feedback-report"):
            fields = _report_fields(part)
            recipient = recipient or _bare(fields.get("final-recipient") or fields.get("original-rcpt-to"))
            status = status or fields.get("status")
            action = action or (fields.get("action") or "").lower() or None
            reported = reported or _first_id(fields.get("original-message-id", ""))
        elif kind in ("text/rfc822-headers", "message/rfc822", "message/rfc822-headers"):
            reported = reported or _first_id(_returned_headers(part).get("message-id", ""))
    return reported, recipient, status, action


def _report_fields(part: Message) -> dict:
    """The report's ``name: value`` fields (per-message and per-recipient blocks flattened, first value wins)."""
    payload = part.get_payload()
    # The email package reads message/delivery-status as a list of header blocks.
    blocks = [str(block) for block in payload] if isinstance(payload, list) else [_decoded(part)]
    fields: dict = {}
    for block in blocks:
        for line in block.splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip() and not name.startswith((" ", "\t")):
                fields.setdefault(name.strip().lower(), value.strip())
    return fields


def _decoded(part: Message) -> str:
    raw = part.get_payload(decode=True)
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""


def _returned_headers(part: Message) -> dict:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return {k.lower(): str(v) for k, v in payload[0].items()}
    inner = email.message_from_bytes(_decoded(part).encode("utf-8"), policy=email.policy.default)
    return {k.lower(): str(v) for k, v in inner.items()}


def _bare(value: str | None) -> str | None:
    """``rfc822; someone@example.com`` → ``someone@example.com``."""
    if not value:
        return None
    return value.partition(";")[2].strip().lower() or value.strip().lower()


# -- text --------------------------------------------------------------------------------------------------
def _new_text(message: EmailMessage) -> str:
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        text = _content(plain)
    else:
        html = message.get_body(preferencelist=("html",))
        text = html_to_text(_content(html)) if html is not None else ""
    return without_history(text)


def _content(part: Message) -> str:
    try:
        return str(part.get_content())  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, AttributeError):  # an unknown or lying charset: read what can be read
        raw = part.get_payload(decode=True) or b""
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def without_history(text: str) -> str:
    """The text above the quoted history, without its signature, whitespace tidied."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")  # iOS Mail starts quotes with a BOM
    if not text.strip():
        return ""
    replies = EmailReplyParser(languages=REPLY_LANGUAGES).read(text).replies
    newest = replies[0].body if replies else text
    if _looks_quoted(newest):  # the client put its answer below the quote, or wrote nothing
        newest = "\n".join(line for line in newest.splitlines() if not line.lstrip().startswith(">"))
    lines = [" ".join(line.split()) for line in newest.split("\n")]
    paragraphs, current = [], []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n".join(paragraphs).strip()


def _looks_quoted(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and all(line.lstrip().startswith(">") for line in lines[: max(1, len(lines) // 2)])


# -- HTML --------------------------------------------------------------------------------------------------
_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "section", "hr"}
_SKIP = {"script", "style", "head", "title", "template", "noscript"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "track", "wbr"}


def _is_quote(tag: str, attrs: Sequence[Tuple[str, str | None]]) -> bool:
    values = {name: (value or "") for name, value in attrs}
    classes = values.get("class", "").split()
    return (
        "gmail_quote" in classes
        or (tag == "blockquote" and values.get("type", "").lower() == "cite")
        or values.get("id", "") in ("divRplyFwdMsg", "appendonsend")
        or "moz-cite-prefix" in classes
        or "yahoo_quoted" in classes
    )


class _TextOfHtml(HTMLParser):
    """Text as a reader sees it: no script or style, blocks on lines of their own, quoted history left out
    (everything from the first quoted block on, as mail clients put the history after the answer)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: List[str] = []
        self.skipping = 0
        self.quoted = False

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, str | None]]) -> None:
        if self.quoted:
            return
        if _is_quote(tag, attrs):
            self.quoted = True
            return
        if tag in _SKIP and tag not in _VOID:
            self.skipping += 1
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skipping:
            self.skipping -= 1
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping and not self.quoted:
            self.parts.append(data.replace("\xa0", " "))


def html_to_text(html: str) -> str:
    reader = _TextOfHtml()
    reader.feed(html)
    reader.close()
    text = "".join(reader.parts)
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()


# -- attachments --------------------------------------------------------------------------------------------
def _attachments(message: EmailMessage) -> Iterable[MailAttachment]:
    """Every part with a file name or marked as an attachment (pictures pasted inline too), other than the
    text parts read as the body."""
    bodies = {id(message.get_body(preferencelist=(kind,))) for kind in ("plain", "html")}
    for part in message.walk():
        if part.is_multipart() or id(part) in bodies:
            continue
        filename = part.get_filename()
        if not filename and part.get_content_disposition() != "attachment":
            continue
        payload = part.get_payload(decode=True)
        yield MailAttachment(filename or "(unnamed)", part.get_content_type(),
                             len(payload) if isinstance(payload, bytes) else 0,
                             part.get_content_disposition() == "inline")  # fmt: skip
