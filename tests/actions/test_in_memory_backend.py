"""The placeholder backend enforces the same business rules as the real systems."""

from datetime import date

import pytest

from actions.backends.errors import (
    AccountNotFound,
    AlreadyShipped,
    InvoiceNotFound,
    NotDeliveredYet,
    OrderNotFound,
    OutsideReturnWindow,
)
from actions.backends.in_memory import InMemoryBackend
from actions.backends.models import OrderState


@pytest.fixture
def backend():
    return InMemoryBackend(today=date(2026, 3, 1))


def test_unknown_order_is_not_found(backend):
    with pytest.raises(OrderNotFound):
        backend.get_order("99999")


def test_cancel_before_shipping_and_twice_is_harmless(backend):
    assert backend.cancel_order("10024").state is OrderState.CANCELLED
    assert backend.cancel_order("10024").state is OrderState.CANCELLED


def test_shipped_orders_cannot_be_cancelled_or_readdressed(backend):
    with pytest.raises(AlreadyShipped):
        backend.cancel_order("10023")
    with pytest.raises(AlreadyShipped):
        backend.change_address("10023", "1 New Road, Leeds")


def test_returns_only_for_delivered_orders_inside_the_window(backend):
    assert backend.create_return("10031", "trainers", "too small").status == "awaiting_return"
    with pytest.raises(OutsideReturnWindow):
        backend.create_return("10061", "bag", "changed my mind")
    with pytest.raises(NotDeliveredYet):
        backend.create_return("10023", "hoodie", "wrong size")


def test_late_orders_are_detected(backend):
    assert backend.get_order("10042").is_late(date(2026, 3, 1))
    assert not backend.get_order("10023").is_late(date(2026, 3, 1))


def test_invoices_by_number_or_order_and_only_to_the_address_on_file(backend):
    assert backend.find_invoice("inv-20931").order_number == "10023"
    assert backend.find_invoice("10031").number == "INV-20944"
    with pytest.raises(InvoiceNotFound):
        backend.find_invoice("INV-00000")
    assert backend.send_invoice("INV-20931") == "maria.keller@example.com"


def test_accounts_by_email_ignore_case(backend):
    assert backend.find_customer_by_email("MARIA.KELLER@example.com").id == "C1"
    with pytest.raises(AccountNotFound):
        backend.find_customer_by_email("nobody@example.com")
