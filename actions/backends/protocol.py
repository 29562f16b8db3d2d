"""The adapter boundary: what the actions need from a business's systems.

A business points the bot at its own systems by implementing these two
protocols (or by serving the HTTP contract the default clients speak).
Methods are synchronous and may block; actions call them off the event loop
(``actions/backends/calls.py``).
"""

from __future__ import annotations

from typing import List, Protocol

from actions.backends.models import Customer, Invoice, Order, Payment, Refund


class OrderSystem(Protocol):
    def get_order(self, number: str) -> Order:
        """The order, or ``OrderNotFound``."""

    def cancel_order(self, number: str) -> Order:
        """Cancel before shipping; cancelling a cancelled order returns it unchanged.
        ``AlreadyShipped`` once it has left the warehouse."""

    def change_address(self, number: str, address: str) -> Order:
        """New delivery address before shipping, else ``AlreadyShipped``."""

    def create_return(self, number: str, item: str, reason: str) -> Refund:
        """Open a return/refund; ``OutsideReturnWindow`` when too late."""

    def refunds_for_order(self, number: str) -> List[Refund]:
        """Refunds on the order, newest first (may be empty)."""


class BillingSystem(Protocol):
    def find_customer_by_email(self, email: str) -> Customer:
        """The account with that email, or ``AccountNotFound``."""

    def find_invoice(self, reference: str) -> Invoice:
        """By invoice number or by order number; ``InvoiceNotFound`` otherwise."""

    def send_invoice(self, invoice_number: str) -> str:
        """E-mail the invoice to the address on file; returns that address."""

    def payments_for_customer(self, customer_id: str) -> List[Payment]:
        """Payments, newest first."""

    def record_dispute(self, payment_id: str, reason: str) -> str:
        """Record a disputed charge; returns the dispute reference."""

    def send_payment_update_link(self, customer_id: str) -> str:
        """Send a secure link to update the payment method; returns where it went."""

    def send_password_reset(self, customer_id: str) -> str:
        """Send a password-reset link to the email on file; returns that address."""
