"""Which queued e-mails a customer's opt-out holds back: what they asked for (a reply, an invoice) goes unless
they opted out of everything; marketing stops at a marketing opt-out too. Real stores on SQLite, no SMTP."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import List

import pytest

from bot.channels.email_sender import EmailSender
from bot.channels.email_settings import parse_email_settings
from bot.channels.email_store import EmailStore
from bot.channels.outbox import Outbound
from bot.channels.outcome import Sent, Suppressed
from bot.channels.store import ChannelStore

CONFIG = parse_email_settings({"EMAIL_FROM": "Shop Support <support@shop.example>", "EMAIL_TOKEN_SECRET": "t",
                               "EMAIL_PUBLIC_URL": "https://bot.example.com"})  # fmt: skip
ADDRESS = "zoe@example.org"


class RecordingSmtp:
    def __init__(self) -> None:
        self.sent: List[EmailMessage] = []

    def send(self, message: EmailMessage, recipient: str) -> None:
        self.sent.append(message)


@pytest.fixture
def stores(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'channels.db'}"
    return ChannelStore(url), EmailStore(url)


def deliver(stores, purpose: str | None):
    store, threads = stores
    smtp = RecordingSmtp()
    assert CONFIG is not None
    body = {"messages": [{"text": "Here it is."}], **({"purpose": purpose} if purpose else {})}
    item = Outbound(1, "id-1", "email", ADDRESS, "system", body, 0, 0, [], 0.0)
    outcome = EmailSender(smtp, store, threads, CONFIG).deliver(item, lambda ids: None)  # type: ignore[arg-type]
    return outcome, smtp.sent


@pytest.mark.parametrize("purpose", [None, "reply", "service"])
def test_what_the_customer_asked_for_goes_despite_a_marketing_opt_out(stores, purpose):
    stores[0].set_opted_out("email", ADDRESS, True, "unsubscribe link", "marketing")
    outcome, sent = deliver(stores, purpose)
    assert isinstance(outcome, Sent) and len(sent) == 1


def test_a_service_email_still_carries_the_unsubscribe_link(stores):
    _, [mail] = deliver(stores, "service")
    assert mail["List-Unsubscribe"] and mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_marketing_stops_at_a_marketing_opt_out(stores):
    stores[0].set_opted_out("email", ADDRESS, True, "unsubscribe link", "marketing")
    outcome, sent = deliver(stores, "marketing")
    assert isinstance(outcome, Suppressed) and sent == []


@pytest.mark.parametrize("purpose", ["reply", "service", "marketing"])
def test_an_opt_out_of_everything_stops_every_email(stores, purpose):
    stores[0].set_opted_out("email", ADDRESS, True, "complaint", "all")
    outcome, sent = deliver(stores, purpose)
    assert isinstance(outcome, Suppressed) and sent == []
