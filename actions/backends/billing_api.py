"""``BillingSystem`` over HTTP (contract: docs/backend-api.yaml)."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from decimal import Decimal
from typing import Any, Dict, List

from actions.backends.errors import AccountNotFound, BackendUnavailable, InvoiceNotFound
from actions.backends.http_client import ApiResponse, JsonApiClient, segment
from actions.backends.models import Attachment, Customer, Invoice, InvoiceDocument, OrderItem, Payment
from actions.backends.orders_api import raise_for_error

_ERRORS = {
    "customer_not_found": AccountNotFound,
    "invoice_not_found": InvoiceNotFound,
}


def parse_payment(body: Dict[str, Any]) -> Payment:
    try:
        return Payment(
            id=str(body["id"]),
            customer_id=str(body["customer_id"]),
            amount=Decimal(body["amount"]),
            status=str(body["status"]),
            taken_on=date.fromisoformat(body["taken_on"]),
            description=str(body["description"]),
            order_number=body.get("order_number"),
            failure=body.get("failure"),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as problem:
        raise BackendUnavailable(f"billing: malformed payment record ({problem})") from problem


def parse_invoice(body: Dict[str, Any]) -> Invoice:
    try:
        return Invoice(
            number=str(body["number"]),
            order_number=str(body["order_number"]),
            amount=Decimal(body["amount"]),
            issued_on=date.fromisoformat(body["issued_on"]),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as problem:
        raise BackendUnavailable("billing: malformed invoice record") from problem


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"'{name}' must be a non-empty string")
    return value


def parse_invoice_document(body: Dict[str, Any]) -> InvoiceDocument:
    """Strict: a document the channel could not send as it is (no address, no file) is a broken contract."""
    invoice = parse_invoice(body)
    try:
        email, file = _text(body["email"], "email"), body["document"]
        if "@" not in email or any(c.isspace() for c in email):
            raise ValueError("'email' is not an address")
        filename, content_type = _text(file["filename"], "filename"), _text(file["content_type"], "content_type")
        if "/" in filename or "\\" in filename or "/" not in content_type:
            raise ValueError("not a file name and a MIME type")
        lines = tuple(
            OrderItem(sku=str(i["sku"]), name=str(i["name"]), quantity=int(i["quantity"]), price=Decimal(i["price"]))
            for i in body["lines"]
        )
        return InvoiceDocument(
            invoice=invoice,
            currency=_text(body["currency"], "currency"),
            lines=lines,
            document=Attachment(
                filename, content_type, base64.b64decode(_text(file["content_base64"], "content"), validate=True)
            ),
            email=email,
        )
    except (KeyError, TypeError, ValueError, ArithmeticError, binascii.Error) as problem:
        # Only the kind of problem: its text could quote the address.
        raise BackendUnavailable(f"billing: malformed invoice document ({type(problem).__name__})") from problem


class BillingApi:
    def __init__(self, client: JsonApiClient) -> None:
        self.client = client

    def _checked(self, reply: ApiResponse) -> ApiResponse:
        raise_for_error(reply, _ERRORS, self.client.name)
        return reply

    def find_customer_by_email(self, email: str) -> Customer:
        body = self._checked(self.client.get("/customers", params={"email": email})).body
        try:
            return Customer(id=str(body["id"]), account_status=str(body.get("account_status", "active")))
        except KeyError as problem:
            raise BackendUnavailable("billing: malformed customer record") from problem

    def verify_customer_phone(self, customer_id: str, phone: str) -> bool:
        path = f"/customers/{segment(customer_id, AccountNotFound)}/verify"
        return self._checked(self.client.post(path, {"phone": phone}, read_only=True)).body.get("verified") is True

    def find_invoice(self, reference: str) -> Invoice:
        return parse_invoice(self._checked(self.client.get(f"/invoices/{segment(reference, InvoiceNotFound)}")).body)

    def invoice_document(self, invoice_number: str) -> InvoiceDocument:
        path = f"/invoices/{segment(invoice_number, InvoiceNotFound)}/document"
        return parse_invoice_document(self._checked(self.client.get(path)).body)

    def send_invoice(self, invoice_number: str) -> None:
        self._checked(self.client.post(f"/invoices/{segment(invoice_number, InvoiceNotFound)}/send"))

    def payments_for_customer(self, customer_id: str) -> List[Payment]:
        reply = self._checked(self.client.get(f"/customers/{segment(customer_id, AccountNotFound)}/payments"))
        payments = reply.body.get("payments")
        if not isinstance(payments, list):
            raise BackendUnavailable("billing: malformed payments list")
        return [parse_payment(p) for p in payments]

    def record_dispute(self, customer_id: str | None, payment_id: str | None, description: str, reason: str) -> str:
        body = {"customer_id": customer_id, "payment_id": payment_id, "description": description, "reason": reason}
        reference = self._checked(self.client.post("/disputes", body)).body.get("reference")
        if not isinstance(reference, str):
            raise BackendUnavailable("billing: dispute recorded without a reference")
        return reference

    def send_payment_update_link(self, customer_id: str, payment_id: str | None = None) -> None:
        path = f"/customers/{segment(customer_id, AccountNotFound)}/payment-link"
        self._checked(self.client.post(path, {"payment_id": payment_id} if payment_id else {}))

    def send_password_reset(self, customer_id: str) -> None:
        self._checked(self.client.post(f"/customers/{segment(customer_id, AccountNotFound)}/password-reset"))
