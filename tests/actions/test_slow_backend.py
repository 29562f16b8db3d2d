"""A backend that takes 2 s delays only its own conversation (rasa-sdk runs all
actions on one event loop; backend calls run in worker threads)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests.actions.action_server import responses, run_action, start_action_server
from tests.conftest import free_port
from tests.fakes import Answer, FakeBackend
from tests.helpers import REFERENCE_TOKEN

INVOICE = {"number": "INV-20931", "order_number": "10023", "amount": "68.99", "issued_on": "2026-03-01"}


def timed(call):
    started = time.monotonic()
    result = call()
    return time.monotonic() - started, time.monotonic(), result


def test_twenty_conversations_are_not_delayed_by_one_slow_backend(reference_server, tmp_path):
    with FakeBackend(Answer(body=INVOICE, delay=2.0)) as slow_billing:
        slow_billing.routes[("POST", "/invoices/INV-20931/send")] = Answer(status=202, body={"sent": True})
        port = free_port()
        env = {"ORDERS_API_URL": reference_server.health_url.removesuffix("/health"),
               "ORDERS_API_TOKEN": REFERENCE_TOKEN, "BILLING_API_URL": slow_billing.url}  # fmt: skip
        service = start_action_server(port, tmp_path, env)
        url = f"http://127.0.0.1:{port}"
        verified = {"order_number": "10023", "verified_order": "10023"}
        invoice = {"invoice_reference": "INV-20931", "verified_invoice": "INV-20931"}
        try:
            run_action(url, "action_order_status", verified, sender="warm-up")
            with ThreadPoolExecutor(max_workers=21) as pool:
                slow = pool.submit(
                    timed, lambda: run_action(url, "action_invoice_request", invoice,
                                              sender="slow-customer")
                )  # fmt: skip
                time.sleep(0.2)  # the slow call is in flight
                fast = [
                    pool.submit(timed, lambda i=i: run_action(url, "action_order_status", verified, sender=f"c{i}"))
                    for i in range(20)
                ]
                fast_results = [f.result() for f in fast]
                slow_elapsed, slow_done, slow_answer = slow.result()
        finally:
            service.stop()
    fast_latencies = sorted(r[0] for r in fast_results)
    print(f"slow call {slow_elapsed:.2f}s; 20 others: max {fast_latencies[-1]:.3f}s, "
          f"median {fast_latencies[10]:.3f}s")  # fmt: skip
    assert responses(slow_answer) == ["utter_invoice_sent"]
    assert slow_elapsed >= 2.0
    assert all(responses(r[2]) == ["utter_order_shipped"] for r in fast_results)
    assert fast_latencies[-1] < 1.0
    assert max(r[1] for r in fast_results) < slow_done
