"""The adapter boundary: what the actions need from a business's systems.

A business points the bot at its own systems either by serving the HTTP
contract in docs/backend-api.yaml (the default clients, ``orders_api.py`` and
``billing_api.py``, speak it) or by implementing these two protocols in a small
adapter (docs/backends.md). Methods are synchronous and may block; actions
call them off the event loop (``calls.off_loop``). Failures are the exceptions
in ``errors.py``.
"""

from __future__ import annotations

from typing import List, Protocol

from actions.backends.models import Customer, Invoice, InvoiceDocument, Order, Payment, Refund


class OrderSystem(Protocol):
    def get_order(self, number: str) -> Order:
        """The order, or ``OrderNotFound``."""

    def verify_contact(self, number: str, email: str | None = None, phone: str | None = None) -> bool:
        """Does this email or phone belong to the order's customer? (``OrderNotFound``)"""

    def cancel_order(self, number: str) -> Order:
        """Cancel before shipping; a second cancel returns it unchanged.
        ``AlreadyShipped`` once it has left the warehouse."""

    def change_address(self, number: str, address: str) -> Order:
        """New delivery address before shipping, else ``AlreadyShipped`` / ``AlreadyCancelled``."""

    def create_return(self, number: str, item: str, reason: str) -> Refund:
        """Open a return; ``NotDeliveredYet`` or ``OutsideReturnWindow`` when not allowed."""

    def refunds_for_order(self, number: str) -> List[Refund]:
        """Refunds on the order, newest first (may be empty)."""


class BillingSystem(Protocol):
    def find_customer_by_email(self, email: str) -> Customer:
        """The account with that email, or ``AccountNotFound``."""

    def verify_customer_phone(self, customer_id: str, phone: str) -> bool:
        """Is ``phone`` the number on this account? (Contact details stay in the system.)"""

    def find_invoice(self, reference: str) -> Invoice:
        """By invoice number or by order number; ``InvoiceNotFound`` otherwise."""

    def invoice_document(self, invoice_number: str) -> InvoiceDocument:
        """The invoice as a file with the address on file it goes to, for the bot's e-mail channel to send
        (``InvoiceNotFound``). A read: the address is never shown to the customer."""

    def send_invoice(self, invoice_number: str) -> None:
        """E-mail the invoice to the address on file (never to one typed in chat). Used when the bot has no
        e-mail channel of its own."""

    def payments_for_customer(self, customer_id: str) -> List[Payment]:
        """Payments, newest first."""

    def record_dispute(self, customer_id: str | None, payment_id: str | None, description: str, reason: str) -> str:
        """Record a disputed charge for the billing team; returns its reference."""

    def send_payment_update_link(self, customer_id: str, payment_id: str | None = None) -> None:
        """Send a secure link to update the payment method (and retry ``payment_id``)
        to the email on file."""

    def send_password_reset(self, customer_id: str) -> None:
        """Send a password-reset link to the email on file."""
