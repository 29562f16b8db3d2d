"""The e-mail a queued message becomes, and the templates designers edit (make validate renders them)."""

from __future__ import annotations

import base64
import email
import email.policy
import shutil
from pathlib import Path

from bot.channels.email_compose import compose, template_problems
from bot.channels.email_settings import parse_email_settings
from bot.channels.email_store import Thread

CONFIG = parse_email_settings({"EMAIL_FROM": "Shop Support <support@shop.example>", "EMAIL_TOKEN_SECRET": "t"})
THREAD = Thread("zoe@example.org", "tok123456", "Where is my parcel", "<c2@example.org>", ("<c1@example.org>",))


def read(composed) -> email.message.EmailMessage:
    """Back through the parser, as the customer's mail program reads it."""
    return email.message_from_bytes(bytes(composed.message), policy=email.policy.default)


def test_a_bot_answer_replies_in_the_thread_and_says_it_is_automatic():
    buttons = [{"title": "10042", "payload": "/a"}, {"title": "Another one", "payload": "/b"}]
    body = {"messages": [{"text": "<b>Which</b> order?", "buttons": buttons}]}
    composed = compose(body, "zoe@example.org", "bot", THREAD, CONFIG, 0.0, None, message_id="<bot.1@shop.example>")
    mail = read(composed)
    assert mail["Subject"] == "Re: Where is my parcel" and mail["In-Reply-To"] == "<c2@example.org>"
    assert mail["References"] == "<c1@example.org>" and mail["Message-ID"] == "<bot.1@shop.example>"
    assert mail["Auto-Submitted"] == "auto-replied" and mail["List-Unsubscribe"] is None
    assert mail["Reply-To"] == "support+r-tok123456@shop.example"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "1. 10042" in text and "2. Another one" in text and composed.choices == {"1": "/a", "2": "/b"}
    assert "&lt;b&gt;Which&lt;/b&gt;" in html and "<b>Which</b>" not in html  # what anyone typed stays text
    assert all(part["Content-Transfer-Encoding"] == "quoted-printable" for part in mail.walk()
               if not part.is_multipart())  # fmt: skip


def test_an_agents_reply_is_not_automatic_and_a_notification_can_be_stopped():
    agent = read(compose({"text": "Sam here."}, "zoe@example.org", "agent", THREAD, CONFIG, 0.0, None, agent="Sam"))
    assert agent["Auto-Submitted"] is None and "Sam, Shop Support" in agent.get_body(("plain",)).get_content()
    link = f"https://bot.example.com/webhooks/email/unsubscribe?a={'x' * 60}&s=marketing&sig={'f' * 32}"
    body = {"subject": "Your invoice INV-1", "purpose": "service", "messages": [{"text": "Attached."}],
            "attachments": [{"filename": "INV-1.html", "content_type": "text/html",
                             "content_base64": base64.b64encode(b"<p>invoice</p>").decode()}]}  # fmt: skip
    composed = compose(body, "zoe@example.org", "system", THREAD, CONFIG, 0.0, link)
    # A link longer than a line stays one readable URI, never RFC 2047 encoded-words (RFC 2369 §2).
    assert f"List-Unsubscribe: <{link}>".encode() in bytes(composed.message)
    note = read(composed)
    assert note["Subject"] == "Your invoice INV-1" and note["In-Reply-To"] is None
    assert note["List-Unsubscribe"] == f"<{link}>" and note["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert note["Auto-Submitted"] == "auto-generated"
    [attached] = list(note.iter_attachments())
    assert attached.get_filename() == "INV-1.html" and attached.get_content() == "<p>invoice</p>"


def test_make_validate_names_what_keeps_a_template_from_rendering(tmp_path: Path):
    assert template_problems() == []
    copy = tmp_path / "email"
    shutil.copytree(Path("templates/email"), copy)
    html = copy / "message.html.j2"
    html.write_text(html.read_text(encoding="utf-8").replace("{{ brand }}", "{{ brnad }}", 1), encoding="utf-8")
    (copy / "message.txt.j2").write_text("{% for part in parts %}never closed", encoding="utf-8")
    problems = template_problems(copy)
    assert len(problems) == 2
    assert "message.html.j2: UndefinedError: 'brnad' is undefined" in problems[0]
    assert "message.txt.j2:1: TemplateSyntaxError" in problems[1]
