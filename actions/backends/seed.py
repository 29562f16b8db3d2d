"""Load the demo data file (``seeds/demo.yml``) into typed records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Dict, List

import yaml

from actions.backends.models import (
    Customer,
    Invoice,
    Order,
    OrderItem,
    OrderState,
    Payment,
    Refund,
    ReturnPolicy,
)

DEFAULT_SEED = Path(__file__).resolve().parents[2] / "seeds" / "demo.yml"


@dataclass
class SeedData:
    customers: Dict[str, Customer] = field(default_factory=dict)
    orders: Dict[str, Order] = field(default_factory=dict)
    invoices: Dict[str, Invoice] = field(default_factory=dict)
    payments: List[Payment] = field(default_factory=list)
    refunds: List[Refund] = field(default_factory=list)
    policy: ReturnPolicy = field(default_factory=ReturnPolicy)


def _offset(today: date, days: int | None) -> date | None:
    return None if days is None else today + timedelta(days=days)


def load_seed(path: Path = DEFAULT_SEED, today: date | None = None) -> SeedData:
    """Parse the seed file; relative day offsets are resolved against ``today``."""
    today = today or date.today()
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    data = SeedData()
    for c in raw.get("customers", []):
        data.customers[c["id"]] = Customer(
            id=c["id"],
            name=c["name"],
            email=c["email"],
            phone=c["phone"],
            account_status=c.get("account_status", "active"),
        )
    for o in raw.get("orders", []):
        items = tuple(
            OrderItem(sku=i["sku"], name=i["name"], quantity=int(i["quantity"]), price=Decimal(i["price"]))
            for i in o.get("items", [])
        )
        data.orders[o["number"]] = Order(
            number=o["number"],
            customer=data.customers[o["customer"]],
            state=OrderState(o["status"]),
            placed_on=today - timedelta(days=o["placed_days_ago"]),
            items=items,
            promised_by=_offset(today, o.get("promised_in_days")),
            expected_by=_offset(today, o.get("expected_in_days")),
            delivered_on=_offset(today, -o["delivered_days_ago"]) if "delivered_days_ago" in o else None,
            carrier=o.get("carrier"),
            tracking_url=o.get("tracking_url"),
        )
    for i in raw.get("invoices", []):
        data.invoices[i["number"]] = Invoice(
            number=i["number"],
            order_number=i["order"],
            amount=Decimal(i["amount"]),
            issued_on=today - timedelta(days=i["issued_days_ago"]),
        )
    for p in raw.get("payments", []):
        data.payments.append(
            Payment(
                id=p["id"],
                customer_id=p["customer"],
                amount=Decimal(p["amount"]),
                status=p["status"],
                taken_on=today - timedelta(days=p["days_ago"]),
                description=p["description"],
                order_number=p.get("order"),
                failure=p.get("failure"),
            )
        )
    for r in raw.get("refunds", []):
        data.refunds.append(
            Refund(
                id=r["id"],
                order_number=r["order"],
                amount=Decimal(r["amount"]),
                status=r["status"],
                requested_on=today - timedelta(days=r["days_ago"]),
                expected_by=_offset(today, r.get("expected_in_days")),
            )
        )
    data.policy = ReturnPolicy(**(raw.get("policy") or {}))
    return data
