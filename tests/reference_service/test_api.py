"""The reference service over real HTTP, seeded from seeds/demo.yml."""

from __future__ import annotations


def url(service, path: str) -> str:
    return service.health_url.replace("/health", path)


def test_order_and_contact_check(reference_server, reference_api):
    order = reference_api.get(url(reference_server, "/orders/10023"), timeout=5).json()
    assert order["state"] == "shipped" and order["items"][0]["price"] == "49.99"
    assert "email" not in str(order)  # contact details never leave the service
    verify = url(reference_server, "/orders/10023/verify")
    maria = {"email": "Maria.Keller@example.com"}
    assert reference_api.post(verify, json=maria, timeout=5).json() == {"verified": True}
    assert reference_api.post(verify, json={"phone": "5552014477"}, timeout=5).json() == {"verified": True}
    assert reference_api.post(verify, json={"email": "x@example.com"}, timeout=5).json() == {"verified": False}


def test_errors_are_json_with_codes(reference_server, reference_api):
    missing = reference_api.get(url(reference_server, "/orders/99999"), timeout=5)
    assert missing.status_code == 404 and missing.json()["error"] == "order_not_found"
    shipped = reference_api.post(url(reference_server, "/orders/10023/cancel"), timeout=5)
    assert shipped.status_code == 409 and shipped.json()["error"] == "already_shipped"
    bad = reference_api.post(url(reference_server, "/orders/10026/address"), data=b"{nope", timeout=5)
    assert bad.status_code == 400 and "JSON" in bad.json()["message"]


def test_a_repeated_write_with_the_same_key_applies_once(reference_server, reference_api):
    returns = url(reference_server, "/orders/10031/returns")
    body = {"item": "grey trainers", "reason": "too small"}
    first = reference_api.post(returns, json=body, headers={"Idempotency-Key": "k-1"}, timeout=5)
    again = reference_api.post(returns, json=body, headers={"Idempotency-Key": "k-1"}, timeout=5)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    refunds = reference_api.get(url(reference_server, "/orders/10031/refunds"), timeout=5).json()["refunds"]
    assert [r["status"] for r in refunds].count("awaiting_return") == 1


def test_cancelling_twice_is_harmless(reference_server, reference_api):
    cancel = url(reference_server, "/orders/10025/cancel")
    assert reference_api.post(cancel, timeout=5).json()["state"] == "cancelled"
    assert reference_api.post(cancel, timeout=5).json()["state"] == "cancelled"


def test_billing_records(reference_server, reference_api):
    tom = {"email": "tom.okafor@example.org"}
    customer = reference_api.get(url(reference_server, "/customers"), params=tom, timeout=5)
    assert customer.json() == {"id": "C2", "account_status": "active"}
    payments = reference_api.get(url(reference_server, "/customers/C2/payments"), timeout=5).json()["payments"]
    assert [p["amount"] for p in payments].count("75.00") == 2
    invoice = reference_api.get(url(reference_server, "/invoices/10031"), timeout=5).json()
    assert invoice["number"] == "INV-20944"
    dispute = reference_api.post(
        url(reference_server, "/disputes"),
        timeout=5,
        json={"customer_id": "C2", "payment_id": "P-5003", "description": "$75", "reason": "twice"},
    )
    assert dispute.status_code == 201 and dispute.json()["reference"].startswith("D-")


def test_an_invoice_is_sent_only_to_the_email_on_file(reference_server, reference_api, tmp_path):
    from reference_service.store import Store

    reply = reference_api.post(url(reference_server, "/invoices/INV-20931/send"), json={"to": "thief@example.com"},
                          timeout=5)  # fmt: skip
    assert reply.status_code == 202
    sent = Store(f"sqlite:///{tmp_path / 'ref.db'}").outbound_messages()
    assert sent == [{"kind": "invoice_email", "recipient": "maria.keller@example.com", "reference": "INV-20931"}]


def test_an_invoice_document_is_the_invoice_as_a_file_for_the_address_on_file(reference_server, reference_api,
                                                                              tmp_path):  # fmt: skip
    import base64

    from reference_service.store import Store

    reply = reference_api.get(url(reference_server, "/invoices/inv-20931/document"), timeout=5)
    assert reply.status_code == 200
    body = reply.json()
    assert (body["number"], body["amount"], body["currency"]) == ("INV-20931", "68.99", "USD")
    assert body["email"] == "maria.keller@example.com"
    assert [(line["name"], line["quantity"]) for line in body["lines"]] == [("Blue hoodie (M)", 1),
                                                                           ("White socks 3-pack", 2)]  # fmt: skip
    document = body["document"]
    assert (document["filename"], document["content_type"]) == ("INV-20931.html", "text/html")
    page = base64.b64decode(document["content_base64"]).decode("utf-8")
    assert "INV-20931" in page and "68.99" in page and "White socks 3-pack" in page and "Maria Keller" in page
    assert Store(f"sqlite:///{tmp_path / 'ref.db'}").outbound_messages() == []  # a read sends nothing


def test_an_invoice_file_escapes_what_it_shows():
    from reference_service.invoice_document import render_html

    invoice = {"number": "INV-1", "order_number": "1", "amount": "1.00", "issued_on": "2024-01-01", "currency": "USD"}
    page = render_html(invoice, [{"name": "<script>x</script>", "quantity": 1, "price": "1.00"}], "A & B").decode()
    assert "<script>" not in page and "&lt;script&gt;" in page and "A &amp; B" in page
