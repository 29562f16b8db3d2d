"""The HTTP clients against real misbehaving servers on loopback."""

from __future__ import annotations

import json

import pytest

from actions.backends.billing_api import BillingApi
from actions.backends.context import set_turn
from actions.backends.errors import AlreadyShipped, BackendUnavailable, OrderNotFound, OutsideReturnWindow
from actions.backends.http_client import HttpSettings, JsonApiClient
from actions.backends.orders_api import OrdersApi
from actions.backends.resilience import RetryPolicy
from tests.fakes import Answer, FakeBackend, SilentServer, refused_url

ORDER = {
    "number": "10023",
    "customer_id": "C1",
    "state": "shipped",
    "placed_on": "2026-03-01",
    "promised_by": "2026-03-05",
    "expected_by": "2026-03-05",
    "delivered_on": None,
    "carrier": "UPS",
    "tracking_url": "https://carrier.example/t/1",
    "items": [{"sku": "A", "name": "Hoodie", "quantity": 1, "price": "49.99"}],
}
FAST = HttpSettings(
    connect_timeout=0.5,
    read_timeout=0.5,
    retry=RetryPolicy(attempts=3, base_delay=0.01),
    failure_threshold=3,
    cooldown=60,
)


def orders(url: str, token: str | None = None, settings: HttpSettings = FAST) -> OrdersApi:
    return OrdersApi(JsonApiClient("orders", url, token, settings))


def test_an_order_is_parsed_into_a_typed_record():
    with FakeBackend(Answer(body=ORDER)) as backend:
        order = orders(backend.url).get_order("10023")
    assert order.carrier == "UPS" and str(order.items[0].price) == "49.99"


def test_a_read_that_times_out_is_retried_then_reported_as_unavailable():
    with FakeBackend(Answer(body=ORDER, delay=1.0)) as backend:
        with pytest.raises(BackendUnavailable, match="timed out"):
            orders(backend.url).get_order("10023")
        assert len(backend.requests) == 3


def test_a_server_that_accepts_and_never_answers_is_unavailable():
    with SilentServer() as silent, pytest.raises(BackendUnavailable, match="timed out"):
        orders(silent.url).get_order("10023")


def test_connection_refused_is_unavailable():
    with pytest.raises(BackendUnavailable, match="connection failed"):
        orders(refused_url()).get_order("10023")


def test_5xx_reads_are_retried_and_writes_are_not():
    with FakeBackend(Answer(status=503, body={"error": "down"})) as backend:
        api = orders(backend.url)
        with pytest.raises(BackendUnavailable, match="503"):
            api.get_order("10023")
        assert len(backend.requests) == 3
        with pytest.raises(BackendUnavailable):
            api.cancel_order("10023")
        assert len(backend.requests) == 4


@pytest.mark.parametrize("raw", [b"<html>oops</html>", b'["not", "an", "object"]', b'{"number": "10023"}'])
def test_malformed_answers_are_unavailable_not_crashes(raw):
    with FakeBackend(Answer(raw=raw)) as backend, pytest.raises(BackendUnavailable):
        orders(backend.url).get_order("10023")


def test_404_is_an_unknown_order_not_an_outage():
    with FakeBackend(Answer(status=404, body={"error": "order_not_found"})) as backend:
        api = orders(backend.url)
        for _ in range(5):
            with pytest.raises(OrderNotFound):
                api.get_order("99999")
        assert api.client.breaker.state == "closed"


def test_409_codes_become_named_errors():
    with FakeBackend(Answer(status=409, body={"error": "already_shipped"})) as backend:
        with pytest.raises(AlreadyShipped):
            orders(backend.url).cancel_order("10023")
    with FakeBackend(Answer(status=409, body={"error": "outside_return_window"})) as backend:
        with pytest.raises(OutsideReturnWindow):
            orders(backend.url).create_return("10023", "hoodie", "too big")


def test_an_unexpected_4xx_is_unavailable():
    with FakeBackend(Answer(status=401, body={"error": "unauthorized"})) as backend:
        with pytest.raises(BackendUnavailable, match="401"):
            orders(backend.url).get_order("10023")


def test_the_circuit_opens_after_repeated_failures_and_stops_calling():
    with FakeBackend(Answer(status=500, body={})) as backend:
        api = orders(backend.url, settings=HttpSettings(retry=RetryPolicy(attempts=1), failure_threshold=3))
        for _ in range(3):
            with pytest.raises(BackendUnavailable):
                api.get_order("10023")
        calls = len(backend.requests)
        with pytest.raises(BackendUnavailable, match="circuit open"):
            api.get_order("10023")
        assert len(backend.requests) == calls


def test_writes_carry_an_idempotency_key_stable_within_a_turn():
    with FakeBackend(Answer(body=ORDER)) as backend:
        api = orders(backend.url, token="s3cret")
        set_turn("conversation-1", "message-1")
        api.cancel_order("10023")
        api.cancel_order("10023")
        set_turn("conversation-1", "message-2")
        api.cancel_order("10023")
        api.get_order("10023")
    keys = [r.headers.get("Idempotency-Key") for r in backend.requests]
    assert keys[0] and keys[0] == keys[1] and keys[2] != keys[0]
    assert keys[3] is None
    assert all(r.headers.get("Authorization") == "Bearer s3cret" for r in backend.requests)
    assert all(r.headers.get("X-Correlation-ID") for r in backend.requests)


def test_billing_client_sends_the_payment_being_fixed():
    with FakeBackend(Answer(status=202, body={"sent": True})) as backend:
        BillingApi(JsonApiClient("billing", backend.url, None, FAST)).send_payment_update_link("C1", "P-1")
    assert json.loads(backend.requests[0].body) == {"payment_id": "P-1"}
