"""Pure: find the charge a customer describes among their payments."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Iterable, List, Sequence

from actions.backends.models import Payment

_AMOUNT = re.compile(r"(?<![\d/])(\d{1,6}(?:[.,]\d{2})?)(?![\d/])")
# Day/month with "/" or "-" only: "12.03" reads as money.
_DAY_MONTH = re.compile(r"\b(\d{1,2})[/-](\d{1,2})(?:[/-](\d{2,4}))?\b")


def amounts_in(text: str) -> List[Decimal]:
    """Money amounts written in ``text`` ("$75", "75.00", "12,50 euros")."""
    found = []
    for raw in _AMOUNT.findall(_DAY_MONTH.sub(" ", text)):
        try:
            found.append(Decimal(raw.replace(",", ".")))
        except InvalidOperation:
            continue
    return found


def dates_in(text: str, year: int) -> List[date]:
    """Day/month dates in ``text``, read day-first (12/03 = 12 March)."""
    found = []
    for day, month, _ in _DAY_MONTH.findall(text):
        try:
            found.append(date(year, int(month), int(day)))
        except ValueError:
            continue
    return found


def match_charge(payments: Sequence[Payment], description: str, today: date) -> Payment | None:
    """The payment that best fits the description: same amount (and date, when
    given), newest first. None when nothing fits."""
    amounts, days = set(amounts_in(description)), set(dates_in(description, today.year))
    candidates: Iterable[Payment] = payments
    if amounts:
        candidates = [p for p in candidates if p.amount in amounts]
    if days:
        dated = [p for p in candidates if p.taken_on in days]
        candidates = dated or (candidates if amounts else [])
    if not amounts and not days:
        return None
    ordered = sorted(candidates, key=lambda p: p.taken_on, reverse=True)
    return ordered[0] if ordered else None


def latest_failed(payments: Sequence[Payment]) -> Payment | None:
    failed = [p for p in payments if p.status == "failed"]
    return max(failed, key=lambda p: p.taken_on) if failed else None
