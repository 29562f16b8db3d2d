"""The billing client's invoice document: parsed strictly into a typed record, against a real loopback server."""

from __future__ import annotations

import base64

import pytest

from actions.backends.billing_api import BillingApi
from actions.backends.errors import BackendUnavailable, InvoiceNotFound
from actions.backends.http_client import HttpSettings, JsonApiClient
from actions.backends.resilience import RetryPolicy
from tests.fakes import Answer, FakeBackend

FAST = HttpSettings(connect_timeout=0.5, read_timeout=0.5, retry=RetryPolicy(attempts=1, base_delay=0.01),
                    failure_threshold=100, cooldown=60)  # fmt: skip
PAGE = b"<!DOCTYPE html><p>INV-20931</p>"
DOCUMENT = {
    "number": "INV-20931",
    "order_number": "10023",
    "amount": "68.99",
    "issued_on": "2026-03-01",
    "currency": "USD",
    "email": "maria.keller@example.com",
    "lines": [{"sku": "HD-BLU-M", "name": "Blue hoodie (M)", "quantity": 1, "price": "49.99"}],
    "document": {"filename": "INV-20931.html", "content_type": "text/html",
                 "content_base64": base64.b64encode(PAGE).decode()},
}  # fmt: skip


def billing(url: str) -> BillingApi:
    return BillingApi(JsonApiClient("billing", url, None, FAST))


def test_an_invoice_document_is_parsed_into_a_typed_record_that_never_shows_the_address():
    with FakeBackend(Answer(body=DOCUMENT)) as backend:
        document = billing(backend.url).invoice_document("inv-20931")
    assert backend.requests[0].method == "GET" and backend.requests[0].path == "/invoices/inv-20931/document"
    assert document.invoice.number == "INV-20931" and str(document.invoice.amount) == "68.99"
    assert document.document.content == PAGE and document.document.filename == "INV-20931.html"
    assert document.email == "maria.keller@example.com" and document.lines[0].quantity == 1
    assert "maria" not in repr(document)  # a record that reaches a log line does not carry the address


def test_an_unknown_invoice_is_not_found():
    with FakeBackend(Answer(status=404, body={"error": "invoice_not_found", "message": "no"})) as backend:
        with pytest.raises(InvoiceNotFound):
            billing(backend.url).invoice_document("INV-00000")


@pytest.mark.parametrize("broken", [
    {"email": None}, {"email": "not an address"}, {"currency": ""}, {"lines": None},
    {"document": {"filename": "INV-1.html", "content_type": "text/html", "content_base64": "***"}},
    {"document": {"filename": "../INV-1.html", "content_type": "text/html", "content_base64": "eA=="}},
    {"document": {"filename": "INV-1.html", "content_type": "html", "content_base64": "eA=="}},
    {"amount": "lots"},
])  # fmt: skip
def test_a_document_the_channel_could_not_send_is_unavailable_and_names_no_address(broken):
    with FakeBackend(Answer(body={**DOCUMENT, **broken})) as backend:
        with pytest.raises(BackendUnavailable) as raised:
            billing(backend.url).invoice_document("INV-20931")
    assert "@" not in str(raised.value)
