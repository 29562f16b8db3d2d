"""``OrderSystem`` over HTTP (contract: docs/backend-api.yaml)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Type

from actions.backends.errors import (
    AlreadyCancelled,
    AlreadyShipped,
    BackendError,
    BackendUnavailable,
    NotDeliveredYet,
    OrderNotFound,
    OutsideReturnWindow,
)
from actions.backends.http_client import ApiResponse, JsonApiClient, segment
from actions.backends.models import Order, OrderItem, OrderState, Refund

_ERRORS = {
    "order_not_found": OrderNotFound,
    "already_shipped": AlreadyShipped,
    "already_cancelled": AlreadyCancelled,
    "not_delivered": NotDeliveredYet,
    "outside_return_window": OutsideReturnWindow,
}


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def raise_for_error(reply: ApiResponse, known: Mapping[str, Type[BackendError]], backend: str) -> None:
    """Known error codes become their exception; any other 4xx means the contract broke."""
    if reply.status < 400:
        return
    error = known.get(reply.error_code or "")
    if error is not None:
        raise error(str(reply.body.get("message", "")))
    raise BackendUnavailable(f"{backend}: unexpected {reply.status} {reply.error_code or ''}".strip())


def parse_order(body: Dict[str, Any]) -> Order:
    try:
        return Order(
            number=str(body["number"]),
            customer_id=str(body["customer_id"]),
            state=OrderState(body["state"]),
            placed_on=date.fromisoformat(body["placed_on"]),
            items=tuple(
                OrderItem(sku=i["sku"], name=i["name"], quantity=int(i["quantity"]), price=Decimal(i["price"]))
                for i in body.get("items", [])
            ),
            promised_by=_day(body.get("promised_by")),
            expected_by=_day(body.get("expected_by")),
            delivered_on=_day(body.get("delivered_on")),
            carrier=body.get("carrier"),
            tracking_url=body.get("tracking_url"),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as problem:
        raise BackendUnavailable(f"orders: malformed order record ({problem})") from problem


def parse_refund(body: Dict[str, Any]) -> Refund:
    try:
        return Refund(
            id=str(body["id"]),
            order_number=str(body["order_number"]),
            amount=Decimal(body["amount"]),
            status=str(body["status"]),
            requested_on=date.fromisoformat(body["requested_on"]),
            expected_by=_day(body.get("expected_by")),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as problem:
        raise BackendUnavailable(f"orders: malformed refund record ({problem})") from problem


class OrdersApi:
    def __init__(self, client: JsonApiClient) -> None:
        self.client = client

    def _checked(self, reply: ApiResponse) -> ApiResponse:
        raise_for_error(reply, _ERRORS, self.client.name)
        return reply

    def get_order(self, number: str) -> Order:
        return parse_order(self._checked(self.client.get(f"/orders/{segment(number, OrderNotFound)}")).body)

    def verify_contact(self, number: str, email: str | None = None, phone: str | None = None) -> bool:
        body = {"email": email} if email else {"phone": phone}
        path = f"/orders/{segment(number, OrderNotFound)}/verify"
        reply = self._checked(self.client.post(path, body, read_only=True))
        return reply.body.get("verified") is True

    def cancel_order(self, number: str) -> Order:
        return parse_order(self._checked(self.client.post(f"/orders/{segment(number, OrderNotFound)}/cancel")).body)

    def change_address(self, number: str, address: str) -> Order:
        path = f"/orders/{segment(number, OrderNotFound)}/address"
        return parse_order(self._checked(self.client.post(path, {"address": address})).body)

    def create_return(self, number: str, item: str, reason: str) -> Refund:
        path = f"/orders/{segment(number, OrderNotFound)}/returns"
        return parse_refund(self._checked(self.client.post(path, {"item": item, "reason": reason})).body)

    def refunds_for_order(self, number: str) -> List[Refund]:
        reply = self._checked(self.client.get(f"/orders/{segment(number, OrderNotFound)}/refunds"))
        refunds = reply.body.get("refunds")
        if not isinstance(refunds, list):
            raise BackendUnavailable("orders: malformed refunds list")
        return [parse_refund(r) for r in refunds]
