"""PLACEHOLDER backend: the demo data held in this process's memory.

Stands in for the company's order and billing systems until the HTTP clients
and the reference service land (issue 3). It honours the same rules those
systems enforce (no cancelling after shipping, the return window, invoices
only to the address on file) so the dialogue built on it is real.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import List

from actions.backends.errors import (
    AccountNotFound,
    AlreadyShipped,
    InvoiceNotFound,
    NotDeliveredYet,
    OrderNotFound,
    OutsideReturnWindow,
)
from actions.backends.models import Customer, Invoice, Order, OrderState, Payment, Refund
from actions.backends.seed import DEFAULT_SEED, load_seed


class InMemoryBackend:
    """Implements both ``OrderSystem`` and ``BillingSystem`` over seed data."""

    def __init__(self, seed_path: Path = DEFAULT_SEED, today: date | None = None) -> None:
        self._today = today or date.today()
        self._data = load_seed(seed_path, self._today)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.outbox: List[dict] = []

    # -- orders ---------------------------------------------------------------
    def get_order(self, number: str) -> Order:
        try:
            return self._data.orders[number]
        except KeyError:
            raise OrderNotFound(number) from None

    def _require_not_shipped(self, order: Order) -> None:
        if order.state.has_left_warehouse:
            raise AlreadyShipped(order.number)

    def cancel_order(self, number: str) -> Order:
        with self._lock:
            order = self.get_order(number)
            if order.state is OrderState.CANCELLED:
                return order
            self._require_not_shipped(order)
            cancelled = dataclasses.replace(order, state=OrderState.CANCELLED)
            self._data.orders[number] = cancelled
            return cancelled

    def change_address(self, number: str, address: str) -> Order:
        with self._lock:
            order = self.get_order(number)
            self._require_not_shipped(order)
            self.outbox.append({"kind": "address_change", "order": number, "address": address})
            return order

    def create_return(self, number: str, item: str, reason: str) -> Refund:
        with self._lock:
            order = self.get_order(number)
            if order.state is not OrderState.DELIVERED or order.delivered_on is None:
                raise NotDeliveredYet(number)
            window = timedelta(days=self._data.policy.return_window_days)
            if self._today - order.delivered_on > window:
                raise OutsideReturnWindow(number)
            refund = Refund(
                id=f"R-{9000 + next(self._ids)}",
                order_number=number,
                amount=sum((i.price * i.quantity for i in order.items), Decimal(0)),
                status="awaiting_return",
                requested_on=self._today,
            )
            self._data.refunds.insert(0, refund)
            return refund

    def refunds_for_order(self, number: str) -> List[Refund]:
        self.get_order(number)
        return [r for r in self._data.refunds if r.order_number == number]

    # -- billing --------------------------------------------------------------
    def find_customer_by_email(self, email: str) -> Customer:
        for customer in self._data.customers.values():
            if customer.email.casefold() == email.casefold():
                return customer
        raise AccountNotFound()

    def find_invoice(self, reference: str) -> Invoice:
        reference = reference.upper()
        if reference in self._data.invoices:
            return self._data.invoices[reference]
        for invoice in self._data.invoices.values():
            if invoice.order_number == reference:
                return invoice
        raise InvoiceNotFound(reference)

    def send_invoice(self, invoice_number: str) -> str:
        invoice = self.find_invoice(invoice_number)
        email = self.get_order(invoice.order_number).customer.email
        self.outbox.append({"kind": "invoice_email", "invoice": invoice.number, "to": email})
        return email

    def payments_for_customer(self, customer_id: str) -> List[Payment]:
        payments = [p for p in self._data.payments if p.customer_id == customer_id]
        return sorted(payments, key=lambda p: p.taken_on, reverse=True)

    def record_dispute(self, payment_id: str, reason: str) -> str:
        reference = f"D-{3000 + next(self._ids)}"
        self.outbox.append({"kind": "dispute", "payment": payment_id, "reason": reason, "ref": reference})
        return reference

    def _customer(self, customer_id: str) -> Customer:
        return self._data.customers[customer_id]

    def send_payment_update_link(self, customer_id: str) -> str:
        email = self._customer(customer_id).email
        self.outbox.append({"kind": "payment_link", "to": email})
        return email

    def send_password_reset(self, customer_id: str) -> str:
        email = self._customer(customer_id).email
        self.outbox.append({"kind": "password_reset", "to": email})
        return email
