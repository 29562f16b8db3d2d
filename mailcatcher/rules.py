"""What a careful receiving system would find wrong with a message. Pure functions of what arrived.

Each rule takes the ``Received`` message and yields ``Problem``s; ``RULES`` lists them and ``check`` runs
them all. A problem's text is ``"<code>: <detail>"`` (docs/mailcatcher.md lists the codes), so a test can
assert on the code and a person can read the detail. The envelope's MAIL FROM not matching the From header's
domain is not a problem: mailing lists, forwarders and the bot's own provider do it on purpose (RFC 5321
§3.3 keeps the envelope and the header apart).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from typing import Callable, Dict, Iterable, Iterator, List, NamedTuple, Tuple

from mailcatcher.message import Envelope
from mailcatcher.parsing import header


class Problem(NamedTuple):
    code: str
    detail: str

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


@dataclass(frozen=True)
class Received:
    raw: bytes
    message: EmailMessage
    envelope: Envelope

    @property
    def header_section(self) -> bytes:
        """The raw bytes before the first empty line (RFC 5322 §2.1), bare-LF line ends accepted."""
        match = re.search(rb"\r?\n\r?\n", self.raw)
        return self.raw[: match.start()] if match else self.raw

    def raw_headers(self) -> List[Tuple[str, str]]:
        """The top-level header fields as sent (folded lines joined, RFC 5322 §2.2.3), undecoded."""
        return [(name, _unfold(str(value))) for name, value in self.message.raw_items()]

    def first(self, name: str) -> str | None:
        return next((value for field, value in self.raw_headers() if field.lower() == name.lower()), None)


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).strip()


Rule = Callable[[Received], Iterable[Problem]]


def required_fields(received: Received) -> Iterator[Problem]:
    # RFC 5322 §3.6: the origination date and the originator (From) are the only required header fields.
    for name in ("Date", "From"):
        if received.first(name) is None:
            yield Problem(f"missing-{name.lower()}", f"no {name} header; RFC 5322 §3.6 requires one")


# RFC 5322 §3.6, the table of fields and how often each may occur: these at most once.
SINGLE_FIELDS = ("Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Subject", "Message-ID", "In-Reply-To",
                 "References")  # fmt: skip


def single_fields(received: Received) -> Iterator[Problem]:
    counts: Dict[str, int] = {}
    for name, _ in received.raw_headers():
        counts[name.lower()] = counts.get(name.lower(), 0) + 1
    for name in SINGLE_FIELDS:
        if counts.get(name.lower(), 0) > 1:
            yield Problem("duplicate-header", f"{counts[name.lower()]} {name} headers; RFC 5322 §3.6 allows one")


# RFC 5322 §3.6.4: msg-id = "<" id-left "@" id-right ">" (comments and folding aside).
MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")


def message_id(received: Received) -> Iterator[Problem]:
    value = received.first("Message-ID")
    if value is None:
        # RFC 5322 §3.6.4 says SHOULD; the project promises one on every message (threading relies on it).
        yield Problem("missing-message-id", "no Message-ID header; RFC 5322 §3.6.4 says every message SHOULD have one")
    elif not MESSAGE_ID.fullmatch(value):
        yield Problem("bad-message-id", f"Message-ID {value[:100]!r} is not <left@right> (RFC 5322 §3.6.4)")


MAX_LINE = 998  # RFC 5322 §2.1.1: at most 998 characters on a line, not counting the CRLF


def line_length(received: Received) -> Iterator[Problem]:
    long_lines = [(number, len(line)) for number, line in enumerate(re.split(rb"\r\n|\n|\r", received.raw), 1)
                  if len(line) > MAX_LINE]  # fmt: skip
    if long_lines:
        number, length = long_lines[0]
        yield Problem("long-line", f"{len(long_lines)} line(s) over {MAX_LINE} characters, the first line {number} "
                                   f"({length}); RFC 5322 §2.1.1 forbids them")  # fmt: skip


def line_endings(received: Received) -> Iterator[Problem]:
    # RFC 5322 §2.3 and RFC 5321 §2.3.8: CR and LF only ever together, as CRLF. Checked on the bytes as
    # received over SMTP, before anything normalises them.
    if re.search(rb"(?<!\r)\n", received.raw):
        yield Problem("bare-lf", "a line ends in LF without CR; RFC 5322 §2.3 allows only CRLF")
    if re.search(rb"\r(?!\n)", received.raw):
        yield Problem("bare-cr", "a CR not followed by LF; RFC 5322 §2.3 allows only CRLF")


def _has_8bit(data: bytes) -> bool:
    return any(byte > 0x7F for byte in data)


def eight_bit_headers(received: Received) -> Iterator[Problem]:
    section = received.header_section
    if not _has_8bit(section):
        return
    if not received.envelope.smtp_utf8:
        # RFC 5322 §2.2: header fields are US-ASCII; UTF-8 in them (RFC 6532) needs the SMTPUTF8 extension
        # (RFC 6531 §3.2); otherwise a header is encoded with RFC 2047 encoded-words.
        yield Problem("8bit-header", "8-bit bytes in the header section without SMTPUTF8 (RFC 5322 §2.2, RFC 6531)")
    try:
        section.decode("utf-8")
    except UnicodeDecodeError:
        yield Problem("bad-utf8-header", "8-bit bytes in the header section are not UTF-8 (RFC 6532 §3.1)")


def _leaf_parts(message: Message) -> Iterator[Message]:
    return (part for part in message.walk() if not part.is_multipart())


def _raw_body(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def eight_bit_bodies(received: Received) -> Iterator[Problem]:
    if received.envelope.eight_bit_mime or received.envelope.smtp_utf8:
        return
    for part in _leaf_parts(received.message):
        encoding = (header(part, "Content-Transfer-Encoding") or "7bit").strip().lower()
        if encoding in ("base64", "quoted-printable"):
            continue
        if _has_8bit(_raw_body(part)):
            # RFC 2045 §2.7: "7bit" data (the default) has no octet over 127; 8bit data travels only with
            # BODY=8BITMIME (RFC 6152 §3) or SMTPUTF8.
            yield Problem("8bit-body", f"8-bit bytes in a {part.get_content_type()} part ({encoding}) without "
                                       "8BITMIME or SMTPUTF8 (RFC 2045 §2.7, RFC 6152)")  # fmt: skip


def charsets(received: Received) -> Iterator[Problem]:
    for part in _leaf_parts(received.message):
        if part.get_content_maintype() != "text":
            continue
        # RFC 2046 §4.1.2: text is in its declared charset, US-ASCII when none is declared.
        charset = part.get_content_charset() or "us-ascii"
        try:
            codecs.lookup(charset)
        except LookupError:
            yield Problem("bad-charset", f"{part.get_content_type()} part declares unknown charset {charset!r}")
            continue
        try:
            _raw_body(part).decode(charset)
        except UnicodeDecodeError as error:
            yield Problem("bad-charset", f"{part.get_content_type()} part is not valid {charset} "
                                         f"(byte {error.start}; RFC 2046 §4.1.2)")  # fmt: skip


# RFC 2369 §2-3: a List-* field is a comma-separated list of URIs, each in angle brackets.
BRACKETED_URI = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]*:[^<>\s]+)>")
ONE_CLICK = "List-Unsubscribe=One-Click"


def list_unsubscribe(received: Received) -> Iterator[Problem]:
    value, post = received.first("List-Unsubscribe"), received.first("List-Unsubscribe-Post")
    if value is None:
        if post is not None:
            yield Problem("list-unsubscribe-post", "List-Unsubscribe-Post without List-Unsubscribe (RFC 8058 §3.1)")
        return
    uris = []
    for item in value.split(","):
        match = BRACKETED_URI.fullmatch(item.strip())
        if match is None:
            yield Problem("list-unsubscribe", f"{item.strip()[:100]!r} is not a <URI> (RFC 2369 §3.2)")
        else:
            uris.append(match.group(1))
    if post is None:
        return
    # RFC 8058 §3.1: one-click needs the single key/value pair below and an HTTPS URI to POST it to.
    if post != ONE_CLICK:
        yield Problem("list-unsubscribe-post", f"List-Unsubscribe-Post is {post[:100]!r}, not {ONE_CLICK!r} "
                                               "(RFC 8058 §3.1)")  # fmt: skip
    if not any(uri.lower().startswith("https://") for uri in uris):
        yield Problem("list-unsubscribe-post", "one-click List-Unsubscribe-Post but no https URI in "
                                               "List-Unsubscribe (RFC 8058 §3.1)")  # fmt: skip


def parse_defects(received: Received) -> Iterator[Problem]:
    """What Python's ``email`` package (policy.default) found while parsing: the message's and its parts'
    defects, and those of each header it parses."""
    for part in received.message.walk():
        for defect in part.defects:
            yield Problem("defect", f"{type(defect).__name__}: {defect}".rstrip(": "))
        for name, raw in part.raw_items():
            try:
                value = part.policy.header_fetch_parse(name, raw)
            except Exception as error:  # the package raises on some malformed headers instead of noting a defect
                yield Problem("unparseable-header", f"{name}: {type(error).__name__}: {error}")
                continue
            for defect in getattr(value, "defects", ()):
                yield Problem("defect", f"{name}: {type(defect).__name__}: {defect}".rstrip(": "))


RULES: Tuple[Rule, ...] = (
    required_fields,
    single_fields,
    message_id,
    line_length,
    line_endings,
    eight_bit_headers,
    eight_bit_bodies,
    charsets,
    list_unsubscribe,
    parse_defects,
)


def check(received: Received, rules: Tuple[Rule, ...] = RULES) -> List[str]:
    """Every problem the rules find, each once, in the rules' order."""
    found: Dict[str, None] = {}
    for rule in rules:
        for problem in rule(received):
            found.setdefault(str(problem), None)
    return list(found)
