"""E-mail end to end on the running stack: a customer's e-mail in through the provider's signed webhook, the
bot's answer out through real SMTP to the local mail server (mailcatcher), which checks every message as a
strict receiver would; replies continue the conversation, automatic mail is never answered, a person answers
by e-mail after a hand-off, bounces and unsubscribes are recorded, and forged or replayed posts do nothing."""

from __future__ import annotations

import time
import uuid
from typing import Any, Dict, List

import pytest
import requests

from tests.conftest import DESK_AGENT, DESK_PASSWORD, EMAIL_SIGNING_KEY, MAIL_TOKEN
from tests.helpers import Desk, tracker
from tests.providers.mailgun import customer_email, post_mime, signed_fields

MAIL_HEADERS = {"Authorization": f"Bearer {MAIL_TOKEN}"}


def inbound_url(stack) -> str:
    return f"{stack.rasa_url}/webhooks/email/inbound"


def mail_url(stack) -> str:
    return f"http://{stack.config.host}:{stack.config.mail_http_port}"


def mails_to(stack, address: str, count: int = 1, timeout: float = 30) -> List[Dict[str, Any]]:
    """The first ``count`` e-mails the local mail server got for ``address`` (oldest first)."""
    deadline = time.monotonic() + timeout
    found: List[Dict[str, Any]] = []
    while time.monotonic() < deadline:
        reply = requests.get(f"{mail_url(stack)}/api/messages", params={"to": address}, headers=MAIL_HEADERS,
                             timeout=10)  # fmt: skip
        assert reply.status_code == 200, reply.text
        found = sorted(reply.json(), key=lambda m: m["received_at"])
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{len(found)} e-mail(s) reached {address}, expected {count}")


def answer_to(stack, address: str, message_id: str, timeout: float = 30) -> Dict[str, Any]:
    """The e-mail that answers the customer's ``message_id`` (other mail to the same address, an invoice the
    billing tests sent, may arrive around it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = [m for m in mails_to(stack, address, 0) if m["in_reply_to"] == message_id]
        if replies:
            return replies[0]
        time.sleep(0.2)
    raise AssertionError(f"no answer to {message_id} reached {address}")


def header(mail: Dict[str, Any], name: str) -> str | None:
    values = [value for key, value in mail["headers"] if key.lower() == name.lower()]
    return values[0] if values else None


@pytest.fixture
def customer() -> str:
    return f"maria.{uuid.uuid4().hex[:8]}@example.com"


def send(stack, raw: bytes, **overrides: str) -> requests.Response:
    return post_mime(inbound_url(stack), EMAIL_SIGNING_KEY, raw, **overrides)


def test_an_email_is_answered_by_email_in_its_thread_and_a_reply_continues_the_conversation(stack, customer):
    raw, first_id = customer_email(customer, "Hi, where is my order?", subject="Where is my order")
    assert send(stack, raw).status_code == 200
    [answer] = mails_to(stack, customer)
    # What a strict receiving server checks (RFC 5322, 2045, 8058): nothing wrong with it.
    assert answer["problems"] == []
    assert answer["rcpt_to"] == [customer] and answer["mail_from"] == "support@shop.example"
    assert answer["subject"] == "Re: Where is my order" and answer["in_reply_to"] == first_id
    assert first_id in answer["references"]
    assert header(answer, "Auto-Submitted") == "auto-replied"  # RFC 3834 §5: the bot's own answers say so
    assert header(answer, "List-Unsubscribe") is None  # a direct reply (RFC 8058 is for the rest)
    assert "order number" in answer["text"].lower() and "<" in (answer["html"] or "")
    reply_to = header(answer, "Reply-To")
    assert reply_to and reply_to.startswith("support+r-")

    # The customer answers from their mail program: quoted history below, the thread in the headers.
    quoted = "\n".join(f"> {line}" for line in answer["text"].splitlines())
    raw, second_id = customer_email(
        customer, f"It's 10042.\n\nOn Mon, 30 Nov 2026 at 10:02, Shop Support <support@shop.example> wrote:\n{quoted}",
        subject="Re: Where is my order", to=reply_to, in_reply_to=answer["message_id"],
        references=f"{first_id} {answer['message_id']}",
    )  # fmt: skip
    assert send(stack, raw).status_code == 200
    second = mails_to(stack, customer, 2)[1]
    assert second["problems"] == [] and second["in_reply_to"] == second_id
    texts = [e.get("text") for e in tracker(stack, customer)["events"] if e["event"] == "user"]
    assert texts == ["Hi, where is my order?", "It's 10042."]  # one conversation, the quote left out


def test_automatic_mail_is_never_answered(stack, customer):
    for headers in ({"Auto-Submitted": "auto-replied"}, {"Precedence": "bulk"}, {"List-Id": "<news.example.com>"}):
        raw, _ = customer_email(customer, "I am out of the office until Monday.", subject="Out", headers=headers)
        reply = send(stack, raw)
        assert reply.status_code == 200 and reply.json() == {"ignored": "auto_reply"}
    raw, _ = customer_email(customer, "Where is my order?")
    send(stack, raw)
    mails = mails_to(stack, customer)
    time.sleep(1)
    assert len(mails_to(stack, customer)) == 1  # the customer's own e-mail was answered, the robots' were not
    assert [e.get("text") for e in tracker(stack, customer)["events"] if e["event"] == "user"] == ["Where is my order?"]
    assert mails[0]["problems"] == []


def test_forged_stale_and_replayed_posts_change_nothing(stack, customer):
    raw, _ = customer_email(customer, "Where is my order?")
    assert send(stack, raw, signature="0" * 64).status_code == 401
    assert post_mime(inbound_url(stack), "someone-elses-key", raw).status_code == 401
    stale = signed_fields(EMAIL_SIGNING_KEY, now=time.time() - 600)
    assert send(stack, raw, **stale).status_code == 401
    assert requests.post(inbound_url(stack), data={"body-mime": raw}, timeout=10).status_code == 401
    fields = signed_fields(EMAIL_SIGNING_KEY)
    assert send(stack, raw, **fields).status_code == 200
    replayed = send(stack, b"From: mallory@example.net\r\n\r\nrefund everything", **fields)  # the same token again
    assert replayed.status_code == 200 and replayed.json() == {"duplicate": True}
    assert len(mails_to(stack, customer)) == 1
    # A post that holds no e-mail is a clear 400, not an error.
    for junk in (b"", b"no headers at all", b"Subject: hi\r\n\r\nno sender"):
        answer = send(stack, junk)
        assert answer.status_code == 400 and answer.json()["error"] == "bad_request", junk


def test_a_person_answers_by_email_after_a_hand_off(stack, customer):
    raw, _ = customer_email(customer, "I want to talk to a person please", subject="Need a human")
    send(stack, raw)
    handoff = mails_to(stack, customer)[0]
    assert handoff["problems"] == []
    desk = Desk(stack.desk_url, DESK_AGENT, DESK_PASSWORD)
    ticket = desk.ticket_for(customer, timeout=30)
    assert ticket["channel"] == "email"
    assert desk.post(ticket["id"], "claim").status_code == 200
    assert desk.post(ticket["id"], "reply", text="Hello, Sam here: I'm looking at it now.").status_code == 200
    agent_mail = mails_to(stack, customer, 2)[1]
    assert agent_mail["problems"] == [] and "Sam here" in agent_mail["text"]
    assert header(agent_mail, "Auto-Submitted") is None  # a person wrote it (RFC 3834 is for automatic mail)
    assert agent_mail["subject"] == "Re: Need a human"


def test_a_bounce_marks_the_message_undelivered_and_is_not_answered(stack, customer):
    raw, _ = customer_email(customer, "Where is my order?")
    send(stack, raw)
    [answer] = mails_to(stack, customer)
    dsn = (
        "From: MAILER-DAEMON@mx.example.com\r\nTo: support@shop.example\r\nSubject: Undelivered Mail\r\n"
        "Date: Mon, 30 Nov 2026 10:05:00 +0000\r\nMessage-ID: <dsn.1@mx.example.com>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        f"Final-Recipient: rfc822; {customer}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {answer['message_id']}\r\nTo: {customer}\r\n"
        "\r\n--b--\r\n"
    ).encode()  # RFC 3464: the report, the per-recipient fields, the returned headers
    reply = send(stack, dsn)
    assert reply.status_code == 200 and reply.json() == {"ignored": "bounce"}
    from bot.channels.store import ChannelStore

    store = ChannelStore(stack.environment["CHANNELS_DATABASE_URL"])
    deadline = time.monotonic() + 10
    while store.receipt(answer["message_id"]) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert store.receipt(answer["message_id"]) == {"status": "undelivered", "error_code": "5.1.1"}
    assert len(mails_to(stack, customer)) == 1


def test_one_click_unsubscribe_needs_our_signature_and_a_post(stack, customer):
    from bot.channels.email_sender import unsubscribe_url
    from bot.channels.email_settings import parse_email_settings
    from bot.channels.store import ChannelStore

    config = parse_email_settings(stack.environment)
    assert config is not None
    link = unsubscribe_url(config, customer)
    assert link and link.startswith("https://bot.example.com/webhooks/email/unsubscribe?")
    local = link.replace("https://bot.example.com", stack.rasa_url)
    store = ChannelStore(stack.environment["CHANNELS_DATABASE_URL"])
    page = requests.get(local, timeout=10)  # a mail scanner following the link changes nothing
    assert page.status_code == 200 and "<form method='post'" in page.text
    assert not store.is_opted_out("email", customer, marketing=True)
    forged = local[:-4] + "0000"  # the signature's last characters changed
    assert requests.post(forged, data={"List-Unsubscribe": "One-Click"}, timeout=10).status_code == 400
    assert requests.post(local, data={"List-Unsubscribe": "One-Click"}, timeout=10).status_code == 200  # RFC 8058
    assert store.is_opted_out("email", customer, marketing=True)
    assert not store.is_opted_out("email", customer)  # answers to the customer's own e-mails still go


@pytest.mark.parametrize("address", ["o'brien+shop@example.co.uk", "anna.b@example.com",
                                     f"{'x' * 55}@{'d' * 50}.example.com"])  # fmt: skip
def test_addresses_of_every_shape_get_their_answer(stack, address):
    address = address.replace("@", f".{uuid.uuid4().hex[:4]}@", 1)
    raw, _ = customer_email(address, "hello")
    assert send(stack, raw).status_code == 200
    [answer] = mails_to(stack, address.lower())
    assert answer["problems"] == [] and answer["rcpt_to"] == [address.lower()]


@pytest.mark.parametrize("sender, order, vouched", [("tom.okafor@example.org", "10042", True),
                                                   ("maria.keller@example.com", "10023", False)])  # fmt: skip
def test_the_senders_address_proves_an_order_only_when_our_server_vouched_for_it(stack, sender, order, vouched):
    """Order 10042 is Tom's and 10023 Maria's, each at the address on file (seeds/demo.yml). Where DMARC passed
    at our receiving server the address is proof, as an SMS sender's number is; without it, anyone could have
    written that From header, so the bot asks for proof as it would anyone."""
    raw, message_id = customer_email(sender, f"Where is my order {order}?", subject=f"Order {order}",
                                     dmarc_pass=vouched)  # fmt: skip
    assert send(stack, raw).status_code == 200
    answer = " ".join(answer_to(stack, sender, message_id)["text"].lower().split())
    told = "expects to deliver" in answer or "delivered" in answer or "on its way" in answer
    assert told is vouched, answer
    assert ("email address or phone number" in answer or "phone number" in answer) is not vouched, answer
