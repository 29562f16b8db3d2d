"""The web page's HTML. Pure. Everything a message carries is escaped; its HTML body is shown as source and
in an iframe with ``sandbox=""`` (no script, no forms, no navigation of this page) through ``srcdoc``, never
as live HTML in the page. No script of our own either: the page's CSP allows none."""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape
from typing import Iterable, List

from mailcatcher.message import StoredMessage

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3em .6em; border-bottom: 1px solid #ddd; vertical-align: top; }
.problems { color: #a40000; font-weight: bold; }
.ok { color: #2a7a2a; }
pre { background: #f6f6f6; padding: .8em; overflow: auto; white-space: pre-wrap; }
iframe { width: 100%; height: 28em; border: 1px solid #ccc; }
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def when(unix_time: float) -> str:
    return datetime.fromtimestamp(unix_time, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _page(title: str, body: str) -> str:
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f"<style>{STYLE}</style></head><body>{body}</body></html>")  # fmt: skip


def _problem_count(message: StoredMessage) -> str:
    count = len(message.problems)
    return f'<span class="problems">{count}</span>' if count else '<span class="ok">0</span>'


def index(messages: Iterable[StoredMessage]) -> str:
    rows: List[str] = []
    for message in messages:
        to = ", ".join(message.envelope.rcpt_to)
        sender = message.parsed.from_ or message.envelope.mail_from
        subject = message.parsed.subject or "(no subject)"
        rows.append(
            f"<tr><td>{_e(when(message.received_at))}</td><td>{_e(sender)}</td><td>{_e(to)}</td>"
            f'<td><a href="/messages/{message.id}">{_e(subject)}</a></td><td>{_problem_count(message)}</td></tr>'
        )
    table = ("<table><thead><tr><th>Received</th><th>From</th><th>To</th><th>Subject</th><th>Problems</th></tr>"
             f"</thead><tbody>{''.join(rows)}</tbody></table>") if rows else "<p>No messages yet.</p>"  # fmt: skip
    return _page("mailcatcher", f"<h1>mailcatcher</h1>{table}")


def _list(items: Iterable[str]) -> str:
    entries = "".join(f"<li>{_e(item)}</li>" for item in items)
    return f"<ul>{entries}</ul>" if entries else "<p>None.</p>"


def message_page(message: StoredMessage) -> str:
    parsed = message.parsed
    headers = "".join(f"<tr><th>{_e(name)}</th><td>{_e(value)}</td></tr>" for name, value in parsed.headers)
    envelope = (f"<tr><th>MAIL FROM</th><td>{_e(message.envelope.mail_from)}</td></tr>"
                f"<tr><th>RCPT TO</th><td>{_e(', '.join(message.envelope.rcpt_to))}</td></tr>")  # fmt: skip
    attachments = _list(f"{a.filename or '(no name)'} ({a.content_type}, {a.size} bytes)" for a in parsed.attachments)
    html = ""
    if parsed.html is not None:
        html = (f'<h2>HTML body</h2><iframe sandbox="" srcdoc="{_e(parsed.html)}" title="HTML body"></iframe>'
                f"<details><summary>Source</summary><pre>{_e(parsed.html)}</pre></details>")  # fmt: skip
    body = (
        f'<p><a href="/">All messages</a> · <a href="/api/messages/{message.id}/raw">Raw message</a></p>'
        f"<h1>{_e(parsed.subject or '(no subject)')}</h1>"
        f"<p>Received {_e(when(message.received_at))}</p>"
        f"<h2>Problems</h2>{_list(message.problems)}"
        f"<h2>Envelope</h2><table>{envelope}</table>"
        f"<h2>Headers</h2><table>{headers}</table>"
        f"<h2>Text body</h2><pre>{_e(parsed.text) if parsed.text is not None else '(none)'}</pre>"
        f"{html}<h2>Attachments</h2>{attachments}"
    )  # fmt: skip
    return _page(parsed.subject or "mailcatcher", body)
