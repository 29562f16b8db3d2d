from datetime import date
from decimal import Decimal

from actions.backends.models import Order, OrderItem, OrderState
from actions.order_facts import describe_items, human_date, order_variables, status_response

TODAY = date(2026, 3, 2)


def order(state: OrderState, promised: date, delivered: date | None = None) -> Order:
    return Order(
        number="10023", customer_id="C1", state=state, placed_on=date(2026, 2, 27),
        items=(OrderItem("A", "Blue hoodie (M)", 1, Decimal("49.99")),
               OrderItem("B", "White socks", 2, Decimal("9.50"))),
        promised_by=promised, expected_by=promised, delivered_on=delivered, carrier="UPS",
        tracking_url="https://carrier.example/t/1",
    )  # fmt: skip


def test_dates_read_naturally():
    assert human_date(date(2026, 3, 2), TODAY) == "today"
    assert human_date(date(2026, 3, 3), TODAY) == "tomorrow"
    assert human_date(date(2026, 3, 10), TODAY) == "Tuesday 10 March"
    assert human_date(None, TODAY) == "soon"


def test_items_and_status_for_a_shipped_order():
    shipped = order(OrderState.SHIPPED, date(2026, 3, 4))
    assert describe_items(shipped) == "Blue hoodie (M) and 2 x White socks"
    assert status_response(shipped, TODAY) == "utter_order_shipped"
    assert order_variables(shipped, TODAY)["carrier"] == "UPS"


def test_an_order_past_its_promise_gets_the_delay_response():
    assert status_response(order(OrderState.SHIPPED, date(2026, 3, 1)), TODAY) == "utter_order_delayed"
    assert status_response(order(OrderState.DELIVERED, date(2026, 3, 1), date(2026, 3, 1)), TODAY) == (
        "utter_order_delivered"
    )
