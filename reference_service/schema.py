"""Tables of the reference service (SQLAlchemy ORM; SQLite or any SQLAlchemy URL)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import BigInteger, TypeDecorator

# Typed as Any: SQLAlchemy 1.4 declarative classes need its mypy plugin otherwise.
Base: Any = declarative_base()


class Money(TypeDecorator):
    """Decimal amounts stored as integer cents: exact on every database, SQLite included."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        return None if value is None else int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value) / 100


class CustomerRow(Base):
    __tablename__ = "customers"
    id = Column(String(32), primary_key=True)
    name = Column(String(200), nullable=False)
    email = Column(String(320), nullable=False, unique=True)
    phone = Column(String(32), nullable=False)
    account_status = Column(String(16), nullable=False, default="active")


class OrderRow(Base):
    __tablename__ = "orders"
    number = Column(String(16), primary_key=True)
    customer_id = Column(String(32), ForeignKey("customers.id"), nullable=False)
    state = Column(String(16), nullable=False)
    placed_on = Column(Date, nullable=False)
    promised_by = Column(Date)
    expected_by = Column(Date)
    delivered_on = Column(Date)
    carrier = Column(String(64))
    tracking_url = Column(String(500))
    delivery_address = Column(Text)
    customer = relationship(CustomerRow)
    items = relationship("OrderItemRow", order_by="OrderItemRow.id", cascade="all, delete-orphan")


class OrderItemRow(Base):
    __tablename__ = "order_items"
    id = Column(Integer, primary_key=True, autoincrement=True)
    order_number = Column(String(16), ForeignKey("orders.number"), nullable=False)
    sku = Column(String(64), nullable=False)
    name = Column(String(200), nullable=False)
    quantity = Column(Integer, nullable=False)
    price = Column(Money(), nullable=False)


class InvoiceRow(Base):
    __tablename__ = "invoices"
    number = Column(String(16), primary_key=True)
    order_number = Column(String(16), ForeignKey("orders.number"), nullable=False)
    amount = Column(Money(), nullable=False)
    issued_on = Column(Date, nullable=False)


class PaymentRow(Base):
    __tablename__ = "payments"
    id = Column(String(32), primary_key=True)
    customer_id = Column(String(32), ForeignKey("customers.id"), nullable=False)
    order_number = Column(String(16))
    amount = Column(Money(), nullable=False)
    status = Column(String(16), nullable=False)
    taken_on = Column(Date, nullable=False)
    description = Column(String(200), nullable=False)
    failure = Column(String(64))


class RefundRow(Base):
    __tablename__ = "refunds"
    id = Column(String(32), primary_key=True)
    order_number = Column(String(16), ForeignKey("orders.number"), nullable=False)
    amount = Column(Money(), nullable=False)
    status = Column(String(24), nullable=False)
    requested_on = Column(Date, nullable=False)
    expected_by = Column(Date)
    item = Column(String(500))
    reason = Column(String(500))


class DisputeRow(Base):
    __tablename__ = "disputes"
    reference = Column(String(32), primary_key=True)
    customer_id = Column(String(32), ForeignKey("customers.id"))
    payment_id = Column(String(32), ForeignKey("payments.id"))
    description = Column(String(500), nullable=False)
    reason = Column(String(500), nullable=False)
    created_at = Column(DateTime, nullable=False)


class OutboundMessageRow(Base):
    """What the service was asked to send (invoice e-mails, reset and payment links).

    The reference service records instead of sending; a real system sends."""

    __tablename__ = "outbound_messages"
    id = Column(Integer, primary_key=True, autoincrement=True)
    kind = Column(String(32), nullable=False)
    recipient = Column(String(320), nullable=False)
    reference = Column(String(64))
    created_at = Column(DateTime, nullable=False)


class IdempotentResponseRow(Base):
    """The first answer to a write, replayed when the same Idempotency-Key comes again."""

    __tablename__ = "idempotent_responses"
    __table_args__ = (UniqueConstraint("key", "operation"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    key = Column(String(128), nullable=False)
    operation = Column(String(128), nullable=False)
    status = Column(Integer, nullable=False)
    body = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False)
