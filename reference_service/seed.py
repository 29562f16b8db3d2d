"""Load a seed file (``seeds/demo.yml``) into the reference service's database.

Dates in the file are relative to the day it is loaded (``placed_days_ago``,
``promised_in_days``…) so demo data never goes stale.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict

import yaml
from sqlalchemy.orm import Session

from reference_service.schema import (
    CustomerRow,
    InvoiceRow,
    OrderItemRow,
    OrderRow,
    PaymentRow,
    RefundRow,
)


class SeedError(ValueError):
    """The seed file is missing, unreadable or refers to something it does not define."""


def _day(today: date, offset: int | None) -> date | None:
    return None if offset is None else today + timedelta(days=int(offset))


def read_seed(path: Path) -> Dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SeedError(f"cannot read seed file {path}: {error}") from error
    if not isinstance(raw, dict) or "orders" not in raw or "customers" not in raw:
        raise SeedError(f"{path}: a seed file needs 'customers' and 'orders'")
    return raw


def load_seed(session: Session, raw: Dict[str, Any], today: date | None = None) -> Dict[str, int]:
    """Insert every record; returns how many of each were loaded."""
    today = today or date.today()
    customers = {c["id"] for c in raw["customers"]}
    for c in raw["customers"]:
        session.add(
            CustomerRow(
                id=c["id"],
                name=c["name"],
                email=c["email"],
                phone=c["phone"],
                account_status=c.get("account_status", "active"),
            )
        )
    session.flush()  # rows are written table by table so foreign keys hold on every database
    for o in raw["orders"]:
        if o["customer"] not in customers:
            raise SeedError(f"order {o['number']} refers to unknown customer {o['customer']}")
        delivered = o.get("delivered_days_ago")
        session.add(
            OrderRow(
                number=str(o["number"]),
                customer_id=o["customer"],
                state=o["status"],
                placed_on=today - timedelta(days=o["placed_days_ago"]),
                promised_by=_day(today, o.get("promised_in_days")),
                expected_by=_day(today, o.get("expected_in_days")),
                delivered_on=None if delivered is None else today - timedelta(days=delivered),
                carrier=o.get("carrier"),
                tracking_url=o.get("tracking_url"),
                delivery_address=o.get("delivery_address"),
                items=[
                    OrderItemRow(
                        sku=i["sku"], name=i["name"], quantity=int(i["quantity"]), price=Decimal(str(i["price"]))
                    )
                    for i in o.get("items", [])
                ],
            )
        )
    session.flush()
    for i in raw.get("invoices", []):
        session.add(
            InvoiceRow(
                number=i["number"],
                order_number=str(i["order"]),
                amount=Decimal(str(i["amount"])),
                issued_on=today - timedelta(days=i["issued_days_ago"]),
            )
        )
    for p in raw.get("payments", []):
        session.add(
            PaymentRow(
                id=p["id"],
                customer_id=p["customer"],
                order_number=p.get("order"),
                amount=Decimal(str(p["amount"])),
                status=p["status"],
                taken_on=today - timedelta(days=p["days_ago"]),
                description=p["description"],
                failure=p.get("failure"),
            )
        )
    for r in raw.get("refunds", []):
        session.add(
            RefundRow(
                id=r["id"],
                order_number=str(r["order"]),
                amount=Decimal(str(r["amount"])),
                status=r["status"],
                requested_on=today - timedelta(days=r["days_ago"]),
                expected_by=_day(today, r.get("expected_in_days")),
            )
        )
    session.flush()
    return {kind: len(raw.get(kind, [])) for kind in ("customers", "orders", "invoices", "payments", "refunds")}
