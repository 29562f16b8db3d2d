"""Every way a backend can fail, through the real action server: the customer
gets an honest answer and the offer of a person, and nothing crashes."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.actions.action_server import responses, run_action, slot_sets, start_action_server
from tests.conftest import free_port
from tests.fakes import Answer, FakeBackend, refused_url

PROCESSING_ORDER = {
    "number": "10025", "customer_id": "C1", "state": "processing", "placed_on": "2026-03-01",
    "promised_by": None, "expected_by": None, "delivered_on": None, "carrier": None, "tracking_url": None,
    "items": [{"sku": "T", "name": "Towels", "quantity": 1, "price": "36.00"}],
}  # fmt: skip
VERIFIED = {"order_number": "10025", "verified_order": "10025", "cancel_confirmed": True}
FAST_FAILING = {"BACKEND_READ_TIMEOUT": "0.5", "BACKEND_CONNECT_TIMEOUT": "0.5", "BACKEND_RETRIES": "0",
                "BACKEND_FAILURE_THRESHOLD": "1000"}  # fmt: skip


@pytest.fixture(scope="module")
def backend() -> Iterator[FakeBackend]:
    with FakeBackend() as fake:
        yield fake


@pytest.fixture(scope="module")
def actions_url(backend, tmp_path_factory) -> Iterator[str]:
    port = free_port()
    env = {"ORDERS_API_URL": backend.url, "BILLING_API_URL": backend.url, **FAST_FAILING}
    service = start_action_server(port, tmp_path_factory.mktemp("actions"), env)
    yield f"http://127.0.0.1:{port}"
    service.stop()


@pytest.fixture(autouse=True)
def reset_backend(backend):
    backend.answer, backend.routes = Answer(body=PROCESSING_ORDER), {}
    backend.requests.clear()


@pytest.mark.parametrize(
    "answer",
    [
        Answer(body=PROCESSING_ORDER, delay=2.0),  # slower than the read timeout
        Answer(status=500, body={"error": "boom"}),
        Answer(status=503, raw=b"Service Unavailable"),
        Answer(raw=b"{half a json"),
        Answer(body={"unexpected": "shape"}),
    ],
    ids=["timeout", "500", "503-html", "malformed-json", "wrong-shape"],
)
def test_an_unusable_backend_gets_an_honest_answer_and_a_person(backend, actions_url, answer):
    backend.answer = answer
    answer_json = run_action(actions_url, "action_order_status", VERIFIED)
    assert responses(answer_json) == ["utter_backend_unavailable"]
    assert slot_sets(answer_json)["handoff_reason"] == "backend_failure"


def test_already_shipped_at_cancel_time_offers_a_return(backend, actions_url):
    backend.routes[("POST", "/orders/10025/cancel")] = Answer(status=409, body={"error": "already_shipped"})
    answer_json = run_action(actions_url, "action_cancel_order", VERIFIED)
    assert responses(answer_json) == ["utter_cancel_too_late"]
    assert slot_sets(answer_json)["cancel_confirmed"] is None


def test_a_failed_write_is_not_retried_so_it_cannot_apply_twice(backend, actions_url):
    backend.routes[("POST", "/orders/10025/cancel")] = Answer(status=500, body={})
    answer_json = run_action(actions_url, "action_cancel_order", VERIFIED)
    assert responses(answer_json) == ["utter_backend_unavailable"]
    assert [r.method for r in backend.requests].count("POST") == 1


def test_an_unknown_order_reads_like_someone_elses_not_like_an_outage(backend, actions_url):
    """Before proof nothing says whether an order exists: the number is taken, the contact asked for, and the
    contact then "does not match" - the words a real order with a wrong contact gets."""
    backend.answer = Answer(status=404, body={"error": "order_not_found"})
    taken = run_action(actions_url, "validate_order_lookup_form", {"requested_slot": "order_number"},
                       new_slots={"order_number": "99999"})  # fmt: skip
    assert responses(taken) == [] and slot_sets(taken)["order_number"] == "99999"
    assert slot_sets(taken)["backend_down"] is None
    checked = run_action(actions_url, "validate_order_lookup_form",
                         {"requested_slot": "customer_contact", "order_number": "99999"},
                         new_slots={"customer_contact": "someone@example.com"})  # fmt: skip
    assert responses(checked) == ["utter_contact_mismatch"]
    assert slot_sets(checked)["customer_contact"] is None and "backend_down" not in slot_sets(checked)


def test_connection_refused(tmp_path):
    port = free_port()
    env = {"ORDERS_API_URL": refused_url(), "BILLING_API_URL": refused_url(), **FAST_FAILING}
    service = start_action_server(port, tmp_path, env)
    try:
        answer_json = run_action(f"http://127.0.0.1:{port}", "action_order_status", VERIFIED)
    finally:
        service.stop()
    assert responses(answer_json) == ["utter_backend_unavailable"]
