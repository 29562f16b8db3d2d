"""The invoice request on the running stack's action server, called as Rasa calls it: a retried run for the same
customer message queues the invoice e-mail once, to the address on file, and says nothing of the address."""

from __future__ import annotations

import uuid

import requests

from bot.channels.outbox import Outbox
from tests.actions.action_server import DOMAIN, responses, tracker_payload
from tests.helpers import ACTION_TOKEN

ON_FILE = "aiko.t@example.net"  # the customer of order 10057 and invoice INV-20950 (seeds/demo.yml)


def queued_invoices(stack, number: str) -> list:
    rows = Outbox(stack.environment["CHANNELS_DATABASE_URL"]).for_recipient(ON_FILE)
    return [r for r in rows if r["message"].get("subject") == f"Your invoice {number}"]


def test_a_retried_invoice_request_queues_one_e_mail_to_the_address_on_file(stack):
    sender = f"retry-{uuid.uuid4().hex[:10]}"
    slots = {"invoice_reference": "INV-20950", "verified_invoice": "INV-20950"}
    payload = {
        "next_action": "action_invoice_request",
        "sender_id": sender,
        "version": "3.6.2",
        "tracker": tracker_payload(sender, slots, {}, "send me invoice INV-20950", "rest"),
        "domain": DOMAIN,
    }
    before = len(queued_invoices(stack, "INV-20950"))
    answers = []
    for _ in range(2):  # Rasa runs the action again for the same message (a timeout, a restarted worker)
        reply = requests.post(f"{stack.actions_url}/webhook", json=payload, timeout=30,
                              headers={"Authorization": f"Bearer {ACTION_TOKEN}"})  # fmt: skip
        assert reply.status_code == 200, reply.text
        answers.append(reply.json())
    assert [responses(a) for a in answers] == [["utter_invoice_sent"]] * 2
    assert ON_FILE not in str(answers)
    [queued] = queued_invoices(stack, "INV-20950")[before:]
    assert queued["channel"] == "email" and queued["kind"] == "system"
    message = queued["message"]
    assert message["purpose"] == "service" and "$120.00" in message["messages"][0]["text"]
    assert [a["filename"] for a in message["attachments"]] == ["INV-20950.html"]
