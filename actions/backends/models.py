"""Typed records the order and billing systems return (schema: docs/backends.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Tuple


class OrderState(str, Enum):
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELAYED = "delayed"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"

    @property
    def has_left_warehouse(self) -> bool:
        return self in {OrderState.SHIPPED, OrderState.DELAYED, OrderState.DELIVERED, OrderState.RETURNED}


@dataclass(frozen=True)
class Customer:
    """An account as the bot may see it: no contact details leave the backend."""

    id: str
    account_status: str = "active"


@dataclass(frozen=True)
class OrderItem:
    sku: str
    name: str
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class Order:
    number: str
    customer_id: str
    state: OrderState
    placed_on: date
    items: Tuple[OrderItem, ...]
    promised_by: date | None = None
    expected_by: date | None = None
    delivered_on: date | None = None
    carrier: str | None = None
    tracking_url: str | None = None

    def is_late(self, today: date) -> bool:
        """Past its promised date and not yet delivered."""
        return (
            self.promised_by is not None
            and self.delivered_on is None
            and self.state not in {OrderState.CANCELLED, OrderState.RETURNED}
            and (self.state is OrderState.DELAYED or self.promised_by < today)
        )


@dataclass(frozen=True)
class Invoice:
    number: str
    order_number: str
    amount: Decimal
    issued_on: date


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class InvoiceDocument:
    """An invoice as it goes to the customer: its lines, its file and the address on file. ``email`` is for
    delivery only: never said, kept in a slot or logged (so it is left out of ``repr``)."""

    invoice: Invoice
    currency: str
    lines: Tuple[OrderItem, ...]
    document: Attachment
    email: str = field(repr=False)


@dataclass(frozen=True)
class Payment:
    id: str
    customer_id: str
    amount: Decimal
    status: str
    taken_on: date
    description: str
    order_number: str | None = None
    failure: str | None = None


@dataclass(frozen=True)
class Refund:
    id: str
    order_number: str
    amount: Decimal
    status: str
    requested_on: date
    expected_by: date | None = None
