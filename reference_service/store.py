"""The reference service's data access: SQL through SQLAlchemy, rules from ``rules``.

Every public method runs in one transaction and returns plain JSON-ready data.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Dict, List, Tuple

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reference_service import rules
from reference_service.invoice_document import invoice_file
from reference_service.schema import (
    Base,
    CustomerRow,
    DisputeRow,
    IdempotentResponseRow,
    InvoiceRow,
    OrderItemRow,
    OrderRow,
    OutboundMessageRow,
    PaymentRow,
    RefundRow,
)
from reference_service.seed import load_seed
from storage.sql import SqlStore

Json = Dict[str, Any]


class NotFound(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _money(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def order_json(order: OrderRow) -> Json:
    return {
        "number": order.number,
        "customer_id": order.customer_id,
        "state": order.state,
        "placed_on": _day(order.placed_on),
        "promised_by": _day(order.promised_by),
        "expected_by": _day(order.expected_by),
        "delivered_on": _day(order.delivered_on),
        "carrier": order.carrier,
        "tracking_url": order.tracking_url,
        "items": [item_json(i) for i in order.items],
    }


def item_json(item: OrderItemRow) -> Json:
    return {"sku": item.sku, "name": item.name, "quantity": item.quantity, "price": _money(item.price)}


def invoice_json(invoice: InvoiceRow) -> Json:
    return {
        "number": invoice.number,
        "order_number": invoice.order_number,
        "amount": _money(invoice.amount),
        "issued_on": _day(invoice.issued_on),
    }


def refund_json(refund: RefundRow) -> Json:
    return {
        "id": refund.id,
        "order_number": refund.order_number,
        "amount": _money(refund.amount),
        "status": refund.status,
        "requested_on": _day(refund.requested_on),
        "expected_by": _day(refund.expected_by),
    }


def payment_json(payment: PaymentRow) -> Json:
    return {
        "id": payment.id,
        "customer_id": payment.customer_id,
        "order_number": payment.order_number,
        "amount": _money(payment.amount),
        "status": payment.status,
        "taken_on": _day(payment.taken_on),
        "description": payment.description,
        "failure": payment.failure,
    }


class Store(SqlStore):
    def __init__(self, database_url: str, return_window_days: int = 30, today: Callable[[], date] = date.today,
                 currency: str = "USD") -> None:  # fmt: skip
        super().__init__(database_url)  # tables: create_schema() or reset()
        self.return_window_days = return_window_days
        self.currency = currency  # ISO 4217; every amount the service holds is in it
        self._today = today

    # -- lifecycle --------------------------------------------------------------
    def reset(self, seed: Json | None = None) -> Dict[str, int]:
        """Drop and recreate every table; load ``seed`` if given."""
        Base.metadata.drop_all(self.engine)
        Base.metadata.create_all(self.engine)
        if seed is None:
            return {}
        if seed.get("policy", {}).get("return_window_days"):
            self.return_window_days = int(seed["policy"]["return_window_days"])
        if seed.get("policy", {}).get("currency"):
            self.currency = str(seed["policy"]["currency"])
        with self._session() as session:
            return load_seed(session, seed, self._today())

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

    def is_empty(self) -> bool:
        with self._session() as session:
            return session.scalar(select(func.count()).select_from(OrderRow)) == 0

    # -- orders -----------------------------------------------------------------
    @staticmethod
    def _order(session: Session, number: str) -> OrderRow:
        order = session.get(OrderRow, number)
        if order is None:
            raise NotFound("order_not_found", f"no order {number}")
        return order

    def get_order(self, number: str) -> Json:
        with self._session() as session:
            return order_json(self._order(session, number))

    def verify_contact(self, number: str, email: str | None, phone: str | None) -> bool:
        with self._session() as session:
            customer = self._order(session, number).customer
            return rules.contact_matches(email, phone, customer.email, customer.phone)

    def cancel_order(self, number: str) -> Json:
        with self._session() as session:
            order = self._order(session, number)
            if rules.check_cancellable(order.state):
                order.state = "cancelled"
            return order_json(order)

    def change_address(self, number: str, address: str) -> Json:
        with self._session() as session:
            order = self._order(session, number)
            rules.check_address_changeable(order.state)
            order.delivery_address = address
            return order_json(order)

    def create_return(self, number: str, item: str, reason: str) -> Json:
        with self._session() as session:
            order = self._order(session, number)
            rules.check_returnable(order.state, order.delivered_on, self._today(), self.return_window_days)
            count = session.scalar(select(func.count()).select_from(RefundRow)) or 0
            refund = RefundRow(
                id=f"R-{9001 + count}",
                order_number=number,
                status="awaiting_return",
                amount=sum((i.price * i.quantity for i in order.items), Decimal(0)),
                requested_on=self._today(),
                item=item,
                reason=reason,
            )
            session.add(refund)
            return refund_json(refund)

    def refunds_for_order(self, number: str) -> List[Json]:
        with self._session() as session:
            self._order(session, number)
            rows = session.scalars(
                select(RefundRow).where(RefundRow.order_number == number).order_by(RefundRow.requested_on.desc())
            )
            return [refund_json(r) for r in rows]

    # -- billing ----------------------------------------------------------------
    def find_customer(self, email: str) -> Json:
        with self._session() as session:
            customer = session.scalar(select(CustomerRow).where(func.lower(CustomerRow.email) == email.casefold()))
            if customer is None:
                raise NotFound("customer_not_found", "no customer with that email")
            return {"id": customer.id, "account_status": customer.account_status}

    def verify_customer_phone(self, customer_id: str, phone: str) -> bool:
        with self._session() as session:
            return rules.same_phone(phone, self._customer(session, customer_id).phone)

    def _customer(self, session: Session, customer_id: str) -> CustomerRow:
        customer = session.get(CustomerRow, customer_id)
        if customer is None:
            raise NotFound("customer_not_found", f"no customer {customer_id}")
        return customer

    def find_invoice(self, reference: str) -> Json:
        with self._session() as session:
            invoice = session.get(InvoiceRow, reference.upper()) or session.scalar(
                select(InvoiceRow).where(InvoiceRow.order_number == reference)
            )
            if invoice is None:
                raise NotFound("invoice_not_found", f"no invoice for {reference}")
            return invoice_json(invoice)

    def invoice_document(self, number: str) -> Json:
        """The invoice, its file and the address on file it goes to (by invoice number only, as ``send``)."""
        with self._session() as session:
            invoice = session.get(InvoiceRow, number.upper())
            if invoice is None:
                raise NotFound("invoice_not_found", f"no invoice {number}")
            order = self._order(session, invoice.order_number)
            record = {**invoice_json(invoice), "currency": self.currency}
            lines = [item_json(i) for i in order.items]
            return {**record, "email": order.customer.email, "lines": lines,
                    "document": invoice_file(record, lines, order.customer.name)}  # fmt: skip

    def _record_outbound(self, session: Session, kind: str, recipient: str, reference: str | None) -> None:
        session.add(
            OutboundMessageRow(
                kind=kind, recipient=recipient, reference=reference, created_at=datetime.now(timezone.utc)
            )
        )

    def send_invoice(self, number: str) -> Json:
        with self._session() as session:
            invoice = session.get(InvoiceRow, number.upper())
            if invoice is None:
                raise NotFound("invoice_not_found", f"no invoice {number}")
            customer = self._order(session, invoice.order_number).customer
            self._record_outbound(session, "invoice_email", customer.email, invoice.number)
            return {"sent": True}

    def payments_for_customer(self, customer_id: str) -> List[Json]:
        with self._session() as session:
            self._customer(session, customer_id)
            rows = session.scalars(
                select(PaymentRow)
                .where(PaymentRow.customer_id == customer_id)
                .order_by(PaymentRow.taken_on.desc(), PaymentRow.id.desc())
            )
            return [payment_json(p) for p in rows]

    def record_dispute(self, customer_id: str | None, payment_id: str | None, description: str, reason: str) -> Json:
        with self._session() as session:
            if customer_id:
                self._customer(session, customer_id)
            if payment_id and session.get(PaymentRow, payment_id) is None:
                raise NotFound("payment_not_found", f"no payment {payment_id}")
            count = session.scalar(select(func.count()).select_from(DisputeRow)) or 0
            dispute = DisputeRow(
                reference=f"D-{3001 + count}",
                customer_id=customer_id,
                payment_id=payment_id,
                description=description,
                reason=reason,
                created_at=datetime.now(timezone.utc),
            )
            session.add(dispute)
            return {"reference": dispute.reference}

    def send_link(self, customer_id: str, kind: str, reference: str | None = None) -> Json:
        with self._session() as session:
            customer = self._customer(session, customer_id)
            self._record_outbound(session, kind, customer.email, reference)
            return {"sent": True}

    def outbound_messages(self) -> List[Json]:
        with self._session() as session:
            rows = session.scalars(select(OutboundMessageRow).order_by(OutboundMessageRow.id))
            return [{"kind": r.kind, "recipient": r.recipient, "reference": r.reference} for r in rows]

    # -- idempotency ------------------------------------------------------------
    def remembered_response(self, key: str, operation: str) -> Tuple[int, Json] | None:
        with self._session() as session:
            row = session.scalar(
                select(IdempotentResponseRow).where(
                    IdempotentResponseRow.key == key, IdempotentResponseRow.operation == operation
                )
            )
            return (row.status, json.loads(row.body)) if row else None

    def remember_response(self, key: str, operation: str, status: int, body: Json) -> None:
        try:
            with self._session() as session:
                session.add(
                    IdempotentResponseRow(
                        key=key,
                        operation=operation,
                        status=status,
                        body=json.dumps(body),
                        created_at=datetime.now(timezone.utc),
                    )
                )
        except IntegrityError:
            pass  # a concurrent duplicate stored it first; both answers are the same
