"""The e-mail a queued message becomes. Pure (the templates are read once; no network).

One e-mail per turn: what the bot said in answer to one customer e-mail (``{"messages": [...]}``), or one
message said later (an agent's reply, the welcome-back after a hand-off). Bodies come from the templates
designers edit (``templates/email/message.txt.j2`` and ``.html.j2``; the HTML one escapes everything).

Headers: ``Message-ID`` on every message, and a reply names the customer's message in ``In-Reply-To`` and the
thread in ``References`` (RFC 5322 §3.6.4). What the bot sends on its own says ``Auto-Submitted:
auto-replied`` (RFC 3834 §5: a customer's auto-responder then does not answer it, so two robots never loop);
an agent's reply, written by a person, does not. Anything that is not a direct reply carries
``List-Unsubscribe`` with an https link and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058).
Buttons become numbered choices; the customer answers with the number or in words.
"""

from __future__ import annotations

import base64
import email.policy
import functools
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from email.headerregistry import Address, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.channels.email_settings import EmailSettings
from bot.channels.email_store import Thread
from bot.channels.rendering import card_as_text

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates" / "email"
DEFAULT_SUBJECT = "Your message to {brand}"


@dataclass(frozen=True)
class Choice:
    number: str
    title: str


@dataclass(frozen=True)
class Part:
    text: str
    choices: Tuple[Choice, ...] = ()
    image: str | None = None
    link: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Composed:
    message: EmailMessage
    message_id: str
    choices: Dict[str, str]  # reply number -> payload, remembered for the customer's answer


class _UriListHeader(UnstructuredHeader):
    """``List-Unsubscribe: <https://…>`` written as it is. The library's folding turns a URI longer than a line
    into RFC 2047 encoded-words, which no mail program reads as a link (RFC 2369 §2: a URI may be broken only at
    whitespace, and an unbreakable one stays whole; RFC 5322 allows 998 characters)."""

    # The registry mixes each header class with BaseHeader at run time (which has ``name``); the stubs do not.
    def fold(self, *, policy: email.policy.Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"  # type: ignore[attr-defined]


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", _UriListHeader)  # type: ignore[arg-type]
POLICY = email.policy.default.clone(header_factory=_HEADERS)


@functools.lru_cache(maxsize=4)
def _templates(folder: str) -> Environment:
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=StrictUndefined,  # a misspelt variable in a template fails the send (and make validate)
        keep_trailing_newline=True,
    )


def messages_of(body: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    """The bot messages a queued e-mail holds: a turn's list, or the one message said later."""
    listed = body.get("messages")
    if isinstance(listed, list):
        return [m for m in listed if isinstance(m, Mapping)]
    return [body]


def parts_of(messages: Sequence[Mapping[str, Any]]) -> Tuple[List[Part], Dict[str, str]]:
    """Each message as a part of the body; buttons numbered across the whole e-mail (the last set offered is
    what a bare number answers)."""
    parts: List[Part] = []
    choices: Dict[str, str] = {}
    for message in messages:
        text = str(message.get("text") or "")
        custom = message.get("custom") if isinstance(message.get("custom"), Mapping) else {}
        card = custom.get("rich_card") if isinstance(custom, Mapping) else None
        link = None
        if isinstance(card, Mapping):
            text = text or "\n".join(str(card.get(k)) for k in ("title", "description") if card.get(k))
            if card.get("url"):
                link = {"title": str(card.get("url_text") or "Open"), "url": str(card["url"])}
        elif custom and not text:
            text = card_as_text(custom) if isinstance(custom, Mapping) else ""
        offered: List[Choice] = []
        buttons = [b for b in message.get("buttons") or [] if isinstance(b, Mapping)]
        if buttons:
            titles = [str(b.get("title") or b.get("payload")) for b in buttons]
            payloads = [str(b.get("payload") or b.get("title")) for b in buttons]
            own_numbers = all(t.strip().isdigit() for t in titles)  # a 1-5 rating keeps its own numbers
            choices = {}
            for index, (title, payload) in enumerate(zip(titles, payloads, strict=True), start=1):
                number = title.strip() if own_numbers else str(index)
                choices[number] = payload
                offered.append(Choice(number, title))
        image = str(message["image"]) if message.get("image") else None
        if text or offered or image or link:
            parts.append(Part(text, tuple(offered), image, link))
    return parts, choices


def reply_subject(subject: str) -> str:
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def compose(body: Mapping[str, Any], recipient: str, kind: str, thread: Thread, config: EmailSettings,
            now: float, unsubscribe_url: str | None, agent: str | None = None, message_id: str | None = None,
            templates: Path = TEMPLATES) -> Composed:  # fmt: skip
    """The e-mail for one queued item. ``unsubscribe_url`` is given for anything that is not a direct reply."""
    parts, choices = parts_of(messages_of(body))
    direct = unsubscribe_url is None
    subject = str(body.get("subject") or "") or (
        reply_subject(thread.subject) if thread.subject else DEFAULT_SUBJECT.format(brand=config.from_name)
    )
    variables = {"parts": parts, "kind": kind, "agent": agent or "Support", "brand": config.from_name,
                 "subject": subject, "unsubscribe_url": unsubscribe_url}  # fmt: skip
    environment = _templates(str(templates))
    message = EmailMessage(policy=POLICY)
    message["From"] = Address(config.from_name, addr_spec=config.from_address)
    message["To"] = recipient
    message["Reply-To"] = config.reply_address(thread.token)
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.fromtimestamp(now, timezone.utc))
    message_id = message_id or f"<bot.{uuid.uuid4().hex}@{config.domain}>"
    message["Message-ID"] = message_id
    if direct and thread.last_message_id:
        message["In-Reply-To"] = thread.last_message_id
    if thread.references:
        message["References"] = " ".join(thread.references)
    if kind != "agent":
        message["Auto-Submitted"] = "auto-replied" if direct else "auto-generated"
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Quoted-printable: 7-bit clean whatever the text (RFC 2045 §6.7), so no relay needs 8BITMIME for it.
    message.set_content(environment.get_template("message.txt.j2").render(**variables), cte="quoted-printable")
    message.add_alternative(environment.get_template("message.html.j2").render(**variables), subtype="html",
                            cte="quoted-printable")  # fmt: skip
    for attachment in body.get("attachments") or []:  # queued as JSON: the content travels in base64
        if not isinstance(attachment, Mapping) or not isinstance(attachment.get("content_base64"), str):
            continue
        maintype, _, subtype = str(attachment.get("content_type") or "application/octet-stream").partition("/")
        message.add_attachment(
            base64.b64decode(attachment["content_base64"]),
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=str(attachment.get("filename") or "file"),
        )
    return Composed(message, message_id, choices)


_BUTTONS = [{"title": "Track it", "payload": "/track"}, {"title": "Talk to a person", "payload": "/human"}]
_CARD = {"rich_card": {"title": "Order 10042", "url": "https://example.com/t"}}
SAMPLE = {"messages": [{"text": "Your order 10042 is on its way.\nIt arrives Friday.", "buttons": _BUTTONS},
                       {"custom": _CARD, "image": "https://example.com/p.png"}]}  # fmt: skip


TEMPLATE_FILES = ("message.txt.j2", "message.html.j2")


def template_problems(templates: Path = TEMPLATES) -> List[str]:
    """What stops the e-mail templates from rendering (``make validate``): a syntax error, a variable that does
    not exist, a missing file. Each is rendered as a bot answer, an agent's reply and a notification use it."""
    from jinja2 import TemplateError

    parts, _ = parts_of(messages_of(SAMPLE))
    problems = set()
    for name in TEMPLATE_FILES:
        for kind, link in (("bot", None), ("agent", None), ("system", "https://example.com/unsubscribe")):
            variables = {"parts": parts, "kind": kind, "agent": "Sam", "brand": "Support", "subject": "Re: Hi",
                         "unsubscribe_url": link}  # fmt: skip
            try:
                _templates(str(templates)).get_template(name).render(**variables)
            except (TemplateError, OSError) as error:
                line = getattr(error, "lineno", None)
                problems.add(f"{templates / name}{f':{line}' if line else ''}: {type(error).__name__}: {error}")
    return sorted(problems)
