"""Pure: turn an order into the variables the order responses use."""

from __future__ import annotations

from datetime import date
from typing import Dict

from actions.backends.models import Order, OrderState

STATE_RESPONSES = {
    OrderState.PROCESSING: "utter_order_processing",
    OrderState.SHIPPED: "utter_order_shipped",
    OrderState.DELAYED: "utter_order_delayed",
    OrderState.DELIVERED: "utter_order_delivered",
    OrderState.CANCELLED: "utter_order_cancelled_status",
    OrderState.RETURNED: "utter_order_returned",
}


def human_date(day: date | None, today: date) -> str:
    if day is None:
        return "soon"
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    return f"{day:%A} {day.day} {day:%B}"


def describe_items(order: Order) -> str:
    parts = [f"{item.quantity} x {item.name}" if item.quantity > 1 else item.name for item in order.items]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def status_response(order: Order, today: date) -> str:
    """Which response answers "where is my order" for this order."""
    if order.is_late(today):
        return "utter_order_delayed"
    return STATE_RESPONSES[order.state]


def order_variables(order: Order, today: date) -> Dict[str, str]:
    return {
        "order_number": order.number,
        "items": describe_items(order),
        "carrier": order.carrier or "our courier",
        "tracking_url": order.tracking_url or "",
        "promised": human_date(order.promised_by, today),
        "expected": human_date(order.expected_by, today),
        "delivered": human_date(order.delivered_on, today),
    }
