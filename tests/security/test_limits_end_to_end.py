"""Guessing is limited across conversations: on a stack of its own with the default limits (5 failed proofs of
one order, account or sender address within an hour lock it for an hour; 5 e-mails per account a day), what a
stranger gets by starting afresh - a new sender id, a new session, a restarted action server."""

from __future__ import annotations

import time
import uuid
from typing import Iterator, List

import pytest
import requests

from actions.limits.rules import LimitSettings
from bot.launcher import Stack, StackConfig, free_port, write_embedded_endpoints
from reference_service.store import Store
from tests.helpers import ACTION_TOKEN, API_TOKEN, REST_HEADERS, REST_KEY, texts

DEFAULTS = LimitSettings()
LOCKED = "too many attempts"


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("limits")
    actions_port = free_port()
    config = StackConfig(
        model=trained_model,
        endpoints=write_embedded_endpoints(workdir / "endpoints.yml", f"http://127.0.0.1:{actions_port}",
                                           workdir / "trackers.db"),
        rasa_port=free_port(), actions_port=actions_port, reference_port=free_port(), desk_port=free_port(),
        analytics_port=free_port(),
        reference_database=f"sqlite:///{workdir / 'reference.db'}",
        handoff_database=f"sqlite:///{workdir / 'handoff.db'}",
        limits_database=f"sqlite:///{workdir / 'limits.db'}",
        log_dir=workdir / "log",
        env={"RASA_AUTH_TOKEN": API_TOKEN, "ACTION_SERVER_TOKEN": ACTION_TOKEN, "REST_API_KEY": REST_KEY,
             "DESK_AGENTS": "sam:pw"},
    )  # fmt: skip
    with Stack(config) as running:
        yield running


def conversation(stack: Stack, messages: List[str]) -> List[str]:
    """A brand-new conversation (a sender id never seen before); the bot's words after each message."""
    sender = f"stranger-{uuid.uuid4().hex[:10]}"
    said = []
    for text in messages:
        reply = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                              headers=REST_HEADERS, timeout=30)  # fmt: skip
        assert reply.status_code == 200, reply.text
        said.append(texts(reply.json()))
    return said


def test_wrong_contacts_from_new_conversations_lock_the_order_even_for_the_right_one(stack):
    """Each stranger starts afresh (new sender id: the per-conversation count is back at 0); the order's count
    is not. The sixth, correct answer is refused, and the order is never shown."""
    for n in range(DEFAULTS.failed_proofs):
        said = conversation(stack, ["where is my order 10025?", f"guess{n}@example.com"])
        assert "don't match" in said[-1]
    said = conversation(stack, ["where is my order 10025?", "maria.keller@example.com"])
    assert LOCKED in said[-1]
    assert not any("processing" in s.casefold() or "towel" in s for s in said)
    # A restarted action server (a deploy, a crash) keeps the count: it lives in the limit store.
    stack.services["actions"].stop()
    stack.services["actions"].start().wait_until_up(time.monotonic() + 60)
    assert LOCKED in conversation(stack, ["where is my order 10025?", "maria.keller@example.com"])[-1]
    # Asked again in the same conversation, the bot still answers (never silence), and reveals nothing.
    said = conversation(stack, ["where is my order 10025?", "maria.keller@example.com", "where is order 10025"])
    assert "team can help" in said[-1] and "towel" not in said[-1]
    # The invoice route counts against the same order: it is locked there too.
    assert LOCKED in conversation(stack, ["I need the invoice for order 10025", "maria.keller@example.com"])[-1]
    # Another order of the same customer is not locked by it.
    assert "don't match" not in conversation(stack, ["where is my order 10024?", "maria.keller@example.com"])[-1]


def test_guesses_through_the_invoice_lock_the_order_for_every_route(stack):
    """One count per order, whichever way it is asked about: an invoice by its number, by its order's number,
    or the order itself."""
    for n in range(DEFAULTS.failed_proofs):
        assert "don't match" in conversation(stack, ["I need invoice INV-20931", f"inv{n}@example.com"])[-1]
    for route in (["I need invoice INV-20931"], ["I need the invoice for order 10023"], ["where is my order 10023"]):
        said = conversation(stack, [*route, "maria.keller@example.com"])
        assert LOCKED in said[-1] and "INV-20931" not in said[-1].replace("invoice INV-20931", ""), route
    sent = [m for m in Store(stack.config.reference_database).outbound_messages() if m["reference"] == "INV-20931"]
    assert sent == []


def test_a_sweep_of_order_numbers_learns_nothing(stack):
    """An order that does not exist and someone else's read the same, word for word."""
    unknown = conversation(stack, ["where is order 99991", "maria.keller@example.com"])
    someone_elses = conversation(stack, ["where is order 10061", "maria.keller@example.com"])
    assert "don't match" in unknown[-1] and unknown == someone_elses


def test_one_sender_guessing_across_orders_is_locked_out_of_every_order(stack):
    """The sender's own address is counted too. Within one conversation the bot stops after three misses anyway
    (ownership.max_attempts); the address count is what holds when that count starts again - here five runs of
    the look-up form, each with a fresh conversation state but the same sender, as a restart would leave it."""
    from tests.actions.action_server import run_action

    sender = f"+1555{uuid.uuid4().int % 10**7:07d}"
    for number in ("99991", "10031", "99992", "10042", "99993"):
        answer = run_action(stack.actions_url, "validate_order_lookup_form",
                            {"requested_slot": "customer_contact", "order_number": number},
                            new_slots={"customer_contact": "maria.keller@example.com"}, sender=sender)  # fmt: skip
        assert [r.get("response") for r in answer["responses"]] == ["utter_contact_mismatch"]
    answer = run_action(stack.actions_url, "validate_order_lookup_form",
                        {"requested_slot": "customer_contact", "order_number": "10023"},
                        new_slots={"customer_contact": "maria.keller@example.com"}, sender=sender)  # fmt: skip
    assert [r.get("response") for r in answer["responses"]] == ["utter_proof_locked"]


def test_wrong_phones_for_an_account_lock_it_across_conversations(stack):
    for n in range(DEFAULTS.failed_proofs):
        said = conversation(stack, ["i forgot my password", "aiko.t@example.net", f"+1 555 000 00{n:02d}"])
        assert "don't match one of our accounts" in said[-1]
    said = conversation(stack, ["i forgot my password", "aiko.t@example.net", "+1 555 783 0021"])
    assert LOCKED in said[-1] and "unlock" not in said[-1]


def test_e_mails_to_one_account_are_limited_per_day(stack):
    sent_before = len(Store(stack.config.reference_database).outbound_messages())
    for _ in range(DEFAULTS.emails_per_day):
        said = conversation(stack, ["i forgot my password", "tom.okafor@example.org", "+44 7700 900123"])
        assert "reset link" in said[-1]
    said = conversation(stack, ["i forgot my password", "tom.okafor@example.org", "+44 7700 900123"])
    assert "as many emails to that address as I can today" in said[-1]
    sent = Store(stack.config.reference_database).outbound_messages()[sent_before:]
    assert [m["kind"] for m in sent] == ["password_reset"] * DEFAULTS.emails_per_day
